/**
 * The sequencer's HTTP wire contract (docs/protocol.md#http): everything the
 * sequencer's routes (`sequencer/src/api.ts`) and the SDK's `SequencerClient` (`client.ts`) must
 * agree on, written once — the route paths, the JSON each route answers, the error envelope and
 * the request limits. The sequencer builds its answers typed by these types, so a field added
 * on one side only is a type error.
 *
 * Browser-safe: types and constants only, no Node-only imports.
 */
import type { InclusionBundle } from "./bundle.js";
import type { SnarkjsProof } from "./groth16-layout.js";
import type { AnyRecord } from "./record.js";
import type { DroppedNotice } from "./notice.js";
import type { Receipt } from "./receipt.js";
import type { NodeStatus } from "./registry.js";

// --- routes -----------------------------------------------------------------------------------

/** Where the sequencer serves its receipt key. */
export const RECEIPT_KEY_ROUTE = "/.well-known/provenance/receipt-key";

/**
 * Every route, in fastify's syntax (`:name` is a path parameter); `routePath` fills them in.
 * Query strings (`GET /v1/records?url=…`, `GET /v1/batches?from=…`) are not part of the path.
 */
export const ROUTES = {
  /** POST: submit one record or `{ records: [...] }`; GET: search by url, contentHash or nodeId. */
  records: "/v1/records",
  /** POST: submit one signed chunk of a node's records (docs/circuit-v2.md); one answer per record. */
  submitChunk: "/v1/chunks",
  /** GET: one record's view. */
  record: "/v1/records/:id",
  /** GET: the record's inclusion proof bundle, once its batch is anchored. */
  recordProof: "/v1/records/:id/proof",
  /** GET: a page of batch summaries. */
  batches: "/v1/batches",
  /** GET: one batch with its proof and anchor. */
  batch: "/v1/batches/:index",
  /** GET: one batch's records (data availability). */
  batchRecords: "/v1/batches/:index/records",
  /** POST (admin): register a node; GET: every registry entry. */
  nodes: "/v1/nodes",
  /** GET: one registry entry; DELETE (admin): revoke the node. */
  node: "/v1/nodes/:nodeId",
  /** GET: the sequencer's ed25519 receipt key. */
  receiptKey: RECEIPT_KEY_ROUTE,
  /** GET: health (200 ok, 503 degraded). */
  health: "/healthz",
  /** GET: Prometheus metrics. */
  metrics: "/metrics",
  /** GET: the OpenAPI 3.1 document of this API (docs/openapi.json). */
  openapi: "/v1/openapi.json",
} as const;

export type Route = (typeof ROUTES)[keyof typeof ROUTES];

/**
 * A route with its `:name` parameters filled in (URI-encoded), e.g.
 * `routePath(ROUTES.record, { id })` is `/v1/records/<id>`. Throws on a missing parameter.
 */
