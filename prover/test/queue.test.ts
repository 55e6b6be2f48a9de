/**
 * The proof queue against a real redis-server (started here on a free loopback port, with a
 * password) and real `provenance-prover` worker processes on the `test` circuit, no chain:
 *
 * - a batch is proven by a worker and accepted; enqueueing it again does not prove it again;
 * - a worker whose proving key is not the sequencer's refuses the job (exit 3) and the job goes
 *   to a worker with the right key;
 * - a returned proof that does not verify is refused, the job enqueued again and proven by an
 *   honest worker; the refused proof is never returned;
 * - a batch whose witness fails fails its job once, as INVALID_BATCH, and asking again does not
 *   prove it again.
 * - SIGTERM: a worker finishes its job and exits 0.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import * as snarkjs from "snarkjs";
import { ProvenanceError, fieldToHex, publicHash } from "@provenance/client-sdk";
import { circuitConfig } from "@provenance/circuits";
import { zkeyPath } from "../src/artifacts.js";
import { releaseCurve } from "../src/groth16.js";
import { buildCircuitInput } from "../src/input.js";
import { QueueProver, proveJobId, queueConnection, verifyingKeyHash } from "../src/queue.js";
import { defaultVerifyingKey } from "../src/prover.js";
import { zkeyVerifyingKey } from "../src/queue-worker.js";
import { ensureSetup } from "../../tests/support/circuit-setup.js";
import { registryOf, testBatch, testNode } from "../../tests/support/fixtures.js";
import { RedisServer, requireRedis } from "../../tests/support/redis.js";
import { WorkerProcess, lyingWorker } from "../../tests/support/prover-worker.js";

const config = circuitConfig("test-single");
const nodes = [testNode("qa"), testNode("qb")];
const registry = registryOf(config.registryLevels, nodes);

describe("prover queue (BullMQ on a real redis-server, real workers, test circuit)", function () {
  this.timeout(300_000);
  let redis: RedisServer;
  let prover: QueueProver;
  let tmp: string;
  let wrongZkey: string;
  const workers: WorkerProcess[] = [];
  // The default job lock (30 s): no test here kills a worker in the middle of a job, and a short
  // lock on a loaded machine can lapse between renewals, so BullMQ runs the job again (at least
  // once, by design), which would make the counts below depend on the machine's load.
  const startWorker = (label: string, args: string[] = []): WorkerProcess => {
    const w = WorkerProcess.start(label, redis.bareUrl, { circuit: "test-single", password: redis.password, args });
    workers.push(w);
    return w;
  };

  before(async function () {
    requireRedis(this);
    await ensureSetup("test-single");
    redis = await RedisServer.start();
    tmp = mkdtempSync(path.join(os.tmpdir(), "provenance-queue-"));
    // Another proving key for the same circuit: one more phase-2 contribution.
    wrongZkey = path.join(tmp, "wrong.zkey");
    await snarkjs.zKey.contribute(zkeyPath("test-single"), wrongZkey, "wrong key", "queue test entropy");
    const { connection } = queueConnection({ url: redis.url });
    prover = new QueueProver({ circuit: "test-single", connection, pollMs: 50 });
    await prover.queue.obliterate({ force: true }).catch(() => undefined);
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.kill();
  });
  after(async () => {
    await prover?.close();
    await redis?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    await releaseCurve();
  });

  it("names the same key hash for the checked-in verifying key and the zkey it came from, another for another zkey", async () => {
    const vkHash = verifyingKeyHash(defaultVerifyingKey("test-single"));
    expect((await zkeyVerifyingKey(zkeyPath("test-single"))).keyHash).to.equal(vkHash);
    expect((await zkeyVerifyingKey(wrongZkey)).keyHash).to.not.equal(vkHash);
    expect(prover.keyHash).to.equal(vkHash);
  });

  it("proves a batch on a worker; the job data holds no secret; asking again returns the same proof without proving again", async () => {
    const w = startWorker("w1");
    const batch = testBatch(config.batchLevels, registry, nodes, 3);
    const first = await prover.prove(batch, registry, { index: 7 });
    expect(first.publicSignals).to.deep.equal([publicHash(batch.statement).toString()]);
    const job = await prover.queue.getJob(proveJobId("test-single", 7, fieldToHex(publicHash(batch.statement))));
    expect(job, "the job is kept").to.not.equal(undefined);
    const data = JSON.stringify(job!.data);
    expect(data).to.not.include(redis.password);
    expect(Object.keys(job!.data).sort()).to.deep.equal(["batch", "circuit", "enqueuedAt", "input", "keyHash", "publicHash", "v"]);
    const again = await prover.prove(batch, registry, { index: 7 });
    expect(again.proof).to.deep.equal(first.proof);
    expect(w.count("proving batch")).to.equal(1);
  });

  it("a worker with another proving key refuses the job and stops (exit 3); the job goes to a worker with the right key", async () => {
    const wrong = startWorker("wrong", ["--zkey", wrongZkey]);
    await wrong.waitLine("started", (l) => l.msg === "prover worker started");
    const batch = testBatch(config.batchLevels, registry, nodes, 2);
    const proving = prover.prove(batch, registry, { index: 8 });
    const refusal = await wrong.waitLine("refusal", (l) => /^refusing job: the job wants verifying key/.test(l.msg));
    expect(refusal.batch).to.equal(8);
    expect((await wrong.exited).code).to.equal(3);
    expect(wrong.count("proving batch")).to.equal(0);
    const right = startWorker("right");
    const rightName = (await right.waitLine("started", (l) => l.msg === "prover worker started")).name;
    const proof = await proving;
    expect(proof.publicSignals).to.deep.equal([publicHash(batch.statement).toString()]);
    // The job's final state says who proved it: the worker with the right key.
    const job = await prover.queue.getJob(proveJobId("test-single", 8, fieldToHex(publicHash(batch.statement))));
    expect(await job?.getState()).to.equal("completed");
    expect(job?.returnvalue.worker).to.be.a("string").and.equal(rightName);
    expect(right.lines.some((l) => l.msg === "batch proven" && l.batch === 8)).to.equal(true);
  });

  it("refuses a returned proof that does not verify, enqueues the job again, and returns only an honest worker's verified proof", async () => {
    const { connection } = queueConnection({ url: redis.url });
    let lied = 0;
    // A dishonest worker: answers at once with a proof of nothing (an honest proof with a changed coordinate).
    const liar = lyingWorker(redis.url, () => lied++);
    const retries: string[] = [];
    const watched = new QueueProver({ circuit: "test-single", connection, pollMs: 50, events: { onRetry: (reason) => retries.push(reason) } });
    try {
      const batch = testBatch(config.batchLevels, registry, nodes, 4);
      const proving = watched.prove(batch, registry, { index: 9 });
      // Generous: the liar answers at once, but its connection and the poll may be slow on a loaded machine.
      for (let i = 0; i < 1200 && retries.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(retries).to.include("bad_proof");
      await liar.close();
      const honest = startWorker("honest");
      const proof = await proving;
      expect(lied).to.be.greaterThan(0);
      expect(proof.proof.pi_a[0]).to.not.equal("1");
      expect(honest.count("batch proven")).to.equal(1);
    } finally {
      await liar.close();
      await watched.close();
    }
  });

  it("a batch whose witness fails fails its job once as INVALID_BATCH; asking again does not prove it again", async () => {
    const w = startWorker("w-invalid");
    const batch = testBatch(config.batchLevels, registry, nodes, 2);
    const input = buildCircuitInput(batch, registry, config);
    (input.S as string[])[0] = "1"; // a signature the circuit refuses
    const attempt = () =>
      prover.proveInput(input, batch.statement, 10).then(
        () => null,
        (e: unknown) => e as ProvenanceError,
      );
    const err = await attempt();
    expect(err).to.be.instanceOf(ProvenanceError);
    expect(err!.code).to.equal("INVALID_BATCH");
    expect(err!.message).to.match(/witness generation failed/);
    const again = await attempt();
    expect(again?.code).to.equal("INVALID_BATCH");
    const job = await prover.queue.getJob(proveJobId("test-single", 10, fieldToHex(publicHash(batch.statement))));
    expect(job?.attemptsMade).to.equal(1);
    expect(w.count("proving batch")).to.equal(1);
  });

  it("SIGTERM: the worker finishes the job at hand, then exits 0", async () => {
    const w = startWorker("w-term");
    const batch = testBatch(config.batchLevels, registry, nodes, 1);
    const proving = prover.prove(batch, registry, { index: 11 });
    await w.waitLine("proving", (l) => l.msg === "proving batch" && l.batch === 11);
    w.child.kill("SIGTERM");
    await proving;
    expect((await w.exited).code).to.equal(0);
    expect(w.count("batch proven")).to.equal(1);
  });
});
