/**
 * Signed "dropped" notices: the sequencer's auditable statement that a record it receipted was
 * taken out of a batch and will never be anchored, and why (docs/protocol.md#dropped-notice).
 * The sequencer drops a record only when the batch holding it must be proven again against a
 * registry under which the record's node is no longer a member (an emergency revocation with
 * `retire_previous`): the rest of the batch is re-sealed without it and anchored, and the
 * record gets this notice instead of silence. Shared by the sequencer (which signs them with
 * its receipt key, node:crypto) and every client (which checks them here, with @noble/curves,
 * so it also runs in a browser).
 *
 * The signed message is exactly 142 bytes:
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 21 | ASCII `provenance.dropped.v1` (domain separation) |
 * | 21 | 32 | record id (the leaf), big-endian |
 * | 53 | 8 | seq, u64 BE (the record's receipt seq) |
 * | 61 | 8 | batch, u64 BE: index of the batch the record was taken from |
 * | 69 | 1 | reason code (`DROP_REASON_CODES`) |
 * | 70 | 8 | droppedAt, u64 BE: ms since the epoch, sequencer clock |
 * | 78 | 32 | program id (the 32 bytes of its base58 public key) |
 * | 110 | 32 | genesis hash of the cluster (32 bytes, base58-decoded) |
 *
 * signed with ed25519 (RFC 8032, pure) by the sequencer's receipt key; verified with strict
 * RFC 8032 rules (`zip215: false`).
 */
import { ed25519 } from "@noble/curves/ed25519";
import { fail } from "./errors.js";
import { describe, hexToBytes, hexToField } from "./field.js";
import { base58To32Bytes } from "./receipt.js";

export const DROPPED_DOMAIN = "provenance.dropped.v1";
export const DROPPED_MESSAGE_BYTES = 142;

/** Why a record was dropped, and the byte each reason is signed as. */
export const DROP_REASON_CODES = {
  /**
   * The record's node is not an active member of the registry the batch had to be proven
   * against: it was revoked, and the on-chain roots under which it was still a member were
   * retired (`set_registry_root(…, retire_previous = true)`) before the batch landed.
   */
  NODE_REVOKED: 1,
} as const;

export type DropReason = keyof typeof DROP_REASON_CODES;

export interface DroppedNotice {
  v: 1;
  /** Record id (leaf), 64 hex. */
  id: string;
  /** The record's seq (as in its receipt). */
  seq: number;
  /** Index of the batch the record was taken from. */
  batch: number;
  reason: DropReason;
  /** ms since the epoch, sequencer clock. */
  droppedAt: number;
  /** The program whose log the record will never be in, base58. */
  programId: string;
  /** The cluster's genesis hash, base58. */
  genesisHash: string;
  /** Raw ed25519 public key of the sequencer (its receipt key), 64 hex. */
  sequencerKey: string;
  /** ed25519 signature over `droppedNoticeMessage`, 128 hex. */
  signature: string;
}

/** The fields a notice signs. */
export type DroppedNoticeFields = Pick<DroppedNotice, "id" | "seq" | "batch" | "reason" | "droppedAt" | "programId" | "genesisHash">;

/** The 32 bytes of a base58 program id or genesis hash (the receipts' decoder); RangeError otherwise. */
function base58Field(text: string, what: string): Uint8Array {
  const bytes = typeof text === "string" ? base58To32Bytes(text) : null;
  if (!bytes) throw new RangeError(`${what} must be base58 of 32 bytes, got ${JSON.stringify(text)}`);
  return bytes;
}

function u64(out: Uint8Array, offset: number, value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`notice ${what} must be a non-negative safe integer, got ${value}`);
  new DataView(out.buffer, out.byteOffset, out.byteLength).setBigUint64(offset, BigInt(value), false);
}

