/**
 * Dataset verification on every core (Node only): a `BundleChecker` (client-sdk verify.ts) whose
 * worker threads run the offline checks of slices of bundles with the native addon
 * (`bundle-math.ts`), or with the SDK's WebAssembly arithmetic where the addon is not built.
 * Pass it as `checker` to `verifyBundles` / `verifyManifest`: the results are the SDK's, bundle
 * for bundle; the chain's checks (shared reads per batch) stay on the calling thread.
 *
 *   const pool = await BundlePool.create();
 *   const report = await verifyManifest("dataset.jsonl", { trustedRoots, checker: pool });
 *   await pool.close();
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { JS_BUNDLE_MATH } from "@provenance/client-sdk/bundle";
import { checkOffline, completeTrusted, itemJson, type DatasetItem, type OfflineCheck, type TrustedRoots } from "@provenance/client-sdk/offline";
import type { BundleChecker } from "@provenance/client-sdk";
import { nativeAddonPath } from "./native-path.js";
import { workerEntry } from "./verify-pool.js";
import type { CheckMessage, CheckReply, TrustMessage } from "./bundle-worker.js";

export interface BundlePoolOptions {
  /** Worker threads; default: the number of cores. */
  workers?: number;
  /** Bundles per slice sent to a worker; default 128. */
  batchSize?: number;
  /** Use the native addon in the workers when it is built (default true); false: the SDK's WebAssembly arithmetic. Same results. */
  native?: boolean;
}

interface Task {
  items: DatasetItem[];
  trust: { id: number; roots: TrustedRoots } | null;
  resolve: (answers: OfflineCheck[]) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: { id: number; task: Task } | null;
  /** The trusted roots this worker holds (the id of the last TrustMessage sent to it). */
  trust: number | null;
}

/** The SDK's answer for one item, on this thread (for items a worker cannot be sent). */
function answerHere(item: DatasetItem, roots: TrustedRoots | null): OfflineCheck {
  const parsed = itemJson(item);
  if ("result" in parsed) return parsed;
  const offline = checkOffline(parsed.json, JS_BUNDLE_MATH);
  return roots !== null && "pending" in offline ? { result: completeTrusted(offline.pending, roots) } : offline;
}

export class BundlePool implements BundleChecker {
  readonly batchSize: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly trustIds = new WeakMap<object, number>();
  private nextId = 1;
  private nativeWorkers = 0;
  private reasons = new Set<string>();
  private failure: Error | null = null;
  private closed = false;

  private constructor(batchSize: number) {
    this.batchSize = batchSize;
  }

  /** Starts the workers and waits until each has loaded its arithmetic (native or not). */
  static async create(options: BundlePoolOptions = {}): Promise<BundlePool> {
    const count = options.workers ?? availableParallelism();
    const batchSize = options.batchSize ?? 128;
    for (const [name, v] of [["workers", count], ["batchSize", batchSize]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
    }
    const pool = new BundlePool(batchSize);
    const entry = await workerEntry("bundle-worker");
    try {
      await Promise.all(Array.from({ length: count }, () => pool.startWorker(entry, options.native !== false)));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Worker threads. */
  get size(): number {
    return this.slots.length;
  }

  /** Slices in flight that keep every worker busy while the caller finishes the last ones. */
  get parallelism(): number {
    return 2 * this.slots.length;
  }

  /** True when every worker checks natively. */
  get native(): boolean {
    return this.slots.length > 0 && this.nativeWorkers === this.slots.length;
  }

  /** Why the workers do not check natively ("loaded" when they do). */
  get reason(): string {
    return [...this.reasons].join("; ");
  }

  private startWorker(entry: URL, native: boolean): Promise<void> {
    const worker = new Worker(entry, { workerData: { native, addonPath: nativeAddonPath() } });
    const slot: Slot = { worker, busy: null, trust: null };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on("message", (msg: CheckReply | { ready: true; native: boolean; reason: string }) => {
        if ("ready" in msg) {
          ready = true;
          if (msg.native) this.nativeWorkers++;
          this.reasons.add(msg.reason);
          resolve();
          return;
        }
        const busy = slot.busy;
        slot.busy = null;
        if (busy && busy.id === msg.id) {
          if ("failure" in msg) busy.task.reject(new Error(`bundle check failed in a worker: ${msg.failure}`));
          else busy.task.resolve(msg.answers);
        }
        this.dispatch();
      });
      const fail = (err: Error): void => {
        if (this.closed) return;
        this.failure ??= err;
        if (!ready) reject(err);
        slot.busy?.task.reject(err);
        slot.busy = null;
        for (const t of this.queue.splice(0)) t.reject(err);
      };
      worker.on("error", fail);
      worker.on("exit", (code) => fail(new Error(`bundle verification worker exited with code ${code}`)));
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy !== null) continue;
      const task = this.queue.shift()!;
      const id = this.nextId++;
      try {
        if (task.trust !== null && slot.trust !== task.trust.id) {
          const msg: TrustMessage = { kind: "trust", id: task.trust.id, trust: task.trust.roots };
          slot.worker.postMessage(msg);
          slot.trust = task.trust.id;
        }
        const msg: CheckMessage = { kind: "check", id, items: task.items, trust: task.trust?.id ?? null };
        slot.worker.postMessage(msg);
      } catch {
        // Not structured-cloneable (not JSON data): checked here instead, same results.
        try {
          task.resolve(task.items.map((item) => answerHere(item, task.trust?.roots ?? null)));
        } catch (err) {
          task.reject(err as Error);
        }
        continue;
      }
      slot.busy = { id, task };
    }
  }

  /**
   * The offline checks of `items` in a worker (`checkOffline`, then `completeTrusted` against
   * `trust` when given), in order: what the SDK gives for each on this thread. Rejects only if a
   * worker dies or the pool is closed.
   */
  check(items: readonly DatasetItem[], trust: TrustedRoots | null): Promise<OfflineCheck[]> {
    if (this.closed) return Promise.reject(new Error("BundlePool is closed"));
    if (this.failure) return Promise.reject(this.failure);
    let t: Task["trust"] = null;
    if (trust !== null) {
      let tid = this.trustIds.get(trust);
      if (tid === undefined) {
        tid = this.nextId++;
        this.trustIds.set(trust, tid);
      }
      const roots: TrustedRoots = {};
      if (trust.trustedRoot !== undefined) roots.trustedRoot = trust.trustedRoot;
      if (trust.trustedRoots !== undefined) roots.trustedRoots = trust.trustedRoots;
      t = { id: tid, roots };
    }
    const answer = new Promise<OfflineCheck[]>((resolve, reject) => this.queue.push({ items: items.slice(), trust: t, resolve, reject }));
    this.dispatch();
    return answer;
  }

  /**
   * Stops the workers; slices still pending reject. Each worker finishes the slice it is on and
   * exits by itself; one that has not exited after `graceMs` is terminated.
   */
  async close(graceMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error("BundlePool is closed");
    for (const t of this.queue.splice(0)) t.reject(err);
    for (const s of this.slots) {
      s.busy?.task.reject(err);
      s.busy = null;
    }
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.worker.threadId < 0) return resolve();
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
