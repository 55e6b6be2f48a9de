/**
 * Signed receipts: the sequencer's promise to include a record in a batch. Shared by the
 * sequencer (which signs them, with node:crypto) and every client (which checks them, here,
 * with @noble/curves so it also runs in a browser).
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
 * signed with ed25519 (RFC 8032, pure). The sequencer's raw 32-byte public key is served at
 * `GET /.well-known/provenance/receipt-key`.
 * Receipt JSON: `{ v: 1, id, seq, receivedAt, sequencerKey, signature }`, with `id` 64 hex,
 * `sequencerKey` 64 hex (raw public key), `signature` 128 hex.
 */
import { ed25519 } from "@noble/curves/ed25519";
import { fail } from "./errors.js";
import { describe, hexToBytes, hexToField } from "./field.js";

export const RECEIPT_DOMAIN = "provenance.receipt.v1";
export const RECEIPT_MESSAGE_BYTES = 69;
// Where the sequencer serves its receipt key: part of the wire contract (wire.ts).
export { RECEIPT_KEY_ROUTE } from "./wire.js";

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

function writeU64BE(out: Uint8Array, offset: number, value: number): void {
  new DataView(out.buffer, out.byteOffset, out.byteLength).setBigUint64(offset, BigInt(value), false);
}

/** The 69 signed bytes of a receipt (see the table above). Throws RangeError on bad numbers. */
export function receiptMessage(id: string, seq: number, receivedAt: number): Uint8Array {
  const leaf = hexToField(id, "receipt id");
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`receipt seq must be a non-negative safe integer, got ${seq}`);
  if (!Number.isSafeInteger(receivedAt) || receivedAt < 0) {
    throw new RangeError(`receipt receivedAt must be a non-negative safe integer, got ${receivedAt}`);
  }
  const out = new Uint8Array(RECEIPT_MESSAGE_BYTES);
  out.set(new TextEncoder().encode(RECEIPT_DOMAIN), 0);
  out.set(hexToBytes(leaf.toString(16).padStart(64, "0")), 21);
  writeU64BE(out, 53, seq);
  writeU64BE(out, 61, receivedAt);
  return out;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

/** Checks the shape of a receipt (not its signature); throws INVALID_RECEIPT naming the field. */
export function parseReceipt(json: unknown): Receipt {
  if (typeof json !== "object" || json === null || Array.isArray(json)) fail("INVALID_RECEIPT", `receipt must be a JSON object, got ${describe(json)}`);
  const o = json as Record<string, unknown>;
  if (o.v !== 1) fail("INVALID_RECEIPT", `receipt version must be 1, got ${JSON.stringify(o.v)}`);
  if (typeof o.id !== "string" || !HEX64.test(o.id)) fail("INVALID_RECEIPT", "receipt id must be 64 lowercase hex characters");
  for (const k of ["seq", "receivedAt"] as const) {
    const v = o[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) fail("INVALID_RECEIPT", `receipt ${k} must be a non-negative integer`);
  }
  if (typeof o.sequencerKey !== "string" || !HEX64.test(o.sequencerKey)) {
    fail("INVALID_RECEIPT", "receipt sequencerKey must be 64 lowercase hex characters (a raw ed25519 public key)");
  }
  if (typeof o.signature !== "string" || !HEX128.test(o.signature)) fail("INVALID_RECEIPT", "receipt signature must be 128 lowercase hex characters");
  return {
    v: 1,
    id: o.id,
    seq: o.seq as number,
    receivedAt: o.receivedAt as number,
    sequencerKey: o.sequencerKey,
    signature: o.signature,
  };
}

/**
 * Checks a receipt and says exactly what is wrong: its shape, the key it names against the
 * expected sequencer key, the ed25519 signature, and (when given) the record id and seq the
 * sequencer answered with. Returns the parsed receipt; throws INVALID_RECEIPT / BAD_RECEIPT.
 */
export function checkReceipt(receipt: unknown, sequencerKeyHex: string, expected: { id?: string; seq?: number } = {}): Receipt {
  const r = parseReceipt(receipt);
  if (!HEX64.test(sequencerKeyHex)) fail("INVALID_RECEIPT", "the expected sequencer key must be 64 lowercase hex characters");
  if (r.sequencerKey !== sequencerKeyHex) {
    fail("BAD_RECEIPT", `receipt is signed by key ${r.sequencerKey.slice(0, 16)}…, not the sequencer's pinned key ${sequencerKeyHex.slice(0, 16)}…`);
  }
  if (expected.id !== undefined && r.id !== expected.id) {
    fail("BAD_RECEIPT", `receipt is for record ${r.id}, but the record submitted has id ${expected.id}`);
  }
  if (expected.seq !== undefined && r.seq !== expected.seq) {
    fail("BAD_RECEIPT", `receipt says seq ${r.seq}, but the sequencer answered seq ${expected.seq}`);
  }
  let ok: boolean;
  try {
    ok = ed25519.verify(hexToBytes(r.signature), receiptMessage(r.id, r.seq, r.receivedAt), hexToBytes(sequencerKeyHex), { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) fail("BAD_RECEIPT", `receipt signature does not verify under the sequencer key ${sequencerKeyHex.slice(0, 16)}… (id, seq or receivedAt altered, or not signed by this sequencer)`);
  return r;
}

/**
 * True when `receipt` is well formed, names `publicKeyHex` and carries its valid ed25519
 * signature. Never throws.
 */
export function verifyReceipt(receipt: unknown, publicKeyHex: string): boolean {
  try {
    checkReceipt(receipt, publicKeyHex);
    return true;
  } catch {
    return false;
  }
}
