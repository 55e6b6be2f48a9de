/**
 * Builds the batch circuit's input (the witness's private and public signals) from a batch
 * and the node registry. Signal names and layout follow circuits/src/batch.circom.
 */
import {
  FIELD_MODULUS,
  ProvenanceError,
  fail,
  publicHash,
  splitDigest,
  type Batch,
  type NodeRegistry,
} from "@provenance/client-sdk";
import type { CircuitConfig } from "@provenance/circuits";

/** The circuit input: every value a decimal string, as snarkjs takes it. */
export type CircuitInput = Record<string, string | string[] | string[][]>;

/** a^-1 mod p by the extended Euclidean algorithm (a != 0 mod p). */
export function fieldInverse(a: bigint): bigint {
  let r0 = FIELD_MODULUS;
  let r1 = ((a % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS;
  if (r1 === 0n) fail("INVALID_FIELD_ELEMENT", "0 has no inverse");
  let t0 = 0n;
  let t1 = 1n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return ((t0 % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS;
}

/**
 * The circuit input proving `batch` against `registry`. Refuses, with a precise message, any
 * batch the circuit would refuse: wrong sizes, nodes not active in the registry (witness
 * generation would fail later and less clearly).
 */
export function buildCircuitInput(batch: Batch, registry: NodeRegistry, config: CircuitConfig): CircuitInput {
  const B = 2 ** config.batchLevels;
  if (batch.levels !== config.batchLevels) {
    fail("INVALID_BATCH", `batch has ${batch.levels} levels but circuit "${config.name}" has ${config.batchLevels}`);
  }
  if (registry.levels !== config.registryLevels) {
    fail("INVALID_BATCH", `registry has depth ${registry.levels} but circuit "${config.name}" expects ${config.registryLevels}`);
  }
  if (registry.root !== batch.statement.registryRoot) {
    fail("INVALID_BATCH", "the batch was built for another registry root than the registry given");
  }
  const count = batch.records.length;
  const zeros = (n: number) => Array.from({ length: n }, () => "0");
  const slot = {
    enabled: zeros(B),
    urlHi: zeros(B),
    urlLo: zeros(B),
    contentHi: zeros(B),
    contentLo: zeros(B),
    timestamp: zeros(B),
    Ax: zeros(B),
    Ay: zeros(B),
    S: zeros(B),
    R8x: zeros(B),
    R8y: zeros(B),
  };
  const registryPath: string[][] = Array.from({ length: B }, () => zeros(config.registryLevels));
  const registryIndices: string[][] = Array.from({ length: B }, () => zeros(config.registryLevels));

  batch.records.forEach((r, i) => {
    let membership;
    try {
      membership = registry.membershipProof(r.nodeId);
    } catch (err) {
      if (err instanceof ProvenanceError) fail("INVALID_BATCH", `record ${i}: ${err.message}`);
      throw err;
    }
    const [urlHi, urlLo] = splitDigest(r.urlHash);
    const [contentHi, contentLo] = splitDigest(r.contentHash);
    slot.enabled[i] = "1";
    slot.urlHi[i] = urlHi.toString();
    slot.urlLo[i] = urlLo.toString();
    slot.contentHi[i] = contentHi.toString();
    slot.contentLo[i] = contentLo.toString();
    slot.timestamp[i] = r.timestamp.toString();
    slot.Ax[i] = r.publicKey.x.toString();
    slot.Ay[i] = r.publicKey.y.toString();
    slot.S[i] = r.signature.S.toString();
    slot.R8x[i] = r.signature.R8.x.toString();
    slot.R8y[i] = r.signature.R8.y.toString();
    registryPath[i] = membership.siblings.map(String);
    registryIndices[i] = membership.siblings.map((_, h) => String((membership.index >> h) & 1));
  });

  const leaves = Array.from({ length: B }, (_, i) => batch.tree.leaf(i));
  const distinctInv: string[] = [];
  for (let i = 0; i < B; i++) {
    for (let j = i + 1; j < B; j++) {
      distinctInv.push(j < count ? fieldInverse(leaves[i]! - leaves[j]!).toString() : "0");
    }
  }

  const s = batch.statement;
  return {
    publicHash: publicHash(s).toString(),
    registryRoot: s.registryRoot.toString(),
    batchRoot: s.batchRoot.toString(),
    count: String(s.count),
    minTs: String(s.minTs),
    maxTs: String(s.maxTs),
    ...slot,
    registryPath,
    registryIndices,
    distinctInv,
  };
}
