/**
 * Packing pending groups into batches (docs/circuit-v2.md#packing). A group is a chunk (1..C
 * records of one node, signed together, stored under consecutive seqs) or one v1 record; a
 * group is never split. The next batch takes the oldest pending groups, in order, while they
 * fit the shape: a chunk needs the chunk shape; at most G = B / C regions (one per group) and
 * K distinct signers. Both shapes of the family are tried and the batch with more records is
 * kept, the cheaper circuit on a tie.
 *
 * Batches stay contiguous seq ranges (the store's model): a group that does not fit ends the
 * batch and starts the next one, rather than being skipped over by later groups.
 */
import type { BatchShape, DeploymentShapes } from "./shapes.js";

export interface PendingGroup {
  /** Seq of its first record; its records are `first..first+size-1`. */
  first: number;
  size: number;
  /** nodeId (64 hex) of its signer. */
  nodeId: string;
  /** True for a chunk (needs the chunk shape), false for a v1 record signed alone. */
  chunk: boolean;
}

export interface PackedBatch {
  shape: BatchShape;
  /** How many of the given groups it takes (a prefix). */
  groups: number;
  /** Its records. */
  count: number;
  /** Slot (leaf index) of each record, in seq order; group g starts at slot g·C. */
  slots: number[];
  /** True when nothing more could join it: a group was left that does not fit, or it is at capacity. */
  full: boolean;
}

function fill(groups: readonly PendingGroup[], shape: BatchShape): PackedBatch {
  const C = 2 ** shape.chunkLevels;
  const G = 2 ** shape.batchLevels / C;
  const signers = new Set<string>();
  const slots: number[] = [];
  let taken = 0;
  for (const g of groups) {
    if (taken === G) break;
    if (g.size > C || (g.chunk && shape.chunkLevels === 0)) break;
    if (!signers.has(g.nodeId) && signers.size === shape.signerSlots) break;
    signers.add(g.nodeId);
    for (let k = 0; k < g.size; k++) slots.push(taken * C + k);
    taken++;
  }
  return { shape, groups: taken, count: slots.length, slots, full: taken === G || taken < groups.length };
}

/**
 * The next batch from the oldest pending groups (`groups`, in seq order; the caller knows
 * whether more exist beyond them), or null when no shape can take the first group (a chunk
 * larger than the family's chunk size, or a chunk in a single-only family).
 */
export function packNext(groups: readonly PendingGroup[], shapes: DeploymentShapes): PackedBatch | null {
  const candidates = [shapes.single, ...(shapes.chunk ? [shapes.chunk] : [])].map((s) => fill(groups, s)).filter((b) => b.groups > 0);
  if (candidates.length === 0) return null;
  candidates.sort((a, b) => b.count - a.count || a.shape.cost - b.shape.cost || b.shape.code - a.shape.code);
  return candidates[0]!;
}

/** True when `slots` is the prefix 0..n-1 (today's layout): the store then keeps no slot list. */
export function isPrefix(slots: readonly number[]): boolean {
  return slots.every((s, i) => s === i);
}
