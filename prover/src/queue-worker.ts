/**
 * A prover worker: takes proof jobs of one circuit from the queue (queue.ts), proves them
 * natively in a prover process (pool.ts: the key loaded once; the witness and the proof off
 * this event loop, so BullMQ renews the job's lock every `lockMs / 2` however long a proof
 * takes) and returns the proof. `provenance-prover` (worker-main.ts) runs it.
 *
 * - A job for another circuit or another verifying-key hash is refused: handed back to the
 *   queue untouched (no attempt used) for a worker with the right key, and this worker stops
 *   (exit code 3), saying which key it has and which the job wants.
 * - A batch the circuit refuses (witness fails) fails its job once, without retry (BullMQ
 *   UnrecoverableError), as INVALID_BATCH: the sequencer reports it.
 * - Stop (SIGTERM): take no new job, finish the ones at hand within `drainMs`, hand back what is
 *   still running after that (or at once on a second signal), then exit 0.
 * - A worker killed outright leaves its job active with a lock that is no longer renewed: after
 *   `lockMs` another worker's stalled-job check moves it back to the queue, and it is proven
 *   there (`maxStalledCount` such recoveries before the job fails and the sequencer enqueues it
 *   again).
 */
import os from "node:os";
import * as snarkjs from "snarkjs";
import { UnrecoverableError, WaitingError, Worker, type Job, type RedisOptions } from "bullmq";
import type { Logger } from "pino";
import { ProvenanceError } from "@provenance/client-sdk";
import { circuitConfig } from "@provenance/circuits";
import { wasmPath, zkeyPath } from "./artifacts.js";
import { releaseCurve, verifyProof, type ProofOutput } from "./groth16.js";
import { resolveBackend, type ProverBackend } from "./native.js";
import { ProverPool } from "./pool.js";
import { JOB_VERSION, queueName, shortKeyHash, verifyingKeyHash, workerName, type ProveJobData, type ProveJobResult } from "./queue.js";
import type { SnarkjsVerifyingKey } from "./solana-layout.js";

export interface ProverWorkerOptions {
  circuit: string;
  connection: RedisOptions;
  /** The URL without its password, for logs. */
  display: string;
  logger: Logger;
  zkey?: string;
  wasm?: string;
  backend?: ProverBackend;
  /** Jobs at once (default 2: the next one's witness while one proves). */
  concurrency?: number;
  /** Job lock (ms, default 30 000), renewed every half of it while the job runs. */
  lockMs?: number;
  /** Stall recoveries of one job before it fails (default 5). */
  maxStalledCount?: number;
  /** On stop, how long running jobs may take before they are handed back (ms, default 20 000). */
  drainMs?: number;
}

export interface RunningWorker {
  readonly name: string;
  readonly keyHash: string;
  /** Resolves with the exit code once the worker has stopped (0: stopped; 3: refused a job for another key). */
  readonly done: Promise<number>;
  /** Stop: finish or hand back the jobs at hand. `now` hands them back at once. */
  stop(now?: boolean): void;
}

/** The verifying key of a zkey (its header and IC only), and its hash. */
export async function zkeyVerifyingKey(zkey: string): Promise<{ vk: SnarkjsVerifyingKey; keyHash: string }> {
  const vk = (await snarkjs.zKey.exportVerificationKey(zkey)) as unknown as SnarkjsVerifyingKey;
  return { vk, keyHash: verifyingKeyHash(vk) };
}

