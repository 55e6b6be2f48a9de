/**
 * Buyer-side verification throughput (issue 7, issue 17 part 7):
 * - offline: a manifest of 10,000 real bundles (distinct signed records, 157 batches of the prod
 *   size 64) verified end to end by `verifyManifest` (stream, parse, signature, leaf, path,
 *   window, trusted root per batch), first on one thread with the SDK's WebAssembly arithmetic
 *   (the baseline, as a browser or the SDK alone verifies), then by a `BundlePool` (one worker
 *   per core, the native addon), same manifest, same run; the two reports must be equal. Also
 *   per CPU-second (all threads), which the other jobs on a shared machine disturb less;
 * - against the local chain: the real proven batch of the test vector anchored on a fresh local
 *   chain; bundles verified with a shared ChainReader (one BatchLog read and one transaction
 *   read for the whole dataset: a 10,000-line manifest) and cold (a new reader per bundle: one
 *   account read and one transaction read each).
 * Only the test vector's batch can be anchored here (each batch needs a real Groth16 proof), so
 * the on-chain manifest repeats its 3 bundles; the offline run uses 10,000 distinct records.
 *
 *   npx tsx bench/verify.ts            (also part of `npm run bench` once wired in bench/run.ts)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseRecord, verifyBundle, verifyRecordSignature, type InclusionBundle, type RecordV1 } from "@provenance/client-sdk";
import { ChainReader } from "@provenance/client-sdk/chain";
import { startLocalnet } from "@provenance/localnet";
import { verifyManifest } from "@provenance/client-sdk/node";
import { BundlePool } from "@provenance/ingest-engine";
import { FAKE_ANCHOR, anchorVector, bundlesFor, disconnect } from "../client-sdk/test/helpers/bundles.js";
import { testNode, testRecord } from "../tests/support/fixtures.js";
import type { Row } from "./core.js";

const GROUP = "bundle verification (buyers)";

export async function benchVerify(options: { records?: number } = {}): Promise<Row[]> {
  const n = options.records ?? 10_000;
  const rows: Row[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), "provenance-bench-verify-"));
  try {
    // --- offline, 10,000 distinct records ------------------------------------------------------
    const nodes = Array.from({ length: 8 }, (_, i) => testNode(`bench-${i}`));
    const base = 1_764_300_000_000;
    const records: RecordV1[] = [];
    for (let i = 0; i < n; i++) records.push(testRecord(nodes[i % nodes.length]!, i, base + i).record);
    const bundles: InclusionBundle[] = [];
    const roots = new Map<number, string>();
    for (let b = 0; b * 64 < n; b++) {
      const part = records.slice(b * 64, (b + 1) * 64);
      const bs = bundlesFor(part, 6, { registryRoot: "0".repeat(64), minTs: base, maxTs: base + n }, { ...FAKE_ANCHOR, batchIndex: b });
      roots.set(b, bs[0]!.batch.batchRoot);
      bundles.push(...bs);
    }
    const manifest = path.join(dir, "dataset.jsonl");
    writeFileSync(manifest, bundles.map((b) => JSON.stringify(b)).join("\n") + "\n");

    const parsed = records.slice(0, 2000).map(parseRecord);
    let t = performance.now();
    for (const p of parsed) if (!verifyRecordSignature(p)) throw new Error("signature");
    const sigRate = parsed.length / ((performance.now() - t) / 1000);

    const cpuSeconds = (from: NodeJS.CpuUsage): number => {
      const d = process.cpuUsage(from);
      return (d.user + d.system) / 1e6;
    };
    t = performance.now();
    let cpu = process.cpuUsage();
    const offline = await verifyManifest(manifest, { trustedRoots: roots, concurrency: 16, progress: false });
    const offlineSec = (performance.now() - t) / 1000;
    const offlineCpu = cpuSeconds(cpu);
    if (offline.passed !== n) throw new Error(`offline: ${offline.failed} of ${n} failed: ${JSON.stringify(offline.failures[0])}`);

    t = performance.now();
    const pool = await BundlePool.create();
    const startSec = (performance.now() - t) / 1000;
    let fast;
    let fastSec: number;
    let fastCpu: number;
    try {
      t = performance.now();
      cpu = process.cpuUsage();
      fast = await verifyManifest(manifest, { trustedRoots: roots, checker: pool, progress: false });
      fastSec = (performance.now() - t) / 1000;
      fastCpu = cpuSeconds(cpu);
    } finally {
      await pool.close();
    }
    const { elapsedMs: _a, ...a } = offline;
    const { elapsedMs: _b, ...b } = fast;
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`the pool's report differs from the single-thread path's: ${JSON.stringify(b).slice(0, 500)}`);
    const jsRate = n / offlineSec;
    const fastRate = n / fastSec;
    rows.push({ group: GROUP, name: "record signature check alone", value: `${sigRate.toFixed(0)}/s`, baseline: "one thread, WebAssembly verifier" });
    rows.push({
      group: GROUP,
      name: `offline manifest, ${n.toLocaleString("en-US")} records / ${roots.size} batches (B=64), one thread, SDK (WebAssembly)`,
      value: `${jsRate.toFixed(0)}/s`,
      baseline: `baseline; ${offlineSec.toFixed(1)} s in all; ${(n / offlineCpu).toFixed(0)} per CPU-second`,
    });
    rows.push({
      group: GROUP,
      name: `offline manifest, same, BundlePool (${pool.size} workers, ${pool.native ? "native" : `WebAssembly: ${pool.reason}`})`,
      value: `${fastRate.toFixed(0)}/s`,
      baseline: `${(fastRate / jsRate).toFixed(1)} × baseline; ${fastSec.toFixed(1)} s, ${(n / fastCpu).toFixed(0)} per CPU-second (${((n / fastCpu) / (n / offlineCpu)).toFixed(1)} ×); pool start-up ${startSec.toFixed(1)} s more`,
    });
    rows.push({
      group: GROUP,
      name: "offline manifest, same, BundlePool, start-up included",
      value: `${(n / (fastSec + startSec)).toFixed(0)}/s`,
      baseline: `${((n / (fastSec + startSec)) / jsRate).toFixed(1)} × baseline`,
    });

    // --- against the local chain ---------------------------------------------------------------
    const chain = await startLocalnet({ dataDir: path.join(dir, "chain") });
    try {
      const anchored = await anchorVector(chain);
      const chainManifest = path.join(dir, "chain.jsonl");
      const lines = Array.from({ length: n }, (_, i) => JSON.stringify(anchored.bundles[i % anchored.bundles.length]));
      writeFileSync(chainManifest, lines.join("\n") + "\n");
      const reader = new ChainReader({ connection: chain.rpcUrl, programId: chain.programId });
      t = performance.now();
      const onChain = await verifyManifest(chainManifest, { chain: reader, concurrency: 16, progress: false });
      const onChainSec = (performance.now() - t) / 1000;
      if (onChain.passed !== n) throw new Error(`on-chain: ${onChain.failed} failed: ${JSON.stringify(onChain.failures[0])}`);
      rows.push({
        group: GROUP,
        name: `on-chain manifest, ${n.toLocaleString("en-US")} lines (shared reader)`,
        value: `${(n / onChainSec).toFixed(0)}/s`,
        baseline: `${reader.stats.accountReads} account + ${reader.stats.transactionReads} transaction read(s); ${onChainSec.toFixed(1)} s in all`,
      });
      reader.close();

      // The same, the offline checks by a BundlePool (the chain's checks stay on this thread).
      const pooled = await BundlePool.create();
      const reader2 = new ChainReader({ connection: chain.rpcUrl, programId: chain.programId });
      try {
        t = performance.now();
        const onChainPool = await verifyManifest(chainManifest, { chain: reader2, checker: pooled, progress: false });
        const onChainPoolSec = (performance.now() - t) / 1000;
        if (onChainPool.passed !== n) throw new Error(`on-chain, pool: ${onChainPool.failed} failed: ${JSON.stringify(onChainPool.failures[0])}`);
        rows.push({
          group: GROUP,
          name: `on-chain manifest, same, BundlePool (${pooled.size} workers${pooled.native ? ", native" : ""})`,
          value: `${(n / onChainPoolSec).toFixed(0)}/s`,
          baseline: `${((n / onChainPoolSec) / (n / onChainSec)).toFixed(1)} × the shared reader on one thread; ${reader2.stats.accountReads} account + ${reader2.stats.transactionReads} transaction read(s)`,
        });
      } finally {
        reader2.close();
        await pooled.close();
      }

      const cold = 100;
      t = performance.now();
      for (let i = 0; i < cold; i++) {
        const r = new ChainReader({ connection: chain.rpcUrl, programId: chain.programId });
        const res = await verifyBundle(anchored.bundles[i % 3], { chain: r });
        if (!res.ok) throw new Error(JSON.stringify(res.failure));
        r.close();
      }
      const coldMs = (performance.now() - t) / cold;
      rows.push({ group: GROUP, name: "on-chain, cold (new reader per bundle)", value: `${(1000 / coldMs).toFixed(0)}/s`, baseline: `${coldMs.toFixed(1)} ms each: genesis + BatchLog + transaction reads` });
      t = performance.now();
      for (let i = 0; i < cold; i++) {
        const r = new ChainReader({ connection: chain.rpcUrl, programId: chain.programId });
        const res = await verifyBundle(anchored.bundles[i % 3], { chain: r, checkTransaction: false });
        if (!res.ok) throw new Error(JSON.stringify(res.failure));
        r.close();
      }
      const coldRingMs = (performance.now() - t) / cold;
      rows.push({ group: GROUP, name: "on-chain, cold, --no-tx (BatchLog only)", value: `${(1000 / coldRingMs).toFixed(0)}/s`, baseline: `${coldRingMs.toFixed(1)} ms each` });
      disconnect(anchored.connection);
    } finally {
      await chain.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { formatTable } = await import("./core.js");
  const rows = await benchVerify();
  console.log(formatTable(rows));
  process.exit(0);
}
