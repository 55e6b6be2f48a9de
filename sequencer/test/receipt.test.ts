import { generateKeyPairSync } from "node:crypto";
import { statSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { RECEIPT_MESSAGE_BYTES, ReceiptSigner, receiptMessage, verifyReceipt } from "../src/receipt.js";
import { ADMIN_TOKEN_FILE, RECEIPT_KEY_FILE, loadOrCreateAdminToken, loadOrCreateReceiptKey } from "../src/secrets.js";
import { tempDir } from "./helpers.js";

const ID = "0cbc24f4de1a5232c4a672bf4128b31e3a1e183c81ffc9b1b66eb6ac1109362e";

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
