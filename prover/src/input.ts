/**
 * Builds the batch circuit's input (the witness's private and public signals) from a batch
 * and the node registry. Signal names and layout follow circuits/src/batch.circom.
 */
import {
  FIELD_MODULUS,
  ProvenanceError,
  chunkDigest,
  fail,
  fieldToHex,
  publicHash,
  splitDigest,
  type Batch,
  type NodeRegistry,
  type ParsedRecord,
  type Signature,
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

function sameSignature(a: Signature, b: Signature): boolean {
  return a.S === b.S && a.R8.x === b.R8.x && a.R8.y === b.R8.y;
}

/**
 * The circuit input proving `batch` against `registry` with the circuit `config`. Refuses, with
 * a precise message (INVALID_BATCH), any batch the circuit would refuse: a layout for another
 * shape, more records, regions or signers than the circuit has, padding inside a chunk, a
 * group that is not one node's, a chunk in a single shape, a v1 record sharing its region,
 * nodes not active in the registry (witness generation would fail later and less clearly).
 *
 * Layout (circuits/src/batch.circom): record slot i holds `batch.slots[i]`; region g is slots
 * [g·C, (g+1)·C) and signs once (its chunk's digest, or its one v1 record's message); signer
 * slot k holds the k-th distinct node in region order. Unused signer slots are disabled with
 * key (0, 0) and a zero path, which the gated checks accept; empty regions carry S = 0,
 * R8 = (0, 0), select no signer and (in a chunk shape) have isV1 = 0.
 */
export function buildCircuitInput(batch: Batch, registry: NodeRegistry, config: CircuitConfig): CircuitInput {
  const B = 2 ** config.batchLevels;
  const C = 2 ** config.chunkLevels;
  const G = B / C;
  const K = config.signerSlots;
  const R = config.registryLevels;
  const name = `circuit "${config.name}"`;
  if (batch.levels !== config.batchLevels) {
    fail("INVALID_BATCH", `batch has ${batch.levels} levels but ${name} has ${config.batchLevels}`);
  }
  if (batch.shape.chunkLevels !== config.chunkLevels) {
    fail("INVALID_BATCH", `batch was laid out for chunkLevels ${batch.shape.chunkLevels} but ${name} has chunkLevels ${config.chunkLevels}`);
  }
  if (registry.levels !== R) {
    fail("INVALID_BATCH", `registry has depth ${registry.levels} but ${name} expects ${R}`);
  }
  if (registry.root !== batch.statement.registryRoot) {
    fail("INVALID_BATCH", "the batch was built for another registry root than the registry given");
  }
  if (batch.records.length > B) fail("INVALID_BATCH", `batch has ${batch.records.length} records but ${name} has ${B} record slots`);
  const slots = batch.slots;
  if (slots.length !== B) fail("INVALID_BATCH", `batch has ${slots.length} slots but ${name} has ${B}`);
  const count = slots.filter((r) => r !== null).length;
  if (count !== batch.statement.count) fail("INVALID_BATCH", `batch statement says count ${batch.statement.count} but its slots hold ${count} records`);
  if (slots[0] === null) fail("INVALID_BATCH", "slot 0 is empty: the circuit requires a record there");
  slots.forEach((r, i) => {
    if ((r?.leaf ?? 0n) !== batch.tree.leaf(i)) fail("INVALID_BATCH", `slot ${i} does not hold the leaf the batch tree has there`);
  });

  const zeros = (n: number) => Array.from({ length: n }, () => "0");
  const record = {
    enabled: zeros(B),
    urlHi: zeros(B),
    urlLo: zeros(B),
    contentHi: zeros(B),
    contentLo: zeros(B),
    timestamp: zeros(B),
  };
  const region = {
    // An empty region has n = 0, so it cannot be a v1 region (isV1 forces n = 1), except in the
    // single shape where isV1 is fixed to 1 and n is not constrained.
    isV1: Array.from({ length: G }, () => (C === 1 ? "1" : "0")),
    S: zeros(G),
    R8x: zeros(G),
    R8y: zeros(G),
  };
  const signerSel: string[][] = Array.from({ length: G }, () => zeros(K));
  const signer = { signerEnabled: zeros(K), Ax: zeros(K), Ay: zeros(K) };
  const registryPath: string[][] = Array.from({ length: K }, () => zeros(R));
  const registryIndices: string[][] = Array.from({ length: K }, () => zeros(R));
  const signerSlotOf = new Map<bigint, number>();

  slots.forEach((r, i) => {
    if (!r) return;
    const [urlHi, urlLo] = splitDigest(r.urlHash);
    const [contentHi, contentLo] = splitDigest(r.contentHash);
    record.enabled[i] = "1";
    record.urlHi[i] = urlHi.toString();
    record.urlLo[i] = urlLo.toString();
    record.contentHi[i] = contentHi.toString();
    record.contentLo[i] = contentLo.toString();
    record.timestamp[i] = r.timestamp.toString();
  });

  for (let g = 0; g < G; g++) {
    const first = g * C;
    const inRegion = slots.slice(first, first + C);
    const n = inRegion.findIndex((r) => r === null) === -1 ? C : inRegion.findIndex((r) => r === null);
    const after = inRegion.findIndex((r, c) => c > n && r !== null);
    if (after !== -1) {
      fail("INVALID_BATCH", `region ${g}: slot ${first + n} is padding but slot ${first + after} holds a record: a region's records fill its first slots (no padding inside a chunk)`);
    }
    if (n === 0) continue;
    const records = inRegion.slice(0, n) as ParsedRecord[];
    const lead = records[0]!;
    for (const [c, r] of records.entries()) {
      if (r.nodeId !== lead.nodeId) {
        fail("INVALID_BATCH", `region ${g}: slot ${first + c} is node ${fieldToHex(r.nodeId)}'s record but slot ${first} is node ${fieldToHex(lead.nodeId)}'s: a group is one node's records`);
      }
    }
    if (!lead.chunk) {
      if (n > 1) {
        fail("INVALID_BATCH", `region ${g}: slot ${first} holds a v1 (single-signed) record and slots ${first + 1}..${first + n - 1} more records: a v1 record is a group of its own`);
      }
      region.isV1[g] = "1";
    } else {
      if (C === 1) {
        fail("INVALID_BATCH", `slot ${first}: a chunk-signed record, but ${name} is a single shape (chunkLevels 0): chunks need the family's chunk shape`);
      }
      const digest = chunkDigest(records.map((r) => r.message));
      for (const [c, r] of records.entries()) {
        if (!r.chunk) fail("INVALID_BATCH", `region ${g}: slot ${first + c} is a v1 record inside the chunk that starts at slot ${first}`);
        if (r.chunk.size !== n) {
          fail("INVALID_BATCH", `region ${g}: slot ${first + c}'s chunk has ${r.chunk.size} records but the region holds ${n}: a chunk is placed whole`);
        }
        if (r.chunk.index !== c) fail("INVALID_BATCH", `region ${g}: slot ${first + c} holds record ${r.chunk.index} of its chunk: a chunk's records are placed in chunk order`);
        if (r.chunk.digest !== digest) {
          fail("INVALID_BATCH", `region ${g}: the records in slots ${first}..${first + n - 1} do not make the chunk digest slot ${first + c}'s record was signed in`);
        }
        if (!sameSignature(r.signature, lead.signature)) fail("INVALID_BATCH", `region ${g}: slot ${first + c} carries another signature than its chunk`);
      }
      region.isV1[g] = "0";
    }
    region.S[g] = lead.signature.S.toString();
    region.R8x[g] = lead.signature.R8.x.toString();
    region.R8y[g] = lead.signature.R8.y.toString();

    let k = signerSlotOf.get(lead.nodeId);
    if (k === undefined) {
      k = signerSlotOf.size;
      if (k >= K) {
        fail("INVALID_BATCH", `batch has more than ${K} distinct signers (region ${g} adds node ${fieldToHex(lead.nodeId)}) but ${name} has ${K} signer slots`);
      }
      let membership;
      try {
        membership = registry.membershipProof(lead.nodeId);
      } catch (err) {
        if (err instanceof ProvenanceError) fail("INVALID_BATCH", `slot ${first}: ${err.message}`);
        throw err;
      }
      signerSlotOf.set(lead.nodeId, k);
      signer.signerEnabled[k] = "1";
      signer.Ax[k] = lead.publicKey.x.toString();
      signer.Ay[k] = lead.publicKey.y.toString();
      registryPath[k] = membership.siblings.map(String);
      registryIndices[k] = membership.siblings.map((_, h) => String((membership.index >> h) & 1));
    }
    signerSel[g]![k] = "1";
  }

  const leaves = Array.from({ length: B }, (_, i) => batch.tree.leaf(i));
  const distinctInv: string[] = [];
  for (let i = 0; i < B; i++) {
    for (let j = i + 1; j < B; j++) {
      distinctInv.push(slots[j] ? fieldInverse(leaves[i]! - leaves[j]!).toString() : "0");
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
    ...record,
    ...region,
    signerSel,
    ...signer,
    registryPath,
    registryIndices,
    distinctInv,
  };
}
