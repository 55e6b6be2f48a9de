/**
 * The verification core on decoded, range-checked values, and the per-key cache. Callers
 * (`../eddsa.ts`) have already checked types and ranges. Runs on the WebAssembly module of
 * `./wasm.ts`, built once per thread at module load.
 */
import { P, SUBGROUP_ORDER } from "./curve.js";
import { BabyJubWasm } from "./wasm.js";

const wasm = await BabyJubWasm.create();
const ex = wasm.exports;

const N8 = 32;
const POINT = 128;
const KEY_TABLE_BYTES = 64 * 16 * POINT; // 4-bit windows over 256 bits: 128 KiB

// Fixed buffers for one verification at a time (JavaScript is single-threaded per isolate).
const R8X = wasm.alloc(N8);
const R8Y = wasm.alloc(N8);
const SCALAR = wasm.alloc(N8);
const MSG = wasm.alloc(N8);
const TMP = wasm.alloc(N8);
const TMP2 = wasm.alloc(N8);
const ACC = wasm.alloc(POINT);
const PT = wasm.alloc(POINT);
const EIGHT_A = wasm.alloc(POINT);

export interface PreparedKey {
  readonly x: bigint;
  readonly y: bigint;
  /** 8·A is the identity: A has order 1, 2, 4 or 8 (the circuit refuses these). */
  readonly smallOrder: boolean;
  /** SUBGROUP_ORDER·A is the identity. */
  readonly inSubgroup: boolean;
  /** Where A (Montgomery x then y) and the table of multiples of -8A live; 0 when A is
   * refused or its table was evicted from the cache. */
  slot: number;
}

/** k·BASE8 in affine coordinates, for k >= 0. */
export function baseMultiply(k: bigint): { x: bigint; y: bigint } {
  wasm.writeScalar(SCALAR, k % SUBGROUP_ORDER);
  ex.ed_setIdentity(ACC);
  ex.ed_mulTable8(wasm.baseTable, SCALAR, ACC);
  ex.frm_inverse(ACC + 64, TMP);
  ex.frm_mul(ACC, TMP, TMP2);
  const x = wasm.readMont(TMP2);
  ex.frm_mul(ACC + 32, TMP, TMP2);
  return { x, y: wasm.readMont(TMP2) };
}

/**
 * Decodes a packed point's y and sign into affine coordinates, or returns a reason string.
 * Canonical only: y < p. Refuses x = 0 (identity, order 2), as circomlibjs cannot decode it.
 */
export function decodePoint(bytes: Uint8Array, offset: number): { x: bigint; y: bigint } | string {
  const r = decodeToWasm(bytes, offset, R8X, R8Y);
  if (r !== null) return r;
  return { x: wasm.readMont(R8X), y: wasm.readMont(R8Y) };
}

const P_BYTES = (() => {
  const out = new Uint8Array(32);
  let v = P;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
})();

/** y (bit 255 cleared) < p, compared on the little-endian bytes. */
function yIsCanonical(bytes: Uint8Array, offset: number): boolean {
  for (let i = 31; i >= 0; i--) {
    const b = i === 31 ? bytes[offset + i]! & 0x7f : bytes[offset + i]!;
    const pb = P_BYTES[i]!;
    if (b !== pb) return b < pb;
  }
  return false; // equal to p
}

function decodeToWasm(bytes: Uint8Array, offset: number, xPtr: number, yPtr: number): string | null {
  if (!yIsCanonical(bytes, offset)) return "is not canonical: its y coordinate is not below the field modulus";
  const u8 = wasm.bytes;
  u8.set(bytes.subarray(offset, offset + 32), yPtr);
  const sign = u8[yPtr + 31]! >> 7;
  u8[yPtr + 31] = u8[yPtr + 31]! & 0x7f;
  ex.frm_toMontgomery(yPtr, yPtr);
  if (!ex.ed_recoverX(yPtr, sign, xPtr)) return "is not on the BabyJubJub curve (no point has this y)";
  if (ex.frm_isZero(xPtr)) return "is a point with x = 0 (the identity or the point of order 2)";
  return null;
}

const KEY_CACHE_LIMIT = 256;
const keyCache = new Map<string, PreparedKey>();
const freeSlots: number[] = [];

function keyId(x: bigint, y: bigint): string {
  return `${x.toString(36)}:${y.toString(36)}`;
}

/**
 * Checks a public key (given on the curve) once and precomputes its table; later calls with
 * the same point hit a bounded LRU cache. Only keys that pass get a table.
 */
