/**
 * A pool of prover processes with bounded concurrency: each process holds one copy of the
 * proving key and takes up to `pipeline` batches at once (default 2: the next batch's witness is
 * computed while the current one proves); the rest wait in a FIFO queue, so the caller's event
 * loop stays free and memory is bounded by the pool size.
 *
 * Processes rather than worker threads: snarkjs's field library (ffjavascript) starts its own
 * threads through the `web-worker` package, which takes over any worker thread it is loaded in,
 * so snarkjs cannot run inside a worker thread. A process also isolates the service from a
 * prover crash and gives its memory back to the OS when it exits.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { ProvenanceError, type ErrorCode } from "@provenance/client-sdk";
import type { CircuitInput } from "./input.js";
import type { ProofOutput } from "./groth16.js";
import type { ProverBackend } from "./native.js";

export interface WorkerConfig {
  wasm: string;
  zkey: string;
  backend: ProverBackend;
  singleThread: boolean;
  /** Scheduling niceness of the process (0 = as the parent, 19 = lowest priority). */
  niceness: number;
}

export interface ProveRequest {
  id: number;
  input: CircuitInput;
}

export type ProveResponse =
  | ({ id: number; ok: true } & ProofOutput)
  | { id: number; ok: false; code: ErrorCode | undefined; message: string };

interface Job {
  id: number;
  input: CircuitInput;
  resolve: (out: ProofOutput) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  /** Jobs at the process, oldest first (the first is the one proving). */
  jobs: Job[];
  timedOut?: boolean;
  /** Tail of the process's stderr. */
  stderr: string;
}

const MAX_START_FAILURES = 3;

export interface ProverPoolOptions {
  wasm: string;
  zkey: string;
  /** Proving backend of the processes (default snarkjs; BatchProver picks native where it loaded). */
  backend?: ProverBackend;
  /** Batches one process takes at once (1..4, default 2): witness of the next while one proves. */
  pipeline?: number;
  /** Number of prover processes (default 1). */
  workers?: number;
  /** A proof taking longer than this is abandoned and its process replaced (default 30 min; 0 = never). */
  jobTimeoutMs?: number;
  /**
   * Niceness of the prover processes (0..19, default 0). A sequencer runs them at a lower
   * priority than itself so that ingest latency does not suffer while a proof takes every
   * core; idle CPU still all goes to proving.
   */
  niceness?: number;
}

const WORKER_SCRIPT = fileURLToPath(new URL("./prover-worker.ts", import.meta.url));

