/**
 * A fast writer for a deterministic, INSECURE, prepared powers-of-tau file (snarkjs .ptau).
 *
 * What it writes is, byte for byte, what these snarkjs commands produce:
 *
 *   snarkjs powersoftau new bn128 <power> new.ptau
 *   snarkjs powersoftau beacon new.ptau beacon.ptau <beaconHash> 10 -n="<DEV_PTAU_CONTRIBUTION_NAME>"
 *   snarkjs powersoftau prepare phase2 beacon.ptau final.ptau
 *
 * with `beaconHash = sha256("provenance/insecure-dev-setup/ptau/v1" || 0x00 || seed)`: tau,
 * alpha and beta are derived from that public beacon exactly as snarkjs derives them
 * (`keyFromBeacon` over the first challenge hash), and the file carries a normal beacon
 * contribution record, named so that anyone inspecting it (`snarkjs powersoftau verify`)
 * sees that it is an insecure dev setup. The secrets are public: anyone can forge proofs
 * against keys built on this file.
 *
 * snarkjs spends its time on per-point scalar multiplications (beacon) and on FFTs over
 * group elements (prepare phase2). Here every point is `s·G` for a scalar known in advance:
 *  - sections 2–6 (tau^i, alpha·tau^i, beta·tau^i): geometric sequences of scalars;
 *  - sections 12–15 (Lagrange bases for every domain 2^p, p <= power): for a domain of size
 *    m with root w, `L_i(tau) = (tau^m - 1)/m · w^i / (tau - w^i)`, i.e. O(m) field
 *    operations with one batch inversion; section 12's extra block (p = power+1) is snarkjs's
 *    inverse FFT of tau^0..tau^(2m-2) with the missing last power set to zero, which is
 *    `L_i(tau) - w^i·tau^(2m-1)/(2m)`;
 * and all points come from batched fixed-base multiplication (trusted-setup/src/fixed-base.ts).
 */
import { createHash } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { buildBn128, ChaCha } from "ffjavascript";
import type { Bn128Curve, WasmElement } from "ffjavascript";
import { blake2b } from "@noble/hashes/blake2b";
import { WasmEngine, chooseWindow } from "./fixed-base.js";
import type { FixedBaseTable, GroupName } from "./fixed-base.js";

/** At most 64 bytes (snarkjs truncates contribution names there). */
export const DEV_PTAU_CONTRIBUTION_NAME = "INSECURE DEV SETUP: tau is public, anyone can forge proofs";
/** snarkjs's smallest allowed beacon iteration exponent: the beacon is public anyway. */
export const DEV_BEACON_ITERATIONS_EXP = 10;
/** snarkjs's Lagrange sections need power + 1 <= 28 (the 2-adicity of the BN254 scalar field). */
export const MAX_DEV_POWER = 27;
/** Bumped whenever the bytes this writer produces could change (part of cache keys). */
export const DEV_PTAU_FORMAT_VERSION = "dev-ptau-v1";

const N8 = 32;
const SG1 = 64; // affine G1, LEM
const SG2 = 128; // affine G2, LEM

export interface DevPtauLogger {
  (msg: string): void;
}

/** The public beacon hash the dev ptau is derived from. */
export function devPtauBeaconHash(seed: string): Uint8Array {
  return new Uint8Array(
    createHash("sha256").update("provenance/insecure-dev-setup/ptau/v1").update(new Uint8Array([0])).update(seed, "utf8").digest(),
  );
}

export interface DevPtauKey {
  /** Scalars in ffjavascript's internal (Montgomery) byte form. */
  tau: WasmElement;
  alpha: WasmElement;
  beta: WasmElement;
  /** The snarkjs contribution public key (proofs of knowledge), affine points. */
  pub: {
    tau: PubKeyPart;
    alpha: PubKeyPart;
    beta: PubKeyPart;
  };
}

interface PubKeyPart {
  g1_s: WasmElement;
  g1_sx: WasmElement;
  g2_spx: WasmElement;
}

