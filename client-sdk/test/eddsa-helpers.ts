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

export interface LabeledJob {
  label: string;
  message: bigint;
  signature: Uint8Array;
  publicKey: Uint8Array;
  /** The verdict the rules in client-sdk/README.md ("Signatures") require. */
  valid: boolean;
}

function le32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = x;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Packed jobs covering every refusal rule, plus valid ones, for comparing verifiers. */
export async function adversarialJobs(): Promise<LabeledJob[]> {
  const E = await import("../src/eddsa.js");
  const rand = rng(4242);
  const priv = rand(32);
  const A = E.derivePublicKey(priv);
  const pk = E.packPublicKey(A);
  const m = randomField(rand);
  const sig = E.signPoseidon(priv, m);
  const packed = E.packSignature(sig);
  const small = smallOrderPoints();
  const jobs: LabeledJob[] = [
    { label: "valid", message: m, signature: packed, publicKey: pk, valid: true },
    { label: "wrong message", message: (m + 1n) % P, signature: packed, publicKey: pk, valid: false },
    { label: "message + p", message: m + P, signature: packed, publicKey: pk, valid: false },
    { label: "wrong key", message: m, signature: packed, publicKey: E.packPublicKey(E.derivePublicKey(rand(32))), valid: false },
    { label: "all-zero signature and key", message: m, signature: new Uint8Array(64), publicKey: new Uint8Array(32), valid: false },
    { label: "all-zero key (order 4)", message: m, signature: packed, publicKey: new Uint8Array(32), valid: false },
  ];
  const withS = (S: bigint): Uint8Array => {
    const b = packed.slice();
    b.set(le32(S), 32);
    return b;
  };
  jobs.push({ label: "S + l", message: m, signature: withS(sig.S + SUBGROUP_ORDER), publicKey: pk, valid: false });
  jobs.push({ label: "S = 2^256 - 1", message: m, signature: withS((1n << 256n) - 1n), publicKey: pk, valid: false });
  const nonCanon = (bytes: Uint8Array): Uint8Array => {
    const sign = bytes[31]! & 0x80;
    const y = bytesToBigLE(bytes.slice(0, 31)) | (BigInt(bytes[31]! & 0x7f) << 248n);
    const out = le32(y + P);
    out[31] = out[31]! | sign;
    return out;
  };
  jobs.push({ label: "key y + p", message: m, signature: packed, publicKey: nonCanon(pk), valid: false });
  const sigNonCanon = packed.slice();
  sigNonCanon.set(nonCanon(packed.subarray(0, 32)), 0);
  jobs.push({ label: "R8 y + p", message: m, signature: sigNonCanon, publicKey: pk, valid: false });
  const S = 1234567n;
  const b8 = toExtended(
    5299619240641551281634865583518297030282874472190772894086521144482721001553n,
    16950150798460657717958625567821834550301663161624707787222815936182638968203n,
  );
  const R8 = toAffine(multiply(b8, S));
  for (const order of [4, 8] as const) {
    jobs.push({
      label: `forgery under a key of order ${order}`,
      message: m,
      signature: E.packSignature({ R8, S }),
      publicKey: E.packPublicKey(small[order]),
      valid: false,
    });
    const torsioned = addPoints(A, small[order]);
    jobs.push({
      label: `signature under A + torsion of order ${order}`,
      message: m,
      signature: E.packSignature(signForKey(priv, m, torsioned, 55n)),
      publicKey: E.packPublicKey(torsioned),
      valid: false,
    });
  }
  jobs.push({
    label: "same construction under A itself",
    message: m,
    signature: E.packSignature(signForKey(priv, m, A, 55n)),
    publicKey: pk,
    valid: true,
  });
  const ySignOnZero = new Uint8Array(32);
  ySignOnZero[0] = 1;
  ySignOnZero[31] = 0x80;
  jobs.push({ label: "sign bit on x = 0", message: m, signature: packed, publicKey: ySignOnZero, valid: false });
  for (let i = 0; i < 20; i++) {
    jobs.push({ label: `random bytes #${i}`, message: m, signature: rand(64), publicKey: rand(32), valid: false });
  }
  return jobs;
}
