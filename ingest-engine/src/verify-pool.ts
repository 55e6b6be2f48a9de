/**
 * Batch signature verification and record validation across worker threads (Node only), for
 * the sequencer: work is cut into chunks that idle workers take one at a time, so every core
 * is busy and the caller's event loop stays free.
 *
 * - `verifyBatch`: packed (message, signature, public key) jobs.
 * - `checkRecords`: records as posted, through everything `parseRecord` checks and the
 *   signature (`checkRecordBatch`); the caller gets back what a store needs (id, nodeId,
 *   canonical record, SHA-256 of the URL) or the first refusal with parseRecord's exact code
 *   and message. Small requests queued together travel to a worker in one message.
 *
 * Each worker runs the native addon when it is built (`./native-eddsa.ts`), else the
 * TypeScript verifier (`../eddsa.ts`) and `parseRecord`: same checks, same verdicts as on the
 * main thread.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { P } from "@provenance/client-sdk/curve";
import { ProvenanceError } from "@provenance/client-sdk/errors";
import type { RecordV1 } from "@provenance/client-sdk/record";
import { RECORD_BAD_SIGNATURE, RECORD_RESULT_BYTES, RECORD_VALID, checkRecordBatch, type RecordBatchError } from "./native-eddsa.js";
import { nativeAddonPath } from "./native-path.js";
import type { ChunkCheck } from "./chunk-check.js";
import { checkChunkNative } from "./native-eddsa.js";
import type { ChunkChunk, ChunkChunkResult, RecordChunk, RecordChunkResult, VerifyChunk, VerifyChunkResult } from "./verify-worker.js";

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
  /** Records per message to a worker (`checkRecords`); default 64 (a few ms of work). */
  recordChunkSize?: number;
  /** Use the native addon in the workers when it is built (default true); false forces
   * the WebAssembly verifier. Verdicts are the same either way. */
  native?: boolean;
}

/** A record that passed every check of `parseRecord`, with what a store needs. */
export interface CheckedRecord {
  /** The record as posted, exactly its seven fields. */
  record: RecordV1;
  /** The leaf (record id), 64 hex. */
  id: string;
  nodeId: bigint;
  /** SHA-256 of the URL's UTF-8 bytes, 64 hex. */
  urlHash: string;
  /** Whether the EdDSA-Poseidon signature verifies. */
  signatureValid: boolean;
}

/** `checkRecords`' answer: every record checked, or the first one `parseRecord` refuses. */
export type RecordsCheck = { ok: true; records: CheckedRecord[] } | { ok: false; index: number; error: ProvenanceError };

interface VerifyTask {
  kind: "verify";
  chunk: VerifyChunk;
  resolve: (results: Uint8Array) => void;
  reject: (err: Error) => void;
}

interface RecordTask {
  kind: "records";
  inputs: unknown[];
  resolve: (checked: { results: Uint8Array; error: RecordBatchError | null }) => void;
  reject: (err: Error) => void;
}

interface ChunkTask {
  kind: "chunk";
  input: unknown;
  maxRecords: number;
  resolve: (checked: ChunkCheck) => void;
  reject: (err: Error) => void;
}

type Task = VerifyTask | RecordTask | ChunkTask;

/** Chunks waiting together go to a worker in one message, at most this many. */
const CHUNKS_PER_MESSAGE = 4;

interface Slot {
  worker: Worker;
  /** The message at the worker: its id and the tasks it carries. */
  busy: { id: number; tasks: Task[] } | null;
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
 *   verify-worker.ts and the SDK files it imports (the `@provenance/*` workspaces) as one ESM bundle made by esbuild (tsx's own
 *   compiler), with every package import left external as an absolute file URL. Workers
 *   do not inherit the parent's loader, and registering tsx inside each worker chains module
 *   hooks across threads on Node 20 (tsx loader errors after pools were created and closed
 *   repeatedly).
 */
const bundled = new Map<string, Promise<string>>();

async function workerModuleUrl(name: string): Promise<string> {
  if (!import.meta.url.endsWith(".ts")) return new URL(`./${name}.js`, import.meta.url).href;
  const done = bundled.get(name);
  if (done) return done;
  const building = (async () => {
    const esbuild = await import("esbuild");
    const result = await esbuild.build({
      entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
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
            // circomlibjs's entry also loads its contract generators (and through them ethers):
            // seconds of start-up per worker on a busy machine. The SDK takes only its Poseidon
            // builders from it, so a worker imports that one file of circomlibjs instead.
            build.onResolve({ filter: /^circomlibjs$/ }, () => ({ path: "poseidon", namespace: "circomlibjs" }));
            build.onLoad({ filter: /.*/, namespace: "circomlibjs" }, () => ({
              contents: `export { buildPoseidon, buildPoseidonWasm } from ${JSON.stringify(new URL("src/poseidon_wasm.js", import.meta.resolve("circomlibjs")).href)};`,
              loader: "js",
            }));
            // The project's own workspaces are TypeScript: bundled. Everything else stays external.
            build.onResolve({ filter: /^[^./]/ }, (args) =>
              args.path.startsWith("@provenance/")
                ? undefined
                : args.path.startsWith("node:")
                  ? { path: args.path, external: true }
                  : { path: import.meta.resolve(args.path), external: true },
            );
          },
        },
      ],
    });
    const code = result.outputFiles[0]!.text;
    return `data:text/javascript;base64,${Buffer.from(code).toString("base64")}`;
  })();
  bundled.set(name, building);
  return building;
}

