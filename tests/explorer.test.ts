/**
 * The explorer page in a real browser, against a live stack: a local chain, a sequencer that
 * proves (test circuit) and anchors, serving the built page (`explorer/dist`) at /explorer/.
 * Debian's headless Chromium (`/usr/bin/chromium`, `.ci/run` installs it) is driven by
 * playwright-core, which downloads nothing.
 *
 * The page lists the anchored batch, finds a record by URL and shows its page, verifies a
 * genuine bundle (every check passes, with the fetched file re-hashed in the page) and refuses
 * a tampered one by naming the failed check. The verification must be the page's own work:
 * every request it makes while verifying is recorded, and must be JSON-RPC to the chain, none
 * to the sequencer.
 *
 * Every wait is on a DOM condition, with generous timeouts: the machine may be busy.
 * PROVENANCE_EXPLORER_SCREENSHOT=docs/explorer.png also writes the README's screenshot.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sha256 } from "@noble/hashes/sha2";
import { LAMPORTS_PER_SOL } from "@solana/web3.js";
import { expect } from "chai";
import Fastify from "fastify";
import { chromium, type Browser, type Page, type Request } from "playwright-core";
import { NodeRegistry, SequencerClient, fieldToHex, signRecord, type InclusionBundle, type RecordV1 } from "@provenance/client-sdk";
import { circuitConfig } from "@provenance/circuits";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { releaseCurve } from "@provenance/prover";
import { Sequencer, createChainSubmitter, loadConfig, serveExplorer } from "@provenance/sequencer";
import { publicKeyHex, quietLogger, testNode } from "../sequencer/test/helpers.js";
import { ensureSetup } from "./support/circuit-setup.js";
import { REPO } from "./support/cli.js";

const CHROMIUM = process.env["PROVENANCE_CHROMIUM"] ?? "/usr/bin/chromium";
const CHROMIUM_MISSING = `${CHROMIUM} is not installed (apt-get install -y chromium; .ci/run installs it)`;
const EXPLORER_DIST = path.join(REPO, "explorer", "dist");
const ADMIN = "explorer-test-admin-token-0123456789";
/** Generous: two shared cores, a prover and a chain beside the browser. */
const WAIT_MS = 180_000;

/** Skips the suite where Chromium is missing, fails instead under PROVENANCE_REQUIRE_NATIVE=1 (CI), as tests/support/redis.ts does. */
function requireChromium(ctx: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  if (process.env["PROVENANCE_REQUIRE_NATIVE"] === "1") throw new Error(`PROVENANCE_REQUIRE_NATIVE=1: ${CHROMIUM_MISSING}`);
  console.warn(`    skipped: ${CHROMIUM_MISSING}`);
  ctx.skip();
}

interface Seen {
  method: string;
  url: string;
  /** JSON-RPC method names of a POST body, when it is one. */
  rpc: string[];
}

function rpcMethods(req: Request): string[] {
  try {
    const body = JSON.parse(req.postData() ?? "null") as { method?: string } | { method?: string }[] | null;
    return (Array.isArray(body) ? body : [body]).map((b) => b?.method).filter((m): m is string => typeof m === "string");
  } catch {
    return [];
  }
}

