/**
 * CORS (PROVENANCE_CORS_ORIGINS, @fastify/cors) on real sequencers over HTTP: preflight and
 * simple requests as a browser sends them, for a list of origins, `*`, and off (the default);
 * a page of another origin in headless Chromium (Debian's, driven by playwright-core), which
 * enforces CORS itself; and the setting's parsing.
 */
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { chromium, type Browser } from "playwright-core";
import { ROUTES } from "@provenance/client-sdk";
import { releaseCurve } from "@provenance/prover";
import { ensureSetup } from "../../tests/support/circuit-setup.js";
import { loadConfig, parseCorsOrigins, type SequencerConfig } from "../src/config.js";
import { Sequencer } from "../src/sequencer.js";
import { publicKeyHex, quietLogger, tempDir, testNode } from "./helpers.js";

const ADMIN = "cors-admin-token-0123456789";
const ALLOWED = "http://allowed.example";
const OTHER = "https://other.example:8443";
const EVIL = "http://evil.example";

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with exactly these headers (node:http: a browser's Origin header is sent as given). */
function request(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { method, headers: { ...headers, ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const preflight = (base: string, path: string, origin: string, method: string, requestHeaders?: string) =>
  request(base, "OPTIONS", path, {
    origin,
    "access-control-request-method": method,
    ...(requestHeaders ? { "access-control-request-headers": requestHeaders } : {}),
  });

const list = (v: string | string[] | undefined) => String(v ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);

describe("CORS (PROVENANCE_CORS_ORIGINS, real sequencers over HTTP)", function () {
  this.timeout(300_000);
  const started: Array<{ seq: Sequencer; remove: () => void }> = [];
  const start = async (corsOrigins: SequencerConfig["corsOrigins"] | undefined): Promise<string> => {
    const t = tempDir("cors");
    const config = loadConfig({}, { dataDir: t.dir, circuit: "test", port: 0, verifyWorkers: 0, adminToken: ADMIN, ...(corsOrigins !== undefined ? { corsOrigins } : {}) });
    const seq = await Sequencer.start(config, { logger: quietLogger(), defaultMetrics: false });
    started.push({ seq, remove: t.remove });
    return seq.url;
  };

  before(async () => {
    await ensureSetup("test");
  });
  after(async () => {
    for (const s of started) {
      await s.seq.stop();
      s.remove();
    }
    await releaseCurve();
  });

  describe("a list of origins", () => {
    let base: string;
    before(async () => {
      base = await start([ALLOWED, OTHER]);
    });

    it("answers a listed origin's preflight with what it may send, without credentials", async () => {
      const r = await preflight(base, ROUTES.records, ALLOWED, "POST", "content-type");
      expect(r.status).to.equal(204);
      expect(r.headers["access-control-allow-origin"]).to.equal(ALLOWED);
      expect(list(r.headers["access-control-allow-methods"])).to.include.members(["get", "head", "post", "delete"]);
      expect(list(r.headers["access-control-allow-headers"])).to.include.members(["content-type", "authorization"]);
      expect(r.headers["access-control-max-age"]).to.equal("600");
      expect(r.headers["access-control-allow-credentials"]).to.equal(undefined);
      expect(list(r.headers["vary"])).to.include("origin");
      const other = await preflight(base, "/v1/records/" + "ab".repeat(32), OTHER, "GET");
      expect(other.headers["access-control-allow-origin"]).to.equal(OTHER);
    });

    it("gives an unlisted origin's preflight no permission", async () => {
      const r = await preflight(base, ROUTES.records, EVIL, "POST", "content-type");
      expect(r.headers["access-control-allow-origin"]).to.equal(undefined);
      expect(r.headers["access-control-allow-credentials"]).to.equal(undefined);
    });

    it("lets a listed origin read answers, errors included, and Retry-After", async () => {
      const ok = await request(base, "GET", ROUTES.nodes, { origin: ALLOWED });
      expect(ok.status).to.equal(200);
      expect(ok.headers["access-control-allow-origin"]).to.equal(ALLOWED);
      expect(list(ok.headers["access-control-expose-headers"])).to.include("retry-after");
      expect(list(ok.headers["vary"])).to.include("origin");
      const missing = await request(base, "GET", `/v1/records/${"ab".repeat(32)}`, { origin: ALLOWED });
      expect(missing.status).to.equal(404);
      expect(missing.headers["access-control-allow-origin"]).to.equal(ALLOWED);
      expect((JSON.parse(missing.body) as { error: { code: string } }).error.code).to.equal("NOT_FOUND");
      // The same answer, without permission for another origin's page to read it.
      const evil = await request(base, "GET", ROUTES.nodes, { origin: EVIL });
      expect(evil.status).to.equal(200);
      expect(evil.headers["access-control-allow-origin"]).to.equal(undefined);
    });

    it("still needs the admin token for registry writes from a listed origin", async () => {
      const pre = await preflight(base, ROUTES.nodes, ALLOWED, "POST", "authorization, content-type");
      expect(pre.headers["access-control-allow-origin"]).to.equal(ALLOWED);
      const body = JSON.stringify({ publicKey: publicKeyHex(testNode("cors-a")) });
      const refused = await request(base, "POST", ROUTES.nodes, { origin: ALLOWED, "content-type": "application/json" }, body);
      expect(refused.status).to.equal(401);
      expect(refused.headers["access-control-allow-origin"]).to.equal(ALLOWED);
      const added = await request(base, "POST", ROUTES.nodes, { origin: ALLOWED, "content-type": "application/json", authorization: `Bearer ${ADMIN}` }, body);
      expect(added.status).to.equal(201);
    });
  });

  describe("any origin (*)", () => {
    let base: string;
    before(async () => {
      base = await start("*");
    });

    it("allows every origin, never with credentials", async () => {
      const pre = await preflight(base, ROUTES.records, EVIL, "POST", "content-type");
      expect(pre.status).to.equal(204);
      expect(pre.headers["access-control-allow-origin"]).to.equal("*");
      expect(pre.headers["access-control-allow-credentials"]).to.equal(undefined);
      const simple = await request(base, "GET", ROUTES.health, { origin: EVIL });
      expect(simple.headers["access-control-allow-origin"]).to.equal("*");
      expect(simple.headers["access-control-allow-credentials"]).to.equal(undefined);
    });
  });

  describe("off (the default)", () => {
    let base: string;
    before(async () => {
      base = await start(undefined);
    });

    it("sends no CORS header, and OPTIONS is an unknown route as before", async () => {
      const simple = await request(base, "GET", ROUTES.nodes, { origin: ALLOWED });
      expect(simple.status).to.equal(200);
      expect(simple.headers["access-control-allow-origin"]).to.equal(undefined);
      const pre = await preflight(base, ROUTES.records, ALLOWED, "POST", "content-type");
      expect(pre.status).to.equal(404);
      expect(pre.headers["access-control-allow-origin"]).to.equal(undefined);
      expect((JSON.parse(pre.body) as { error: { code: string } }).error.code).to.equal("NOT_FOUND");
    });
  });

  describe("a page of another origin, in a browser", () => {
    const CHROMIUM = process.env["PROVENANCE_CHROMIUM"] ?? "/usr/bin/chromium";
    let browser: Browser | undefined;
    let pages: http.Server | undefined;
    let pageOrigin: string;
    let listed: string;
    let closed: string;

    before(async function () {
      if (!existsSync(CHROMIUM)) {
        if (process.env["PROVENANCE_REQUIRE_NATIVE"] === "1") throw new Error(`PROVENANCE_REQUIRE_NATIVE=1: ${CHROMIUM} is not installed`);
        console.warn(`    skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`);
        this.skip();
      }
      // The page's own origin: another port of this machine is another origin.
      pages = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>another origin</title>"));
      await new Promise<void>((resolve) => pages!.listen(0, "127.0.0.1", resolve));
      pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
      listed = await start([pageOrigin]);
      closed = await start(undefined);
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ["--no-sandbox"] : [] });
    });
    after(async () => {
      await browser?.close();
      await new Promise((resolve) => (pages ? pages.close(resolve) : resolve(undefined)));
    });

    it("reads and posts to a sequencer that lists its origin, and is refused by one that lists none", async () => {
      const page = await browser!.newPage();
      await page.goto(`${pageOrigin}/`);
      // Given as source: the test's own code is transformed (tsx adds helpers the page lacks).
      // A POST of JSON is preflighted; its answer (an error envelope) must be readable.
      const results = (await page.evaluate(`(async () => {
        const attempt = (url, init) => fetch(url, init).then(
          async (res) => ({ status: res.status, body: await res.text() }),
          (err) => ({ failed: String(err) }),
        );
        const post = { method: "POST", headers: { "content-type": "application/json" }, body: "{}" };
        return {
          read: await attempt(${JSON.stringify(`${listed}/v1/nodes`)}),
          post: await attempt(${JSON.stringify(`${listed}/v1/records`)}, post),
          closedRead: await attempt(${JSON.stringify(`${closed}/v1/nodes`)}),
          closedPost: await attempt(${JSON.stringify(`${closed}/v1/records`)}, post),
        };
      })()`)) as Record<"read" | "post" | "closedRead" | "closedPost", { status?: number; body?: string; failed?: string }>;
      expect(results.read).to.have.property("status", 200);
      expect(JSON.parse((results.read as { body: string }).body)).to.have.property("nodes");
      expect(results.post).to.have.property("status", 400);
      expect((JSON.parse((results.post as { body: string }).body) as { error: { code: string } }).error.code).to.be.a("string");
      // The browser refuses to hand the page another origin's answer without permission.
      expect(results.closedRead).to.have.property("failed").that.contains("Failed to fetch");
      expect(results.closedPost).to.have.property("failed").that.contains("Failed to fetch");
      await page.close();
    });
  });

  describe("the setting", () => {
    it("takes off, *, and origins as browsers send them", () => {
      expect(loadConfig({}).corsOrigins).to.equal(null);
      expect(loadConfig({ PROVENANCE_CORS_ORIGINS: "off" }).corsOrigins).to.equal(null);
      expect(loadConfig({ PROVENANCE_CORS_ORIGINS: "*" }).corsOrigins).to.equal("*");
      expect(loadConfig({ PROVENANCE_CORS_ORIGINS: ` ${ALLOWED}, ${OTHER},${ALLOWED}` }).corsOrigins).to.deep.equal([ALLOWED, OTHER]);
      expect(parseCorsOrigins("http://[::1]:5173")).to.deep.equal(["http://[::1]:5173"]);
    });

    it("refuses what is not an origin, saying what to write", () => {
      const refusal = (raw: string) => {
        try {
          loadConfig({ PROVENANCE_CORS_ORIGINS: raw });
        } catch (err) {
          return (err as Error).message;
        }
        return "accepted";
      };
      expect(refusal("https://a.example/")).to.contain("PROVENANCE_CORS_ORIGINS").and.to.contain('write "https://a.example"');
      expect(refusal("https://a.example/page")).to.contain('write "https://a.example"');
      expect(refusal("https://A.example")).to.contain('write "https://a.example"');
      expect(refusal("https://a.example:443")).to.contain('write "https://a.example"');
      expect(refusal("a.example")).to.contain("must be off, * or comma-separated origins");
      expect(refusal("ftp://a.example")).to.contain("must be off, * or comma-separated origins");
      expect(refusal(`*,${ALLOWED}`)).to.contain("either * (any origin) or a list of origins");
    });
  });
});
