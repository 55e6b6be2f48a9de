/**
 * The sequencer over HTTP with its real parts: LevelDB in a temporary directory, the
 * signature-verification worker pool, and the real prover on the `test` circuit (B = 4).
 *
 * - the registry routes and their admin token;
 * - POST -> signed receipt -> batched -> proven, with the proof checked against the test
 *   verifying key and the statement rebuilt from the records;
 * - a bad-input corpus: each request refused with its status and code, the store unchanged;
 * - pushback: 503 + Retry-After once the unproven backlog reaches its bound.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { hexToField, parseRecord, recordId, type RecordV1 } from "@provenance/client-sdk";
import { checkedInVkPath, releaseCurve, verifyBatchProof, type SnarkjsProof, type SnarkjsVerifyingKey } from "@provenance/prover";
import { ensureSetup } from "../../tests/support/circuit-setup.js";
import { loadConfig } from "../src/config.js";
import { RECEIPT_KEY_ROUTE } from "../src/api.js";
import { verifyReceipt, type Receipt } from "../src/receipt.js";
import { Sequencer } from "../src/sequencer.js";
import { publicKeyHex, quietLogger, recentRecord, tempDir, testNode, waitFor } from "./helpers.js";

const ADMIN = "test-admin-token-0123456789";
const nodeA = testNode("a");
const nodeB = testNode("b");
const stranger = testNode("stranger");

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string; index?: number } };
  headers: Headers;
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Answer["body"]) : {}, headers: res.headers };
}

const admin = { authorization: `Bearer ${ADMIN}` };

describe("sequencer HTTP API (LevelDB, worker verifier, prover on the test circuit)", function () {
  this.timeout(600_000);
  let t: ReturnType<typeof tempDir>;
  let seq: Sequencer;
  let base: string;

  before(async () => {
    await ensureSetup("test");
    t = tempDir("api");
    const config = loadConfig({}, { dataDir: t.dir, circuit: "test", port: 0, batchMaxAgeMs: 300, verifyWorkers: 1, adminToken: ADMIN });
    seq = await Sequencer.start(config, { logger: quietLogger(), defaultMetrics: false, retryBaseMs: 200 });
    base = seq.url;
  });

  after(async () => {
    await seq?.stop();
    await releaseCurve();
    t?.remove();
  });

  describe("registry", () => {
    it("needs the admin token to write", async () => {
      const none = await call(base, "POST", "/v1/nodes", { publicKey: publicKeyHex(nodeA) });
      expect(none.status).to.equal(401);
      expect(none.body.error?.code).to.equal("UNAUTHORIZED");
      const wrong = await call(base, "POST", "/v1/nodes", { publicKey: publicKeyHex(nodeA) }, { authorization: "Bearer nope-nope-nope-nope" });
      expect(wrong.status).to.equal(401);
      expect(seq.store.currentRegistry.size).to.equal(0);
    });

    it("registers nodes, refuses a second registration, reads them back", async () => {
      const a = await call(base, "POST", "/v1/nodes", { publicKey: publicKeyHex(nodeA) }, admin);
      expect(a.status).to.equal(201);
      expect(a.body).to.include({ nodeId: nodeA.nodeId.toString(16).padStart(64, "0"), slot: 0, status: "active", registryVersion: 1 });
      expect((await call(base, "POST", "/v1/nodes", { publicKey: publicKeyHex(nodeB) }, admin)).status).to.equal(201);
      const again = await call(base, "POST", "/v1/nodes", { publicKey: publicKeyHex(nodeA) }, admin);
      expect(again.status).to.equal(409);
      expect(again.body.error?.code).to.equal("DUPLICATE_NODE");
      const bad = await call(base, "POST", "/v1/nodes", { publicKey: "00".repeat(31) }, admin);
      expect(bad.status).to.equal(400);
      const got = await call(base, "GET", `/v1/nodes/${a.body.nodeId as string}`);
      expect(got.status).to.equal(200);
      expect(got.body).to.include({ slot: 0, status: "active" });
      expect((await call(base, "GET", `/v1/nodes/${"0".repeat(63)}1`)).status).to.equal(404);
    });
  });

  describe("ingest to proven", () => {
    let receiptKey: string;
    const records = [0, 1, 2, 3, 4].map((n) => recentRecord(nodeA, n));
    let answers: Array<{ id: string; seq: number; status: string; receipt: Receipt; duplicate: boolean }>;

    before(async () => {
      const key = await call(base, "GET", RECEIPT_KEY_ROUTE);
      expect(key.status).to.equal(200);
      receiptKey = key.body.publicKey as string;
      expect(key.body.algorithm).to.equal("ed25519");
    });

    it("answers each accepted record with a receipt signed by the well-known key", async () => {
      const one = await call(base, "POST", "/v1/records", records[0]);
      expect(one.status).to.equal(201);
      const rest = await call(base, "POST", "/v1/records", { records: records.slice(1) });
      expect(rest.status).to.equal(201);
      answers = [one.body as unknown as (typeof answers)[number], ...(rest.body.records as typeof answers)];
      expect(answers.map((a) => a.seq)).to.deep.equal([0, 1, 2, 3, 4]);
      for (const a of answers) {
        expect(a.duplicate).to.equal(false);
        expect(a.receipt.id).to.equal(a.id);
        // No chain client: v1 receipts, exactly as before receipt v2.
        expect(a.receipt.v).to.equal(1);
        expect(Object.keys(a.receipt).sort()).to.deep.equal(["id", "receivedAt", "seq", "sequencerKey", "signature", "v"]);
        expect(verifyReceipt(a.receipt, receiptKey)).to.equal(true);
      }
    });

    it("returns the original receipt for a replayed record (200), storing nothing", async () => {
      const replay = await call(base, "POST", "/v1/records", records[2]);
      expect(replay.status).to.equal(200);
      expect(replay.body.receipt).to.deep.equal(answers[2]!.receipt);
      expect(replay.body.duplicate).to.equal(true);
      expect(seq.store.recordCount).to.equal(5);
    });

    it("seals, proves, and serves records and batches with their state", async () => {
      const batches = await waitFor(
        "two proven batches",
        async () => {
          const b = await call(base, "GET", "/v1/batches");
          const list = b.body.batches as Array<{ index: number; state: string; count: number }>;
          return list.length === 2 && list.every((x) => x.state === "proven") ? list : undefined;
        },
        300_000,
      );
      // One record posted alone, then four in one request: the seal timer (300 ms) may fire
      // between the two posts on a loaded machine, so the split is 4 + 1 or 1 + 4. Either way the
      // four share a batch, and the lone record is alone in the other.
      expect(batches.map((b) => b.index)).to.deep.equal([0, 1]);
      expect(batches.map((b) => b.count).sort()).to.deep.equal([1, 4]);
      const full = batches.find((b) => b.count === 4)!.index;
      const lone = 1 - full;
      const fullIds = (full === 0 ? answers.slice(0, 4) : answers.slice(1)).map((a) => a.id);
      const loneAnswer = full === 0 ? answers[4]! : answers[0]!;
      const loneRecord = full === 0 ? records[4]! : records[0]!;

      for (const index of [0, 1]) {
        const b = await call(base, "GET", `/v1/batches/${index}`);
        const meta = b.body as { batchRoot: string; registryRoot: string; count: number; minTs: number; maxTs: number; proof: { circuit: string; shape: number; proof: SnarkjsProof } };
        // Records signed alone: four fill the single shape (`test-single`); one alone fits either
        // shape, and the tie goes to the cheaper circuit, the chunk shape (`test`).
        expect([meta.proof.circuit, meta.proof.shape]).to.deep.equal(index === full ? ["test-single", 1] : ["test", 0]);
        const vk = JSON.parse(readFileSync(checkedInVkPath(meta.proof.circuit), "utf8")) as SnarkjsVerifyingKey;
        const statement = {
          registryRoot: hexToField(meta.registryRoot, "registryRoot"),
          batchRoot: hexToField(meta.batchRoot, "batchRoot"),
          count: meta.count,
          minTs: meta.minTs,
          maxTs: meta.maxTs,
        };
        expect(await verifyBatchProof(vk, statement, meta.proof.proof)).to.equal(true);
        // A proof of this batch says nothing about another root.
        expect(await verifyBatchProof(vk, { ...statement, batchRoot: statement.batchRoot + 1n }, meta.proof.proof)).to.equal(false);
      }
      const contents = await call(base, "GET", `/v1/batches/${full}/records`);
      expect((contents.body.records as Array<{ id: string }>).map((r) => r.id)).to.deep.equal(fullIds);

      const rec = await call(base, "GET", `/v1/records/${loneAnswer.id}`);
      expect(rec.body).to.include({ status: "proven", batch: lone, leafIndex: 0, seq: loneAnswer.seq });
      expect(rec.body.record).to.deep.equal(loneRecord);
      const proof = await call(base, "GET", `/v1/records/${loneAnswer.id}/proof`);
      expect(proof.status).to.equal(409);
      expect(proof.body.error?.code).to.equal("NOT_ANCHORED");
      const replay = await call(base, "POST", "/v1/records", loneRecord);
      expect(replay.body.status).to.equal("proven");
    });

    it("searches by URL, content hash and node id", async () => {
      const r = records[3]!;
      const byUrl = await call(base, "GET", `/v1/records?url=${encodeURIComponent(r.url)}`);
      expect((byUrl.body.records as Array<{ seq: number }>).map((x) => x.seq)).to.deep.equal([3]);
      const byContent = await call(base, "GET", `/v1/records?contentHash=${r.contentHash}`);
      expect((byContent.body.records as Array<{ seq: number }>).map((x) => x.seq)).to.deep.equal([3]);
      const byNode = await call(base, "GET", `/v1/records?nodeId=${r.nodeId}&limit=2`);
      expect((byNode.body.records as Array<{ seq: number }>).map((x) => x.seq)).to.deep.equal([0, 1]);
      expect(byNode.body.next).to.equal("1");
      expect((await call(base, "GET", "/v1/records")).status).to.equal(400);
      expect((await call(base, "GET", "/v1/records/zz")).status).to.equal(400);
      expect((await call(base, "GET", `/v1/records/${"ab".repeat(32)}`)).status).to.equal(404);
    });

    it("reports health and metrics", async () => {
      const h = await call(base, "GET", "/healthz");
      expect(h.status).to.equal(200);
      expect(h.body.status).to.equal("ok");
      expect((h.body.chain as { configured: boolean }).configured).to.equal(false);
      const res = await fetch(`${base}/metrics`);
      const text = await res.text();
      expect(text).to.match(/^provenance_records_accepted_total 5$/m);
      expect(text).to.match(/^provenance_records_duplicate_total 2$/m);
      expect(text).to.match(/^provenance_batches_total\{state="proven"\} 2$/m);
    });
  });

  describe("bad-input corpus", () => {
    const good = (n: number): RecordV1 => recentRecord(nodeB, 1000 + n);
    const forged = (): RecordV1 => ({ ...good(1), signature: good(2).signature });
    const cases: Array<{ name: string; body: unknown; status: number; code: string; index?: number; headers?: Record<string, string> }> = [
      { name: "malformed JSON", body: '{"v":1,', status: 400, code: "INVALID_REQUEST" },
      { name: "JSON array body", body: [good(0)], status: 400, code: "INVALID_REQUEST" },
      { name: "JSON string body", body: '"hello"', status: 400, code: "INVALID_REQUEST" },
      { name: "prototype pollution", body: '{"__proto__":{"x":1},"v":1}', status: 400, code: "INVALID_REQUEST" },
      { name: "not JSON content type", body: "v=1", status: 415, code: "UNSUPPORTED_MEDIA_TYPE", headers: { "content-type": "text/plain" } },
      { name: "timestamp as a string", body: { ...good(0), timestamp: String(good(0).timestamp) }, status: 400, code: "INVALID_TIMESTAMP" },
      { name: "negative timestamp", body: { ...good(0), timestamp: -1 }, status: 400, code: "INVALID_TIMESTAMP" },
      { name: "url as a number", body: { ...good(0), url: 42 }, status: 400, code: "INVALID_URL" },
      { name: "empty url", body: { ...good(0), url: "" }, status: 400, code: "INVALID_URL" },
      { name: "version 2", body: { ...good(0), v: 2 }, status: 400, code: "INVALID_VERSION" },
      { name: "unknown field", body: { ...good(0), extra: true }, status: 400, code: "INVALID_RECORD" },
      { name: "missing field", body: { ...good(0), signature: undefined }, status: 400, code: "INVALID_RECORD" },
      { name: "bad hex in contentHash", body: { ...good(0), contentHash: "zz" + good(0).contentHash.slice(2) }, status: 400, code: "INVALID_HEX" },
      { name: "short signature", body: { ...good(0), signature: good(0).signature.slice(2) }, status: 400, code: "INVALID_HEX" },
      { name: "nodeId of another key", body: { ...good(0), nodeId: recentRecord(nodeA, 0).nodeId }, status: 400, code: "INVALID_RECORD" },
      { name: "forged signature", body: forged(), status: 400, code: "BAD_SIGNATURE" },
      { name: "unregistered node", body: recentRecord(stranger, 1), status: 403, code: "NODE_NOT_REGISTERED" },
      { name: "timestamp far in the future", body: { ...good(0), timestamp: Date.now() + 3_600_000 }, status: 400, code: "TIMESTAMP_IN_FUTURE" },
      { name: "one bad record among good ones", body: { records: [good(3), good(4), forged(), good(5)] }, status: 400, code: "BAD_SIGNATURE", index: 2 },
      { name: "one unregistered among good ones", body: { records: [good(3), recentRecord(stranger, 2)] }, status: 403, code: "NODE_NOT_REGISTERED", index: 1 },
      { name: "empty records list", body: { records: [] }, status: 400, code: "INVALID_REQUEST" },
      { name: "records not a list", body: { records: good(3) }, status: 400, code: "INVALID_REQUEST" },
      { name: "more than 1000 records", body: { records: Array.from({ length: 1001 }, () => good(3)) }, status: 400, code: "INVALID_REQUEST" },
      { name: "oversized body", body: { records: [{ ...good(3), url: "x".repeat(2 * 1024 * 1024) }] }, status: 413, code: "PAYLOAD_TOO_LARGE" },
    ];

    for (const c of cases) {
      it(`refuses ${c.name} with ${c.status}, storing nothing`, async () => {
        const before = { records: seq.store.recordCount, batches: seq.store.batchCount, registry: seq.store.currentRegistryVersion };
        const answer = await call(base, "POST", "/v1/records", c.body, c.headers ?? {});
        expect(answer.status, JSON.stringify(answer.body)).to.equal(c.status);
        expect(answer.body.error?.code).to.equal(c.code);
        expect(answer.body.error?.message).to.be.a("string").and.not.equal("");
        if (c.index !== undefined) expect(answer.body.error?.index).to.equal(c.index);
        expect({ records: seq.store.recordCount, batches: seq.store.batchCount, registry: seq.store.currentRegistryVersion }).to.deep.equal(before);
        for (const n of [0, 1, 2, 3, 4, 5]) expect(await seq.store.getRecord(idOf(good(n)))).to.equal(undefined);
      });
    }

    it("gives the SDK's exact message for a bad record", async () => {
      const answer = await call(base, "POST", "/v1/records", { ...good(0), v: 2 });
      expect(answer.body.error?.message).to.equal("unknown record version 2; expected 1");
    });

    it("refuses a never-registered node before any curve work, keeping the cheap checks' order", async () => {
      const early = async () => Number(/^provenance_records_refused_unregistered_early_total (\d+)$/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1] ?? NaN);
      const before = await early();
      // A key that does not even decode (its curve check would say INVALID_PUBLIC_KEY): the
      // registry check answers first, so nothing decoded it.
      const undecodable = { ...recentRecord(stranger, 3), publicKey: "ff".repeat(32) };
      const a = await call(base, "POST", "/v1/records", undecodable);
      expect(a.status).to.equal(403);
      expect(a.body.error).to.include({ code: "NODE_NOT_REGISTERED" });
      // A fresh random key with a self-consistent nodeId and a junk signature, 1000 at once:
      // one cheap refusal.
      const flood = Array.from({ length: 1000 }, (_, i) => ({ ...recentRecord(testNode(`flood-${i % 7}`), i), signature: "00".repeat(64) }));
      const b = await call(base, "POST", "/v1/records", { records: flood });
      expect(b.status).to.equal(403);
      expect(b.body.error).to.include({ code: "NODE_NOT_REGISTERED", index: 0 });
      // The non-curve format checks and the clock still come first, with their codes.
      const badUrl = await call(base, "POST", "/v1/records", { records: [recentRecord(stranger, 4), { ...good(0), url: "" }] });
      expect(badUrl.status).to.equal(400);
      expect(badUrl.body.error).to.include({ code: "INVALID_URL", index: 1 });
      const future = await call(base, "POST", "/v1/records", { records: [recentRecord(stranger, 5), { ...good(0), timestamp: Date.now() + 3_600_000 }] });
      expect(future.body.error).to.include({ code: "TIMESTAMP_IN_FUTURE", index: 1 });
      expect(await early()).to.equal(before + 2);
    });

    it("counts refusals by reason", async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).to.match(/^provenance_records_refused_total\{reason="BAD_SIGNATURE"\} 2$/m);
      expect(text).to.match(/^provenance_records_refused_total\{reason="NODE_NOT_REGISTERED"\} 4$/m);
    });
  });
  describe("revocation", () => {
    it("seals the node's pending records first; they are proven under the old root, new ones refused", async () => {
      const kept = recentRecord(nodeB, 7);
      const accepted = await call(base, "POST", "/v1/records", kept);
      expect(accepted.status).to.equal(201);
      const nodeId = kept.nodeId;
      expect((await call(base, "DELETE", `/v1/nodes/${nodeId}`)).status).to.equal(401);
      const rootBefore = seq.store.currentRegistry.root;
      const revoked = await call(base, "DELETE", `/v1/nodes/${nodeId}`, undefined, admin);
      expect(revoked.status).to.equal(200);
      expect(revoked.body).to.include({ status: "revoked", slot: 1 });
      expect(revoked.body.sealedBatches).to.deep.equal([2]);
      expect((await call(base, "GET", `/v1/nodes/${nodeId}`)).body.status).to.equal("revoked");
      const again = await call(base, "DELETE", `/v1/nodes/${nodeId}`, undefined, admin);
      expect(again.status).to.equal(404);
      expect(again.body.error?.code).to.equal("UNKNOWN_NODE");

      const refused = await call(base, "POST", "/v1/records", recentRecord(nodeB, 8));
      expect(refused.status).to.equal(403);
      expect(refused.body.error?.code).to.equal("NODE_NOT_REGISTERED");
      const replay = await call(base, "POST", "/v1/records", kept);
      expect(replay.status).to.equal(200);
      expect(replay.body.receipt).to.deep.equal(accepted.body.receipt);

      const batch = await waitFor(
        "batch 2 proven",
        async () => {
          const b = await call(base, "GET", "/v1/batches/2");
          return b.body.state === "proven" ? b.body : undefined;
        },
        300_000,
      );
      expect(batch.registryRoot).to.equal(rootBefore.toString(16).padStart(64, "0"));
      expect(batch.count).to.equal(1);
    });
  });
});

describe("sequencer pushback", function () {
  this.timeout(300_000);
  let t: ReturnType<typeof tempDir>;
  let seq: Sequencer;

  before(async () => {
    await ensureSetup("test");
    t = tempDir("pushback");
    // Batches never come due by age here, and 3 records fit no full batch: the backlog stays.
    const config = loadConfig({}, { dataDir: t.dir, circuit: "test", port: 0, batchMaxAgeMs: 3_600_000, verifyWorkers: 0, adminToken: ADMIN, maxBacklogRecords: 3, retryAfterSeconds: 7 });
    seq = await Sequencer.start(config, { logger: quietLogger(), defaultMetrics: false });
  });

  after(async () => {
    await seq?.stop();
    t?.remove();
  });

  it("answers 503 with Retry-After once the unproven backlog is full, and accepts nothing", async () => {
    const base = seq.url;
    expect((await call(base, "POST", "/v1/nodes", { publicKey: publicKeyHex(nodeA) }, admin)).status).to.equal(201);
    const ok = await call(base, "POST", "/v1/records", { records: [0, 1, 2].map((n) => recentRecord(nodeA, n)) });
    expect(ok.status).to.equal(201);
    const full = await call(base, "POST", "/v1/records", recentRecord(nodeA, 3));
    expect(full.status).to.equal(503);
    expect(full.headers.get("retry-after")).to.equal("7");
    expect(full.body.error?.code).to.equal("OVERLOADED");
    expect(seq.store.recordCount).to.equal(3);
  });
});

function idOf(record: RecordV1): string {
  return recordId(parseRecord(record));
}
