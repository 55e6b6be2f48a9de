/** Test support: `provenance-prover` worker processes, run as an operator would, their JSON log lines watched. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { Worker } from "bullmq";
import { queueConnection, queueName, type ProveJobData, type ProveJobResult } from "@provenance/prover/queue";
import { REPO } from "./cli.js";

export const WORKER_BIN = path.join(REPO, "prover", "bin", "provenance-prover.js");

export interface WorkerLine {
  msg: string;
  batch?: number;
  [key: string]: unknown;
}

export class WorkerProcess {
  readonly lines: WorkerLine[] = [];
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly child: ChildProcess, readonly label: string) {
    let buf = "";
    child.stdout?.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as WorkerLine);
        } catch {
          /* not JSON */
        }
        if (process.env["TEST_LOG_LEVEL"]) process.stderr.write(`[${label}] ${line}\n`);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr?.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  /**
   * Starts a worker on `queueUrl` for `circuit`. The password goes through the environment
   * (PROVENANCE_PROVER_QUEUE_PASSWORD), not argv. `args` adds options (e.g. --zkey, --lock-ms).
   */
  static start(label: string, queueUrl: string, options: { circuit?: string; password?: string; args?: string[] } = {}): WorkerProcess {
    const env: NodeJS.ProcessEnv = { ...process.env, PROVENANCE_LOG_LEVEL: "info" };
    if (options.password) env["PROVENANCE_PROVER_QUEUE_PASSWORD"] = options.password;
    const child = spawn(process.execPath, [WORKER_BIN, "--queue", queueUrl, "--circuit", options.circuit ?? "test", ...(options.args ?? [])], {
      cwd: REPO,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new WorkerProcess(child, label);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first log line (already seen or to come) that `pred` accepts. */
  async waitLine(what: string, pred: (l: WorkerLine) => boolean, timeoutMs = 120_000): Promise<WorkerLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (!this.running && this.child.stdout?.readableEnded) throw new Error(`worker ${this.label} exited before ${what}: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for worker ${this.label}: ${what} (stderr: ${this.stderr.slice(-500)})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  count(msg: string): number {
    return this.lines.filter((l) => l.msg === msg).length;
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.running) this.child.kill(signal);
    await this.exited;
  }
}

/**
 * A dishonest worker on a circuit's queue (default `test-single`, the shape records signed
 * alone are proven with): answers every job at once with a proof of nothing (valid-looking
 * points, the job's public hash), calling `onJob` for each.
 */
export function lyingWorker(redisUrl: string, onJob: () => void, circuit = "test-single"): Worker<ProveJobData, ProveJobResult> {
  const { connection } = queueConnection({ url: redisUrl });
  return new Worker<ProveJobData, ProveJobResult>(
    queueName(circuit),
    async (job) => {
      onJob();
      return {
        proof: { pi_a: ["1", "2", "1"], pi_b: [["1", "0"], ["1", "0"], ["1", "0"]], pi_c: ["1", "2", "1"], protocol: "groth16", curve: "bn128" },
        publicSignals: [BigInt(`0x${job.data.publicHash}`).toString()],
        witnessMs: 0,
        proveMs: 0,
        backend: "native",
        worker: "liar",
      } as unknown as ProveJobResult;
    },
    { connection: { ...connection, maxRetriesPerRequest: null }, concurrency: 1 },
  );
}
