/**
 * Signed receipts: the sequencer's promise to include a record in a batch.
 *
 * The signed message is exactly 69 bytes:
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 21 | ASCII `provenance.receipt.v1` (domain separation) |
 * | 21 | 32 | record id (the leaf), big-endian |
 * | 53 | 8 | seq, unsigned big-endian |
 * | 61 | 8 | receivedAt (ms since epoch, sequencer clock), unsigned big-endian |
 *
 * signed with ed25519 (RFC 8032, pure) by the key in `<dataDir>/receipt-key.pem`, whose raw
 * 32-byte public key is served at `GET /.well-known/provenance/receipt-key`.
 * Receipt JSON: `{ v: 1, id, seq, receivedAt, sequencerKey, signature }`, with `id` 64 hex,
 * `sequencerKey` 64 hex (raw public key), `signature` 128 hex.
 */
import { createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { hexToField } from "@provenance/client-sdk";

export const RECEIPT_DOMAIN = "provenance.receipt.v1";
export const RECEIPT_MESSAGE_BYTES = 69;

export interface Receipt {
  v: 1;
  /** Record id (leaf), 64 hex. */
  id: string;
  seq: number;
  receivedAt: number;
  /** Raw ed25519 public key of the sequencer, 64 hex. */
  sequencerKey: string;
  /** ed25519 signature over `receiptMessage`, 128 hex. */
  signature: string;
}

/** The 69 signed bytes of a receipt (see the table above). */
export function receiptMessage(id: string, seq: number, receivedAt: number): Buffer {
  const leaf = hexToField(id, "receipt id");
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`receipt seq must be a non-negative safe integer, got ${seq}`);
  if (!Number.isSafeInteger(receivedAt) || receivedAt < 0) {
    throw new RangeError(`receipt receivedAt must be a non-negative safe integer, got ${receivedAt}`);
  }
  const out = Buffer.alloc(RECEIPT_MESSAGE_BYTES);
  out.write(RECEIPT_DOMAIN, 0, "ascii");
  out.write(leaf.toString(16).padStart(64, "0"), 21, "hex");
  out.writeBigUInt64BE(BigInt(seq), 53);
  out.writeBigUInt64BE(BigInt(receivedAt), 61);
  return out;
}

/** Raw 32-byte ed25519 public key of a (private or public) KeyObject. */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const der = pub.export({ type: "spki", format: "der" });
  return der.subarray(der.length - 32);
}

export class ReceiptSigner {
  readonly publicKeyHex: string;
  private readonly key: KeyObject;

  constructor(privateKey: KeyObject) {
    this.key = privateKey;
    this.publicKeyHex = rawPublicKey(privateKey).toString("hex");
  }

  sign(id: string, seq: number, receivedAt: number): Receipt {
    const signature = sign(null, receiptMessage(id, seq, receivedAt), this.key).toString("hex");
    return { v: 1, id, seq, receivedAt, sequencerKey: this.publicKeyHex, signature };
  }
}

const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/**
 * Checks a receipt against the sequencer's raw public key (64 hex, as served at the well-known
 * route). False for any malformed receipt; never throws.
 */
export function verifyReceipt(receipt: unknown, publicKeyHex: string): boolean {
  try {
    const r = receipt as Receipt;
    if (typeof r !== "object" || r === null || r.v !== 1) return false;
    if (r.sequencerKey !== publicKeyHex || !/^[0-9a-f]{64}$/.test(publicKeyHex)) return false;
    if (typeof r.signature !== "string" || !/^[0-9a-f]{128}$/.test(r.signature)) return false;
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(publicKeyHex, "hex")]), format: "der", type: "spki" });
    return verify(null, receiptMessage(r.id, r.seq, r.receivedAt), key, Buffer.from(r.signature, "hex"));
  } catch {
    return false;
  }
}
