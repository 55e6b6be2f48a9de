/**
 * The pipeline that moves batches `pending -> batched -> proven -> anchored` (docs/life-of-a-record.md):
 *
 * - sealing: a full batch is sealed as soon as its last record is written; a partial one when
 *   its first record is `batchMaxAgeMs` old (a timer);
 * - proving: batches in `batched` go to the BatchProver's pool (bounded by its capacity: each
 *   prover process takes two, the next one's witness computed while one proves), each rebuilt from the stored records and the registry version it was sealed
 *   under, and checked against its stored root before proving; failures are retried with
 *   backoff;
 * - submission: proven batches go to the chain submitter strictly in index order, after the
 *   on-chain registry root is moved forward to the batch's when the chain does not accept it
 *   yet. Registry versions only increase on-chain (the program enforces it), so a batch whose
 *   root expired there is proven again against the current registry. With no submitter
 *   batches stay `proven`;
 * - registry sync: every `registrySyncMs`, with nothing waiting to be submitted, the on-chain
 *   registry root is moved forward to the store's current one.
 *
 * On start every batch resumes from its persisted state: the store lists the batches waiting
 * in `batched` and in `proven`.
 */
import type { Logger } from "pino";
import { buildBatch, fieldToHex, hexToField, parseRecord, publicHash, type ParsedRecord } from "@provenance/client-sdk";
import type { BatchProver } from "@provenance/prover";
import type { Metrics } from "./metrics.js";
import type { BatchMeta, Store } from "./store.js";
import type { ChainSubmitter } from "./submitter.js";
import { SequencerError } from "./errors.js";

export interface PipelineOptions {
  store: Store;
  prover: BatchProver;
  submitter: ChainSubmitter | null;
  metrics: Metrics;
  logger: Logger;
  batchMaxAgeMs: number;
  /** Backoff after a failed attempt: first delay and cap (ms). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often the on-chain registry root is compared with the store's (ms). */
  registrySyncMs?: number;
}

const bytesHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

