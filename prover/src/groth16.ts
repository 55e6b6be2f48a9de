/**
 * Groth16 proving and verification of batch inputs, with two backends under the same proving
 * key: the native prover (`native.ts`, arkworks, the default where it loaded) and snarkjs (the
 * reference and the fallback). Both produce ordinary Groth16 proofs under the verifying key
 * snarkjs exports, so the checked-in keys, the on-chain byte layout and the program are the
 * same for both. The prover pool (pool.ts) runs these in prover processes.
 */
import { readFileSync } from "node:fs";
import * as snarkjs from "snarkjs";
import { ProvenanceError, fail, publicHash, type BatchStatement } from "@provenance/client-sdk";
import { loadNativeProver, nativeProver, verifyNative, type ProverBackend } from "./native.js";
import type { SnarkjsProof, SnarkjsVerifyingKey } from "./solana-layout.js";

export interface ProofOutput {
  proof: SnarkjsProof;
  publicSignals: string[];
  witnessMs: number;
  proveMs: number;
  /** Which backend made the proof. */
  backend: ProverBackend;
}

/** A proving key loaded for one backend: proves `.wtns` bytes. */
export interface Backend {
  readonly name: ProverBackend;
  prove(wtns: Uint8Array): Promise<Omit<ProofOutput, "witnessMs">>;
}

/**
 * Loads `zkeyPath` for `name` once. `singleThread` keeps snarkjs from starting its own worker
 * threads, for when several prover processes already share the cores (the native prover always
 * uses its thread pool).
 */
export async function loadBackend(name: ProverBackend, zkeyPath: string, options: { singleThread?: boolean } = {}): Promise<Backend> {
  if (name === "native") {
    const handle = loadNativeProver(zkeyPath);
    return {
      name,
      async prove(wtns) {
        const t0 = performance.now();
        let text: string;
        try {
          text = await handle.prove(wtns);
        } catch (err) {
          // The addon refuses a witness that is malformed or of another circuit (InvalidArg):
          // the proving key does not belong to this circuit.
          const e = err as Error & { code?: string };
          if (e.code === "InvalidArg") throw new ProvenanceError("INVALID_SETUP", e.message);
          throw err;
        }
        const out = JSON.parse(text) as { proof: SnarkjsProof; publicSignals: string[] };
        return { ...out, proveMs: performance.now() - t0, backend: name };
      },
    };
  }
  const zkey = readFileSync(zkeyPath);
  return {
    name,
    async prove(wtns) {
      const t0 = performance.now();
      const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, { type: "mem", data: wtns }, undefined, {
        singleThread: options.singleThread ?? false,
      });
      return { proof: proof as SnarkjsProof, publicSignals, proveMs: performance.now() - t0, backend: name };
    },
  };
}

/**
 * Verifies a batch proof off-chain: the proof's one public signal must be the statement's
 * public hash, and the pairing check must pass under `vk`. Natively (about a millisecond)
 * where the native prover loaded, else with snarkjs; `backend` picks one.
 */
export async function verifyBatchProof(
  vk: SnarkjsVerifyingKey,
  statement: BatchStatement,
  proof: SnarkjsProof,
  options: { backend?: ProverBackend } = {},
): Promise<boolean> {
  if (vk.nPublic !== 1) fail("INVALID_PROOF", `verifying key has ${vk.nPublic} public inputs; the batch circuit has 1`);
  return verifyProof(vk, proof, [publicHash(statement).toString()], options);
}

/** Verifies a Groth16 proof with its public signals under `vk`, with the chosen backend. */
export async function verifyProof(
  vk: SnarkjsVerifyingKey,
  proof: SnarkjsProof,
  publicSignals: readonly string[],
  options: { backend?: ProverBackend } = {},
): Promise<boolean> {
  const backend = options.backend ?? (nativeProver.available ? "native" : "snarkjs");
  if (backend === "native") return verifyNative(vk, proof, publicSignals);
  return snarkjs.groth16.verify(vk as snarkjs.VerificationKey, [...publicSignals], proof as snarkjs.Groth16Proof);
}

/**
 * snarkjs keeps a BN254 curve (with its worker threads) in a global; it must be terminated for
 * a process to exit cleanly. Call once when done proving or verifying with snarkjs in a thread.
 */
export async function releaseCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  await g.curve_bn128?.terminate();
}
