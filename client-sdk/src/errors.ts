/**
 * Every error the SDK throws on bad input is a `ProvenanceError` with a stable `code`, so
 * callers (the sequencer's HTTP layer, the CLI) can map it without parsing messages.
 * Messages name the offending field and say what was expected.
 */
export type ErrorCode =
  // record format
  | "INVALID_RECORD"
  | "INVALID_VERSION"
  | "INVALID_URL"
  | "INVALID_TIMESTAMP"
  | "INVALID_HEX"
  | "INVALID_FIELD_ELEMENT"
  // keys and signatures
  | "INVALID_PUBLIC_KEY"
  | "INVALID_SIGNATURE_ENCODING"
  | "INVALID_PRIVATE_KEY"
  | "BAD_SIGNATURE"
  // signed chunks (chunk.ts): malformed, too large, a record twice, records of another node
  | "INVALID_CHUNK"
  | "CHUNK_TOO_LARGE"
  | "DUPLICATE_IN_CHUNK"
  | "MIXED_NODES"
  | "KEY_FILE"
  // trees and proofs
  | "INVALID_TREE"
  | "INVALID_PROOF"
  | "TREE_FULL"
  | "UNKNOWN_NODE"
  | "DUPLICATE_NODE"
  // batches and circuits
  | "INVALID_BATCH"
  | "INVALID_CONFIG"
  // trusted setup (scripts/setup.ts, scripts/ceremony.ts) and proving keys
  | "INVALID_SETUP"
  // the native prover was asked for where its addon is not built or did not load
  | "NATIVE_UNAVAILABLE"
  // Groth16 proof / verifying key JSON that cannot be put in the on-chain byte layout
  | "INVALID_GROTH16_ENCODING"
  // receipts (receipt.ts): malformed, or signature / id / seq / key not as expected
  | "INVALID_RECEIPT"
  | "BAD_RECEIPT"
  /** A dropped notice is malformed (client-sdk/src/notice.ts). */
  | "INVALID_NOTICE"
  /** A dropped notice's signature, key or fields do not check. */
  | "BAD_NOTICE"
  /** The record was dropped from its batch for good (a valid signed notice says why). */
  | "RECORD_DROPPED"
  // inclusion proof bundles (bundle.ts, verify.ts): each names the check that failed
  | "INVALID_BUNDLE"
  | "ID_MISMATCH"
  | "LEAF_MISMATCH"
  | "INDEX_MISMATCH"
  | "PATH_MISMATCH"
  | "WINDOW_MISMATCH"
  | "ROOT_MISMATCH"
  /** Offline with trusted roots per batch: the bundle's batch has none (the caller's list does not cover it). */
  | "UNTRUSTED_BATCH"
  | "PROGRAM_MISMATCH"
  | "CLUSTER_MISMATCH"
  | "INSECURE_DEPLOYMENT"
  | "ACCOUNT_OWNER"
  | "ACCOUNT_MISSING"
  | "BATCH_NOT_ON_CHAIN"
  | "TX_NOT_FOUND"
  | "TX_FAILED"
  | "TX_MISMATCH"
  /** The bundle's accumulator path does not lead from its batch statement to its accumulator root. */
  | "ACCUMULATOR_PATH_MISMATCH"
  /** The bundle's accumulator root (at its size) was never the on-chain accumulator's root. */
  | "ACCUMULATOR_ROOT_UNKNOWN"
  /** The bundle's accumulator root is older than the on-chain ring keeps: refresh the bundle. */
  | "ACCUMULATOR_STALE"
  /** The accumulator's leaf position does not belong to the bundle's batch index. */
  | "ACCUMULATOR_POSITION_MISMATCH"
  /** The content given to verify does not hash (SHA-256) to the record's contentHash. */
  | "CONTENT_MISMATCH"
  // services (client.ts, chain.ts): the sequencer answered with an error, or could not be reached
  | "SEQUENCER_ERROR"
  | "NOT_ANCHORED"
  | "UNREACHABLE"
  | "RPC_ERROR"
  | "TIMEOUT"
  // a file could not be read or written (CLI, manifests, receipts)
  | "IO_ERROR"
  // auditing (node/audit.ts)
  | "AUDIT_FAILED"
  /** An audit checkpoint file that is not one, is corrupted or edited, or was written with fewer checks than asked for. */
  | "CHECKPOINT_INVALID"
  /** An audit checkpoint of another program, cluster or circuit. */
  | "CHECKPOINT_FOREIGN"
  /** An audit checkpoint the chain no longer agrees with (its last batch's transaction or head differ). */
  | "CHECKPOINT_MISMATCH"
  // an admin action refused before anything is sent (wrong key, nothing to do, a registry that does not hash to its root)
  | "ADMIN_REFUSED";

/** Every error the SDK throws on bad input or a failed service: a stable `code` and a message that says what was expected. */
export class ProvenanceError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProvenanceError";
    this.code = code;
  }
}

/** Throws a `ProvenanceError` with this code and message. */
export function fail(code: ErrorCode, message: string): never {
  throw new ProvenanceError(code, message);
}
