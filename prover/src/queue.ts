/**
 * Proving across machines: a BullMQ job queue on Redis between the sequencer and prover
 * workers (`provenance-prover`, queue-worker.ts). The in-process `BatchProver` stays the
 * default; `QueueProver` is the same interface backed by the queue.
 *
 * Batches are independent and a proof job is idempotent (any valid proof of a batch will do),
 * so at-least-once delivery is enough:
 *
 * - one job per (circuit, batch index, public hash): re-enqueueing is a no-op while the job
 *   exists (BullMQ `jobId`), and a re-sealed batch (new public hash) is a new job;
 * - the job carries only the circuit input (records, signatures, registry paths: public data)
 *   and names the circuit and the verifying-key hash; never a key, token or password;
 * - the sequencer verifies every returned proof itself, against its own verifying key and its
 *   own public hash of the batch; a proof that does not verify is refused, the job removed and
 *   enqueued again. Nothing a worker returns is trusted;
 * - the store, not Redis, is the source of truth: while a batch waits, its job is looked up
 *   every `pollMs`, and a job that is gone (Redis restarted without persistence, flushed) is
 *   enqueued again;
 * - a job whose witness fails (a batch the circuit refuses) fails once (BullMQ
 *   UnrecoverableError, no retry on another worker) and is reported as INVALID_BATCH, the code
 *   the in-process prover throws; its verdict is kept, so the pipeline's retries do not prove it
 *   again.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Queue, type Job, type RedisOptions } from "bullmq";
import { ProvenanceError, fieldToHex, publicHash, type Batch, type BatchStatement, type NodeRegistry, type QueueCounts } from "@provenance/client-sdk";
import { circuitConfig, type CircuitConfig } from "@provenance/circuits";
import { familyOf } from "./family.js";
import { verifyProof } from "./groth16.js";
import { buildCircuitInput, type CircuitInput } from "./input.js";
import { PROVER_BACKENDS, type ProverBackend } from "./native.js";
import type { BatchProof, BatchProving } from "./prover.js";
import { defaultVerifyingKey } from "./prover.js";
import { proofToSolana, type SnarkjsProof, type SnarkjsVerifyingKey } from "./solana-layout.js";

/** Version of the job data layout. */
export const JOB_VERSION = 1;

/** What a job carries: public data only. */
export interface ProveJobData {
  v: typeof JOB_VERSION;
  circuit: string;
  /** sha256 of the verifying key the proof must verify under (verifyingKeyHash). */
  keyHash: string;
  batch: number;
  /** The batch statement's public hash, hex: the proof's one public signal. */
  publicHash: string;
  input: CircuitInput;
  /** ms since the epoch when the sequencer enqueued it. */
  enqueuedAt: number;
}

/** What a worker returns (untrusted: the sequencer checks every field it uses). */
export interface ProveJobResult {
  proof: SnarkjsProof;
  publicSignals: string[];
  witnessMs: number;
  proveMs: number;
  backend: ProverBackend;
  worker: string;
}

/** Queue of a circuit: workers of another circuit never see its jobs. */
export function queueName(circuit: string): string {
  return `provenance-prove-${circuit}`;
}

/** Idempotent job id: a re-sealed batch (new public hash) is a new job. BullMQ ids may not hold ':'. */
export function proveJobId(circuit: string, batch: number, publicHashHex: string): string {
  return `${circuit}-${batch}-${publicHashHex}`;
}

/**
 * sha256 (hex) of a Groth16 verifying key's points, in a fixed order: the same for the
 * checked-in key and for the key exported from the zkey that matches it; any other proving key
 * (another setup, another circuit) has another delta or IC, so another hash.
 */
export function verifyingKeyHash(vk: SnarkjsVerifyingKey): string {
  const v = vk as unknown as Record<string, unknown>;
  const canonical = JSON.stringify(["protocol", "curve", "nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"].map((k) => v[k] ?? null));
  return createHash("sha256").update(canonical).digest("hex");
}

/** The short form of a key hash that names workers (client names) and appears in logs. */
export const shortKeyHash = (keyHash: string): string => keyHash.slice(0, 16);

/** Worker client name: `k<short key hash>-<host>-<pid>` (what the sequencer counts as workers seen). */
export function workerName(keyHash: string, host: string, pid: number): string {
  return `k${shortKeyHash(keyHash)}-${host.replace(/[^A-Za-z0-9_.-]/g, "_")}-${pid}`;
}

export interface QueueConnectionSettings {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). */
  url: string;
  /** Password, when not in the URL (PROVENANCE_PROVER_QUEUE_PASSWORD): keeps it out of argv and logs. */
  password?: string | undefined;
  /** PEM file of the CA that signed the server's certificate (TLS). */
  tlsCaFile?: string | undefined;
  /** Server name to check the certificate against, when it is not the URL's host. */
  tlsServername?: string | undefined;
}

