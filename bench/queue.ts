/**
 * Proving through the Redis queue against proving in process, in the same run (`dev` circuit
 * by default, native backend, a redis-server started here on a free loopback port):
 *
 * - per-job latency of one batch alone: in process (`BatchProver`, the baseline) and through
 *   the queue with one `provenance-prover` worker (enqueue, a worker takes it, proves in its
 *   prover process, returns it, the sequencer side verifies it) — the difference is the queue's
 *   per-job overhead;
 * - proven records/s with a backlog of batches: in process (one prover process, two batches at
 *   once), through the queue with one worker process, and with two worker processes.
 *
 * On a machine with C cores one proof already takes every core (rayon), so a second worker on
 * the same machine can only share them: what two workers show here is that the queue spreads
 * jobs and the throughput does not fall, not a speed-up (which needs a second machine).
 *
 * `npx tsx bench/queue.ts [--circuit dev] [--batches 12] [--runs 5] [--json FILE]`
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { circuitConfig } from "@provenance/circuits";
import { BatchProver, releaseCurve, type BatchProving } from "@provenance/prover";
import { QueueProver, queueConnection } from "@provenance/prover/queue";
import type { Batch, NodeRegistry } from "@provenance/client-sdk";
import { ensureSetup } from "../tests/support/circuit-setup.js";
import { registryOf, testBatch, testNode } from "../tests/support/fixtures.js";
import { RedisServer, REDIS_AVAILABLE, REDIS_MISSING } from "../tests/support/redis.js";
import { WorkerProcess } from "../tests/support/prover-worker.js";
import { formatTable, type Row } from "./core.js";

interface Figures {
  circuit: string;
  batchSize: number;
  latencyMs: { inProcess: number; queue: number; overheadInProcess: number; overheadQueue: number };
  recordsPerSecond: { inProcess: number; queueOneWorker: number; queueTwoWorkers: number };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function batchesOf(circuit: string, n: number, salt: number): { batches: Batch[]; registry: NodeRegistry } {
  const config = circuitConfig(circuit);
  // Distinct batches (distinct public hashes): batch i is signed by its own node.
  const signers = Array.from({ length: n }, (_, i) => testNode(`bench-q-${salt}-${i}`));
  const registry = registryOf(config.registryLevels, signers);
  const batches = signers.map((node) => testBatch(config.batchLevels, registry, [node], 2 ** config.batchLevels));
  return { batches, registry };
}

/**
 * One batch at a time: the median wall time per batch, and the median of that time less the
 * proof's own witness + prove time (what the prover reports): the overhead around the proof
 * (in process: IPC to the prover process and the verification; through the queue: Redis, the
 * worker's fetch and lock, the result's trip back, the polling, the verification). The second
 * figure does not depend on how long the proof took, so it survives a loaded machine.
 */
async function latency(prover: BatchProving, circuit: string, runs: number, salt: number): Promise<{ wallMs: number; overheadMs: number }> {
  const { batches, registry } = batchesOf(circuit, runs + 1, salt);
  await prover.prove(batches[0]!, registry, { index: 0 }); // warm-up (key load, first witness)
  const walls: number[] = [];
  const overheads: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const t0 = performance.now();
    const p = await prover.prove(batches[i]!, registry, { index: i });
    const wall = performance.now() - t0;
    walls.push(wall);
    overheads.push(wall - p.witnessMs - p.proveMs);
  }
  return { wallMs: median(walls), overheadMs: median(overheads) };
}

async function throughput(prover: BatchProving, circuit: string, n: number, salt: number): Promise<number> {
  const { batches, registry } = batchesOf(circuit, n, salt);
  const t0 = performance.now();
  // As the pipeline does: at most `capacity` at once.
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const i = next++;
      await prover.prove(batches[i]!, registry, { index: 1000 + i });
    }
  };
  await Promise.all(Array.from({ length: Math.min(prover.capacity, n) }, lane));
  const seconds = (performance.now() - t0) / 1000;
  return (n * 2 ** circuitConfig(circuit).batchLevels) / seconds;
}

