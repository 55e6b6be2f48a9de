/**
 * Proving with the real prover on the `test` circuit and its dev setup, and off-chain
 * verification: a valid batch verifies; a changed byte of the proof, of the public input or
 * of any record does not.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import {
  ProvenanceError,
  buildBatch,
  parseRecord,
  type BatchStatement,
  type RecordV1,
} from "@provenance/client-sdk";
import { circuitConfig, compileCircuit } from "@provenance/circuits";
import { checkedInVkPath } from "../src/artifacts.js";
import { BatchProver, type BatchProof } from "../src/prover.js";
import { ProverPool } from "../src/pool.js";
import { releaseCurve, verifyBatchProof } from "../src/groth16.js";
import { buildCircuitInput } from "../src/input.js";
import { wasmPath, zkeyPath } from "../src/artifacts.js";
import type { SnarkjsProof, SnarkjsVerifyingKey } from "../src/solana-layout.js";
import { ensureSetup } from "../../tests/support/circuit-setup.js";
import { registryOf, testBatch, testNode } from "../../tests/support/fixtures.js";

const config = circuitConfig("test");
const nodes = [testNode("a"), testNode("b"), testNode("c")];
const registry = registryOf(config.registryLevels, nodes);

function flipDecimal(value: string): string {
  return (BigInt(value) + 1n).toString();
}

describe("prover (test circuit)", function () {
  this.timeout(600_000);
  let vk: SnarkjsVerifyingKey;
  let prover: BatchProver;
  let proven: BatchProof;

  before(async () => {
    await compileCircuit("test");
    await ensureSetup("test");
    vk = JSON.parse(readFileSync(checkedInVkPath("test"), "utf8")) as SnarkjsVerifyingKey;
    prover = new BatchProver({ circuit: "test", workers: 1 });
    proven = await prover.prove(testBatch(config.batchLevels, registry, nodes, 3), registry);
  });

  after(async () => {
    await prover?.close();
    await releaseCurve();
  });

  it("proves a batch whose proof verifies against the checked-in verifying key", async () => {
    expect(proven.publicSignals).to.deep.equal([proven.publicHash.toString()]);
    expect(await verifyBatchProof(vk, proven.statement, proven.proof)).to.equal(true);
    expect(proven.solana.proofA).to.have.length(64);
    expect(proven.solana.proofB).to.have.length(128);
    expect(proven.solana.proofC).to.have.length(64);
  });

  it("refuses a proof with any coordinate changed", async () => {
    const cases: Array<(p: SnarkjsProof) => void> = [
      (p) => ((p.pi_a as string[])[0] = flipDecimal(p.pi_a[0]!)),
      (p) => ((p.pi_a as string[])[1] = flipDecimal(p.pi_a[1]!)),
      (p) => ((p.pi_b[0] as string[])[0] = flipDecimal(p.pi_b[0]![0]!)),
      (p) => ((p.pi_b[1] as string[])[1] = flipDecimal(p.pi_b[1]![1]!)),
      (p) => ((p.pi_c as string[])[0] = flipDecimal(p.pi_c[0]!)),
      (p) => ((p.pi_c as string[])[1] = flipDecimal(p.pi_c[1]!)),
    ];
    for (const tamper of cases) {
      const proof = JSON.parse(JSON.stringify(proven.proof)) as SnarkjsProof;
      tamper(proof);
      expect(await verifyBatchProof(vk, proven.statement, proof)).to.equal(false);
    }
  });

  it("refuses the proof for any other statement", async () => {
    const s = proven.statement;
    const others: BatchStatement[] = [
      { ...s, registryRoot: s.registryRoot + 1n },
      { ...s, batchRoot: s.batchRoot ^ 1n },
      { ...s, count: s.count + 1 },
      { ...s, minTs: s.minTs - 1 },
      { ...s, maxTs: s.maxTs + 1 },
    ];
    for (const statement of others) {
      expect(await verifyBatchProof(vk, statement, proven.proof)).to.equal(false);
    }
  });

  it("refuses the proof once any byte of any record changes", async () => {
    const records: RecordV1[] = proven.statement && testBatch(config.batchLevels, registry, nodes, 3).records.map((r) => r.record as RecordV1);
    const mutations: Array<(r: RecordV1) => RecordV1> = [
      (r) => ({ ...r, url: r.url + "x" }),
      (r) => ({ ...r, timestamp: r.timestamp + 1 }),
      (r) => ({ ...r, contentHash: (r.contentHash[0] === "0" ? "1" : "0") + r.contentHash.slice(1) }),
    ];
    for (let i = 0; i < records.length; i++) {
      for (const mutate of mutations) {
        const changed = records.map((r, j) => (j === i ? mutate(r) : r));
        // The changed record no longer matches its signature, but even the statement recomputed
        // from the changed data (as a verifier would) is not the one proven.
        const batch = buildBatch(changed.map(parseRecord), config.batchLevels, registry.root);
        expect(await verifyBatchProof(vk, batch.statement, proven.proof)).to.equal(false);
      }
    }
  });

  it("reports a batch the circuit refuses as INVALID_BATCH, and keeps serving", async () => {
    const pool = new ProverPool({ wasm: wasmPath("test"), zkey: zkeyPath("test"), workers: 1 });
    try {
      const input = buildCircuitInput(testBatch(config.batchLevels, registry, nodes, 2), registry, config);
      (input.S as string[])[0] = "1";
      const err = await pool.prove(input).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ProvenanceError);
      expect((err as ProvenanceError).code).to.equal("INVALID_BATCH");
      expect((err as Error).message).to.match(/witness generation failed: .*Assert Failed/);
      const ok = await pool.prove(buildCircuitInput(testBatch(config.batchLevels, registry, nodes, 1), registry, config));
      expect(ok.publicSignals).to.have.length(1);
    } finally {
      await pool.close();
    }
  });

  it("fails waiting jobs with the reason when the prover cannot start, instead of hanging", async () => {
    // A directory where the proving key should be: the process dies on start, every time.
    const pool = new ProverPool({ wasm: wasmPath("test"), zkey: path.dirname(zkeyPath("test")), workers: 1 });
    try {
      const err = await pool.prove({}).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err?.message).to.match(/prover process failed to start 3 times .*EISDIR/s);
    } finally {
      await pool.close();
    }
  });

  it("replaces a prover that dies while idle and still proves the next batch", async () => {
    const pool = new ProverPool({ wasm: wasmPath("test"), zkey: zkeyPath("test"), workers: 1 });
    try {
      const input = buildCircuitInput(testBatch(config.batchLevels, registry, nodes, 1), registry, config);
      await pool.prove(input);
      const pids = execFileSync("pgrep", ["-f", "prover-worker.ts"]).toString().trim().split("\n").map(Number);
      for (const pid of pids) {
        // only our own children
        try {
          if (readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[3] === String(process.pid)) process.kill(pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      await new Promise((r) => setTimeout(r, 1000)); // the death is noticed while idle
      const out = await pool.prove(input);
      expect(out.publicSignals).to.have.length(1);
    } finally {
      await pool.close();
    }
  });

  it("pipelines two batches in one process; if it dies, the one proving fails and the other is proven by its replacement", async () => {
    const pool = new ProverPool({ wasm: wasmPath("test"), zkey: zkeyPath("test"), workers: 1, pipeline: 2 });
    try {
      expect(pool.capacity).to.equal(2);
      const input = buildCircuitInput(testBatch(config.batchLevels, registry, nodes, 1), registry, config);
      await pool.prove(input); // the process is up and has its key
      const first = pool.prove(input).then(() => "proven", (e: unknown) => (e as Error).message);
      const second = pool.prove(input);
      expect(pool.busy).to.equal(2); // both at the one process
      expect(pool.queued).to.equal(0);
      // Killed before it can finish either (a proof takes hundreds of ms).
      const child = (pool as unknown as { slots: { child: { kill(s: string): boolean } }[] }).slots[0]!.child;
      child.kill("SIGKILL");
      expect(await first).to.match(/prover process exited \(SIGKILL\) while proving/);
      const out = await second;
      expect(out.publicSignals).to.have.length(1);
    } finally {
      await pool.close();
    }
  });

  it("abandons a proof that takes longer than the job timeout", async () => {
    const pool = new ProverPool({ wasm: wasmPath("test"), zkey: zkeyPath("test"), workers: 1, jobTimeoutMs: 50 });
    try {
      const input = buildCircuitInput(testBatch(config.batchLevels, registry, nodes, 1), registry, config);
      const err = await pool.prove(input).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err?.message).to.equal("proving took longer than 50 ms; the prover was stopped");
    } finally {
      await pool.close();
    }
  });

  it("proves batches concurrently in two workers", async () => {
    const two = new BatchProver({ circuit: "test", workers: 2 });
    try {
      const batches = [1, 2, 3, 4].map((n) => testBatch(config.batchLevels, registry, nodes, n));
      const proofs = await Promise.all(batches.map((b) => two.prove(b, registry)));
      for (const p of proofs) expect(await verifyBatchProof(vk, p.statement, p.proof)).to.equal(true);
    } finally {
      await two.close();
    }
  });
});
