/**
 * The sequencer's side of proving across machines (`PROVENANCE_PROVER_QUEUE=redis://…`): the
 * settings, the queue-backed prover (`QueueProver` from `@provenance/prover/queue`, loaded only
 * when the setting is there, so `npm start` needs no Redis), its metrics and its part of
 * /healthz. Workers: `provenance-prover` (docs/operations.md#prover-workers).
 */
import { Counter, Gauge, Histogram } from "prom-client";
import type { Logger } from "pino";
import { ProvenanceError } from "@provenance/client-sdk";
import { FamilyProver, familyMembers, type BatchProving } from "@provenance/prover";
import type { QueueStatus } from "@provenance/prover/queue";
import type { Metrics } from "./metrics.js";

export interface ProverQueueSettings {
  /** redis:// or rediss:// URL (may hold a password; never logged). */
  url: string;
  /** PROVENANCE_PROVER_QUEUE_PASSWORD: the password outside the URL. */
  password: string | undefined;
  /** PROVENANCE_PROVER_QUEUE_TLS_CA: PEM file of the server certificate's CA. */
  tlsCaFile: string | undefined;
  /** PROVENANCE_PROVER_QUEUE_TLS_SERVERNAME. */
  tlsServername: string | undefined;
  /** PROVENANCE_PROVER_QUEUE_CAPACITY: batches at the queue at once (default 64). */
  capacity: number;
}

export const QUEUE_ENV = {
  url: "PROVENANCE_PROVER_QUEUE",
  password: "PROVENANCE_PROVER_QUEUE_PASSWORD",
  tlsCaFile: "PROVENANCE_PROVER_QUEUE_TLS_CA",
  tlsServername: "PROVENANCE_PROVER_QUEUE_TLS_SERVERNAME",
  capacity: "PROVENANCE_PROVER_QUEUE_CAPACITY",
} as const;

/** The queue settings from the environment; null (in-process proving) when PROVENANCE_PROVER_QUEUE is unset. */
export function loadProverQueueSettings(env: Record<string, string | undefined>): ProverQueueSettings | null {
  const get = (k: keyof typeof QUEUE_ENV): string | undefined => (env[QUEUE_ENV[k]] ? env[QUEUE_ENV[k]] : undefined);
  const url = get("url");
  if (url === undefined) return null;
  if (!/^rediss?:\/\//.test(url)) throw new ProvenanceError("INVALID_CONFIG", `${QUEUE_ENV.url} must be a redis:// or rediss:// URL`);
  const rawCapacity = get("capacity") ?? "64";
  const capacity = Number(rawCapacity);
  if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 10_000) {
    throw new ProvenanceError("INVALID_CONFIG", `${QUEUE_ENV.capacity} must be an integer in [1, 10000], got ${JSON.stringify(rawCapacity)}`);
  }
  return { url, password: get("password"), tlsCaFile: get("tlsCaFile"), tlsServername: get("tlsServername"), capacity };
}

/** The queue's metrics, in the sequencer's registry. */
class QueueMetrics {
  readonly jobs: Gauge<"state">;
  readonly workers: Gauge<"key">;
  readonly jobSeconds: Histogram;
  readonly retries: Counter<"reason">;
  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.jobs = new Gauge({ name: "provenance_prover_queue_jobs", help: "Proof jobs in the queue, by state (waiting, active, delayed, failed).", labelNames: ["state"] as const, registers });
    this.workers = new Gauge({
      name: "provenance_prover_queue_workers",
      help: "Prover workers connected to the queue: key=match (their proving key is this sequencer's), key=other (they refuse every job).",
      labelNames: ["key"] as const,
      registers,
    });
    this.jobSeconds = new Histogram({
      name: "provenance_prover_queue_job_seconds",
      help: "Time from enqueueing a batch to accepting its verified proof.",
      buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    });
    this.retries = new Counter({
      name: "provenance_prover_queue_retries_total",
      help: "Jobs enqueued again, by reason: lost (gone from Redis), bad_proof (a returned proof did not verify), failed (a worker gave up).",
      labelNames: ["reason"] as const,
      registers,
    });
  }
}

/** What /healthz and /metrics read from the queue (one Redis round trip, cached briefly). */
export interface ProverQueueHandle {
  /** Routes each batch to the queue of its circuit shape (one queue per member of the family). */
  prover: BatchProving;
  /** The prover part of /healthz: ok false when Redis is unreachable, or jobs wait and no worker with the right key is connected. */
  health(): Promise<{ ok: boolean; detail: string; queue: string; status: QueueStatus }>;
  /** Refreshes the gauges (before /metrics answers). */
  refreshMetrics(): Promise<void>;
}