export async function benchQueue(options: { circuit?: string; batches?: number; runs?: number } = {}): Promise<{ rows: Row[]; figures: Figures | null }> {
  if (!REDIS_AVAILABLE) return { rows: [{ group: "Prover queue", name: "skipped", value: REDIS_MISSING, baseline: "" }], figures: null };
  // Batches of records signed alone (one node each): the single shape of the dev family.
  const circuit = options.circuit ?? "dev-single";
  const n = options.batches ?? 12;
  const runs = options.runs ?? 5;
  await ensureSetup(circuit);
  const redis = await RedisServer.start();
  const workers: WorkerProcess[] = [];
  try {
    const inProcess = new BatchProver({ circuit, workers: 1 });
    const latIn = await latency(inProcess, circuit, runs, 1);
    const rateIn = await throughput(inProcess, circuit, n, 2);
    await inProcess.close();

    const { connection } = queueConnection({ url: redis.url });
    const queue = new QueueProver({ circuit, connection, capacity: 16 });
    const startWorker = async (label: string) => {
      const w = WorkerProcess.start(label, redis.bareUrl, { circuit, password: redis.password });
      workers.push(w);
      await w.waitLine("started", (l) => l.msg === "prover worker started");
      return w;
    };
    await startWorker("bench-w1");
    const latQ = await latency(queue, circuit, runs, 3);
    const rateQ1 = await throughput(queue, circuit, n, 4);
    await startWorker("bench-w2");
    await throughput(queue, circuit, 2, 5); // the second worker's key and first witness
    const rateQ2 = await throughput(queue, circuit, n, 6);
    await queue.close();

    const size = 2 ** circuitConfig(circuit).batchLevels;
    const figures: Figures = {
      circuit,
      batchSize: size,
      latencyMs: { inProcess: latIn.wallMs, queue: latQ.wallMs, overheadInProcess: latIn.overheadMs, overheadQueue: latQ.overheadMs },
      recordsPerSecond: { inProcess: rateIn, queueOneWorker: rateQ1, queueTwoWorkers: rateQ2 },
    };
    const group = `Prover queue (\`${circuit}\`, B = ${size}; baseline: in-process proving, same run)`;
    const rows: Row[] = [
      { group, name: "one batch alone, in process: wall time", value: `${latIn.wallMs.toFixed(0)} ms`, baseline: "1.00×" },
      { group, name: "one batch alone, through the queue (1 worker): wall time", value: `${latQ.wallMs.toFixed(0)} ms`, baseline: `${(latQ.wallMs / latIn.wallMs).toFixed(2)}×` },
      { group, name: "per-job overhead beside the proof, in process", value: `${latIn.overheadMs.toFixed(0)} ms`, baseline: "1.00×" },
      { group, name: "per-job overhead beside the proof, through the queue", value: `${latQ.overheadMs.toFixed(0)} ms`, baseline: `+${(latQ.overheadMs - latIn.overheadMs).toFixed(0)} ms per job` },
      { group, name: `proven records/s, ${n} batches, in process`, value: rateIn.toFixed(2), baseline: "1.00×" },
      { group, name: "proven records/s, queue, 1 worker process", value: rateQ1.toFixed(2), baseline: `${(rateQ1 / rateIn).toFixed(2)}×` },
      { group, name: "proven records/s, queue, 2 worker processes (same machine)", value: rateQ2.toFixed(2), baseline: `${(rateQ2 / rateIn).toFixed(2)}× (${(rateQ2 / rateQ1).toFixed(2)}× one worker)` },
    ];
    return { rows, figures };
  } finally {
    for (const w of workers) await w.kill("SIGTERM");
    await redis.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { circuit: { type: "string" }, batches: { type: "string" }, runs: { type: "string" }, json: { type: "string" } } });
  const { rows, figures } = await benchQueue({
    ...(values.circuit ? { circuit: values.circuit } : {}),
    ...(values.batches ? { batches: Number(values.batches) } : {}),
    ...(values.runs ? { runs: Number(values.runs) } : {}),
  });
  console.log(formatTable(rows));
  if (values.json && figures) writeFileSync(values.json, `${JSON.stringify(figures, null, 2)}\n`);
  await releaseCurve();
}
