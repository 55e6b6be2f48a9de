/**
 * Chain submission behind one small interface. The real implementation (the Anchor client
 * against the program's IDL: compute budget instruction, confirmation by polling with
 * rebroadcast until the blockhash expires, retries with backoff) is written once the local
 * chain exists. Until then the sequencer runs with no submitter and its pipeline stops at
 * `proven`: nothing is ever marked `anchored` without a confirmed transaction.
 */
import type { BatchMeta, StoredAnchor } from "./store.js";

export interface ChainHealth {
  ok: boolean;
  detail: string;
}

export interface ChainSubmitter {
  /** For logs and /healthz: what this submitter talks to. */
  readonly description: string;
  /**
   * Makes the on-chain registry root `registryRoot` (hex), with `set_registry_root`, unless it
   * already is (or is within the program's recent-roots history).
   */
  ensureRegistryRoot(registryRoot: string): Promise<void>;
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
