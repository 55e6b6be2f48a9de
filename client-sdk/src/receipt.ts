/**
 * Signed receipts: the sequencer's promise to include a record in a batch. Shared by the
 * sequencer (which signs them, with node:crypto) and every client (which checks them, here,
 * with @noble/curves so it also runs in a browser).
 *
 * Two versions (docs/protocol.md#receipt). A sequencer that anchors to a chain issues v2,
 * which binds the deployment; one running without a chain issues v1. Both verify.
 *
 * v1, exactly 69 signed bytes:
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 21 | ASCII `provenance.receipt.v1` (domain separation) |
 * | 21 | 32 | record id (the leaf), big-endian |
 * | 53 | 8 | seq, unsigned big-endian |
 * | 61 | 8 | receivedAt (ms since epoch, sequencer clock), unsigned big-endian |
 *
 * v2, exactly 133 signed bytes: the same fields after the domain `provenance.receipt.v2`, then
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 69 | 32 | program id (the 32 bytes of the base58 public key) |
 * | 101 | 32 | genesis hash of the cluster (the 32 bytes of the base58 hash) |
 *
 * signed with ed25519 (RFC 8032, pure). The sequencer's raw 32-byte public key is served at
 * `GET /.well-known/provenance/receipt-key`.
 * Receipt JSON: `{ v: 1, id, seq, receivedAt, sequencerKey, signature }` or
 * `{ v: 2, id, seq, receivedAt, programId, genesisHash, sequencerKey, signature }`, with `id`
 * 64 hex, `programId` and `genesisHash` base58 (32 bytes each), `sequencerKey` 64 hex (raw
 * public key), `signature` 128 hex.
 */
import { ed25519 } from "@noble/curves/ed25519";
import { fail } from "./errors.js";
import { describe, hexToBytes, hexToField } from "./field.js";

export const RECEIPT_DOMAIN = "provenance.receipt.v1";
export const RECEIPT_MESSAGE_BYTES = 69;
export const RECEIPT_DOMAIN_V2 = "provenance.receipt.v2";
export const RECEIPT_V2_MESSAGE_BYTES = 133;
// Where the sequencer serves its receipt key: part of the wire contract (wire.ts).
export { RECEIPT_KEY_ROUTE } from "./wire.js";

/** The deployment a v2 receipt binds: the program and the cluster (both base58, 32 bytes). */
export interface ReceiptDeployment {
  programId: string;
  genesisHash: string;
}

interface ReceiptFields {
  /** Record id (leaf), 64 hex. */
  id: string;
  seq: number;
  receivedAt: number;
  /** Raw ed25519 public key of the sequencer, 64 hex. */
  sequencerKey: string;
  /** ed25519 signature over the version's signed message, 128 hex. */
  signature: string;
}

/** A receipt of a sequencer without a chain: binds id, seq and receivedAt. */
export interface ReceiptV1 extends ReceiptFields {
  v: 1;
}

/** A receipt of an anchoring sequencer: also binds the program id and the cluster's genesis hash. */
export interface ReceiptV2 extends ReceiptFields {
  v: 2;
  programId: string;
  genesisHash: string;
}

export type Receipt = ReceiptV1 | ReceiptV2;

function writeU64BE(out: Uint8Array, offset: number, value: number): void {
  new DataView(out.buffer, out.byteOffset, out.byteLength).setBigUint64(offset, BigInt(value), false);
}

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const BASE58_INDEX = new Map([...BASE58].map((c, i) => [c, i]));

/**
 * The 32 bytes of a base58 public key or hash (Bitcoin alphabet, as Solana writes them). Null
 * unless `text` is base58 of exactly 32 bytes, so each value has one accepted spelling.
 */
export function base58To32Bytes(text: string): Uint8Array | null {
  if (text.length < 32 || text.length > 44) return null;
  let zeros = 0;
  while (zeros < text.length && text[zeros] === "1") zeros++;
  let n = 0n;
  for (const c of text) {
    const d = BASE58_INDEX.get(c);
    if (d === undefined) return null;
    n = n * 58n + BigInt(d);
  }
  const body = n === 0n ? "" : n.toString(16);
  const bodyBytes = Math.ceil(body.length / 2);
  if (zeros + bodyBytes !== 32) return null;
  const out = new Uint8Array(32);
  if (bodyBytes > 0) out.set(hexToBytes(body.padStart(bodyBytes * 2, "0")), zeros);
  return out;
}

function deploymentBytes(value: string, what: string): Uint8Array {
  const bytes = base58To32Bytes(value);
  if (!bytes) throw new RangeError(`receipt ${what} must be base58 of 32 bytes, got ${JSON.stringify(value)}`);
  return bytes;
}

function header(domain: string, size: number, id: string, seq: number, receivedAt: number): Uint8Array {
  const leaf = hexToField(id, "receipt id");
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`receipt seq must be a non-negative safe integer, got ${seq}`);
  if (!Number.isSafeInteger(receivedAt) || receivedAt < 0) {
    throw new RangeError(`receipt receivedAt must be a non-negative safe integer, got ${receivedAt}`);
  }
  const out = new Uint8Array(size);
  out.set(new TextEncoder().encode(domain), 0);
  out.set(hexToBytes(leaf.toString(16).padStart(64, "0")), 21);
  writeU64BE(out, 53, seq);
  writeU64BE(out, 61, receivedAt);
  return out;
}

