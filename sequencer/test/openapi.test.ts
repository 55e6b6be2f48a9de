/**
 * The HTTP API's contract as a document, against a real sequencer (LevelDB, the prover on the
 * `test` family, the explorer page served, CORS on):
 *
 * - GET /v1/openapi.json serves exactly the checked-in docs/openapi.json;
 * - every registered route is in the document with a response schema for each status it
 *   declares, and the document names no route the app does not have; only the explorer page's
 *   file routes and the CORS preflight are left out;
 * - route by route, success and error answers pass the response check (no field lost to a
 *   schema, every answered status declared).
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { ROUTES, signChunk, type SignedChunkV1 } from "@provenance/client-sdk";
import { releaseCurve } from "@provenance/prover";
import { contentHashOf } from "../../tests/support/fixtures.js";
import { ensureSetup } from "../../tests/support/circuit-setup.js";
import { registeredRoutes } from "../src/api.js";
import { loadConfig } from "../src/config.js";
import { explorerBuilt } from "../src/explorer.js";
import { OPENAPI_FILE, openApiDocument } from "../src/openapi.js";
import { Sequencer } from "../src/sequencer.js";
import { publicKeyHex, quietLogger, recentRecord, tempDir, testNode, waitFor } from "./helpers.js";

const ADMIN = "openapi-admin-token-0123456789";
const admin = { authorization: `Bearer ${ADMIN}` };
const nodeA = testNode("openapi-a");
const nodeB = testNode("openapi-b");

interface Doc {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
}

/** fastify's `/v1/records/:id` as OpenAPI's `/v1/records/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, "{$1}");

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  const parsed = text && (res.headers.get("content-type") ?? "").includes("json") ? (JSON.parse(text) as Record<string, unknown>) : { text };
  const error = parsed["error"] as { message?: string } | undefined;
  // The response check answers 500 with its reason: fail with it.
  if (res.status === 500) throw new Error(`${method} ${path}: 500 ${error?.message ?? text}`);
  return { status: res.status, body: parsed };
}

describe("OpenAPI document and response schemas (real sequencer, response check on)", function () {
  this.timeout(600_000);
  let t: ReturnType<typeof tempDir>;
  let seq: Sequencer;
  let base: string;

  before(async () => {
    await ensureSetup("test");
    t = tempDir("openapi");
    const config = loadConfig({}, { dataDir: t.dir, circuit: "test", port: 0, batchMaxAgeMs: 300, verifyWorkers: 1, adminToken: ADMIN, corsOrigins: "*" });
    seq = await Sequencer.start(config, { logger: quietLogger(), defaultMetrics: false, retryBaseMs: 200, checkResponses: true });
    base = seq.url;
  });

  after(async () => {
    await seq?.stop();
    await releaseCurve();
    t?.remove();
  });

  it("serves the checked-in docs/openapi.json at GET /v1/openapi.json, and makes the same one without a configuration", async () => {
    const served = await call(base, "GET", ROUTES.openapi);
    expect(served.status).to.equal(200);
    const checkedIn = JSON.parse(readFileSync(OPENAPI_FILE, "utf8")) as unknown;
    expect(served.body).to.deep.equal(checkedIn);
    expect(await openApiDocument()).to.deep.equal(checkedIn);
    expect((served.body as { openapi: string }).openapi).to.equal("3.1.0");
  });

  it("documents every registered route, each status of its response schema, and nothing else", async () => {
    const doc = (await call(base, "GET", ROUTES.openapi)).body as unknown as Doc;
    const routes = registeredRoutes(seq.app).filter((r) => r.method !== "HEAD");
    expect(explorerBuilt(seq.config.explorerDir), "the explorer page is built (npm install), so its routes are registered").to.equal(true);
    // Left out on purpose: the page's files and redirect, and the CORS preflight.
    expect(routes.filter((r) => r.hidden).map((r) => `${r.method} ${r.url}`).sort()).to.deep.equal(["GET /", "GET /explorer/*", "OPTIONS *"]);
    const documented = routes.filter((r) => !r.hidden);
    expect(documented.length).to.be.greaterThan(12);
    for (const r of documented) {
      const op = doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.url} in the document`).to.not.equal(undefined);
      const statuses = Object.keys(r.response ?? {});
      expect(statuses.some((s) => /^2\d\d$/.test(s)), `${r.method} ${r.url} has a success schema`).to.equal(true);
      expect(statuses, `${r.method} ${r.url} declares 500`).to.include("500");
      expect(Object.keys(op!.responses).sort()).to.deep.equal(statuses.sort());
      for (const [status, response] of Object.entries(op!.responses)) {
        const schemas = Object.values(response.content ?? {}).map((c) => c.schema);
        expect(schemas.length > 0 && schemas.every((s) => s !== undefined), `${r.method} ${r.url} ${status} has a schema`).to.equal(true);
      }
    }
    const registered = new Set(documented.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`));
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) expect(registered.has(`${method} ${path}`), `${method} ${path} is a registered route`).to.equal(true);
    }
    // The page's redirect has its schema too.
    expect(Object.keys(routes.find((r) => r.url === "/")!.response ?? {})).to.deep.equal(["302"]);
  });

  it("answers every route, success and error, through the response check", async () => {
    // Registry.
    expect((await call(base, "POST", ROUTES.nodes, { publicKey: publicKeyHex(nodeA) })).status).to.equal(401);
    expect((await call(base, "POST", ROUTES.nodes, { publicKey: publicKeyHex(nodeA) }, admin)).status).to.equal(201);
    expect((await call(base, "POST", ROUTES.nodes, { publicKey: publicKeyHex(nodeB) }, admin)).status).to.equal(201);
    expect((await call(base, "POST", ROUTES.nodes, { publicKey: publicKeyHex(nodeA) }, admin)).status).to.equal(409);
    expect((await call(base, "POST", ROUTES.nodes, { publicKey: "00" }, admin)).status).to.equal(400);
    expect((await call(base, "POST", ROUTES.nodes, "publicKey", { ...admin, "content-type": "text/plain" })).status).to.equal(415);
    const nodes = await call(base, "GET", ROUTES.nodes);
    expect(nodes.status).to.equal(200);
    const nodeId = (nodes.body["nodes"] as Array<{ nodeId: string }>)[0]!.nodeId;
    expect((await call(base, "GET", `/v1/nodes/${nodeId}`)).status).to.equal(200);
    expect((await call(base, "GET", `/v1/nodes/${"0".repeat(64)}`)).status).to.equal(404);
    expect((await call(base, "GET", "/v1/nodes/xyz")).status).to.equal(400);

    // Records: one, several, a duplicate, a chunk, refusals.
    const records = [0, 1, 2, 3, 4].map((n) => recentRecord(nodeA, n));
    expect((await call(base, "POST", ROUTES.records, records[0])).status).to.equal(201);
    expect((await call(base, "POST", ROUTES.records, { records: records.slice(1, 4) })).status).to.equal(201);
    expect((await call(base, "POST", ROUTES.records, records[0])).status).to.equal(200);
    expect((await call(base, "POST", ROUTES.records, { ...records[4], signature: "00".repeat(64) })).status).to.equal(400);
    expect((await call(base, "POST", ROUTES.records, recentRecord(testNode("openapi-stranger"), 0))).status).to.equal(403);
    expect((await call(base, "POST", ROUTES.records, "{")).status).to.equal(400);
    const chunk: SignedChunkV1 = signChunk(
      [0, 1].map((i) => ({ url: `https://example.com/openapi/${i}`, timestamp: Date.now() - 60_000 + i, contentHash: Buffer.from(contentHashOf(`openapi ${i}`)).toString("hex") })),
      nodeB.privateKey,
    );
    const chunked = await call(base, "POST", ROUTES.submitChunk, chunk);
    expect(chunked.status).to.equal(201);
    expect((await call(base, "POST", ROUTES.submitChunk, chunk)).status).to.equal(409);
    expect((await call(base, "POST", ROUTES.submitChunk, { ...chunk, records: [] })).status).to.equal(400);

    // Batches, once proven (both shapes of the family: four records alone, then the chunk).
    await waitFor("every batch proven", async () => {
      const page = await call(base, "GET", ROUTES.batches);
      const list = page.body["batches"] as Array<{ state: string }>;
      return list.length >= 2 && seq.store.pendingRecords === 0 && list.every((b) => b.state === "proven") ? list : undefined;
    });
    const batches = (await call(base, "GET", `${ROUTES.batches}?from=0&limit=10`)).body["batches"] as Array<{ index: number }>;
    for (const { index } of batches) {
      const detail = await call(base, "GET", `/v1/batches/${index}`);
      expect(detail.status).to.equal(200);
      expect((detail.body["proof"] as { proof: { pi_a: unknown } }).proof.pi_a).to.be.an("array");
      expect((await call(base, "GET", `/v1/batches/${index}/records`)).status).to.equal(200);
    }
    expect((await call(base, "GET", "/v1/batches/999")).status).to.equal(404);
    expect((await call(base, "GET", "/v1/batches/999/records")).status).to.equal(404);
    expect((await call(base, "GET", "/v1/batches/01")).status).to.equal(400);
    expect((await call(base, "GET", `${ROUTES.batches}?limit=0`)).status).to.equal(400);

    // Record views, search, proofs (not anchored: no chain here).
    const firstId = (chunked.body["records"] as Array<{ id: string }>)[0]!.id;
    const view = await call(base, "GET", `/v1/records/${firstId}`);
    expect(view.status).to.equal(200);
    expect(view.body["record"]).to.have.property("chunk");
    expect((await call(base, "GET", `/v1/records/${"ab".repeat(32)}`)).status).to.equal(404);
    expect((await call(base, "GET", `/v1/records/${firstId}/proof`)).status).to.equal(409);
    expect((await call(base, "GET", `/v1/records/${firstId}/proof?version=3`)).status).to.equal(400);
    const page = await call(base, "GET", `${ROUTES.records}?nodeId=${records[0]!.nodeId}&limit=2`);
    expect(page.status).to.equal(200);
    expect((page.body["records"] as unknown[]).length).to.equal(2);
    expect((await call(base, "GET", ROUTES.records)).status).to.equal(400);

    // Operations.
    expect((await call(base, "GET", ROUTES.receiptKey)).status).to.equal(200);
    expect((await call(base, "GET", ROUTES.health)).status).to.equal(200);
    expect((await call(base, "GET", ROUTES.metrics)).status).to.equal(200);
    expect((await fetch(base + ROUTES.nodes, { method: "HEAD" })).status).to.equal(200);

    // Revocation last: it seals what is pending.
    expect((await call(base, "DELETE", `/v1/nodes/${nodeId}`)).status).to.equal(401);
    expect((await call(base, "DELETE", `/v1/nodes/${nodeId}`, undefined, admin)).status).to.equal(200);
    expect((await call(base, "DELETE", `/v1/nodes/${"0".repeat(64)}`, undefined, admin)).status).to.equal(404);
  });
});
