/**
 * Rate limits with the real server (LevelDB, fastify, the plugin), over real sockets: clients
 * are told apart by their address (loopback 127.0.0.1 and 127.0.0.2), so one client over its
 * limit does not slow another.
 *
 * - per client, requests per window on POST /v1/records and on the expensive reads, refused
 *   429 with Retry-After in the API's error envelope before the body is read (an unparseable
 *   body over the limit is 429, not 400);
 * - per client, request body bytes a second on POST /v1/records;
 * - X-Forwarded-For only from a configured proxy;
 * - per node, records a second: a request over its node's budget is refused whole (429 at the
 *   first record over it), nothing stored and nothing taken from any node's budget.
 *
 * Windows and refill rates are set so that no test depends on timing: a window of a minute, a
 * refill of one token in a thousand seconds.
 */
import http from "node:http";
import { expect } from "chai";
import type { RecordV1 } from "@provenance/client-sdk";
import { ensureSetup } from "../../tests/support/circuit-setup.js";
import { loadConfig, type ConfigOverrides } from "../src/config.js";
import { Sequencer } from "../src/sequencer.js";
import { publicKeyHex, quietLogger, recentRecord, tempDir, testNode } from "./helpers.js";

const ADMIN = "ratelimit-admin-token-0123456789";
const nodeA = testNode("rl-a");
const nodeB = testNode("rl-b");

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; index?: number } } & Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
}

