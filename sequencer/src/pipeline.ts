/**
 * The pipeline that moves batches `pending -> batched -> proven -> anchored` (docs/life-of-a-record.md):
 *
 * - sealing: a full batch is sealed as soon as its last record is written; a partial one when
 *   its first record is `batchMaxAgeMs` old (a timer);
 * - proving: batches in `batched` go to the BatchProver's pool (bounded by its capacity: each
 *   prover process takes two, the next one's witness computed while one proves), each rebuilt from the stored records and the registry version it was sealed
 *   under, and checked against its stored root before proving; failures are retried with
 *   backoff;
 * - submission: proven batches go to the chain submitter strictly in index order. The program
 *   keeps the current registry root current until a batch proven against the staged one lands
 *   (which promotes it), so the root moves only on this in-order path:
 *   - the batch's root is accepted (current, staged, or superseded within the grace period):
 *     it is submitted;
 *   - its registry version is newer than the chain's newest (staged, else current): with the
 *     admin key it is staged (`set_registry_root(root, version, false)`) and submitted; without
 *     it the batch waits, and /healthz says the admin must push that version;
 *   - otherwise (the staged root it was proven against was replaced, or an emergency
 *     `retire_previous` forgot it): it is proven again against the chain's target registry —
 *     the staged version if any, else the current one, one version at a time, never the
 *     store's newest (M4). Records whose node is not active there are dropped: the batch is
 *     re-sealed without them (same index; a batch left empty is removed and the later ones
 *     renumbered), and each gets status `dropped` with a reason and a signed notice.
 *   With no submitter batches stay `proven`;
 * - registry sync: every `registrySyncMs`, with the admin key, the store's current registry
 *   version is staged when it is newer than the chain's newest and no unanchored batch needs a
 *   version newer than the chain's current (so a staged root is never replaced while batches
 *   need it); without the admin key it is only reported.
 *
 * On start every batch resumes from its persisted state: the store lists the batches waiting
 * in `batched` and in `proven`.
 */
import type { Logger } from "pino";
import { buildBatch, buildShapedBatch, fieldToHex, hexToField, parseRecord, publicHash, type Batch, type ParsedRecord } from "@provenance/client-sdk";
import type { NoticeSigner } from "./notice.js";
import type { BatchProving } from "@provenance/prover";
import type { Metrics } from "./metrics.js";
import { shapeOf, type DeploymentShapes } from "./shapes.js";
import { batchSeqs, type BatchMeta, type Store, type StoredDrop, type StoredRecord } from "./store.js";
import type { ChainState, ChainSubmitter } from "./submitter.js";
import { SequencerError } from "./errors.js";

export interface PipelineOptions {
  store: Store;
  prover: BatchProving;
  submitter: ChainSubmitter | null;
  metrics: Metrics;
  logger: Logger;
  batchMaxAgeMs: number;
  /** Backoff after a failed attempt: first delay and cap (ms). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often the on-chain registry root is compared with the store's (ms); also how often a batch waiting for the admin looks again. */
  registrySyncMs?: number;
  /** Signs dropped notices (the receipt key); without it a batch that must drop records waits with an error. */
  noticeSigner?: NoticeSigner | null;
}

/** Why submission is not moving, since when: what /healthz reports once it lasts too long. */
export interface SubmitStall {
  /** ms since the epoch when the current streak of failing (or waiting) began. */
  since: number;
  reason: string;
  /** `failing`: attempts fail; `waiting`: a registry version must be staged by the admin. */
  kind: "failing" | "waiting";
}

const bytesHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** A batch's records (in member order) as groups: a chunk's records together, a v1 record alone. */
function recordGroups(records: readonly StoredRecord[]): ParsedRecord[][] {
  const groups: ParsedRecord[][] = [];
  for (const r of records) {
    const chunk = "chunk" in r.record ? r.record.chunk : undefined;
    if (!chunk || chunk.index === 0) groups.push([]);
    groups[groups.length - 1]!.push(parseRecord(r.record));
  }
  return groups;
}

