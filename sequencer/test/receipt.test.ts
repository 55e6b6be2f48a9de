import { generateKeyPairSync } from "node:crypto";
import { statSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { PublicKey } from "@solana/web3.js";
import { ProvenanceError, base58To32Bytes, bytesToHex, checkReceipt, parseReceipt } from "@provenance/client-sdk";
import { RECEIPT_MESSAGE_BYTES, RECEIPT_V2_MESSAGE_BYTES, ReceiptSigner, receiptMessage, receiptMessageV2, verifyReceipt } from "../src/receipt.js";
import { ADMIN_TOKEN_FILE, RECEIPT_KEY_FILE, loadOrCreateAdminToken, loadOrCreateReceiptKey } from "../src/secrets.js";
import { tempDir } from "./helpers.js";

const ID = "0cbc24f4de1a5232c4a672bf4128b31e3a1e183c81ffc9b1b66eb6ac1109362e";
// The program's id on localnet and devnet, and mainnet-beta's genesis hash.
const DEPLOYMENT = { programId: "ProvC2tA11BGUd9XuDU9h7KgHEc7j8wf2Rj6K2s843Q", genesisHash: "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d" };
const PROGRAM_HEX = new PublicKey(DEPLOYMENT.programId).toBuffer().toString("hex");
const GENESIS_HEX = new PublicKey(DEPLOYMENT.genesisHash).toBuffer().toString("hex");
const OTHER = "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG";

describe("receipts", () => {
  it("signs exactly the documented 69 bytes", () => {
    const m = receiptMessage(ID, 258, 1_764_300_000_001);
    expect(m.length).to.equal(RECEIPT_MESSAGE_BYTES);
    expect(m.subarray(0, 21).toString("ascii")).to.equal("provenance.receipt.v1");
    expect(m.subarray(21, 53).toString("hex")).to.equal(ID);
    expect(m.subarray(53, 61).toString("hex")).to.equal("0000000000000102");
    expect(m.subarray(61, 69).toString("hex")).to.equal((1_764_300_000_001).toString(16).padStart(16, "0"));
  });

  it("verifies with the sequencer's key and fails on any change", () => {
    const signer = new ReceiptSigner(generateKeyPairSync("ed25519").privateKey);
    const r = signer.sign(ID, 7, 1000);
    expect(verifyReceipt(r, signer.publicKeyHex)).to.equal(true);
    expect(verifyReceipt({ ...r, seq: 8 }, signer.publicKeyHex)).to.equal(false);
    expect(verifyReceipt({ ...r, receivedAt: 1001 }, signer.publicKeyHex)).to.equal(false);
    expect(verifyReceipt({ ...r, id: ID.replace(/^0/, "1") }, signer.publicKeyHex)).to.equal(false);
    const other = new ReceiptSigner(generateKeyPairSync("ed25519").privateKey);
    expect(verifyReceipt(r, other.publicKeyHex)).to.equal(false);
    expect(verifyReceipt({ ...r, sequencerKey: other.publicKeyHex }, other.publicKeyHex)).to.equal(false);
    expect(verifyReceipt(null, signer.publicKeyHex)).to.equal(false);
    expect(verifyReceipt({ ...r, signature: "zz" }, signer.publicKeyHex)).to.equal(false);
  });

  it("v2 signs exactly the documented 133 bytes: v1's fields, then program id and genesis hash", () => {
    const m = receiptMessageV2(ID, 258, 1_764_300_000_001, DEPLOYMENT);
    expect(m.length).to.equal(RECEIPT_V2_MESSAGE_BYTES);
    expect(m.subarray(0, 21).toString("ascii")).to.equal("provenance.receipt.v2");
    expect(m.subarray(21, 69).toString("hex")).to.equal(receiptMessage(ID, 258, 1_764_300_000_001).subarray(21).toString("hex"));
    expect(m.subarray(69, 101).toString("hex")).to.equal(PROGRAM_HEX);
    expect(m.subarray(101, 133).toString("hex")).to.equal(GENESIS_HEX);
    expect(() => receiptMessageV2(ID, 0, 0, { ...DEPLOYMENT, programId: "0OIl" + DEPLOYMENT.programId.slice(4) })).to.throw(RangeError, /programId must be base58 of 32 bytes/);
    expect(() => receiptMessageV2(ID, 0, 0, { ...DEPLOYMENT, genesisHash: "2" })).to.throw(RangeError, /genesisHash must be base58 of 32 bytes/);
  });

  it("a v2 receipt verifies for its deployment and is refused, saying why, for another program or cluster", () => {
    const signer = new ReceiptSigner(generateKeyPairSync("ed25519").privateKey, DEPLOYMENT);
    const r = signer.sign(ID, 7, 1000);
    expect(r).to.include({ v: 2, ...DEPLOYMENT });
    expect(checkReceipt(r, signer.publicKeyHex, { deployment: DEPLOYMENT, id: ID, seq: 7 })).to.deep.equal(r);
    expect(verifyReceipt(r, signer.publicKeyHex, DEPLOYMENT)).to.equal(true);
    expect(verifyReceipt(r, signer.publicKeyHex)).to.equal(true);
    const refused = (d: { programId: string; genesisHash: string }): string => {
      try {
        checkReceipt(r, signer.publicKeyHex, { deployment: d });
      } catch (e) {
        expect((e as ProvenanceError).code).to.equal("BAD_RECEIPT");
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(refused({ ...DEPLOYMENT, programId: OTHER })).to.equal(
      `receipt is for program ${DEPLOYMENT.programId}, not the deployment checked (program ${OTHER}): a receipt of another deployment`,
    );
    expect(refused({ ...DEPLOYMENT, genesisHash: OTHER })).to.equal(
      `receipt is for the cluster with genesis hash ${DEPLOYMENT.genesisHash}, not the one checked (genesis hash ${OTHER}): a receipt of another deployment`,
    );
    expect(verifyReceipt(r, signer.publicKeyHex, { ...DEPLOYMENT, genesisHash: OTHER })).to.equal(false);
    // The deployment is signed: renaming it in the JSON breaks the signature.
    for (const deployment of [{ ...DEPLOYMENT, programId: OTHER }, { ...DEPLOYMENT, genesisHash: OTHER }]) {
      expect(() => checkReceipt({ ...r, ...deployment }, signer.publicKeyHex, { deployment })).to.throw(/signature does not verify.*programId or genesisHash altered/);
    }
    // A v2 receipt's signature over the v1 message (a downgrade) does not verify, nor the reverse.
    const v1 = new ReceiptSigner(generateKeyPairSync("ed25519").privateKey).sign(ID, 7, 1000);
    expect(verifyReceipt({ ...r, v: 1 }, signer.publicKeyHex)).to.equal(false);
    expect(verifyReceipt({ ...v1, v: 2, ...DEPLOYMENT }, v1.sequencerKey)).to.equal(false);
    expect(() => parseReceipt({ ...r, genesisHash: "not base58!" })).to.throw(/v2 receipt's genesisHash must be base58 of 32 bytes/);
    expect(() => parseReceipt({ ...r, v: 3 })).to.throw(/receipt version must be 1 or 2, got 3/);
  });

  it("a v1 receipt still verifies, also where a deployment is expected (it binds none)", () => {
    const signer = new ReceiptSigner(generateKeyPairSync("ed25519").privateKey);
    const r = signer.sign(ID, 7, 1000);
    expect(Object.keys(r).sort()).to.deep.equal(["id", "receivedAt", "seq", "sequencerKey", "signature", "v"]);
    expect(checkReceipt(r, signer.publicKeyHex, { deployment: DEPLOYMENT }).v).to.equal(1);
    expect(verifyReceipt(r, signer.publicKeyHex, { programId: OTHER, genesisHash: OTHER })).to.equal(true);
  });

  it("decodes base58 of exactly 32 bytes, one spelling per value", () => {
    expect(bytesToHex(base58To32Bytes("11111111111111111111111111111111")!)).to.equal("00".repeat(32));
    expect(bytesToHex(base58To32Bytes(DEPLOYMENT.programId)!)).to.equal(PROGRAM_HEX);
    expect(base58To32Bytes("1" + DEPLOYMENT.programId)).to.equal(null); // 33 bytes
    expect(base58To32Bytes("1111111111111111111111111111111")).to.equal(null); // 31 bytes
    expect(base58To32Bytes(DEPLOYMENT.programId.replace(/.$/, "0"))).to.equal(null);
  });

  it("keeps the key and the admin token in the data dir (0600), the same across starts", () => {
    const t = tempDir("secrets");
    try {
      const k1 = new ReceiptSigner(loadOrCreateReceiptKey(t.dir));
      const k2 = new ReceiptSigner(loadOrCreateReceiptKey(t.dir));
      expect(k1.publicKeyHex).to.equal(k2.publicKeyHex);
      expect(statSync(path.join(t.dir, RECEIPT_KEY_FILE)).mode & 0o777).to.equal(0o600);
      const a1 = loadOrCreateAdminToken(t.dir, undefined);
      const a2 = loadOrCreateAdminToken(t.dir, undefined);
      expect(a1.token).to.match(/^[0-9a-f]{64}$/);
      expect(a2.token).to.equal(a1.token);
      expect(a1.file).to.equal(path.join(t.dir, ADMIN_TOKEN_FILE));
      expect(statSync(a1.file!).mode & 0o777).to.equal(0o600);
      expect(loadOrCreateAdminToken(t.dir, "configured-token-123")).to.deep.equal({ token: "configured-token-123", file: null });
    } finally {
      t.remove();
    }
  });
});
