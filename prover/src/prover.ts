/**
 * The batch prover: from a batch and the node registry to a Groth16 proof, in prover processes
 * (native arkworks where it loaded, else snarkjs), with the proof also in the byte layout the
 * on-chain verifier takes. Every proof is verified against the verifying key before it is
 * returned, so a stale or foreign proving key is caught here, never on-chain.
 */
import { existsSync, readFileSync } from "node:fs";
import { fail, publicHash, type Batch, type BatchStatement, type NodeRegistry } from "@provenance/client-sdk";
import { circuitConfig, type CircuitConfig } from "@provenance/circuits";
import { cachedVkPath, checkedInVkPath, wasmPath, zkeyPath } from "./artifacts.js";
import { verifyProof } from "./groth16.js";
import { familyOf } from "./family.js";
import { buildCircuitInput } from "./input.js";
import { resolveBackend, type ProverBackend } from "./native.js";
import { ProverPool } from "./pool.js";
import { proofToSolana, type SnarkjsProof, type SnarkjsVerifyingKey, type SolanaProof } from "./solana-layout.js";

export interface BatchProof {
  circuit: string;
  /** The circuit's shape in its family (0 chunk shape, 1 single shape): `submit_batch`'s `shape`. */
  shape: number;
  statement: BatchStatement;
  publicHash: bigint;
  proof: SnarkjsProof;
  publicSignals: string[];
  /** proof_a (negated), proof_b, proof_c as `submit_batch` takes them. */
  solana: SolanaProof;
  witnessMs: number;
  proveMs: number;
  /** The backend that made the proof. */
  backend: ProverBackend;
}

/**
 * What the pipeline proves with: the in-process pool (`BatchProver`, the default) or the job
 * queue to prover workers on other machines (`QueueProver`, queue.ts). Either verifies every
 * proof against the circuit's verifying key before returning it.
 */
export interface BatchProving {
  /** `native` / `snarkjs` in process, `queue` through prover workers. */
  readonly backend: ProverBackend | "queue";
  /** Batches the pipeline hands over at once. */
  readonly capacity: number;
  /** Local prover processes (0 for the queue). */
  readonly workers: number;
  /** `job.index` names the batch (the queue's job id); the in-process prover ignores it. */
  prove(batch: Batch, registry: NodeRegistry, job?: { index: number }): Promise<BatchProof>;
  close(): Promise<void>;
}

export interface BatchProverOptions {
  /** Circuit configuration name from circuits/circuits.json. */
  circuit: string;
  workers?: number;
  /** Override the artifact locations (default: the compiled circuit and the cached setup). */
  wasm?: string;
  zkey?: string;
  /** Niceness of the prover processes (see ProverPoolOptions.niceness). */
  niceness?: number;
  /** `native` or `snarkjs`; default native where its addon loaded (see native.ts). */
  backend?: ProverBackend;
  /** Batches one prover process takes at once (default 2: witness and proof overlap). */
  pipeline?: number;
  /**
   * The key every proof is checked against before it is returned. Default: the checked-in key
   * (`circuits/keys/<name>.vk.json`, the one the program verifies with), else the setup's own.
   */
  verifyingKey?: SnarkjsVerifyingKey;
}

/** The verifying key of a configuration: the checked-in one where it exists, else the cached setup's. */
export function defaultVerifyingKey(circuit: string): SnarkjsVerifyingKey {
  const file = existsSync(checkedInVkPath(circuit)) ? checkedInVkPath(circuit) : cachedVkPath(circuit);
  return JSON.parse(readFileSync(file, "utf8")) as SnarkjsVerifyingKey;
}

export class BatchProver implements BatchProving {
  readonly config: CircuitConfig;
  readonly backend: ProverBackend;
  private readonly pool: ProverPool;
  private readonly vk: SnarkjsVerifyingKey;

  constructor(options: BatchProverOptions) {
    this.config = circuitConfig(options.circuit);
    this.backend = options.backend ?? resolveBackend(undefined).backend;
    this.vk = options.verifyingKey ?? defaultVerifyingKey(options.circuit);
    this.pool = new ProverPool({
      wasm: options.wasm ?? wasmPath(options.circuit),
      zkey: options.zkey ?? zkeyPath(options.circuit),
      workers: options.workers ?? 1,
      backend: this.backend,
      ...(options.pipeline !== undefined ? { pipeline: options.pipeline } : {}),
      ...(options.niceness !== undefined ? { niceness: options.niceness } : {}),
    });
  }

  /** Batches the pool takes at once before queueing (processes × pipeline depth). */
  get capacity(): number {
    return this.pool.capacity;
  }

  /** Batches being proven or waiting for a worker. */
  get pending(): number {
    return this.pool.queued + this.pool.busy;
  }

  get workers(): number {
    return this.pool.size;
  }

  async prove(batch: Batch, registry: NodeRegistry): Promise<BatchProof> {
    const input = buildCircuitInput(batch, registry, this.config);
    const out = await this.pool.prove(input);
    const hash = publicHash(batch.statement);
    if (out.publicSignals.length !== 1 || out.publicSignals[0] !== hash.toString()) {
      fail("INVALID_PROOF", "the prover returned public signals that do not match the batch statement");
    }
    if (!(await verifyProof(this.vk, out.proof, out.publicSignals))) {
      fail(
        "INVALID_PROOF",
        `the ${out.backend} prover's proof does not verify under the "${this.config.name}" verifying key: the proving key is not the one the program verifies with (stale setup, or PROVENANCE_ZKEY of another circuit)`,
      );
    }
    return {
      circuit: this.config.name,
      shape: familyOf(this.config).shape,
      statement: batch.statement,
      publicHash: hash,
      proof: out.proof,
      publicSignals: out.publicSignals,
      solana: proofToSolana(out.proof),
      witnessMs: out.witnessMs,
      proveMs: out.proveMs,
      backend: out.backend,
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
