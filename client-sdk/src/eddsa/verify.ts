/**
 * The verification core on decoded, range-checked values, and the per-key cache. Callers
 * (`../eddsa.ts`) have already checked types, ranges and curve membership.
 */
import { poseidon } from "../field.js";
import {
  BASE8_X,
  BASE8_Y,
  IDENTITY,
  SUBGROUP_ORDER,
  add,
  double,
  equalsAffine,
  isIdentity,
  multiply,
  negate,
  toAffine,
  toExtended,
  type Extended,
} from "./curve.js";

export interface PreparedKey {
  readonly x: bigint;
  readonly y: bigint;
  /** 8·A is the identity: A has order 1, 2, 4 or 8. */
  readonly smallOrder: boolean;
  /** SUBGROUP_ORDER·A is the identity. */
  readonly inSubgroup: boolean;
  /** Multiples j·2^(4i)·(-8A), j = 0..15, for the variable-base half of verification. */
  readonly table: Extended[][];
}

const WINDOWS = 64; // 4-bit windows cover 256 bits

function windowTable(base: Extended): Extended[][] {
  const rows: Extended[][] = [];
  let b = base;
  for (let i = 0; i < WINDOWS; i++) {
    const row: Extended[] = [IDENTITY, b];
    for (let j = 2; j < 16; j++) row.push(add(row[j - 1]!, b));
    rows.push(row);
    b = double(double(double(double(b))));
  }
  return rows;
}

/** k·base from a window table: one addition per non-zero 4-bit digit, no doublings. */
function tableMultiply(table: Extended[][], k: bigint): Extended {
  let acc = IDENTITY;
  let e = k;
  for (let i = 0; e > 0n; i++) {
    const digit = Number(e & 15n);
    if (digit !== 0) acc = add(acc, table[i]![digit]!);
    e >>= 4n;
  }
  return acc;
}

const BASE8_TABLE = windowTable(toExtended(BASE8_X, BASE8_Y));

/** k·BASE8 in affine coordinates, for k >= 0. */
export function baseMultiply(k: bigint): { x: bigint; y: bigint } {
  return toAffine(tableMultiply(BASE8_TABLE, k % SUBGROUP_ORDER));
}

const KEY_CACHE_LIMIT = 256;
const keyCache = new Map<string, PreparedKey>();

/** Checks and precomputes a public key once; later calls with the same point are cached. */
export function prepareKey(x: bigint, y: bigint): PreparedKey {
  const id = `${x.toString(36)}:${y.toString(36)}`;
  const hit = keyCache.get(id);
  if (hit) return hit;
  const A = toExtended(x, y);
  const eightA = double(double(double(A)));
  const key: PreparedKey = {
    x,
    y,
    smallOrder: isIdentity(eightA),
    inSubgroup: isIdentity(multiply(A, SUBGROUP_ORDER)),
    table: windowTable(negate(eightA)),
  };
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
  keyCache.set(id, key);
  return key;
}

/** S·B8 == R8 + 8h·A, checked as S·B8 + h·(-8A) == R8 (h reduced mod the subgroup order:
 * 8A has order dividing it). */
export function verifyPrepared(message: bigint, r8x: bigint, r8y: bigint, S: bigint, key: PreparedKey): boolean {
  const h = poseidon([r8x, r8y, key.x, key.y, message]) % SUBGROUP_ORDER;
  const q = add(tableMultiply(BASE8_TABLE, S), tableMultiply(key.table, h));
  return equalsAffine(q, r8x, r8y);
}
