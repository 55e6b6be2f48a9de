/**
 * The durable store (LevelDB): records, their indexes, batches and the node registry.
 *
 * Sequencing is separate from integration (as in Tessera): `append` durably assigns each new
 * record the next sequence number and a signed receipt, and answers; `sealDue` later packs
 * pending records, in sequence order, into batches. Every mutation runs in one serial queue,
 * so sequence numbers, batch indexes and the registry version each advance without gaps, and
 * each mutation is one atomic LevelDB write with `sync: true` (on the disk before anyone is
 * told). Concurrent appends are group-committed: all requests waiting when a write starts go
 * into the next one.
 *
 * Key layout (all keys UTF-8, numbers zero-padded to 16 digits so they sort):
 *   m!seq, m!sealed, m!batch, m!regv     next seq; first unsealed seq; next batch index; registry version
 *   r!<seq>                              StoredRecord
 *   i!<id>                               seq of the record with this id (leaf)
 *   xu!<sha256(url)>!<seq>, xc!<contentHash>!<seq>, xn!<nodeId>!<seq>   search indexes (value: seq)
 *   b!<index>                            BatchMeta
 *   bs!<firstSeq>                        index of the batch starting at this seq (record -> batch)
 *   q!<state>!<index>                    batches waiting in `batched` / `proven` (resume lists)
 *   g!<version>                          registry operation number <version> (1-based)
 *   d!<seq>                              StoredDrop: the record was dropped from its batch (reason, signed notice)
 *
 * A batch is the contiguous seq range `firstSeq..firstSeq+count-1`, unless it was re-sealed
 * without dropped records (`resealBatch`): then `seqs` lists its members, in seq order, within
 * its original range, and every other seq of that range has a `d!` entry.
 *
 * Groups (docs/circuit-v2.md): a chunk's records are appended together, all new, so they get
 * consecutive seqs in chunk order; each stored record carries its chunk ref (`record.chunk`,
 * index and size), so a record at `seq` belongs to the group starting at `seq - chunk.index`.
 * A v1 record is a group of its own. Sealing packs whole groups (`packing.ts`); a batch of the
 * chunk shape places group g at slots g·C.. and keeps the slot (leaf index) of each member in
 * `slots`; a batch without `slots` has today's layout (member i at slot i).
 */
import { Level } from "level";
import type { Logger } from "pino";
import {
  NodeRegistry,
  bytesToHex,
  fieldToHex,
  hexToField,
  publicHash,
  sha256,
  type BatchAnchor,
  type BatchProofView,
  type BatchState,
  type AnyRecord,
  type RecordStatus,
} from "@provenance/client-sdk";
import { merkleRootFast } from "@provenance/ingest-engine";
import { SequencerError } from "./errors.js";
import type { DroppedNotice } from "./notice.js";
import { isPrefix, packNext, type PendingGroup } from "./packing.js";
import type { Receipt, ReceiptSigner } from "./receipt.js";
import { SHAPE_FAMILY_OF_ONE, withChunkShape, type DeploymentShapes } from "./shapes.js";

// A batch's and a record's states are the wire contract's (client-sdk/src/wire.ts).
export type { BatchState, RecordStatus };

export interface StoredRecord {
  seq: number;
  id: string;
  /** A v1 record, or a chunk-signed one (`chunk` in place of `signature`). */
  record: AnyRecord;
  receivedAt: number;
  receipt: Receipt;
}

/** The proof as GET /v1/batches/:index serves it (`solana`: the `submit_batch` byte layout, hex), and its timings. */
export interface StoredProof extends BatchProofView {
  provenAt: number;
  proveMs: number;
  witnessMs: number;
}

/** Served as is by GET /v1/batches/:index: the wire contract's anchor. */
export type StoredAnchor = BatchAnchor;

export interface BatchMeta {
  index: number;
  state: BatchState;
  firstSeq: number;
  count: number;
  sealedAt: number;
  registryVersion: number;
  registryRoot: string;
  batchRoot: string;
  minTs: number;
  maxTs: number;
  publicHash: string;
  /** The circuit shape the batch is laid out for and proven with (0 chunk shape, 1 single shape); absent in stores from before shapes: 0. */
  shape?: number;
  /**
   * The members' seqs when the batch was re-sealed without dropped records (ascending, inside
   * the range it was first sealed with, starting at or after `firstSeq`); absent: the range
   * `firstSeq..firstSeq+count-1`.
   */
  seqs?: number[];
  /** The slot (leaf index) of each member, in member order; absent: member i is at slot i. */
  slots?: number[];
  /** When it was last re-sealed (ms), if ever. */
  resealedAt?: number;
  proof?: StoredProof;
  anchor?: StoredAnchor;
}

/** A record dropped from its batch for good (`d!<seq>`): why, and the signed notice. */
export interface StoredDrop {
  seq: number;
  id: string;
  /** Index of the batch it was taken from, when it was taken. */
  batch: number;
  /** Why, in words (the notice signs the reason code). */
  reason: string;
  notice: DroppedNotice;
}

/** What a re-seal writes: the batch's new statement and its dropped records. */
export interface Reseal {
  /** The members that stay, ascending. Empty: every record is dropped and the batch removed. */
  seqs: number[];
  /** Their slots when not the prefix 0..n-1 (a batch of the chunk shape). */
  slots?: number[];
  registryVersion: number;
  registryRoot: string;
  batchRoot: string;
  minTs: number;
  maxTs: number;
  publicHash: string;
  drops: StoredDrop[];
}

