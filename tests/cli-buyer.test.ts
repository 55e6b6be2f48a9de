/**
 * The buyer's verbs end to end, as a buyer runs them: a real local chain, a real sequencer that
 * proves (test circuit) and anchors, and the `provenance` CLI spawned for every step: search by
 * each filter (pages followed), manifest (ids, an ids file of search output, a search) and
 * `verify MANIFEST`, `verify --content`, batches and batch N, info on a fetched bundle with its
 * receipt, and records not anchored yet (skipped and listed, or --strict failing with no file).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LAMPORTS_PER_SOL } from "@solana/web3.js";
import { expect } from "chai";
import { NodeRegistry, fieldToHex, type BatchSummary, type RecordView } from "@provenance/client-sdk";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { circuitConfig } from "@provenance/circuits";
import { createChainSubmitter, loadConfig, Sequencer, type SequencerConfig } from "@provenance/sequencer";
import { quietLogger } from "../sequencer/test/helpers.js";
import { ensureSetup } from "./support/circuit-setup.js";
import { cli, expectExit } from "./support/cli.js";

const ADMIN = "cli-buyer-admin-token-0123456789";
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("provenance CLI: the buyer's verbs (local chain + anchoring sequencer)", function () {
  this.timeout(1_200_000);
  let work: string;
  let chain: Localnet;
  let config: SequencerConfig;
  let seq: Sequencer;
  let env: Record<string, string>;
  let nodeId: string;
  /** a: one page, b: another, many: four records of one URL, signed in chunks. */
  let idA: string;
  let idB: string;
  let many: string[];

  async function startSequencer(anchoring: boolean): Promise<Sequencer> {
    const logger = quietLogger();
    if (!anchoring) return Sequencer.start(config, { logger, submitter: null, retryBaseMs: 200, defaultMetrics: false });
    const submitter = createChainSubmitter(config, logger, { pollIntervalMs: 100 });
    return Sequencer.start(config, { logger, submitter, retryBaseMs: 200, defaultMetrics: false });
  }

  const run = (args: string[], timeoutMs?: number) => cli(args, { cwd: work, env, ...(timeoutMs ? { timeoutMs } : {}) });
  const lines = (text: string) => text.split("\n").filter((l) => l.length > 0);

  before(async function () {
    await ensureSetup("test");
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-cli-buyer-"));
    chain = await startLocalnet({ dataDir: path.join(work, "chain") });
    config = loadConfig({}, { dataDir: path.join(work, "sequencer"), circuit: "test", listen: "127.0.0.1:0", adminToken: ADMIN, rpcUrl: chain.rpcUrl, adminKeypair: chain.wallet, batchMaxAgeMs: 300, verifyWorkers: 1 });
    const submitter = createChainSubmitter(config, quietLogger(), { pollIntervalMs: 100 });
    const drop = await submitter.connection.requestAirdrop(submitter.walletPublicKey, 10 * LAMPORTS_PER_SOL);
    for (let i = 0; i < 100 && !(await submitter.connection.getSignatureStatuses([drop])).value[0]; i++) await new Promise((r) => setTimeout(r, 100));
    await submitter.ensureInitialized("test", fieldToHex(new NodeRegistry(circuitConfig("test").registryLevels).root));
    await submitter.close();
    seq = await startSequencer(true);
    env = { PROVENANCE_SEQUENCER_URL: seq.url, PROVENANCE_RPC_URL: chain.rpcUrl };

    const keygen = await run(["keygen", "--json"]);
    expectExit(keygen, 0, "keygen");
    nodeId = keygen.json!.nodeId as string;
    expectExit(await cli(["nodes", "add", "--key", "node-key.json"], { cwd: work, env: { ...env, PROVENANCE_ADMIN_TOKEN: ADMIN } }), 0, "nodes add");

    const now = Date.now() - 60_000;
    writeFileSync(path.join(work, "page-a.html"), "<html>page a</html>");
    writeFileSync(path.join(work, "page-b.html"), "<html>page b</html>");
    const pages = Array.from({ length: 4 }, (_, i) => ({ url: "https://example.com/buyer/many", timestamp: now + i, contentHash: sha(`many ${i}`) }));
    writeFileSync(path.join(work, "pages.jsonl"), pages.map((p) => JSON.stringify(p)).join("\n") + "\n");
    const a = await run(["submit", "--key", "node-key.json", "--url", "https://example.com/buyer/a", "--content", "page-a.html", "--receipts", "receipts.jsonl", "-q"]);
    expectExit(a, 0, "submit a");
    idA = a.stdout.trim();
    const b = await run(["submit", "--key", "node-key.json", "--url", "https://example.com/buyer/b", "--content", "page-b.html", "--receipts", "receipts.jsonl", "-q"]);
    expectExit(b, 0, "submit b");
    idB = b.stdout.trim();
    const m = await run(["submit", "--key", "node-key.json", "--observations", "pages.jsonl", "--receipts", "receipts.jsonl", "--wait", "--timeout", "600", "-q"], 700_000);
    expectExit(m, 0, "submit --observations --wait");
    many = lines(m.stdout);
    expect(many).to.have.length(4);
    for (const id of [idA, idB]) expectExit(await run(["status", id, "--wait", "--timeout", "600"], 700_000), 0, `status ${id} --wait`);
  });

  after(async function () {
    await seq?.stop();
    await chain?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("search finds each record by URL, content hash, content file and node; pages are followed and resumable", async function () {
    const byUrl = await run(["search", "--url", "https://example.com/buyer/a", "--ids"]);
    expectExit(byUrl, 0, "search --url");
    expect(lines(byUrl.stdout)).to.deep.equal([idA]);
    const byHash = await run(["search", "--content-hash", sha("<html>page b</html>"), "--ids"]);
    expect(lines(byHash.stdout)).to.deep.equal([idB]);
    const byFile = await run(["search", "--content", "page-a.html", "--ids"]);
    expect(lines(byFile.stdout)).to.deep.equal([idA]);
    const byManyUrl = await run(["search", "--url", "https://example.com/buyer/many", "--ids"]);
    expect(lines(byManyUrl.stdout)).to.deep.equal(many);
    // Two filters must both match.
    const both = await run(["search", "--url", "https://example.com/buyer/a", "--content-hash", sha("<html>page b</html>"), "--ids"]);
    expectExit(both, 0, "search with two filters that match nothing together");
    expect(both.stdout).to.equal("");
    expect(both.stderr).to.contain("no record matches");

    // By node: every record, in seq order, as a JSON array of record views.
    const all = await run(["search", "--node", nodeId, "--all", "--json"]);
    expectExit(all, 0, "search --node --all --json");
    const views = JSON.parse(all.stdout) as RecordView[];
    expect(views.map((v) => v.id)).to.deep.equal([idA, idB, ...many]);
    expect(views.every((v) => v.status === "anchored" && v.record.nodeId === nodeId)).to.equal(true);

    // Piped: tab-separated rows, id first; --limit stops and says how to resume.
    const first = await run(["search", "--node", nodeId, "--limit", "2"]);
    expectExit(first, 0, "search --limit 2");
    const rows = lines(first.stdout).map((l) => l.split("\t"));
    expect(rows.map((r) => r[0])).to.deep.equal([idA, idB]);
    expect(rows[0]).to.deep.equal([idA, "anchored", String(views[0]!.batch), new Date(views[0]!.record.timestamp).toISOString(), "https://example.com/buyer/a"]);
    const cursor = /resume with --after (\S+)/.exec(first.stderr)?.[1];
    expect(cursor, first.stderr).to.be.a("string");
    const rest = await run(["search", "--node", nodeId, "--after", cursor!, "--all", "--jsonl"]);
    expectExit(rest, 0, "search --after --all --jsonl");
    expect(lines(rest.stdout).map((l) => (JSON.parse(l) as RecordView).id)).to.deep.equal(many);
    expect(rest.stderr).to.not.contain("more records match");
  });

  it("manifest writes one bundle per line (ids, an ids file of search output, a search); verify MANIFEST passes", async function () {
    const fromIds = await run(["manifest", idA, idB, ...many, "--out", "dataset.jsonl", "--json"]);
    expectExit(fromIds, 0, "manifest ids --out");
    expect(fromIds.json).to.deep.include({ ok: true, file: path.join(work, "dataset.jsonl"), written: 6, skipped: 0 });
    const written = lines(readFileSync(path.join(work, "dataset.jsonl"), "utf8")).map((l) => JSON.parse(l) as { v: number; id: string });
    expect(written.map((b) => b.id)).to.deep.equal([idA, idB, ...many]);
    expect(written.every((b) => b.v === 2)).to.equal(true);
    // No temporary file left beside it.
    expect(readdirSync(work).filter((f) => f.includes(".partial-"))).to.deep.equal([]);
    const verify = await run(["verify", "dataset.jsonl", "--json"]);
    expectExit(verify, 0, "verify the manifest");
    expect(verify.json).to.include({ ok: true, total: 6, passed: 6, failed: 0 });

    // search's own output (tab-separated rows) is an ids file.
    const search = await run(["search", "--node", nodeId, "--all"]);
    writeFileSync(path.join(work, "found.tsv"), `# records of node ${nodeId}\n${search.stdout}`);
    const fromFile = await run(["manifest", "--ids", "found.tsv", "--out", "from-file.jsonl", "--bundle-version", "1"]);
    expectExit(fromFile, 0, "manifest --ids FILE");
    expect(fromFile.stdout).to.contain(`wrote ${path.join(work, "from-file.jsonl")}: 6 bundle(s)`);
    const v1 = lines(readFileSync(path.join(work, "from-file.jsonl"), "utf8")).map((l) => JSON.parse(l) as { v: number; id: string });
    expect(v1.map((b) => [b.id, b.v])).to.deep.equal([idA, idB, ...many].map((id) => [id, 1]));
    expectExit(await run(["verify", "from-file.jsonl"]), 0, "verify the v1 manifest");

    // The pipeline of the README: search's ids into manifest's stdin.
    const ids = await run(["search", "--url", "https://example.com/buyer/many", "--ids"]);
    const piped = await cli(["manifest", "--ids", "-", "--out", "piped.jsonl"], { cwd: work, env, input: ids.stdout });
    expectExit(piped, 0, "manifest --ids - (stdin)");
    expect(lines(readFileSync(path.join(work, "piped.jsonl"), "utf8")).map((l) => (JSON.parse(l) as { id: string }).id)).to.deep.equal(many);

    // A search, to stdout.
    const fromSearch = await run(["manifest", "--url", "https://example.com/buyer/many"]);
    expectExit(fromSearch, 0, "manifest --url (stdout)");
    expect(lines(fromSearch.stdout).map((l) => (JSON.parse(l) as { id: string }).id)).to.deep.equal(many);
    expect(fromSearch.stderr).to.contain("4 bundle(s)");

    // A line that is no id: usage error naming the line, nothing written.
    writeFileSync(path.join(work, "bad-ids.txt"), `${idA}\nnot-an-id\n`);
    const bad = await run(["manifest", "--ids", "bad-ids.txt", "--out", "bad.jsonl"]);
    expectExit(bad, 2, "manifest --ids with a bad line");
    expect(bad.stderr).to.contain('bad-ids.txt line 2: "not-an-id" is not a record id');
    expect(existsSync(path.join(work, "bad.jsonl"))).to.equal(false);
    expect(readdirSync(work).filter((f) => f.includes(".partial-"))).to.deep.equal([]);
  });

  it("verify --content passes for the fetched file and fails CONTENT_MISMATCH for another, against the chain", async function () {
    expectExit(await run(["proof", idA, "--out", "a.json"]), 0, "proof a");
    const ok = await run(["verify", "a.json", "--content", "page-a.html", "--json"]);
    expectExit(ok, 0, "verify --content page-a.html");
    expect(ok.json).to.deep.include({ ok: true, rootSource: "accumulator", content: { sha256: sha("<html>page a</html>"), bytes: 19 } });
    const checks = (ok.json!.checks as { name: string; ok: boolean }[]).map((c) => c.name);
    expect(checks.at(-1)).to.equal("content");
    expect(checks).to.include("accumulator");
    const wrong = await run(["verify", "a.json", "--content", "page-b.html"]);
    expectExit(wrong, 1, "verify --content page-b.html");
    expect(wrong.stdout).to.contain(`INVALID (CONTENT_MISMATCH, content check): SHA-256 of the content (19 bytes) is ${sha("<html>page b</html>")}, but the record's contentHash is ${sha("<html>page a</html>")}`);
    expect(wrong.stdout).to.match(/ok {3}accumulator/);
  });

  it("batches lists the log and batch N shows one anchored batch in detail", async function () {
    const bundle = JSON.parse(readFileSync(path.join(work, "a.json"), "utf8")) as { batch: { index: number; batchRoot: string; count: number }; txSignature: string; slot: number };
    const list = await run(["batches", "--json"]);
    expectExit(list, 0, "batches --json");
    const page = list.json as unknown as { total: number; from: number; batches: BatchSummary[] };
    expect(page.total).to.be.greaterThan(bundle.batch.index);
    const mine = page.batches.find((b) => b.index === bundle.batch.index)!;
    expect(mine).to.deep.include({ state: "anchored", batchRoot: bundle.batch.batchRoot, count: bundle.batch.count, txSignature: bundle.txSignature });
    expect(mine.registryVersion).to.be.a("number").and.to.be.greaterThan(0);
    const human = await run(["batches", "--from", String(bundle.batch.index), "--limit", "1"]);
    expectExit(human, 0, "batches --from --limit");
    const row = lines(human.stdout)[0]!.split("\t");
    expect(row[0]).to.equal(String(bundle.batch.index));
    expect(row.slice(1, 3)).to.deep.equal(["anchored", String(bundle.batch.count)]);
    expect(row[4]).to.equal(String(mine.registryVersion));
    expect(row.slice(5)).to.deep.equal([bundle.batch.batchRoot, bundle.txSignature]);
    const past = await run(["batches", "--from", String(page.total + 5)]);
    expectExit(past, 0, "batches --from past the end");
    expect(past.stdout).to.equal("");
    expect(past.stderr).to.contain(`no batch from index ${page.total + 5}: the sequencer has ${page.total} batch(es), 0..${page.total - 1}`);
    const jsonl = await run(["batches", "--all", "--jsonl"]);
    expect(lines(jsonl.stdout).map((l) => (JSON.parse(l) as BatchSummary).index)).to.deep.equal(Array.from({ length: page.total }, (_, i) => i));

    const one = await run(["batch", String(bundle.batch.index), "--json"]);
    expectExit(one, 0, "batch N --json");
    expect(one.json).to.deep.include({ index: bundle.batch.index, state: "anchored", batchRoot: bundle.batch.batchRoot });
    expect(one.json!.anchor).to.deep.include({ txSignature: bundle.txSignature, slot: bundle.slot });
    expect((one.json!.proof as { circuit: string }).circuit).to.match(/^test/);
    const text = await run(["batch", String(bundle.batch.index), "--records"]);
    expectExit(text, 0, "batch N --records");
    expect(text.stdout).to.contain(`batch ${bundle.batch.index}: anchored`).and.contain(`batch root     ${bundle.batch.batchRoot}`).and.contain(`transaction    ${bundle.txSignature}`).and.contain(`slot ${bundle.slot}`);
    expect(text.stdout).to.contain(idA);
    const ids = await run(["batch", String(bundle.batch.index), "--records", "--ids"]);
    expect(lines(ids.stdout)).to.include(idA);
    const missing = await run(["batch", "9999"]);
    expectExit(missing, 1, "batch 9999");
    expect(missing.stderr).to.contain(`batch 9999 does not exist: the sequencer has ${page.total} batch(es), 0..${page.total - 1}`);
  });

  it("info prints a fetched bundle offline, with its chunk and accumulator, and its receipt checked", async function () {
    expectExit(await run(["proof", many[1]!, "--out", "chunked.json"]), 0, "proof of a chunk-signed record");
    // No services: info reads the file alone.
    const offline = { PROVENANCE_SEQUENCER_URL: "http://127.0.0.1:9", PROVENANCE_RPC_URL: "http://127.0.0.1:9" };
    const info = await cli(["info", "chunked.json", "--receipts", "receipts.jsonl", "--receipt-key", seq.receiptKey], { cwd: work, env: offline });
    expectExit(info, 0, "info chunked.json");
    const bundle = JSON.parse(readFileSync(path.join(work, "chunked.json"), "utf8")) as { batch: { index: number }; accumulator: { position: number; size: number; root: string } };
    expect(info.stdout).to.contain(`bundle v2 of record ${many[1]}`).and.contain("signed         in a chunk: index 1 of a chunk of 2");
    expect(info.stdout).to.contain(`accumulator    position ${bundle.accumulator.position} of ${bundle.accumulator.size}, root ${bundle.accumulator.root}`);
    expect(info.stdout).to.match(/receipt {8}v2: seq 3, received /).and.contain(`by sequencer key ${seq.receiptKey}`).and.contain("signature checked against --receipt-key");
    const json = await cli(["info", "chunked.json", "--receipts", "receipts.jsonl", "--json"], { cwd: work, env: offline });
    expect(json.json).to.deep.include({ ok: true, kind: "bundle", id: many[1], chunk: { size: 2, index: 1 }, receiptChecked: false });
    expect((json.json!.receipt as { id: string; seq: number }).seq).to.equal(3);
    const wrongKey = await cli(["info", "chunked.json", "--receipts", "receipts.jsonl", "--receipt-key", "11".repeat(32)], { cwd: work, env: offline });
    expectExit(wrongKey, 1, "info with another receipt key");
    expect(wrongKey.stderr).to.contain("not the sequencer's pinned key").and.contain("[BAD_RECEIPT]");
    // A saved record view carries its receipt.
    const status = await run(["status", idA, "--json"]);
    writeFileSync(path.join(work, "record-a.json"), status.stdout);
    const view = await cli(["info", "record-a.json", "--receipt-key", seq.receiptKey], { cwd: work, env: offline });
    expectExit(view, 0, "info on a record view");
    expect(view.stdout).to.contain(`record view of record ${idA} (anchored)`).and.contain("url            https://example.com/buyer/a").and.contain("signature checked against --receipt-key");
  });

  it("manifest skips and lists records not anchored yet; --strict fails and writes nothing", async function () {
    // Back up without a chain client: a new record is accepted but never anchored.
    await seq.stop();
    seq = await startSequencer(false);
    env.PROVENANCE_SEQUENCER_URL = seq.url;
    writeFileSync(path.join(work, "late.html"), "<html>late</html>");
    const late = await run(["submit", "--key", "node-key.json", "--url", "https://example.com/buyer/late", "--content", "late.html", "-q"]);
    expectExit(late, 0, "submit late");
    const idLate = late.stdout.trim();
    const unknown = "ab".repeat(32);

    const strict = await run(["manifest", idA, idLate, idB, "--out", "strict.jsonl", "--strict"]);
    expectExit(strict, 1, "manifest --strict with a record not anchored");
    expect(strict.stderr).to.match(new RegExp(`record ${idLate} is (pending|batched|proven): not anchored yet, so it has no bundle; --strict writes no manifest`));
    expect(existsSync(path.join(work, "strict.jsonl"))).to.equal(false);
    expect(readdirSync(work).filter((f) => f.includes(".partial-"))).to.deep.equal([]);

    const lenient = await run(["manifest", idA, idLate, unknown, idB, "--out", "lenient.jsonl", "--json"]);
    expectExit(lenient, 0, "manifest skipping");
    const report = lenient.json as { written: number; skipped: number; byStatus: Record<string, number>; skippedRecords: { id: string; status: string }[] };
    expect(report.written).to.equal(2);
    expect(report.skipped).to.equal(2);
    expect(report.skippedRecords.map((s) => s.id)).to.deep.equal([idLate, unknown]);
    expect(report.skippedRecords[0]!.status).to.match(/^(pending|batched|proven)$/);
    expect(report.skippedRecords[1]!.status).to.equal("unknown");
    expect(lines(readFileSync(path.join(work, "lenient.jsonl"), "utf8")).map((l) => (JSON.parse(l) as { id: string }).id)).to.deep.equal([idA, idB]);
    // Nothing to write: no manifest at all, and why.
    const none = await run(["manifest", idLate, "--out", "none.jsonl"]);
    expectExit(none, 1, "manifest of records none of which has a bundle");
    expect(none.stderr).to.match(/none of the 1 record\(s\) has a bundle yet \(1 (pending|batched|proven)\); no manifest written/);
    expect(existsSync(path.join(work, "none.jsonl"))).to.equal(false);
    const human = await run(["manifest", idLate, idA, "--out", "lenient2.jsonl"]);
    expectExit(human, 0, "manifest skipping (human)");
    expect(human.stdout).to.match(/1 bundle\(s\); 1 record\(s\) skipped \(1 (pending|batched|proven)\)/);
    expect(human.stdout).to.contain(`skipped ${idLate}`).and.contain("rerun later for them (--strict fails instead of skipping)");
  });
});
