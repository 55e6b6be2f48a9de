// Types for the parts of wasmbuilder 0.0.16 and wasmcurves 0.2.2 that the EdDSA verifier
// uses to generate its WebAssembly module (client-sdk/src/eddsa/wasm.ts). Neither ships types.
declare module "wasmbuilder" {
  /** WebAssembly instruction bytes. */
  export type Code = number[];

  export interface CodeBuilder {
    call(fnName: string, ...args: Code[]): Code;
    getLocal(name: string): Code;
    setLocal(name: string, value: Code): Code;
    i32_const(n: number): Code;
    i32_add(a: Code, b: Code): Code;
    i32_sub(a: Code, b: Code): Code;
    i32_mul(a: Code, b: Code): Code;
    i32_and(a: Code, b: Code): Code;
    i32_shl(a: Code, b: Code): Code;
    i32_shr_u(a: Code, b: Code): Code;
    i32_eq(a: Code, b: Code): Code;
    i32_ne(a: Code, b: Code): Code;
    i32_ge_u(a: Code, b: Code): Code;
    i32_eqz(a: Code): Code;
    i32_load8_u(addr: Code, offset?: number): Code;
    if(cond: Code, then: Code, otherwise?: Code): Code;
    block(body: Code): Code;
    loop(...body: Code[]): Code;
    br_if(depth: number, cond: Code): Code;
    br(depth: number): Code;
    ret(value: Code): Code;
    drop(value: Code): Code;
  }

  export interface FunctionBuilder {
    addParam(name: string, type: "i32" | "i64"): void;
    addLocal(name: string, type: "i32" | "i64", length?: number): void;
    setReturnType(type: "i32" | "i64"): void;
    getCodeBuilder(): CodeBuilder;
    addCode(...code: Code[]): void;
  }

  export class ModuleBuilder {
    modules: Record<string, { pOne: number; pZero: number; pq: number }>;
    free: number;
    setMemory(pages: number, moduleName?: string, fieldName?: string): void;
    addFunction(name: string): FunctionBuilder;
    exportFunction(name: string, exportName?: string): void;
    alloc(sizeOrBytes: number | Uint8Array, bytes?: Uint8Array): number;
    build(): Uint8Array;
  }
}

declare module "wasmcurves/src/build_f1m.js" {
  import type { ModuleBuilder } from "wasmbuilder";
  /** Adds Montgomery arithmetic modulo q as functions `${prefix}_mul`, `_add`, ... */
  export default function buildF1m(module: ModuleBuilder, q: bigint, prefix?: string, intPrefix?: string): string;
}