/** The seqs of a batch's records, in leaf order. */
export function batchSeqs(meta: Pick<BatchMeta, "firstSeq" | "count" | "seqs">): number[] {
  return meta.seqs ?? Array.from({ length: meta.count }, (_, i) => meta.firstSeq + i);
}

/** The slot (leaf index) of each of a batch's records, in member order. */
export function batchSlots(meta: Pick<BatchMeta, "count" | "slots">): number[] {
  return meta.slots ?? Array.from({ length: meta.count }, (_, i) => i);
}

/** The batch's leaves, slot by slot (0 at empty slots), up to its last record. */
export function batchLeaves(meta: Pick<BatchMeta, "count" | "slots">, ids: readonly string[]): bigint[] {
  const slots = batchSlots(meta);
  const leaves = new Array<bigint>(slots.length === 0 ? 0 : slots[slots.length - 1]! + 1).fill(0n);
  slots.forEach((slot, i) => (leaves[slot] = hexToField(ids[i]!, "stored record id")));
  return leaves;
}

/** A validated record ready to be sequenced (from ingest). */
export interface NewRecord {
  id: string;
  nodeId: bigint;
  record: AnyRecord;
  /** SHA-256 of the URL (64 hex) when the caller has it already; computed otherwise. */
  urlHash?: string;
}

export interface AppendResult {
  id: string;
  seq: number;
  status: RecordStatus;
  receipt: Receipt;
  /** True when the record was already stored: the receipt is the original one. */
  duplicate: boolean;
}

export interface RegistryOp {
  op: "add" | "revoke";
  nodeId: string;
  at: number;
}

export interface StoreOptions {
  dir: string;
  batchLevels: number;
  registryLevels: number;
  signer: ReceiptSigner;
  logger: Logger;
  now?: () => number;
  /** The circuit family's shapes (packing); default: single-only with K = B, today's batches. */
  shapes?: DeploymentShapes;
}

const pad = (n: number): string => n.toString().padStart(16, "0");

type Json = unknown;
type PutOp = { type: "put"; key: string; value: Json };
type DelOp = { type: "del"; key: string };
type Op = PutOp | DelOp;

interface Group {
  records: NewRecord[];
  /** A chunk: stored whole and new, or not at all (a record already stored refuses it). */
  chunk: boolean;
  resolve: (results: AppendResult[]) => void;
  reject: (err: Error) => void;
}

/** The groups of pending records read from seq `first` on: a chunk's records (consecutive seqs), or one v1 record. */
function pendingGroups(records: readonly StoredRecord[], first: number): PendingGroup[] {
  const groups: PendingGroup[] = [];
  for (let i = 0; i < records.length; ) {
    const r = records[i]!;
    const chunk = "chunk" in r.record ? r.record.chunk : undefined;
    if (chunk && chunk.index !== 0) throw new SequencerError("INTERNAL", `store is inconsistent: pending record ${first + i} is record ${chunk.index} of a chunk whose start was sealed`);
    const size = chunk ? chunk.size : 1;
    groups.push({ first: first + i, size, nodeId: r.record.nodeId, chunk: chunk !== undefined });
    i += size;
  }
  return groups;
}

function duplicateInChunk(id: string, index: number): SequencerError {
  return new SequencerError("DUPLICATE_RECORD", `record ${index} of the chunk (id ${id}) is already stored: a chunk is accepted only whole and new; nothing was stored`, { index });
}

/** Index entries one search request reads at most (GET /v1/records?…): see `Store.searchPage`. */
export const SEARCH_MAX_SCAN = 10_000;

export class Store {
  readonly capacity: number;
  readonly shapes: DeploymentShapes;
  private readonly db: Level<string, Json>;
  private readonly signer: ReceiptSigner;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly registryLevels: number;
  private registry: NodeRegistry;
  private registryVersion = 0;
  private nextSeq = 0;
  private sealedSeq = 0;
  private nextBatch = 0;
  /** receivedAt of the record at `sealedSeq`, when one is pending. */
  private firstPendingAt: number | null = null;
  /** Records in batches not yet proven. */
  private unprovenSealed = 0;
  /** Records in batches not yet anchored (batched or proven). */
  private unanchoredSealed = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private queue: Group[] = [];
  private queuedRecords = 0;
  private flushScheduled = false;
  private closed = false;
  private readonly registryCache = new Map<number, NodeRegistry>();

  private constructor(options: StoreOptions, db: Level<string, Json>) {
    this.db = db;
    this.capacity = 2 ** options.batchLevels;
    this.signer = options.signer;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.registryLevels = options.registryLevels;
    this.registry = new NodeRegistry(options.registryLevels);
    this.shapes =
      options.shapes ??
      withChunkShape({ code: SHAPE_FAMILY_OF_ONE, circuit: "", batchLevels: options.batchLevels, chunkLevels: 0, signerSlots: this.capacity, cost: 0 }, null);
    if (this.shapes.single.batchLevels !== options.batchLevels) throw new Error(`the shapes' batchLevels ${this.shapes.single.batchLevels} is not the store's ${options.batchLevels}`);
  }

