/**
 * Shared by the EdDSA tests: circomlibjs as the reference, and adversarial points built
 * with the BigInt curve code (independent of the WebAssembly verifier under test).
 */
import { buildEddsa, type Eddsa, type Point as CPoint } from "circomlibjs";
import type { Point, Signature } from "../src/eddsa.js";
import {
  P,
  SUBGROUP_ORDER,
  add,
  isIdentity,
  multiply,
  recoverX,
  toAffine,
  toExtended,
} from "../src/eddsa/curve.js";
import { poseidon } from "../src/field.js";
import { blake512 } from "../src/eddsa/blake512.js";

let eddsaPromise: Promise<Eddsa> | undefined;
export function circomlib(): Promise<Eddsa> {
  eddsaPromise ??= buildEddsa();
  return eddsaPromise;
}

export function toC(e: Eddsa, pt: Point): CPoint {
  return [e.F.e(pt.x), e.F.e(pt.y)];
}

export function fromC(e: Eddsa, pt: CPoint): Point {
  return { x: e.F.toObject(pt[0]), y: e.F.toObject(pt[1]) };
}

/** A deterministic pseudo-random generator (xorshift), so failures reproduce. */
export function rng(seed: number): (n: number) => Uint8Array {
  let s = BigInt(seed) | 1n;
  const mask = (1n << 64n) - 1n;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= (s << 13n) & mask;
      s ^= s >> 7n;
      s ^= (s << 17n) & mask;
      out[i] = Number(s & 0xffn);
    }
    return out;
  };
}

export function bytesToBigLE(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

export function randomField(rand: (n: number) => Uint8Array): bigint {
  return bytesToBigLE(rand(32)) % P;
}

/** A point of order exactly 8 (generates the curve's torsion subgroup). */
export function torsionGenerator(): Point {
  const rand = rng(8);
  for (;;) {
    const y = randomField(rand);
    const x = recoverX(y, false);
    if (x === null) continue;
    const t = multiply(toExtended(x, y), SUBGROUP_ORDER); // kills the prime-order part
    const t4 = multiply(t, 4n);
    if (!isIdentity(t4)) return toAffine(t); // order 8
  }
}

/** The small-order points of orders 1, 2, 4 and 8. */
export function smallOrderPoints(): Record<1 | 2 | 4 | 8, Point> {
  const t8 = torsionGenerator();
  const e = toExtended(t8.x, t8.y);
  return {
    1: { x: 0n, y: 1n },
    2: toAffine(multiply(e, 4n)),
    4: toAffine(multiply(e, 2n)),
    8: t8,
  };
}

export function addPoints(a: Point, b: Point): Point {
  return toAffine(add(toExtended(a.x, a.y), toExtended(b.x, b.y)));
}

/**
 * Signs like circomlibjs but hashes the given public key `Aused` instead of the key derived
 * from `priv`: with Aused = A + (torsion point), this is a signature that circomlibjs and the
 * circuit accept for the torsioned key.
 */
export function signForKey(priv: Uint8Array, message: bigint, Aused: Point, nonce: bigint): Signature {
  const h = blake512(priv);
  h[0] = h[0]! & 0xf8;
  h[31] = (h[31]! & 0x7f) | 0x40;
  const s = bytesToBigLE(h.subarray(0, 32));
  const r = nonce % SUBGROUP_ORDER;
  const b8 = toExtended(
    5299619240641551281634865583518297030282874472190772894086521144482721001553n,
    16950150798460657717958625567821834550301663161624707787222815936182638968203n,
  );
  const R8 = toAffine(multiply(b8, r));
  const hm = poseidon([R8.x, R8.y, Aused.x, Aused.y, message]);
  return { R8, S: (r + hm * s) % SUBGROUP_ORDER };
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}
