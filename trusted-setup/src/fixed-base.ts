/**
 * Batched fixed-base scalar multiplication on BN254 G1/G2, in a private instance of
 * ffjavascript's own WASM engine (the same code snarkjs computes with, Montgomery form).
 *
 * Every point of a deterministic powers-of-tau file is `s·G` for a known scalar `s` and the
 * group generator `G`. With a table `T[k][d] = d·2^(w·k)·G` (affine), `s·G` is the sum of one
 * table entry per w-bit window of `s`: ceil(254/w) mixed additions, no doublings, instead of
 * the ~380 group operations of a generic scalar multiplication. Results come out as affine
 * points in snarkjs's "LEM" layout (little-endian Montgomery x, y), exactly what a .ptau file
 * stores, so they can be written without conversion.
 *
 * Additions never meet the doubling or inverse case: windows are added from the least
 * significant up, so before window k the accumulator is `s_low·G` with `0 <= s_low < 2^(wk)`,
 * and the entry added is `d·2^(wk)·G` with `s_low + d·2^(wk) <= s < r`.
 */
import type { Bn128Curve } from "ffjavascript";

/** Scalars are at most 254 bits (the BN254 scalar field has a 254-bit modulus). */
const SCALAR_BITS = 254;
const N8 = 32; // bytes per base-field / scalar-field element

export type GroupName = "G1" | "G2";

interface WasmExports {
  [name: string]: (...args: number[]) => number;
}

// The project's TypeScript lib set has no WebAssembly declarations: the few used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance {
  readonly exports: unknown;
}
interface WasmApi {
  Memory: new (desc: { initial: number }) => WasmMemory;
  compile(code: Uint8Array): Promise<unknown>;
  instantiate(module: unknown, imports: unknown): Promise<WasmInstance>;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface FixedBaseTable {
  group: GroupName;
  window: number;
  nWindows: number;
  /** Pointer of entry (k, d), d = 0 unused. */
  base: number;
  stride: number; // bytes per affine point
}

export class WasmEngine {
  readonly exports: WasmExports;
  private readonly memory: WasmMemory;
  private u8cache: Uint8Array;
  readonly pG1gen: number;
  readonly pG2gen: number;

  private constructor(instance: WasmInstance, memory: WasmMemory, curve: Bn128Curve) {
    this.exports = instance.exports as unknown as WasmExports;
    this.memory = memory;
    this.u8cache = new Uint8Array(memory.buffer);
    this.pG1gen = curve.tm.pG1gen;
    this.pG2gen = curve.tm.pG2gen;
  }

  /** A private engine instance built from a single-threaded ffjavascript curve's WASM code. */
  static async create(curve: Bn128Curve): Promise<WasmEngine> {
    const code = curve.tm.code;
    if (!code) throw new Error("fixed-base engine needs a single-threaded ffjavascript curve (buildBn128(true))");
    const memory = new WA.Memory({ initial: 32 });
    const module = await WA.compile(code);
    const instance = await WA.instantiate(module, { env: { memory } });
    return new WasmEngine(instance, memory, curve);
  }

  get u8(): Uint8Array {
    if (this.u8cache.buffer !== this.memory.buffer) this.u8cache = new Uint8Array(this.memory.buffer);
    return this.u8cache;
  }

  /** Free pointer: the engine's own scratch (batch inverse, batch affine) is taken above it. */
  get freePointer(): number {
    return new Uint32Array(this.memory.buffer, 0, 1)[0] ?? 0;
  }

  set freePointer(p: number) {
    new Uint32Array(this.memory.buffer, 0, 1)[0] = p;
  }

  /**
   * Bump-allocates `bytes` (8-aligned) and makes sure `scratch` more bytes stay addressable
   * above the allocation for the engine's internal temporaries.
   */
  alloc(bytes: number, scratch = 1 << 20): number {
    const p = (this.freePointer + 7) & ~7;
    this.ensure(p + bytes + scratch);
    this.freePointer = p + bytes;
    return p;
  }

  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }

  set(p: number, data: Uint8Array): void {
    this.u8.set(data, p);
  }

  get(p: number, length: number): Uint8Array {
    return this.u8.slice(p, p + length);
  }