export class ProverPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly config: WorkerConfig;
  private readonly jobTimeoutMs: number;
  private readonly pipeline: number;
  private nextId = 1;
  private closed = false;
  private startFailures = 0;
  private startError: string | undefined;

  constructor(options: ProverPoolOptions) {
    for (const file of [options.wasm, options.zkey]) {
      if (!existsSync(file)) throw new Error(`prover artifact not found: ${file} (run the setup: npm run setup)`);
    }
    const size = options.workers ?? 1;
    if (!Number.isInteger(size) || size < 1 || size > 64) throw new Error(`workers must be an integer in 1..64, got ${size}`);
    // One process may use every core through snarkjs's own threads; several take one each.
    const niceness = options.niceness ?? 0;
    if (!Number.isInteger(niceness) || niceness < 0 || niceness > 19) throw new Error(`niceness must be an integer in 0..19, got ${niceness}`);
    const pipeline = options.pipeline ?? 2;
    if (!Number.isInteger(pipeline) || pipeline < 1 || pipeline > 4) throw new Error(`pipeline must be an integer in 1..4, got ${pipeline}`);
    this.pipeline = pipeline;
    this.config = { wasm: options.wasm, zkey: options.zkey, backend: options.backend ?? "snarkjs", singleThread: size > 1, niceness };
    this.jobTimeoutMs = options.jobTimeoutMs ?? 30 * 60_000;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  static defaultWorkers(): number {
    return Math.max(1, Math.min(os.availableParallelism(), 4));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Jobs waiting for a prover (not counting those being proven). */
  get queued(): number {
    return this.queue.length;
  }

  /** Jobs at a prover process (proving, or computing their witness). */
  get busy(): number {
    return this.slots.reduce((n, s) => n + s.jobs.length, 0);
  }

  /** Jobs the pool takes at once before queueing: processes × pipeline depth. */
  get capacity(): number {
    return this.slots.length * this.pipeline;
  }

  get backend(): ProverBackend {
    return this.config.backend;
  }

  prove(input: CircuitInput): Promise<ProofOutput> {
    if (this.closed) return Promise.reject(new Error("prover pool is closed"));
    if (this.startError && !this.slots.some((s) => s.ready)) return Promise.reject(new Error(this.startError));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, input, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error("prover pool closed"));
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            if (slot.child.exitCode !== null || slot.child.signalCode !== null || slot.child.pid === undefined) return resolve();
            slot.child.once("exit", () => resolve());
            slot.child.kill("SIGKILL");
          }),
      ),
    );
  }

  private spawn(): Slot {
    const child = fork(WORKER_SCRIPT, [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, PROVENANCE_PROVER_WORKER: JSON.stringify(this.config) },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
    });
    const slot: Slot = { child, ready: false, jobs: [], stderr: "" };
    // Keep the tail of the prover's stderr to explain a failure; pass it through as well.
    child.stderr?.on("data", (d: Buffer) => {
      process.stderr.write(d);
      slot.stderr = (slot.stderr + d.toString()).slice(-2000);
    });
    child.on("message", (msg: ProveResponse | { ready: true } | { ready: false; message: string }) => {
      if ("ready" in msg && !msg.ready) {
        // It could not load the key or the circuit: say why, instead of "exited".
        slot.stderr = (slot.stderr + `\n${msg.message}`).slice(-2000);
        return;
      }
      if ("ready" in msg) {
        slot.ready = true;
        this.startFailures = 0;
        this.startError = undefined;
        this.dispatch();
        return;
      }
      const at = slot.jobs.findIndex((j) => j.id === msg.id);
      if (at < 0) return;
      const [job] = slot.jobs.splice(at, 1);
      this.finish(job!);
      if (msg.ok) job!.resolve({ proof: msg.proof, publicSignals: msg.publicSignals, witnessMs: msg.witnessMs, proveMs: msg.proveMs, backend: msg.backend });
      else job!.reject(msg.code ? new ProvenanceError(msg.code, msg.message) : new Error(msg.message));
      this.dispatch();
    });
    // A send to a process whose channel just closed, or a failed spawn, lands here; the exit
    // handler below then fails or requeues the job. Never let it become an unhandled error.
    child.on("error", (err) => {
      slot.stderr = (slot.stderr + `\n${err.message}`).slice(-2000);
      if (child.pid === undefined) this.onExit(slot, null, null);
    });
    child.on("disconnect", () => (slot.ready = false));
    child.on("exit", (code, signal) => this.onExit(slot, code, signal));
    return slot;
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return; // already handled
    const [job, ...behind] = slot.jobs.splice(0);
    const timedOut = slot.timedOut;
    slot.timedOut = false;
    for (const j of [job, ...behind]) if (j) this.finish(j);
    // The jobs behind the one proving did not cause this: they go back to the front of the queue.
    this.queue.unshift(...behind);
    const how = signal ?? `code ${code}`;
    // A prover that dies fails its job and is replaced, so one bad batch cannot stall the pool.
    if (job) {
      job.reject(
        new Error(
          timedOut
            ? `proving took longer than ${this.jobTimeoutMs} ms; the prover was stopped`
            : `prover process exited (${how}) while proving${slot.stderr ? `: ${slot.stderr.trim().split("\n").pop()}` : ""}`,
        ),
      );
    }
    if (this.closed) {
      this.slots.splice(index, 1);
      return;
    }
    let delay = 0;
    if (!slot.ready && !job) {
      // It died before it could serve: retry with backoff, and after a few failures fail the
      // waiting jobs with the reason instead of letting them wait forever.
      this.startFailures++;
      delay = Math.min(30_000, 250 * 2 ** this.startFailures);
      if (this.startFailures >= MAX_START_FAILURES) {
        this.startError = `prover process failed to start ${this.startFailures} times (${how}): ${slot.stderr.trim().slice(-500) || "no output"}`;
        for (const waiting of this.queue.splice(0)) waiting.reject(new Error(this.startError));
      }
    }
    const replacement = setTimeout(() => {
      if (this.closed) return;
      const i = this.slots.indexOf(placeholder);
      if (i >= 0) this.slots[i] = this.spawn();
      this.dispatch();
    }, delay);
    replacement.unref();
    // Hold the place of the dead process until its replacement starts.
    const placeholder: Slot = { ...slot, ready: false, jobs: [] };
    this.slots[index] = placeholder;
  }

  private finish(job: Job): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = undefined;
  }

  /** Fills each ready process up to the pipeline depth, least loaded first. */
  private dispatch(): void {
    for (;;) {
      if (this.queue.length === 0) return;
      const open = this.slots.filter((s) => s.ready && s.child.connected && s.jobs.length < this.pipeline);
      if (open.length === 0) return;
      const slot = open.reduce((a, b) => (b.jobs.length < a.jobs.length ? b : a));
      const job = this.queue.shift()!;
      slot.jobs.push(job);
      if (this.jobTimeoutMs > 0) {
        // A job waits for at most the proofs ahead of it in its process: its deadline counts those.
        job.timer = setTimeout(() => {
          slot.timedOut = true;
          slot.child.kill("SIGKILL");
        }, this.jobTimeoutMs * slot.jobs.length);
        job.timer.unref();
      }
      slot.child.send({ id: job.id, input: job.input } satisfies ProveRequest, (err) => {
        if (!err || !slot.jobs.includes(job)) return;
        // The channel closed under us: give the job back; the exit handler replaces the process.
        slot.jobs.splice(slot.jobs.indexOf(job), 1);
        this.finish(job);
        slot.ready = false;
        this.queue.unshift(job);
      });
    }
  }
}
