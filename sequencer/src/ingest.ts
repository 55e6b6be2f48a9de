/**
 * Ingest: from a request body to durably sequenced records. Checks, in this order, each
 * refusing the whole request with the index of the first offending record:
 *   1. envelope (one record, or `{ records: [...] }` with 1..maxRecordsPerRequest) — 400
 *   2. pushback when pending work is past its bounds (records in flight; accepted records not
 *      yet anchored — proven ones included — or, with no chain, not yet proven) — 503 + Retry-After
 *   3. record format (the SDK's `parseRecord`, exact codes and messages) — 400
 *   4. timestamp not too far ahead of the sequencer's clock — 400
 *   5. the node is an active registry member — 403 (unless the record is already stored:
 *      a duplicate still gets its original receipt after its node is revoked)
 *   6. the EdDSA-Poseidon signature — 400 BAD_SIGNATURE
 *   7. each node's rate limit (records a second, a token bucket per node) — 429 RATE_LIMITED
 * then `Store.append` (group-committed, synced) assigns seq and receipts.
 *
 * Before any curve work, a request naming a node the registry has never held (a well-formed
 * `nodeId` that was never registered: the case of a flood of fresh random keys) is answered
 * from the cheap checks alone — the format checks that need no curve arithmetic
 * (`checkRecordFormat`), the clock, then 403 — so an unauthenticated client cannot make the
 * sequencer decode keys or verify signatures. Such a record can never be a stored duplicate.
 * The signature check still binds every accepted record's nodeId to its key.
 *
 * With a worker pool, 3 and 6 (and the hashes: message, nodeId, leaf, URL) run in the worker
 * threads in one pass (`VerifyPool.checkRecords`, natively when the addon is built); the
 * refusal reported is still the one the order above gives. The main thread keeps the
 * envelope, the clock and registry checks, and the group commit.
 *
 * A signed chunk (POST /v1/chunks, `submitChunk`) is refused whole, nothing stored, at the
 * first failing check of: the deployment takes chunks (a chunk shape in its circuit family) —
 * 400 CHUNKS_NOT_ACCEPTED; at most C records (the chunk shape's size) — 400 CHUNK_TOO_LARGE;
 * pushback — 503; a never-registered node — 403 (before any curve work); the SDK's
 * `parseChunk` (envelope, fields, empty, more than 16, a record repeated, records naming
 * another node, encodings, nodeId) — 400 with its code; the clock — 400; the node active —
 * 403; the one signature — 400 BAD_SIGNATURE; a record already stored — 409
 * DUPLICATE_RECORD at its index; the node's rate limit (n records) — 429. Its records are then
 * appended as one group: one synced write, consecutive seqs, all or nothing.
 */
import type { Logger } from "pino";
import {
  FIELD_MODULUS,
  ProvenanceError,
  PublicKey,
  ROUTES,
  bytesToHex,
  checkRecordFormat,
  fail,
  isChunkRecord,
  parseRecord,
  recordId,
  verifyPoseidon,
  type ParsedRecord,
  type RecordV1,
} from "@provenance/client-sdk";
import { checkChunkNative, type CheckedChunk, type CheckedRecord, type VerifyPool } from "@provenance/ingest-engine";
import type { SequencerConfig } from "./config.js";
import { SequencerError, atIndex } from "./errors.js";
import type { Metrics } from "./metrics.js";
import { TokenBuckets } from "./ratelimit.js";
import type { AppendResult, NewRecord, Store } from "./store.js";

export interface IngestResult {
  /** True when the body was one record (the answer is then one object, not a list). */
  single: boolean;
  results: AppendResult[];
}

const NODE_ID = /^[0-9a-f]{64}$/;

type IngestConfig = Pick<SequencerConfig, "maxBacklogRecords" | "maxInFlightRecords" | "retryAfterSeconds" | "maxRecordsPerRequest" | "maxFutureSkewMs"> &
  Partial<Pick<SequencerConfig, "rateLimit" | "rateLimitNodeRecordsPerSecond" | "rateLimitNodeBurst">> & {
    /**
     * Count proven-but-unanchored records in the backlog bound (true when there is a chain: a
     * stalled submitter must push back on ingest, not let receipts pile up unboundedly).
     */
    backlogCountsProven?: boolean;
  };

/** The chunk size this ingest takes (the chunk shape's C), 0 when the deployment takes no chunks, and its family's name for messages. */
export interface ChunkPolicy {
  chunkSize: number;
  circuit: string;
}

export class Ingest {
  private inFlight = 0;
  /** Records a second per node (step 7), or null when rate limits are off. */
  private readonly nodeBudget: TokenBuckets | null;