/**
 * The SDK batch of stored records under the shape the batch was sealed with: the single shape
 * is today's prefix layout (`buildBatch`); the chunk shape places group g at slots g·C
 * (`buildShapedBatch`). Also gives each record's slot (leaf index), in member order.
 */
export function buildStoredBatch(
  records: readonly StoredRecord[],
  shapeCode: number | undefined,
  shapes: DeploymentShapes,
  registryRoot: bigint,
  window?: { minTs: number; maxTs: number },
): { batch: Batch; slots: number[] } {
  const shape = shapeOf(shapes, shapeCode);
  if (shape.chunkLevels === 0) {
    const batch = buildBatch(records.map((r) => parseRecord(r.record)), shape.batchLevels, registryRoot, window);
    return { batch, slots: records.map((_, i) => i) };
  }
  const batch = buildShapedBatch(recordGroups(records), { batchLevels: shape.batchLevels, chunkLevels: shape.chunkLevels, signerSlots: shape.signerSlots }, registryRoot, window);
  const slotOf = new Map<bigint, number>();
  batch.slots.forEach((r, slot) => {
    if (r) slotOf.set(r.leaf, slot);
  });
  return { batch, slots: records.map((r) => slotOf.get(hexToField(r.id, "stored record id"))!) };
}

export class Pipeline {
  private readonly store: Store;
  private readonly prover: BatchProving;
  private readonly submitter: ChainSubmitter | null;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly maxAgeMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly registrySyncMs: number;
  private readonly noticeSigner: NoticeSigner | null;
  private readonly toProve: number[] = [];
  private readonly proving = new Set<number>();
  private readonly toSubmit: number[] = [];
  private submitting = false;
  private sealTimer: NodeJS.Timeout | null = null;
  private sealing: Promise<void> | null = null;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Last failure of the prover or the submitter, for /healthz (cleared on the next success). */
  lastProverError: string | null = null;
  lastSubmitError: string | null = null;
  /** Set while submission fails or waits; cleared when a batch lands or moves on. */
  private stall: SubmitStall | null = null;
  /** The registry sync's last report (e.g. a version the admin must stage), for /healthz. */
  registryNote: string | null = null;
  /** While true no new proof starts (a batch is being removed and the later ones renumbered). */
  private proveHold = false;
  /** set_registry_root calls, one at a time (the submit path and the sync). */
  private registryLock: Promise<unknown> = Promise.resolve();

  constructor(options: PipelineOptions) {
    this.store = options.store;
    this.prover = options.prover;
    this.submitter = options.submitter;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.maxAgeMs = options.batchMaxAgeMs;
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.retryMaxMs = options.retryMaxMs ?? 60_000;
    this.registrySyncMs = options.registrySyncMs ?? 5000;
    this.noticeSigner = options.noticeSigner ?? null;
  }

  /** Why submission is stuck and since when, or null when it is moving (or has nothing to do). */
  get submitStall(): SubmitStall | null {
    return this.stall;
  }

  private stalled(kind: SubmitStall["kind"], reason: string): void {
    if (this.stall && this.stall.kind === kind) this.stall = { ...this.stall, reason };
    else this.stall = { since: this.stall?.since ?? Date.now(), reason, kind };
  }

  /** Resumes every batch from its persisted state, then seals what is due. */
  async start(): Promise<void> {
    const batched = await this.store.waiting("batched");
    const proven = await this.store.waiting("proven");
    if (batched.length + proven.length > 0) {
      this.logger.info({ batched, proven, submitter: this.submitter?.description ?? null }, "resuming batches");
    }
    this.toProve.push(...batched);
    this.toSubmit.push(...proven);
    this.proveNext();
    this.submitNext();
    this.onAppended();
    this.scheduleRegistrySync();
  }

  get provingBatches(): number {
    return this.proving.size + this.toProve.length;
  }

  /** Called after records are written: seals full batches now, arms the age timer otherwise. */
  onAppended(): void {
    if (this.stopped) return;
    if (this.store.pendingRecords >= this.store.capacity) {
      void this.seal();
      return;
    }
    this.armSealTimer();
  }

