/**
 * Dropped notices (client-sdk/src/notice.ts): the 142-byte message layout, a notice signed the
 * way the sequencer signs it (ed25519, node:crypto, sequencer/src/notice.ts) checks with the SDK,
 * and any altered field, key or binding is refused with a precise error.
 */
import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { expect } from "chai";
import {
  DROPPED_DOMAIN,
  base58To32Bytes,
  DROPPED_MESSAGE_BYTES,
  ProvenanceError,
  checkDroppedNotice,
  droppedNoticeMessage,
  parseDroppedNotice,
  verifyDroppedNotice,
  type DroppedNotice,
  type DroppedNoticeFields,
} from "../src/index.js";

/** Signs as the sequencer does (sequencer/src/notice.ts): node:crypto ed25519 over the SDK's message. */
class NoticeSigner {
  readonly publicKeyHex: string;
  constructor(private readonly key: KeyObject) {
    const der = createPublicKey(key).export({ type: "spki", format: "der" });
    this.publicKeyHex = der.subarray(der.length - 32).toString("hex");
  }
  sign(fields: DroppedNoticeFields): DroppedNotice {
    return { v: 1, ...fields, sequencerKey: this.publicKeyHex, signature: sign(null, droppedNoticeMessage(fields), this.key).toString("hex") };
  }
}

const PROGRAM_ID = "ProvC2tA11BGUd9XuDU9h7KgHEc7j8wf2Rj6K2s843Q";
// Solana devnet's genesis hash: a real base58 32-byte value.
const GENESIS = "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG";
const FIELDS: DroppedNoticeFields = {
  id: "14ad4f04fe8309b650b0a8e5354c383075ae77012e8c56a5838d5b361d94921d",
  seq: 7,
  batch: 3,
  reason: "NODE_REVOKED",
  droppedAt: 1764300000500,
  programId: PROGRAM_ID,
  genesisHash: GENESIS,
};

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as ProvenanceError).code;
  }
  return "none";
};

describe("dropped notices", () => {
  const signer = new NoticeSigner(generateKeyPairSync("ed25519").privateKey);
  const notice = signer.sign(FIELDS);

  it("signs the documented 142 bytes", () => {
    const m = droppedNoticeMessage(FIELDS);
    expect(m.length).to.equal(DROPPED_MESSAGE_BYTES);
    expect(Buffer.from(m.subarray(0, 21)).toString("ascii")).to.equal(DROPPED_DOMAIN);
    expect(Buffer.from(m.subarray(21, 53)).toString("hex")).to.equal(FIELDS.id);
    expect(Buffer.from(m.subarray(53, 61)).readBigUInt64BE()).to.equal(7n);
    expect(Buffer.from(m.subarray(61, 69)).readBigUInt64BE()).to.equal(3n);
    expect(m[69]).to.equal(1);
    expect(Buffer.from(m.subarray(70, 78)).readBigUInt64BE()).to.equal(1764300000500n);
    expect(Buffer.from(m.subarray(78, 110))).to.deep.equal(Buffer.from(base58To32Bytes(PROGRAM_ID)!));
    expect(Buffer.from(m.subarray(110, 142))).to.deep.equal(Buffer.from(base58To32Bytes(GENESIS)!));
  });

  it("a sequencer-signed notice checks, bound to its record, seq, program and cluster", () => {
    const n = checkDroppedNotice(notice, signer.publicKeyHex, { id: FIELDS.id, seq: 7, programId: PROGRAM_ID, genesisHash: GENESIS });
    expect(n).to.deep.equal(parseDroppedNotice(JSON.parse(JSON.stringify(notice))));
    expect(verifyDroppedNotice(notice, signer.publicKeyHex)).to.equal(true);
  });

  it("refuses altered fields, another key and other bindings", () => {
    for (const altered of [{ seq: 8 }, { batch: 4 }, { droppedAt: 1 }, { genesisHash: PROGRAM_ID }, { id: "00".repeat(32) }]) {
      expect(codeOf(() => checkDroppedNotice({ ...notice, ...altered }, signer.publicKeyHex)), JSON.stringify(altered)).to.equal("BAD_NOTICE");
    }
    const other = new NoticeSigner(generateKeyPairSync("ed25519").privateKey);
    expect(codeOf(() => checkDroppedNotice(notice, other.publicKeyHex))).to.equal("BAD_NOTICE");
    expect(codeOf(() => checkDroppedNotice(notice, signer.publicKeyHex, { seq: 6 }))).to.equal("BAD_NOTICE");
    expect(codeOf(() => checkDroppedNotice(notice, signer.publicKeyHex, { genesisHash: PROGRAM_ID }))).to.equal("BAD_NOTICE");
    expect(codeOf(() => checkDroppedNotice({ ...notice, reason: "BORED" }, signer.publicKeyHex))).to.equal("INVALID_NOTICE");
    expect(codeOf(() => checkDroppedNotice({ ...notice, extra: 1 }, signer.publicKeyHex))).to.equal("INVALID_NOTICE");
    expect(codeOf(() => checkDroppedNotice({ ...notice, programId: "0OIl" }, signer.publicKeyHex))).to.equal("INVALID_NOTICE");
    expect(verifyDroppedNotice(null, signer.publicKeyHex)).to.equal(false);
  });
});