  static async open(options: StoreOptions): Promise<Store> {
    const db = new Level<string, Json>(options.dir, { valueEncoding: "json" });
    await db.open();
    const store = new Store(options, db);
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    const [seq, sealed, batch, regv] = await this.db.getMany(["m!seq", "m!sealed", "m!batch", "m!regv"]);
    this.nextSeq = (seq as number | undefined) ?? 0;
    this.sealedSeq = (sealed as number | undefined) ?? 0;
    this.nextBatch = (batch as number | undefined) ?? 0;
    const version = (regv as number | undefined) ?? 0;
    this.registry = await this.replayRegistry(version);
    this.registryVersion = version;
    if (this.registry.size > 0 || version > 0) this.registryCache.set(version, this.registry);
    await this.refreshFirstPending();
    for (const index of await this.waiting("batched")) {
      const meta = await this.batch(index);
      if (meta) this.unprovenSealed += meta.count;
    }
    this.unanchoredSealed = this.unprovenSealed;
    for (const index of await this.waiting("proven")) {
      const meta = await this.batch(index);
      if (meta) this.unanchoredSealed += meta.count;
    }
  }

  private async replayRegistry(version: number): Promise<NodeRegistry> {
    const registry = new NodeRegistry(this.registryLevels);
    if (version === 0) return registry;
    for await (const [, value] of this.db.iterator({ gt: "g!", lte: `g!${pad(version)}` })) {
      const op = value as RegistryOp;
      const nodeId = hexToField(op.nodeId, "stored registry nodeId");
      if (op.op === "add") registry.add(nodeId);
      else registry.revoke(nodeId);
    }
    return registry;
  }

  private async refreshFirstPending(): Promise<void> {
    if (this.sealedSeq >= this.nextSeq) {
      this.firstPendingAt = null;
      return;
    }
    const first = (await this.db.get(`r!${pad(this.sealedSeq)}`)) as StoredRecord | undefined;
    if (!first) throw new SequencerError("INTERNAL", `store is inconsistent: record ${this.sealedSeq} is missing`);
    this.firstPendingAt = first.receivedAt;
  }

  /** One atomic write, on the disk (fsync) before it resolves. */
  private write(ops: Op[]): Promise<void> {
    return this.db.batch(ops, { sync: true });
  }

  /**
   * `write` through a chained batch: the same single atomic synced write, at a tenth of the
   * main-thread cost of abstract-level's array form for the thousands of operations of a
   * group commit (about 1–2 µs per operation instead of 10–20 here).
   */
  private async writeChained(ops: PutOp[]): Promise<void> {
    const batch = this.db.batch();
    try {
      for (const op of ops) batch.put(op.key, op.value);
    } catch (err) {
      await batch.close();
      throw err;
    }
    await batch.write({ sync: true });
  }

  /** Runs `fn` after every mutation queued before it: the one writer. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  // --- counters -----------------------------------------------------------------------------

  /** Records accepted and not yet sealed into a batch. */
  get pendingRecords(): number {
    return this.nextSeq - this.sealedSeq;
  }

  /** Records accepted and not yet proven (pending + in `batched` batches). */
  get unprovenRecords(): number {
    return this.pendingRecords + this.unprovenSealed;
  }

  /** Records accepted and not yet anchored (pending + in `batched` and `proven` batches). */
  get unanchoredRecords(): number {
    return this.pendingRecords + this.unanchoredSealed;
  }

  /** Records waiting in the group-commit queue. */
  get queuedForWrite(): number {
    return this.queuedRecords;
  }

  get recordCount(): number {
    return this.nextSeq;
  }

  get batchCount(): number {
    return this.nextBatch;
  }

  get currentRegistry(): NodeRegistry {
    return this.registry;
  }

  get currentRegistryVersion(): number {
    return this.registryVersion;
  }

  // --- records ------------------------------------------------------------------------------

