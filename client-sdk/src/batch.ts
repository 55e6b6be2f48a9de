/**
 * A batch: up to 2^levels records, its Merkle root, and the statement the circuit proves about
 * it. The proof's only public signal is `publicHash(statement)`.
 */
import { fail } from "./errors.js";
import { assertFieldElement, poseidon } from "./field.js";
import { FixedMerkleTree } from "./merkle.js";
import type { ParsedRecord } from "./record.js";

/** The parameters of the proven statement, as the on-chain program receives them. */
export interface BatchStatement {
  registryRoot: bigint;
  batchRoot: bigint;
  /** Number of records (1..capacity); the leaves after them are 0. */
  count: number;
  /** Inclusive time window every record's timestamp lies in (ms since epoch). */
  minTs: number;
  maxTs: number;
}

/** Poseidon(registryRoot, batchRoot, count, minTs, maxTs): the circuit's one public signal. */
export function publicHash(statement: BatchStatement): bigint {
  assertFieldElement(statement.registryRoot, "registryRoot");
  assertFieldElement(statement.batchRoot, "batchRoot");
  for (const key of ["count", "minTs", "maxTs"] as const) {
    const v = statement[key];
    if (!Number.isSafeInteger(v) || v < 0) fail("INVALID_BATCH", `${key} must be a non-negative safe integer, got ${v}`);
  }
  return poseidon([
    statement.registryRoot,
    statement.batchRoot,
    BigInt(statement.count),
    BigInt(statement.minTs),
    BigInt(statement.maxTs),
  ]);
}

/**
 * The layout parameters of a circuit shape (circuits/circuits.json, docs/circuit-v2.md): batch
 * capacity 2^batchLevels, regions of 2^chunkLevels slots (one signature each), signerSlots
 * distinct signers (one registry path each).
 */
export interface BatchShape {
  batchLevels: number;
  chunkLevels: number;
  signerSlots: number;
}

export interface Batch {
  levels: number;
  /** The layout the batch was built for; `buildBatch` gives the v1 layout (every record its own region, prefix). */
  shape: BatchShape;
  /** The groups in region order: a chunk's records in chunk order, or one record signed alone. */
  groups: ParsedRecord[][];
  /** The record at each of the 2^levels slots, or null (padding); a record's leaf index is its slot. */
  slots: (ParsedRecord | null)[];
  /** The records in slot order. */
  records: ParsedRecord[];
  tree: FixedMerkleTree;
  statement: BatchStatement;
}

/** The slot (leaf index) of each record of `batch.records`, in the same order. */
export function recordSlots(batch: Batch): number[] {
  const out: number[] = [];
  batch.slots.forEach((r, i) => {
    if (r) out.push(i);
  });
  return out;
}

function windowOf(records: readonly ParsedRecord[], window?: { minTs: number; maxTs: number }): { minTs: number; maxTs: number } {
  const timestamps = records.map((r) => r.record.timestamp);
  const minTs = window?.minTs ?? Math.min(...timestamps);
  const maxTs = window?.maxTs ?? Math.max(...timestamps);
  if (minTs > maxTs) fail("INVALID_BATCH", `minTs ${minTs} is after maxTs ${maxTs}`);
  records.forEach((r, i) => {
    if (r.record.timestamp < minTs || r.record.timestamp > maxTs) {
      fail("INVALID_BATCH", `record ${i} has timestamp ${r.record.timestamp}, outside [${minTs}, ${maxTs}]`);
    }
  });
  return { minTs, maxTs };
}

/**
 * Places groups (a chunk's records in chunk order, or one record signed alone) into a batch of
 * `shape`: group g at slots [g·C, g·C + n_g), C = 2^chunkLevels. Refuses, with a precise
 * message, what the shape's circuit would refuse: no group, more groups than regions, a group
 * larger than a region, a group that is not one whole chunk (all its records, in order, one
 * node) or one record signed alone, a chunk in a shape without chunks, more distinct signers
 * than signer slots, duplicate records, timestamps outside the window.
 */