  /**
   * Builds the table for `group`'s generator with window `w`. Entry rows are computed in
   * Jacobian form by repeated addition and normalised with one batch inversion per row.
   */
  buildTable(group: GroupName, w: number): FixedBaseTable {
    const e = this.exports;
    const pre = group === "G1" ? "g1m" : "g2m";
    const fN8 = group === "G1" ? N8 : 2 * N8;
    const sJ = 3 * fN8;
    const sA = 2 * fN8;
    const nWindows = Math.ceil(SCALAR_BITS / w);
    const rowLen = 1 << w;
    const base = this.alloc(nWindows * rowLen * sA);
    const pRow = this.alloc(rowLen * sJ, rowLen * sJ + (1 << 20));
    const pB = this.alloc(sJ);
    const gen = group === "G1" ? this.pG1gen : this.pG2gen;
    e[`${pre}_copy`]!(gen, pB); // 2^(w·0)·G, Jacobian (the generator is stored with z = 1)
    for (let k = 0; k < nWindows; k++) {
      e[`${pre}_zero`]!(pRow); // d = 0: the point at infinity (never read)
      for (let d = 1; d < rowLen; d++) {
        if (d === 1) e[`${pre}_copy`]!(pB, pRow + sJ);
        else if (d === 2) e[`${pre}_double`]!(pB, pRow + 2 * sJ);
        else e[`${pre}_add`]!(pRow + (d - 1) * sJ, pB, pRow + d * sJ);
      }
      e[`${pre}_batchToAffine`]!(pRow, rowLen, base + k * rowLen * sA);
      // next window's base: 2^w · B
      for (let i = 0; i < w; i++) e[`${pre}_double`]!(pB, pB);
    }
    // The row scratch is no longer needed: keep only the table.
    this.freePointer = base + nWindows * rowLen * sA;
    return { group, window: w, nWindows, base, stride: sA };
  }

  /**
   * `n` scalars (standard form, 32 bytes little-endian each, < r) at `pScalars` times the
   * table's generator; affine LEM points written at `pOut`. Uses `pJac` (n Jacobian points)
   * as scratch.
   */
  mulFixed(t: FixedBaseTable, pScalars: number, n: number, pJac: number, pOut: number): void {
    const e = this.exports;
    const pre = t.group === "G1" ? "g1m" : "g2m";
    const addMixed = e[`${pre}_addMixed`]!;
    const zero = e[`${pre}_zero`]!;
    const sJ = (t.stride / 2) * 3;
    const w = t.window;
    const mask = (1 << w) - 1;
    const rowBytes = (1 << w) * t.stride;
    const u8 = this.u8;
    for (let i = 0; i < n; i++) {
      const ps = pScalars + i * N8;
      const acc = pJac + i * sJ;
      zero(acc);
      for (let k = 0; k < t.nWindows; k++) {
        const bit = k * w;
        const o = ps + (bit >>> 3);
        // Bytes past the scalar's 32 belong to the next one (or padding): mask them off.
        const avail = N8 * 8 - bit;
        const m = avail < w ? (1 << avail) - 1 : mask;
        const word = (u8[o]! | (u8[o + 1]! << 8) | (u8[o + 2]! << 16) | (u8[o + 3]! << 24)) >>> (bit & 7);
        const d = word & m;
        if (d !== 0) addMixed(acc, t.base + k * rowBytes + d * t.stride, acc);
      }
    }
    e[`${pre}_batchToAffine`]!(pJac, n, pOut);
  }
}

/**
 * Window size minimising table cost (about two additions per entry) plus per-point cost,
 * with the table capped at `maxTableBytes`.
 */
export function chooseWindow(group: GroupName, nPoints: number, maxTableBytes = 48 << 20): number {
  const sA = group === "G1" ? 2 * N8 : 4 * N8;
  let best = 4;
  let bestCost = Infinity;
  for (let w = 2; w <= 16; w++) {
    const nWin = Math.ceil(SCALAR_BITS / w);
    if (nWin * (1 << w) * sA > maxTableBytes) break;
    const cost = 2 * nWin * (1 << w) + nPoints * nWin;
    if (cost < bestCost) {
      bestCost = cost;
      best = w;
    }
  }
  return best;
}