export async function startProverWorker(options: ProverWorkerOptions): Promise<RunningWorker> {
  const config = circuitConfig(options.circuit);
  const log = options.logger;
  const zkey = options.zkey ?? zkeyPath(config.name);
  const wasm = options.wasm ?? wasmPath(config.name);
  const { vk, keyHash } = await zkeyVerifyingKey(zkey);
  const backend = options.backend ?? resolveBackend(undefined).backend;
  const concurrency = options.concurrency ?? 2;
  const pool = new ProverPool({ wasm, zkey, workers: 1, backend, pipeline: Math.min(4, concurrency) });
  const name = workerName(keyHash, os.hostname(), process.pid);
  const lockMs = options.lockMs ?? 30_000;
  const drainMs = options.drainMs ?? 20_000;

  let exitCode = 0;
  let stopping = false;
  let handBack: (() => void) | null = null;
  const handingBack = new Promise<void>((resolve) => (handBack = resolve));
  let worker: Worker<ProveJobData, ProveJobResult> | null = null;

  const stop = (now = false): void => {
    if (now) handBack?.();
    if (stopping) return;
    stopping = true;
    log.info({ drainMs }, now ? "stopping: handing back the jobs at hand" : "stopping: no new jobs; finishing the ones at hand");
    const timer = setTimeout(() => {
      log.warn({ drainMs }, "jobs still running after the drain time: handing them back");
      handBack?.();
    }, drainMs);
    timer.unref();
  };

  const refuse = async (job: Job<ProveJobData, ProveJobResult>, token: string | undefined, why: string): Promise<never> => {
    log.error({ batch: job.data?.batch, job: job.id, keyHash: shortKeyHash(keyHash), circuit: config.name }, `refusing job: ${why}; handing it back and stopping`);
    await job.moveToWait(token);
    exitCode = 3;
    setImmediate(() => stop(true));
    throw new WaitingError();
  };

  const process_ = async (job: Job<ProveJobData, ProveJobResult>, token?: string): Promise<ProveJobResult> => {
    const data = job.data;
    if (stopping) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (!data || data.v !== JOB_VERSION) return refuse(job, token, `job data version ${String(data?.v)} is not ${JOB_VERSION} (a sequencer of another release)`);
    if (data.circuit !== config.name) return refuse(job, token, `the job is for circuit "${data.circuit}", this worker proves "${config.name}"`);
    if (data.keyHash !== keyHash) {
      return refuse(job, token, `the job wants verifying key ${shortKeyHash(data.keyHash)}…, this worker's proving key (${zkey}) has ${shortKeyHash(keyHash)}… (another setup or PROVENANCE_ZKEY)`);
    }
    const blog = log.child({ batch: data.batch, job: job.id });
    blog.info({ attempt: job.attemptsMade + 1, queuedMs: Date.now() - data.enqueuedAt }, "proving batch");
    const proven = pool.prove(data.input);
    proven.catch(() => undefined);
    const out = await Promise.race([proven, handingBack.then(() => null)]);
    if (out === null) {
      blog.warn("handing the job back to the queue");
      await job.moveToWait(token);
      throw new WaitingError();
    }
    return finish(out as ProofOutput, data, blog);
  };

  const finish = async (out: ProofOutput, data: ProveJobData, blog: Logger): Promise<ProveJobResult> => {
    const expected = BigInt(`0x${data.publicHash}`).toString();
    if (out.publicSignals.length !== 1 || out.publicSignals[0] !== expected) {
      throw new UnrecoverableError(`INVALID_BATCH: the circuit's public output ${out.publicSignals[0]} is not the job's public hash ${expected}`);
    }
    if (!(await verifyProof(vk, out.proof, out.publicSignals))) throw new Error("the proof does not verify under this worker's own key (a prover fault)");
    blog.info({ proveMs: Math.round(out.proveMs), witnessMs: Math.round(out.witnessMs), backend: out.backend }, "batch proven");
    return { proof: out.proof, publicSignals: out.publicSignals, witnessMs: out.witnessMs, proveMs: out.proveMs, backend: out.backend, worker: name };
  };

  const processor = async (job: Job<ProveJobData, ProveJobResult>, token?: string): Promise<ProveJobResult> => {
    try {
      return await process_(job, token);
    } catch (err) {
      if (err instanceof WaitingError || err instanceof UnrecoverableError) throw err;
      if (err instanceof ProvenanceError && err.code === "INVALID_BATCH") {
        log.error({ batch: job.data?.batch, job: job.id, err: err.message }, "the circuit refuses this batch: failing the job without retry");
        throw new UnrecoverableError(`INVALID_BATCH: ${err.message}`);
      }
      log.error({ batch: job.data?.batch, job: job.id, err: (err as Error).message }, "proving failed");
      throw err;
    }
  };

  worker = new Worker<ProveJobData, ProveJobResult>(queueName(config.name), processor, {
    connection: { ...options.connection, maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(2000, 100 * n) },
    concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: options.maxStalledCount ?? 5,
    name,
    autorun: true,
  });
  worker.on("error", (err) => log.error({ err: err.message }, "queue error (reconnecting)"));
  worker.on("stalled", (jobId) => log.warn({ job: jobId }, "a job whose worker stopped renewing its lock was moved back to the queue"));
  log.info({ queue: options.display, circuit: config.name, keyHash: shortKeyHash(keyHash), backend, concurrency, lockMs, name }, "prover worker started");

  const done = (async () => {
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (stopping) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
    await worker!.close();
    await pool.close();
    await releaseCurve().catch(() => undefined);
    log.info({ exitCode }, "prover worker stopped");
    return exitCode;
  })();
  return { name, keyHash, done, stop };
}
