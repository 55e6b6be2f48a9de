/**
 * The fast BabyJubJub verifier: one WebAssembly module, generated at load time with the same
 * tools circomlibjs uses for its own WASM (wasmbuilder; wasmcurves's Montgomery field for the
 * BN254 scalar field; circomlibjs's Poseidon builder), plus extended-coordinate Edwards
 * arithmetic written here. Everything a verification needs runs inside the module on
 * pointers, so no field element crosses into JavaScript on the hot path.
 *
 * Memory layout: a field element is 32 bytes little-endian in Montgomery form; a point in
 * extended coordinates (X, Y, Z, T) is 128 bytes; scalars are 32 bytes little-endian in
 * normal form. Tables of precomputed multiples live after the module's static data.
 *
 * Pinned: circomlibjs 0.1.7, wasmcurves 0.2.2, wasmbuilder 0.0.16 (undocumented internals).
 * The agreement tests against circomlibjs fail if an upgrade changes their behaviour.
 */
import { ModuleBuilder } from "wasmbuilder";
import buildF1m from "wasmcurves/src/build_f1m.js";
import { buildPoseidonWasm } from "circomlibjs";
import { BASE8_X, BASE8_Y, CURVE_A, CURVE_D, P, powMod } from "./curve.js";

const N8 = 32;
const POINT = 128;

// The WebAssembly global, typed here: the project's lib setting (ES2022, no DOM) omits it.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: object } }>;
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const R_MONT = (1n << 256n) % P;

