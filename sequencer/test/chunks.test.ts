/**
 * Signed chunks over HTTP (POST /v1/chunks, docs/circuit-v2.md) with the real parts: LevelDB
 * in a temporary directory, the worker verifier (native where built), fastify. The deployment's
 * circuit family is given a chunk shape of C = 2 on the `test` capacity (B = 4) until the
 * circuit package declares one.
 *
 * - a chunk is answered with one signed receipt per record, in order, stored in one write;
 * - every refusal is whole, with its status, code and message, and stores nothing;
 * - a single-only family refuses chunks and says so; per-node rate limits count n records;
 * - /healthz tells the chunk size; a chunk record's view and batch carry its chunk ref and slot.
 */
import { expect } from "chai";
import { fieldToHex, hexToField, parseRecord, signChunk, signRecord, verifyBundle, type ChunkRecordV1, type InclusionBundle, type SignedChunkV1 } from "@provenance/client-sdk";
import { ensureSetup } from "../../tests/support/circuit-setup.js";
import { contentHashOf } from "../../tests/support/fixtures.js";
import { loadConfig, type ConfigOverrides } from "../src/config.js";
import { RECEIPT_KEY_ROUTE } from "../src/api.js";
import { verifyReceipt, type Receipt } from "../src/receipt.js";
import { Sequencer } from "../src/sequencer.js";
import type { DeploymentShapes } from "../src/shapes.js";
import type { TestNode } from "../../tests/support/fixtures.js";
import { TEST_CHUNK_SHAPES, publicKeyHex, quietLogger, recentRecord, tempDir, testNode } from "./helpers.js";

const ADMIN = "chunks-admin-token-0123456789";
const admin = { authorization: `Bearer ${ADMIN}` };
const nodeA = testNode("chunk-a");
const nodeB = testNode("chunk-b");
const revokedNode = testNode("chunk-revoked");
const stranger = testNode("chunk-stranger");


const BASE = Date.now() - 3_600_000;
let counter = 0;

/** n fresh observations (never used before in this run). */
function observations(n: number): { url: string; timestamp: number; contentHash: string }[] {
  return Array.from({ length: n }, () => {
    const i = counter++;
    return { url: `https://example.com/chunked/${i}`, timestamp: BASE + i, contentHash: Buffer.from(contentHashOf(`chunked ${i}`)).toString("hex") };
  });
}

const chunkOf = (node: TestNode, n: number): SignedChunkV1 => signChunk(observations(n), node.privateKey);

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string; index?: number } };
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Answer["body"]) : {} };
}