  private armSealTimer(): void {
    if (this.sealTimer || this.stopped) return;
    const wait = this.store.msUntilDue(this.maxAgeMs);
    if (wait === null) return;
    this.sealTimer = setTimeout(() => {
      this.sealTimer = null;
      void this.seal();
    }, wait);
  }

  /** Seals what is due (one sealing at a time), hands new batches to the prover. */
  seal(): Promise<void> {
    if (this.sealing) return this.sealing;
    this.sealing = (async () => {
      try {
        const metas = await this.store.sealDue(this.maxAgeMs);
        this.enqueueSealed(metas);
      } catch (err) {
        this.logger.error({ err }, "sealing failed");
      } finally {
        this.sealing = null;
      }
      if (this.store.pendingRecords >= this.store.capacity) void this.seal();
      else this.armSealTimer();
    })();
    return this.sealing;
  }

  /** Batches sealed outside `seal` (a revocation seals pending records first). */
  enqueueSealed(metas: BatchMeta[]): void {
    for (const m of metas) {
      this.metrics.batches.inc({ state: "batched" });
      this.toProve.push(m.index);
    }
    if (metas.length > 0) this.proveNext();
  }

  private proveNext(): void {
    while (!this.stopped && !this.proveHold && this.toProve.length > 0 && this.proving.size < this.prover.capacity) {
      const index = this.toProve.shift()!;
      if (this.proving.has(index)) continue; // queued twice: the running proof covers it
      this.proving.add(index);
      void this.proveBatch(index).finally(() => {
        this.proving.delete(index);
        this.proveNext();
      });
    }
  }