/** The 69 signed bytes of a v1 receipt (see the table above). Throws RangeError on bad numbers. */
export function receiptMessage(id: string, seq: number, receivedAt: number): Uint8Array {
  return header(RECEIPT_DOMAIN, RECEIPT_MESSAGE_BYTES, id, seq, receivedAt);
}

/** The 133 signed bytes of a v2 receipt (see the tables above). Throws RangeError on bad values. */
export function receiptMessageV2(id: string, seq: number, receivedAt: number, deployment: ReceiptDeployment): Uint8Array {
  const out = header(RECEIPT_DOMAIN_V2, RECEIPT_V2_MESSAGE_BYTES, id, seq, receivedAt);
  out.set(deploymentBytes(deployment.programId, "programId"), 69);
  out.set(deploymentBytes(deployment.genesisHash, "genesisHash"), 101);
  return out;
}

/** The bytes a receipt's signature covers, by its version. */
export function receiptSignedBytes(r: Receipt): Uint8Array {
  return r.v === 2 ? receiptMessageV2(r.id, r.seq, r.receivedAt, r) : receiptMessage(r.id, r.seq, r.receivedAt);
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

/** Checks the shape of a receipt (not its signature); throws INVALID_RECEIPT naming the field. */
export function parseReceipt(json: unknown): Receipt {
  if (typeof json !== "object" || json === null || Array.isArray(json)) fail("INVALID_RECEIPT", `receipt must be a JSON object, got ${describe(json)}`);
  const o = json as Record<string, unknown>;
  if (o.v !== 1 && o.v !== 2) fail("INVALID_RECEIPT", `receipt version must be 1 or 2, got ${JSON.stringify(o.v)}`);
  if (typeof o.id !== "string" || !HEX64.test(o.id)) fail("INVALID_RECEIPT", "receipt id must be 64 lowercase hex characters");
  for (const k of ["seq", "receivedAt"] as const) {
    const v = o[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) fail("INVALID_RECEIPT", `receipt ${k} must be a non-negative integer`);
  }
  if (o.v === 2) {
    for (const k of ["programId", "genesisHash"] as const) {
      const v = o[k];
      if (typeof v !== "string" || !base58To32Bytes(v)) fail("INVALID_RECEIPT", `a v2 receipt's ${k} must be base58 of 32 bytes, got ${describe(v)}`);
    }
  }
  if (typeof o.sequencerKey !== "string" || !HEX64.test(o.sequencerKey)) {
    fail("INVALID_RECEIPT", "receipt sequencerKey must be 64 lowercase hex characters (a raw ed25519 public key)");
  }
  if (typeof o.signature !== "string" || !HEX128.test(o.signature)) fail("INVALID_RECEIPT", "receipt signature must be 128 lowercase hex characters");
  const fields = { id: o.id, seq: o.seq as number, receivedAt: o.receivedAt as number };
  return o.v === 2
    ? { v: 2, ...fields, programId: o.programId as string, genesisHash: o.genesisHash as string, sequencerKey: o.sequencerKey, signature: o.signature }
    : { v: 1, ...fields, sequencerKey: o.sequencerKey, signature: o.signature };
}

/** What `checkReceipt` compares besides the signature. */
export interface ReceiptExpectations {
  /** The record id submitted. */
  id?: string;
  /** The seq the sequencer answered with. */
  seq?: number;
  /**
   * The deployment the receipt must be for (the program id and genesis hash the checker
   * trusts): a v2 receipt naming another one is refused. A v1 receipt binds none and passes.
   */
  deployment?: ReceiptDeployment;
}

/**
 * Checks a receipt and says exactly what is wrong: its shape, the key it names against the
 * expected sequencer key, (when given) the record id and seq the sequencer answered with and,
 * for v2, the deployment, then the ed25519 signature. Returns the parsed receipt; throws
 * INVALID_RECEIPT / BAD_RECEIPT.
 */
export function checkReceipt(receipt: unknown, sequencerKeyHex: string, expected: ReceiptExpectations = {}): Receipt {
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
  if (r.v === 2 && expected.deployment) {
    const d = expected.deployment;
    if (r.programId !== d.programId) {
      fail("BAD_RECEIPT", `receipt is for program ${r.programId}, not the deployment checked (program ${d.programId}): a receipt of another deployment`);
    }
    if (r.genesisHash !== d.genesisHash) {
      fail("BAD_RECEIPT", `receipt is for the cluster with genesis hash ${r.genesisHash}, not the one checked (genesis hash ${d.genesisHash}): a receipt of another deployment`);
    }
  }
  let ok: boolean;
  try {
    ok = ed25519.verify(hexToBytes(r.signature), receiptSignedBytes(r), hexToBytes(sequencerKeyHex), { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) {
    const fields = r.v === 2 ? "id, seq, receivedAt, programId or genesisHash" : "id, seq or receivedAt";
    fail("BAD_RECEIPT", `receipt signature does not verify under the sequencer key ${sequencerKeyHex.slice(0, 16)}… (${fields} altered, or not signed by this sequencer)`);
  }
  return r;
}

/**
 * True when `receipt` is well formed, names `publicKeyHex` and carries its valid ed25519
 * signature (and, for a v2 receipt when `deployment` is given, names that deployment). Never throws.
 */
export function verifyReceipt(receipt: unknown, publicKeyHex: string, deployment?: ReceiptDeployment): boolean {
  try {
    checkReceipt(receipt, publicKeyHex, deployment ? { deployment } : {});
    return true;
  } catch {
    return false;
  }
}
