/**
 * Ingest benchmark: accepted records per second and request latency (p50/p99) under
 * concurrent load, from this process against a sequencer started as a separate process
 * (`sequencer/src/main.ts`) on loopback. Every record is signature-checked and durable
 * (synced) before its answer; the prover runs at the same time on the batches it seals.
 *
 *   npx tsx sequencer/bench/ingest.ts [--records N] [--circuit test|dev]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { bytesToHex, packPublicKey, signRecord, type RecordV1 } from "@provenance/client-sdk";
import { testNode } from "../../tests/fixtures.js";

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const TOTAL = Number(arg("records", "6000"));
const CIRCUIT = arg("circuit", "test");
const out = (s: string): void => void process.stdout.write(`${s}\n`);

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const dataDir = mkdtempSync(path.join(os.tmpdir(), "provenance-bench-"));
const ADMIN = "bench-admin-token-0123456789";

const nodes = ["n1", "n2", "n3", "n4"].map(testNode);
out(`signing ${TOTAL} records...`);
const base = Date.now() - 3_600_000;
const records: RecordV1[] = Array.from({ length: TOTAL }, (_, i) =>
  signRecord(
    { url: `https://example.com/bench/${i}`, timestamp: base + i, contentHash: bytesToHex(new Uint8Array(32).fill(i % 251)) },
    nodes[i % nodes.length]!.privateKey,
  ),
);

const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
  env: {
    ...process.env,
    PROVENANCE_DATA_DIR: dataDir,
    PROVENANCE_CIRCUIT: CIRCUIT,
    PROVENANCE_LISTEN: "127.0.0.1:0",
    PROVENANCE_ADMIN_TOKEN: ADMIN,
    PROVENANCE_MAX_BACKLOG_RECORDS: "10000000",
    PROVENANCE_LOG_LEVEL: "info",
  },
  stdio: ["ignore", "pipe", "inherit"],
});
// The start line (info) carries the URL; later log lines are read and dropped.
const url = await new Promise<string>((resolve, reject) => {
  const lines = createInterface({ input: child.stdout! });
  lines.on("line", (line) => {
    const m = /"url":"(http:[^"]+)"/.exec(line);
    if (m) resolve(m[1]!);
  });
  child.once("exit", (code) => reject(new Error(`sequencer exited (${code})`)));
});

async function post(pathname: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url + pathname, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

for (const n of nodes) {
  const status = await post("/v1/nodes", { publicKey: bytesToHex(packPublicKey(n.publicKey)) }, { authorization: `Bearer ${ADMIN}` });
  if (status !== 201) throw new Error(`node registration: ${status}`);
}

async function run(label: string, slice: RecordV1[], perRequest: number, concurrency: number): Promise<void> {
  const bodies: unknown[] = [];
  for (let i = 0; i < slice.length; i += perRequest) {
    bodies.push(perRequest === 1 ? slice[i] : { records: slice.slice(i, i + perRequest) });
  }
  const latencies: number[] = [];
  let next = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const t0 = performance.now();
        const status = await post("/v1/records", body);
        latencies.push(performance.now() - t0);
        if (status !== 201) refused++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
  out(
    `| ${label} | ${slice.length} | ${perRequest} | ${concurrency} | ${(slice.length / seconds).toFixed(0)} | ${q(0.5)} | ${q(0.99)} | ${refused} |`,
  );
}

out(`sequencer at ${url} (circuit ${CIRCUIT}, ${os.availableParallelism()} cores)`);
out("| load | records | per request | concurrency | accepted/s | p50 ms | p99 ms | not 201 |");
out("| --- | --- | --- | --- | --- | --- | --- | --- |");
const third = Math.floor(TOTAL / 3);
await run("single records", records.slice(0, third), 1, 32);
await run("10 per request", records.slice(third, 2 * third), 10, 16);
await run("100 per request", records.slice(2 * third), 100, 4);
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
rmSync(dataDir, { recursive: true, force: true });
