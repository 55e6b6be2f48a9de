/**
 * The HTTP API (docs/protocol.md#http) on fastify: JSON schemas for parameters and
 * envelopes, a body size limit, and one error handler that turns every error into
 * `{ error: { code, message, index? } }` through `toHttpError`.
 *
 * The record itself is not checked by a JSON schema but by the SDK's `parseRecord`, so a bad
 * record gets the same code and message at the sequencer as in the SDK.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import {
  DEFAULT_PAGE_LIMIT,
  FixedMerkleTree,
  MAX_PAGE_LIMIT,
  MAX_SEARCH_URL_LENGTH,
  RECEIPT_KEY_ROUTE,
  ROUTES,
  buildBundle,
  computeNodeId,
  fieldToHex,
  hexToField,
  publicKeyFromHex,
  type BatchDetail,
  type BatchPage,
  type BatchRecords,
  type BatchSummary,
  type InclusionBundle,
  type NodeAdded,
  type NodeList,
  type NodeRevoked,
  type NodeView,
  type ReceiptKeyAnswer,
  type RecordPage,
  type RecordStatus,
  type RecordView,
  type SubmitAnswer,
  type SubmitManyAnswer,
  type SubmitRecordsAnswer,
} from "@provenance/client-sdk";
import { SequencerError, toHttpError } from "./errors.js";
import { SequencerAccumulator } from "./accumulator.js";
import type { Ingest } from "./ingest.js";
import type { Metrics } from "./metrics.js";
import type { Pipeline } from "./pipeline.js";
import type { ProverQueueHandle } from "./prover-queue.js";
import { TokenBuckets, type RateLimits } from "./ratelimit.js";
import { RECEIPT_DOMAIN, RECEIPT_DOMAIN_V2, RECEIPT_MESSAGE_BYTES, RECEIPT_V2_MESSAGE_BYTES, type ReceiptDeployment } from "./receipt.js";
import { batchLeaves, type BatchMeta, type Store, type StoredDrop, type StoredRecord } from "./store.js";
import type { ChainSubmitter } from "./submitter.js";

// Routes and answers are the SDK's wire contract (client-sdk/src/wire.ts), shared with its
// SequencerClient: every answer below is built typed by it.
export { RECEIPT_KEY_ROUTE };

/** A request refused before its body was read keeps its connection only when the body is at most this large (it is then drained). */
const UNREAD_BODY_DRAIN_BYTES = 64 * 1024;

/** How long one answer of the chain's health serves /healthz. */
export const HEALTH_CACHE_MS = 2_000;

export interface ApiDeps {
  store: Store;
  ingest: Ingest;
  pipeline: Pipeline;
  metrics: Metrics;
  submitter: ChainSubmitter | null;
  logger: Logger;
  adminToken: string;
  receiptKey: string;
  /** The deployment the receipts bind (v2), or null when the sequencer has no chain (v1). */
  receiptDeployment?: ReceiptDeployment | null;
  circuit: string;
  proverWorkers: number;
  /** The proving backend in use (native, snarkjs). */
  proverBackend?: string;
  bodyLimitBytes: number;
  /** /healthz is 503 once submission has been stuck this long (ms; default 5 min). */
  submitUnhealthyAfterMs?: number;
  /** Per-client limits (ratelimit.ts); null: none. */
  rateLimits?: RateLimits | null;
  /** fastify's trustProxy: false takes the socket's address as the client's. */
  trustProxy?: false | string[];
  /** Proving through prover workers (prover-queue.ts): its health and gauges. */
  proverQueue?: Pick<ProverQueueHandle, "health" | "refreshMetrics">;
}

const HEX64 = "^[0-9a-f]{64}$";
const idParams = { type: "object", properties: { id: { type: "string", pattern: HEX64 } }, required: ["id"] } as const;
const nodeParams = { type: "object", properties: { nodeId: { type: "string", pattern: HEX64 } }, required: ["nodeId"] } as const;
const indexParams = { type: "object", properties: { index: { type: "string", pattern: "^(0|[1-9][0-9]{0,15})$" } }, required: ["index"] } as const;