/** The 142 signed bytes of a dropped notice (see the table above). Throws RangeError on bad fields. */
export function droppedNoticeMessage(n: DroppedNoticeFields): Uint8Array {
  const leaf = hexToField(n.id, "notice id");
  const code = DROP_REASON_CODES[n.reason];
  if (code === undefined) throw new RangeError(`notice reason must be one of ${Object.keys(DROP_REASON_CODES).join(", ")}, got ${JSON.stringify(n.reason)}`);
  const out = new Uint8Array(DROPPED_MESSAGE_BYTES);
  out.set(new TextEncoder().encode(DROPPED_DOMAIN), 0);
  out.set(hexToBytes(leaf.toString(16).padStart(64, "0")), 21);
  u64(out, 53, n.seq, "seq");
  u64(out, 61, n.batch, "batch");
  out[69] = code;
  u64(out, 70, n.droppedAt, "droppedAt");
  out.set(base58Field(n.programId, "notice programId"), 78);
  out.set(base58Field(n.genesisHash, "notice genesisHash"), 110);
  return out;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const FIELDS = ["v", "id", "seq", "batch", "reason", "droppedAt", "programId", "genesisHash", "sequencerKey", "signature"];

/** Checks the shape of a notice (not its signature); throws INVALID_NOTICE naming the field. */
export function parseDroppedNotice(json: unknown): DroppedNotice {
  if (typeof json !== "object" || json === null || Array.isArray(json)) fail("INVALID_NOTICE", `dropped notice must be a JSON object, got ${describe(json)}`);
  const o = json as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined) fail("INVALID_NOTICE", `dropped notice has an unknown field ${JSON.stringify(unknown)}`);
  if (o.v !== 1) fail("INVALID_NOTICE", `dropped notice version must be 1, got ${JSON.stringify(o.v)}`);
  if (typeof o.id !== "string" || !HEX64.test(o.id)) fail("INVALID_NOTICE", "dropped notice id must be 64 lowercase hex characters");
  for (const k of ["seq", "batch", "droppedAt"] as const) {
    const v = o[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) fail("INVALID_NOTICE", `dropped notice ${k} must be a non-negative integer`);
  }
  if (typeof o.reason !== "string" || !(o.reason in DROP_REASON_CODES)) {
    fail("INVALID_NOTICE", `dropped notice reason must be one of ${Object.keys(DROP_REASON_CODES).join(", ")}, got ${JSON.stringify(o.reason)}`);
  }
  for (const k of ["programId", "genesisHash"] as const) {
    try {
      base58Field(o[k] as string, k);
    } catch {
      fail("INVALID_NOTICE", `dropped notice ${k} must be base58 of 32 bytes`);
    }
  }
  if (typeof o.sequencerKey !== "string" || !HEX64.test(o.sequencerKey)) fail("INVALID_NOTICE", "dropped notice sequencerKey must be 64 lowercase hex characters (a raw ed25519 public key)");
  if (typeof o.signature !== "string" || !HEX128.test(o.signature)) fail("INVALID_NOTICE", "dropped notice signature must be 128 lowercase hex characters");
  return {
    v: 1,
    id: o.id,
    seq: o.seq as number,
    batch: o.batch as number,
    reason: o.reason as DropReason,
    droppedAt: o.droppedAt as number,
    programId: o.programId as string,
    genesisHash: o.genesisHash as string,
    sequencerKey: o.sequencerKey,
    signature: o.signature,
  };
}

/**
 * Checks a dropped notice and says exactly what is wrong: its shape (INVALID_NOTICE), the key
 * it names against the expected sequencer key, the record id and seq when given (its receipt's),
 * the program id and genesis hash when given, and the ed25519 signature (BAD_NOTICE).
 */
export function checkDroppedNotice(
  notice: unknown,
  sequencerKeyHex: string,
  expected: { id?: string; seq?: number; programId?: string; genesisHash?: string } = {},
): DroppedNotice {
  const n = parseDroppedNotice(notice);
  if (!HEX64.test(sequencerKeyHex)) fail("INVALID_NOTICE", "the expected sequencer key must be 64 lowercase hex characters");
  if (n.sequencerKey !== sequencerKeyHex) {
    fail("BAD_NOTICE", `dropped notice is signed by key ${n.sequencerKey.slice(0, 16)}…, not the sequencer's pinned key ${sequencerKeyHex.slice(0, 16)}…`);
  }
  if (expected.id !== undefined && n.id !== expected.id) fail("BAD_NOTICE", `dropped notice is for record ${n.id}, not ${expected.id}`);
  if (expected.seq !== undefined && n.seq !== expected.seq) fail("BAD_NOTICE", `dropped notice says seq ${n.seq}, but the record's receipt says seq ${expected.seq}`);
  if (expected.programId !== undefined && n.programId !== expected.programId) fail("BAD_NOTICE", `dropped notice is for program ${n.programId}, not ${expected.programId}`);
  if (expected.genesisHash !== undefined && n.genesisHash !== expected.genesisHash) {
    fail("BAD_NOTICE", `dropped notice is for the cluster with genesis hash ${n.genesisHash}, not ${expected.genesisHash}`);
  }
  let ok: boolean;
  try {
    ok = ed25519.verify(hexToBytes(n.signature), droppedNoticeMessage(n), hexToBytes(sequencerKeyHex), { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) fail("BAD_NOTICE", `dropped notice signature does not verify under the sequencer key ${sequencerKeyHex.slice(0, 16)}… (a field altered, or not signed by this sequencer)`);
  return n;
}

/** True when `notice` is well formed, names `publicKeyHex` and carries its valid signature. Never throws. */
export function verifyDroppedNotice(notice: unknown, publicKeyHex: string): boolean {
  try {
    checkDroppedNotice(notice, publicKeyHex);
    return true;
  } catch {
    return false;
  }
}
