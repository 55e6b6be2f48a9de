/**
 * Batch signature verification across worker threads (Node only), for the sequencer: a batch
 * of packed (message, signature, public key) jobs is cut into chunks that idle workers take
 * one at a time, so every core is busy and the caller's event loop stays free.
 *
 * Each worker runs the native addon when it is built (`./native-eddsa.ts`), else
 * `verifyPacked` from `../eddsa.ts`: same checks, same verdicts as on the main thread.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { P } from "../eddsa/curve.js";
import { nativeAddonPath } from "./native-path.js";
import type { VerifyChunk, VerifyChunkResult } from "./verify-worker.js";

export interface VerifyJob {
  /** The signed field element (for a record: its `message`). */
  message: bigint;
  /** 64 bytes: circomlibjs `packSignature`. */
  signature: Uint8Array;
  /** 32 bytes: circomlibjs `packPoint`. */
  publicKey: Uint8Array;
}

export interface VerifyPoolOptions {
  /** Worker threads; default: the number of cores. */
  workers?: number;
  /** Jobs per message to a worker; default 128. */
  chunkSize?: number;
  /** Use the native addon in the workers when it is built (default true); false forces
   * the WebAssembly verifier. Verdicts are the same either way. */
  native?: boolean;
}

interface Task {
  chunk: VerifyChunk;
  resolve: (results: Uint8Array) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Task | null;
}

/**
 * The worker's entry: a small ESM bootstrap, then the verifier. Two things happen first:
 * - ffjavascript (under circomlibjs) imports `web-worker` 1.2.0, which assumes that any
 *   non-main thread is one of its own workers and takes over the thread's globals; the
 *   bootstrap loads it once with `isMainThread` reported true, so it stays inert (the
 *   verifier never starts ffjavascript threads);
 * - circomlibjs imports `blake-hash`, whose native prebuild crashes the process (heap
 *   corruption) when a worker that loaded it exits; the bootstrap serves blake-hash's own
 *   JavaScript implementation instead (the verifier does not use it: BLAKE-512 is ours);
 * - from TypeScript sources (the project runs on tsx, with no build step) the worker gets
 *   verify-worker.ts and the SDK files it imports as one ESM bundle made by esbuild (tsx's own
 *   compiler), with every package import left external as an absolute file URL. Workers
 *   do not inherit the parent's loader, and registering tsx inside each worker chains module
 *   hooks across threads on Node 20 (tsx loader errors after pools were created and closed
 *   repeatedly).
 */
let bundled: Promise<string> | undefined;

async function workerModuleUrl(): Promise<string> {
  if (!import.meta.url.endsWith(".ts")) return new URL("./verify-worker.js", import.meta.url).href;
  bundled ??= (async () => {
    const esbuild = await import("esbuild");
    const result = await esbuild.build({
      entryPoints: [fileURLToPath(new URL("./verify-worker.ts", import.meta.url))],
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "silent",
      plugins: [
        {
          name: "packages-as-file-urls",
          setup(build) {
            build.onResolve({ filter: /^[^./]/ }, (args) =>
              args.path.startsWith("node:") ? { path: args.path, external: true } : { path: import.meta.resolve(args.path), external: true },
            );
          },
        },
      ],
    });
    const code = result.outputFiles[0]!.text;
    return `data:text/javascript;base64,${Buffer.from(code).toString("base64")}`;
  })();
  return bundled;
}

async function workerEntry(): Promise<URL> {
  const target = await workerModuleUrl();
  // blake-hash as circomlibjs resolves it: its index.js loads a prebuilt native binding when
  // one matches the platform, else its JavaScript implementation (js.js).
  const blakeIndex = createRequire(fileURLToPath(import.meta.resolve("circomlibjs"))).resolve("blake-hash");
  const lines = [
    `import Module, { createRequire } from "node:module";`,
    `import threads from "node:worker_threads";`,
    `const require = createRequire(${JSON.stringify(import.meta.url)});`,
    `const real = threads.isMainThread;`,
    `Object.defineProperty(threads, "isMainThread", { value: true, configurable: true, writable: true });`,
    `try { require(${JSON.stringify(fileURLToPath(import.meta.resolve("web-worker")))}); }`,
    `finally { Object.defineProperty(threads, "isMainThread", { value: real, configurable: true, writable: true }); }`,
    // Keep blake-hash's native binding (an old node-addon-api prebuild, not safe to unload
    // with a worker: heap corruption on worker exit) out of workers: serve its JS version.
    `const blakeIndex = ${JSON.stringify(blakeIndex)};`,
    `const blake = new Module(blakeIndex);`,
    `blake.filename = blakeIndex;`,
    `blake.exports = require(blakeIndex.replace(/index\\.js$/, "js.js"));`,
    `blake.loaded = true;`,
    `require.cache[blakeIndex] = blake;`,
    `await import(${JSON.stringify(target)});`,
  ];
  return new URL(`data:text/javascript,${encodeURIComponent(lines.join("\n"))}`);
}