  /**
   * Sequences a group of records atomically: either every new record of the group gets a seq
   * and a receipt, durably, or none does (403 when a record's node is not active when the
   * group is written). Records already stored return their original receipt.
   */
  append(records: NewRecord[], options: { chunk?: boolean } = {}): Promise<AppendResult[]> {
    if (this.closed) return Promise.reject(new SequencerError("SHUTTING_DOWN", "the sequencer is shutting down"));
    return new Promise((resolve, reject) => {
      this.queue.push({ records, chunk: options.chunk === true, resolve, reject });
      this.queuedRecords += records.length;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        void this.exclusive(() => this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const groups = this.queue;
    this.queue = [];
    const queued = groups.reduce((n, g) => n + g.records.length, 0);
    try {
      await this.flushGroups(groups);
    } catch (err) {
      this.logger.error({ err }, "record write failed");
      const e = new SequencerError("INTERNAL", "the record could not be stored", { cause: err });
      for (const g of groups) g.reject(e);
    } finally {
      this.queuedRecords -= queued;
    }
  }

  private async flushGroups(groups: Group[]): Promise<void> {
    // Which ids are stored already?
    const ids = [...new Set(groups.flatMap((g) => g.records.map((r) => r.id)))];
    const seqs = (await this.db.getMany(ids.map((id) => `i!${id}`))) as Array<number | undefined>;
    const storedSeq = new Map<string, number>();
    ids.forEach((id, i) => {
      if (seqs[i] !== undefined) storedSeq.set(id, seqs[i]);
    });
    const storedRecords = new Map<number, StoredRecord>();
    if (storedSeq.size > 0) {
      const list = [...storedSeq.values()];
      const recs = (await this.db.getMany(list.map((s) => `r!${pad(s)}`))) as Array<StoredRecord | undefined>;
      list.forEach((s, i) => {
        if (recs[i]) storedRecords.set(s, recs[i]);
      });
    }

    const ops: PutOp[] = [];
    const fresh = new Map<string, StoredRecord>();
    const answers: Array<AppendResult[] | SequencerError> = [];
    let seq = this.nextSeq;
    let firstPendingAt = this.firstPendingAt;
    const receivedAt = this.now();
    for (const group of groups) {
      const inactive = group.records.findIndex(
        (r) => !storedSeq.has(r.id) && !fresh.has(r.id) && !this.registry.isActive(r.nodeId),
      );
      if (inactive >= 0) {
        answers.push(
          new SequencerError("NODE_NOT_REGISTERED", `node ${fieldToHex(group.records[inactive]!.nodeId)} is not an active member of the registry`, {
            index: inactive,
          }),
        );
        continue;
      }
      if (group.chunk) {
        // A chunk is stored whole and new: a record stored meanwhile (another request of this
        // write, or one before it) refuses the chunk, as ingest would have.
        const taken = group.records.findIndex((r) => storedSeq.has(r.id) || fresh.has(r.id));
        if (taken >= 0) {
          answers.push(duplicateInChunk(group.records[taken]!.id, taken));
          continue;
        }
      }
      const results: AppendResult[] = [];
      for (const r of group.records) {
        const old = storedSeq.get(r.id);
        if (old !== undefined) {
          const stored = storedRecords.get(old)!;
          results.push({ id: r.id, seq: old, status: "pending", receipt: stored.receipt, duplicate: true });
          continue;
        }
        const again = fresh.get(r.id);
        if (again) {
          results.push({ id: r.id, seq: again.seq, status: "pending", receipt: again.receipt, duplicate: true });
          continue;
        }
        // The receipt is signed below, with the whole group, off the main thread.
        const stored: StoredRecord = { seq, id: r.id, record: r.record, receivedAt, receipt: undefined as unknown as Receipt };
        fresh.set(r.id, stored);
        const key = pad(seq);
        const urlHash = r.urlHash ?? bytesToHex(sha256(new TextEncoder().encode(r.record.url)));
        ops.push(
          { type: "put", key: `r!${key}`, value: stored },
          { type: "put", key: `i!${r.id}`, value: seq },
          { type: "put", key: `xu!${urlHash}!${key}`, value: seq },
          { type: "put", key: `xc!${r.record.contentHash.toLowerCase()}!${key}`, value: seq },
          { type: "put", key: `xn!${r.record.nodeId.toLowerCase()}!${key}`, value: seq },
        );
        if (firstPendingAt === null) firstPendingAt = receivedAt;
        results.push({ id: r.id, seq, status: "pending", receipt: stored.receipt, duplicate: false });
        seq++;
      }
      answers.push(results);
    }
    if (fresh.size > 0) {
      // Sign every new record's receipt (stored objects are in `ops` by reference), then give
      // each answer for a new record (or its duplicate within this flush) its receipt.
      const records = [...fresh.values()];
      const receipts = await this.signer.signMany(records);
      records.forEach((rec, i) => (rec.receipt = receipts[i]!));
      for (const a of answers) {
        if (!Array.isArray(a)) continue;
        for (const r of a) {
          const f = fresh.get(r.id);
          if (f && f.seq === r.seq) r.receipt = f.receipt;
        }
      }
    }
    if (ops.length > 0) {
      ops.push({ type: "put", key: "m!seq", value: seq });
      await this.writeChained(ops);
      this.nextSeq = seq;
      this.firstPendingAt = firstPendingAt;
    }
    // Duplicates report the record's current status.
    const dupSeqs = new Set<number>();
    for (const a of answers) if (Array.isArray(a)) for (const r of a) if (r.duplicate && r.seq < this.sealedSeq) dupSeqs.add(r.seq);
    const statuses = new Map<number, RecordStatus>();
    for (const s of dupSeqs) statuses.set(s, (await this.recordStatus(s)).status);
    groups.forEach((g, i) => {
      const a = answers[i]!;
      if (a instanceof SequencerError) g.reject(a);
      else {
        for (const r of a) r.status = statuses.get(r.seq) ?? "pending";
        g.resolve(a);
      }
    });
  }

  async getRecordBySeq(seq: number): Promise<StoredRecord | undefined> {
    return (await this.db.get(`r!${pad(seq)}`)) as StoredRecord | undefined;
  }

  /** The stored record of each id (undefined where none), in one read of the id index. */
  async getRecords(ids: readonly string[]): Promise<Array<StoredRecord | undefined>> {
    const seqs = (await this.db.getMany(ids.map((id) => `i!${id}`))) as Array<number | undefined>;
    if (seqs.every((s) => s === undefined)) return seqs as undefined[];
    return Promise.all(seqs.map((s) => (s === undefined ? undefined : this.getRecordBySeq(s))));
  }

  async getRecord(id: string): Promise<StoredRecord | undefined> {
    const seq = (await this.db.get(`i!${id}`)) as number | undefined;
    return seq === undefined ? undefined : this.getRecordBySeq(seq);
  }

  /** A record's lifecycle status and, once sealed, its batch and leaf index (or its drop). */
  async recordStatus(seq: number): Promise<{ status: RecordStatus; batch?: BatchMeta; leafIndex?: number; drop?: StoredDrop }> {
    if (seq >= this.sealedSeq) return { status: "pending" };
    const drop = (await this.db.get(`d!${pad(seq)}`)) as StoredDrop | undefined;
    if (drop) return { status: "dropped", drop };
    for await (const [, index] of this.db.iterator({ gte: "bs!", lte: `bs!${pad(seq)}`, reverse: true, limit: 1 })) {
      const batch = await this.batch(index as number);
      if (!batch) break;
      const member = batch.seqs ? batch.seqs.indexOf(seq) : seq - batch.firstSeq;
      if (member < 0 || member >= batch.count) break;
      return { status: batch.state, batch, leafIndex: batch.slots ? batch.slots[member]! : member };
    }
    throw new SequencerError("INTERNAL", `store is inconsistent: sealed record ${seq} has no batch`);
  }

  /** Records matching every given filter (url, contentHash, nodeId), in seq order. */
  async search(filter: { url?: string; contentHash?: string; nodeId?: string }, limit: number, afterSeq = -1): Promise<StoredRecord[]> {
    return (await this.searchPage(filter, limit, afterSeq)).records;
  }

  /**
   * Records matching every field of `filter`, in seq order after `afterSeq`, through the index
   * of the first given field. At most `maxScan` index entries are read per call (a filter on a
   * URL with many records and a content hash none of them has cannot make one request read
   * them all); `cursor` is where to continue (the last seq read) or null when the index is done.
   */
  async searchPage(
    filter: { url?: string; contentHash?: string; nodeId?: string },
    limit: number,
    afterSeq = -1,
    maxScan = SEARCH_MAX_SCAN,
  ): Promise<{ records: StoredRecord[]; cursor: number | null }> {
    let prefix: string;
    if (filter.url !== undefined) prefix = `xu!${bytesToHex(sha256(new TextEncoder().encode(filter.url)))}!`;
    else if (filter.contentHash !== undefined) prefix = `xc!${filter.contentHash.toLowerCase()}!`;
    else if (filter.nodeId !== undefined) prefix = `xn!${filter.nodeId.toLowerCase()}!`;
    else throw new SequencerError("INVALID_REQUEST", "search needs at least one of url, contentHash, nodeId");
    const out: StoredRecord[] = [];
    const gt = afterSeq >= 0 ? `${prefix}${pad(afterSeq)}` : prefix;
    let scanned = 0;
    for await (const [, seq] of this.db.iterator({ gt, lt: `${prefix}~` })) {
      scanned++;
      const last = seq as number;
      const rec = await this.getRecordBySeq(last);
      if (rec) {
        const matches =
          (filter.url === undefined || rec.record.url === filter.url) &&
          (filter.contentHash === undefined || rec.record.contentHash.toLowerCase() === filter.contentHash.toLowerCase()) &&
          (filter.nodeId === undefined || rec.record.nodeId.toLowerCase() === filter.nodeId.toLowerCase());
        if (matches) out.push(rec);
      }
      if (out.length >= limit || scanned >= maxScan) return { records: out, cursor: last };
    }
    return { records: out, cursor: null };
  }

  // --- batches ------------------------------------------------------------------------------

  /**
   * Seals every full batch of pending records, and the rest too when the oldest pending record
   * has waited `maxAgeMs` (or `force`). Returns the new batches.
   */
  sealDue(maxAgeMs: number, force = false): Promise<BatchMeta[]> {
    return this.exclusive(() => this.sealLocked(maxAgeMs, force));
  }

  private async sealLocked(maxAgeMs: number, force: boolean): Promise<BatchMeta[]> {
    const metas: BatchMeta[] = [];
    for (;;) {
      const sealed = await this.sealSome(maxAgeMs, force);
      if (sealed.length === 0) return metas;
      metas.push(...sealed);
    }
  }

  /**
   * One synced write sealing up to 64 batches: each batch packed from the oldest pending groups
   * (`packing.ts`: whole chunks, within the shape's regions and signer slots, the better of the
   * family's two shapes), sealed when it is full (the next group does not fit, or it is at
   * capacity), and the last one, which holds every remaining group, when its first record is
   * `maxAgeMs` old (or `force`). One fsync for many batches keeps sealing from holding up the
   * appends queued behind it.
   */
  private async sealSome(maxAgeMs: number, force: boolean): Promise<BatchMeta[]> {
    const pending = this.pendingRecords;
    if (pending === 0) return [];
    const MAX_BATCHES = 64;
    // Enough for 64 full batches and the start of the next group.
    const take = Math.min(pending, MAX_BATCHES * this.capacity + 16);
    const records: StoredRecord[] = [];
    const first = this.sealedSeq;
    for await (const [, v] of this.db.iterator({ gte: `r!${pad(first)}`, lt: `r!${pad(first + take)}` })) records.push(v as StoredRecord);
    if (records.length !== take) throw new SequencerError("INTERNAL", `store is inconsistent: ${take} records expected from seq ${first}`);
    const exhausted = take === pending;
    const groups = pendingGroups(records, first);
    // A chunk cut by the read's end is read whole next time.
    if (!exhausted && groups.length > 0) {
      const last = groups[groups.length - 1]!;
      if (last.first + last.size > first + take) groups.pop();
    }

    const ops: Op[] = [];
    const metas: BatchMeta[] = [];
    let seq = first;
    let at = 0;
    let index = this.nextBatch;
    const sealedAt = this.now();
    while (at < groups.length && metas.length < MAX_BATCHES) {
      const packed = packNext(groups.slice(at, at + this.capacity + 1), this.shapes);
      if (!packed) {
        const g = groups[at]!;
        throw new SequencerError("INTERNAL", `pending group at seq ${g.first} (${g.size} records${g.chunk ? ", a chunk" : ""}) fits no shape of this deployment's circuit family`);
      }
      const last = at + packed.groups === groups.length;
      if (!packed.full && last && exhausted) {
        const firstAt = records[seq - first]!.receivedAt;
        if (!force && this.now() - firstAt < maxAgeMs) break;
      } else if (!packed.full && last) break; // more pending beyond what was read: packed next time
      const count = packed.count;
      const batchRecords = records.slice(seq - first, seq - first + count);
      const prefix = isPrefix(packed.slots);
      const layout = { count, ...(prefix ? {} : { slots: packed.slots }) };
      const batchRoot = merkleRootFast(Math.log2(this.capacity), batchLeaves(layout, batchRecords.map((r) => r.id)));
      const timestamps = batchRecords.map((r) => r.record.timestamp);
      const statement = {
        registryRoot: this.registry.root,
        batchRoot,
        count,
        minTs: Math.min(...timestamps),
        maxTs: Math.max(...timestamps),
      };
      const meta: BatchMeta = {
        index,
        state: "batched",
        firstSeq: seq,
        count,
        sealedAt,
        registryVersion: this.registryVersion,
        registryRoot: fieldToHex(statement.registryRoot),
        batchRoot: fieldToHex(batchRoot),
        minTs: statement.minTs,
        maxTs: statement.maxTs,
        publicHash: fieldToHex(publicHash(statement)),
        shape: packed.shape.code,
        ...(prefix ? {} : { slots: packed.slots }),
      };
      ops.push(
        { type: "put", key: `b!${pad(index)}`, value: meta },
        { type: "put", key: `bs!${pad(seq)}`, value: index },
        { type: "put", key: `q!batched!${pad(index)}`, value: index },
      );
      metas.push(meta);
      seq += count;
      at += packed.groups;
      index++;
    }
    if (metas.length === 0) return [];
    ops.push({ type: "put", key: "m!sealed", value: seq }, { type: "put", key: "m!batch", value: index });
    await this.write(ops);
    this.sealedSeq = seq;
    this.nextBatch = index;
    this.unprovenSealed += seq - first;
    this.unanchoredSealed += seq - first;
    if (seq < first + records.length) this.firstPendingAt = records[seq - first]!.receivedAt;
    else await this.refreshFirstPending();
    for (const m of metas) this.logger.info({ batch: m.index, count: m.count, firstSeq: m.firstSeq, batchRoot: m.batchRoot, shape: m.shape }, "batch sealed");
    return metas;
  }

  /** Milliseconds until the oldest pending record's batch is due (null when nothing is pending). */
  msUntilDue(maxAgeMs: number): number | null {
    if (this.firstPendingAt === null) return null;
    return Math.max(0, this.firstPendingAt + maxAgeMs - this.now());
  }

  async batch(index: number): Promise<BatchMeta | undefined> {
    return (await this.db.get(`b!${pad(index)}`)) as BatchMeta | undefined;
  }

  async listBatches(fromIndex: number, limit: number): Promise<BatchMeta[]> {
    const out: BatchMeta[] = [];
    for await (const [, v] of this.db.iterator({ gte: `b!${pad(fromIndex)}`, lt: "b!~", limit })) out.push(v as BatchMeta);
    return out;
  }

  async batchRecords(meta: BatchMeta): Promise<StoredRecord[]> {
    if (meta.seqs) {
      const recs = (await this.db.getMany(meta.seqs.slice(0, meta.count).map((s) => `r!${pad(s)}`))) as Array<StoredRecord | undefined>;
      return recs.map((r, i) => {
        if (!r) throw new SequencerError("INTERNAL", `store is inconsistent: record ${meta.seqs![i]} of batch ${meta.index} is missing`);
        return r;
      });
    }
    const out: StoredRecord[] = [];
    for await (const [, v] of this.db.iterator({ gte: `r!${pad(meta.firstSeq)}`, lt: `r!${pad(meta.firstSeq + meta.count)}` })) {
      out.push(v as StoredRecord);
    }
    return out;
  }

  /** Indexes of batches waiting in `state`, ascending: what the pipeline resumes on start. */
  async waiting(state: "batched" | "proven"): Promise<number[]> {
    const out: number[] = [];
    for await (const [, v] of this.db.iterator({ gt: `q!${state}!`, lt: `q!${state}!~` })) out.push(v as number);
    return out;
  }

  markProven(index: number, proof: StoredProof): Promise<BatchMeta> {
    return this.exclusive(async () => {
      const meta = await this.batch(index);
      if (!meta) throw new SequencerError("NOT_FOUND", `batch ${index} does not exist`);
      if (meta.state !== "batched") throw new SequencerError("INTERNAL", `batch ${index} is ${meta.state}, not batched`);
      // The proof's one public signal is the statement's hash: a proof of another statement
      // (the batch was re-sealed or renumbered while it was proven) is never kept.
      const signal = proof.publicSignals[0];
      if (proof.publicSignals.length !== 1 || signal === undefined || !/^\d+$/.test(signal) || fieldToHex(BigInt(signal)) !== meta.publicHash) {
        throw new SequencerError("INTERNAL", `the proof's public signal is not batch ${index}'s public hash ${meta.publicHash} (the batch changed while it was proven)`);
      }
      const next: BatchMeta = { ...meta, state: "proven", proof };
      await this.write(
        [
          { type: "put", key: `b!${pad(index)}`, value: next },
          { type: "del", key: `q!batched!${pad(index)}` },
          { type: "put", key: `q!proven!${pad(index)}`, value: index },
        ],
      );
      this.unprovenSealed -= meta.count;
      return next;
    });
  }

  /**
   * Sends a proven batch back to `batched` under a newer registry version, keeping its records
   * and root: its proof was made against a registry root the chain no longer accepts (replaced
   * more than the program's grace period ago), so it must be proven again against a current
   * one. The caller checks that every node of the batch is still a member at `registryVersion`.
   */
  reassignRegistry(index: number, update: { registryVersion: number; registryRoot: string; publicHash: string }): Promise<BatchMeta> {
    return this.exclusive(async () => {
      const meta = await this.batch(index);
      if (!meta) throw new SequencerError("NOT_FOUND", `batch ${index} does not exist`);
      if (meta.state !== "proven") throw new SequencerError("INTERNAL", `batch ${index} is ${meta.state}, not proven`);
      if (update.registryVersion <= meta.registryVersion) {
        throw new SequencerError("INTERNAL", `batch ${index} can only move to a newer registry version than ${meta.registryVersion}`);
      }
      const { proof: _superseded, ...rest } = meta;
      const next: BatchMeta = { ...rest, ...update, state: "batched" };
      await this.write(
        [
          { type: "put", key: `b!${pad(index)}`, value: next },
          { type: "del", key: `q!proven!${pad(index)}` },
          { type: "put", key: `q!batched!${pad(index)}`, value: index },
        ],
      );
      this.unprovenSealed += meta.count;
      return next;
    });
  }

  /**
   * Re-seals a proven batch without its dropped records, in one synced write: the dropped
   * records get their `d!` entries (reason and signed notice), the batch its new statement
   * (members, registry version and root, batch root, count, window, public hash) and goes back
   * to `batched`, to be proven again. Its index stays (the index is not part of the proof
   * statement). When no record is left the batch is removed and every later batch — none of
   * them anchored: submission is in index order and this is the next one — moves down one
   * index, so the indexes the chain sees stay gapless. Returns the new meta (null when removed).
   */
  resealBatch(index: number, update: Reseal): Promise<BatchMeta | null> {
    return this.exclusive(async () => {
      const meta = await this.batch(index);
      if (!meta) throw new SequencerError("NOT_FOUND", `batch ${index} does not exist`);
      if (meta.state !== "proven") throw new SequencerError("INTERNAL", `batch ${index} is ${meta.state}, not proven`);
      const members = batchSeqs(meta);
      const dropped = new Set(update.drops.map((d) => d.seq));
      const expectKept = members.filter((s) => !dropped.has(s));
      if (update.drops.length === 0 || dropped.size !== update.drops.length || update.drops.some((d) => !members.includes(d.seq)) ||
        expectKept.length !== update.seqs.length || expectKept.some((s, i) => update.seqs[i] !== s)) {
        throw new SequencerError("INTERNAL", `re-seal of batch ${index}: the kept and dropped records must partition its ${members.length} records`);
      }
      const ops: Op[] = update.drops.map((d) => ({ type: "put", key: `d!${pad(d.seq)}`, value: d }));
      ops.push({ type: "del", key: `q!proven!${pad(index)}` });
      let next: BatchMeta | null = null;
      if (update.seqs.length > 0) {
        const { proof: _superseded, slots: _oldSlots, ...rest } = meta;
        next = {
          ...rest,
          state: "batched",
          count: update.seqs.length,
          seqs: update.seqs,
          ...(update.slots ? { slots: update.slots } : {}),
          registryVersion: update.registryVersion,
          registryRoot: update.registryRoot,
          batchRoot: update.batchRoot,
          minTs: update.minTs,
          maxTs: update.maxTs,
          publicHash: update.publicHash,
          resealedAt: this.now(),
        };
        ops.push({ type: "put", key: `b!${pad(index)}`, value: next }, { type: "put", key: `q!batched!${pad(index)}`, value: index });
      } else {
        // Removed: every later batch moves down one index.
        ops.push({ type: "del", key: `bs!${pad(meta.firstSeq)}` });
        const [batchedList, provenList] = [new Set(await this.waiting("batched")), new Set(await this.waiting("proven"))];
        for (let j = index + 1; j < this.nextBatch; j++) {
          const later = await this.batch(j);
          if (!later) throw new SequencerError("INTERNAL", `store is inconsistent: batch ${j} is missing`);
          if (later.state === "anchored") throw new SequencerError("INTERNAL", `batch ${j} is anchored after unanchored batch ${index}`);
          const moved: BatchMeta = { ...later, index: j - 1 };
          ops.push({ type: "put", key: `b!${pad(j - 1)}`, value: moved }, { type: "put", key: `bs!${pad(later.firstSeq)}`, value: j - 1 });
          for (const [state, list] of [["batched", batchedList], ["proven", provenList]] as const) {
            if (list.has(j)) ops.push({ type: "del", key: `q!${state}!${pad(j)}` }, { type: "put", key: `q!${state}!${pad(j - 1)}`, value: j - 1 });
          }
        }
        ops.push({ type: "del", key: `b!${pad(this.nextBatch - 1)}` }, { type: "put", key: "m!batch", value: this.nextBatch - 1 });
      }
      await this.write(ops);
      this.unanchoredSealed -= update.drops.length;
      this.unprovenSealed += update.seqs.length;
      if (!next) this.nextBatch--;
      this.logger.warn(
        { batch: index, dropped: update.drops.map((d) => d.id), kept: update.seqs.length, registryVersion: update.registryVersion, removed: next === null },
        next ? "batch re-sealed without dropped records" : "batch removed: every record dropped; later batches renumbered",
      );
      return next;
    });
  }

  /** The drop of the record at `seq`, if it was dropped. */
  async dropOf(seq: number): Promise<StoredDrop | undefined> {
    return (await this.db.get(`d!${pad(seq)}`)) as StoredDrop | undefined;
  }

  markAnchored(index: number, anchor: StoredAnchor): Promise<BatchMeta> {
    return this.exclusive(async () => {
      const meta = await this.batch(index);
      if (!meta) throw new SequencerError("NOT_FOUND", `batch ${index} does not exist`);
      if (meta.state !== "proven") throw new SequencerError("INTERNAL", `batch ${index} is ${meta.state}, not proven`);
      const next: BatchMeta = { ...meta, state: "anchored", anchor };
      await this.write(
        [
          { type: "put", key: `b!${pad(index)}`, value: next },
          { type: "del", key: `q!proven!${pad(index)}` },
        ],
      );
      this.unanchoredSealed -= meta.count;
      return next;
    });
  }

  // --- registry -----------------------------------------------------------------------------

  /** Registers a node (DUPLICATE_NODE / TREE_FULL from the SDK when it cannot). */
  addNode(nodeId: bigint): Promise<{ version: number; index: number; root: bigint }> {
    return this.exclusive(async () => {
      const next = NodeRegistry.fromJSON(this.registry.toJSON());
      const entry = next.add(nodeId);
      const version = this.registryVersion + 1;
      const op: RegistryOp = { op: "add", nodeId: fieldToHex(nodeId), at: this.now() };
      await this.write(
        [
          { type: "put", key: `g!${pad(version)}`, value: op },
          { type: "put", key: "m!regv", value: version },
        ],
      );
      this.setRegistry(next, version);
      this.logger.info({ nodeId: op.nodeId, slot: entry.index, registryVersion: version }, "node registered");
      return { version, index: entry.index, root: next.root };
    });
  }

  /**
   * Revokes a node. Pending records are sealed first, under the registry they were accepted
   * with: every record acknowledged before the revocation stays provable (a batch's proof
   * needs each of its nodes to be a member under the batch's registry root).
   */
  revokeNode(nodeId: bigint): Promise<{ version: number; root: bigint; sealed: BatchMeta[] }> {
    return this.exclusive(async () => {
      const next = NodeRegistry.fromJSON(this.registry.toJSON());
      next.revoke(nodeId);
      const sealed = await this.sealLocked(0, true);
      const version = this.registryVersion + 1;
      const op: RegistryOp = { op: "revoke", nodeId: fieldToHex(nodeId), at: this.now() };
      await this.write(
        [
          { type: "put", key: `g!${pad(version)}`, value: op },
          { type: "put", key: "m!regv", value: version },
        ],
      );
      this.setRegistry(next, version);
      this.logger.info({ nodeId: op.nodeId, registryVersion: version, sealedBatches: sealed.map((b) => b.index) }, "node revoked");
      return { version, root: next.root, sealed };
    });
  }

  private setRegistry(registry: NodeRegistry, version: number): void {
    this.registry = registry;
    this.registryVersion = version;
    this.registryCache.set(version, registry);
    // Keep the current version and a few recent ones (batches in flight use them).
    while (this.registryCache.size > 4) this.registryCache.delete(this.registryCache.keys().next().value!);
  }

  /** The registry as it was at `version` (what a batch sealed then is proven against). */
  async registryAt(version: number): Promise<NodeRegistry> {
    const hit = this.registryCache.get(version);
    if (hit) return hit;
    if (version > this.registryVersion) throw new SequencerError("INTERNAL", `registry version ${version} is in the future`);
    const registry = await this.replayRegistry(version);
    return registry;
  }

  /** The registry log: every add / revoke in order. */
  async registryLog(): Promise<RegistryOp[]> {
    const out: RegistryOp[] = [];
    for await (const [, v] of this.db.iterator({ gt: "g!", lt: "g!~" })) out.push(v as RegistryOp);
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.db.close();
  }
}