/** snarkjs `calculateFirstChallengeHash`: the hash of a fresh accumulator of this power. */
export function firstChallengeHash(curve: Bn128Curve, power: number): Uint8Array {
  const hasher = blake2b.create({ dkLen: 64 });
  const vG1 = new Uint8Array(SG1);
  const vG2 = new Uint8Array(SG2);
  curve.G1.toRprUncompressed(vG1, 0, curve.G1.g);
  curve.G2.toRprUncompressed(vG2, 0, curve.G2.g);
  hasher.update(blake2b.create({ dkLen: 64 }).digest());
  // The digest does not depend on how the input is split into update() calls.
  const repeat = (v: Uint8Array, n: number): void => {
    const block = 4096;
    const big = new Uint8Array(block * v.length);
    for (let i = 0; i < block; i++) big.set(v, i * v.length);
    let left = n;
    while (left >= block) {
      hasher.update(big);
      left -= block;
    }
    if (left > 0) hasher.update(big.subarray(0, left * v.length));
  };
  const n = 2 ** power;
  repeat(vG1, 2 * n - 1);
  repeat(vG2, n);
  repeat(vG1, n);
  repeat(vG1, n);
  hasher.update(vG2);
  return hasher.digest();
}

/** snarkjs `rngFromBeaconParams` (iterated SHA-256, then ChaCha). */
function rngFromBeacon(beaconHash: Uint8Array, numIterationsExp: number): ChaCha {
  if (numIterationsExp < 10 || numIterationsExp > 31) throw new Error("beacon iteration exponent must be in 10..31");
  let h: Uint8Array = beaconHash;
  for (let i = 0; i < 2 ** numIterationsExp; i++) h = new Uint8Array(createHash("sha256").update(h).digest());
  return chachaFromHash(h);
}

function chachaFromHash(h: Uint8Array): ChaCha {
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const seed: number[] = [];
  for (let i = 0; i < 8; i++) seed.push(dv.getUint32(i * 4, false));
  return new ChaCha(seed);
}

/** snarkjs `keyFromBeacon` / `createPTauKey`. */
export function devPtauKey(curve: Bn128Curve, challengeHash: Uint8Array, beaconHash: Uint8Array, numIterationsExp: number): DevPtauKey {
  const rng = rngFromBeacon(beaconHash, numIterationsExp);
  const tau = curve.Fr.fromRng(rng);
  const alpha = curve.Fr.fromRng(rng);
  const beta = curve.Fr.fromRng(rng);
  const part = (prv: WasmElement, personalization: number): PubKeyPart => {
    const g1_s = curve.G1.toAffine(curve.G1.fromRng(rng));
    const g1_sx = curve.G1.toAffine(curve.G1.timesFr(g1_s, prv));
    const h = blake2b.create({ dkLen: 64 });
    h.update(new Uint8Array([personalization]));
    h.update(challengeHash);
    h.update(curve.G1.toUncompressed(g1_s));
    h.update(curve.G1.toUncompressed(g1_sx));
    const g2_sp = curve.G2.toAffine(curve.G2.fromRng(chachaFromHash(h.digest())));
    const g2_spx = curve.G2.toAffine(curve.G2.timesFr(g2_sp, prv));
    return { g1_s, g1_sx, g2_spx };
  };
  const pTau = part(tau, 0);
  const pAlpha = part(alpha, 1);
  const pBeta = part(beta, 2);
  return { tau, alpha, beta, pub: { tau: pTau, alpha: pAlpha, beta: pBeta } };
}

function pubKeyBytes(curve: Bn128Curve, key: DevPtauKey, montgomery: boolean): Uint8Array {
  const out = new Uint8Array(SG1 * 6 + SG2 * 3);
  let pos = 0;
  const g1 = (p: WasmElement): void => {
    if (montgomery) curve.G1.toRprLEM(out, pos, p);
    else curve.G1.toRprUncompressed(out, pos, p);
    pos += SG1;
  };
  const g2 = (p: WasmElement): void => {
    if (montgomery) curve.G2.toRprLEM(out, pos, p);
    else curve.G2.toRprUncompressed(out, pos, p);
    pos += SG2;
  };
  const k = key.pub;
  g1(k.tau.g1_s);
  g1(k.tau.g1_sx);
  g1(k.alpha.g1_s);
  g1(k.alpha.g1_sx);
  g1(k.beta.g1_s);
  g1(k.beta.g1_sx);
  g2(k.tau.g2_spx);
  g2(k.alpha.g2_spx);
  g2(k.beta.g2_spx);
  return out;
}

/** snarkjs `toPartialHash`: the BLAKE2b state, from @noble/hashes internals (as snarkjs does). */
function partialHash(hasher: ReturnType<typeof blake2b.create>): Uint8Array {
  const h = hasher as unknown as Record<string, number> & { buffer: Uint8Array };
  const res = new Uint8Array(216);
  const res32 = new Uint32Array(res.buffer, 128, 22);
  res.set(h.buffer);
  const names = ["v0l", "v0h", "v1l", "v1h", "v2l", "v2h", "v3l", "v3h", "v4l", "v4h", "v5l", "v5h", "v6l", "v6h", "v7l", "v7h"];
  names.forEach((n, i) => (res32[i] = h[n]!));
  res32[18] = h.pos!;
  res32[16] = h.length! - h.pos!;
  return res;
}

