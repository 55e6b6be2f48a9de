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

export interface Batch {
  levels: number;
  records: ParsedRecord[];
  tree: FixedMerkleTree;
  statement: BatchStatement;
}

/**
 * Packs records into a batch tree of capacity 2^levels and derives the statement. The time
 * window defaults to the records' own earliest and latest timestamps. Refuses an empty or
 * over-full batch, duplicate records (same leaf), and records outside a given window.
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
  const timestamps = records.map((r) => r.record.timestamp);
  const minTs = window?.minTs ?? Math.min(...timestamps);
  const maxTs = window?.maxTs ?? Math.max(...timestamps);
  if (minTs > maxTs) fail("INVALID_BATCH", `minTs ${minTs} is after maxTs ${maxTs}`);
  records.forEach((r, i) => {
    if (r.record.timestamp < minTs || r.record.timestamp > maxTs) {
      fail("INVALID_BATCH", `record ${i} has timestamp ${r.record.timestamp}, outside [${minTs}, ${maxTs}]`);
    }
  });
  const tree = new FixedMerkleTree(
    levels,
    records.map((r) => r.leaf),
  );
  return {
    levels,
    records: records.slice(),
    tree,
    statement: { registryRoot, batchRoot: tree.root, count: records.length, minTs, maxTs },
  };
}