export async function createQueueProver(settings: ProverQueueSettings, circuit: string, metrics: Metrics, logger: Logger): Promise<ProverQueueHandle> {
  const { QueueProver, queueConnection, shortKeyHash } = await import("@provenance/prover/queue");
  const { connection, display } = queueConnection(settings);
  const m = new QueueMetrics(metrics);
  let lastQueueError = 0;
  // One queue per shape of the family: a worker started for the family (or for one shape) takes its jobs.
  const queues = familyMembers(circuit).map((member) => new QueueProver({
    circuit: member.name,
    connection,
    display,
    capacity: settings.capacity,
    events: {
      onRetry(reason, batch, detail) {
        m.retries.inc({ reason });
        logger.warn({ batch, reason }, detail);
      },
      onProven(batch, latencyMs, worker) {
        m.jobSeconds.observe(latencyMs / 1000);
        logger.info({ batch, worker, queueMs: latencyMs }, "proof from the queue verified");
      },
      onQueueError(err) {
        // At most one line every 5 s while Redis is away.
        if (Date.now() - lastQueueError < 5000) return;
        lastQueueError = Date.now();
        logger.error({ queue: display, err: err.message }, "prover queue unreachable; batches wait and are enqueued again once it is back");
      },
    },
  }));
  const prover = new FamilyProver(circuit, (member) => queues.find((q) => q.config.name === member.name)!);
  for (const q of queues) {
    logger.info({ queue: display, circuit: q.config.name, keyHash: shortKeyHash(q.keyHash), capacity: settings.capacity }, "proving through the queue: start workers with provenance-prover");
  }
  let cached: { at: number; statuses: QueueStatus[] } | null = null;
  const statuses = async (): Promise<QueueStatus[]> => {
    if (cached && Date.now() - cached.at < 1000) return cached.statuses;
    cached = { at: Date.now(), statuses: await Promise.all(queues.map((q) => q.status())) };
    return cached.statuses;
  };
  /** The family's queues summed: counts added, reachable only if every queue is. */
  const status = async (): Promise<QueueStatus> => {
    const all = await statuses();
    const sum = (k: "waiting" | "active" | "delayed" | "failed") => all.reduce((n, s) => n + s[k], 0);
    // A worker process serves every shape of the family (one queue worker each): count processes, not queue workers.
    const most = (k: "workers" | "otherWorkers") => Math.max(...all.map((s) => s[k]));
    const down = all.find((s) => !s.reachable);
    return {
      reachable: !down,
      error: down?.error ?? null,
      waiting: sum("waiting"),
      active: sum("active"),
      delayed: sum("delayed"),
      failed: sum("failed"),
      workers: most("workers"),
      otherWorkers: most("otherWorkers"),
    };
  };
  return {
    prover,
    async health() {
      const all = await statuses();
      const s = await status();
      let ok = true;
      let detail = `${s.workers} worker(s) connected, ${s.waiting} job(s) waiting, ${s.active} proving`;
      if (!s.reachable) {
        ok = false;
        detail = `the prover queue ${display} is unreachable: ${s.error ?? "no answer"}`;
      } else {
        // Per shape: jobs waiting with no worker of that shape's key.
        all.forEach((q, i) => {
          const queued = q.waiting + q.delayed + q.active;
          if (!ok || q.workers > 0 || queued === 0) return;
          ok = false;
          const name = queues[i]!.config.name;
          detail =
            `NO PROVER WORKERS with this sequencer's key (${shortKeyHash(queues[i]!.keyHash)}…) for circuit ${name} are connected to ${display}, and ${queued} job(s) wait: ` +
            `start \`provenance-prover --queue … --circuit ${circuit}\` on a machine with the circuit's artifacts` +
            (q.otherWorkers > 0 ? ` (${q.otherWorkers} connected worker(s) have another key and refuse the jobs)` : "");
        });
      }
      return { ok, detail, queue: display, status: s };
    },
    async refreshMetrics() {
      const s = await status();
      for (const state of ["waiting", "active", "delayed", "failed"] as const) m.jobs.set({ state }, s[state]);
      m.workers.set({ key: "match" }, s.workers);
      m.workers.set({ key: "other" }, s.otherWorkers);
    },
  };
}
