/**
 * Witness generation: circom's WebAssembly witness calculator (circom_runtime, as snarkjs runs
 * it), compiled once per process and reused for every batch. Single-threaded: it runs on the
 * calling thread while the previous batch's proof uses the other cores.
 */
import { WitnessCalculatorBuilder, type WitnessCalculator } from "circom_runtime";
import { fail } from "@provenance/client-sdk";
import type { CircuitInput } from "./input.js";

/** Raised when the circuit refuses the input: the batch itself is not provable. */
export const WITNESS_FAILED = "witness generation failed";

const printError = console.error;
let quietDepth = 0;
/** Silences console.error while any witness is being computed in this thread (re-entrant). */
function quietStderr(delta: 1 | -1): void {
  quietDepth += delta;
  console.error = quietDepth > 0 ? () => {} : printError;
}

export class WitnessGenerator {
  private constructor(private readonly wc: WitnessCalculator) {}

  /** Compiles the circuit's witness WASM once. */
  static async load(wasm: Uint8Array): Promise<WitnessGenerator> {
    const wc = await WitnessCalculatorBuilder(wasm);
    if (wc.circom_version() !== 2) fail("INVALID_SETUP", `the witness WASM is from circom ${wc.circom_version()}; the batch circuit is built with circom 2`);
    return new WitnessGenerator(wc);
  }

  /**
   * The `.wtns` bytes for `input`. A failed circuit assertion is an INVALID_BATCH error (circom
   * prints it to stderr before throwing; stderr is kept quiet and the message reported once).
   */
  async calculate(input: CircuitInput): Promise<{ wtns: Uint8Array; witnessMs: number }> {
    const t0 = performance.now();
    quietStderr(+1);
    try {
      const wtns = await this.wc.calculateWTNSBin(input as unknown as Record<string, unknown>);
      return { wtns, witnessMs: performance.now() - t0 };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return fail("INVALID_BATCH", `${WITNESS_FAILED}: ${message.replace(/\s+/g, " ").trim()}`);
    } finally {
      quietStderr(-1);
    }
  }
}