/** The entry of a worker running `./<name>.ts` (or `.js` when built), with the bootstrap above. */
export async function workerEntry(name = "verify-worker"): Promise<URL> {
  const target = await workerModuleUrl(name);
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
  private readonly recordChunkSize: number;
  private readonly useNative: boolean;
  private nextId = 1;
  private dispatchScheduled = false;
  private failure: Error | null = null;
  private closed = false;

  private constructor(chunkSize: number, recordChunkSize: number, useNative: boolean) {
    this.chunkSize = chunkSize;
    this.recordChunkSize = recordChunkSize;
    this.useNative = useNative;
  }

  /** Starts the workers and waits until each has built its verifier. */
  static async create(options: VerifyPoolOptions = {}): Promise<VerifyPool> {
    const count = options.workers ?? availableParallelism();
    const chunkSize = options.chunkSize ?? 128;
    const recordChunkSize = options.recordChunkSize ?? 64;
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`workers must be a positive integer, got ${count}`);
    for (const [name, v] of [["chunkSize", chunkSize], ["recordChunkSize", recordChunkSize]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
    }
    const pool = new VerifyPool(chunkSize, recordChunkSize, options.native !== false);
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
      worker.on("message", (msg: VerifyChunkResult | RecordChunkResult | ChunkChunkResult | { ready: true; native: boolean }) => {
        if ("ready" in msg) {
          ready = true;
          if (msg.native) this.nativeWorkers++;
          resolve();
          return;
        }
        const busy = slot.busy;
        slot.busy = null;
        if (busy && busy.id === msg.id) settle(busy.tasks, msg);
        this.dispatch();
      });
      const fail = (err: Error): void => {
        if (this.closed) return;
        this.failure ??= err;
        if (!ready) reject(err);
        for (const t of slot.busy?.tasks ?? []) t.reject(err);
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
      // Small record work waits for a busy worker rather than waking another: fewer, fuller
      // messages (each wake-up of a thread costs the main thread a context switch on few cores).
      if (this.queue[0]!.kind === "records" && this.slots.some((s) => s.busy !== null) && this.queuedRecords() < this.recordChunkSize) return;
      const task = this.queue.shift()!;
      if (task.kind === "verify") {
        slot.busy = { id: task.chunk.id, tasks: [task] };
        slot.worker.postMessage(task.chunk, [task.chunk.signatures.buffer as ArrayBuffer, task.chunk.publicKeys.buffer as ArrayBuffer]);
        continue;
      }
      if (task.kind === "chunk") {
        const tasks: ChunkTask[] = [task];
        while (tasks.length < CHUNKS_PER_MESSAGE && this.queue[0]?.kind === "chunk") tasks.push(this.queue.shift() as ChunkTask);
        const msg: ChunkChunk = { kind: "chunks", id: this.nextId++, inputs: tasks.map((t) => t.input), maxRecords: tasks.map((t) => t.maxRecords) };
        try {
          slot.worker.postMessage(msg);
        } catch {
          // Not structured-cloneable (not JSON data): check here instead, same verdicts.
          for (const t of tasks) {
            try {
              t.resolve(checkChunkNative(t.input, t.maxRecords, this.useNative));
            } catch (err) {
              t.reject(err as Error);
            }
          }
          continue;
        }
        slot.busy = { id: msg.id, tasks };
        continue;
      }
      // Record tasks waiting together (small requests) go in one message, each its own segment.
      const tasks: RecordTask[] = [task];
      let count = task.inputs.length;
      for (;;) {
        const next = this.queue[0];
        if (next?.kind !== "records" || count + next.inputs.length > this.recordChunkSize) break;
        tasks.push(next);
        count += next.inputs.length;
        this.queue.shift();
      }
      const chunk: RecordChunk = { kind: "records", id: this.nextId++, inputs: tasks.flatMap((t) => t.inputs), segments: tasks.map((t) => t.inputs.length) };
      try {
        slot.worker.postMessage(chunk);
      } catch {
        // Not structured-cloneable (not JSON data): check here instead, same verdicts.
        for (const t of tasks) {
          try {
            t.resolve(checkRecordBatch(t.inputs, this.useNative));
          } catch (err) {
            t.reject(err as Error);
          }
        }
        continue;
      }
      slot.busy = { id: chunk.id, tasks };
    }
  }

  private queuedRecords(): number {
    let n = 0;
    for (const t of this.queue) {
      if (t.kind === "records") n += t.inputs.length;
      if (n >= this.recordChunkSize) break;
    }
    return n;
  }

  /**
   * Checks records as posted: for each, everything `parseRecord` checks (with its exact code and
   * message) and the signature. Answers every record (id, nodeId, canonical record, URL hash,
   * signature verdict), or the first record, by index, that `parseRecord` refuses. The inputs
   * should be plain data (as from JSON.parse); the canonical record is built from the caller's
   * objects after their checked copies passed. Rejects only if a worker dies or the pool is closed.
   */
  async checkRecords(inputs: readonly unknown[]): Promise<RecordsCheck> {
    if (this.closed) throw new Error("VerifyPool is closed");
    if (this.failure) throw this.failure;
    const parts: Array<Promise<{ results: Uint8Array; error: RecordBatchError | null }>> = [];
    for (let start = 0; start < inputs.length; start += this.recordChunkSize) {
      const slice = inputs.slice(start, start + this.recordChunkSize);
      parts.push(new Promise((resolve, reject) => this.queue.push({ kind: "records", inputs: slice, resolve, reject })));
    }
    // Dispatch once the event loop has taken every request that is ready: requests that
    // arrive together (many small POSTs) go to a worker together, in one message.
    if (!this.dispatchScheduled) {
      this.dispatchScheduled = true;
      setImmediate(() => {
        this.dispatchScheduled = false;
        this.dispatch();
      });
    }
    const checked = await Promise.all(parts);
    const records: CheckedRecord[] = new Array<CheckedRecord>(inputs.length);
    for (let c = 0; c < checked.length; c++) {
      const { results, error } = checked[c]!;
      const start = c * this.recordChunkSize;
      if (error) return { ok: false, index: start + error.index, error: new ProvenanceError(error.code, error.message) };
      const buf = Buffer.from(results.buffer, results.byteOffset, results.byteLength);
      for (let k = 0; k * RECORD_RESULT_BYTES < results.length; k++) {
        const at = k * RECORD_RESULT_BYTES;
        const status = buf[at];
        if (status !== RECORD_VALID && status !== RECORD_BAD_SIGNATURE) throw new Error(`record ${start + k} was not checked (status ${status})`);
        const o = inputs[start + k] as RecordV1;
        records[start + k] = {
          record: {
            v: 1,
            url: o.url,
            timestamp: o.timestamp,
            contentHash: o.contentHash,
            nodeId: o.nodeId,
            publicKey: o.publicKey,
            signature: o.signature,
          },
          id: buf.toString("hex", at + 1, at + 33),
          nodeId: BigInt("0x" + buf.toString("hex", at + 33, at + 65)),
          urlHash: buf.toString("hex", at + 65, at + 97),
          signatureValid: status === RECORD_VALID,
        };
      }
    }
    return { ok: true, records };
  }

  /**
   * Checks one signed chunk as posted (docs/circuit-v2.md): everything the SDK's `parseChunk`
   * checks (its exact code and message), at most `maxRecords` records, and its one signature,
   * natively in a worker when the addon is built. Rejects only if a worker dies or the pool is closed.
   */
  async checkChunk(input: unknown, maxRecords: number): Promise<ChunkCheck> {
    if (this.closed) throw new Error("VerifyPool is closed");
    if (this.failure) throw this.failure;
    const answer = new Promise<ChunkCheck>((resolve, reject) => this.queue.push({ kind: "chunk", input, maxRecords, resolve, reject }));
    if (!this.dispatchScheduled) {
      this.dispatchScheduled = true;
      setImmediate(() => {
        this.dispatchScheduled = false;
        this.dispatch();
      });
    }
    return answer;
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
          this.queue.push({ kind: "verify", chunk, resolve, reject });
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
      for (const t of s.busy?.tasks ?? []) t.reject(err);
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

/** Hands a worker's answer to the tasks its message carried. */
function settle(tasks: Task[], msg: VerifyChunkResult | RecordChunkResult | ChunkChunkResult): void {
  if ("chunks" in msg) {
    tasks.forEach((task, i) => {
      const answer = msg.chunks[i];
      if (task.kind !== "chunk") return;
      if (!answer || "failure" in answer) task.reject(new Error(`chunk check failed in a worker: ${answer ? answer.failure : "no answer"}`));
      else task.resolve(answer);
    });
    return;
  }
  if (!("errors" in msg)) {
    const task = tasks[0];
    if (task?.kind === "verify") task.resolve(msg.results);
    return;
  }
  let start = 0;
  tasks.forEach((task, i) => {
    if (task.kind !== "records") return;
    const n = task.inputs.length;
    const failure = msg.failures[i];
    if (failure) task.reject(new Error(`record check failed in a worker: ${failure}`));
    else task.resolve({ results: msg.results.subarray(RECORD_RESULT_BYTES * start, RECORD_RESULT_BYTES * (start + n)), error: msg.errors[i] ?? null });
    start += n;
  });
}