/** One HTTP request from `from` (a loopback source address), on a fresh connection. */
function request(base: string, method: string, path: string, options: { body?: string; from?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const u = new URL(path, base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) {
      headers["content-type"] ??= "application/json";
      headers["content-length"] = Buffer.byteLength(options.body);
    }
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, localAddress: options.from ?? "127.0.0.1", agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Answer["body"]) : {}, headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const post = (base: string, body: unknown, from?: string, headers?: Record<string, string>) =>
  request(base, "POST", "/v1/records", { body: typeof body === "string" ? body : JSON.stringify(body), ...(from ? { from } : {}), ...(headers ? { headers } : {}) });

describe("rate limits (real server, clients by address)", function () {
  this.timeout(300_000);
  const running: Array<{ seq: Sequencer; t: ReturnType<typeof tempDir> }> = [];

  async function start(overrides: ConfigOverrides): Promise<Sequencer> {
    const t = tempDir("ratelimit");
    const config = loadConfig({}, { dataDir: t.dir, circuit: "test", port: 0, batchMaxAgeMs: 3_600_000, verifyWorkers: 0, adminToken: ADMIN, ...overrides });
    const seq = await Sequencer.start(config, { logger: quietLogger(), defaultMetrics: false });
    running.push({ seq, t });
    for (const node of [nodeA, nodeB]) {
      const added = await request(seq.url, "POST", "/v1/nodes", { body: JSON.stringify({ publicKey: publicKeyHex(node) }), headers: { authorization: `Bearer ${ADMIN}` } });
      expect(added.status).to.equal(201);
    }
    return seq;
  }

  before(async () => {
    await ensureSetup("test");
  });
  after(async () => {
    for (const { seq, t } of running) {
      await seq.stop();
      t.remove();
    }
  });

  it("holds each client to its requests per window on POST /v1/records, answering 429 before reading the body", async () => {
    const seq = await start({ rateLimitClientSubmits: 3, rateLimitWindowMs: 60_000 });
    for (let n = 0; n < 3; n++) expect((await post(seq.url, recentRecord(nodeA, n))).status).to.equal(201);
    const over = await post(seq.url, recentRecord(nodeA, 3));
    expect(over.status).to.equal(429);
    expect(over.body.error!.code).to.equal("RATE_LIMITED");
    expect(over.body.error!.message).to.match(/^client 127\.0\.0\.1 sent more than 3 requests to \/v1\/records in 60000 ms; retry in \d+ s$/);
    expect(Number(over.headers["retry-after"])).to.be.within(1, 60);
    // Not parsed: a body that is not even JSON is refused for the rate, not for its syntax.
    const garbage = await post(seq.url, "{not json");
    expect(garbage.status).to.equal(429);
    expect(garbage.body.error!.code).to.equal("RATE_LIMITED");
    expect(seq.store.recordCount).to.equal(3);
    // A large unread body is not drained to keep the connection: it is closed after the answer.
    const large = await post(seq.url, "x".repeat(100 * 1024));
    expect(large.status).to.equal(429);
    expect(large.headers.connection).to.equal("close");
    // Another client is not held back by the first.
    const other = await post(seq.url, recentRecord(nodeA, 3), "127.0.0.2");
    expect(other.status).to.equal(201);
    expect(seq.store.recordCount).to.equal(4);
    // Cheap reads are not limited; the record route still answers the first client.
    expect((await request(seq.url, "GET", `/v1/records/${(other.body as { id: string }).id}`)).status).to.equal(200);
    expect((await request(seq.url, "GET", "/healthz")).status).to.equal(200);
  });

  it("holds each client to its expensive reads per window (search, proof bundles, batch records), one counter for all", async () => {
    const seq = await start({ rateLimitClientReads: 2, rateLimitWindowMs: 60_000 });
    expect((await request(seq.url, "GET", `/v1/records?nodeId=${"0".repeat(64)}`)).status).to.equal(200);
    expect((await request(seq.url, "GET", "/v1/batches/0/records")).status).to.equal(404);
    const over = await request(seq.url, "GET", `/v1/records/${"1".repeat(64)}/proof`);
    expect(over.status).to.equal(429);
    expect(over.body.error!.message).to.match(/^client 127\.0\.0\.1 sent more than 2 requests to \/v1\/records\/:id\/proof in 60000 ms/);
    expect((await request(seq.url, "GET", `/v1/records?nodeId=${"0".repeat(64)}`, { from: "127.0.0.2" })).status).to.equal(200);
    // Submissions have their own counter.
    expect((await post(seq.url, recentRecord(nodeA, 0))).status).to.equal(201);
  });

  it("holds each client to its request body bytes a second on POST /v1/records", async () => {
    // 1 byte a second: the bucket holds one largest body (4096 bytes) and does not refill in a test's time.
    const seq = await start({ bodyLimitBytes: 4096, rateLimitClientBytesPerSecond: 1 });
    const body = JSON.stringify({ records: [0, 1, 2, 3, 4, 5].map((n) => recentRecord(nodeA, n)) });
    expect(Buffer.byteLength(body)).to.be.within(2049, 4096);
    expect((await post(seq.url, body)).status).to.equal(201);
    const over = await post(seq.url, body);
    expect(over.status).to.equal(429);
    expect(over.body.error!.code).to.equal("RATE_LIMITED");
    expect(over.body.error!.message).to.match(new RegExp(`^client 127\\.0\\.0\\.1 is over its budget of 1 request body bytes a second on /v1/records \\(this body: ${Buffer.byteLength(body)} bytes\\); retry in \\d+ s$`));
    expect(Number(over.headers["retry-after"])).to.be.greaterThan(1000);
    expect((await post(seq.url, body, "127.0.0.2")).status).to.equal(200); // the same records: duplicates
  });

  it("takes the client's address from X-Forwarded-For only when the sender is a configured proxy", async () => {
    const direct = await start({ rateLimitClientSubmits: 1, rateLimitWindowMs: 60_000 });
    const spoof = { "x-forwarded-for": "203.0.113.5" };
    expect((await post(direct.url, recentRecord(nodeA, 0), undefined, spoof)).status).to.equal(201);
    const ignored = await post(direct.url, recentRecord(nodeA, 1), undefined, { "x-forwarded-for": "203.0.113.6" });
    expect(ignored.status).to.equal(429);
    expect(ignored.body.error!.message).to.match(/^client 127\.0\.0\.1 /);

    const proxied = await start({ rateLimitClientSubmits: 1, rateLimitWindowMs: 60_000, trustProxy: ["127.0.0.1"] });
    expect((await post(proxied.url, recentRecord(nodeA, 0), undefined, spoof)).status).to.equal(201);
    expect((await post(proxied.url, recentRecord(nodeA, 1), undefined, { "x-forwarded-for": "203.0.113.6" })).status).to.equal(201);
    const again = await post(proxied.url, recentRecord(nodeA, 2), undefined, spoof);
    expect(again.status).to.equal(429);
    expect(again.body.error!.message).to.match(/^client 203\.0\.113\.5 /);
    // From an address that is not the proxy, the header is the sender's own claim: ignored.
    expect((await post(proxied.url, recentRecord(nodeA, 3), "127.0.0.2", spoof)).status).to.equal(201);
  });

  it("holds each node to its records a second: a request over budget is refused whole, nothing stored, nothing taken", async () => {
    // Burst 3, one record in a thousand seconds: the budget does not refill during the test.
    const seq = await start({ rateLimitNodeRecordsPerSecond: 0.001, rateLimitNodeBurst: 3, maxRecordsPerRequest: 3 });
    const recs = (node: typeof nodeA, ns: number[]): { records: RecordV1[] } => ({ records: ns.map((n) => recentRecord(node, n)) });
    expect((await post(seq.url, recs(nodeA, [0, 1]))).status).to.equal(201);
    const over = await post(seq.url, recs(nodeA, [2, 3]));
    expect(over.status).to.equal(429);
    expect(over.body.error).to.deep.include({ code: "RATE_LIMITED", index: 1 });
    expect(over.body.error!.message).to.match(
      new RegExp(`^node ${recentRecord(nodeA, 0).nodeId} is over its rate limit \\(0\\.001 records a second, at most 3 at once\\): this request has 2 of its records, 1 may be accepted now; nothing was stored, retry in \\d+ s$`),
    );
    expect(Number(over.headers["retry-after"])).to.be.greaterThan(100);
    expect(seq.store.recordCount).to.equal(2);
    // The refused request took nothing: node A may still send one.
    expect((await post(seq.url, recentRecord(nodeA, 2))).status).to.equal(201);
    expect((await post(seq.url, recentRecord(nodeA, 3))).status).to.equal(429);
    // From another client address too: the budget is the node's.
    expect((await post(seq.url, recentRecord(nodeA, 3), "127.0.0.2")).status).to.equal(429);
    // A request mixing nodes is all or nothing: B's record is not stored, B's budget not spent.
    const mixed = await post(seq.url, { records: [recentRecord(nodeB, 0), recentRecord(nodeA, 4)] });
    expect(mixed.status).to.equal(429);
    expect(mixed.body.error!.index).to.equal(1);
    expect(seq.store.recordCount).to.equal(3);
    expect((await post(seq.url, recs(nodeB, [0, 1, 2]))).status).to.equal(201);
    expect(seq.store.recordCount).to.equal(6);
    // The limit is counted by reason in /metrics like every refusal.
    const metrics = await new Promise<string>((resolve, reject) =>
      http.get(`${seq.url}/metrics`, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve(text));
      }).on("error", reject),
    );
    expect(metrics).to.match(/reason="RATE_LIMITED"\} 4/);
  });
});