  constructor(
    private readonly store: Store,
    private readonly config: IngestConfig,
    private readonly verifyPool: VerifyPool | null,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly chunks: ChunkPolicy = { chunkSize: 0, circuit: "" },
  ) {
    this.nodeBudget =
      config.rateLimit && config.rateLimitNodeRecordsPerSecond !== undefined && config.rateLimitNodeBurst !== undefined
        ? new TokenBuckets(config.rateLimitNodeRecordsPerSecond, config.rateLimitNodeBurst)
        : null;
  }

  /** Most records in one POST /v1/records. */
  get maxRecordsPerRequest(): number {
    return this.config.maxRecordsPerRequest;
  }

  /** Records being validated or written right now. */
  get inFlightRecords(): number {
    return this.inFlight;
  }

  async submit(body: unknown): Promise<IngestResult> {
    try {
      return await this.submitUnchecked(body);
    } catch (err) {
      const code = err instanceof SequencerError || err instanceof ProvenanceError ? err.code : "INTERNAL";
      this.metrics.recordsRefused.inc({ reason: code });
      throw err;
    }
  }

  private async submitUnchecked(body: unknown): Promise<IngestResult> {
    const { single, inputs } = this.envelope(body);
    this.checkPushback(inputs.length);
    this.inFlight += inputs.length;
    try {
      const unknown = this.firstUnknownNode(inputs);
      if (unknown >= 0) this.refuseUnknownNode(inputs, unknown);
      const checked = await this.check(inputs);
      this.checkClock(checked.map((c) => c.record));
      const registry = this.store.currentRegistry;
      for (let i = 0; i < checked.length; i++) {
        const c = checked[i]!;
        if (!registry.isActive(c.nodeId) && !(await this.store.getRecord(c.id))) {
          throw new SequencerError("NODE_NOT_REGISTERED", `node ${c.record.nodeId} is not an active member of the registry`, { index: i });
        }
      }
      const bad = checked.findIndex((c) => !c.signatureValid);
      if (bad >= 0) throw atIndex(new ProvenanceError("BAD_SIGNATURE", "signature does not verify for this record and publicKey"), bad);
      const taken = this.takeNodeBudget(checked);

      const records: NewRecord[] = checked.map((c) => ({ id: c.id, nodeId: c.nodeId, record: c.record, urlHash: c.urlHash }));
      const started = performance.now();
      let results: AppendResult[];
      try {
        results = await this.store.append(records);
      } catch (err) {
        // Nothing was stored: the nodes get their budget back.
        for (const [nodeId, n] of taken) this.nodeBudget?.give(nodeId, n, this.now());
        throw err;
      }
      this.metrics.commitSeconds.observe((performance.now() - started) / 1000);
      let fresh = 0;
      for (const r of results) if (!r.duplicate) fresh++;
      this.metrics.recordsAccepted.inc(fresh);
      if (results.length > fresh) this.metrics.recordsDuplicate.inc(results.length - fresh);
      if (this.logger.isLevelEnabled("debug")) {
        for (const r of results) this.logger.debug({ record: r.id, seq: r.seq, duplicate: r.duplicate }, "record sequenced");
      }
      return { single, results };
    } finally {
      this.inFlight -= inputs.length;
    }
  }

  /** POST /v1/chunks: one signed chunk, answered with one result per record, in chunk order. */
  async submitChunk(body: unknown): Promise<AppendResult[]> {
    try {
      return await this.submitChunkUnchecked(body);
    } catch (err) {
      const code = err instanceof SequencerError || err instanceof ProvenanceError ? err.code : "INTERNAL";
      this.metrics.recordsRefused.inc({ reason: code });
      throw err;
    }
  }