export function buildShapedBatch(
  groups: readonly (readonly ParsedRecord[])[],
  shape: BatchShape,
  registryRoot: bigint,
  window?: { minTs: number; maxTs: number },
): Batch {
  const { batchLevels, chunkLevels, signerSlots } = shape;
  if (!Number.isInteger(chunkLevels) || chunkLevels < 0 || chunkLevels > batchLevels) {
    fail("INVALID_BATCH", `chunkLevels must be an integer in 0..${batchLevels}, got ${chunkLevels}`);
  }
  const capacity = 2 ** batchLevels;
  const C = 2 ** chunkLevels;
  const G = capacity / C;
  if (groups.length === 0) fail("INVALID_BATCH", "a batch needs at least one record");
  if (groups.length > G) fail("INVALID_BATCH", `${groups.length} groups do not fit the ${G} signature regions of this shape`);
  const signers = new Set<bigint>();
  const slots: (ParsedRecord | null)[] = Array.from({ length: capacity }, () => null);
  groups.forEach((group, g) => {
    if (group.length === 0) fail("INVALID_BATCH", `group ${g} is empty`);
    if (group[0]!.chunk && chunkLevels === 0) fail("INVALID_BATCH", `group ${g} is a chunk; this shape takes only records signed alone`);
    if (group.length > C) fail("INVALID_BATCH", `group ${g} has ${group.length} records; a region of this shape holds ${C}`);
    const head = group[0]!;
    if (head.chunk) {
      if (group.length !== head.chunk.size) {
        fail("INVALID_BATCH", `group ${g} has ${group.length} records of a chunk of ${head.chunk.size}: a chunk is never split`);
      }
      group.forEach((r, k) => {
        if (!r.chunk || r.chunk.index !== k || r.chunk.digest !== head.chunk!.digest || r.nodeId !== head.nodeId) {
          fail("INVALID_BATCH", `group ${g}: record ${k} is not record ${k} of the same chunk`);
        }
      });
    } else if (group.length !== 1) {
      fail("INVALID_BATCH", `group ${g} has ${group.length} records signed alone; such a group holds one`);
    }
    signers.add(head.nodeId);
    group.forEach((r, k) => (slots[g * C + k] = r));
  });
  if (signers.size > signerSlots) {
    fail("INVALID_BATCH", `${signers.size} distinct signers do not fit the ${signerSlots} signer slots of this shape`);
  }
  const records = slots.filter((r): r is ParsedRecord => r !== null);
  const seen = new Map<bigint, number>();
  records.forEach((r, i) => {
    const first = seen.get(r.leaf);
    if (first !== undefined) fail("INVALID_BATCH", `records ${first} and ${i} are the same record (equal leaves)`);
    seen.set(r.leaf, i);
  });
  const { minTs, maxTs } = windowOf(records, window);
  const tree = new FixedMerkleTree(
    batchLevels,
    slots.map((r) => (r ? r.leaf : 0n)),
  );
  return {
    levels: batchLevels,
    shape: { batchLevels, chunkLevels, signerSlots },
    groups: groups.map((g) => g.slice()),
    slots,
    records,
    tree,
    statement: { registryRoot, batchRoot: tree.root, count: records.length, minTs, maxTs },
  };
}

/**
 * Packs records into a batch tree of capacity 2^levels, in order from slot 0 (the v1 layout:
 * each record its own region), and derives the statement. The time window defaults to the
 * records' own earliest and latest timestamps. Refuses an empty or over-full batch, duplicate
 * records (same leaf), and records outside a given window. Chunk-signed records need
 * `buildShapedBatch`.
 */
export function buildBatch(
  records: readonly ParsedRecord[],
  levels: number,
  registryRoot: bigint,
  window?: { minTs: number; maxTs: number },
): Batch {
  const capacity = 2 ** levels;
  if (records.length === 0) fail("INVALID_BATCH", "a batch needs at least one record");
  if (records.length > capacity) {
    fail("INVALID_BATCH", `${records.length} records do not fit a batch of capacity ${capacity}`);
  }
  const seen = new Map<bigint, number>();
  records.forEach((r, i) => {
    const first = seen.get(r.leaf);
    if (first !== undefined) fail("INVALID_BATCH", `records ${first} and ${i} are the same record (equal leaves)`);
    seen.set(r.leaf, i);
  });
  const { minTs, maxTs } = windowOf(records, window);
  const tree = new FixedMerkleTree(
    levels,
    records.map((r) => r.leaf),
  );
  return {
    levels,
    shape: { batchLevels: levels, chunkLevels: 0, signerSlots: capacity },
    groups: records.map((r) => [r]),
    slots: Array.from({ length: capacity }, (_, i) => records[i] ?? null),
    records: records.slice(),
    tree,
    statement: { registryRoot, batchRoot: tree.root, count: records.length, minTs, maxTs },
  };
}