/** Parsed connection: options for BullMQ (ioredis) and the URL with the password removed, for logs. */
export function queueConnection(settings: QueueConnectionSettings): { connection: RedisOptions; display: string } {
  let url: URL;
  try {
    url = new URL(settings.url);
  } catch {
    throw new ProvenanceError("INVALID_CONFIG", `the prover queue must be a redis:// or rediss:// URL, got ${JSON.stringify(redact(settings.url))}`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new ProvenanceError("INVALID_CONFIG", `the prover queue must be a redis:// or rediss:// URL, got ${JSON.stringify(redact(settings.url))}`);
  }
  const db = url.pathname && url.pathname !== "/" ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isSafeInteger(db) || db < 0) throw new ProvenanceError("INVALID_CONFIG", `the prover queue URL's database must be a number, got ${JSON.stringify(url.pathname)}`);
  const tls = url.protocol === "rediss:" || settings.tlsCaFile !== undefined;
  const password = settings.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  const connection: RedisOptions = {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : 6379,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls
      ? {
          tls: {
            ...(settings.tlsCaFile ? { ca: readFileSync(settings.tlsCaFile) } : {}),
            ...(settings.tlsServername ? { servername: settings.tlsServername } : {}),
          },
        }
      : {}),
  };
  return { connection, display: redact(settings.url) };
}

/** A Redis URL without its password. */
export function redact(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return raw.replace(/\/\/[^@/]*@/, "//***@");
  }
}

export interface QueueProverEvents {
  /** A job was enqueued again, and why: `lost` (gone from Redis), `bad_proof` (refused), `failed` (the worker gave up). */
  onRetry?(reason: "lost" | "bad_proof" | "failed", batch: number, detail: string): void;
  /** A proof was accepted: ms from the first enqueue to its acceptance, and the worker that made it. */
  onProven?(batch: number, latencyMs: number, worker: string): void;
  /** Redis did not answer (the job is looked up again after `pollMs`). */
  onQueueError?(err: Error): void;
}

export interface QueueProverOptions {
  circuit: string;
  connection: RedisOptions;
  /** The URL without its password, for messages. */
  display?: string;
  /** Batches at the queue at once (the pipeline's bound; default 64). */
  capacity?: number;
  /** How often a waiting job is looked up (ms, default 100). */
  pollMs?: number;
  /** Tries of a job before it fails (a worker error, not a stall; default 3). */
  attempts?: number;
  /** The key every returned proof is checked against. Default: the checked-in key (the program's). */
  verifyingKey?: SnarkjsVerifyingKey;
  events?: QueueProverEvents;
}

