/**
 * Refreshing a bundle's accumulator path (docs/sdk.md#refreshing-a-bundle): a fresh path from
 * the bundle's batch to the accumulator's current on-chain root, computed from the statements of
 * every batch in the accumulator as any server serves them — the sequencer's API, or the chain's
 * own `submit_batch` transactions. The server is not trusted: the statements must hash to the
 * root the `Accumulator` account holds, or the refresh fails.
 *
 * Browser-safe: no Node-only imports.
 */
import { AccumulatorTree, accumulatorLeaf, type AccumulatorStatement } from "./accumulator.js";
import { checkBundle, CheckLog, withAccumulatorPath, type BundleAccumulatorPath, type InclusionBundle } from "./bundle.js";
import type { AccumulatorSnapshot, ChainReader } from "./chain.js";
import type { SequencerClient } from "./client.js";
import { fail, ProvenanceError } from "./errors.js";

/** Anyone who can list batch statements: a sequencer, an archive, the chain itself. Untrusted. */
export interface StatementSource {
  /** For messages: who serves the statements. */
  readonly name: string;
  /** The statements of batches `from .. to - 1`, in index order (more may be returned; they are ignored). */
  statements(from: number, to: number): Promise<AccumulatorStatement[]>;
}

/** The sequencer's batch list (`GET /v1/batches`) as a statement source. */
export function sequencerStatementSource(client: SequencerClient): StatementSource {
  return {
    name: `sequencer ${client.url}`,
    async statements(from: number, to: number): Promise<AccumulatorStatement[]> {
      const out: AccumulatorStatement[] = [];
      for await (const b of client.allBatches()) {
        if (b.index >= to) break;
        if (b.index >= from) out.push({ index: b.index, batchRoot: b.batchRoot, registryRoot: b.registryRoot, count: b.count, minTs: b.minTs, maxTs: b.maxTs });
      }
      return out;
    },
  };
}

/**
 * The chain alone as a statement source: every successful `submit_batch` of the program, from
 * `getSignaturesForAddress` and `getTransaction` (an RPC that keeps the program's history).
 * No sequencer, no archive.
 */
export function chainStatementSource(chain: ChainReader): StatementSource {
  return {
    name: `the chain (${chain.rpcUrl})`,
    async statements(from: number, to: number): Promise<AccumulatorStatement[]> {
      const byIndex = new Map<number, AccumulatorStatement>();
      for await (const t of chain.programTransactions()) {
        if (t.err) continue;
        let txs;
        try {
          txs = await chain.submitBatchTx(t.signature);
        } catch (e) {
          if ((e as ProvenanceError).code === "TX_FAILED") continue;
          throw e;
        }
        for (const s of txs ?? []) if (s.index >= from && s.index < to) byIndex.set(s.index, s);
        if (byIndex.size === to - from) break;
      }
      return Array.from({ length: to - from }, (_, k) => byIndex.get(from + k)).filter((s): s is AccumulatorStatement => s !== undefined);
    },
  };
}

/**
 * Builds paths against one snapshot of the `Accumulator` account: the statements are fetched
 * and hashed once, however many bundles (of however many batches) are refreshed with it.
 */
export class AccumulatorRefresher {
  private built: Promise<{ acc: AccumulatorSnapshot; tree: AccumulatorTree; leaves: string[] }> | null = null;

  constructor(
    readonly chain: ChainReader,
    readonly source: StatementSource,
  ) {}

  private build(): Promise<{ acc: AccumulatorSnapshot; tree: AccumulatorTree; leaves: string[] }> {
    this.built ??= (async () => {
      const acc = await this.chain.accumulator({ refresh: true });
      const from = acc.startIndex;
      const to = acc.startIndex + acc.size;
      const statements = (await this.source.statements(from, to)).filter((s) => s.index >= from && s.index < to);
      if (statements.length !== acc.size || statements.some((s, k) => s.index !== from + k)) {
        fail("ACCUMULATOR_ROOT_UNKNOWN", `${this.source.name} serves ${statements.length} of the ${acc.size} batch statements (${from}..${to - 1}) the on-chain accumulator holds: it cannot refresh the bundle`);
      }
      const leaves = statements.map(accumulatorLeaf);
      const tree = new AccumulatorTree(leaves);
      if (tree.root !== acc.root) {
        fail("ACCUMULATOR_ROOT_UNKNOWN", `the ${acc.size} batch statements ${this.source.name} serves hash to accumulator root ${tree.root}, but the on-chain Accumulator holds ${acc.root}: the source is wrong or lying`);
      }
      return { acc, tree, leaves };
    })();
    this.built.catch(() => (this.built = null));
    return this.built;
  }

  /** A path from `statement`'s leaf to the current on-chain root; refuses a statement the chain does not hold. */
  async pathFor(statement: AccumulatorStatement): Promise<BundleAccumulatorPath> {
    const { acc, tree, leaves } = await this.build();
    const position = statement.index - acc.startIndex;
    if (position < 0 || position >= acc.size) {
      fail("ACCUMULATOR_POSITION_MISMATCH", `batch ${statement.index} is not in the on-chain accumulator (batches ${acc.startIndex}..${acc.startIndex + acc.size - 1})`);
    }
    if (leaves[position] !== accumulatorLeaf(statement)) {
      fail("ACCUMULATOR_PATH_MISMATCH", `the chain's batch ${statement.index} is not the bundle's batch statement (its accumulator leaf is ${leaves[position]}, the bundle's ${accumulatorLeaf(statement)})`);
    }
    return { position, size: acc.size, root: acc.root, siblings: tree.path(position) };
  }
}

/**
 * Returns the bundle (v1 or v2) as a v2 bundle whose accumulator path leads to the current
 * on-chain root, computed from `source`'s statements and checked against the `Accumulator`
 * account. The bundle's offline checks must pass first. Throws a ProvenanceError naming what
 * failed.
 */
export async function refreshBundle(json: unknown, options: { chain: ChainReader; source: StatementSource; refresher?: AccumulatorRefresher }): Promise<InclusionBundle> {
  const log = new CheckLog();
  const { bundle } = checkBundle(json, log);
  const refresher = options.refresher ?? new AccumulatorRefresher(options.chain, options.source);
  return withAccumulatorPath(bundle, await refresher.pathFor({ ...bundle.batch }));
}
