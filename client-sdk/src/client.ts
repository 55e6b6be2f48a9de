/**
 * An HTTP client of the sequencer (docs/protocol.md#http) for nodes, buyers and
 * auditors, on the platform's `fetch` (Node >= 20, browsers).
 *
 * - Records: `submit` (one) and `submitMany` (any number, sent in requests of up to 1000),
 *   each signed record's receipt checked against the sequencer's key before it is returned;
 *   `submitChunk` (one signed chunk, docs/circuit-v2.md): one checked receipt per record.
 * - Retries: connection failures, 502/503/504 and 429 are retried with exponential backoff and
 *   full jitter, waiting at least what `Retry-After` asks; 4xx answers are not retried.
 *   POSTing a record is idempotent (a duplicate gets its original receipt), so retrying a
 *   submission whose answer was lost is safe.
 * - Receipt key: given as an option (pinned), or fetched from
 *   `/.well-known/provenance/receipt-key` on first use and pinned for the client's life.
 * - `waitForAnchored`, `proof`, batches, registry (admin token), health.
 *
 * Every failure is a `SequencerHttpError` (a ProvenanceError) with the HTTP status and the
 * sequencer's own error code, or UNREACHABLE / TIMEOUT when there was no answer. Every call takes
 * an `AbortSignal` (`{ signal }`): aborting it rejects the call at once with `signal.reason`
 * (an "AbortError"), during a request, a retry's backoff or `waitForAnchored`'s polling.
 */
import { abortable, type AbortOptions } from "./abort.js";
import { fail, ProvenanceError, type ErrorCode } from "./errors.js";
import { fieldToHex } from "./field.js";
import { isChunkRecord, parseRecord, type RecordV1 } from "./record.js";
import { parseChunk, type SignedChunkV1 } from "./signed-chunk.js";
import { base58To32Bytes, checkReceipt, type Receipt, type ReceiptDeployment } from "./receipt.js";
import { checkDroppedNotice, type DroppedNotice } from "./notice.js";
import type { InclusionBundle } from "./bundle.js";
import {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  MAX_RECORDS_PER_REQUEST,
  ROUTES,
  routePath,
  type BatchDetail,
  type BatchPage,
  type BatchRecords,
  type BatchSummary,
  type ErrorEnvelope,
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
} from "./wire.js";

/** The sequencer of the local dev stack (`npm start`). */
export const DEFAULT_SEQUENCER_URL = "http://127.0.0.1:8080";

// The wire contract (routes, answers, limits) is wire.ts's, shared with the sequencer; the names
// this module always exported stay importable from it.
export { MAX_RECORDS_PER_REQUEST };
export type { RecordStatus, RecordView, BatchSummary, BatchDetail, BatchRecords, NodeView };

/** A failed request: the HTTP status (0 when there was no answer) and the sequencer's error code. */
export class SequencerHttpError extends ProvenanceError {
  readonly status: number;
  /** The sequencer's `error.code` (e.g. NODE_NOT_REGISTERED), when it answered with one. */
  readonly serverCode: string | null;
  /** Position of the offending record in a multi-record request. */
  readonly index: number | null;

  constructor(code: ErrorCode, message: string, status: number, serverCode: string | null, index: number | null = null, cause?: unknown) {
    super(code, message, { cause });
    this.name = "SequencerHttpError";
    this.status = status;
    this.serverCode = serverCode;
    this.index = index;
  }
}

/** One record's answer to POST /v1/records, its receipt checked. */
export interface SubmitResult extends SubmitAnswer {
  /** Checked against the sequencer's key, the record's id and the answered seq. */
  receipt: Receipt;
}

/** How `SequencerClient` retries connection failures, 429 and 502/503/504. */
export interface RetryPolicy {
  /** Attempts in all, including the first (default 6). */
  attempts: number;
  /** First backoff (default 250 ms); doubles each retry. */
  baseMs: number;
  /** Longest single wait (default 30 s), Retry-After included. */
  maxMs: number;
}

