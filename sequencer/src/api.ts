/**
 * The HTTP API (docs/protocol.md#http) on fastify: JSON schemas for parameters and
 * envelopes, a body size limit, and one error handler that turns every error into
 * `{ error: { code, message, index? } }` through `toHttpError`.
 *
 * The record itself is not checked by a JSON schema but by the SDK's `parseRecord`, so a bad
 * record gets the same code and message at the sequencer as in the SDK.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import cors from "@fastify/cors";
import rateLimit from "@fastify/rate-limit";
import swagger, { type FastifyDynamicSwaggerOptions } from "@fastify/swagger";
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
  BatchDetailSchema,
  BatchPageSchema,
  BatchRecordsSchema,
  HealthAnswerSchema,
  InclusionBundleSchema,
  NodeAddedSchema,
  NodeListSchema,
  NodeRevokedSchema,
  NodeViewSchema,
  ReceiptKeyAnswerSchema,
  RecordPageSchema,
  RecordViewSchema,
  SignedChunkV1Schema,
  SubmitManyAnswerSchema,
  SubmitRecordsAnswerSchema,
  SubmitRecordsBodySchema,
  type HealthAnswer,
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
import { registerWireSchemas, responses, withRefs } from "./http-schemas.js";
import { installResponseCheck } from "./response-check.js";
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
  /** CORS (PROVENANCE_CORS_ORIGINS): the origins whose pages may call the API, `*`, or null (off: no CORS headers). */
  corsOrigins?: "*" | string[] | null;
  /** Check every answer against its response schema (response-check.ts; the tests turn it on). */
  checkResponses?: boolean;
}

/** The sequencer's version, as the OpenAPI document names it. */
const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** Request bodies, for the document only: the handlers check them with the SDK (its codes and messages), not with a schema. */
const DOCUMENTED_BODIES: Record<string, unknown> = {
  [`POST ${ROUTES.records}`]: SubmitRecordsBodySchema,
  [`POST ${ROUTES.submitChunk}`]: SignedChunkV1Schema,
};

/** The OpenAPI document's framing; the paths come from the routes' schemas. */
const OPENAPI: NonNullable<FastifyDynamicSwaggerOptions["openapi"]> = {
  openapi: "3.1.0",
  info: {
    title: "Provenance sequencer API",
    version: VERSION,
    description:
      "The sequencer of the provenance rollup: nodes post signed records and get signed receipts; anyone reads records, batches, " +
      "inclusion proof bundles and the registry. The contract is docs/protocol.md#http; every error answer is the ErrorEnvelope.",
    license: { name: "Apache-2.0", identifier: "Apache-2.0" },
  },
  tags: [
    { name: "records", description: "Submitting records and chunks, reading them and their inclusion proof bundles." },
    { name: "batches", description: "Sealed batches: statements, proofs, anchors, records." },
    { name: "registry", description: "The node registry; writes need the admin token." },
    { name: "operations", description: "Receipt key, health, metrics and this document." },
  ],
  components: {
    securitySchemes: { adminToken: { type: "http", scheme: "bearer", description: "The admin token (PROVENANCE_ADMIN_TOKEN, or <dataDir>/admin-token)." } },
  },
};

const ADMIN_SECURITY = [{ adminToken: [] as string[] }];

/**
 * Answers are serialized with JSON.stringify, not compiled from their response schemas: the
 * answers are unions (one answer or `{ records }`, receipt v1 or v2, a record alone or in a
 * chunk), which fast-json-stringify resolves by validating each value against every branch, so
 * it is slower here (a 1000-record submission answer 2.5 to 3 times, a search page of 100 1.5 to
 * 2 times: sequencer/bench/serialize.ts), and it would drop any field a schema missed.
 * JSON.stringify writes the answers byte for byte as before there were schemas; the schemas
 * document them, and the tests check every answer against its schema (response-check.ts).
 */
const stringify = () => (data: unknown) => JSON.stringify(data);

/** A route as registered: what the OpenAPI test compares with the document. */
export interface RegisteredRoute {
  method: string;
  url: string;
  /** Left out of the OpenAPI document on purpose (the explorer page's files, CORS preflight). */
  hidden: boolean;
  response: Record<string, unknown> | undefined;
}

