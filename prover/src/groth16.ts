/**
 * Witness generation and Groth16 proving of one batch input, in the calling thread, plus
 * off-chain verification. The worker pool (pool.ts) runs `proveInput` in prover processes.
 */
import * as snarkjs from "snarkjs";
import { fail, publicHash, type BatchStatement } from "@provenance/client-sdk";
import type { CircuitInput } from "./input.js";
import type { SnarkjsProof, SnarkjsVerifyingKey } from "./solana-layout.js";

export interface ProofOutput {
  proof: SnarkjsProof;
  publicSignals: string[];
  witnessMs: number;
  proveMs: number;
}

const printError = console.error;
let quietDepth = 0;
/** Silences console.error while any witness is being computed in this thread (re-entrant). */
function quietStderr(delta: 1 | -1): void {
  quietDepth += delta;
  console.error = quietDepth > 0 ? () => {} : printError;
}

/** Raised when the circuit refuses the input: the batch itself is not provable. */
export const WITNESS_FAILED = "witness generation failed";

/**
 * Proves one input. `wasm` and `zkey` are file paths or their bytes (bytes avoid re-reading
 * the proving key for every batch). `singleThread` keeps snarkjs from starting its own
 * worker threads, for when several provers already share the cores.
 */
export async function proveInput(
  input: CircuitInput,
  wasm: string | Uint8Array,
  zkey: string | Uint8Array,
  options: { singleThread?: boolean } = {},
): Promise<ProofOutput> {
  const t0 = performance.now();
  const wtns = { type: "mem" as const };
  // circom's witness generator prints a failed assertion to stderr before throwing it; the
  // thrown error carries the same text, so keep stderr quiet and report it once.
  quietStderr(+1);
  try {
    await snarkjs.wtns.calculate(input, wasm, wtns);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    fail("INVALID_BATCH", `${WITNESS_FAILED}: ${message.replace(/\s+/g, " ").trim()}`);
  } finally {
    quietStderr(-1);
  }
  const t1 = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, wtns, undefined, {
    singleThread: options.singleThread ?? false,
  });
  const t2 = performance.now();
  return { proof, publicSignals, witnessMs: t1 - t0, proveMs: t2 - t1 };
}

/**
 * Verifies a batch proof off-chain: the proof's one public signal must be the statement's
 * public hash, and the pairing check must pass under `vk`.
 */
export async function verifyBatchProof(
  vk: SnarkjsVerifyingKey,
  statement: BatchStatement,
  proof: SnarkjsProof,
): Promise<boolean> {
  if (vk.nPublic !== 1) fail("INVALID_PROOF", `verifying key has ${vk.nPublic} public inputs; the batch circuit has 1`);
  const signal = publicHash(statement).toString();
  return snarkjs.groth16.verify(vk as snarkjs.VerificationKey, [signal], proof as snarkjs.Groth16Proof);
}

/**
 * snarkjs keeps a BN254 curve (with its worker threads) in a global; it must be terminated for
 * a process to exit cleanly. Call once when done proving or verifying in this thread.
 */
export async function releaseCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  await g.curve_bn128?.terminate();
}