/** A `SequencerClient`'s sequencer, trust (receipt key, deployment), retries and timeouts. */
export interface SequencerClientOptions {
  /** Base URL, default http://127.0.0.1:8080. */
  url?: string;
  /** The sequencer's receipt key (64 hex). Unset: fetched on first use and pinned. */
  receiptKey?: string;
  /**
   * The deployment (program id, genesis hash) this client trusts: a v2 receipt naming another
   * one is refused (BAD_RECEIPT). Unset: a v2 receipt's deployment is only covered by its
   * signature. A v1 receipt binds no deployment and passes either way.
   */
  deployment?: ReceiptDeployment;
  /** Bearer token for registry writes. */
  adminToken?: string;
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Called before each retry (for logs and progress). */
  onRetry?: (info: { attempt: number; waitMs: number; reason: string }) => void;
  /** Injected for tests; default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Injected for tests; default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);

/** Seconds or an HTTP date, as ms from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** An HTTP client of one sequencer; see the module comment for retries, receipt keys and cancellation. */
export class SequencerClient {
  readonly url: string;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly doFetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onRetry: SequencerClientOptions["onRetry"];
  private adminToken: string | undefined;
  private pinnedKey: string | undefined;
  private readonly deployment: ReceiptDeployment | undefined;
  private keyRead: Promise<string> | null = null;