function le(x: bigint, n = N8): Uint8Array {
  const out = new Uint8Array(n);
  let v = x;
  for (let i = 0; i < n; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export interface BabyJubExports {
  frm_toMontgomery(a: number, r: number): void;
  frm_fromMontgomery(a: number, r: number): void;
  frm_mul(a: number, b: number, r: number): void;
  frm_inverse(a: number, r: number): void;
  frm_isZero(a: number): number;
  frm_neg(a: number, r: number): void;
  frm_copy(a: number, r: number): void;
  frm_zero(r: number): void;
  frm_one(r: number): void;
  poseidon(pState: number, pIn: number, n: number, pOut: number, nOut: number): void;
  ed_add(p: number, q: number, r: number): void;
  ed_double(p: number, r: number): void;
  ed_setIdentity(r: number): void;
  ed_isIdentity(p: number): number;
  ed_fromAffine(x: number, y: number, r: number): void;
  ed_mulTable8(table: number, scalar: number, r: number): void;
  ed_mulTable4(table: number, scalar: number, r: number): void;
  ed_recoverX(y: number, sign: number, x: number): number;
  ed_isOnCurve(x: number, y: number): number;
  ed_verify(r8x: number, r8y: number, s: number, ax: number, ay: number, m: number, baseTable: number, keyTable: number): number;
}

function buildModule(): { bytes: Uint8Array; staticEnd: number } {
  const module = new ModuleBuilder();
  module.setMemory(64);
  buildF1m(module, P, "frm");
  buildPoseidonWasm(module);
  const pOne = module.modules["frm"]!.pOne;
  const pA = module.alloc(le((CURVE_A * R_MONT) % P));
  const pD = module.alloc(le((CURVE_D * R_MONT) % P));
  // Tonelli–Shanks: p - 1 = 2^28 · t; 5 is a non-residue.
  const twoAdicity = 28;
  const t = (P - 1n) >> 28n;
  const pTm1o2 = module.alloc(le((t - 1n) >> 1n));
  const pNqrToT = module.alloc(le((powMod(5n, t) * R_MONT) % P));
  const tmp = (): number => module.alloc(N8);

  // add-2008-hwcd for a·x² + y² = 1 + d·x²·y²: complete, and safe when r aliases p or q
  // because every read of p and q happens before the first write to r.
  {
    const f = module.addFunction("ed_add");
    f.addParam("p", "i32");
    f.addParam("q", "i32");
    f.addParam("r", "i32");
    const c = f.getCodeBuilder();
    const [A, B, C, D, E, F, G, H, T1, T2] = Array.from({ length: 10 }, () => c.i32_const(tmp()));
    const at = (name: string, off: number): number[] => c.i32_add(c.getLocal(name), c.i32_const(off));
    const X1 = at("p", 0), Y1 = at("p", 32), Z1 = at("p", 64), Tp = at("p", 96);
    const X2 = at("q", 0), Y2 = at("q", 32), Z2 = at("q", 64), Tq = at("q", 96);
    f.addCode(
      c.call("frm_mul", X1, X2, A!),
      c.call("frm_mul", Y1, Y2, B!),
      c.call("frm_mul", Tp, Tq, C!),
      c.call("frm_mul", C!, c.i32_const(pD), C!),
      c.call("frm_mul", Z1, Z2, D!),
      c.call("frm_add", X1, Y1, T1!),
      c.call("frm_add", X2, Y2, T2!),
      c.call("frm_mul", T1!, T2!, E!),
      c.call("frm_sub", E!, A!, E!),
      c.call("frm_sub", E!, B!, E!),
      c.call("frm_sub", D!, C!, F!),
      c.call("frm_add", D!, C!, G!),
      c.call("frm_mul", A!, c.i32_const(pA), H!),
      c.call("frm_sub", B!, H!, H!),
      c.call("frm_mul", E!, F!, at("r", 0)),
      c.call("frm_mul", G!, H!, at("r", 32)),
      c.call("frm_mul", F!, G!, at("r", 64)),
      c.call("frm_mul", E!, H!, at("r", 96)),
    );
  }
  // dbl-2008-hwcd.
  {
    const f = module.addFunction("ed_double");
    f.addParam("p", "i32");
    f.addParam("r", "i32");
    const c = f.getCodeBuilder();
    const [A, B, C, D, E, F, G, H, T1] = Array.from({ length: 9 }, () => c.i32_const(tmp()));
    const at = (name: string, off: number): number[] => c.i32_add(c.getLocal(name), c.i32_const(off));
    const X1 = at("p", 0), Y1 = at("p", 32), Z1 = at("p", 64);
    f.addCode(
      c.call("frm_square", X1, A!),
      c.call("frm_square", Y1, B!),
      c.call("frm_square", Z1, C!),
      c.call("frm_add", C!, C!, C!),
      c.call("frm_mul", A!, c.i32_const(pA), D!),
      c.call("frm_add", X1, Y1, T1!),
      c.call("frm_square", T1!, E!),
      c.call("frm_sub", E!, A!, E!),
      c.call("frm_sub", E!, B!, E!),
      c.call("frm_add", D!, B!, G!),
      c.call("frm_sub", G!, C!, F!),
      c.call("frm_sub", D!, B!, H!),
      c.call("frm_mul", E!, F!, at("r", 0)),
      c.call("frm_mul", G!, H!, at("r", 32)),
      c.call("frm_mul", F!, G!, at("r", 64)),
      c.call("frm_mul", E!, H!, at("r", 96)),
    );
  }
  {
    const f = module.addFunction("ed_setIdentity");
    f.addParam("r", "i32");
    const c = f.getCodeBuilder();
    const at = (off: number): number[] => c.i32_add(c.getLocal("r"), c.i32_const(off));
    f.addCode(
      c.call("frm_zero", at(0)),
      c.call("frm_copy", c.i32_const(pOne), at(32)),
      c.call("frm_copy", c.i32_const(pOne), at(64)),
      c.call("frm_zero", at(96)),
    );
  }
  {
    // X == 0 and Y == Z.
    const f = module.addFunction("ed_isIdentity");
    f.addParam("p", "i32");
    f.setReturnType("i32");
    const c = f.getCodeBuilder();
    const at = (off: number): number[] => c.i32_add(c.getLocal("p"), c.i32_const(off));
    f.addCode(
      c.if(c.i32_eqz(c.call("frm_isZero", at(0))), c.ret(c.i32_const(0))),
      c.ret(c.call("frm_eq", at(32), at(64))),
    );
  }
  {
    const f = module.addFunction("ed_fromAffine");
    f.addParam("x", "i32");
    f.addParam("y", "i32");
    f.addParam("r", "i32");
    const c = f.getCodeBuilder();
    const at = (off: number): number[] => c.i32_add(c.getLocal("r"), c.i32_const(off));
    const T = c.i32_const(tmp());
    f.addCode(
      c.call("frm_mul", c.getLocal("x"), c.getLocal("y"), T),
      c.call("frm_copy", c.getLocal("x"), at(0)),
      c.call("frm_copy", c.getLocal("y"), at(32)),
      c.call("frm_copy", c.i32_const(pOne), at(64)),
      c.call("frm_copy", T, at(96)),
    );
  }
  // r += Σ table[i][digit_i]: rows of 2^w points j·(2^w)^i·B, one addition per non-zero digit.
  for (const w of [4, 8]) {
    const f = module.addFunction(`ed_mulTable${w}`);
    f.addParam("table", "i32");
    f.addParam("scalar", "i32");
    f.addParam("r", "i32");
    f.addLocal("i", "i32");
    f.addLocal("digit", "i32");
    const c = f.getCodeBuilder();
    const windows = 256 / w;
    const digitCode =
      w === 8
        ? c.i32_load8_u(c.i32_add(c.getLocal("scalar"), c.getLocal("i")))
        : c.i32_and(
            c.i32_shr_u(
              c.i32_load8_u(c.i32_add(c.getLocal("scalar"), c.i32_shr_u(c.getLocal("i"), c.i32_const(1)))),
              c.i32_shl(c.i32_and(c.getLocal("i"), c.i32_const(1)), c.i32_const(2)),
            ),
            c.i32_const(15),
          );
    f.addCode(
      c.setLocal("i", c.i32_const(0)),
      c.block(
        c.loop(
          c.br_if(1, c.i32_eq(c.getLocal("i"), c.i32_const(windows))),
          c.setLocal("digit", digitCode),
          c.if(
            c.getLocal("digit"),
            c.call(
              "ed_add",
              c.getLocal("r"),
              c.i32_add(
                c.getLocal("table"),
                c.i32_mul(
                  c.i32_add(c.i32_mul(c.getLocal("i"), c.i32_const(1 << w)), c.getLocal("digit")),
                  c.i32_const(POINT),
                ),
              ),
              c.getLocal("r"),
            ),
          ),
          c.setLocal("i", c.i32_add(c.getLocal("i"), c.i32_const(1))),
          c.br(0),
        ),
      ),
    );
  }
  // Square root by Tonelli–Shanks with one exponentiation, returning 0 for a non-square
  // instead of looping (wasmcurves's frm_sqrt never returns on a non-square). On success,
  // writes the root that is <= (p - 1) / 2.
  {
    const f = module.addFunction("ed_sqrt");
    f.addParam("n", "i32");
    f.addParam("r", "i32");
    f.setReturnType("i32");
    f.addLocal("m", "i32");
    f.addLocal("i", "i32");
    f.addLocal("j", "i32");
    const c = f.getCodeBuilder();
    const ONE = c.i32_const(pOne);
    const [W, R, T, C, SQ, B] = Array.from({ length: 6 }, () => c.i32_const(tmp()));
    f.addCode(
      c.if(c.call("frm_isZero", c.getLocal("n")), [...c.call("frm_zero", c.getLocal("r")), ...c.ret(c.i32_const(1))]),
      c.call("frm_exp", c.getLocal("n"), c.i32_const(pTm1o2), c.i32_const(N8), W!),
      c.call("frm_mul", c.getLocal("n"), W!, R!), // n^((t+1)/2)
      c.call("frm_mul", R!, W!, T!), // n^t
      c.call("frm_copy", c.i32_const(pNqrToT), C!),
      c.setLocal("m", c.i32_const(twoAdicity)),
      c.block(
        c.loop(
          c.br_if(1, c.call("frm_eq", T!, ONE)),
          c.call("frm_square", T!, SQ!),
          c.setLocal("i", c.i32_const(1)),
          c.block(
            c.loop(
              c.br_if(1, c.call("frm_eq", SQ!, ONE)),
              c.setLocal("i", c.i32_add(c.getLocal("i"), c.i32_const(1))),
              // T's order reached 2^m: n is not a square.
              c.if(c.i32_ge_u(c.getLocal("i"), c.getLocal("m")), c.ret(c.i32_const(0))),
              c.call("frm_square", SQ!, SQ!),
              c.br(0),
            ),
          ),
          c.call("frm_copy", C!, B!),
          c.setLocal("j", c.i32_sub(c.i32_sub(c.getLocal("m"), c.getLocal("i")), c.i32_const(1))),
          c.block(
            c.loop(
              c.br_if(1, c.i32_eqz(c.getLocal("j"))),
              c.call("frm_square", B!, B!),
              c.setLocal("j", c.i32_sub(c.getLocal("j"), c.i32_const(1))),
              c.br(0),
            ),
          ),
          c.setLocal("m", c.getLocal("i")),
          c.call("frm_square", B!, C!),
          c.call("frm_mul", T!, C!, T!),
          c.call("frm_mul", R!, B!, R!),
          c.br(0),
        ),
      ),
      c.if(
        c.call("frm_isNegative", R!),
        c.call("frm_neg", R!, c.getLocal("r")),
        c.call("frm_copy", R!, c.getLocal("r")),
      ),
      c.ret(c.i32_const(1)),
    );
  }
  // x from y and the sign bit: returns 0 when no point has this y. With sign set, writes the
  // root above (p - 1) / 2 (so x = 0 stays 0: the caller refuses x = 0 anyway).
  {
    const f = module.addFunction("ed_recoverX");
    f.addParam("y", "i32");
    f.addParam("sign", "i32");
    f.addParam("x", "i32");
    f.setReturnType("i32");
    const c = f.getCodeBuilder();
    const [Y2, NUM, DEN] = Array.from({ length: 3 }, () => c.i32_const(tmp()));
    f.addCode(
      c.call("frm_square", c.getLocal("y"), Y2!),
      c.call("frm_sub", c.i32_const(pOne), Y2!, NUM!),
      c.call("frm_mul", Y2!, c.i32_const(pD), DEN!),
      c.call("frm_sub", c.i32_const(pA), DEN!, DEN!),
      // a - d·y² is never 0 (a/d is not a square); checked anyway before inverting.
      c.if(c.call("frm_isZero", DEN!), c.ret(c.i32_const(0))),
      c.call("frm_inverse", DEN!, DEN!),
      c.call("frm_mul", NUM!, DEN!, NUM!),
      c.if(c.i32_eqz(c.call("ed_sqrt", NUM!, c.getLocal("x"))), c.ret(c.i32_const(0))),
      c.if(c.getLocal("sign"), c.call("frm_neg", c.getLocal("x"), c.getLocal("x"))),
      c.ret(c.i32_const(1)),
    );
  }
  {
    const f = module.addFunction("ed_isOnCurve");
    f.addParam("x", "i32");
    f.addParam("y", "i32");
    f.setReturnType("i32");
    const c = f.getCodeBuilder();
    const [X2, Y2, L, R] = Array.from({ length: 4 }, () => c.i32_const(tmp()));
    f.addCode(
      c.call("frm_square", c.getLocal("x"), X2!),
      c.call("frm_square", c.getLocal("y"), Y2!),
      c.call("frm_mul", X2!, c.i32_const(pA), L!),
      c.call("frm_add", L!, Y2!, L!),
      c.call("frm_mul", X2!, Y2!, R!),
      c.call("frm_mul", R!, c.i32_const(pD), R!),
      c.call("frm_add", R!, c.i32_const(pOne), R!),
      c.ret(c.call("frm_eq", L!, R!)),
    );
  }
  // S·B8 + h·(-8A) == R8, h = Poseidon(R8x, R8y, Ax, Ay, M): the whole check on pointers.
  {
    const f = module.addFunction("ed_verify");
    for (const name of ["r8x", "r8y", "s", "ax", "ay", "m", "baseTable", "keyTable"]) f.addParam(name, "i32");
    f.setReturnType("i32");
    const c = f.getCodeBuilder();
    const pIn = module.alloc(5 * N8);
    const pState = module.alloc(N8);
    const pOut = module.alloc(N8);
    const pH = module.alloc(N8);
    const ACC = module.alloc(POINT);
    const L = c.i32_const(tmp());
    const inAt = (i: number): number[] => c.i32_const(pIn + i * N8);
    f.addCode(
      c.call("frm_copy", c.getLocal("r8x"), inAt(0)),
      c.call("frm_copy", c.getLocal("r8y"), inAt(1)),
      c.call("frm_copy", c.getLocal("ax"), inAt(2)),
      c.call("frm_copy", c.getLocal("ay"), inAt(3)),
      c.call("frm_copy", c.getLocal("m"), inAt(4)),
      c.call("frm_zero", c.i32_const(pState)),
      c.call("poseidon", c.i32_const(pState), c.i32_const(pIn), c.i32_const(5), c.i32_const(pOut), c.i32_const(1)),
      c.call("frm_fromMontgomery", c.i32_const(pOut), c.i32_const(pH)),
      c.call("ed_setIdentity", c.i32_const(ACC)),
      c.call("ed_mulTable8", c.getLocal("baseTable"), c.getLocal("s"), c.i32_const(ACC)),
      c.call("ed_mulTable4", c.getLocal("keyTable"), c.i32_const(pH), c.i32_const(ACC)),
      // Projective comparison with the affine R8: X == x·Z and Y == y·Z.
      c.call("frm_mul", c.getLocal("r8x"), c.i32_const(ACC + 64), L),
      c.if(c.i32_eqz(c.call("frm_eq", L, c.i32_const(ACC))), c.ret(c.i32_const(0))),
      c.call("frm_mul", c.getLocal("r8y"), c.i32_const(ACC + 64), L),
      c.ret(c.call("frm_eq", L, c.i32_const(ACC + 32))),
    );
  }
  // buildF1m exports the frm_* functions and buildPoseidonWasm exports `poseidon`.
  for (const name of [
    "ed_add",
    "ed_double",
    "ed_setIdentity",
    "ed_isIdentity",
    "ed_fromAffine",
    "ed_mulTable8",
    "ed_mulTable4",
    "ed_recoverX",
    "ed_isOnCurve",
    "ed_verify",
  ]) {
    module.exportFunction(name);
  }
  const bytes = module.build();
  return { bytes, staticEnd: module.free };
}

/**
 * A running instance of the module with its memory, the BASE8 table, and a bump allocator
 * for key tables. Not shared between threads: each worker builds its own.
 */
export class BabyJubWasm {
  readonly exports: BabyJubExports;
  readonly memory: WasmMemory;
  private u8: Uint8Array;
  private dv: DataView;
  private next: number;
  /** 32 rows × 256 multiples of BASE8 (1 MiB), for 8-bit windows of S. */
  readonly baseTable: number;
  /** Scratch: field elements and points for callers. */
  readonly scratch: number;

  private constructor(exports: BabyJubExports, memory: WasmMemory, staticEnd: number) {
    this.exports = exports;
    this.memory = memory;
    this.u8 = new Uint8Array(memory.buffer);
    this.dv = new DataView(memory.buffer);
    this.next = (staticEnd + 63) & ~63;
    this.scratch = this.alloc(16 * N8);
    this.baseTable = this.alloc(32 * 256 * POINT);
    const base = this.alloc(POINT);
    this.writeMont(this.scratch, BASE8_X);
    this.writeMont(this.scratch + N8, BASE8_Y);
    exports.ed_fromAffine(this.scratch, this.scratch + N8, base);
    this.buildTable(base, this.baseTable, 8);
  }

  static async create(): Promise<BabyJubWasm> {
    const { bytes, staticEnd } = buildModule();
    const pages = Math.ceil((staticEnd + 2 * 1024 * 1024) / 65536);
    const memory = new WebAssemblyApi.Memory({ initial: Math.max(pages, 64) });
    const { instance } = await WebAssemblyApi.instantiate(bytes, { env: { memory } });
    const exports = instance.exports as unknown as BabyJubExports;
    return new BabyJubWasm(exports, memory, staticEnd);
  }

  /** Reserves `size` bytes (64-byte aligned), growing memory when needed. */
  alloc(size: number): number {
    const p = this.next;
    this.next = (this.next + size + 63) & ~63;
    const needed = this.next - this.memory.buffer.byteLength;
    if (needed > 0) {
      this.memory.grow(Math.ceil(needed / 65536));
      this.refreshViews();
    }
    return p;
  }

  /** Fills `rows` rows of 2^w points: row i holds j·(2^w)^i·base for j = 0 .. 2^w - 1. */
  buildTable(base: number, table: number, w: 4 | 8): void {
    const ex = this.exports;
    const per = 1 << w;
    const rows = 256 / w;
    const b = this.scratch + 8 * N8; // 128 bytes of scratch for the running base
    ex.frm_copy(base, b);
    ex.frm_copy(base + 32, b + 32);
    ex.frm_copy(base + 64, b + 64);
    ex.frm_copy(base + 96, b + 96);
    for (let i = 0; i < rows; i++) {
      const row = table + i * per * POINT;
      ex.ed_setIdentity(row);
      for (let k = 0; k < 4; k++) ex.frm_copy(b + 32 * k, row + POINT + 32 * k);
      for (let j = 2; j < per; j++) ex.ed_add(row + (j - 1) * POINT, b, row + j * POINT);
      for (let k = 0; k < w; k++) ex.ed_double(b, b);
    }
  }

  get bytes(): Uint8Array {
    if (this.u8.buffer !== this.memory.buffer) this.refreshViews();
    return this.u8;
  }

  get view(): DataView {
    if (this.dv.buffer !== this.memory.buffer) this.refreshViews();
    return this.dv;
  }

  private refreshViews(): void {
    this.u8 = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
  }

  /** Writes x (0 <= x < 2^256) little-endian in normal form. */
  writeScalar(ptr: number, x: bigint): void {
    const view = this.view;
    view.setBigUint64(ptr, BigInt.asUintN(64, x), true);
    view.setBigUint64(ptr + 8, BigInt.asUintN(64, x >> 64n), true);
    view.setBigUint64(ptr + 16, BigInt.asUintN(64, x >> 128n), true);
    view.setBigUint64(ptr + 24, BigInt.asUintN(64, x >> 192n), true);
  }

  /** Writes a field element (< p) in Montgomery form. */
  writeMont(ptr: number, x: bigint): void {
    this.writeScalar(ptr, x);
    this.exports.frm_toMontgomery(ptr, ptr);
  }

  writeBytes(ptr: number, bytes: Uint8Array): void {
    this.bytes.set(bytes, ptr);
  }

  /** Reads a Montgomery field element as a bigint (uses 32 bytes of scratch at the end). */
  readMont(ptr: number): bigint {
    const tmpPtr = this.scratch + 15 * N8;
    this.exports.frm_fromMontgomery(ptr, tmpPtr);
    return this.readScalar(tmpPtr);
  }

  readScalar(ptr: number): bigint {
    const view = this.view;
    return (
      view.getBigUint64(ptr, true) |
      (view.getBigUint64(ptr + 8, true) << 64n) |
      (view.getBigUint64(ptr + 16, true) << 128n) |
      (view.getBigUint64(ptr + 24, true) << 192n)
    );
  }
}
