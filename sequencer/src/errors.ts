/**
 * The sequencer's own refusals, and the one table mapping every error code (the SDK's
 * ProvenanceError codes and these) to an HTTP status. The HTTP layer consults nothing else.
 */
import { ProvenanceError, type ErrorCode, type ErrorEnvelope } from "@provenance/client-sdk";

export type SequencerErrorCode =
  /** The record's node is not an active member of the registry. */
  | "NODE_NOT_REGISTERED"
  /** A record's timestamp is too far in the future of the sequencer's clock. */
  | "TIMESTAMP_IN_FUTURE"
  /** A chunk holds a record that is already stored (alone or in another chunk): the chunk is refused whole. */
  | "DUPLICATE_RECORD"
  /** POST /v1/chunks on a deployment whose circuit family has no chunk shape. */
  | "CHUNKS_NOT_ACCEPTED"
  /** Request envelope: malformed JSON, wrong shape, too many records, bad path parameter. */
  | "INVALID_REQUEST"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "UNAUTHORIZED"
  | "NOT_FOUND"
  /** The record exists but its inclusion proof bundle needs an anchored batch. */
  | "NOT_ANCHORED"
  /** A client address or a node is over its rate limit; retry after `retryAfterSeconds`. */
  | "RATE_LIMITED"
  /** Pushback: pending work is past its bound; retry after `retryAfterSeconds`. */
  | "OVERLOADED"
  | "SHUTTING_DOWN"
  /** The chain refused or failed a transaction, or is not the chain this sequencer anchors to. */
  | "CHAIN"
  | "INTERNAL";

export class SequencerError extends Error {
  readonly code: SequencerErrorCode;
  readonly retryAfterSeconds: number | undefined;
  /** Position of the offending record in a multi-record request. */
  index: number | undefined;

  constructor(code: SequencerErrorCode, message: string, options: { retryAfterSeconds?: number; index?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "SequencerError";
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.index = options.index;
  }
}

const SEQUENCER_STATUS: Record<SequencerErrorCode, number> = {
  NODE_NOT_REGISTERED: 403,
  TIMESTAMP_IN_FUTURE: 400,
  DUPLICATE_RECORD: 409,
  CHUNKS_NOT_ACCEPTED: 400,
  INVALID_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  NOT_ANCHORED: 409,
  RATE_LIMITED: 429,
  OVERLOADED: 503,
  SHUTTING_DOWN: 503,
  CHAIN: 502,
  INTERNAL: 500,
};

/** SDK codes: bad input is 400; registry conflicts are 409 / 404. */
const SDK_STATUS: Partial<Record<ErrorCode, number>> = {
  UNKNOWN_NODE: 404,
  DUPLICATE_NODE: 409,
  TREE_FULL: 507,
};

export interface HttpError {
  status: number;
  /** The wire contract's error envelope (client-sdk/src/wire.ts), which SequencerClient parses. */
  body: ErrorEnvelope;
  retryAfterSeconds?: number;
}

/** The one mapping from a thrown error to an HTTP answer. Unknown errors are 500 without detail. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof SequencerError) {
    const out: HttpError = {
      status: SEQUENCER_STATUS[err.code],
      body: { error: { code: err.code, message: err.message, ...(err.index !== undefined ? { index: err.index } : {}) } },
    };
    if (err.retryAfterSeconds !== undefined) out.retryAfterSeconds = err.retryAfterSeconds;
    return out;
  }
  if (err instanceof ProvenanceError) {
    const index = (err as ProvenanceError & { index?: number }).index;
    return {
      status: SDK_STATUS[err.code] ?? 400,
      body: { error: { code: err.code, message: err.message, ...(index !== undefined ? { index } : {}) } },
    };
  }
  return { status: 500, body: { error: { code: "INTERNAL", message: "internal error" } } };
}

/** Tags an error with the index of the record that caused it (multi-record requests). */
export function atIndex<E extends Error>(err: E, index: number): E {
  (err as E & { index?: number }).index = index;
  return err;
}
