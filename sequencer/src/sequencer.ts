/**
 * The sequencer service: store, ingest, pipeline and HTTP API wired together from one config.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { pino, type Logger } from "pino";
import type { FastifyInstance } from "fastify";
import { VerifyPool } from "@provenance/ingest-engine";
import { circuitConfig } from "@provenance/circuits";
import { BatchProver, FamilyProver, resolveBackend, type BatchProving, type ProverBackend } from "@provenance/prover";
import { buildApi } from "./api.js";
import type { SequencerConfig } from "./config.js";
import { serveExplorer } from "./explorer.js";
import { Ingest } from "./ingest.js";
import { Metrics } from "./metrics.js";
import { Pipeline } from "./pipeline.js";
import { responseCheckRequested } from "./response-check.js";
import { createQueueProver, type ProverQueueHandle } from "./prover-queue.js";
import { NoticeSigner } from "./notice.js";
import { ReceiptSigner, type ReceiptDeployment } from "./receipt.js";
import { deploymentShapes, type DeploymentShapes } from "./shapes.js";
import { loadOrCreateAdminToken, loadOrCreateReceiptKey } from "./secrets.js";
import { Store } from "./store.js";
import type { ChainSubmitter } from "./submitter.js";

export interface SequencerOptions {
  logger?: Logger;
  /** The chain client (`createChainSubmitter`); null stops the pipeline at `proven`. */
  submitter?: ChainSubmitter | null;
  /** Override prover artifacts (tests). */
  prover?: { wasm?: string; zkey?: string };
  /** Prove with this instead of a prover built from the config (benchmarks of configurations without circuit artifacts). */
  batchProver?: BatchProving;
  /** Pipeline retry backoff (tests use short ones). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often the registry is compared with the chain's, and a batch waiting for the admin looks again (ms, default 5000). */
  registrySyncMs?: number;
  /** Collect Node's default process metrics (default true). */
  defaultMetrics?: boolean;
  /** The circuit family's shapes, instead of the circuit package's (tests of packing and chunks). */
  shapes?: DeploymentShapes;
  /** Check every answer against its response schema (response-check.ts); default: PROVENANCE_CHECK_RESPONSES=1, which the test suites set. */
  checkResponses?: boolean;
}

export class Sequencer {
  private constructor(
    readonly config: SequencerConfig,
    readonly logger: Logger,
    readonly store: Store,
    readonly pipeline: Pipeline,
    readonly app: FastifyInstance,
    readonly adminToken: { token: string; file: string | null },
    readonly receiptKey: string,
    /** What this sequencer's receipts bind: a deployment (v2), or null (v1, no chain). */
    readonly receiptDeployment: ReceiptDeployment | null,
    private readonly prover: BatchProving,
    private readonly verifyPool: VerifyPool | null,
    private readonly submitter: ChainSubmitter | null,
  ) {}