/** Queue counts and workers, for /healthz and /metrics: the wire's own type. */
export type QueueStatus = QueueCounts;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class QueueProver implements BatchProving {
  readonly config: CircuitConfig;
  readonly backend = "queue" as const;
  readonly capacity: number;
  readonly keyHash: string;
  readonly display: string;
  readonly queue: Queue<ProveJobData, ProveJobResult>;
  private readonly vk: SnarkjsVerifyingKey;
  private readonly pollMs: number;
  private readonly attempts: number;
  private readonly events: QueueProverEvents;
  private closed = false;
  private inFlight = 0;

  constructor(options: QueueProverOptions) {
    this.config = circuitConfig(options.circuit);
    this.vk = options.verifyingKey ?? defaultVerifyingKey(options.circuit);
    this.keyHash = verifyingKeyHash(this.vk);
    this.capacity = options.capacity ?? 64;
    this.pollMs = options.pollMs ?? 100;
    this.attempts = options.attempts ?? 3;
    this.events = options.events ?? {};
    this.display = options.display ?? `${options.connection.host}:${options.connection.port}`;
    this.queue = new Queue<ProveJobData, ProveJobResult>(queueName(options.circuit), {
      // A command fails after one reconnection attempt while Redis is away (the job is looked up again); reconnects forever.
      connection: { ...options.connection, maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(2000, 100 * n) },
      skipWaitingForReady: true,
    });
    // A connection error is reported through every lookup that fails; never an unhandled 'error'.
    this.queue.on("error", (err: Error) => this.events.onQueueError?.(err));
  }

  get workers(): number {
    return 0;
  }

  /** Batches at the queue (enqueued, not yet accepted). */
  get pending(): number {
    return this.inFlight;
  }

  prove(batch: Batch, registry: NodeRegistry, job: { index: number } = { index: 0 }): Promise<BatchProof> {
    return this.proveInput(buildCircuitInput(batch, registry, this.config), batch.statement, job.index);
  }

  /** Proves a circuit input through the queue (the statement is what the proof must be of). */
  async proveInput(input: CircuitInput, statement: BatchStatement, index: number): Promise<BatchProof> {
    const hash = publicHash(statement);
    const hashHex = fieldToHex(hash);
    const id = proveJobId(this.config.name, index, hashHex);
    const startedAt = Date.now();
    const data: ProveJobData = { v: JOB_VERSION, circuit: this.config.name, keyHash: this.keyHash, batch: index, publicHash: hashHex, input, enqueuedAt: startedAt };
    let seen = false;
    this.inFlight++;
    try {
      for (;;) {
        if (this.closed) throw new Error("the prover queue is closed");
        let job: Job<ProveJobData, ProveJobResult> | undefined;
        try {
          job = await this.queue.getJob(id);
          if (!job) {
            if (seen) this.events.onRetry?.("lost", index, `job ${id} is gone from the queue (Redis restarted or flushed): enqueued again`);
            await this.queue.add("prove", { ...data, enqueuedAt: Date.now() }, {
              jobId: id,
              attempts: this.attempts,
              backoff: { type: "exponential", delay: 1000 },
              removeOnComplete: { age: 24 * 3600 },
              removeOnFail: { age: 7 * 24 * 3600 },
            });
            seen = true;
          } else {
            seen = true;
            const state = await job.getState();
            if (state === "completed") {
              const accepted = await this.accept(job.returnvalue, hash, statement);
              if (accepted) {
                this.events.onProven?.(index, Date.now() - startedAt, accepted.worker);
                return accepted.proof;
              }
              this.events.onRetry?.("bad_proof", index, `the proof of job ${id} from worker ${describeWorker(job.returnvalue)} does not verify under this sequencer's verifying key: refused, enqueued again`);
              await job.remove();
              continue;
            }
            if (state === "failed") {
              const reason = job.failedReason ?? "unknown";
              if (reason.startsWith("INVALID_BATCH")) {
                throw new ProvenanceError("INVALID_BATCH", `batch ${index} (job ${id}): ${reason.replace(/^INVALID_BATCH:\s*/, "")}`);
              }
              await job.remove();
              this.events.onRetry?.("failed", index, `job ${id} failed after ${job.attemptsMade} attempts: ${reason}`);
              throw new Error(`proving job ${id} failed after ${job.attemptsMade} attempts: ${reason}`);
            }
          }
        } catch (err) {
          if (err instanceof ProvenanceError || (err instanceof Error && err.message.startsWith("proving job "))) throw err;
          this.events.onQueueError?.(err as Error);
        }
        await sleep(this.pollMs);
      }
    } finally {
      this.inFlight--;
    }
  }

  /** The worker's answer as a BatchProof, only if it verifies under our key with our public hash. */
  private async accept(result: unknown, hash: bigint, statement: BatchStatement): Promise<{ proof: BatchProof; worker: string } | null> {
    try {
      const r = result as Partial<ProveJobResult> | null;
      if (!r || typeof r !== "object" || !r.proof || typeof r.proof !== "object") return null;
      const signals = [hash.toString()];
      if (!Array.isArray(r.publicSignals) || r.publicSignals.length !== 1 || r.publicSignals[0] !== signals[0]) return null;
      if (!(await verifyProof(this.vk, r.proof, signals))) return null;
      const proof: BatchProof = {
        circuit: this.config.name,
        shape: familyOf(this.config).shape,
        statement,
        publicHash: hash,
        proof: r.proof,
        publicSignals: signals,
        solana: proofToSolana(r.proof),
        witnessMs: finite(r.witnessMs),
        proveMs: finite(r.proveMs),
        backend: PROVER_BACKENDS.includes(r.backend as ProverBackend) ? (r.backend as ProverBackend) : "native",
      };
      return { proof, worker: describeWorker(r) };
    } catch {
      return null; // malformed points, wrong shapes: not a proof
    }
  }

  /** Queue counts and connected workers (BullMQ's client list; GCP's Redis does not list names). */
  async status(): Promise<QueueStatus> {
    try {
      const counts = await this.queue.getJobCounts("waiting", "active", "delayed", "failed", "prioritized");
      let workers = 0;
      let otherWorkers = 0;
      for (const w of await this.queue.getWorkers()) {
        const raw = String((w as Record<string, string>)["rawname"] ?? "");
        if (raw.includes(`:w:k${shortKeyHash(this.keyHash)}-`)) workers++;
        else otherWorkers++;
      }
      return {
        reachable: true,
        error: null,
        waiting: (counts["waiting"] ?? 0) + (counts["prioritized"] ?? 0),
        active: counts["active"] ?? 0,
        delayed: counts["delayed"] ?? 0,
        failed: counts["failed"] ?? 0,
        workers,
        otherWorkers,
      };
    } catch (err) {
      return { reachable: false, error: (err as Error).message, waiting: 0, active: 0, delayed: 0, failed: 0, workers: 0, otherWorkers: 0 };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.close().catch(() => undefined);
  }
}

function finite(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0;
}

function describeWorker(r: unknown): string {
  const w = (r as { worker?: unknown } | null)?.worker;
  return typeof w === "string" ? w.slice(0, 200) : "unknown";
}