  constructor(options: SequencerClientOptions = {}) {
    const url = options.url ?? DEFAULT_SEQUENCER_URL;
    try {
      const u = new URL(url);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http");
    } catch {
      fail("INVALID_CONFIG", `sequencer URL must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
    this.url = url.replace(/\/+$/, "");
    this.retry = { attempts: 6, baseMs: 250, maxMs: 30_000, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.onRetry = options.onRetry;
    this.adminToken = options.adminToken;
    if (options.receiptKey !== undefined) {
      if (!/^[0-9a-f]{64}$/.test(options.receiptKey)) fail("INVALID_CONFIG", "receiptKey must be 64 lowercase hex characters (a raw ed25519 public key)");
      this.pinnedKey = options.receiptKey;
    }
    if (options.deployment !== undefined) {
      for (const k of ["programId", "genesisHash"] as const) {
        const v = options.deployment[k];
        if (typeof v !== "string" || !base58To32Bytes(v)) fail("INVALID_CONFIG", `deployment.${k} must be base58 of 32 bytes, got ${JSON.stringify(v)}`);
      }
      this.deployment = { programId: options.deployment.programId, genesisHash: options.deployment.genesisHash };
    }
  }

  /** One request with retries. Resolves with the parsed JSON body of a 2xx answer. */
  async request<T>(method: "GET" | "POST" | "DELETE", route: string, body?: unknown, options: { admin?: boolean; attempts?: number } & AbortOptions = {}): Promise<T> {
    const signal = options.signal;
    signal?.throwIfAborted();
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (options.admin) {
      if (!this.adminToken) fail("INVALID_CONFIG", "this needs the sequencer's admin token: give SequencerClient the adminToken option");
      headers.authorization = `Bearer ${this.adminToken}`;
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const where = `${method} ${this.url}${route}`;
    const attempts = options.attempts ?? this.retry.attempts;
    for (let attempt = 1; ; attempt++) {
      let res: Response | null;
      let reason: string;
      let retryAfterMs: number | null = null;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.timeoutMs);
      const fetchSignal = signal ? AbortSignal.any([controller.signal, signal]) : controller.signal;
      try {
        res = await abortable(this.doFetch(`${this.url}${route}`, { method, headers, body: payload, signal: fetchSignal }), signal);
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        res = null;
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        reason = controller.signal.aborted ? `no answer within ${this.timeoutMs} ms` : `${cause?.code ?? cause?.message ?? (e as Error).message}`;
        if (attempt >= attempts) {
          throw new SequencerHttpError(
            controller.signal.aborted ? "TIMEOUT" : "UNREACHABLE",
            `cannot reach the sequencer at ${this.url} (${where}: ${reason}) after ${attempt} attempt(s). Is it running, and is this its URL?`,
            0,
            null,
            null,
            e,
          );
        }
      } finally {
        clearTimeout(timer);
      }
      if (res) {
        const text = await abortable(res.text(), signal);
        let json: unknown;
        try {
          json = text.length > 0 ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        if (res.ok) {
          if (json === undefined) throw new SequencerHttpError("SEQUENCER_ERROR", `${where} answered ${res.status} without a JSON body`, res.status, null);
          return json as T;
        }
        // Read defensively: a proxy in front of the sequencer may answer without the envelope.
        const err = (json as { error?: Partial<ErrorEnvelope["error"]> } | undefined)?.error;
        reason = `${res.status}${err?.code ? ` ${err.code}` : ""}${err?.message ? `: ${err.message}` : ""}`;
        if (!RETRY_STATUS.has(res.status) || attempt >= attempts) {
          const code: ErrorCode = err?.code === "NOT_ANCHORED" ? "NOT_ANCHORED" : "SEQUENCER_ERROR";
          const index = typeof err?.index === "number" ? err.index : null;
          const hint = res.status === 401 ? " (wrong or missing admin token)" : "";
          throw new SequencerHttpError(
            code,
            `sequencer refused ${where}: ${reason}${index !== null ? ` (record ${index} of the request)` : ""}${hint}${RETRY_STATUS.has(res.status) ? ` after ${attempt} attempt(s)` : ""}`,
            res.status,
            err?.code ?? null,
            index,
          );
        }
        retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
      }
      const backoff = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** (attempt - 1));
      const jittered = Math.floor(Math.random() * backoff);
      const waitMs = Math.min(this.retry.maxMs, Math.max(jittered, retryAfterMs ?? 0));
      this.onRetry?.({ attempt, waitMs, reason: reason! });
      await abortable(this.sleep(waitMs), signal);
    }
  }

  /** The sequencer's receipt key: the pinned one, or fetched once and pinned. */
  async receiptKey(options: AbortOptions = {}): Promise<string> {
    if (this.pinnedKey) return this.pinnedKey;
    if (options.signal) return abortable(this.receiptKey(), options.signal);
    if (!this.keyRead) {
      this.keyRead = this.request<Partial<ReceiptKeyAnswer>>("GET", ROUTES.receiptKey).then((k) => {
        if (k.algorithm !== "ed25519" || typeof k.publicKey !== "string" || !/^[0-9a-f]{64}$/.test(k.publicKey)) {
          fail("SEQUENCER_ERROR", `${this.url}${ROUTES.receiptKey} did not answer with an ed25519 public key`);
        }
        this.pinnedKey = k.publicKey;
        return k.publicKey;
      });
      this.keyRead.catch(() => {
        this.keyRead = null;
      });
    }
    return this.keyRead;
  }

  private async checkAnswers(records: readonly unknown[], ids: readonly string[], answers: unknown[], signal?: AbortSignal): Promise<SubmitResult[]> {
    const key = await this.receiptKey({ signal });
    if (answers.length !== records.length) fail("SEQUENCER_ERROR", `sequencer answered ${answers.length} results for ${records.length} records`);
    return answers.map((raw, i) => {
      const a = raw as Partial<SubmitAnswer>;
      if (a.id !== ids[i]) fail("BAD_RECEIPT", `sequencer answered id ${String(a.id)} for record ${i}, whose id is ${ids[i]}`);
      if (typeof a.seq !== "number") fail("SEQUENCER_ERROR", `sequencer answer for record ${i} has no seq`);
      const receipt = checkReceipt(a.receipt, key, { id: ids[i]!, seq: a.seq, ...(this.deployment ? { deployment: this.deployment } : {}) });
      return { id: a.id!, seq: a.seq, status: (a.status ?? "pending") as RecordStatus, duplicate: a.duplicate === true, receipt };
    });
  }

  /** Submits one signed record; resolves with its checked receipt. */
  async submit(record: RecordV1, options: AbortOptions = {}): Promise<SubmitResult> {
    const id = fieldToHex(parseRecord(record).leaf);
    const answer = await this.request<SubmitRecordsAnswer>("POST", ROUTES.records, record, options);
    return (await this.checkAnswers([record], [id], [answer], options.signal))[0]!;
  }

  /**
   * Submits one signed chunk (`signChunk`, `NodeKey.signChunk`) to POST /v1/chunks; resolves
   * with one checked receipt per record, in chunk order. The sequencer takes a chunk only whole
   * and new: when it answers 409 DUPLICATE_RECORD because this very chunk is already stored (a
   * retried request whose first answer was lost), its records' stored receipts are returned,
   * checked, with `duplicate: true`; any other refusal throws.
   */
  async submitChunk(chunk: SignedChunkV1, options: AbortOptions = {}): Promise<SubmitResult[]> {
    const ids = parseChunk(chunk).records.map((r) => fieldToHex(r.leaf));
    try {
      const answer = await this.request<Partial<SubmitManyAnswer>>("POST", ROUTES.submitChunk, chunk, options);
      return await this.checkAnswers(chunk.records, ids, answer.records ?? [], options.signal);
    } catch (e) {
      if (!(e instanceof SequencerHttpError) || e.serverCode !== "DUPLICATE_RECORD") throw e;
      const views = await Promise.all(ids.map((id) => this.request<RecordView>("GET", routePath(ROUTES.record, { id }), undefined, options).catch(() => null)));
      const same = views.every((v, i) => v !== null && isChunkRecord(v.record) && v.record.chunk.signature === chunk.signature && v.record.chunk.index === i);
      if (!same) throw e;
      const stored = await this.checkAnswers(chunk.records, ids, views.map((v) => ({ id: v!.id, seq: v!.seq, status: v!.status, receipt: v!.receipt })), options.signal);
      return stored.map((r) => ({ ...r, duplicate: true }));
    }
  }

  /**
   * Submits signed records in requests of up to `chunk` (default and most 1000), in order.
   * A refused request throws with the position of the bad record in `records`.
   */
  async submitMany(records: readonly RecordV1[], options: { chunk?: number; onChunk?: (done: number) => void } & AbortOptions = {}): Promise<SubmitResult[]> {
    const chunk = Math.min(MAX_RECORDS_PER_REQUEST, Math.max(1, options.chunk ?? MAX_RECORDS_PER_REQUEST));
    const ids = records.map((r, i) => {
      try {
        return fieldToHex(parseRecord(r).leaf);
      } catch (e) {
        const err = e as ProvenanceError;
        throw new ProvenanceError(err.code ?? "INVALID_RECORD", `record ${i}: ${err.message}`);
      }
    });
    const out: SubmitResult[] = [];
    for (let start = 0; start < records.length; start += chunk) {
      const part = records.slice(start, start + chunk);
      let answer: Partial<SubmitManyAnswer>;
      try {
        answer = await this.request<Partial<SubmitManyAnswer>>("POST", ROUTES.records, { records: part }, { signal: options.signal });
      } catch (e) {
        if (e instanceof SequencerHttpError && e.index !== null) {
          throw new SequencerHttpError(e.code, `${e.message.replace(/ \(record \d+ of the request\)/, "")} (record ${start + e.index} of ${records.length})`, e.status, e.serverCode, start + e.index);
        }
        throw e;
      }
      out.push(...(await this.checkAnswers(part, ids.slice(start, start + chunk), answer.records ?? [], options.signal)));
      options.onChunk?.(out.length);
    }
    return out;
  }

  /** A record's view: status, batch and leaf once batched, the dropped notice if dropped. */
  async record(id: string, options: AbortOptions = {}): Promise<RecordView> {
    return this.request<RecordView>("GET", routePath(ROUTES.record, { id }), undefined, options);
  }

  /**
   * A dropped record's notice, checked: the view must say `dropped`, and its notice must be
   * signed by the sequencer's (pinned) receipt key for this record id and the view's seq
   * (`expected` adds the program id and genesis hash a caller knows). Throws BAD_NOTICE /
   * INVALID_NOTICE when it does not check, NOT_FOUND-like HTTP errors as `record` does.
   */
  async droppedNotice(
    idOrView: string | RecordView,
    expected: { programId?: string; genesisHash?: string } = {},
    options: AbortOptions = {},
  ): Promise<{ view: RecordView; notice: DroppedNotice; reason: string }> {
    const view = typeof idOrView === "string" ? await this.record(idOrView, options) : idOrView;
    if (view.status !== "dropped") fail("INVALID_NOTICE", `record ${view.id} is ${view.status}, not dropped: it has no dropped notice`);
    if (view.notice === undefined) fail("INVALID_NOTICE", `the sequencer says record ${view.id} is dropped but gives no signed notice`);
    const notice = checkDroppedNotice(view.notice, await this.receiptKey(options), { id: view.id, seq: view.seq, ...expected });
    return { view, notice, reason: view.reason ?? notice.reason };
  }

  /**
   * The record's inclusion proof bundle; throws NOT_ANCHORED until its batch is anchored. The
   * sequencer serves v2 (with the accumulator path of the batch to the root at its anchored
   * size); `{ version: 1 }` asks for a v1 bundle (no accumulator path), for old verifiers.
   */
  async proof(id: string, options: { version?: 1 | 2 } & AbortOptions = {}): Promise<InclusionBundle> {
    const query = options.version === 1 ? "?version=1" : "";
    return this.request<InclusionBundle>("GET", `${routePath(ROUTES.recordProof, { id })}${query}`, undefined, { signal: options.signal });
  }

  /**
   * Polls until the record is anchored (or `timeoutMs`, default 10 min, passes: TIMEOUT).
   * Resolves with the record's view.
   */
  async waitForAnchored(id: string, options: { timeoutMs?: number; pollMs?: number; onStatus?: (status: RecordStatus) => void } & AbortOptions = {}): Promise<RecordView> {
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    const signal = options.signal;
    let last: RecordStatus | null = null;
    for (;;) {
      const view = await this.record(id, { signal });
      if (view.status !== last) options.onStatus?.(view.status);
      last = view.status;
      if (view.status === "anchored") return view;
      if (view.status === "dropped") {
        const { notice, reason } = await this.droppedNotice(view, {}, { signal });
        throw new ProvenanceError("RECORD_DROPPED", `record ${id} was dropped from batch ${notice.batch} and will not be anchored (${notice.reason}): ${reason}`);
      }
      if (Date.now() >= deadline) {
        throw new SequencerHttpError("TIMEOUT", `record ${id} is still ${view.status} after ${options.timeoutMs ?? 600_000} ms (is the sequencer's prover and chain submitter running? see GET /healthz)`, 0, null);
      }
      await abortable(this.sleep(Math.min(options.pollMs ?? 1000, Math.max(0, deadline - Date.now()))), signal);
    }
  }

  /** Records by url, content hash or node, a page at a time (`after` is the previous page's cursor). */
  async search(filter: { url?: string; contentHash?: string; nodeId?: string }, options: { limit?: number; after?: string } & AbortOptions = {}): Promise<RecordPage> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filter, ...(options.limit ? { limit: String(options.limit) } : {}), ...(options.after ? { after: options.after } : {}) })) {
      if (v !== undefined) q.set(k, v);
    }
    return this.request("GET", `${ROUTES.records}?${q.toString()}`, undefined, { signal: options.signal });
  }

  /** A page of batch summaries from index `from`. */
  async batches(from = 0, limit = DEFAULT_PAGE_LIMIT, options: AbortOptions = {}): Promise<BatchPage> {
    return this.request("GET", `${ROUTES.batches}?from=${from}&limit=${limit}`, undefined, options);
  }

  /** Every batch the sequencer lists, page by page. */
  async *allBatches(pageSize = MAX_PAGE_LIMIT, options: AbortOptions = {}): AsyncGenerator<BatchSummary> {
    let from = 0;
    for (;;) {
      const page = await this.batches(from, pageSize, options);
      for (const b of page.batches) yield b;
      if (page.batches.length === 0) return;
      from = page.batches[page.batches.length - 1]!.index + 1;
      if (from >= page.total) return;
    }
  }

  /** One batch's detail (statement, state, transaction, proof). */
  async batch(index: number, options: AbortOptions = {}): Promise<BatchDetail> {
    return this.request("GET", routePath(ROUTES.batch, { index }), undefined, options);
  }

  /** One batch's records, in leaf order (what the auditor re-hashes). */
  async batchRecords(index: number, options: AbortOptions = {}): Promise<BatchRecords> {
    return this.request("GET", routePath(ROUTES.batchRecords, { index }), undefined, options);
  }

  /** Registers a node's public key (admin token). */
  async addNode(publicKey: string): Promise<NodeAdded> {
    return this.request("POST", ROUTES.nodes, { publicKey }, { admin: true });
  }

  /** Revokes a node (admin token). */
  async revokeNode(nodeId: string): Promise<NodeRevoked> {
    return this.request("DELETE", routePath(ROUTES.node, { nodeId }), undefined, { admin: true });
  }

  /** One registry entry. */
  async node(nodeId: string): Promise<NodeView> {
    return this.request("GET", routePath(ROUTES.node, { nodeId }));
  }

  /** GET /v1/nodes (every registry entry), when the sequencer serves it. */
  async nodes(): Promise<NodeList> {
    return this.request("GET", ROUTES.nodes);
  }

  /** GET /healthz (a 503 "degraded" answer is returned, not thrown). */
  async health(): Promise<Record<string, unknown>> {
    try {
      return await this.request("GET", ROUTES.health, undefined, { attempts: 1 });
    } catch (e) {
      if (e instanceof SequencerHttpError && e.status === 503) {
        const res = await this.doFetch(`${this.url}${ROUTES.health}`);
        return (await res.json()) as Record<string, unknown>;
      }
      throw e;
    }
  }
}

