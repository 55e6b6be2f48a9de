// Minimal types for the parts of circomlibjs 0.1.7 this project uses (it ships none).
declare module "circomlibjs" {
  /** A field element in the WASM field's internal (Montgomery) form. */
  export type FieldElement = Uint8Array;

  export interface WasmField {
    p: bigint;
    zero: FieldElement;
    one: FieldElement;
    e(value: bigint | number | string): FieldElement;
    toObject(a: FieldElement): bigint;
    fromObject(a: bigint): FieldElement;
    eq(a: FieldElement, b: FieldElement): boolean;
    isZero(a: FieldElement): boolean;
    toRprLE(buff: Uint8Array, offset: number, a: FieldElement): void;
    fromRprLE(buff: Uint8Array, offset?: number): FieldElement;
  }

  export interface Poseidon {
    (inputs: Array<bigint | number | FieldElement>, initState?: bigint, nOut?: number): FieldElement;
    F: WasmField;
  }

  export type Point = [FieldElement, FieldElement];

  export interface BabyJub {
    F: WasmField;
    p: bigint;
    order: bigint;
    subOrder: bigint;
    A: bigint;
    D: bigint;
    Generator: Point;
    Base8: Point;
    addPoint(a: Point, b: Point): Point;
    mulPointEscalar(base: Point, e: bigint | number): Point;
    inSubgroup(p: Point): boolean;
    inCurve(p: Point): boolean;
    packPoint(p: Point): Uint8Array;
    unpackPoint(buff: Uint8Array): Point | null;
  }

  export interface EddsaSignature {
    R8: Point;
    S: bigint;
  }

  export interface Eddsa {
    F: WasmField;
    babyJub: BabyJub;
    poseidon: Poseidon;
    prv2pub(prv: Uint8Array): Point;
    signPoseidon(prv: Uint8Array, msg: FieldElement): EddsaSignature;
    verifyPoseidon(msg: FieldElement, sig: EddsaSignature, A: Point): boolean;
    packSignature(sig: EddsaSignature): Uint8Array;
    unpackSignature(buff: Uint8Array): EddsaSignature;
    pruneBuffer(buff: Uint8Array): Uint8Array;
  }

  export function buildPoseidon(): Promise<Poseidon>;
  /** Adds circomlib Poseidon as the function `poseidon(pInitState, pIn, n, pOut, nOut)` to a
   * wasmbuilder module that already has the BN254 scalar field as `frm_*` functions. */
  export function buildPoseidonWasm(module: import("wasmbuilder").ModuleBuilder): void;
  export function buildEddsa(): Promise<Eddsa>;
  export function buildBabyjub(): Promise<BabyJub>;
}
