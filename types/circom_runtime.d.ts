// circom's WebAssembly witness calculator (circom_runtime 0.1.28, the one snarkjs uses): only
// what the prover calls.
declare module "circom_runtime" {
  export interface WitnessCalculator {
    /** The witness as the bytes of a `.wtns` file (version 2). */
    calculateWTNSBin(input: Record<string, unknown>, sanityCheck?: boolean): Promise<Uint8Array>;
    circom_version(): number;
  }
  export function WitnessCalculatorBuilder(code: Uint8Array | ArrayBuffer, options?: { sanityCheck?: boolean }): Promise<WitnessCalculator>;
}