const ROUTE_TABLES = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route registered on an app `buildApi` made (HEAD routes fastify adds for GET ones included). */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return ROUTE_TABLES.get(app) ?? [];
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
  app.setSerializerCompiler(stringify);

  const routes: RegisteredRoute[] = [];
  ROUTE_TABLES.set(app, routes);
  app.addHook("onRoute", (route) => {
    const schema = route.schema as { hide?: boolean; response?: Record<string, unknown> } | undefined;
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, hidden: schema?.hide === true, response: schema?.response });
  });

  // Response schemas (http-schemas.ts) and the OpenAPI document written from them: registered
  // before any route, so every route is seen.
  registerWireSchemas(app);
  await app.register(swagger, {
    openapi: OPENAPI,
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === "string" ? json.$id : `def-${i}`) },
    transform: ({ schema, url, route }) => {
      const body = DOCUMENTED_BODIES[`${String(route.method)} ${url}`];
      if (!body) return { schema, url };
      return { schema: { ...schema, body: withRefs(body) }, url } as never;
    },
  });
  if (deps.checkResponses) installResponseCheck(app);
  // CORS (PROVENANCE_CORS_ORIGINS, default off): pages of other origins may read the API and post
  // records; never with credentials (the API sets no cookies; admin routes take a bearer token).
  if (deps.corsOrigins) {
    await app.register(cors, {
      origin: deps.corsOrigins === "*" ? "*" : deps.corsOrigins,
      credentials: false,
      methods: ["GET", "HEAD", "POST", "DELETE"],
      allowedHeaders: ["content-type", "authorization"],
      exposedHeaders: ["retry-after"],
      maxAge: 600,
      strictPreflight: false,
    });
  }

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
  /** Any route that reads or writes the store while the sequencer stops. */
  const stopping = [503, "SHUTTING_DOWN: the sequencer is stopping."] as const;
  const submitted = { schema: SubmitRecordsAnswerSchema, description: "Stored: a receipt per record, in request order (201; 200 when every record was already stored)." };
  app.post(
    ROUTES.records,
    {
      logLevel: "warn",
      onRequest: submitLimit,
      schema: {
        tags: ["records"],
        summary: "Submit one record or up to 1000",
        description: "Each accepted record is on disk before the answer; a duplicate gets its original seq and receipt. All or nothing: refused at the first failing check (docs/protocol.md#http).",
        response: responses({ 201: submitted, 200: submitted }, [400, 403, 413, 415, 429, 503]),
      },
    },
    async (request, reply): Promise<SubmitRecordsAnswer> => {
    const { single, results } = await ingest.submit(request.body);
    deps.pipeline.onAppended();
    const answers = results.map((r): SubmitAnswer => ({ id: r.id, seq: r.seq, status: r.status, duplicate: r.duplicate, receipt: r.receipt }));
    // 201 when the request sequenced something new, 200 when every record was already stored.
    void reply.status(results.some((r) => !r.duplicate) ? 201 : 200);
    return single ? answers[0]! : { records: answers };
    },
  );

  // One signed chunk (docs/circuit-v2.md): refused whole, or every record stored in one write.
  app.post(
    ROUTES.submitChunk,
    {
      logLevel: "warn",
      onRequest: submitLimit,
      schema: {
        tags: ["records"],
        summary: "Submit one signed chunk",
        description: "Taken only whole and new: every record stored in one write, or nothing (docs/protocol.md#http, docs/circuit-v2.md).",
        response: responses({ 201: { schema: SubmitManyAnswerSchema, description: "Stored: a receipt per record, in chunk order." } }, [
          400,
          403,
          [409, "DUPLICATE_RECORD: a record of the chunk is already stored (alone or in another chunk)."],
          413,
          415,
          429,
          503,
        ]),
      },
    },
    async (request, reply): Promise<SubmitManyAnswer> => {
    const results = await ingest.submitChunk(request.body);
    deps.pipeline.onAppended();
    void reply.status(201);
    return { records: results.map((r): SubmitAnswer => ({ id: r.id, seq: r.seq, status: r.status, duplicate: r.duplicate, receipt: r.receipt })) };
    },
  );

  app.get(
    ROUTES.records,
    {
      onRequest: readLimit,
      schema: {
        tags: ["records"],
        summary: "Search records by url, contentHash or nodeId",
        description: "At least one filter; several must all match. In seq order; pass `next` as `after` for the next page (a page may hold fewer than `limit` records, even none, while `next` is not null).",
        querystring: {
          type: "object",
          properties: {
            url: { type: "string", minLength: 1, maxLength: MAX_SEARCH_URL_LENGTH, description: "The record's URL, exact string match." },
            contentHash: { type: "string", pattern: HEX64, description: "SHA-256 of the content, 64 lowercase hex." },
            nodeId: { type: "string", pattern: HEX64, description: "The signing node's id, 64 lowercase hex." },
            limit: { type: "string", pattern: "^[1-9][0-9]{0,3}$", description: `Records per page (capped at ${MAX_PAGE_LIMIT}; default ${DEFAULT_PAGE_LIMIT}).` },
            after: { type: "string", pattern: "^(0|[1-9][0-9]{0,15})$", description: "The previous page's `next`." },
          },
          additionalProperties: false,
        },
        response: responses({ 200: { schema: RecordPageSchema, description: "A page of records." } }, [400, 429, stopping]),
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

  const recordSchema = {
    tags: ["records"],
    summary: "One record",
    params: idParams,
    response: responses({ 200: { schema: RecordViewSchema, description: "The record, its receipt, status and place." } }, [400, [404, "NOT_FOUND: no record with this id."], stopping]),
  };
  app.get(ROUTES.record, { schema: recordSchema }, async (request): Promise<RecordView> => {
    const { rec, status } = await loadRecord((request.params as { id: string }).id);
    return recordView(rec, status);
  });

  // v2 bundles: the accumulator path of the record's batch to the root at our anchored size.
  const accumulator = new SequencerAccumulator(store, async () => (deps.submitter?.accumulatorStart ? deps.submitter.accumulatorStart() : 0));
  const proofQuery = {
    type: "object",
    properties: { version: { type: "string", enum: ["1", "2"], description: "The bundle's version: 2 (default, with the accumulator path) or 1." } },
    additionalProperties: false,
  } as const;

  const proofSchema = {
    tags: ["records"],
    summary: "A record's inclusion proof bundle",
    description: "Version 2 (with the accumulator path) by default; `?version=1` for version 1 (docs/protocol.md#bundle).",
    params: idParams,
    querystring: proofQuery,
    response: responses({ 200: { schema: InclusionBundleSchema, description: "The bundle: verify it against the chain (provenance verify, verifyBundle)." } }, [
      400,
      [404, "NOT_FOUND: no record with this id."],
      [409, "NOT_ANCHORED: the record's batch is not anchored yet (or the record was dropped)."],
      429,
      502,
      stopping,
    ]),
  };
  app.get(ROUTES.recordProof, { onRequest: readLimit, schema: proofSchema }, async (request): Promise<InclusionBundle> => {
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
        tags: ["batches"],
        summary: "A page of batches",
        querystring: {
          type: "object",
          properties: {
            from: { type: "string", pattern: "^(0|[1-9][0-9]{0,15})$", description: "The first batch index (default 0)." },
            limit: { type: "string", pattern: "^[1-9][0-9]{0,3}$", description: `Batches per page (capped at ${MAX_PAGE_LIMIT}; default ${DEFAULT_PAGE_LIMIT}).` },
          },
          additionalProperties: false,
        },
        response: responses({ 200: { schema: BatchPageSchema, description: "Batch summaries from index `from`." } }, [400, stopping]),
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

  const noBatch = [404, "NOT_FOUND: no batch with this index."] as const;
  const batchSchema = {
    tags: ["batches"],
    summary: "One batch with its proof and anchor",
    params: indexParams,
    response: responses({ 200: { schema: BatchDetailSchema, description: "The batch." } }, [400, noBatch, stopping]),
  };
  app.get(ROUTES.batch, { schema: batchSchema }, async (request): Promise<BatchDetail> => {
    const meta = await loadBatch((request.params as { index: string }).index);
    return batchDetail(meta);
  });

  const batchRecordsSchema = {
    tags: ["batches"],
    summary: "One batch's records (data availability)",
    params: indexParams,
    response: responses({ 200: { schema: BatchRecordsSchema, description: "The batch's records in leaf order." } }, [400, noBatch, 429, stopping]),
  };
  app.get(ROUTES.batchRecords, { onRequest: readLimit, schema: batchRecordsSchema }, async (request): Promise<BatchRecords> => {
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
        tags: ["registry"],
        summary: "Register a node (admin)",
        security: ADMIN_SECURITY,
        body: {
          type: "object",
          properties: { publicKey: { type: "string", pattern: "^[0-9a-fA-F]{64}$" } },
          required: ["publicKey"],
          additionalProperties: false,
        },
        response: responses({ 201: { schema: NodeAddedSchema, description: "Registered." } }, [
          [400, "INVALID_REQUEST, INVALID_HEX or INVALID_PUBLIC_KEY."],
          401,
          [409, "DUPLICATE_NODE: the key is registered (or was, and is revoked)."],
          413,
          415,
          stopping,
          507,
        ]),
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

  const revokeSchema = {
    tags: ["registry"],
    summary: "Revoke a node (admin)",
    description: "Seals every pending record first (docs/protocol.md#registry).",
    security: ADMIN_SECURITY,
    params: nodeParams,
    response: responses({ 200: { schema: NodeRevokedSchema, description: "Revoked." } }, [
      400,
      401,
      [404, "NOT_FOUND (not registered) or UNKNOWN_NODE (already revoked)."],
      413,
      415,
      stopping,
    ]),
  };
  app.delete(ROUTES.node, { preHandler: requireAdmin, schema: revokeSchema }, async (request): Promise<NodeRevoked> => {
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

  const nodesSchema = {
    tags: ["registry"],
    summary: "Every registry entry",
    response: responses({ 200: { schema: NodeListSchema, description: "The registry in slot order." } }, []),
  };
  app.get(ROUTES.nodes, { schema: nodesSchema }, async (): Promise<NodeList> => {
    const registry = store.currentRegistry;
    return {
      registryRoot: fieldToHex(registry.root),
      registryVersion: store.currentRegistryVersion,
      registryLevels: registry.levels,
      nodes: registry.list().map((e) => ({ nodeId: fieldToHex(e.nodeId), slot: e.index, status: e.status })),
    };
  });

  const nodeSchema = {
    tags: ["registry"],
    summary: "One registry entry",
    params: nodeParams,
    response: responses({ 200: { schema: NodeViewSchema, description: "The entry and the current registry root." } }, [400, [404, "NOT_FOUND: the node is not registered."]]),
  };
  app.get(ROUTES.node, { schema: nodeSchema }, async (request): Promise<NodeView> => {
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
  const receiptKeySchema = {
    tags: ["operations"],
    summary: "The receipt key",
    response: responses({ 200: { schema: ReceiptKeyAnswerSchema, description: "The ed25519 key receipts are signed with (docs/protocol.md#receipt)." } }, []),
  };
  app.get(ROUTES.receiptKey, { schema: receiptKeySchema }, async (): Promise<ReceiptKeyAnswer> => receiptKeyAnswer);

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
  const healthSchema = {
    tags: ["operations"],
    summary: "Health",
    response: responses(
      {
        200: { schema: HealthAnswerSchema, description: "Healthy (status ok)." },
        503: { schema: HealthAnswerSchema, description: "Degraded: the prover or the chain is failing, or submission is stuck (status degraded)." },
      },
      [],
    ),
  };
  app.get(ROUTES.health, { schema: healthSchema }, async (_request, reply: FastifyReply): Promise<HealthAnswer> => {
    // Submission stuck (failing, waiting for the admin, blocked) longer than the setting is
    // unhealthy even when the chain itself answers well: anchoring is what the service is for.
    const stall = deps.pipeline.submitStall;
    const stalledMs = stall ? Date.now() - stall.since : 0;
    const stuck = stall !== null && stalledMs >= unhealthyAfterMs;
    const submission = stall
      ? { ok: !stuck, state: stall.kind, since: stall.since, forMs: stalledMs, reason: stall.reason, unhealthyAfterMs }
      : { ok: true, state: "moving" as const, unhealthyAfterMs };
    const chain: Promise<HealthAnswer["chain"]> = deps.submitter
      ? (() => {
          const base = { configured: true, description: deps.submitter.description };
          return cachedChainHealth(deps.submitter).then((h): HealthAnswer["chain"] => ({
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

  const metricsSchema = {
    tags: ["operations"],
    summary: "Prometheus metrics",
    response: {
      200: { description: "The Prometheus text format (names are not protocol).", content: { "text/plain": { schema: { type: "string" } } } },
      ...responses({}, []),
    },
  };
  app.get(ROUTES.metrics, { schema: metricsSchema }, async (_request, reply) => {
    metrics.queueDepth.set({ stage: "inflight" }, ingest.inFlightRecords);
    metrics.queueDepth.set({ stage: "pending" }, store.pendingRecords);
    metrics.queueDepth.set({ stage: "unproven" }, store.unprovenRecords);
    metrics.queueDepth.set({ stage: "unanchored" }, store.unanchoredRecords);
    metrics.queueDepth.set({ stage: "proving" }, deps.pipeline.provingBatches);
    await deps.proverQueue?.refreshMetrics();
    void reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  const openApiSchema = {
    tags: ["operations"],
    summary: "This OpenAPI document",
    response: { 200: { description: "The OpenAPI 3.1 document of this API (docs/openapi.json).", type: "object", additionalProperties: true }, ...responses({}, []) },
  };
  app.get(ROUTES.openapi, { schema: openApiSchema }, async () => app.swagger());

  return app;
}
