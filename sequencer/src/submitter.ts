/**
 * Chain submission behind one small interface, so the pipeline's ordering, registry and retry
 * logic is independent of the client. The implementation is `AnchorChainSubmitter`
 * (chain.ts). With no submitter the pipeline stops at `proven`: nothing is ever marked
 * `anchored` without a confirmed transaction.
 */
import type { ChainConfig } from "@provenance/client-sdk/chain";
import type { BatchMeta, StoredAnchor } from "./store.js";

export interface ChainHealth {
  ok: boolean;
  detail: string;
}

/** The program's Config account as the pipeline needs it. */
export interface ChainState extends ChainConfig {
  /**
   * Roots `submit_batch` accepts now: the current one, the staged one (a batch proven against it
   * promotes it) and superseded ones still in their grace period.
   */
  acceptedRegistryRoots: string[];
}

/** What identifies the deployment a signed notice is about. */
export interface ChainIdentity {
  /** The program id, base58. */
  programId: string;
  /** The cluster's genesis hash, base58. */
  genesisHash: string;
}

export interface ChainSubmitter {
  /** For logs and /healthz: what this submitter talks to. */
  readonly description: string;
  /**
   * The program id and the cluster's genesis hash (base58) this submitter anchors to: what the
   * sequencer's v2 receipts and its dropped-record notices bind. Known before the first receipt
   * is signed (at start).
   */
  deployment(): Promise<ChainIdentity>;
  /**
   * True only when this submitter holds the admin key (the local chain, PROVENANCE_ADMIN_KEYPAIR),
   * so `setRegistryRoot` can work. Otherwise registry changes stay in the store until the admin
   * stages them (`provenance registry push`); `registryNote` says so for logs and /healthz.
   */
  readonly canSetRegistry: boolean;
  chainState(): Promise<ChainState>;
  /**
   * `Accumulator.start_index`: the batch index of the on-chain accumulator's leaf 0 (0 on a new
   * deployment, Config.next_index at `init_accumulator` on a migrated one; it never changes).
   * What the served v2 bundles' accumulator positions count from. Absent: 0.
   */
  accumulatorStart?(): Promise<number>;
  /** Why registry changes do not reach the chain by themselves and what to do; null when `canSetRegistry`. */
  readonly registryNote: string | null;
  /**
   * `set_registry_root(root, version, retirePrevious)` signed by the admin key: `retirePrevious`
   * false stages `root` (hex) at registry version `version` (it becomes current once a batch
   * proven against it lands), true makes it current at once and forgets every other root.
   * Returns the signature ("" when the chain already has it). Rejects with a ChainError when the
   * admin key is not held.
   */
  setRegistryRoot(root: string, version: number, retirePrevious: boolean): Promise<string>;
  /**
   * Submits a proven batch with `submit_batch` and resolves once it is confirmed. Idempotent by
   * batch index: when the chain already holds batch `meta.index` with the same root (a resubmission
   * after a crash), resolves with that batch's anchor instead of sending anything; when it holds a
   * different root at that index, rejects (the log and the chain disagree: an operator must look).
   */
  submitBatch(meta: BatchMeta): Promise<StoredAnchor>;
  health(): Promise<ChainHealth>;
  close(): Promise<void>;
}
