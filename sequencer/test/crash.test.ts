/**
 * Crash tests: the sequencer runs as a separate process (`sequencer/src/main.ts`, configured
 * by environment as an operator would) and is killed with SIGKILL — no shutdown code runs.
 *
 * 1. Mid-ingest: concurrent clients post records; the process is killed while requests are in
 *    flight. After a restart every acknowledged record is there with its seq and receipt,
 *    sequence numbers have no gap, every stored record is whole (record and id index agree),
 *    and new records continue the sequence.
 * 2. Mid-proving: killed while sealed batches wait for (or are in) the prover; after a restart
 *    each batch resumes from `batched` and is proven, every record in exactly one batch.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { parseRecord, recordId, type RecordV1 } from "@provenance/client-sdk";
import { cacheRoot } from "@provenance/prover/artifacts";
import { ensureSetup } from "../../tests/support/circuit-setup.js";
import { ReceiptSigner, type Receipt } from "../src/receipt.js";
import { Store } from "../src/store.js";
import { publicKeyHex, quietLogger, recentRecord, tempDir, testNode } from "./helpers.js";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const REPO = path.resolve(path.dirname(MAIN), "..", "..");
const ADMIN = "crash-test-admin-token-0123";

interface Child {
  proc: ChildProcess;
  url: string;
  exited: Promise<void>;
}

async function startChild(dataDir: string, env: Record<string, string> = {}): Promise<Child> {
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: REPO,
    env: {
      ...process.env,
      PROVENANCE_DATA_DIR: dataDir,
      // The setup keys stay where the suite made them (PROVENANCE_DATA_DIR would move the cache).
      PROVENANCE_CACHE_DIR: cacheRoot(),
      PROVENANCE_CIRCUIT: "test",
      PROVENANCE_LISTEN: "127.0.0.1:0",
      PROVENANCE_ADMIN_TOKEN: ADMIN,
      PROVENANCE_VERIFY_WORKERS: "1",
      PROVENANCE_LOG_LEVEL: "info",
      PROVENANCE_ANCHORING: "off",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => reject(new Error("the sequencer did not start within 120 s")), 120_000);
    lines.on("line", (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "sequencer started" && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        // not a log line
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the sequencer exited with code ${code} before starting`));
    });
  });
  return { proc, url, exited };
}

async function kill(child: Child): Promise<void> {
  child.proc.kill("SIGKILL");
  await child.exited;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function openStore(dataDir: string): Promise<Store> {
  // The receipt signer is only used for new appends; checking needs none, any key will do.
  const signer = new ReceiptSigner(generateKeyPairSync("ed25519").privateKey);
  return Store.open({ dir: path.join(dataDir, "db"), batchLevels: 2, registryLevels: 4, signer, logger: quietLogger() });
}

describe("sequencer crash (SIGKILL) durability", function () {
  this.timeout(600_000);
  const node = testNode("crash");
  let t: ReturnType<typeof tempDir>;

  before(() => ensureSetup("test"));
  beforeEach(() => {
    t = tempDir("crash");
  });
  afterEach(() => t.remove());

  it("loses no acknowledged record when killed mid-ingest", async () => {
    // No batch comes due by age: the test is about ingest, and proving would compete for CPU.
    const env = { PROVENANCE_BATCH_MAX_AGE_MS: "3600000" };
    let child = await startChild(t.dir, env);
    expect((await post(`${child.url}/v1/nodes`, { publicKey: publicKeyHex(node) }, { authorization: `Bearer ${ADMIN}` })).status).to.equal(201);

    const acked = new Map<string, { seq: number; receipt: Receipt }>();
    let killed = false;
    let failure: unknown = null;
    const clients = Array.from({ length: 16 }, async (_, c) => {
      for (let k = 0; !killed; k++) {
        const records: RecordV1[] = Array.from({ length: 1 + (k % 3) }, (_, j) => recentRecord(node, c * 100_000 + k * 10 + j));
        try {
          const answer = await post(`${child.url}/v1/records`, { records });
          if (answer.status !== 201 && answer.status !== 200) throw new Error(`unexpected ${answer.status}`);
          for (const r of answer.body.records as Array<{ id: string; seq: number; receipt: Receipt }>) acked.set(r.id, r);
        } catch (err) {
          if (killed) return;
          failure = err;
          return;
        }
      }
    });
    const deadline = Date.now() + 120_000;
    while (acked.size < 200 && failure === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    if (failure !== null) throw failure as Error;
    killed = true;
    await kill(child);
    await Promise.all(clients);
    expect(acked.size).to.be.greaterThanOrEqual(200);

    // Restart on the same data directory: the service comes back with every acknowledged record.
    child = await startChild(t.dir, env);
    for (const [id, a] of [...acked].slice(0, 50)) {
      const res = await fetch(`${child.url}/v1/records/${id}`);
      expect(res.status).to.equal(200);
      const body = (await res.json()) as { seq: number; receipt: Receipt };
      expect(body.seq).to.equal(a.seq);
      expect(body.receipt).to.deep.equal(a.receipt);
    }
    // New records continue the sequence, with no gap and no reuse.
    const next = await post(`${child.url}/v1/records`, recentRecord(node, 3_000_000));
    expect(next.status).to.equal(201);
    const nextSeq = next.body.seq as number;
    await kill(child);

    const store = await openStore(t.dir);
    try {
      expect(store.recordCount).to.equal(nextSeq + 1);
      for (const [id, a] of acked) {
        const stored = await store.getRecord(id);
        expect(stored, `acknowledged record ${id} (seq ${a.seq}) is lost`).to.not.equal(undefined);
        expect(stored!.seq).to.equal(a.seq);
        expect(stored!.receipt).to.deep.equal(a.receipt);
      }
      for (let s = 0; s < store.recordCount; s++) {
        const rec = await store.getRecordBySeq(s);
        expect(rec, `seq ${s} is missing: a gap`).to.not.equal(undefined);
        expect(recordId(parseRecord(rec!.record))).to.equal(rec!.id);
        expect((await store.getRecord(rec!.id))?.seq).to.equal(s);
      }
    } finally {
      await store.close();
    }
  });

  it("resumes sealed batches after being killed while proving, each record in exactly one batch", async () => {
    const env = { PROVENANCE_BATCH_MAX_AGE_MS: "200" };
    let child = await startChild(t.dir, env);
    expect((await post(`${child.url}/v1/nodes`, { publicKey: publicKeyHex(node) }, { authorization: `Bearer ${ADMIN}` })).status).to.equal(201);
    const records = [0, 1, 2, 3, 4, 5].map((n) => recentRecord(node, n));
    expect((await post(`${child.url}/v1/records`, { records })).status).to.equal(201);
    // Wait for both batches to be sealed, then kill before the prover is done with them.
    for (;;) {
      const list = (await (await fetch(`${child.url}/v1/batches`)).json()) as { batches: Array<{ state: string }> };
      if (list.batches.length === 2) {
        expect(list.batches.some((b) => b.state === "batched")).to.equal(true);
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await kill(child);

    child = await startChild(t.dir, env);
    const deadline = Date.now() + 300_000;
    let states: string[] = [];
    while (Date.now() < deadline) {
      const list = (await (await fetch(`${child.url}/v1/batches`)).json()) as { batches: Array<{ state: string }> };
      states = list.batches.map((b) => b.state);
      if (states.length === 2 && states.every((s) => s === "proven")) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(states).to.deep.equal(["proven", "proven"]);
    const seen = new Map<string, number>();
    for (const index of [0, 1]) {
      const contents = (await (await fetch(`${child.url}/v1/batches/${index}/records`)).json()) as { records: Array<{ id: string }> };
      for (const r of contents.records) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).to.deep.equal(records.map((r) => recordId(parseRecord(r))).sort());
    expect([...seen.values()].every((n) => n === 1)).to.equal(true);
    child.proc.kill("SIGTERM");
    await child.exited;
  });
});