describe("explorer page in headless Chromium (local chain + anchoring sequencer)", function () {
  this.timeout(1_200_000);
  let work: string;
  let chain: Localnet;
  let seq: Sequencer;
  let browser: Browser;
  let page: Page;
  const seen: Seen[] = [];
  const node = testNode("explorer");
  const contents = ["<html>explorer page 0</html>", "<html>explorer page 1</html>", "<html>explorer page 2</html>"];
  const records: RecordV1[] = [];
  let ids: string[] = [];
  let batchIndex: number;
  let bundle: InclusionBundle;
  const t0 = Date.now();
  let pageFailed: Promise<never>;
  /** A wait on the page, failed early by any exception the page throws. */
  const until = <T>(wait: Promise<T>): Promise<T> => Promise.race([wait, pageFailed]);

  before(async function () {
    requireChromium(this);
    // The page as this checkout's sources make it (npm install builds it too; this keeps the test honest after an edit).
    const build = spawnSync("npm", ["run", "build", "-w", "explorer"], { cwd: REPO, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`npm run build -w explorer failed:\n${build.stdout}\n${build.stderr}`);
    await ensureSetup("test");
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-explorer-"));
    chain = await startLocalnet({ dataDir: path.join(work, "chain") });
    const config = loadConfig({}, { dataDir: path.join(work, "sequencer"), circuit: "test", listen: "127.0.0.1:0", adminToken: ADMIN, rpcUrl: chain.rpcUrl, adminKeypair: chain.wallet, batchMaxAgeMs: 300, verifyWorkers: 1, explorerDir: EXPLORER_DIST });
    const setup = createChainSubmitter(config, quietLogger(), { pollIntervalMs: 100 });
    const drop = await setup.connection.requestAirdrop(setup.walletPublicKey, 10 * LAMPORTS_PER_SOL);
    for (let i = 0; i < 100 && !(await setup.connection.getSignatureStatuses([drop])).value[0]; i++) await new Promise((r) => setTimeout(r, 100));
    await setup.ensureInitialized("test", fieldToHex(new NodeRegistry(circuitConfig("test").registryLevels).root));
    await setup.close();
    const logger = quietLogger();
    seq = await Sequencer.start(config, { logger, submitter: createChainSubmitter(config, logger, { pollIntervalMs: 100 }), retryBaseMs: 200, defaultMetrics: false });

    const client = new SequencerClient({ url: seq.url, adminToken: ADMIN });
    await client.addNode(publicKeyHex(node));
    const now = Date.now() - 60_000;
    contents.forEach((c, i) => records.push(signRecord({ url: `https://example.com/explorer/${i}`, timestamp: now + i, contentHash: sha256(new TextEncoder().encode(c)) }, node.privateKey)));
    ids = (await client.submitMany(records)).map((r) => r.id);
    const anchored = await Promise.all(ids.map((id) => client.waitForAnchored(id, { timeoutMs: 600_000, pollMs: 200 })));
    batchIndex = anchored[0]!.batch!;
    bundle = await client.proof(ids[0]!);
    console.warn(`      stack up, ${ids.length} records anchored in batch ${batchIndex}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ["--no-sandbox"] : [] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    page.on("request", (req) => seen.push({ method: req.method(), url: req.url(), rpc: rpcMethods(req) }));
    // An exception in the page fails the wait in progress at once, instead of at its timeout.
    pageFailed = new Promise<never>((_, reject) => page.on("pageerror", (err) => reject(new Error(`the page threw: ${err.stack ?? err.message}`))));
    pageFailed.catch(() => {});
  });

  after(async function () {
    await browser?.close();
    await seq?.stop();
    await chain?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    // The dev setup's check loads snarkjs's curve, whose worker threads would keep mocha alive.
    await releaseCurve();
    if (seq) console.warn(`      explorer suite: ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
  });

  /** The requests the page made from `from` on. */
  const since = (from: number) => seen.slice(from);
  const toSequencer = (reqs: Seen[]) => reqs.filter((r) => r.url.startsWith(seq.url));
  const toChain = (reqs: Seen[]) => reqs.filter((r) => r.url.replace(/\/$/, "") === chain.rpcUrl.replace(/\/$/, "") && r.method === "POST");

  it("is served at /explorer/ (and / redirects there) with everything from its own origin", async function () {
    const root = await fetch(`${seq.url}/`, { redirect: "manual" });
    expect(root.status).to.equal(302);
    expect(root.headers.get("location")).to.equal("/explorer/");
    await root.arrayBuffer();
    const html = await (await fetch(`${seq.url}/explorer/`)).text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.filter((r) => r.startsWith("/explorer/assets/"))).to.have.length.greaterThanOrEqual(2);
    // Nothing from another origin: no CDN, no remote font or script.
    expect(refs.filter((r) => /^(https?:)?\/\//.test(r))).to.deep.equal([]);
    const script = refs.find((r) => r.endsWith(".js"))!;
    const asset = await fetch(`${seq.url}${script}`);
    expect(asset.status).to.equal(200);
    expect(asset.headers.get("content-type")).to.match(/javascript/);
    // Read to the end: an unread body keeps its connection (and this process) alive.
    expect((await asset.arrayBuffer()).byteLength).to.be.greaterThan(100_000);
    // The API is unchanged beside it.
    const nodes = await fetch(`${seq.url}/v1/nodes`);
    expect(nodes.status).to.equal(200);
    await nodes.arrayBuffer();
  });

  it("lists the anchored batch, newest first, with the chain head read from the chain", async function () {
    await page.goto(`${seq.url}/explorer/?rpc=${encodeURIComponent(chain.rpcUrl)}#/`);
    const row = page.locator(`#batches tr[data-batch="${batchIndex}"][data-state="anchored"]`);
    await until(row.waitFor());
    const cells = await row.locator("td").allInnerTexts();
    expect(cells[0]).to.equal(`#${batchIndex}`);
    expect(cells[1]).to.equal("anchored");
    expect(Number(cells[2])).to.be.greaterThanOrEqual(1);
    expect(cells[7]).to.not.equal("not yet");
    const first = await page.locator("#batches tbody tr").first().getAttribute("data-batch");
    expect(Number(first)).to.be.greaterThanOrEqual(batchIndex);
    // The head comes from the program's Config, read by the page over the chain's RPC.
    await until(page.locator("#chain-next-index").waitFor());
    expect(Number(await page.locator("#chain-next-index").innerText())).to.be.greaterThanOrEqual(batchIndex + 1);
    expect(toChain(seen).flatMap((r) => r.rpc)).to.include("getAccountInfo");
    // It polls: more /v1/batches requests come while the log is shown.
    const polls = () => toSequencer(seen).filter((r) => r.url.includes("/v1/batches")).length;
    const before = polls();
    await expectEventually(() => polls() > before, "the log polls GET /v1/batches");
  });

  it("finds a record by URL; its page shows status, batch, leaf index and receipt, and verifies it in the page", async function () {
    await page.goto(`${seq.url}/explorer/?rpc=${encodeURIComponent(chain.rpcUrl)}#/search?field=url&q=${encodeURIComponent(records[1]!.url)}`);
    const hit = page.locator(`#search-results tr[data-record="${ids[1]}"]`);
    await until(hit.waitFor());
    await hit.locator("a").first().click();
    await until(page.locator("#record-id").waitFor());
    expect(await page.locator("#record-id").innerText()).to.equal(ids[1]);
    const text = await page.locator("main").innerText();
    expect(text).to.contain("anchored").and.contain(`#${batchIndex}`).and.contain(records[1]!.url).and.contain('"signature"');
    // The receipt's signature, checked in the page (under the key the sequencer serves).
    await until(page.locator("#receipt-check .pass").waitFor());
    await page.locator("#verify-record").click();
    const result = page.locator('#verify-result:not([data-ok="running"])');
    await until(result.waitFor());
    expect(await result.getAttribute("data-ok")).to.equal("true");
  });

  it("verifies a genuine bundle and its file in the page, against the chain, asking the sequencer nothing", async function () {
    await page.goto(`${seq.url}/explorer/?rpc=${encodeURIComponent(chain.rpcUrl)}#/verify`);
    await until(page.locator("#bundle-file").waitFor({ state: "attached" }));
    const from = seen.length;
    await page.setInputFiles("#content-file", { name: "page-0.html", mimeType: "text/html", buffer: Buffer.from(contents[0]!) });
    await page.setInputFiles("#bundle-file", { name: "bundle.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(bundle, null, 2)) });
    const result = page.locator('#verify-result:not([data-ok="running"])');
    await until(result.waitFor());
    const checks = await page.locator("#verify-result tr[data-check]").evaluateAll((rows) => rows.map((r) => [r.getAttribute("data-check"), r.getAttribute("data-ok")]));
    expect(await result.getAttribute("data-ok"), JSON.stringify(checks)).to.equal("true");
    expect(checks.map((c) => c[0])).to.include.members(["format", "signature", "leaf", "path", "window", "accumulator-path", "program", "cluster", "deployment", "accumulator", "transaction", "content"]);
    expect(checks.every((c) => c[1] === "true")).to.equal(true);
    const during = since(from);
    expect(toSequencer(during), "requests to the sequencer while verifying").to.deep.equal([]);
    const methods = toChain(during).flatMap((r) => r.rpc);
    expect(methods).to.include.members(["getGenesisHash", "getAccountInfo", "getTransaction"]);
    expect(during.filter((r) => !r.url.startsWith("blob:") && !r.url.startsWith("data:")).every((r) => toChain([r]).length === 1), JSON.stringify(during.map((r) => r.url))).to.equal(true);
    const shot = process.env["PROVENANCE_EXPLORER_SCREENSHOT"];
    if (shot) {
      // docs/explorer.png: the log; docs/explorer-verify.png: this verification.
      const file = path.resolve(REPO, shot);
      await page.screenshot({ path: file.replace(/(\.png)?$/, "-verify.png"), fullPage: true });
      await page.goto(`${seq.url}/explorer/?rpc=${encodeURIComponent(chain.rpcUrl)}#/`);
      await until(page.locator(`#batches tr[data-batch="${batchIndex}"]`).waitFor());
      await until(page.locator("#chain-next-index").waitFor());
      await page.screenshot({ path: file, fullPage: true });
    }
  });

  it("refuses a tampered bundle (one byte of the url changed), naming the signature check", async function () {
    await page.goto(`${seq.url}/explorer/?rpc=${encodeURIComponent(chain.rpcUrl)}#/verify`);
    await until(page.locator("#bundle-file").waitFor({ state: "attached" }));
    const tampered = JSON.stringify(bundle, null, 2).replace("https://example.com/explorer/0", "https://example.com/explorer/1");
    expect(tampered).to.not.equal(JSON.stringify(bundle, null, 2));
    await page.setInputFiles("#bundle-file", { name: "tampered.json", mimeType: "application/json", buffer: Buffer.from(tampered) });
    const result = page.locator('#verify-result:not([data-ok="running"])');
    await until(result.waitFor());
    expect(await result.getAttribute("data-ok")).to.equal("false");
    expect(await result.getAttribute("data-failed-check")).to.equal("signature");
    const failed = page.locator('#verify-result tr[data-check="signature"][data-ok="false"]');
    expect(await failed.getAttribute("class")).to.equal("fail");
    expect(await page.locator("#verify-result .failure").innerText()).to.contain("BAD_SIGNATURE");
    expect(await page.locator("#verify-result h3").innerText()).to.contain("INVALID").and.contain("signature");
    // The content does not match the record's hash either (the SDK's content check, last).
    await page.setInputFiles("#bundle-file", { name: "bundle.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(bundle)) });
    await page.setInputFiles("#content-file", { name: "other.html", mimeType: "text/html", buffer: Buffer.from(contents[2]!) });
    await until(page.locator('#verify-result[data-failed-check="content"]').waitFor());
    expect(await page.locator('#verify-result tr[data-check="content"]').getAttribute("data-ok")).to.equal("false");
  });

  it("is not served, and says so once, when the page is not built", async function () {
    const lines: string[] = [];
    const app = Fastify();
    const logger = { info: (o: unknown, m: string) => lines.push(`${m} ${JSON.stringify(o)}`) } as unknown as Parameters<typeof serveExplorer>[2];
    expect(await serveExplorer(app, path.join(work, "no-such-dir"), logger)).to.equal(false);
    expect(await serveExplorer(app, null, logger)).to.equal(false);
    expect((await app.inject({ url: "/explorer/" })).statusCode).to.equal(404);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.contain("explorer page not built (npm run build -w explorer)");
    await app.close();
  });
});

/** Polls a condition the page's timers drive (the log's own polling), up to the suite's wait. */
async function expectEventually(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