  /** Opens the data directory, starts the workers, listens, resumes the pipeline. */
  static async start(config: SequencerConfig, options: SequencerOptions = {}): Promise<Sequencer> {
    const logger = options.logger ?? pino({ level: config.logLevel, name: "sequencer" });
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    // Anchoring to a chain: v2 receipts, bound to its program id and genesis hash (from the
    // cluster pin, so known before the first receipt); no chain: v1.
    const deployment = options.submitter ? await options.submitter.deployment() : null;
    const receiptKey = loadOrCreateReceiptKey(config.dataDir);
    const signer = new ReceiptSigner(receiptKey, deployment);
    const adminToken = loadOrCreateAdminToken(config.dataDir, config.adminToken);
    const circuit = circuitConfig(config.circuit);
    const shapes = options.shapes ?? deploymentShapes(config.circuit);
    const store = await Store.open({
      dir: path.join(config.dataDir, "db"),
      batchLevels: circuit.batchLevels,
      registryLevels: circuit.registryLevels,
      signer,
      logger,
      shapes,
    });
    let prover: BatchProving | null = null;
    let verifyPool: VerifyPool | null = null;
    try {
      const metrics = new Metrics({ defaultMetrics: options.defaultMetrics ?? true });
      let queue: ProverQueueHandle | null = null;
      if (options.batchProver) {
        prover = options.batchProver;
      } else if (config.proverQueue) {
        // Proving on prover workers elsewhere (PROVENANCE_PROVER_QUEUE): no local prover processes.
        queue = await createQueueProver(config.proverQueue, config.circuit, metrics, logger);
        prover = queue.prover;
      } else {
        // Said once, at start: a sequencer that could not load the native prover proves ~4x slower.
        const { backend, note } = resolveBackend(config.prover === "auto" ? undefined : config.prover);
        if (note) logger.warn({ prover: backend }, note);
        // One prover per shape of the circuit's family (docs/circuit-v2.md), made when a batch of that shape comes.
        const family = config.circuit;
        prover = new FamilyProver(family, (member) =>
          new BatchProver({
            circuit: member.name,
            workers: config.proverWorkers,
            niceness: config.proverNiceness,
            backend,
            // Artifact overrides (tests) name the family's own configuration's files.
            ...(member.name === family ? options.prover : {}),
          }),
        );
      }
      verifyPool = config.verifyWorkers > 0 ? await VerifyPool.create({ workers: config.verifyWorkers }) : null;
      const submitter = options.submitter ?? null;
      const pipeline = new Pipeline({
        store,
        prover,
        submitter,
        metrics,
        logger,
        batchMaxAgeMs: config.batchMaxAgeMs,
        noticeSigner: new NoticeSigner(receiptKey),
        ...(options.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
        ...(options.retryMaxMs !== undefined ? { retryMaxMs: options.retryMaxMs } : {}),
        ...(options.registrySyncMs !== undefined ? { registrySyncMs: options.registrySyncMs } : {}),
      });
      // With a chain, a proven batch is not done until it is anchored: the backlog bound counts
      // every accepted record not yet anchored. Without one, `proven` is where batches stop.
      const ingest = new Ingest(store, { ...config, backlogCountsProven: submitter !== null }, verifyPool, metrics, logger, Date.now, {
        chunkSize: shapes.chunkSize,
        circuit: config.circuit,
      });
      const app = await buildApi({
        store,
        ingest,
        pipeline,
        metrics,
        submitter,
        logger,
        adminToken: adminToken.token,
        receiptKey: signer.publicKeyHex,
        receiptDeployment: signer.deployment,
        circuit: config.circuit,
        proverWorkers: config.proverWorkers,
        proverBackend: prover.backend,
        ...(queue ? { proverQueue: queue } : {}),
        bodyLimitBytes: config.bodyLimitBytes,
        submitUnhealthyAfterMs: config.submitUnhealthyAfterMs,
        rateLimits: config.rateLimit
          ? {
              clientSubmits: config.rateLimitClientSubmits,
              clientReads: config.rateLimitClientReads,
              windowMs: config.rateLimitWindowMs,
              clientBytesPerSecond: config.rateLimitClientBytesPerSecond,
              nodeRecordsPerSecond: config.rateLimitNodeRecordsPerSecond,
              nodeBurst: config.rateLimitNodeBurst,
            }
          : null,
        trustProxy: config.trustProxy,
        corsOrigins: config.corsOrigins,
        checkResponses: options.checkResponses ?? responseCheckRequested(),
      });
      await serveExplorer(app, config.explorerDir, logger);
      await app.listen({ host: config.host, port: config.port });
      await pipeline.start();
      const seq = new Sequencer(config, logger, store, pipeline, app, adminToken, signer.publicKeyHex, signer.deployment, prover, verifyPool, submitter);
      logger.info(
        {
          url: seq.url,
          circuit: config.circuit,
          batchCapacity: store.capacity,
          chunkSize: shapes.chunkSize,
          dataDir: config.dataDir,
          adminTokenFile: adminToken.file,
          verifier: verifyPool ? (verifyPool.native ? "native" : "wasm") : "main thread",
          prover: prover.backend,
          anchoring: submitter ? submitter.description : "disabled (no chain client): batches stop at proven",
          receipts: signer.deployment ? `v2 (program ${signer.deployment.programId}, genesis ${signer.deployment.genesisHash})` : "v1 (no chain)",
        },
        "sequencer started",
      );
      return seq;
    } catch (err) {
      await prover?.close();
      await verifyPool?.close();
      await store.close();
      throw err;
    }
  }

  /** The proving backend the prover processes use (`queue`: prover workers through PROVENANCE_PROVER_QUEUE). */
  get proverBackend(): ProverBackend | "queue" {
    return this.prover.backend;
  }

  /** Base URL the API listens on. */
  get url(): string {
    const addr = this.app.server.address();
    if (addr && typeof addr === "object") {
      const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
      return `http://${host}:${addr.port}`;
    }
    return `http://${this.config.host}:${this.config.port}`;
  }

  /** Stops taking requests, lets in-flight ones finish, stops the workers, closes the store. */
  async stop(): Promise<void> {
    await this.app.close();
    await this.pipeline.stop();
    await this.prover.close();
    await this.verifyPool?.close();
    await this.submitter?.close();
    await this.store.close();
    this.logger.info("sequencer stopped");
  }
}