/** Fastify's own refusals (parser, schema, limits) as SequencerErrors, so one table maps them. */
function normalize(err: unknown): unknown {
  const e = err as { code?: string; validation?: unknown; message?: string; statusCode?: number };
  if (e && typeof e === "object") {
    if (e.validation) return new SequencerError("INVALID_REQUEST", e.message ?? "invalid request");
    // The body parser's refusals: FST_ERR_CTP_* with the status fastify chose.
    if (typeof e.code === "string" && e.code.startsWith("FST_ERR_CTP_")) {
      if (e.statusCode === 413) return new SequencerError("PAYLOAD_TOO_LARGE", e.message ?? "request body is too large");
      if (e.statusCode === 415) return new SequencerError("UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
      return new SequencerError("INVALID_REQUEST", `body is not valid JSON: ${e.message ?? ""}`.trim());
    }
    // JSON syntax errors and secure-json-parse refusals (__proto__, constructor.prototype).
    if (err instanceof SyntaxError) return new SequencerError("INVALID_REQUEST", `body is not valid JSON: ${e.message ?? ""}`.trim());
  }
  return err;
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function recordView(rec: StoredRecord, status: { status: RecordStatus; batch?: BatchMeta; leafIndex?: number; drop?: StoredDrop }): RecordView {
  return {
    id: rec.id,
    seq: rec.seq,
    status: status.status,
    // A dropped record names the batch it was taken from (the notice signs it too).
    batch: status.batch?.index ?? status.drop?.batch ?? null,
    leafIndex: status.leafIndex ?? null,
    receivedAt: rec.receivedAt,
    record: rec.record,
    receipt: rec.receipt,
    ...(status.drop ? { reason: status.drop.reason, notice: status.drop.notice } : {}),
  };
}

function batchSummary(b: BatchMeta): BatchSummary {
  return {
    index: b.index,
    state: b.state,
    count: b.count,
    firstSeq: b.firstSeq,
    batchRoot: b.batchRoot,
    registryRoot: b.registryRoot,
    registryVersion: b.registryVersion,
    minTs: b.minTs,
    maxTs: b.maxTs,
    publicHash: b.publicHash,
    sealedAt: b.sealedAt,
    provenAt: b.proof?.provenAt ?? null,
    proveMs: b.proof?.proveMs ?? null,
    anchoredAt: b.anchor?.anchoredAt ?? null,
    txSignature: b.anchor?.txSignature ?? null,
  };
}

function batchDetail(meta: BatchMeta): BatchDetail {
  return {
    ...batchSummary(meta),
    proof: meta.proof ? { circuit: meta.proof.circuit, ...(meta.proof.shape !== undefined ? { shape: meta.proof.shape } : {}), proof: meta.proof.proof, publicSignals: meta.proof.publicSignals, solana: meta.proof.solana } : null,
    anchor: meta.anchor ?? null,
  };
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const { store, ingest, metrics, logger } = deps;
  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    // Never coerce or strip: a record is checked exactly as posted.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
    return503OnClosing: true,
    trustProxy: deps.trustProxy ?? false,
  });

  // JSON only: fastify also parses text/plain by default, which no route here takes.
  app.removeContentTypeParser("text/plain");

  app.setErrorHandler((err, request, reply) => {
    const http = toHttpError(normalize(err));
    if (http.status >= 500 && http.status !== 503) request.log.error({ err, url: request.url }, "request failed");
    if (http.retryAfterSeconds !== undefined) void reply.header("retry-after", String(http.retryAfterSeconds));
    // Refused before its body was read (a rate limit): a large unread body is not drained to
    // keep the connection alive: the connection is closed after the answer instead.
    if (http.status === 429 && !request.raw.complete && !(Number(request.headers["content-length"]) <= UNREAD_BODY_DRAIN_BYTES)) void reply.header("connection", "close");
    return reply.status(http.status).send(http.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const http = toHttpError(new SequencerError("NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`));
    return reply.status(http.status).send(http.body);
  });

  const expected = digest(deps.adminToken);
  const requireAdmin = async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization ?? "";
    const m = /^Bearer (\S+)$/.exec(header);
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
      throw new SequencerError("UNAUTHORIZED", "registry writes need Authorization: Bearer <admin token>");
    }
  };

  // --- per-client limits (before the body is read) -----------------------------------------------

  const limits = deps.rateLimits ?? null;
  type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  let submitLimit: Hook[] = [];
  let readLimit: Hook[] = [];
  if (limits) {
    await app.register(rateLimit, {
      global: false,
      hook: "onRequest",
      errorResponseBuilder: (request, ctx) =>
        new SequencerError(
          "RATE_LIMITED",
          `client ${request.ip} sent more than ${ctx.max} requests to ${request.routeOptions.url ?? request.url.split("?")[0]} in ${limits.windowMs} ms; retry in ${Math.max(1, Math.ceil(ctx.ttl / 1000))} s`,
          { retryAfterSeconds: Math.max(1, Math.ceil(ctx.ttl / 1000)) },
        ),
    });
    // One counter per client for the submission route, one shared by the expensive reads.
    const submits = app.rateLimit({ max: limits.clientSubmits, timeWindow: limits.windowMs });
    const reads = app.rateLimit({ max: limits.clientReads, timeWindow: limits.windowMs });
    // Body bytes: charged the declared length (a chunked body: the largest allowed) before a byte is read.
    const bytes = new TokenBuckets(limits.clientBytesPerSecond, Math.max(limits.clientBytesPerSecond, deps.bodyLimitBytes));
    const byteBudget: Hook = async (request) => {
      const declared = Number(request.headers["content-length"]);
      const cost = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, deps.bodyLimitBytes) : deps.bodyLimitBytes;
      const now = Date.now();
      if (!bytes.take(request.ip, cost, now)) {
        const retryAfterSeconds = bytes.secondsUntil(request.ip, cost, now);
        throw new SequencerError(
          "RATE_LIMITED",
          `client ${request.ip} is over its budget of ${limits.clientBytesPerSecond} request body bytes a second on ${request.routeOptions.url ?? ROUTES.records} (this body: ${cost} bytes); retry in ${retryAfterSeconds} s`,
          { retryAfterSeconds },
        );
      }
    };
    // The chunk route counts as submissions too (the same request counter and byte budget);
    // the per-node record budget charges a chunk of n records n (ingest.ts).
    submitLimit = [submits, byteBudget];
    readLimit = [reads];
  }

  // --- records --------------------------------------------------------------------------------

  // Not one info line per request on the ingest route (two per POST, thousands a second under
  // load: a measurable share of the main thread); refusals are counted by reason in
  // /metrics, and failures (5xx) are still logged.
  app.post(ROUTES.records, { logLevel: "warn", onRequest: submitLimit }, async (request, reply): Promise<SubmitRecordsAnswer> => {
    const { single, results } = await ingest.submit(request.body);
    deps.pipeline.onAppended();
    const answers = results.map((r): SubmitAnswer => ({ id: r.id, seq: r.seq, status: r.status, duplicate: r.duplicate, receipt: r.receipt }));
    // 201 when the request sequenced something new, 200 when every record was already stored.
    void reply.status(results.some((r) => !r.duplicate) ? 201 : 200);
    return single ? answers[0]! : { records: answers };
  });

  // One signed chunk (docs/circuit-v2.md): refused whole, or every record stored in one write.
  app.post(ROUTES.submitChunk, { logLevel: "warn", onRequest: submitLimit }, async (request, reply): Promise<SubmitManyAnswer> => {
    const results = await ingest.submitChunk(request.body);
    deps.pipeline.onAppended();
    void reply.status(201);
    return { records: results.map((r): SubmitAnswer => ({ id: r.id, seq: r.seq, status: r.status, duplicate: r.duplicate, receipt: r.receipt })) };
  });

  app.get(
    ROUTES.records,
    {
      onRequest: readLimit,
      schema: {
        querystring: {
          type: "object",
          properties: {
            url: { type: "string", minLength: 1, maxLength: MAX_SEARCH_URL_LENGTH },
            contentHash: { type: "string", pattern: HEX64 },
            nodeId: { type: "string", pattern: HEX64 },
            limit: { type: "string", pattern: "^[1-9][0-9]{0,3}$" },
            after: { type: "string", pattern: "^(0|[1-9][0-9]{0,15})$" },
          },
          additionalProperties: false,
        },
      },
    },
    async (request): Promise<RecordPage> => {
      const q = request.query as { url?: string; contentHash?: string; nodeId?: string; limit?: string; after?: string };
      const limit = Math.min(MAX_PAGE_LIMIT, Number(q.limit ?? DEFAULT_PAGE_LIMIT));
      const filter: { url?: string; contentHash?: string; nodeId?: string } = {};
      if (q.url !== undefined) filter.url = q.url;
      if (q.contentHash !== undefined) filter.contentHash = q.contentHash;
      if (q.nodeId !== undefined) filter.nodeId = q.nodeId;
      // At most SEARCH_MAX_SCAN index entries per request: `next` then says where to go on,
      // even when this page holds fewer than `limit` records.
      const page = await store.searchPage(filter, limit, q.after === undefined ? -1 : Number(q.after));
      const records: RecordView[] = [];
      for (const rec of page.records) records.push(recordView(rec, await store.recordStatus(rec.seq)));
      return { records, next: page.cursor === null ? null : String(page.cursor) };
    },
  );

  const loadRecord = async (id: string) => {
    const rec = await store.getRecord(id);
    if (!rec) throw new SequencerError("NOT_FOUND", `no record with id ${id}`);
    return { rec, status: await store.recordStatus(rec.seq) };
  };

  app.get(ROUTES.record, { schema: { params: idParams } }, async (request): Promise<RecordView> => {
    const { rec, status } = await loadRecord((request.params as { id: string }).id);
    return recordView(rec, status);
  });

  // v2 bundles: the accumulator path of the record's batch to the root at our anchored size.
  const accumulator = new SequencerAccumulator(store, async () => (deps.submitter?.accumulatorStart ? deps.submitter.accumulatorStart() : 0));
  const proofQuery = { type: "object", properties: { version: { type: "string", enum: ["1", "2"] } }, additionalProperties: false } as const;

  app.get(ROUTES.recordProof, { onRequest: readLimit, schema: { params: idParams, querystring: proofQuery } }, async (request): Promise<InclusionBundle> => {
    const { rec, status } = await loadRecord((request.params as { id: string }).id);
    const version = (request.query as { version?: string }).version === "1" ? 1 : 2;
    const batch = status.batch;
    if (!batch || batch.state !== "anchored" || !batch.anchor || status.leafIndex === undefined) {
      throw new SequencerError("NOT_ANCHORED", `record ${rec.id} is ${status.status}; its inclusion proof bundle exists once its batch is anchored`);
    }
    const records = await store.batchRecords(batch);
    // Leaf index = slot: a batch of the chunk shape has empty slots between its groups.
    const tree = new FixedMerkleTree(
      Math.log2(store.capacity),
      batchLeaves(batch, records.map((r) => r.id)),
    );
    // A batch anchored before the accumulator existed (a migrated deployment) has no path: v1.
    const path = version === 2 ? await accumulator.pathFor(batch) : null;
    return buildBundle(rec.record, tree.proof(status.leafIndex), batch, batch.anchor, path ?? undefined);
  });

  // --- batches --------------------------------------------------------------------------------

  app.get(
    ROUTES.batches,
    {
      schema: {
        querystring: {
          type: "object",
          properties: { from: { type: "string", pattern: "^(0|[1-9][0-9]{0,15})$" }, limit: { type: "string", pattern: "^[1-9][0-9]{0,3}$" } },
          additionalProperties: false,
        },
      },
    },
    async (request): Promise<BatchPage> => {
      const q = request.query as { from?: string; limit?: string };
      const limit = Math.min(MAX_PAGE_LIMIT, Number(q.limit ?? DEFAULT_PAGE_LIMIT));
      const batches = await store.listBatches(Number(q.from ?? 0), limit);
      return { batches: batches.map(batchSummary), total: store.batchCount };
    },
  );

  const loadBatch = async (index: string) => {
    const meta = await store.batch(Number(index));
    if (!meta) throw new SequencerError("NOT_FOUND", `no batch ${index}`);
    return meta;
  };

  app.get(ROUTES.batch, { schema: { params: indexParams } }, async (request): Promise<BatchDetail> => {
    const meta = await loadBatch((request.params as { index: string }).index);
    return batchDetail(meta);
  });

  app.get(ROUTES.batchRecords, { onRequest: readLimit, schema: { params: indexParams } }, async (request): Promise<BatchRecords> => {
    const meta = await loadBatch((request.params as { index: string }).index);
    const records = await store.batchRecords(meta);
    // A batch with holes between its regions (the chunk shape) names each record's slot.
    const slots = meta.slots;
    return {
      index: meta.index,
      state: meta.state,
      batchRoot: meta.batchRoot,
      records: records.map((r, i) => ({ id: r.id, seq: r.seq, record: r.record, ...(slots ? { leafIndex: slots[i]! } : {}) })),
    };
  });

  // --- registry -------------------------------------------------------------------------------

  app.post(
    ROUTES.nodes,
    {
      preHandler: requireAdmin,
      schema: {
        body: {
          type: "object",
          properties: { publicKey: { type: "string", pattern: "^[0-9a-fA-F]{64}$" } },
          required: ["publicKey"],
          additionalProperties: false,
        },
      },
    },
    async (request, reply): Promise<NodeAdded> => {
      const point = publicKeyFromHex((request.body as { publicKey: string }).publicKey);
      const nodeId = computeNodeId(point);
      const added = await store.addNode(nodeId);
      void reply.status(201);
      return { nodeId: fieldToHex(nodeId), slot: added.index, status: "active", registryRoot: fieldToHex(added.root), registryVersion: added.version };
    },
  );

  app.delete(ROUTES.node, { preHandler: requireAdmin, schema: { params: nodeParams } }, async (request): Promise<NodeRevoked> => {
    const nodeId = hexToField((request.params as { nodeId: string }).nodeId, "nodeId");
    const entry = store.currentRegistry.get(nodeId);
    if (!entry) throw new SequencerError("NOT_FOUND", `node ${fieldToHex(nodeId)} is not registered`);
    const revoked = await store.revokeNode(nodeId);
    deps.pipeline.enqueueSealed(revoked.sealed);
    return {
      nodeId: fieldToHex(nodeId),
      slot: entry.index,
      status: "revoked",
      registryRoot: fieldToHex(revoked.root),
      registryVersion: revoked.version,
      sealedBatches: revoked.sealed.map((b) => b.index),
    };
  });

  app.get(ROUTES.nodes, async (): Promise<NodeList> => {
    const registry = store.currentRegistry;
    return {
      registryRoot: fieldToHex(registry.root),
      registryVersion: store.currentRegistryVersion,
      registryLevels: registry.levels,
      nodes: registry.list().map((e) => ({ nodeId: fieldToHex(e.nodeId), slot: e.index, status: e.status })),
    };
  });

  app.get(ROUTES.node, { schema: { params: nodeParams } }, async (request): Promise<NodeView> => {
    const nodeId = hexToField((request.params as { nodeId: string }).nodeId, "nodeId");
    const entry = store.currentRegistry.get(nodeId);
    if (!entry) throw new SequencerError("NOT_FOUND", `node ${fieldToHex(nodeId)} is not registered`);
    return { nodeId: fieldToHex(nodeId), slot: entry.index, status: entry.status, registryRoot: fieldToHex(store.currentRegistry.root) };
  });

  // --- operations -----------------------------------------------------------------------------

  const deployment = deps.receiptDeployment ?? null;
  const receiptKeyAnswer: ReceiptKeyAnswer = {
    algorithm: "ed25519",
    publicKey: deps.receiptKey,
    receipt: deployment
      ? {
          version: 2,
          domain: RECEIPT_DOMAIN_V2,
          messageBytes: RECEIPT_V2_MESSAGE_BYTES,
          layout: "domain(21 ASCII) || id(32, big-endian) || seq(u64 BE) || receivedAt(u64 BE, ms) || programId(32) || genesisHash(32)",
          programId: deployment.programId,
          genesisHash: deployment.genesisHash,
        }
      : {
          version: 1,
          domain: RECEIPT_DOMAIN,
          messageBytes: RECEIPT_MESSAGE_BYTES,
          layout: "domain(21 ASCII) || id(32, big-endian) || seq(u64 BE) || receivedAt(u64 BE, ms)",
        },
  };
  app.get(ROUTES.receiptKey, async (): Promise<ReceiptKeyAnswer> => receiptKeyAnswer);

  // The chain's part of /healthz costs RPC calls: a healthy answer serves every request for a
  // few seconds, so an unauthenticated client cannot turn health checks into RPC traffic. It is
  // asked again at once after a failed submission, and an unhealthy answer is never reused.
  let chainHealth: { at: number; value: { ok: boolean; detail: string } } | null = null;
  const cachedChainHealth = async (submitter: NonNullable<ApiDeps["submitter"]>) => {
    const now = Date.now();
    if (chainHealth && chainHealth.value.ok && deps.pipeline.lastSubmitError === null && now - chainHealth.at <= HEALTH_CACHE_MS) return chainHealth.value;
    const value = await submitter.health();
    chainHealth = { at: now, value };
    return value;
  };
  const unhealthyAfterMs = deps.submitUnhealthyAfterMs ?? 300_000;
  app.get(ROUTES.health, async (_request, reply: FastifyReply) => {
    // Submission stuck (failing, waiting for the admin, blocked) longer than the setting is
    // unhealthy even when the chain itself answers well: anchoring is what the service is for.
    const stall = deps.pipeline.submitStall;
    const stalledMs = stall ? Date.now() - stall.since : 0;
    const stuck = stall !== null && stalledMs >= unhealthyAfterMs;
    const submission = stall
      ? { ok: !stuck, state: stall.kind, since: stall.since, forMs: stalledMs, reason: stall.reason, unhealthyAfterMs }
      : { ok: true, state: "moving", unhealthyAfterMs };
    const chain = deps.submitter
      ? (() => {
          const base = { configured: true, description: deps.submitter.description };
          return cachedChainHealth(deps.submitter).then((h) => ({
            ...base,
            ...h,
            ok: h.ok && !stuck,
            ...(stuck ? { detail: `${h.detail}; SUBMISSION STUCK for ${Math.round(stalledMs / 1000)} s: ${stall.reason}` } : {}),
            lastError: deps.pipeline.lastSubmitError,
            submission,
            registry: deps.pipeline.registryNote,
          }));
        })()
      : Promise.resolve({ configured: false, ok: true, detail: "no chain client in this build: batches stop at proven" });
    const chainView = await chain;
    const queue = deps.proverQueue ? await deps.proverQueue.health() : null;
    const prover = {
      ok: deps.pipeline.lastProverError === null && (queue?.ok ?? true),
      circuit: deps.circuit,
      workers: queue ? queue.status.workers : deps.proverWorkers,
      ...(deps.proverBackend ? { backend: deps.proverBackend } : {}),
      batchesWaiting: deps.pipeline.provingBatches,
      lastError: deps.pipeline.lastProverError,
      ...(queue ? { queue: { url: queue.queue, detail: queue.detail, ...queue.status } } : {}),
    };
    const ok = prover.ok && chainView.ok;
    void reply.status(ok ? 200 : 503);
    return {
      status: ok ? "ok" : "degraded",
      records: { total: store.recordCount, pending: store.pendingRecords, unproven: store.unprovenRecords, unanchored: store.unanchoredRecords, inFlight: ingest.inFlightRecords },
      batches: { total: store.batchCount },
      // What a node needs to sign chunks for this deployment (CLI submit --observations): 0 = no chunks.
      ingest: { chunkSize: store.shapes.chunkSize, maxRecordsPerRequest: ingest.maxRecordsPerRequest },
      registry: { version: store.currentRegistryVersion, root: fieldToHex(store.currentRegistry.root), nodes: store.currentRegistry.size },
      prover,
      chain: chainView,
    };
  });

  app.get(ROUTES.metrics, async (_request, reply) => {
    metrics.queueDepth.set({ stage: "inflight" }, ingest.inFlightRecords);
    metrics.queueDepth.set({ stage: "pending" }, store.pendingRecords);
    metrics.queueDepth.set({ stage: "unproven" }, store.unprovenRecords);
    metrics.queueDepth.set({ stage: "unanchored" }, store.unanchoredRecords);
    metrics.queueDepth.set({ stage: "proving" }, deps.pipeline.provingBatches);
    await deps.proverQueue?.refreshMetrics();
    void reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return app;
}
