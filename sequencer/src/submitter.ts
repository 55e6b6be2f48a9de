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
  /** Roots `submit_batch` accepts now: the current one and superseded ones still in their grace period. */
  acceptedRegistryRoots: string[];
}

export interface ChainSubmitter {
  /** For logs and /healthz: what this submitter talks to. */
  readonly description: string;
  /**
   * The program id and the cluster's genesis hash (base58) this submitter anchors to: what the
   * sequencer's v2 receipts bind. Known before the first receipt is signed (at start).
   */
  deployment(): Promise<{ programId: string; genesisHash: string }>;
  chainState(): Promise<ChainState>;
  /**
   * Makes `root` (hex), registry version `version`, the current registry root with
   * `set_registry_root`; returns the signature ("" when it already was).
   */
  setRegistryRoot(root: string, version: number): Promise<string>;
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
