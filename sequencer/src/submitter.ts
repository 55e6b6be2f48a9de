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
  /** True when this submitter holds the program's admin key (it may send `set_registry_root`). */
  readonly canSetRegistry: boolean;
  chainState(): Promise<ChainState>;
  /** The program id and the cluster's genesis hash (bound into signed notices). */
  identity(): Promise<ChainIdentity>;
  /**
   * Sends `set_registry_root(root, version, retirePrevious)`: without `retirePrevious` it stages
   * `root` (hex) at `version` (it becomes current when a batch proven against it lands); with
   * it, `root` becomes current at once and every superseded and staged root is forgotten.
   * Returns the signature ("" when the chain already had it so).
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