describe("POST /v1/chunks (LevelDB, worker verifier, fastify)", function () {
  this.timeout(300_000);
  const running: Array<{ seq: Sequencer; t: ReturnType<typeof tempDir> }> = [];

  async function start(overrides: ConfigOverrides = {}, shapes: DeploymentShapes | null = TEST_CHUNK_SHAPES): Promise<Sequencer> {
    const t = tempDir("chunks");
    // Batches are sealed by the tests (or when full): chunk batches are not proven here (the
    // circuit of the chunk shape is another branch's), so proving retries slowly.
    const config = loadConfig({}, { dataDir: t.dir, circuit: "test", port: 0, batchMaxAgeMs: 3_600_000, verifyWorkers: 1, adminToken: ADMIN, ...overrides });
    const seq = await Sequencer.start(config, { logger: quietLogger(), defaultMetrics: false, retryBaseMs: 600_000, ...(shapes ? { shapes } : {}) });
    running.push({ seq, t });
    for (const node of [nodeA, nodeB, revokedNode]) expect((await call(seq.url, "POST", "/v1/nodes", { publicKey: publicKeyHex(node) }, admin)).status).to.equal(201);
    expect((await call(seq.url, "DELETE", `/v1/nodes/${fieldToHex(revokedNode.nodeId)}`, undefined, admin)).status).to.equal(200);
    return seq;
  }

  before(() => ensureSetup("test"));
  after(async () => {
    for (const { seq, t } of running) {
      await seq.stop();
      t.remove();
    }
  });

  describe("a deployment with a chunk shape (C = 2)", () => {
    let seq: Sequencer;
    let base: string;
    before(async () => {
      seq = await start();
      base = seq.url;
    });

    /** Posts `body`, expects the refusal, and that nothing was stored. */
    async function refused(body: unknown, status: number, code: string, message: RegExp | string, index?: number): Promise<void> {
      const before = seq.store.recordCount;
      const a = await call(base, "POST", "/v1/chunks", body);
      expect(a.status, JSON.stringify(a.body)).to.equal(status);
      expect(a.body.error?.code).to.equal(code);
      if (typeof message === "string") expect(a.body.error?.message).to.equal(message);
      else expect(a.body.error?.message).to.match(message);
      if (index !== undefined) expect(a.body.error?.index).to.equal(index);
      expect(seq.store.recordCount).to.equal(before);
    }

    it("tells the chunk size on /healthz", async () => {
      const h = await call(base, "GET", "/healthz");
      expect(h.body.ingest).to.deep.equal({ chunkSize: 2, maxRecordsPerRequest: 1000 });
    });

    it("answers a chunk with one verifying receipt per record, in order, and stores the chunk records with their refs", async () => {
      const chunk = chunkOf(nodeA, 2);
      const a = await call(base, "POST", "/v1/chunks", chunk);
      expect(a.status).to.equal(201);
      const answers = a.body.records as Array<{ id: string; seq: number; status: string; duplicate: boolean; receipt: Receipt }>;
      expect(answers).to.have.length(2);
      const key = ((await call(base, "GET", RECEIPT_KEY_ROUTE)).body as { publicKey: string }).publicKey;
      const firstSeq = answers[0]!.seq;
      answers.forEach((ans, i) => {
        expect(ans).to.include({ seq: firstSeq + i, status: "pending", duplicate: false });
        expect(ans.receipt.id).to.equal(ans.id);
        expect(verifyReceipt(ans.receipt, key)).to.equal(true);
      });
      for (const [i, ans] of answers.entries()) {
        const view = await call(base, "GET", `/v1/records/${ans.id}`);
        const record = view.body.record as ChunkRecordV1;
        expect(record).to.deep.include({ url: chunk.records[i]!.url, nodeId: chunk.nodeId, publicKey: chunk.publicKey });
        expect(Object.keys(record)).to.deep.equal(["v", "url", "timestamp", "contentHash", "nodeId", "publicKey", "chunk"]);
        expect(record.chunk).to.deep.include({ size: 2, index: i, signature: chunk.signature });
        expect(record.chunk.path).to.have.length(4);
        expect(fieldToHex(parseRecord(record).leaf)).to.equal(ans.id);
      }
    });

    it("refuses a forged chunk signature (400 BAD_SIGNATURE)", async () => {
      const chunk = chunkOf(nodeA, 2);
      const forged = { ...chunk, records: [chunk.records[0], { ...chunk.records[1]!, timestamp: chunk.records[1]!.timestamp + 1 }] };
      await refused(forged, 400, "BAD_SIGNATURE", "the chunk signature does not verify over these 2 records with this publicKey (records changed, reordered, added or removed after signing, or another key)");
      // Signed by another node's key under A's name.
      const other = chunkOf(nodeB, 1);
      await refused({ ...chunkOf(nodeA, 1), signature: other.signature }, 400, "BAD_SIGNATURE", /the chunk signature does not verify/);
    });

    it("refuses a chunk larger than the deployment's chunk size, and than 16 (400 CHUNK_TOO_LARGE)", async () => {
      await refused(chunkOf(nodeA, 3), 400, "CHUNK_TOO_LARGE", "chunk has 3 records; this deployment's chunk size is 2");
      const big = chunkOf(nodeA, 16);
      await refused({ ...big, records: [...big.records, ...observations(1)] }, 400, "CHUNK_TOO_LARGE", "chunk has 17 records; this deployment's chunk size is 2");
    });

    it("refuses an empty chunk, a record repeated inside it, records naming another node, unknown fields", async () => {
      const chunk = chunkOf(nodeA, 1);
      await refused({ ...chunk, records: [] }, 400, "INVALID_CHUNK", "chunk.records is empty: a chunk holds at least one record");
      await refused({ ...chunk, records: [chunk.records[0], chunk.records[0]] }, 400, "DUPLICATE_IN_CHUNK", "chunk.records[0] and [1] are the same record (same url, timestamp and content)");
      const b = chunkOf(nodeB, 1);
      await refused({ ...chunk, records: [{ ...chunk.records[0]!, nodeId: b.nodeId }] }, 400, "MIXED_NODES", /^chunk\.records\[0\] names another node \(nodeId .*\): every record of a chunk is its signer's$/);
      await refused({ ...chunk, note: "x" }, 400, "INVALID_CHUNK", 'chunk has unknown field "note"');
      await refused({ ...chunk, records: [{ ...chunk.records[0]!, extra: 1 }] }, 400, "INVALID_CHUNK", 'chunk.records[0] has unknown field "extra" (a chunk\'s record is only url, timestamp and contentHash)');
      await refused([chunk], 400, "INVALID_CHUNK", "a chunk must be a JSON object, got an array");
    });

    it("refuses a chunk holding a record already stored, alone or in another chunk, naming its index (409 DUPLICATE_RECORD)", async () => {
      const alone = recentRecord(nodeA, 900);
      expect((await call(base, "POST", "/v1/records", alone)).status).to.equal(201);
      const withAlone = signChunk([...observations(1), { url: alone.url, timestamp: alone.timestamp, contentHash: alone.contentHash }], nodeA.privateKey);
      await refused(withAlone, 409, "DUPLICATE_RECORD", /^record 1 of the chunk \(id [0-9a-f]{64}\) is already stored \(seq \d+, alone\): a chunk is accepted only whole and new; nothing was stored$/, 1);
      const first = chunkOf(nodeA, 2);
      expect((await call(base, "POST", "/v1/chunks", first)).status).to.equal(201);
      await refused(first, 409, "DUPLICATE_RECORD", /^record 0 of the chunk .* \(seq \d+, as record 0 of a chunk of 2\)/, 0);
      const overlapping = signChunk([...observations(1), first.records[1]!], nodeA.privateKey);
      await refused(overlapping, 409, "DUPLICATE_RECORD", /^record 1 of the chunk .* as record 1 of a chunk of 2\)/, 1);
    });

    it("refuses a chunk whose node is unregistered or revoked (403 NODE_NOT_REGISTERED)", async () => {
      await refused(chunkOf(stranger, 1), 403, "NODE_NOT_REGISTERED", `node ${fieldToHex(stranger.nodeId)} is not an active member of the registry`);
      await refused(chunkOf(revokedNode, 2), 403, "NODE_NOT_REGISTERED", `node ${fieldToHex(revokedNode.nodeId)} is not an active member of the registry`);
    });

    it("refuses a chunk with a far-future timestamp, naming the record (400 TIMESTAMP_IN_FUTURE)", async () => {
      const future = signChunk([...observations(1), { ...observations(1)[0]!, timestamp: Date.now() + 3_600_000 }], nodeA.privateKey);
      await refused(future, 400, "TIMESTAMP_IN_FUTURE", /^timestamp \d+ is more than 60000 ms ahead of the sequencer's clock$/, 1);
    });

    it("refuses an oversized body (413 PAYLOAD_TOO_LARGE)", async () => {
      const before = seq.store.recordCount;
      const huge = { ...chunkOf(nodeA, 1), pad: "x".repeat(1_100_000) };
      const a = await call(base, "POST", "/v1/chunks", huge);
      expect(a.status).to.equal(413);
      expect(a.body.error?.code).to.equal("PAYLOAD_TOO_LARGE");
      expect(seq.store.recordCount).to.equal(before);
    });

    it("concurrent submissions of the same chunk: exactly one is stored, the others are refused whole", async () => {
      const chunk = chunkOf(nodeB, 2);
      const before = seq.store.recordCount;
      const answers = await Promise.all([0, 1, 2, 3].map(() => call(base, "POST", "/v1/chunks", chunk)));
      expect(answers.filter((a) => a.status === 201)).to.have.length(1);
      for (const a of answers.filter((x) => x.status !== 201)) expect(a.body.error?.code).to.equal("DUPLICATE_RECORD");
      expect(seq.store.recordCount).to.equal(before + 2);
    });
  });

  it("a single-only family accepts no chunks, and says so (400 CHUNKS_NOT_ACCEPTED)", async () => {
    const seq = await start({}, { ...TEST_CHUNK_SHAPES, chunk: null, chunkSize: 0 });
    const a = await call(seq.url, "POST", "/v1/chunks", chunkOf(nodeA, 1));
    expect(a.status).to.equal(400);
    expect(a.body.error).to.deep.equal({
      code: "CHUNKS_NOT_ACCEPTED",
      message: "this deployment's circuit family (test) has no chunk shape: it accepts no chunks; submit records signed one by one to POST /v1/records",
    });
    expect(seq.store.recordCount).to.equal(0);
    expect(((await call(seq.url, "GET", "/healthz")).body.ingest as { chunkSize: number }).chunkSize).to.equal(0);
  });

  it("holds a node to its records a second: a chunk of n records counts n, refused whole over budget", async () => {
    const seq = await start({ rateLimit: true, rateLimitNodeRecordsPerSecond: 0.001, rateLimitNodeBurst: 3, maxRecordsPerRequest: 3 });
    expect((await call(seq.url, "POST", "/v1/chunks", chunkOf(nodeA, 2))).status).to.equal(201);
    const over = await call(seq.url, "POST", "/v1/chunks", chunkOf(nodeA, 2));
    expect(over.status).to.equal(429);
    expect(over.body.error).to.deep.include({ code: "RATE_LIMITED", index: 1 });
    expect(over.body.error!.message).to.match(/this request has 2 of its records, 1 may be accepted now; nothing was stored/);
    expect(seq.store.recordCount).to.equal(2);
    // Nothing was taken: one more record of A still fits.
    expect((await call(seq.url, "POST", "/v1/chunks", chunkOf(nodeA, 1))).status).to.equal(201);
    // The v1 route shares the node's budget.
    expect((await call(seq.url, "POST", "/v1/records", signRecord(observations(1)[0]!, nodeA.privateKey))).status).to.equal(429);
  });

  it("serves a chunk record's bundle with its chunk ref and its slot as leaf index, and it verifies offline", async () => {
    const seq = await start();
    const alone = signRecord(observations(1)[0]!, nodeB.privateKey);
    const aloneId = ((await call(seq.url, "POST", "/v1/records", alone)).body as { id: string }).id;
    const chunk = chunkOf(nodeA, 2);
    const posted = (await call(seq.url, "POST", "/v1/chunks", chunk)).body.records as Array<{ id: string }>;
    // The v1 record takes region 0 (slot 0), the chunk region 1 (slots 2, 3).
    const [meta] = await seq.store.sealDue(0, true);
    expect(meta).to.deep.include({ count: 3, shape: 0, slots: [0, 2, 3] });
    // Proven and anchored here by hand: the chunk shape's circuit and program are other branches'.
    await seq.store.markProven(meta!.index, {
      circuit: "test-chunk", proof: { pi_a: [], pi_b: [], pi_c: [] }, publicSignals: [hexToField(meta!.publicHash, "h").toString()], solana: { proofA: "", proofB: "", proofC: "" }, provenAt: 1, proveMs: 1, witnessMs: 1,
    });
    await seq.store.markAnchored(meta!.index, { txSignature: "1".repeat(64), slot: 1, anchoredAt: Date.now(), programId: "11111111111111111111111111111111", cluster: "localnet" });
    for (const [i, id] of [aloneId, ...posted.map((p) => p.id)].entries()) {
      const slot = [0, 2, 3][i]!;
      const view = (await call(seq.url, "GET", `/v1/records/${id}`)).body as { leafIndex: number; status: string };
      expect(view).to.include({ leafIndex: slot, status: "anchored" });
      const bundle = (await call(seq.url, "GET", `/v1/records/${id}/proof`)).body as unknown as InclusionBundle;
      expect(bundle.leafIndex).to.equal(slot);
      if (i > 0) expect((bundle.record as ChunkRecordV1).chunk).to.deep.include({ size: 2, index: i - 1, signature: chunk.signature });
      else expect(bundle.record).to.deep.equal(alone);
      const result = await verifyBundle(bundle, { trustedRoot: meta!.batchRoot });
      expect(result.ok, JSON.stringify(result.failure)).to.equal(true);
    }
  });
});
