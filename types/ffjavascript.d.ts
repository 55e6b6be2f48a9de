// Minimal types for the parts of ffjavascript 0.3.1 this project uses (it ships none).
// Keep additions additive: several parts of the project declare what they use here.
declare module "ffjavascript" {
  /** Field element or point in the WASM engine's internal (Montgomery) byte form. */
  export type WasmElement = Uint8Array;

  export interface WasmFieldLike {
    n8: number;
    one: WasmElement;
    zero: WasmElement;
    /** Root of unity of order 2^i, internal form (Fr only). */
    w: WasmElement[];
    s: number;
    e(value: bigint | number | string): WasmElement;
    toObject(a: WasmElement): bigint;
    fromObject(a: bigint): WasmElement;
    fromRng(rng: ChaCha): WasmElement;
    mul(a: WasmElement, b: WasmElement): WasmElement;
    add(a: WasmElement, b: WasmElement): WasmElement;
    sub(a: WasmElement, b: WasmElement): WasmElement;
    inv(a: WasmElement): WasmElement;
    exp(a: WasmElement, e: bigint | number): WasmElement;
    eq(a: WasmElement, b: WasmElement): boolean;
    isZero(a: WasmElement): boolean;
    toRprLE(buff: Uint8Array, offset: number, a: WasmElement): void;
    fromRprLE(buff: Uint8Array, offset?: number): WasmElement;
  }

  export interface WasmCurveGroup {
    F: { n8: number };
    g: WasmElement;
    one: WasmElement;
    oneAffine: WasmElement;
    zero: WasmElement;
    zeroAffine: WasmElement;
    fromRng(rng: ChaCha): WasmElement;
    toAffine(a: WasmElement): WasmElement;
    timesFr(a: WasmElement, s: WasmElement): WasmElement;
    timesScalar(a: WasmElement, s: bigint | number | Uint8Array): WasmElement;
    add(a: WasmElement, b: WasmElement): WasmElement;
    neg(a: WasmElement): WasmElement;
    eq(a: WasmElement, b: WasmElement): boolean;
    isZero(a: WasmElement): boolean;
    toUncompressed(a: WasmElement): Uint8Array;
    toRprUncompressed(buff: Uint8Array, offset: number, a: WasmElement): void;
    toRprLEM(buff: Uint8Array, offset: number, a: WasmElement): void;
    fromRprLEM(buff: Uint8Array, offset?: number): WasmElement;
    fromObject(o: unknown): WasmElement;
    toObject(a: WasmElement): unknown;
    batchLEMtoU(buff: Uint8Array): Promise<Uint8Array>;
    batchLEMtoC(buff: Uint8Array): Promise<Uint8Array>;
  }

  export interface ThreadManagerLike {
    /** The engine's WASM code (only kept by single-threaded engines). */
    code?: Uint8Array;
    instance: { exports: unknown };
    pG1gen: number;
    pG2gen: number;
    pG1zero: number;
    pG2zero: number;
  }

  export interface Bn128Curve {
    name: string;
    q: bigint;
    r: bigint;
    Fr: WasmFieldLike;
    F1: WasmFieldLike;
    F2: WasmFieldLike;
    G1: WasmCurveGroup;
    G2: WasmCurveGroup;
    tm: ThreadManagerLike;
    pairingEq(...points: WasmElement[]): Promise<boolean>;
    terminate(): Promise<void>;
  }

  export function buildBn128(singleThread?: boolean, plugins?: unknown): Promise<Bn128Curve>;

  export class ChaCha {
    constructor(seed?: number[]);
    nextU32(): number;
    nextU64(): bigint;
    nextBool(): boolean;
  }
}