  private async proveBatch(index: number, attempt = 0): Promise<void> {
    const log = this.logger.child({ batch: index });
    try {
      const meta = await this.store.batch(index);
      // Gone: an emptied batch was removed and the later ones renumbered (they are queued anew).
      if (!meta || meta.state !== "batched") return;
      const records = await this.store.batchRecords(meta);
      const registry = await this.store.registryAt(meta.registryVersion);
      const { batch } = buildStoredBatch(records, meta.shape, this.store.shapes, registry.root, { minTs: meta.minTs, maxTs: meta.maxTs });
      if (fieldToHex(batch.statement.batchRoot) !== meta.batchRoot || fieldToHex(registry.root) !== meta.registryRoot) {
        throw new SequencerError("INTERNAL", `batch ${index} rebuilt from the store does not match its sealed roots`);
      }
      log.info({ count: meta.count, attempt }, "proving batch");
      const started = performance.now();
      const out = await this.prover.prove(batch, registry, { index });
      if (this.stopped) return;
      const seconds = (performance.now() - started) / 1000;
      const proven = await this.store.markProven(index, {
        circuit: out.circuit,
        shape: out.shape,
        proof: out.proof,
        publicSignals: out.publicSignals,
        solana: { proofA: bytesHex(out.solana.proofA), proofB: bytesHex(out.solana.proofB), proofC: bytesHex(out.solana.proofC) },
        provenAt: Date.now(),
        proveMs: out.proveMs,
        witnessMs: out.witnessMs,
      });
      this.metrics.proofSeconds.observe(seconds);
      this.metrics.batches.inc({ state: "proven" });
      const oldest = records[0]?.receivedAt;
      if (oldest !== undefined) this.metrics.batchLagSeconds.observe({ state: "proven" }, (Date.now() - oldest) / 1000);
      this.lastProverError = null;
      log.info({ proveMs: out.proveMs, witnessMs: out.witnessMs }, "batch proven");
      this.toSubmit.push(proven.index);
      this.toSubmit.sort((a, b) => a - b);
      this.submitNext();
    } catch (err) {
      if (this.stopped) return;
      this.metrics.proverFailures.inc();
      this.lastProverError = `batch ${index}: ${(err as Error).message}`;
      const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** attempt);
      log.error({ err, attempt, retryInMs: delay }, "proving failed; will retry");
      await this.sleep(delay);
      if (!this.stopped) return this.proveBatch(index, attempt + 1);
    }
  }

  private submitNext(): void {
    if (!this.submitter || this.submitting || this.stopped || this.toSubmit.length === 0) return;
    this.submitting = true;
    void this.submitLoop(this.submitter).finally(() => {
      this.submitting = false;
    });
  }

  /** Strictly in index order: batch i is sent only once every batch before it is anchored. */
  private async submitLoop(submitter: ChainSubmitter): Promise<void> {
    let attempt = 0;
    while (!this.stopped && this.toSubmit.length > 0) {
      const index = this.toSubmit[0]!;
      const log = this.logger.child({ batch: index });
      if (index > 0) {
        const previous = await this.store.batch(index - 1);
        if (previous && previous.state !== "anchored") return; // submitted when its predecessor lands
      }
      try {
        const meta = await this.store.batch(index);
        if (!meta || meta.state !== "proven") {
          this.toSubmit.shift();
          continue;
        }
        const started = performance.now();
        const chain = await submitter.chainState();
        if (chain.nextIndex <= index && !chain.acceptedRegistryRoots.includes(meta.registryRoot)) {
          const next = await this.registryStep(meta, chain, submitter, log);
          if (next === "wait") {
            await this.sleep(this.registrySyncMs);
            continue;
          }
          attempt = 0;
          this.stall = null;
          if (next === "requeued") this.toSubmit.shift();
          continue; // "staged" or "reloaded": look at the chain (and the queue) again
        }
        const anchor = await submitter.submitBatch(meta);
        await this.store.markAnchored(index, anchor);
        this.metrics.submitSeconds.observe((performance.now() - started) / 1000);
        this.metrics.batches.inc({ state: "anchored" });
        const first = await this.store.batchRecords({ ...meta, count: 1 });
        const oldest = first[0]?.receivedAt;
        if (oldest !== undefined) this.metrics.batchLagSeconds.observe({ state: "anchored" }, (Date.now() - oldest) / 1000);
        this.lastSubmitError = null;
        this.stall = null;
        log.info({ txSignature: anchor.txSignature, slot: anchor.slot }, "batch anchored");
        this.toSubmit.shift();
        attempt = 0;
      } catch (err) {
        if (this.stopped) return;
        this.metrics.submitFailures.inc();
        this.lastSubmitError = `batch ${index}: ${(err as Error).message}`;
        this.stalled("failing", this.lastSubmitError);
        const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** attempt++);
        log.error({ err, retryInMs: delay }, "submission failed; will retry");
        await this.sleep(delay);
      }
    }
  }

  /** The chain's newest registry version: the staged one if any, else the current one. */
  private static newest(chain: ChainState): { version: number; root: string } {
    return chain.stagedRegistryRoot !== null
      ? { version: chain.stagedRegistryVersion, root: chain.stagedRegistryRoot }
      : { version: chain.registryVersion, root: chain.registryRoot };
  }

  private withRegistryLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.registryLock.then(fn);
    this.registryLock = run.catch(() => undefined);
    return run;
  }

  /**
   * The chain does not accept the head batch's registry root. Newer than the chain's newest:
   * stage it (admin key) or wait for the admin. Otherwise the root it was proven against is
   * gone for good: prove it again against the chain's target registry, dropping records whose
   * node is not a member there.
   */
  private async registryStep(meta: BatchMeta, chain: ChainState, submitter: ChainSubmitter, log: Logger): Promise<"staged" | "wait" | "requeued" | "reloaded"> {
    const newest = Pipeline.newest(chain);
    if (meta.registryVersion > newest.version) {
      if (submitter.canSetRegistry) {
        log.info({ registryRoot: meta.registryRoot, registryVersion: meta.registryVersion, onChainVersion: newest.version }, "staging the batch's registry root on-chain");
        await this.withRegistryLock(() => submitter.setRegistryRoot(meta.registryRoot, meta.registryVersion, false));
        return "staged";
      }
      const reason =
        `registry version ${meta.registryVersion} is not staged on-chain: the admin must run \`provenance registry push\` ` +
        `(batch ${meta.index} is proven against root ${meta.registryRoot}; the chain's newest is version ${newest.version})`;
      if (this.stall?.kind !== "waiting" || this.stall.reason !== reason) log.warn({ registryVersion: meta.registryVersion, onChainVersion: newest.version }, reason);
      this.stalled("waiting", reason);
      return "wait";
    }
    return this.reprove(meta, newest, submitter, log);
  }

  /**
   * Proves `meta` again against the chain's target registry (`target`: its staged version if
   * any, else its current one), which the store must hold with the same root. Records whose
   * node is not active there are dropped (signed notices), the rest re-sealed; all in one
   * synced write, so a crash anywhere resumes from either the old proven batch (decided again
   * the same way) or the re-sealed batched one (proven on start).
   */
  private async reprove(meta: BatchMeta, target: { version: number; root: string }, submitter: ChainSubmitter, log: Logger): Promise<"requeued" | "reloaded"> {
    const current = this.store.currentRegistryVersion;
    if (target.version > current) {
      throw new SequencerError(
        "CHAIN",
        `batch ${meta.index} is proven against registry root ${meta.registryRoot} (version ${meta.registryVersion}), which the chain no longer accepts, ` +
          `and the chain's registry is at version ${target.version} (root ${target.root}), ahead of this sequencer's version ${current}: ` +
          "someone else set it; this sequencer cannot prove against a registry it does not hold (see docs/operations.md)",
      );
    }
    const registry = await this.store.registryAt(target.version);
    if (fieldToHex(registry.root) !== target.root) {
      throw new SequencerError(
        "CHAIN",
        `the chain's registry version ${target.version} has root ${target.root}, but this sequencer's version ${target.version} has root ` +
          `${fieldToHex(registry.root)}: the registries disagree, so batch ${meta.index} cannot be proven again against the chain's (see docs/operations.md)`,
      );
    }
    if (target.version <= meta.registryVersion) {
      throw new SequencerError(
        "CHAIN",
        `batch ${meta.index} is proven against registry version ${meta.registryVersion} (root ${meta.registryRoot}), which the chain does not accept, ` +
          `and the chain's target version ${target.version} is not newer: the registries disagree (see docs/operations.md)`,
      );
    }
    const records = await this.store.batchRecords(meta);
    const seqs = batchSeqs(meta);
    const kept: typeof records = [];
    const dropped: typeof records = [];
    for (const r of records) (registry.isActive(hexToField(r.record.nodeId, "stored nodeId")) ? kept : dropped).push(r);
    if (dropped.length === 0) {
      const statement = { registryRoot: registry.root, batchRoot: hexToField(meta.batchRoot, "batch root"), count: meta.count, minTs: meta.minTs, maxTs: meta.maxTs };
      await this.store.reassignRegistry(meta.index, {
        registryVersion: target.version,
        registryRoot: target.root,
        publicHash: fieldToHex(publicHash(statement)),
      });
      log.warn({ from: meta.registryRoot, to: target.root, registryVersion: target.version }, "registry root not accepted on-chain: proving the batch again against the chain's registry");
      this.toProve.push(meta.index);
      this.proveNext();
      return "requeued";
    }
    if (!this.noticeSigner) throw new SequencerError("INTERNAL", `batch ${meta.index} must drop ${dropped.length} records but this pipeline has no notice signer`);
    const { programId, genesisHash } = await submitter.deployment();
    const droppedAt = Date.now();
    const drops: StoredDrop[] = dropped.map((r) => ({
      seq: r.seq,
      id: r.id,
      batch: meta.index,
      reason:
        `node ${r.record.nodeId} is not an active member of the registry at version ${target.version} (root ${target.root}), the one the chain ` +
        `accepts; the roots it was a member under were retired on-chain before batch ${meta.index} landed`,
      notice: this.noticeSigner!.sign({ id: r.id, seq: r.seq, batch: meta.index, reason: "NODE_REVOKED", droppedAt, programId, genesisHash }),
    }));
    if (seqs.length !== records.length) throw new SequencerError("INTERNAL", `batch ${meta.index}: ${records.length} records read for ${seqs.length} members`);
    if (kept.length > 0) {
      // A chunk is one node's: it is kept or dropped whole, and the kept groups are placed again.
      const { batch, slots } = buildStoredBatch(kept, meta.shape, this.store.shapes, registry.root);
      await this.store.resealBatch(meta.index, {
        seqs: kept.map((r) => r.seq),
        ...(slots.every((slot, i) => slot === i) ? {} : { slots }),
        registryVersion: target.version,
        registryRoot: target.root,
        batchRoot: fieldToHex(batch.statement.batchRoot),
        minTs: batch.statement.minTs,
        maxTs: batch.statement.maxTs,
        publicHash: fieldToHex(publicHash(batch.statement)),
        drops,
      });
      this.toProve.push(meta.index);
      this.proveNext();
      return "requeued";
    }
    // Every record dropped: the batch is removed and the later ones move down an index. No
    // proof may be running meanwhile (it would be of a batch whose index changes).
    this.proveHold = true;
    try {
      while (this.proving.size > 0 && !this.stopped) await this.sleep(50);
      if (this.stopped) throw new SequencerError("SHUTTING_DOWN", "the pipeline is stopping");
      await this.store.resealBatch(meta.index, { seqs: [], registryVersion: target.version, registryRoot: target.root, batchRoot: meta.batchRoot, minTs: meta.minTs, maxTs: meta.maxTs, publicHash: meta.publicHash, drops });
      this.toProve.length = 0;
      this.toProve.push(...(await this.store.waiting("batched")));
      this.toSubmit.length = 0;
      this.toSubmit.push(...(await this.store.waiting("proven")));
    } finally {
      this.proveHold = false;
    }
    this.proveNext();
    return "reloaded";
  }

  /**
   * With the admin key: stages the store's current registry version when it is newer than the
   * chain's newest and no unanchored batch needs a version newer than the chain's current one
   * (those are staged in order on the submit path; staging past them would replace a root
   * they need). Without it: reports the version the admin must push.
   */
  private async syncRegistry(submitter: ChainSubmitter): Promise<void> {
    if (this.stopped) return;
    const version = this.store.currentRegistryVersion;
    const root = fieldToHex(this.store.currentRegistry.root);
    const chain = await submitter.chainState();
    const newest = Pipeline.newest(chain);
    if (version <= newest.version) {
      this.registryNote =
        version < newest.version
          ? `the on-chain registry is at version ${newest.version} (root ${newest.root}), ahead of this sequencer's version ${version}: ` +
            "someone else set it; batches sealed under this sequencer's registry land only once it holds that version (see docs/operations.md)"
          : null;
      return;
    }
    if (!submitter.canSetRegistry) {
      this.registryNote = `registry version ${version} is not staged on-chain (the chain's newest is ${newest.version}): the admin must run \`provenance registry push\``;
      return;
    }
    this.registryNote = null;
    const last = this.store.batchCount > 0 ? await this.store.batch(this.store.batchCount - 1) : undefined;
    if (last && last.state !== "anchored" && last.registryVersion > chain.registryVersion) return; // the submit path stages it
    await this.withRegistryLock(async () => {
      const again = Pipeline.newest(await submitter.chainState());
      if (version <= again.version) return;
      this.logger.info({ registryRoot: root, registryVersion: version, onChainVersion: again.version }, "staging the registry root on-chain");
      await submitter.setRegistryRoot(root, version, false);
    });
  }

  private scheduleRegistrySync(): void {
    if (!this.submitter || this.stopped) return;
    const submitter = this.submitter;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.syncRegistry(submitter)
        .catch((err: unknown) => {
          this.registryNote = `registry sync: ${(err as Error).message}`;
          this.logger.error({ err }, "registry root sync failed; will retry");
        })
        .finally(() => this.scheduleRegistrySync());
    }, this.registrySyncMs);
    this.timers.add(t);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  /** True when nothing is being sealed, proven or submitted and nothing waits to be. */
  get idle(): boolean {
    return !this.sealing && this.proving.size === 0 && this.toProve.length === 0 && (!this.submitter || this.toSubmit.length === 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sealTimer) clearTimeout(this.sealTimer);
    this.sealTimer = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.sealing;
  }
}
