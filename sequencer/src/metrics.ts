/**
 * Prometheus metrics (prom-client), in a registry of the sequencer's own (several sequencers
 * can run in one process, as the tests do). Served at GET /metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class Metrics {
  readonly registry = new Registry();

  readonly recordsAccepted = new Counter({
    name: "provenance_records_accepted_total",
    help: "Records newly sequenced (durable, receipt signed).",
    registers: [this.registry],
  });
  readonly recordsDuplicate = new Counter({
    name: "provenance_records_duplicate_total",
    help: "Records posted again: answered with their original receipt.",
    registers: [this.registry],
  });
  readonly recordsRefused = new Counter({
    name: "provenance_records_refused_total",
    help: "Record requests refused, by reason (error code).",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly recordsRefusedEarly = new Counter({
    name: "provenance_records_refused_unregistered_early_total",
    help: "Requests naming a node the registry never held, refused before any curve work (key decoding, signature).",
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "provenance_queue_depth",
    help: "Work waiting, by stage: inflight (being validated or written), pending (not sealed), unproven (accepted, not proven), proving (batches at the prover).",
    labelNames: ["stage"] as const,
    registers: [this.registry],
  });
  readonly batches = new Counter({
    name: "provenance_batches_total",
    help: "Batch state transitions, by the state entered.",
    labelNames: ["state"] as const,
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: "provenance_ingest_commit_seconds",
    help: "Time from a validated request to its durable write (group commit).",
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
    registers: [this.registry],
  });
  readonly proofSeconds = new Histogram({
    name: "provenance_proof_seconds",
    help: "Time to prove one batch (witness + Groth16).",
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly submitSeconds = new Histogram({
    name: "provenance_submit_seconds",
    help: "Time to submit one batch on-chain and see it confirmed.",
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120],
    registers: [this.registry],
  });
  readonly batchLagSeconds = new Histogram({
    name: "provenance_batch_lag_seconds",
    help: "Age of a batch's oldest record when the batch reaches a state, by state.",
    labelNames: ["state"] as const,
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  });
  readonly proverFailures = new Counter({
    name: "provenance_prover_failures_total",
    help: "Proving attempts that failed (the batch is retried).",
    registers: [this.registry],
  });
  readonly submitFailures = new Counter({
    name: "provenance_submit_failures_total",
    help: "Chain submission attempts that failed (the batch is retried).",
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }
}
