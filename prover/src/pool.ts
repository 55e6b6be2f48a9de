/**
 * A pool of prover processes with bounded concurrency: each proves one batch at a time and the
 * rest wait in a FIFO queue, so the caller's event loop stays free and memory is bounded by the
 * pool size (each process holds one copy of the proving key).
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

export interface WorkerConfig {
  wasm: string;
  zkey: string;
  singleThread: boolean;
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
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  job?: Job;
}

export interface ProverPoolOptions {
  wasm: string;
  zkey: string;
  /** Number of prover processes (default 1). */
  workers?: number;
}

const WORKER_SCRIPT = fileURLToPath(new URL("./prover-worker.ts", import.meta.url));

export class ProverPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly config: WorkerConfig;
  private nextId = 1;
  private closed = false;

  constructor(options: ProverPoolOptions) {
    for (const file of [options.wasm, options.zkey]) {
      if (!existsSync(file)) throw new Error(`prover artifact not found: ${file} (run the setup: npm run setup)`);
    }
    const size = options.workers ?? 1;
    if (!Number.isInteger(size) || size < 1 || size > 64) throw new Error(`workers must be an integer in 1..64, got ${size}`);
    // One process may use every core through snarkjs's own threads; several take one each.
    this.config = { wasm: options.wasm, zkey: options.zkey, singleThread: size > 1 };
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

  get busy(): number {
    return this.slots.filter((s) => s.job).length;
  }

  prove(input: CircuitInput): Promise<ProofOutput> {
    if (this.closed) return Promise.reject(new Error("prover pool is closed"));
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
            if (slot.child.exitCode !== null || slot.child.signalCode !== null) return resolve();
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
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      serialization: "advanced",
    });
    const slot: Slot = { child, ready: false };
    child.on("message", (msg: ProveResponse | { ready: true }) => {
      if ("ready" in msg) {
        slot.ready = true;
        this.dispatch();
        return;
      }
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      slot.job = undefined;
      if (msg.ok) job.resolve({ proof: msg.proof, publicSignals: msg.publicSignals, witnessMs: msg.witnessMs, proveMs: msg.proveMs });
      else job.reject(msg.code ? new ProvenanceError(msg.code, msg.message) : new Error(msg.message));
      this.dispatch();
    });
    child.on("exit", (code, signal) => {
      // A prover that dies fails its job and is replaced, so one bad batch cannot stall the pool.
      const job = slot.job;
      slot.job = undefined;
      job?.reject(new Error(`prover process exited (${signal ?? `code ${code}`}) while proving`));
      const index = this.slots.indexOf(slot);
      if (index >= 0 && !this.closed) {
        this.slots[index] = this.spawn();
        this.dispatch();
      }
    });
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.child.send({ id: job.id, input: job.input } satisfies ProveRequest);
    }
  }
}