  private async submitChunkUnchecked(body: unknown): Promise<AppendResult[]> {
    const { chunkSize, circuit } = this.chunks;
    if (chunkSize === 0) {
      throw new SequencerError(
        "CHUNKS_NOT_ACCEPTED",
        `this deployment's circuit family (${circuit || "its circuit"}) has no chunk shape: it accepts no chunks; submit records signed one by one to POST /v1/records`,
      );
    }
    const declared = (body as { records?: unknown } | null)?.records;
    if (Array.isArray(declared) && declared.length > chunkSize) {
      throw new ProvenanceError("CHUNK_TOO_LARGE", `chunk has ${declared.length} records; this deployment's chunk size is ${chunkSize}`);
    }
    const n = Array.isArray(declared) ? declared.length : 0;
    this.checkPushback(n);
    this.inFlight += n;
    try {
      const nodeId = (body as { nodeId?: unknown } | null)?.nodeId;
      if (typeof nodeId === "string" && NODE_ID.test(nodeId)) {
        const id = BigInt(`0x${nodeId}`);
        if (id < FIELD_MODULUS && this.store.currentRegistry.get(id) === undefined) {
          this.metrics.recordsRefusedEarly.inc();
          throw new SequencerError("NODE_NOT_REGISTERED", `node ${nodeId} is not an active member of the registry`);
        }
      }
      const checked = await this.checkChunk(body, chunkSize);
      this.checkClock(checked.records);
      const nodeHex = checked.records[0]!.nodeId;
      if (!this.store.currentRegistry.isActive(checked.nodeId)) {
        throw new SequencerError("NODE_NOT_REGISTERED", `node ${nodeHex} is not an active member of the registry`);
      }
      if (!checked.signatureValid) {
        throw new ProvenanceError(
          "BAD_SIGNATURE",
          `the chunk signature does not verify over these ${checked.records.length} records with this publicKey (records changed, reordered, added or removed after signing, or another key)`,
        );
      }
      const storedAlready = await this.store.getRecords(checked.ids);
      for (let i = 0; i < checked.ids.length; i++) {
        const stored = storedAlready[i];
        if (stored) {
          const how = "chunk" in stored.record ? `as record ${stored.record.chunk.index} of a chunk of ${stored.record.chunk.size}` : "alone";
          throw new SequencerError(
            "DUPLICATE_RECORD",
            `record ${i} of the chunk (id ${checked.ids[i]}) is already stored (seq ${stored.seq}, ${how}): a chunk is accepted only whole and new; nothing was stored`,
            { index: i },
          );
        }
      }
      const taken = this.takeNodeBudget(checked.records);
      const records: NewRecord[] = checked.records.map((record, i) => ({ id: checked.ids[i]!, nodeId: checked.nodeId, record, urlHash: checked.urlHashes[i]! }));
      const started = performance.now();
      let results: AppendResult[];
      try {
        results = await this.store.append(records, { chunk: true });
      } catch (err) {
        for (const [node, k] of taken) this.nodeBudget?.give(node, k, this.now());
        throw err;
      }
      this.metrics.commitSeconds.observe((performance.now() - started) / 1000);
      this.metrics.recordsAccepted.inc(results.length);
      if (this.logger.isLevelEnabled("debug")) this.logger.debug({ records: results.map((r) => r.id), firstSeq: results[0]?.seq }, "chunk sequenced");
      return results;
    } finally {
      this.inFlight -= n;
    }
  }

  /** The chunk's form and signature: in the worker pool (natively when built), else here. */
  private async checkChunk(body: unknown, maxRecords: number): Promise<CheckedChunk> {
    const result = this.verifyPool ? await this.verifyPool.checkChunk(body, maxRecords) : checkChunkNative(body, maxRecords, false);
    if (!result.ok) {
      const { code, message, index } = result.error;
      const err = new ProvenanceError(code, message);
      throw index === undefined ? err : atIndex(err, index);
    }
    return result.chunk;
  }

  /**
   * Step 7, once every record is known to be signed by its node (nobody else can spend a node's
   * budget): each node's records in the request come out of its token bucket, all or nothing.
   * A request asking more of a node than it holds is refused (429 RATE_LIMITED at the first
   * record over the budget, nothing stored, nothing taken), like any refusal of a record here.
   */
  private takeNodeBudget(checked: readonly ({ record: { nodeId: string } } | { nodeId: string })[]): Map<string, number> {
    const budget = this.nodeBudget;
    if (!budget) return new Map();
    const now = this.now();
    const counts = new Map<string, number>();
    let over = -1;
    const nodeOf = (c: (typeof checked)[number]): string => ("record" in c ? c.record.nodeId : c.nodeId);
    for (let i = 0; i < checked.length; i++) {
      const nodeId = nodeOf(checked[i]!);
      const n = (counts.get(nodeId) ?? 0) + 1;
      counts.set(nodeId, n);
      if (over < 0 && n > budget.available(nodeId, now)) over = i;
    }
    if (over >= 0) {
      const nodeId = nodeOf(checked[over]!);
      const asked = counts.get(nodeId)!;
      const retryAfterSeconds = budget.secondsUntil(nodeId, asked, now);
      throw new SequencerError(
        "RATE_LIMITED",
        `node ${nodeId} is over its rate limit (${budget.rate} records a second, at most ${budget.burst} at once): this request has ${asked} of its records, ` +
          `${Math.floor(budget.available(nodeId, now))} may be accepted now; nothing was stored, retry in ${retryAfterSeconds} s`,
        { index: over, retryAfterSeconds },
      );
    }
    for (const [nodeId, n] of counts) budget.take(nodeId, n, now);
    return counts;
  }

