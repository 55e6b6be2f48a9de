/**
 * Circuit families (docs/circuit-v2.md): a deployment's circuit is a family of up to two shapes
 * with the same batch capacity and registry depth — the chunk shape (0) and the single shape
 * (1) — and every batch is laid out for, and proven with, one of them. `FamilyProver` routes
 * each batch to the prover of its shape (an in-process pool or a queue per shape, made on first
 * use), and the proof says which shape proved it (`submit_batch`'s `shape`).
 */
import { fail, type Batch, type BatchShape, type NodeRegistry } from "@provenance/client-sdk";
import { circuitConfig, loadCircuitConfigs, type CircuitConfig } from "@provenance/circuits";
import type { BatchProof, BatchProving } from "./prover.js";

/** A configuration's place in its family; a configuration that names none is a family of one, shape 0. */
export function familyOf(config: CircuitConfig): { family: string; shape: number } {
  const c = config as CircuitConfig & { family?: string; shape?: number };
  return { family: c.family ?? c.name, shape: c.shape ?? 0 };
}

/** The batch layout of a configuration (a configuration without chunk fields is the v1 layout). */
export function shapeOfConfig(config: CircuitConfig): BatchShape {
  const c = config as CircuitConfig & { chunkLevels?: number; signerSlots?: number };
  return { batchLevels: config.batchLevels, chunkLevels: c.chunkLevels ?? 0, signerSlots: c.signerSlots ?? 2 ** config.batchLevels };
}

/** The configurations of `circuit`'s family (`circuit` names the family or one of its members), by shape. */
export function familyMembers(circuit: string): CircuitConfig[] {
  const { family } = familyOf(circuitConfig(circuit));
  return Object.values(loadCircuitConfigs())
    .filter((c) => familyOf(c).family === family)
    .sort((a, b) => familyOf(a).shape - familyOf(b).shape);
}

/**
 * The member of `circuit`'s family that proves `batch`: the one whose chunk size is the batch's
 * (the layout, hence the root, depends on it) and whose signer slots hold its signers. Refuses
 * a batch no member can prove, saying why.
 */
export function memberForBatch(circuit: string, batch: Batch): CircuitConfig {
  const members = familyMembers(circuit);
  const signers = new Set(batch.records.map((r) => r.nodeId)).size;
  const fits = members.filter((c) => {
    const s = shapeOfConfig(c);
    return s.batchLevels === batch.levels && s.chunkLevels === batch.shape.chunkLevels && signers <= s.signerSlots;
  });
  if (fits.length === 0) {
    fail(
      "INVALID_BATCH",
      `no circuit of family "${familyOf(members[0]!).family}" proves a batch of ${2 ** batch.levels} slots with regions of ${2 ** batch.shape.chunkLevels} and ${signers} signers (shapes: ${members
        .map((c) => `${c.name}: regions of ${2 ** shapeOfConfig(c).chunkLevels}, ${shapeOfConfig(c).signerSlots} signer slots`)
        .join("; ")})`,
    );
  }
  return fits[0]!;
}

/** Routes each batch to the prover of its shape; provers are made on first use and closed together. */
export class FamilyProver implements BatchProving {
  readonly backend: BatchProving["backend"];
  private readonly provers = new Map<string, BatchProving>();
  private readonly family: string;

  constructor(
    private readonly circuit: string,
    private readonly make: (config: CircuitConfig) => BatchProving,
  ) {
    this.family = familyOf(circuitConfig(circuit)).family;
    // The family's first member is made at once: its errors (a missing setup) surface at start.
    const first = this.proverFor(familyMembers(circuit)[0]!);
    this.backend = first.backend;
  }

  private proverFor(config: CircuitConfig): BatchProving {
    let p = this.provers.get(config.name);
    if (!p) {
      p = this.make(config);
      this.provers.set(config.name, p);
    }
    return p;
  }

  get capacity(): number {
    return Math.max(...[...this.provers.values()].map((p) => p.capacity));
  }

  get workers(): number {
    return [...this.provers.values()].reduce((n, p) => n + p.workers, 0);
  }

  /** The provers made so far, by configuration name. */
  get members(): ReadonlyMap<string, BatchProving> {
    return this.provers;
  }

  async prove(batch: Batch, registry: NodeRegistry, job?: { index: number }): Promise<BatchProof> {
    return this.proverFor(memberForBatch(this.circuit, batch)).prove(batch, registry, job);
  }

  async close(): Promise<void> {
    await Promise.all([...this.provers.values()].map((p) => p.close()));
  }

  toString(): string {
    return `FamilyProver(${this.family})`;
  }
}