export class VerifyPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly chunkSize: number;
  private nextId = 1;
  private failure: Error | null = null;
  private closed = false;

  private constructor(chunkSize: number) {
    this.chunkSize = chunkSize;
  }

  /** Starts the workers and waits until each has built its verifier. */
  static async create(options: VerifyPoolOptions = {}): Promise<VerifyPool> {
    const count = options.workers ?? availableParallelism();
    const chunkSize = options.chunkSize ?? 128;
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`workers must be a positive integer, got ${count}`);
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
    }
    const pool = new VerifyPool(chunkSize);
    const entry = await workerEntry();
    await Promise.all(Array.from({ length: count }, () => pool.startWorker(entry, options.native !== false)));
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** True when every worker verifies with the native addon. */
  get native(): boolean {
    return this.nativeWorkers === this.slots.length && this.slots.length > 0;
  }

  private nativeWorkers = 0;

  private startWorker(entry: URL, native: boolean): Promise<void> {
    const worker = new Worker(entry, { workerData: { native, addonPath: nativeAddonPath() } });
    const slot: Slot = { worker, busy: null };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on("message", (msg: VerifyChunkResult | { ready: true; native: boolean }) => {
        if ("ready" in msg) {
          ready = true;
          if (msg.native) this.nativeWorkers++;
          resolve();
          return;
        }
        const task = slot.busy;
        slot.busy = null;
        if (task && task.chunk.id === msg.id) task.resolve(msg.results);
        this.dispatch();
      });
      const fail = (err: Error): void => {
        if (this.closed) return;
        this.failure ??= err;
        if (!ready) reject(err);
        slot.busy?.reject(err);
        slot.busy = null;
        for (const t of this.queue.splice(0)) t.reject(err);
      };
      worker.on("error", fail);
      worker.on("exit", (code) => fail(new Error(`signature verification worker exited with code ${code}`)));
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy !== null) continue;
      const task = this.queue.shift()!;
      slot.busy = task;
      slot.worker.postMessage(task.chunk, [task.chunk.signatures.buffer as ArrayBuffer, task.chunk.publicKeys.buffer as ArrayBuffer]);
    }
  }

  /**
   * Verifies every job; result i is true iff job i's signature is valid (same rules as
   * `verifyPacked`: malformed input gives false, never a rejection). Rejects only if a worker
   * dies or the pool is closed.
   */
  async verifyBatch(jobs: readonly VerifyJob[]): Promise<boolean[]> {
    if (this.closed) throw new Error("VerifyPool is closed");
    if (this.failure) throw this.failure;
    const out = new Array<boolean>(jobs.length).fill(false);
    const pending: Promise<void>[] = [];
    for (let start = 0; start < jobs.length; start += this.chunkSize) {
      const idx: number[] = [];
      const end = Math.min(jobs.length, start + this.chunkSize);
      for (let i = start; i < end; i++) {
        const j = jobs[i]!;
        // Malformed jobs are refused here and never cross the thread boundary.
        if (
          typeof j === "object" &&
          j !== null &&
          typeof j.message === "bigint" &&
          j.message >= 0n &&
          j.message < P &&
          j.signature instanceof Uint8Array &&
          j.signature.length === 64 &&
          j.publicKey instanceof Uint8Array &&
          j.publicKey.length === 32
        ) {
          idx.push(i);
        }
      }
      if (idx.length === 0) continue;
      const chunk: VerifyChunk = {
        id: this.nextId++,
        messages: idx.map((i) => jobs[i]!.message),
        signatures: new Uint8Array(64 * idx.length),
        publicKeys: new Uint8Array(32 * idx.length),
      };
      idx.forEach((i, k) => {
        chunk.signatures.set(jobs[i]!.signature, 64 * k);
        chunk.publicKeys.set(jobs[i]!.publicKey, 32 * k);
      });
      pending.push(
        new Promise<Uint8Array>((resolve, reject) => {
          this.queue.push({ chunk, resolve, reject });
        }).then((results) => {
          idx.forEach((i, k) => {
            out[i] = results[k] === 1;
          });
        }),
      );
    }
    this.dispatch();
    await Promise.all(pending);
    return out;
  }

  async verify(job: VerifyJob): Promise<boolean> {
    const [ok] = await this.verifyBatch([job]);
    return ok === true;
  }

  /**
   * Stops the workers; batches still pending reject. Each worker finishes the chunk it is on
   * and exits by itself (see verify-worker.ts); one that has not exited after
   * `graceMs` is terminated.
   */
  async close(graceMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error("VerifyPool is closed");
    for (const t of this.queue.splice(0)) t.reject(err);
    for (const s of this.slots) {
      s.busy?.reject(err);
      s.busy = null;
    }
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.worker.threadId < 0) return resolve(); // already gone
            const timer = setTimeout(() => {
              void s.worker.terminate().then(() => resolve());
            }, graceMs);
            s.worker.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            s.worker.postMessage({ close: true });
          }),
      ),
    );
  }
}