  /** Index of the first record whose `nodeId` is well-formed and was never in the registry; -1 if none. */
  private firstUnknownNode(inputs: unknown[]): number {
    const registry = this.store.currentRegistry;
    for (let i = 0; i < inputs.length; i++) {
      const nodeId = (inputs[i] as { nodeId?: unknown } | null)?.nodeId;
      if (typeof nodeId !== "string" || !NODE_ID.test(nodeId)) continue; // the format check reports it
      const id = BigInt(`0x${nodeId}`);
      if (id < FIELD_MODULUS && registry.get(id) === undefined) return i;
    }
    return -1;
  }

  /**
   * Refuses a request that names a never-registered node without any curve work: the format
   * checks that need none and the clock keep their order and errors; then 403 at `index`.
   */
  private refuseUnknownNode(inputs: unknown[], index: number): never {
    const records = inputs.map((input, i) => {
      try {
        return checkRecordFormat(input).record;
      } catch (err) {
        throw atIndex(err as Error, i);
      }
    });
    this.checkClock(records);
    this.metrics.recordsRefusedEarly.inc();
    throw new SequencerError("NODE_NOT_REGISTERED", `node ${records[index]!.nodeId} is not an active member of the registry`, { index });
  }

  /** Step 4: no timestamp past the clock plus the tolerated skew. */
  private checkClock(records: readonly { timestamp: number }[]): void {
    const horizon = this.now() + this.config.maxFutureSkewMs;
    records.forEach((r, i) => {
      if (r.timestamp > horizon) {
        throw new SequencerError("TIMESTAMP_IN_FUTURE", `timestamp ${r.timestamp} is more than ${this.config.maxFutureSkewMs} ms ahead of the sequencer's clock`, { index: i });
      }
    });
  }

  private envelope(body: unknown): { single: boolean; inputs: unknown[] } {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new SequencerError("INVALID_REQUEST", "body must be a record object or { \"records\": [...] }");
    }
    if (!("records" in body)) return { single: true, inputs: [body] };
    const keys = Object.keys(body);
    if (keys.length !== 1) throw new SequencerError("INVALID_REQUEST", "a multi-record body has only the field \"records\"");
    const records = (body as { records: unknown }).records;
    if (!Array.isArray(records)) throw new SequencerError("INVALID_REQUEST", "\"records\" must be an array");
    if (records.length === 0 || records.length > this.config.maxRecordsPerRequest) {
      throw new SequencerError("INVALID_REQUEST", `"records" must hold 1 to ${this.config.maxRecordsPerRequest} records, got ${records.length}`);
    }
    return { single: false, inputs: records };
  }

  /** Tessera's ErrPushback: refuse early, before spending work, when the backlog is full. */
  private checkPushback(n: number): void {
    const retryAfterSeconds = this.config.retryAfterSeconds;
    if (this.inFlight + n > this.config.maxInFlightRecords) {
      throw new SequencerError("OVERLOADED", `too many records in flight (${this.inFlight}); retry later`, { retryAfterSeconds });
    }
    const countsProven = this.config.backlogCountsProven ?? true;
    const backlog = (countsProven ? this.store.unanchoredRecords : this.store.unprovenRecords) + this.store.queuedForWrite;
    if (backlog + n > this.config.maxBacklogRecords) {
      throw new SequencerError("OVERLOADED", `${backlog} accepted records are waiting to be ${countsProven ? "anchored" : "proven"}; retry later`, { retryAfterSeconds });
    }
  }

  /** Format (parseRecord, first refusal by index) and signature of every record. */
  private async check(inputs: unknown[]): Promise<CheckedRecord[]> {
    if (this.verifyPool) {
      const result = await this.verifyPool.checkRecords(inputs);
      if (!result.ok) throw atIndex(result.error, result.index);
      return result.records;
    }
    const parsed = inputs.map((input, i) => {
      try {
        const p = parseRecord(input);
        if (isChunkRecord(p.record)) {
          fail("INVALID_RECORD", `record has field "chunk": a chunk is posted whole to ${ROUTES.submitChunk}, not record by record`);
        }
        return p as ParsedRecord & { record: RecordV1 };
      } catch (err) {
        throw atIndex(err as Error, i);
      }
    });
    return parsed.map((p) => ({
      record: p.record,
      id: recordId(p),
      nodeId: p.nodeId,
      urlHash: bytesToHex(p.urlHash),
      signatureValid: verifyPoseidon(p.message, p.signature, PublicKey.fromHex(p.record.publicKey)),
    }));
  }
}
