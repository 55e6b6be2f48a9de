/**
 * The sequencer's copy of the program's batch accumulator (docs/protocol.md#accumulator): the
 * leaves of its anchored batches, from the batch statements in its own store, hashed with the
 * SDK's `accumulatorLeaf` (byte for byte the program's). It serves the accumulator path of a
 * v2 bundle: from the record's batch to the root at the sequencer's current anchored size.
 *
 * Batches are anchored in index order and an anchored batch never changes, so the leaves only
 * grow: each call appends the batches anchored since the last one (read from the store, so it
 * needs no hook in the pipeline and is right after a restart too).
 */
import { AccumulatorTree, accumulatorLeaf, type BundleAccumulatorPath } from "@provenance/client-sdk";
import type { BatchMeta, Store } from "./store.js";

export class SequencerAccumulator {
  private readonly leaves: string[] = [];
  private tree: AccumulatorTree | null = null;
  private start: number | null = null;
  private syncing: Promise<void> = Promise.resolve();

  /** `startIndex`: `Accumulator.start_index` (asked once, when first needed). */
  constructor(
    private readonly store: Store,
    private readonly startIndex: () => Promise<number>,
  ) {}

  /** Appends the leaves of the batches anchored since the last call. */
  private sync(): Promise<void> {
    const next = this.syncing.then(async () => {
      this.start ??= await this.startIndex();
      let added = false;
      for (;;) {
        const meta = await this.store.batch(this.start + this.leaves.length);
        if (!meta || meta.state !== "anchored") break;
        this.leaves.push(accumulatorLeaf(meta));
        added = true;
      }
      if (added || !this.tree) this.tree = new AccumulatorTree(this.leaves);
    });
    this.syncing = next.catch(() => undefined);
    return next;
  }

  /**
   * The path from anchored batch `batch`'s leaf to the root over every batch anchored now; null
   * when the batch predates the accumulator (`index < start_index`: a migrated deployment).
   */
  async pathFor(batch: BatchMeta): Promise<BundleAccumulatorPath | null> {
    await this.sync();
    const start = this.start!;
    const tree = this.tree!;
    const position = batch.index - start;
    if (position < 0) return null;
    return { position, size: tree.size, root: tree.root, siblings: tree.path(position) };
  }
}
