/**
 * The sequencer's pipeline end to end, on the `dev` circuit (the `npm start` default) against
 * the local chain, with the real prover:
 *
 * - time from POST to anchored, for a full batch (sealed at once) and for a partial one (sealed
 *   by the default 5 s age policy); baseline: the proving time of the same batch, so the ratio
 *   says what the pipeline (sealing, queueing, submission, confirmation) adds to the proof;
 * - proven records per second with one prover process;
 * each once per prover backend (snarkjs, the baseline, and native), in the same run.
 *
 * Run alone with `npx tsx bench/pipeline.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { LAMPORTS_PER_SOL } from "@solana/web3.js";
import { pino } from "pino";
import { NodeRegistry, bytesToHex, fieldToHex, packPublicKey } from "@provenance/client-sdk";
import { startLocalnet } from "@provenance/localnet";
import { circuitConfig } from "@provenance/circuits";
import { nativeProver, type ProverBackend } from "@provenance/prover";
import { createChainSubmitter, loadConfig, Sequencer, type SequencerConfig } from "@provenance/sequencer";
import { ensureSetup } from "../tests/support/circuit-setup.js";
import { testNode, testRecord } from "../tests/support/fixtures.js";
import type { Row } from "./core.js";

const CIRCUIT = "dev";
const ADMIN = "bench-pipeline-admin-token-01";
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? "silent" });

interface BatchView {
  index: number;
  state: string;
  count: number;
}

async function waitUntil<T>(fn: () => Promise<T | undefined>, timeoutMs = 900_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("bench: timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function batches(url: string): Promise<BatchView[]> {
  const res = await fetch(`${url}/v1/batches?limit=1000`);
  return ((await res.json()) as { batches: BatchView[] }).batches;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  if (res.status !== 201 && res.status !== 200) throw new Error(`bench: POST ${url} answered ${res.status}: ${await res.text()}`);
}

interface Run {
  seq: Sequencer;
  stop: () => Promise<void>;
}

/** A sequencer on a fresh data directory (and a fresh local chain when `anchoring`). */
async function startRun(overrides: Partial<SequencerConfig> & { anchoring: boolean }): Promise<Run> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "provenance-bench-pipeline-"));
  const chain = overrides.anchoring ? await startLocalnet({ dataDir: path.join(dir, "chain") }) : null;
  const config = loadConfig({}, { dataDir: dir, circuit: CIRCUIT, listen: "127.0.0.1:0", adminToken: ADMIN, verifyWorkers: 1, ...(chain ? { rpcUrl: chain.rpcUrl, adminKeypair: chain.wallet } : {}), ...overrides });
  const submitter = chain ? createChainSubmitter(config, logger, { pollIntervalMs: 100 }) : null;
  if (submitter) {
    await submitter.airdrop(10 * LAMPORTS_PER_SOL);
    await submitter.ensureInitialized(CIRCUIT, fieldToHex(new NodeRegistry(circuitConfig(CIRCUIT).registryLevels).root));
  }
  const seq = await Sequencer.start(config, { logger, submitter, defaultMetrics: false });
  return {
    seq,
    stop: async () => {
      await seq.stop();
      await chain?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const node = testNode("bench-pipeline");
let serial = 0;
const records = (n: number): unknown[] => Array.from({ length: n }, () => testRecord(node, serial++, Date.now() - 60_000).record);

async function register(url: string): Promise<void> {
  await post(`${url}/v1/nodes`, { publicKey: bytesToHex(packPublicKey(node.publicKey)) }, { authorization: `Bearer ${ADMIN}` });
}

/** Seconds from POST to anchored for one batch of `n` records, and that batch's proving time. */
async function postToAnchored(url: string, n: number, index: number): Promise<{ seconds: number; proveSeconds: number }> {
  const t0 = performance.now();
  await post(`${url}/v1/records`, { records: records(n) });
  await waitUntil(async () => ((await batches(url))[index]?.state === "anchored" ? true : undefined));
  const seconds = (performance.now() - t0) / 1000;
  const meta = (await (await fetch(`${url}/v1/batches/${index}`)).json()) as { proveMs: number | null };
  return { seconds, proveSeconds: (meta.proveMs ?? 0) / 1000 };
}

/**
 * POST -> anchored and proven records/s through the whole pipeline, once per backend, in the
 * same run (the first backend is the baseline).
 */
export async function benchPipeline(options: { backends?: ProverBackend[] } = {}): Promise<Row[]> {
  await ensureSetup(CIRCUIT);
  const backends = options.backends ?? (nativeProver.available ? (["snarkjs", "native"] as ProverBackend[]) : (["snarkjs"] as ProverBackend[]));
  const capacity = 2 ** circuitConfig(CIRCUIT).batchLevels;
  const rows: Row[] = [];
  const group = `pipeline on the local chain (circuit ${CIRCUIT}, B = ${capacity}), per prover backend`;
  const anchoredFull: number[] = [];
  const proven: number[] = [];

  for (const prover of backends) {
    // 1. POST -> anchored at the default policy (5 s age), one prover process.
    const run = await startRun({ anchoring: true, prover, proverWorkers: 1, batchMaxAgeMs: 5000 });
    try {
      await register(run.seq.url);
      await postToAnchored(run.seq.url, capacity, 0); // warm-up: first proof loads the zkey
      const full = await postToAnchored(run.seq.url, capacity, 1);
      const partial = await postToAnchored(run.seq.url, 1, 2);
      anchoredFull.push(full.seconds);
      rows.push({
        group,
        name: `${prover}: POST -> anchored, full batch (${capacity} records, sealed at once)`,
        value: `${full.seconds.toFixed(1)} s`,
        baseline:
          (full.proveSeconds > 0 ? `${(full.seconds / full.proveSeconds).toFixed(2)} × its proving time (${full.proveSeconds.toFixed(1)} s)` : "—") +
          (anchoredFull.length > 1 ? `; ${(anchoredFull[0]! / full.seconds).toFixed(2)} × faster than ${backends[0]}` : ""),
      });
      rows.push({
        group,
        name: `${prover}: POST -> anchored, 1 record (sealed by the 5 s age policy)`,
        value: `${partial.seconds.toFixed(1)} s`,
        baseline: partial.proveSeconds > 0 ? `${(partial.seconds / (partial.proveSeconds + 5)).toFixed(2)} × (5 s + its proving time)` : "—",
      });
    } finally {
      await run.stop();
    }

    // 2. Proven records/s, one prover process (no chain: proving alone, witness and proof overlapped).
    const r = await startRun({ anchoring: false, prover, proverWorkers: 1, batchMaxAgeMs: 3_600_000 });
    try {
      await register(r.seq.url);
      await post(`${r.seq.url}/v1/records`, { records: records(capacity) });
      await waitUntil(async () => ((await batches(r.seq.url))[0]?.state === "proven" ? true : undefined)); // warm-up
      const nBatches = prover === "native" ? 8 : 4;
      const t0 = performance.now();
      await post(`${r.seq.url}/v1/records`, { records: records(nBatches * capacity) });
      await waitUntil(async () => {
        const list = await batches(r.seq.url);
        return list.length === nBatches + 1 && list.every((b) => b.state === "proven") ? true : undefined;
      });
      proven.push((nBatches * capacity) / ((performance.now() - t0) / 1000));
    } finally {
      await r.stop();
    }
    rows.push({
      group,
      name: `${prover}: proven records/s through the pipeline, 1 prover process`,
      value: proven.at(-1)!.toFixed(2),
      baseline: proven.length === 1 ? "baseline" : `${(proven.at(-1)! / proven[0]!).toFixed(2)} × ${backends[0]}`,
    });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { formatTable } = await import("./core.js");
  console.log(formatTable(await benchPipeline()));
  process.exit(0);
}