export class Pipeline {
  private readonly store: Store;
  private readonly prover: BatchProver;
  private readonly submitter: ChainSubmitter | null;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly maxAgeMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly registrySyncMs: number;
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
    while (!this.stopped && this.toProve.length > 0 && this.proving.size < this.prover.capacity) {
      const index = this.toProve.shift()!;
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
      if (!meta) throw new SequencerError("INTERNAL", `batch ${index} is missing`);
      if (meta.state !== "batched") return;
      const records = await this.store.batchRecords(meta);
      const parsed: ParsedRecord[] = records.map((r) => parseRecord(r.record));
      const registry = await this.store.registryAt(meta.registryVersion);
      const batch = buildBatch(parsed, Math.log2(this.store.capacity), registry.root, { minTs: meta.minTs, maxTs: meta.maxTs });
      if (fieldToHex(batch.statement.batchRoot) !== meta.batchRoot || fieldToHex(registry.root) !== meta.registryRoot) {
        throw new SequencerError("INTERNAL", `batch ${index} rebuilt from the store does not match its sealed roots`);
      }
      log.info({ count: meta.count, attempt }, "proving batch");
      const started = performance.now();
      const out = await this.prover.prove(batch, registry);
      if (this.stopped) return;
      const seconds = (performance.now() - started) / 1000;
      const proven = await this.store.markProven(index, {
        circuit: out.circuit,
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
          if (meta.registryVersion > chain.registryVersion) {
            log.info(
              { registryRoot: meta.registryRoot, registryVersion: meta.registryVersion, onChainVersion: chain.registryVersion },
              "moving the on-chain registry root forward for this batch",
            );
            await submitter.setRegistryRoot(meta.registryRoot, meta.registryVersion, false);
          } else {
            await this.reprove(meta, log);
            this.toSubmit.shift();
            continue;
          }
        }
        const anchor = await submitter.submitBatch(meta);
        await this.store.markAnchored(index, anchor);
        this.metrics.submitSeconds.observe((performance.now() - started) / 1000);
        this.metrics.batches.inc({ state: "anchored" });
        const first = await this.store.batchRecords({ ...meta, count: 1 });
        const oldest = first[0]?.receivedAt;
        if (oldest !== undefined) this.metrics.batchLagSeconds.observe({ state: "anchored" }, (Date.now() - oldest) / 1000);
        this.lastSubmitError = null;
        log.info({ txSignature: anchor.txSignature, slot: anchor.slot }, "batch anchored");
        this.toSubmit.shift();
        attempt = 0;
      } catch (err) {
        if (this.stopped) return;
        this.metrics.submitFailures.inc();
        this.lastSubmitError = `batch ${index}: ${(err as Error).message}`;
        const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** attempt++);
        log.error({ err, retryInMs: delay }, "submission failed; will retry");
        await this.sleep(delay);
      }
    }
  }

  /**
   * The batch's registry root expired on-chain: prove it again against the current registry.
   * Every node of the batch must still be a member; if one was revoked since, the batch cannot
   * be proven any more and stays here with an error for the operator (docs/operations.md).
   */
  private async reprove(meta: BatchMeta, log: Logger): Promise<void> {
    const version = this.store.currentRegistryVersion;
    const registry = await this.store.registryAt(version);
    const records = await this.store.batchRecords(meta);
    for (const r of records) {
      const nodeId = hexToField(r.record.nodeId, "stored nodeId");
      if (!registry.isActive(nodeId)) {
        throw new SequencerError(
          "INTERNAL",
          `batch ${meta.index} was proven against registry root ${meta.registryRoot}, which the chain no longer accepts, ` +
            `and its node ${r.record.nodeId} has been revoked since, so it cannot be proven against the current registry: ` +
            `operator action needed (see docs/operations.md, "A batch whose registry root expired")`,
        );
      }
    }
    const statement = { registryRoot: registry.root, batchRoot: hexToField(meta.batchRoot, "batch root"), count: meta.count, minTs: meta.minTs, maxTs: meta.maxTs };
    await this.store.reassignRegistry(meta.index, {
      registryVersion: version,
      registryRoot: fieldToHex(registry.root),
      publicHash: fieldToHex(publicHash(statement)),
    });
    log.warn({ from: meta.registryRoot, to: fieldToHex(registry.root), registryVersion: version }, "registry root expired on-chain: proving the batch again");
    this.toProve.push(meta.index);
    this.proveNext();
  }

  /**
   * Keeps the on-chain registry root in step with the store's: when nothing is waiting to be
   * submitted, moves it forward to the current root (a registration or revocation reaches the
   * chain within `registrySyncMs` even when no batch follows it).
   */
  private async syncRegistry(submitter: ChainSubmitter): Promise<void> {
    if (this.stopped || this.submitting || this.toSubmit.length > 0) return;
    const root = fieldToHex(this.store.currentRegistry.root);
    const version = this.store.currentRegistryVersion;
    const chain = await submitter.chainState();
    if (chain.registryRoot === root && chain.registryVersion === version) return;
    if (version > chain.registryVersion) {
      this.logger.info({ registryRoot: root, registryVersion: version }, "syncing the registry root to the chain");
      await submitter.setRegistryRoot(root, version, false);
    } else if (version < chain.registryVersion) {
      throw new SequencerError(
        "CHAIN",
        `the on-chain registry is at version ${chain.registryVersion} (root ${chain.registryRoot}), ahead of this sequencer's ` +
          `version ${version}: someone else set it; this sequencer cannot move it back, and its new batches will not land ` +
          "until the registries agree (see docs/operations.md)",
      );
    }
  }

  private scheduleRegistrySync(): void {
    if (!this.submitter || this.stopped) return;
    const submitter = this.submitter;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.syncRegistry(submitter)
        .catch((err: unknown) => {
          this.lastSubmitError = `registry sync: ${(err as Error).message}`;
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
