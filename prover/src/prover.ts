/**
 * The batch prover: from a batch and the node registry to a Groth16 proof, in prover processes,
 * with the proof also in the byte layout the on-chain verifier takes.
 */
import { fail, publicHash, type Batch, type BatchStatement, type NodeRegistry } from "@provenance/client-sdk";
import { circuitConfig, type CircuitConfig } from "@provenance/circuits";
import { wasmPath, zkeyPath } from "./artifacts.js";
import { buildCircuitInput } from "./input.js";
import { ProverPool } from "./pool.js";
import { proofToSolana, type SnarkjsProof, type SolanaProof } from "./solana-layout.js";

export interface BatchProof {
  circuit: string;
  statement: BatchStatement;
  publicHash: bigint;
  proof: SnarkjsProof;
  publicSignals: string[];
  /** proof_a (negated), proof_b, proof_c as `submit_batch` takes them. */
  solana: SolanaProof;
  witnessMs: number;
  proveMs: number;
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
}

export class BatchProver {
  readonly config: CircuitConfig;
  private readonly pool: ProverPool;

  constructor(options: BatchProverOptions) {
    this.config = circuitConfig(options.circuit);
    this.pool = new ProverPool({
      wasm: options.wasm ?? wasmPath(options.circuit),
      zkey: options.zkey ?? zkeyPath(options.circuit),
      workers: options.workers ?? 1,
      ...(options.niceness !== undefined ? { niceness: options.niceness } : {}),
    });
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
    return {
      circuit: this.config.name,
      statement: batch.statement,
      publicHash: hash,
      proof: out.proof,
      publicSignals: out.publicSignals,
      solana: proofToSolana(out.proof),
      witnessMs: out.witnessMs,
      proveMs: out.proveMs,
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
