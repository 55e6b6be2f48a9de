/**
 * End to end, as a user runs it: a real local chain, a real sequencer that proves (test
 * circuit) and anchors, and the `provenance` CLI spawned as a process for every step:
 * keygen, nodes add, submit (receipts kept), wait, status, proof, verify (a valid bundle
 * passes; every one-byte change of it fails with a reason), a dataset manifest, audit (passes;
 * then fails once the sequencer's stored batch data is tampered with, and reports receipts that
 * were signed but never anchored).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Connection, LAMPORTS_PER_SOL } from "@solana/web3.js";
import { expect } from "chai";
import { Level } from "level";
import { NodeRegistry, fieldToHex } from "@provenance/client-sdk";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { circuitConfig } from "@provenance/circuits";
import { createChainSubmitter } from "@provenance/sequencer";
import { loadConfig, type SequencerConfig } from "@provenance/sequencer";
import { Sequencer } from "@provenance/sequencer";
import { quietLogger } from "../sequencer/test/helpers.js";
import { oneByteChanges } from "../client-sdk/test/helpers/bundles.js";
import { ensureSetup } from "./support/circuit-setup.js";
import { cli, expectExit } from "./support/cli.js";

const ADMIN = "cli-e2e-admin-token-0123456789";

describe("provenance CLI end to end (local chain + anchoring sequencer)", function () {
  this.timeout(1_200_000);
  let work: string;
  let chainDir: string;
  let chain: Localnet;
  let config: SequencerConfig;
  let seq: Sequencer;
  let env: Record<string, string>;
  const ids: string[] = [];

  async function startSequencer(anchoring: boolean): Promise<Sequencer> {
    const logger = quietLogger();
    if (!anchoring) return Sequencer.start(config, { logger, submitter: null, retryBaseMs: 200, defaultMetrics: false });
    const submitter = createChainSubmitter(config, logger, { pollIntervalMs: 100 });
    return Sequencer.start(config, { logger, submitter, retryBaseMs: 200, defaultMetrics: false });
  }

  before(async function () {
    await ensureSetup("test");
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-cli-e2e-"));
    chainDir = path.join(work, "chain");
    chain = await startLocalnet({ dataDir: chainDir });
    config = loadConfig({}, { dataDir: path.join(work, "sequencer"), circuit: "test", listen: "127.0.0.1:0", adminToken: ADMIN, rpcUrl: chain.rpcUrl, adminKeypair: chain.wallet, batchMaxAgeMs: 300, verifyWorkers: 1 });
    const submitter = createChainSubmitter(config, quietLogger(), { pollIntervalMs: 100 });
    const drop = await submitter.connection.requestAirdrop(submitter.walletPublicKey, 10 * LAMPORTS_PER_SOL);
    for (let i = 0; i < 100 && !(await submitter.connection.getSignatureStatuses([drop])).value[0]; i++) await new Promise((r) => setTimeout(r, 100));
    await submitter.ensureInitialized("test", fieldToHex(new NodeRegistry(circuitConfig("test").registryLevels).root));
    await submitter.close();
    seq = await startSequencer(true);
    env = { PROVENANCE_SEQUENCER_URL: seq.url, PROVENANCE_RPC_URL: chain.rpcUrl };
  });

  after(async function () {
    await seq?.stop();
    await chain?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("keygen writes a 0600 key; nodes add registers it with the admin token", async function () {
    const keygen = await cli(["keygen", "--json"], { cwd: work, env });
    expectExit(keygen, 0, "keygen");
    expect(statSync(path.join(work, "node-key.json")).mode & 0o777).to.equal(0o600);
    const nodeId = keygen.json!.nodeId as string;

    const missing = await cli(["nodes", "add", "--key", "node-key.json"], { cwd: work, env });
    expectExit(missing, 2, "nodes add without a token");
    expect(missing.stderr).to.contain("needs the sequencer's admin token: set PROVENANCE_ADMIN_TOKEN, pass --admin-token-file FILE");
    // Never from argv (visible in ps), and never from a file others can read.
    const onArgv = await cli(["nodes", "add", "--key", "node-key.json", "--admin-token", ADMIN], { cwd: work, env });
    expectExit(onArgv, 2, "nodes add --admin-token");
    expect(onArgv.stderr).to.contain("--admin-token is not accepted: a token on the command line is visible to every user in `ps`");
    writeFileSync(path.join(work, "open-token"), "wrong-token-0123456789\n", { mode: 0o644 });
    chmodSync(path.join(work, "open-token"), 0o644);
    const open = await cli(["nodes", "add", "--key", "node-key.json", "--admin-token-file", "open-token"], { cwd: work, env });
    expectExit(open, 2, "nodes add with a world-readable token file");
    expect(open.stderr).to.contain("has permissions 0644: too open; run chmod 600");
    writeFileSync(path.join(work, "wrong-token"), "wrong-token-0123456789\n", { mode: 0o600 });
    const refused = await cli(["nodes", "add", "--key", "node-key.json", "--admin-token-file", "wrong-token"], { cwd: work, env });
    expectExit(refused, 1, "nodes add with a wrong token");
    expect(refused.stderr).to.contain("401 UNAUTHORIZED").and.contain("wrong or missing admin token");

    const add = await cli(["nodes", "add", "--key", "node-key.json", "--json"], { cwd: work, env: { ...env, PROVENANCE_ADMIN_TOKEN: ADMIN } });
    expectExit(add, 0, "nodes add");
    expect(add.json).to.include({ nodeId, status: "active" });
    const get = await cli(["nodes", "get", nodeId], { cwd: work, env });
    expectExit(get, 0, "nodes get");
    expect(get.stdout).to.contain(nodeId).and.contain("active");
  });

  it("submit signs, checks each receipt, keeps it, and waits until anchored", async function () {
    const now = Date.now() - 60_000;
    const pages = Array.from({ length: 5 }, (_, i) => ({ url: `https://example.com/e2e/${i}`, timestamp: now + i, contentHash: fieldToHex(BigInt(i + 1)) }));
    writeFileSync(path.join(work, "pages.jsonl"), pages.map((p) => JSON.stringify(p)).join("\n") + "\n");
    const many = await cli(["submit", "--key", "node-key.json", "--observations", "pages.jsonl", "--receipts", "receipts.jsonl", "--wait", "--timeout", "300", "--json"], { cwd: work, env, timeoutMs: 400_000 });
    expectExit(many, 0, "submit --observations --wait");
    const records = many.json!.records as { id: string; seq: number; status: string; batch: number; receipt: { signature: string } }[];
    expect(records).to.have.length(5);
    expect(records.every((r) => r.status === "anchored")).to.equal(true);
    ids.push(...records.map((r) => r.id));

    writeFileSync(path.join(work, "page.html"), "<html>one page</html>");
    const one = await cli(["submit", "--key", "node-key.json", "--url", "https://example.com/one", "--content", "page.html", "--receipts", "receipts.jsonl"], { cwd: work, env });
    expectExit(one, 0, "submit --url");
    expect(one.stdout).to.match(/^[0-9a-f]{64} {2}seq 5 {2}pending/m);
    ids.push(one.stdout.slice(0, 64));
    const receipts = readFileSync(path.join(work, "receipts.jsonl"), "utf8").trim().split("\n");
    expect(receipts).to.have.length(6);
    // An anchoring sequencer's receipts bind the deployment (v2): this program on this chain.
    expect(JSON.parse(receipts[5]!)).to.include({ v: 2, id: ids[5], seq: 5, programId: seq.receiptDeployment!.programId });
    expect(JSON.parse(receipts[5]!).genesisHash).to.equal(await new Connection(chain.rpcUrl).getGenesisHash());

    const again = await cli(["submit", "--key", "node-key.json", "--observations", "pages.jsonl", "--json"], { cwd: work, env });
    expectExit(again, 0, "resubmit");
    expect((again.json!.records as { duplicate: boolean }[]).every((r) => r.duplicate)).to.equal(true);

    const status = await cli(["status", ids[5]!, "--wait", "--timeout", "300", "--json"], { cwd: work, env, timeoutMs: 400_000 });
    expectExit(status, 0, "status --wait");
    expect(status.json).to.include({ id: ids[5], status: "anchored" });
  });

  it("proof writes the served v2 bundle; verify checks it through the Accumulator", async function () {
    const proof = await cli(["proof", ids[0]!, "--out", "served.json"], { cwd: work, env });
    expectExit(proof, 0, "proof");
    const served = JSON.parse(readFileSync(path.join(work, "served.json"), "utf8")) as { v: number; id: string; record: { chunk?: { size: number; index: number } }; batch: { index: number }; accumulator: { position: number; siblings: string[] } };
    expect(served).to.include({ v: 2, id: ids[0] });
    // submit --observations signed the pages in chunks of the test family's size (2): the bundle
    // carries the record's place in its chunk, and verify checks the chunk signature.
    expect(served.record.chunk).to.deep.include({ size: 2, index: 0 });
    expect(served.accumulator.position).to.equal(served.batch.index);
    expect(served.accumulator.siblings).to.have.length(32);
    const verify = await cli(["verify", "served.json", "--no-tx", "--json"], { cwd: work, env });
    expectExit(verify, 0, "verify served.json");
    expect(verify.json).to.include({ ok: true, rootSource: "accumulator" });
    expect((verify.json!.checks as { name: string; ok: boolean }[]).find((c) => c.name === "chunk-signature")).to.deep.include({ ok: true });
    const checks = (verify.json!.checks as { name: string; ok: boolean }[]).filter((c) => c.name.startsWith("accumulator") || c.name === "batch-log");
    expect(checks.map((c) => [c.name, c.ok])).to.deep.equal([
      ["accumulator-path", true],
      ["accumulator", true],
    ]);
  });

  it("proof --bundle-version 1 writes the v1 bundle; verify passes it against the chain", async function () {
    const proof = await cli(["proof", ids[0]!, "--bundle-version", "1", "--out", "bundle.json"], { cwd: work, env });
    expectExit(proof, 0, "proof --bundle-version 1");
    const bundle = JSON.parse(readFileSync(path.join(work, "bundle.json"), "utf8")) as { v: number; id: string; cluster: string };
    expect(bundle.id).to.equal(ids[0]);
    expect(bundle.v).to.equal(1);
    expect(bundle).to.not.have.property("accumulator");

    const verify = await cli(["verify", "bundle.json"], { cwd: work, env });
    expectExit(verify, 0, "verify");
    expect(verify.stdout).to.contain("VALID: record").and.contain("on-chain BatchLog");
    const json = await cli(["verify", "bundle.json", "--json"], { cwd: work, env });
    expect(json.json).to.include({ ok: true, rootSource: "batch-log" });
  });

  it("proof --refresh makes the bundle v2 (statements from the sequencer, or the chain alone); verify checks it through the Accumulator", async function () {
    const batch = (JSON.parse(readFileSync(path.join(work, "bundle.json"), "utf8")) as { batch: { index: number } }).batch.index;
    for (const [out, extra, source] of [
      ["bundle-v2.json", [], "sequencer"],
      ["bundle-v2-chain.json", ["--from-chain"], "the chain"],
    ] as const) {
      const refresh = await cli(["proof", "--refresh", "bundle.json", "--out", out, ...extra, "--json"], { cwd: work, env });
      expectExit(refresh, 0, `proof --refresh ${extra.join(" ")}`);
      expect(refresh.json).to.include({ ok: true, batch, file: path.join(work, out) });
      expect(refresh.json!.source as string).to.match(new RegExp(`^${source}`));
      const v2 = JSON.parse(readFileSync(path.join(work, out), "utf8")) as { v: number; accumulator: { position: number; size: number; siblings: string[] } };
      expect(v2.v).to.equal(2);
      expect(v2.accumulator.position).to.equal(batch);
      expect(v2.accumulator.siblings).to.have.length(32);
      const verify = await cli(["verify", out, "--json"], { cwd: work, env });
      expectExit(verify, 0, `verify ${out}`);
      expect(verify.json).to.include({ ok: true, rootSource: "accumulator" });
      const checks = (verify.json!.checks as { name: string; ok: boolean }[]).filter((c) => c.name.startsWith("accumulator"));
      expect(checks.map((c) => [c.name, c.ok])).to.deep.equal([
        ["accumulator-path", true],
        ["accumulator", true],
      ]);
    }
    // The input bundle is left as it was (v1) when --out names another file.
    expect((JSON.parse(readFileSync(path.join(work, "bundle.json"), "utf8")) as { v: number }).v).to.equal(1);
    const both = await cli(["proof", ids[0]!, "--refresh", "bundle.json"], { cwd: work, env });
    expectExit(both, 2, "proof ID --refresh FILE");
  });

  it("verify fails a bundle with one changed byte, anywhere, and says what failed", async function () {
    const text = readFileSync(path.join(work, "bundle.json"), "utf8");
    // Three single files, for the exit code and the human message.
    const sig = text.indexOf('"signature": "') + 14 + 66; // in S (little-endian low bytes): still canonical
    const root = text.indexOf('"batchRoot": "') + 20;
    const slot = text.indexOf('"slot": ') + 8;
    for (const [at, expected] of [
      [sig, "signature does not verify"],
      [root, "leads to root"],
      [slot, "slot"],
    ] as const) {
      const changed = text.slice(0, at) + (text[at] === "1" ? "2" : "1") + text.slice(at + 1);
      writeFileSync(path.join(work, "tampered.json"), changed);
      const run = await cli(["verify", "tampered.json"], { cwd: work, env });
      expectExit(run, 1, `verify tampered at ${at}`);
      expect(run.stdout).to.contain("INVALID (").and.contain(expected);
    }
    writeFileSync(path.join(work, "tampered.json"), text.replace("{", "["));
    const broken = await cli(["verify", "tampered.json", "--json"], { cwd: work, env });
    expectExit(broken, 1, "verify a bundle that is no longer JSON");
    expect((broken.json!.failure as { code: string }).code).to.equal("INVALID_BUNDLE");

    // Every one-byte change of the bundle, one per manifest line, in one run.
    const compact = JSON.stringify(JSON.parse(text));
    const lines = [...oneByteChanges(compact)].map((c) => c.text);
    writeFileSync(path.join(work, "tampered.jsonl"), lines.join("\n") + "\n");
    const all = await cli(["verify", "tampered.jsonl", "--json", "--max-failures", "100000"], { cwd: work, env, timeoutMs: 600_000 });
    expectExit(all, 1, "verify every one-byte change");
    const report = all.json as { total: number; passed: number; failed: number; unavailable: number; failures: { line: number; code: string; message: string }[]; byCode: Record<string, number> };
    expect(report.total).to.equal(lines.length);
    expect(report.passed, "changes that went unnoticed").to.equal(0);
    expect(report.unavailable).to.equal(0);
    expect(report.failed).to.equal(lines.length);
    expect(report.failures.every((f) => f.message.length > 20)).to.equal(true);
    for (const c of ["INVALID_BUNDLE", "BAD_SIGNATURE", "PATH_MISMATCH", "PROGRAM_MISMATCH", "CLUSTER_MISMATCH", "TX_NOT_FOUND", "TX_MISMATCH"]) expect(report.byCode[c] ?? 0, c).to.be.greaterThan(0);
  });

  it("verifies a dataset manifest with each batch read once", async function () {
    const lines: string[] = [];
    for (const id of ids) {
      const proof = await fetch(`${seq.url}/v1/records/${id}/proof?version=1`);
      lines.push(JSON.stringify(await proof.json()));
    }
    writeFileSync(path.join(work, "dataset.jsonl"), lines.join("\n") + "\n");
    const run = await cli(["verify", "dataset.jsonl", "--json"], { cwd: work, env });
    expectExit(run, 0, "verify dataset");
    const r = run.json as { passed: number; batches: number; warnings: string[]; rpc: { accountReads: number; transactionReads: number } };
    expect(r.passed).to.equal(ids.length);
    // BatchLog once, and the deployment's Config once (the local dev stack: INSECURE test key,
    // reported as a warning on a local chain; its admin is the local wallet, not the sequencer).
    expect(r.rpc.accountReads).to.equal(2);
    expect(r.warnings).to.have.length(1);
    expect(r.warnings[0]).to.match(/INSECURE "test" key/);
    expect(r.warnings[0]).to.not.contain("admin is its sequencer key");
    expect(r.rpc.transactionReads).to.equal(r.batches);
  });

  it("audit passes: hash chain, proofs, data and receipts", async function () {
    const run = await cli(["audit", "--receipts", "receipts.jsonl", "--receipt-key", seq.receiptKey, "--json"], { cwd: work, env, timeoutMs: 300_000 });
    expectExit(run, 0, "audit");
    const r = run.json as {
      ok: boolean;
      chain: { batches: number; headMatches: boolean };
      registry: { changes: { kind: string; version: number; batch?: number }[] };
      proofs: { checked: number; valid: number };
      data: { matching: number; records: number };
      receipts: { anchored: number; checked: number };
    };
    expect(r.ok).to.equal(true);
    // The registry history from the chain alone: initialized, the node's root staged by the
    // sequencer (it holds the local admin key) and promoted by the first batch proven against it.
    const kinds = r.registry.changes.map((c) => c.kind);
    expect(kinds[0]).to.equal("initialize");
    expect(kinds).to.include("staged").and.include("promoted");
    expect(r.chain.headMatches).to.equal(true);
    expect(r.chain.batches).to.be.greaterThan(1);
    expect(r.proofs.valid).to.equal(r.chain.batches);
    expect(r.data.matching).to.equal(r.chain.batches);
    expect(r.data.records).to.equal(6);
    expect(r.receipts).to.include({ checked: 6, anchored: 6 });
    const human = await cli(["audit", "--skip-proofs", "--commitment", "finalized"], { cwd: work, env });
    expectExit(human, 0, "audit (human)");
    expect(human.stdout).to.contain("= Config.chain_head").and.contain("audit passed");
    expect(human.stdout).to.match(/registry: \d+ root change\(s\) from the chain alone \(1 initialize, \d+ staged, \d+ promoted\), ending at Config/);
    expect(human.stdout).to.contain('warn INSECURE_KEYS: the program verifies proofs with the INSECURE "test" key');
    // The sequencer never initializes as admin (H2): the admin is the local chain's wallet.
    expect(human.stdout).to.not.contain("ADMIN_IS_SEQUENCER");
  });

  it("audit fails after the sequencer's stored batch data is tampered with, and reports receipts never anchored", async function () {
    await seq.stop();
    // Change one stored record of batch 0 behind the sequencer's back (its URL).
    const db = new Level<string, { record: { url: string } }>(path.join(config.dataDir, "db"), { valueEncoding: "json" });
    const key = "r!" + "0".padStart(16, "0");
    const stored = await db.get(key);
    stored.record.url += "#tampered";
    await db.put(key, stored);
    await db.close();
    // Back up without a chain client: new records are promised (receipts) but never anchored.
    seq = await startSequencer(false);
    env.PROVENANCE_SEQUENCER_URL = seq.url;
    writeFileSync(path.join(work, "late.jsonl"), JSON.stringify({ url: "https://example.com/late", contentHash: fieldToHex(99n), timestamp: Date.now() - 1000 }) + "\n");
    const late = await cli(["submit", "--key", "node-key.json", "--observations", "late.jsonl", "--receipts", "receipts.jsonl"], { cwd: work, env });
    expectExit(late, 0, "submit to a sequencer that does not anchor");

    const run = await cli(["audit", "--receipts", "receipts.jsonl", "--receipt-key", seq.receiptKey, "--grace", "0", "--json"], { cwd: work, env, timeoutMs: 300_000 });
    expectExit(run, 1, "audit after tampering");
    const r = run.json as { ok: boolean; chain: { headMatches: boolean }; findings: { code: string; batch?: number; message: string }[] };
    expect(r.ok).to.equal(false);
    expect(r.chain.headMatches, "the chain itself is intact").to.equal(true);
    const data = r.findings.find((f) => f.code === "DATA_MISMATCH");
    expect(data, JSON.stringify(r.findings)).to.not.equal(undefined);
    expect(data!.batch).to.equal(0);
    // Batch 0's records were signed in chunks (submit --observations on the test family): the
    // changed URL breaks the record's chunk signature and its id, and the batch's root.
    expect(data!.message).to.contain("hashes to").and.contain("hash to root");
    const sig = r.findings.find((f) => f.code === "BAD_CHUNK_SIGNATURE");
    expect(sig, JSON.stringify(r.findings)).to.not.equal(undefined);
    expect(sig!.batch).to.equal(0);
    expect(sig!.message).to.contain("the chunk signature does not verify");
    const never = r.findings.find((f) => f.code === "RECEIPT_NOT_ANCHORED");
    expect(never, JSON.stringify(r.findings)).to.not.equal(undefined);
    expect(never!.message).to.contain("not on chain");

    const human = await cli(["audit", "--skip-proofs", "--receipts", "receipts.jsonl", "--receipt-key", seq.receiptKey, "--grace", "0"], { cwd: work, env });
    expectExit(human, 1, "audit (human) after tampering");
    expect(human.stdout).to.contain("FAIL DATA_MISMATCH batch 0").and.contain("audit FAILED");

    // A buyer holding the tampered record's bundle from this sequencer is refused too.
    const proof = await cli(["proof", ids[0]!, "--out", "tampered-bundle.json"], { cwd: work, env });
    expectExit(proof, 0, "proof from the tampered sequencer");
    const verify = await cli(["verify", "tampered-bundle.json"], { cwd: work, env });
    expectExit(verify, 1, "verify a bundle of tampered data");
  });
});