export function routePath(route: Route, params: Readonly<Record<string, string | number>> = {}): string {
  return route.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`route ${route} needs the parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

// --- limits -----------------------------------------------------------------------------------

/** Most records the sequencer takes in one POST /v1/records (docs/protocol.md#http). */
export const MAX_RECORDS_PER_REQUEST = 1000;
/** The sequencer's default request body limit, bytes (`PROVENANCE_BODY_LIMIT_BYTES`). */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** Most entries in one page of GET /v1/records and GET /v1/batches (`limit`). */
export const MAX_PAGE_LIMIT = 1000;
/** Entries in a page when `limit` is not given. */
export const DEFAULT_PAGE_LIMIT = 100;
/** Longest `url` a search (GET /v1/records?url=…) takes, characters. */
export const MAX_SEARCH_URL_LENGTH = 8192;

// --- errors -----------------------------------------------------------------------------------

/** The error of every non-2xx answer. */
export interface WireError {
  /** The sequencer's code (e.g. NODE_NOT_REGISTERED) or the SDK's (e.g. BAD_SIGNATURE). */
  code: string;
  message: string;
  /** Position of the offending record in a multi-record request. */
  index?: number;
}

/** The body of every non-2xx answer: `{ error: { code, message, index? } }`. */
export interface ErrorEnvelope {
  error: WireError;
}

// --- records ----------------------------------------------------------------------------------

export type BatchState = "batched" | "proven" | "anchored";
/**
 * A record's status: its batch's state once sealed, or `dropped` when it was taken out of its
 * batch for good (its node was revoked and the roots it was a member under retired on-chain
 * before the batch landed): the answer then carries the reason and the signed notice.
 */
export type RecordStatus = "pending" | BatchState | "dropped";

/** One record's answer to POST /v1/records. */
export interface SubmitAnswer {
  id: string;
  seq: number;
  status: RecordStatus;
  /** True when the sequencer had the record already (the receipt is the original one). */
  duplicate: boolean;
  receipt: Receipt;
}

/** POST /v1/records of `{ records: [...] }`: one answer per record, in order. */
export interface SubmitManyAnswer {
  records: SubmitAnswer[];
}

/** POST /v1/records: a single record's answer, or the list for `{ records: [...] }`. */
export type SubmitRecordsAnswer = SubmitAnswer | SubmitManyAnswer;

/** GET /v1/records/:id, and each entry of a search. */
export interface RecordView {
  id: string;
  seq: number;
  status: RecordStatus;
  batch: number | null;
  leafIndex: number | null;
  receivedAt: number;
  /** A record signed alone, or a chunk-signed record (`ChunkRecordV1`, with its chunk ref). */
  record: AnyRecord;
  receipt: Receipt;
  /** Status `dropped` only: why, in words (the notice carries the signed reason code). */
  reason?: string;
  /** Status `dropped` only: the sequencer's signed notice (client-sdk/src/notice.ts). */
  notice?: DroppedNotice;
}

/** GET /v1/records?…: `next` is the `after` of the next page, null on the last one. */
export interface RecordPage {
  records: RecordView[];
  next: string | null;
}

/** GET /v1/records/:id/proof. */
export type ProofAnswer = InclusionBundle;

// --- batches ----------------------------------------------------------------------------------

export interface BatchSummary {
  index: number;
  state: BatchState;
  count: number;
  firstSeq: number;
  batchRoot: string;
  registryRoot: string;
  /** The sequencer's registry version whose root `registryRoot` is (absent from sequencers before it was served). */
  registryVersion?: number;
  minTs: number;
  maxTs: number;
  publicHash: string;
  sealedAt: number;
  provenAt: number | null;
  /** How long the proof took, ms. */
  proveMs: number | null;
  anchoredAt: number | null;
  txSignature: string | null;
}

/** GET /v1/batches. */
export interface BatchPage {
  batches: BatchSummary[];
  /** Batches the sequencer has in all. */
  total: number;
}

/** A batch's Groth16 proof: snarkjs JSON and the `submit_batch` byte layout (hex). */
export interface BatchProofView {
  circuit: string;
  /** The circuit's shape in its family (0 chunk shape, 1 single shape); absent from proofs stored before shapes: 0. */
  shape?: number;
  /** snarkjs proof JSON (`pi_a`, `pi_b`, `pi_c`, decimal projective coordinates). */
  proof: SnarkjsProof;
  publicSignals: string[];
  solana: { proofA: string; proofB: string; proofC: string };
}

/** Where a batch was anchored. */
export interface BatchAnchor {
  txSignature: string;
  slot: number;
  anchoredAt: number;
  programId: string;
  cluster: string;
}

/** GET /v1/batches/:index. */
export interface BatchDetail extends BatchSummary {
  proof: BatchProofView | null;
  anchor: BatchAnchor | null;
}

/** GET /v1/batches/:index/records. */
export interface BatchRecords {
  index: number;
  state: BatchState;
  batchRoot: string;
  /**
   * In leaf order. `record` is a record signed alone or a chunk-signed record
   * (`ChunkRecordV1`); `leafIndex` is its slot in the batch tree, given when the batch has
   * holes between its regions (a chunk-shape batch, docs/circuit-v2.md). Without it the
   * records are leaves 0..count-1, as in every batch of the single shape.
   */
  records: { id: string; seq: number; record: AnyRecord; leafIndex?: number }[];
}

// --- registry ---------------------------------------------------------------------------------

/** One entry of GET /v1/nodes. */
export interface NodeEntry {
  nodeId: string;
  slot: number;
  status: NodeStatus;
}

/** GET /v1/nodes/:nodeId (no `registryVersion`), and the base of the registry writes' answers. */
export interface NodeView extends NodeEntry {
  registryRoot: string;
  registryVersion?: number;
}

/** POST /v1/nodes (201). */
export interface NodeAdded extends NodeView {
  status: "active";
  registryVersion: number;
}

/** DELETE /v1/nodes/:nodeId: also the pending batches sealed before the revocation. */
export interface NodeRevoked extends NodeView {
  status: "revoked";
  registryVersion: number;
  sealedBatches: number[];
}

/** GET /v1/nodes. */
export interface NodeList {
  registryRoot: string;
  registryVersion: number;
  /** Depth of the registry tree (the circuit's R): with `nodes` in slot order, enough to recompute `registryRoot`. */
  registryLevels: number;
  nodes: NodeEntry[];
}

// --- operations -------------------------------------------------------------------------------

/** GET /.well-known/provenance/receipt-key. */
export interface ReceiptKeyAnswer {
  algorithm: "ed25519";
  /** Raw ed25519 public key, 64 hex. */
  publicKey: string;
  /**
   * The receipts this sequencer issues now: v2 (bound to `programId` and `genesisHash`, base58)
   * when it anchors to a chain, v1 without one. Informative: a checker takes the deployment it
   * trusts from its own configuration, not from here. `version`, `programId` and `genesisHash`
   * are absent from sequencers older than receipt v2.
   */
  receipt: { version?: 1 | 2; domain: string; messageBytes: number; layout: string; programId?: string; genesisHash?: string };
}

/** A proof queue's counts and workers (the prover's QueueStatus), in /healthz and /metrics. */
export interface QueueCounts {
  reachable: boolean;
  error: string | null;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** Connected workers whose proving key matches the sequencer's verifying key. */
  workers: number;
  /** Connected workers of this queue with another key (they refuse every job). */
  otherWorkers: number;
}

/** GET /healthz, 200 with status `ok` and 503 with `degraded`; fields beyond `status` are not protocol. */
export interface HealthAnswer {
  status: "ok" | "degraded";
  records: { total: number; pending: number; unproven: number; unanchored: number; inFlight: number };
  batches: { total: number };
  /** What a node needs to sign chunks for this deployment: `chunkSize` 0 means no chunks. */
  ingest: { chunkSize: number; maxRecordsPerRequest: number };
  registry: { version: number; root: string; nodes: number };
  prover: {
    ok: boolean;
    circuit: string;
    workers: number;
    /** The proving backend (native, snarkjs, queue). */
    backend?: string;
    batchesWaiting: number;
    lastError: string | null;
    /** Proving through prover workers (PROVENANCE_PROVER_QUEUE). */
    queue?: { url: string; detail: string } & QueueCounts;
  };
  chain:
    | {
        configured: true;
        description: string;
        ok: boolean;
        detail: string;
        lastError: string | null;
        submission: { ok: boolean; state: "moving" | "failing" | "waiting"; since?: number; forMs?: number; reason?: string; unhealthyAfterMs: number };
        /** The registry sync's last report (e.g. a version the admin must push). */
        registry: string | null;
      }
    | { configured: false; ok: boolean; detail: string };
}