/** A scalar producer: fills `count` Montgomery scalars, the ones with index start.., at `pOut`. */
type ScalarSource = (start: number, count: number, pOut: number) => void;

export interface DevPtauResult {
  file: string;
  power: number;
  bytes: number;
  /** blake2b-512 of the contribution response, as `snarkjs powersoftau verify` prints it. */
  responseHash: string;
  seconds: number;
}

/**
 * Writes the prepared dev ptau of `power` to `file`, atomically (a temporary file in the same
 * directory, renamed at the end).
 */
export async function writeDevPtau(
  file: string,
  opts: {
    power: number;
    seed: string;
    log?: DevPtauLogger;
    /** Points computed per batch (memory vs. overhead); the output does not depend on it. */
    chunkPoints?: number;
  },
): Promise<DevPtauResult> {
  const { power, seed } = opts;
  const log = opts.log ?? ((): void => {});
  if (!Number.isInteger(power) || power < 1 || power > MAX_DEV_POWER) {
    throw new RangeError(`ptau power must be an integer in 1..${MAX_DEV_POWER}, got ${power}`);
  }
  const t0 = performance.now();
  const curve = await buildBn128(true);
  const Fr = curve.Fr;
  const eng = await WasmEngine.create(curve);
  const e = eng.exports;
  const n = 2 ** power;

  const beaconHash = devPtauBeaconHash(seed);
  const challenge = firstChallengeHash(curve, power);
  const key = devPtauKey(curve, challenge, beaconHash, DEV_BEACON_ITERATIONS_EXP);
  for (const s of [key.tau, key.alpha, key.beta]) {
    if (Fr.isZero(s)) throw new Error("degenerate dev key (zero scalar): choose another seed");
  }

  const nG1 = 2 * n - 1 + 2 * n + (2 ** (power + 2) - 1) + 2 * (2 * n - 1);
  const nG2 = n + 1 + (2 * n - 1);
  const t1 = eng.buildTable("G1", chooseWindow("G1", nG1));
  const t2 = eng.buildTable("G2", chooseWindow("G2", nG2));
  log(`fixed-base tables ready (G1 window ${t1.window}, G2 window ${t2.window}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Per-chunk buffers. snarkjs's beacon hashes its output in chunks of 2^20 bytes of LEM
  // points; the contribution record stores the hasher's raw state, whose stale buffer bytes
  // depend on that chunking, so sections 2–6 are produced in exactly those chunks.
  const CHUNK = opts.chunkPoints ?? 1 << 14;
  if (!Number.isInteger(CHUNK) || CHUNK < 1) throw new RangeError("chunkPoints must be a positive integer");
  const pFr = eng.alloc(CHUNK * N8 + 8);
  const pFr2 = eng.alloc(CHUNK * N8 + 8);
  const pFr3 = eng.alloc(CHUNK * N8 + 8);
  const pStd = eng.alloc(CHUNK * N8 + 8);
  const pJac = eng.alloc(CHUNK * 3 * 2 * N8);
  const pAff = eng.alloc(CHUNK * SG2);
  const pConv = eng.alloc(CHUNK * SG2);
  const pA = eng.alloc(N8);
  const pB = eng.alloc(N8);
  const pC = eng.alloc(N8);
  const pT = eng.alloc(N8);
  const pW = eng.alloc(N8);
  eng.alloc(0, CHUNK * 2 * N8 + (4 << 20)); // scratch headroom for batch inverse / affine

  const setFr = (p: number, v: WasmElement): void => eng.set(p, v);

  /** first·inc^i */
  const geometric = (first: WasmElement, inc: WasmElement): ScalarSource => (start, count, pOut) => {
    setFr(pA, Fr.mul(first, Fr.exp(inc, BigInt(start))));
    setFr(pB, inc);
    e.frm_copy!(pA, pOut);
    for (let i = 1; i < count; i++) e.frm_mul!(pOut + (i - 1) * N8, pB, pOut + i * N8);
  };

  /**
   * mult · (L_i(tau) [- w^i·tau^(m-1)/m when truncated]) for the domain of size m = 2^p:
   * snarkjs's inverse FFT of [tau^0 .. tau^(m-1)] (or with tau^(m-1) replaced by 0).
   */
  const lagrange = (p: number, mult: WasmElement, truncated: boolean): ScalarSource => {
    const m = 2 ** p;
    const w = Fr.w[p];
    if (!w) throw new Error(`no 2^${p}-th root of unity`);
    const invM = Fr.inv(Fr.e(m));
    const c = Fr.mul(Fr.mul(Fr.sub(Fr.exp(key.tau, BigInt(m)), Fr.one), invM), mult);
    const t = Fr.mul(Fr.mul(Fr.exp(key.tau, BigInt(m - 1)), invM), mult);
    return (start, count, pOut) => {
      setFr(pW, w);
      setFr(pT, key.tau);
      setFr(pC, c);
      setFr(pB, t);
      // pFr2[i] = w^(start+i); pFr3[i] = tau - w^(start+i)
      setFr(pFr2, Fr.exp(w, BigInt(start)));
      for (let i = 0; i < count; i++) {
        const wi = pFr2 + i * N8;
        if (i > 0) e.frm_mul!(wi - N8, pW, wi);
        e.frm_sub!(pT, wi, pFr3 + i * N8);
        if (e.frm_isZero!(pFr3 + i * N8)) throw new Error("degenerate dev key (tau is a root of unity): choose another seed");
      }
      e.frm_batchInverse!(pFr3, N8, count, pFr3, N8);
      for (let i = 0; i < count; i++) {
        const o = pOut + i * N8;
        e.frm_mul!(pFr3 + i * N8, pC, o);
        if (truncated) e.frm_sub!(o, pB, o);
        e.frm_mul!(o, pFr2 + i * N8, o);
      }
    };
  };

  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fh = await open(tmp, "w+");
  try {
    const bytes = await writeBody(fh);
    await fh.sync();
    await fh.close();
    await rename(tmp, file);
    const seconds = (performance.now() - t0) / 1000;
    return { file, power, bytes: bytes.pos, responseHash: bytes.responseHash, seconds };
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }

  async function writeBody(fh: FileHandle): Promise<{ pos: number; responseHash: string }> {
    let pos = 0;
    const write = async (buf: Uint8Array): Promise<void> => {
      await fh.write(buf, 0, buf.length, pos);
      pos += buf.length;
    };
    const u32 = (v: number): Uint8Array => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, v, true);
      return b;
    };
    const u64 = (v: number): Uint8Array => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
      return b;
    };
    const sectionHeader = async (id: number, size: number): Promise<void> => {
      await write(u32(id));
      await write(u64(size));
    };

    const responseHasher = blake2b.create({ dkLen: 64 });
    responseHasher.update(challenge);
    const sectionStart: Record<number, number> = {};
    const firstPoints: Record<number, Uint8Array[]> = {};

    /**
     * Writes `total` points s_i·G (s from `source`) as one section body, generated in chunks of
     * CHUNK points. With `hashChunk > 0`, feeds their compressed form to the response hasher in
     * update() calls of exactly `hashChunk` points (the last one shorter), as snarkjs does.
     */
    const emit = async (group: GroupName, total: number, source: ScalarSource, hashChunk: number): Promise<Uint8Array[]> => {
      const table: FixedBaseTable = group === "G1" ? t1 : t2;
      const sA = group === "G1" ? SG1 : SG2;
      const sC = sA / 2;
      const pre = group === "G1" ? "g1m" : "g2m";
      const first: Uint8Array[] = [];
      const hashBytes = hashChunk * sC;
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flush = (all: boolean): void => {
        while (pendingBytes > 0 && (all || pendingBytes >= hashBytes)) {
          const take = Math.min(hashBytes, pendingBytes);
          const buf = new Uint8Array(take);
          let o = 0;
          const rest: Uint8Array[] = [];
          for (const piece of pending) {
            if (o < take) {
              const k = Math.min(piece.length, take - o);
              buf.set(piece.subarray(0, k), o);
              o += k;
              if (k < piece.length) rest.push(piece.subarray(k));
            } else rest.push(piece);
          }
          pending = rest;
          pendingBytes -= take;
          responseHasher.update(buf);
        }
      };
      for (let s = 0; s < total; s += CHUNK) {
        const cnt = Math.min(CHUNK, total - s);
        source(s, cnt, pFr);
        e.frm_batchFromMontgomery!(pFr, cnt, pStd);
        eng.mulFixed(table, pStd, cnt, pJac, pAff);
        const out = eng.get(pAff, cnt * sA);
        if (s === 0) for (let j = 0; j < Math.min(2, cnt); j++) first.push(out.slice(j * sA, (j + 1) * sA));
        await write(out);
        if (hashChunk > 0) {
          e[`${pre}_batchLEMtoC`]!(pAff, cnt, pConv);
          pending.push(eng.get(pConv, cnt * sC));
          pendingBytes += cnt * sC;
          flush(false);
        }
      }
      if (hashChunk > 0) flush(true);
      return first;
    };

    // --- header (file magic, version 1, 11 sections) and section 1 ---
    const magic = new TextEncoder().encode("ptau");
    await write(magic);
    await write(u32(1));
    await write(u32(11));
    await sectionHeader(1, 4 + N8 + 4 + 4);
    await write(u32(N8));
    const q = new Uint8Array(N8);
    let qq = curve.q;
    for (let i = 0; i < N8; i++) {
      q[i] = Number(qq & 0xffn);
      qq >>= 8n;
    }
    await write(q);
    await write(u32(power));
    await write(u32(power));

    // --- sections 2..6: the beacon's output ---
    const one = Fr.one;
    const g1Chunk = (1 << 20) / SG1;
    const g2Chunk = (1 << 20) / SG2;
    const plain: Array<[number, GroupName, number, ScalarSource, number]> = [
      [2, "G1", 2 * n - 1, geometric(one, key.tau), g1Chunk],
      [3, "G2", n, geometric(one, key.tau), g2Chunk],
      [4, "G1", n, geometric(key.alpha, key.tau), g1Chunk],
      [5, "G1", n, geometric(key.beta, key.tau), g1Chunk],
      [6, "G2", 1, geometric(key.beta, key.tau), g2Chunk],
    ];
    for (const [id, group, count, source, chunk] of plain) {
      const sA = group === "G1" ? SG1 : SG2;
      await sectionHeader(id, count * sA);
      sectionStart[id] = pos;
      firstPoints[id] = await emit(group, count, source, chunk);
      log(`section ${id} written`);
    }

    // --- section 7: the single beacon contribution ---
    const partial = partialHash(responseHasher);
    responseHasher.update(pubKeyBytes(curve, key, false));
    const responseHash = responseHasher.digest();
    const next = blake2b.create({ dkLen: 64 });
    next.update(responseHash);
    for (const [id, group, count] of plain) {
      const sA = group === "G1" ? SG1 : SG2;
      const pre = group === "G1" ? "g1m" : "g2m";
      const start = sectionStart[id]!;
      for (let i = 0; i < count; i += CHUNK) {
        const cnt = Math.min(CHUNK, count - i);
        const buf = new Uint8Array(cnt * sA);
        await fh.read(buf, 0, buf.length, start + i * sA);
        eng.set(pAff, buf);
        e[`${pre}_batchLEMtoU`]!(pAff, cnt, pConv);
        next.update(eng.get(pConv, cnt * sA));
      }
    }
    const nextChallenge = next.digest();
    const name = new TextEncoder().encode(DEV_PTAU_CONTRIBUTION_NAME);
    const params = new Uint8Array([1, name.length, ...name, 2, DEV_BEACON_ITERATIONS_EXP, 3, beaconHash.length, ...beaconHash]);
    const contribution = [
      u32(1), // one contribution
      firstPoints[2]![1]!, // tau·G1
      firstPoints[3]![1]!, // tau·G2
      firstPoints[4]![0]!, // alpha·G1
      firstPoints[5]![0]!, // beta·G1
      firstPoints[6]![0]!, // beta·G2
      pubKeyBytes(curve, key, true),
      partial,
      nextChallenge,
      u32(1), // type: beacon
      u32(params.length),
      params,
    ];
    const contributionSize = contribution.reduce((a, b) => a + b.length, 0);
    await sectionHeader(7, contributionSize);
    for (const b of contribution) await write(b);
    log("section 7 (contribution record) written");

    // --- sections 12..15: Lagrange bases for every domain 2^p, p = 0..power ---
    const lagr: Array<[number, GroupName, WasmElement, number]> = [
      [12, "G1", one, SG1],
      [13, "G2", one, SG2],
      [14, "G1", key.alpha, SG1],
      [15, "G1", key.beta, SG1],
    ];
    for (const [id, group, mult, sA] of lagr) {
      const nPoints = id === 12 ? 2 ** (power + 2) - 1 : 2 ** (power + 1) - 1;
      await sectionHeader(id, nPoints * sA);
      for (let p = 0; p <= power; p++) await emit(group, 2 ** p, lagrange(p, mult, false), 0);
      if (id === 12) await emit(group, 2 ** (power + 1), lagrange(power + 1, mult, true), 0);
      log(`section ${id} written`);
    }

    return { pos, responseHash: Buffer.from(responseHash).toString("hex") };
  }
}