export function prepareKey(x: bigint, y: bigint): PreparedKey {
  const id = keyId(x, y);
  const hit = keyCache.get(id);
  if (hit) {
    keyCache.delete(id);
    keyCache.set(id, hit);
    return hit;
  }
  wasm.writeMont(TMP, x);
  wasm.writeMont(TMP2, y);
  ex.ed_fromAffine(TMP, TMP2, PT);
  // The circuit refuses a key whose 8A is the identity.
  ex.ed_double(PT, EIGHT_A);
  ex.ed_double(EIGHT_A, EIGHT_A);
  ex.ed_double(EIGHT_A, EIGHT_A);
  const smallOrder = ex.ed_isIdentity(EIGHT_A) === 1;
  const inSubgroup = !smallOrder && isIdentityAfterMultiply(PT, SUBGROUP_ORDER);
  const key: PreparedKey = { x, y, smallOrder, inSubgroup, slot: 0 };
  if (!smallOrder && inSubgroup) loadTable(key, id);
  return key;
}

/** Gives `key` a slot holding A and the table of multiples of -8A, and caches it. */
function loadTable(key: PreparedKey, id: string): void {
  if (keyCache.size >= KEY_CACHE_LIMIT) evictOldest();
  const slot = freeSlots.pop() ?? wasm.alloc(2 * N8 + KEY_TABLE_BYTES);
  wasm.writeMont(slot, key.x);
  wasm.writeMont(slot + N8, key.y);
  ex.ed_fromAffine(slot, slot + N8, PT);
  ex.ed_double(PT, EIGHT_A);
  ex.ed_double(EIGHT_A, EIGHT_A);
  ex.ed_double(EIGHT_A, EIGHT_A);
  // -8A: negate X and T.
  ex.frm_neg(EIGHT_A, EIGHT_A);
  ex.frm_neg(EIGHT_A + 96, EIGHT_A + 96);
  wasm.buildTable(EIGHT_A, slot + 2 * N8, 4);
  key.slot = slot;
  keyCache.set(id, key);
}

function evictOldest(): void {
  const oldest = keyCache.keys().next();
  if (oldest.done) return;
  const key = keyCache.get(oldest.value)!;
  keyCache.delete(oldest.value);
  freeSlots.push(key.slot);
  key.slot = 0; // the only object that held this slot lets go of it
}

function isIdentityAfterMultiply(point: number, k: bigint): boolean {
  ex.ed_setIdentity(ACC);
  const bits = k.toString(2);
  for (let i = 0; i < bits.length; i++) {
    ex.ed_double(ACC, ACC);
    if (bits[i] === "1") ex.ed_add(ACC, point, ACC);
  }
  return ex.ed_isIdentity(ACC) === 1;
}

/** A key's slot, reloading its table if the cache evicted it since it was prepared. */
function ensureSlot(key: PreparedKey): number {
  if (key.slot === 0 && !key.smallOrder && key.inSubgroup) {
    const id = keyId(key.x, key.y);
    const other = keyCache.get(id);
    if (other) return other.slot; // prepared again meanwhile, under another object
    loadTable(key, id);
  }
  return key.slot;
}

/**
 * S·B8 == R8 + 8h·A, checked as S·B8 + h·(-8A) == R8. h is not reduced: -8A has order
 * dividing SUBGROUP_ORDER, so the full 254-bit hash gives the same point as the circuit's.
 */
export function verifyPrepared(message: bigint, r8x: bigint, r8y: bigint, S: bigint, key: PreparedKey): boolean {
  const slot = ensureSlot(key);
  if (slot === 0) return false;
  wasm.writeMont(R8X, r8x);
  wasm.writeMont(R8Y, r8y);
  wasm.writeScalar(SCALAR, S);
  wasm.writeMont(MSG, message);
  return ex.ed_verify(R8X, R8Y, SCALAR, slot, slot + N8, MSG, wasm.baseTable, slot + 2 * N8) === 1;
}

/**
 * Verification straight from the 64 packed signature bytes (no bigint round trip for R8):
 * returns false for any non-canonical or off-curve R8, x = 0, or S >= SUBGROUP_ORDER.
 */
export function verifyPackedPrepared(message: bigint, signature: Uint8Array, key: PreparedKey): boolean {
  const slot = ensureSlot(key);
  if (slot === 0) return false;
  if (decodeToWasm(signature, 0, R8X, R8Y) !== null) return false;
  wasm.bytes.set(signature.subarray(32, 64), SCALAR);
  if (wasm.readScalar(SCALAR) >= SUBGROUP_ORDER) return false;
  wasm.writeMont(MSG, message);
  return ex.ed_verify(R8X, R8Y, SCALAR, slot, slot + N8, MSG, wasm.baseTable, slot + 2 * N8) === 1;
}
