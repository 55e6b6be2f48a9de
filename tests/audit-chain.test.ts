/**
 * The auditor from chain data alone, against a real local chain and a real anchoring sequencer
 * (test circuit, proofs re-verified):
 *
 * - with the sequencer stopped the chain part (the log from getSignaturesForAddress and
 *   getTransaction, hash chain, proofs, registry history, BatchLog, Accumulator) passes in full
 *   and data availability is reported unchecked: DATA_UNCHECKED, `complete: false`, CLI exit 3;
 *   `--chain-only` is the same report, exit 0; receipts are checked for signature and deployment
 *   only (RECEIPTS_UNCHECKED);
 * - the sequencer's list is a cross-check: a batch it lists that the chain lacks (NOT_ON_CHAIN)
 *   and one the chain holds that it omits (BATCH_NOT_LISTED) are findings, made by editing the
 *   sequencer's LevelDB store while it is stopped;
 * - checkpoints: an audit writes one, more batches land, the resumed audit lists only the
 *   transactions since and checks only the new batches (counted in its report), with the same
 *   verdict as an audit from genesis; a corrupted, foreign or no-longer-matching checkpoint is
 *   refused, by the SDK and by the CLI (exit 2 or 1); a record anchored again after the
 *   checkpoint is still DUPLICATE_RECORD (the checkpoint keeps the anchored ids);
 * - on a terminal, progress bars with an ETA.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LAMPORTS_PER_SOL } from "@solana/web3.js";
import { expect } from "chai";
import { Level } from "level";
import { NodeRegistry, SequencerClient, fieldToHex } from "@provenance/client-sdk";
import { ChainReader } from "@provenance/client-sdk/chain";
import { audit, readAuditCheckpoint, sealAuditCheckpoint, writeAuditCheckpoint, type AuditCheckpoint, type AuditOptions, type AuditReport } from "@provenance/client-sdk/node";
import { circuitConfig } from "@provenance/circuits";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { nativeProver, verifyNative } from "@provenance/prover";
import { Sequencer, createChainSubmitter, loadConfig, type SequencerConfig } from "@provenance/sequencer";
import { publicKeyHex, quietLogger, recentRecord, tempDir, testNode } from "../sequencer/test/helpers.js";
import { ensureSetup } from "./support/circuit-setup.js";
import { cli, cliBin, expectExit } from "./support/cli.js";

const ADMIN = "audit-chain-test-admin-token-0123";
/** Some other 32-byte base58 value: another program id, another cluster's genesis hash. */
const OTHER = "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG";

describe("auditor from chain data alone (sequencer optional, checkpoints)", function () {
  this.timeout(1_200_000);
  const node = testNode("audit-chain");
  let chain: Localnet;
  let dirs: ReturnType<typeof tempDir>;
  let config: SequencerConfig;
  let seq: Sequencer | null = null;
  let seqUrl = "";
  /** The sequencer's receipt key, as a node pinned it. */
  let receiptKey = "";
  let reader: ChainReader;
  let n = 0;
  /** Every record posted, in order: its record, id and receipt. */
  const posted: { record: ReturnType<typeof recentRecord>; id: string; receipt: unknown }[] = [];

  async function startSequencer(): Promise<void> {
    const logger = quietLogger();
    const submitter = createChainSubmitter(config, logger, { pollIntervalMs: 100 });
    seq = await Sequencer.start(config, { logger, submitter, retryBaseMs: 200, defaultMetrics: false });
    seqUrl = seq.url;
    receiptKey = seq.receiptKey;
  }
  async function stopSequencer(): Promise<void> {
    await seq?.stop();
    seq = null;
  }
  /** Posts records and waits until they are anchored; returns the batch they landed in. */
  async function anchorBatch(records = 2): Promise<number> {
    const client = new SequencerClient({ url: seqUrl });
    const signed = Array.from({ length: records }, () => recentRecord(node, n++));
    const answers = await client.submitMany(signed);
    answers.forEach((a, k) => posted.push({ record: signed[k]!, id: a.id, receipt: a.receipt }));
    let batch = -1;
    for (const p of answers) batch = (await client.waitForAnchored(p.id, { timeoutMs: 600_000 })).batch!;
    return batch;
  }

  // Proofs re-verified (natively where the addon is built, else snarkjs): the chain part in full.
  const verifier: Partial<AuditOptions> = nativeProver.available ? { verifyProof: verifyNative as never, verifierName: "native" } : {};
  const run = (options: Partial<AuditOptions> = {}): Promise<AuditReport> =>
    audit({ chain: reader, sequencer: new SequencerClient({ url: seqUrl, retry: { attempts: 1 } }), ...verifier, ...options });
  const cliArgs = () => ["--rpc", chain.rpcUrl, "--sequencer", seqUrl, "--program-id", reader.programId.toBase58()];
  const codes = (r: AuditReport) => r.findings.map((f) => `${f.severity} ${f.code}${f.batch !== undefined ? ` ${f.batch}` : ""}`);
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: unknown) => e as Error & { code?: string },
    );

  before(async function () {
    await ensureSetup("test");
    dirs = tempDir("audit-chain");
    chain = await startLocalnet({ dataDir: path.join(dirs.dir, "chain") });
    config = loadConfig({}, { dataDir: path.join(dirs.dir, "sequencer"), circuit: "test", listen: "127.0.0.1:0", adminToken: ADMIN, rpcUrl: chain.rpcUrl, adminKeypair: chain.wallet, batchMaxAgeMs: 300, verifyWorkers: 1 });
    const submitter = createChainSubmitter(config, quietLogger(), { pollIntervalMs: 100 });
    await submitter.airdrop(10 * LAMPORTS_PER_SOL);
    await submitter.ensureInitialized("test", fieldToHex(new NodeRegistry(circuitConfig("test").registryLevels).root));
    await submitter.close();
    await startSequencer();
    reader = new ChainReader({ connection: chain.rpcUrl });
    await new SequencerClient({ url: seqUrl, adminToken: ADMIN }).addNode(publicKeyHex(node));
    expect(await anchorBatch()).to.equal(0);
    expect(await anchorBatch()).to.equal(1);
  });

  after(async function () {
    reader?.close();
    await stopSequencer();
    await chain?.stop();
    dirs?.remove();
  });

  it("with the sequencer stopped, passes the chain part in full and says data availability was not checked (CLI exit 3; --chain-only exit 0)", async function () {
    const full = await run();
    expect(full.ok, JSON.stringify(full.findings)).to.equal(true);
    expect(full.complete).to.equal(true);
    expect(full.data).to.include({ status: "checked", checked: 2, matching: 2, records: 4 });
    expect(full.chain).to.include({ batches: 2, from: 0, audited: 2, headMatches: true });
    // initialize, the registry root the node's registration set, two submit_batch at least.
    expect(full.chain.transactions).to.be.at.least(3);
    // Paging one signature at a time walks the same log.
    const paged = await run({ historyPageSize: 1 });
    expect(paged.chain).to.deep.equal(full.chain);
    expect(codes(paged)).to.deep.equal(codes(full));

    await stopSequencer();
    const down = await run();
    expect(down.ok, JSON.stringify(down.findings)).to.equal(true);
    expect(down.complete).to.equal(false);
    expect(down.chain).to.deep.equal(full.chain);
    expect(down.proofs).to.include({ checked: 2, valid: 2 });
    expect(down.registry?.changes).to.deep.equal(full.registry?.changes);
    expect(down.accumulator?.matches).to.equal(true);
    expect(down.sequencer.available).to.equal(false);
    expect(down.sequencer.error).to.match(/cannot reach the sequencer/);
    expect(down.data).to.include({ status: "unavailable", checked: 0 });
    const unchecked = down.findings.filter((f) => f.code === "DATA_UNCHECKED");
    expect(unchecked).to.have.length(1);
    expect(unchecked[0]).to.include({ severity: "warning" });
    expect(unchecked[0]!.message).to.match(/^data availability was not checked \(the sequencer could not be reached: cannot reach the sequencer/);
    // Receipts: their signatures and deployment still checked; whether anchored, not.
    const withReceipts = await run({ receipts: [...posted.map((p) => p.receipt), { ...(posted[0]!.receipt as object), seq: 99 }], receiptKey });
    expect(withReceipts.receipts).to.deep.equal({ checked: 5, anchored: 0, pending: 0, dropped: 0, failed: 1, unchecked: 4 });
    expect(withReceipts.findings.map((f) => f.code)).to.include.members(["RECEIPT_INVALID", "RECEIPTS_UNCHECKED"]);
    expect(withReceipts.findings.find((f) => f.code === "RECEIPTS_UNCHECKED")?.message).to.match(/^4 of 5 receipt\(s\) were checked only for their signature and deployment/);

    const chainOnly = await audit({ chain: reader, ...verifier });
    expect(chainOnly).to.include({ ok: true, complete: true, sequencerUrl: null });
    expect(chainOnly.chain).to.deep.equal(full.chain);
    expect(chainOnly.findings.find((f) => f.code === "DATA_UNCHECKED")?.message).to.contain("chain only: no sequencer was asked");

    const cliDown = await cli([...cliArgs(), "audit"], { timeoutMs: 300_000 });
    expectExit(cliDown, 3, "audit with the sequencer stopped");
    expect(cliDown.stdout).to.contain("= Config.chain_head").and.contain("data: NOT CHECKED (the sequencer could not be reached").and.contain("warn DATA_UNCHECKED").and.contain("audit INCOMPLETE");
    expect(cliDown.stderr, "no progress bar off a terminal").not.to.contain("checking batches");
    const cliJson = await cli([...cliArgs(), "audit", "--json"], { timeoutMs: 300_000 });
    expectExit(cliJson, 3, "audit --json with the sequencer stopped");
    expect(cliJson.json).to.include({ ok: true, complete: false });
    const cliChainOnly = await cli([...cliArgs(), "audit", "--chain-only"], { timeoutMs: 300_000 });
    expectExit(cliChainOnly, 0, "audit --chain-only");
    expect(cliChainOnly.stdout).to.contain("warn DATA_UNCHECKED").and.contain("audit passed");
    expect(cliChainOnly.stdout).not.to.contain("sequencer: unreachable");
    const both = await cli([...cliArgs(), "audit", "--chain-only", "--receipts", "r.jsonl", "--receipt-key", "00".repeat(32)]);
    expectExit(both, 2, "--chain-only with --receipts");
    expect(both.stderr).to.contain("--receipts needs the sequencer");
    await startSequencer();
  });

  it("cross-checks the sequencer's list: a batch it lists that the chain lacks, and one the chain holds that it omits, are findings", async function () {
    await stopSequencer();
    const db = new Level<string, unknown>(path.join(config.dataDir, "db"), { valueEncoding: "json" });
    // The store's batch keys (sequencer/src/store.ts): b!<index, 16 digits>.
    const key = (i: number) => `b!${String(i).padStart(16, "0")}`;
    expect(await db.keys({ gte: "b!", lt: "b!~" }).all()).to.deep.equal([key(0), key(1)]);
    const first = await db.get(key(0));
    const second = (await db.get(key(1))) as Record<string, unknown>;
    const nextBatch = await db.get("m!batch");
    await db.del(key(0));
    await db.put(key(2), { ...second, index: 2 });
    await db.put("m!batch", 3);
    await db.close();
    try {
      await startSequencer();
      const report = await run();
      expect(report.chain.headMatches, "the log itself is intact").to.equal(true);
      const cross = report.findings.filter((f) => ["BATCH_NOT_LISTED", "NOT_ON_CHAIN"].includes(f.code));
      expect(cross.map((f) => [f.code, f.batch])).to.deep.equal([
        ["BATCH_NOT_LISTED", 0],
        ["NOT_ON_CHAIN", 2],
      ]);
      expect(cross[0]!.message).to.match(/^the chain holds batch 0 \(transaction \w+\), but the sequencer does not list it$/);
      expect(cross[1]!.message).to.match(/^the sequencer says batch 2 is anchored \(transaction \w+\), but the chain has only 2 batches$/);
      expect(report.ok).to.equal(false);
    } finally {
      await stopSequencer();
      const restore = new Level<string, unknown>(path.join(config.dataDir, "db"), { valueEncoding: "json" });
      await restore.put(key(0), first);
      await restore.del(key(2));
      await restore.put("m!batch", nextBatch);
      await restore.close();
      await startSequencer();
    }
    const clean = await run();
    expect(clean.ok, JSON.stringify(clean.findings)).to.equal(true);
  });

  it("--checkpoint: a resumed audit lists and checks only what landed since, with the same verdict as an audit from genesis", async function () {
    const file = path.join(dirs.dir, "audit.ckpt");
    const save = (c: AuditCheckpoint) => writeAuditCheckpoint(file, c);
    const first = await run({ saveCheckpoint: save });
    expect(first.ok, JSON.stringify(first.findings)).to.equal(true);
    expect(first.checkpoint).to.deep.equal({ resumedFrom: null, verified: 2, written: true });
    const cp = readAuditCheckpoint(file)!;
    expect(cp).to.include({ programId: reader.programId.toBase58(), genesisHash: await reader.genesisHash(), verified: 2, head: first.chain.computedHead });
    expect(cp.last?.index).to.equal(1);
    expect(cp.checks).to.deep.equal({ proofs: true, registry: true, data: true });
    expect(cp.data?.records).to.equal(4);

    // Two more batches land.
    expect(await anchorBatch()).to.equal(2);
    expect(await anchorBatch()).to.equal(3);
    const resumed = await run({ checkpoint: readAuditCheckpoint(file), saveCheckpoint: save });
    const full = await run();
    expect(resumed.ok, JSON.stringify(resumed.findings)).to.equal(true);
    expect(resumed.chain).to.include({ batches: 4, from: 2, audited: 2, headMatches: true });
    expect(resumed.chain.transactions - resumed.chain.failedTransactions, "only the two submit_batch transactions since the checkpoint").to.equal(2);
    expect(full.chain).to.include({ batches: 4, from: 0, audited: 4 });
    expect(full.chain.transactions).to.equal(first.chain.transactions + resumed.chain.transactions);
    expect(resumed.proofs).to.include({ checked: 2, valid: 2 });
    expect(full.proofs).to.include({ checked: 4, valid: 4 });
    expect(resumed.data).to.include({ checked: 2, matching: 2, records: 4 });
    expect(full.data).to.include({ checked: 4, matching: 4, records: 8 });
    // The same verdict, head, registry history and Accumulator.
    expect(codes(resumed)).to.deep.equal(codes(full));
    expect(resumed.chain.computedHead).to.equal(full.chain.computedHead);
    expect(resumed.registry).to.deep.equal(full.registry);
    expect(resumed.accumulator).to.deep.equal(full.accumulator);
    expect(resumed.checkpoint).to.deep.equal({ resumedFrom: 2, verified: 4, written: true });
    expect(readAuditCheckpoint(file)).to.include({ verified: 4, head: full.chain.computedHead });

    // The CLI resumes from the same file: nothing new to check.
    const again = await cli([...cliArgs(), "audit", "--checkpoint", file], { timeoutMs: 300_000 });
    expectExit(again, 0, "audit --checkpoint (resumed)");
    expect(again.stdout).to.contain("hash chain: no batch since the checkpoint (batches 0..3 verified before)").and.contain(`checkpoint: ${file} written: batches 0..3 verified`).and.contain("audit passed");
  });

  it("refuses a corrupted, foreign or no-longer-matching checkpoint, saying why (SDK; CLI exit 2 or 1)", async function () {
    const file = path.join(dirs.dir, "audit.ckpt");
    const cp = readAuditCheckpoint(file)!;
    const { digest: _, ...body } = cp;
    const resume = (c: AuditCheckpoint) => refusal(run({ checkpoint: c }));

    // Edited by hand: the digest no longer matches.
    const edited = path.join(dirs.dir, "edited.ckpt");
    const text = readFileSync(file, "utf8");
    expect(text).to.contain(`"head": "${cp.head}"`);
    writeFileSync(edited, text.replace(`"head": "${cp.head}"`, `"head": "${"22".repeat(32)}"`));
    expect(() => readAuditCheckpoint(edited)).to.throw(/is not a usable audit checkpoint: its digest does not match its contents/);
    const cliEdited = await cli([...cliArgs(), "audit", "--checkpoint", edited]);
    expectExit(cliEdited, 2, "audit --checkpoint (edited)");
    expect(cliEdited.stderr).to.contain("digest does not match").and.contain("CHECKPOINT_INVALID");

    // Another program's, another cluster's.
    let e = await resume(sealAuditCheckpoint({ ...body, programId: OTHER }));
    expect(e).to.include({ code: "CHECKPOINT_FOREIGN" });
    expect(e!.message).to.equal(`the checkpoint is of program ${OTHER}, not of the program audited (${reader.programId.toBase58()})`);
    const foreign = path.join(dirs.dir, "foreign.ckpt");
    writeAuditCheckpoint(foreign, sealAuditCheckpoint({ ...body, genesisHash: OTHER }));
    e = await resume(readAuditCheckpoint(foreign)!);
    expect(e).to.include({ code: "CHECKPOINT_FOREIGN" });
    expect(e!.message).to.contain(`of the cluster with genesis hash ${OTHER}, but ${chain.rpcUrl} serves the cluster with genesis hash ${await reader.genesisHash()}`);
    const cliForeign = await cli([...cliArgs(), "audit", "--checkpoint", foreign]);
    expectExit(cliForeign, 2, "audit --checkpoint (foreign cluster)");

    // One the chain no longer agrees with: another head at its last batch, more batches than the chain holds.
    const wrongHead = sealAuditCheckpoint({ ...body, head: "11".repeat(32) });
    e = await resume(wrongHead);
    expect(e).to.include({ code: "CHECKPOINT_MISMATCH" });
    expect(e!.message).to.equal(`the chain head after batch ${cp.last!.index} is ${cp.head} by its transaction on chain, but the checkpoint says ${"11".repeat(32)}: the checkpoint does not match the chain`);
    const mismatch = path.join(dirs.dir, "mismatch.ckpt");
    writeAuditCheckpoint(mismatch, wrongHead);
    const cliMismatch = await cli([...cliArgs(), "audit", "--checkpoint", mismatch]);
    expectExit(cliMismatch, 1, "audit --checkpoint (head differs)");
    expect(cliMismatch.stderr).to.contain("CHECKPOINT_MISMATCH");
    e = await resume(sealAuditCheckpoint({ ...body, verified: cp.verified + 5, last: { ...cp.last!, index: cp.verified + 4 } }));
    expect(e).to.include({ code: "CHECKPOINT_MISMATCH" });
    expect(e!.message).to.contain(`has verified ${cp.verified + 5} batch(es), but the program's Config says the log holds ${cp.verified}`);

    // Written chain-only: resuming with data checks would leave its batches' data unchecked.
    e = await resume(sealAuditCheckpoint({ ...body, checks: { ...body.checks, data: false }, data: null }));
    expect(e).to.include({ code: "CHECKPOINT_INVALID" });
    expect(e!.message).to.contain("were verified without checking data availability");
    // The untouched checkpoint still resumes.
    const ok = await run({ checkpoint: cp });
    expect(ok.ok, JSON.stringify(ok.findings)).to.equal(true);
  });

  it("on a terminal draws a progress bar with an ETA for each stage; none with --json", async function () {
    // script(1) gives the CLI a real pseudo-terminal; its output is the terminal's (both streams).
    const onTerminal = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string; json: undefined }>((resolve, reject) => {
        const child = spawn("script", ["-qec", [cliBin(), ...cliArgs(), ...args].join(" "), "/dev/null"], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr, json: undefined }));
      });
    const tty = await onTerminal(["audit", "--chain-only"]);
    expectExit(tty, 0, "audit on a terminal");
    expect(tty.stdout).to.match(/reading transactions \[[#-]+\] 1\/\d+ .*ETA \d+/);
    expect(tty.stdout).to.match(/checking batches +\[[#-]+\] 1\/4 .*ETA \d+/);
    expect(tty.stdout).to.match(/checking batches +\[#+\] 4\/4/);
    expect(tty.stdout).to.contain("audit passed");
    const json = await onTerminal(["audit", "--chain-only", "--json"]);
    expectExit(json, 0, "audit --json on a terminal");
    expect(json.stdout).not.to.contain("checking batches");
    expect(json.stdout).not.to.contain("reading transactions");
    const quiet = await onTerminal(["audit", "--chain-only", "--no-progress"]);
    expect(quiet.stdout).not.to.contain("checking batches");
    expect(quiet.stdout).to.contain("audit passed");
  });

  it("a record anchored again after the checkpoint is DUPLICATE_RECORD in the resumed audit too (the checkpoint keeps the anchored ids)", async function () {
    const file = path.join(dirs.dir, "audit.ckpt");
    const cp = readAuditCheckpoint(file)!;
    expect(cp.verified).to.equal(4);
    // The sequencer forgets it holds record 0 (its id index entry) and takes it again: batch 4.
    await stopSequencer();
    const db = new Level<string, unknown>(path.join(config.dataDir, "db"), { valueEncoding: "json" });
    await db.del(`i!${posted[0]!.id}`);
    await db.close();
    await startSequencer();
    const again = await new SequencerClient({ url: seqUrl }).submit(posted[0]!.record);
    expect(again).to.include({ id: posted[0]!.id, duplicate: false });
    expect((await new SequencerClient({ url: seqUrl }).waitForAnchored(again.id, { timeoutMs: 600_000 })).batch).to.equal(4);

    const resumed = await run({ checkpoint: cp, saveCheckpoint: (c) => writeAuditCheckpoint(file, c) });
    const full = await run();
    expect(resumed.chain).to.include({ from: 4, audited: 1, headMatches: true });
    const expected = `record ${posted[0]!.id} is anchored in batch 0 (leaf 0) and again in batch 4 (leaf 0): the sequencer sequenced it twice, so Config.total_records counts it twice`;
    for (const r of [resumed, full]) {
      expect(r.ok).to.equal(false);
      expect(r.findings.filter((f) => f.code === "DUPLICATE_RECORD").map((f) => [f.batch, f.message])).to.deep.equal([[4, expected]]);
    }
    expect(codes(resumed)).to.deep.equal(codes(full));
    // The batch with the finding ends the verified prefix: the checkpoint stays at 4, so the next run checks it again.
    expect(resumed.checkpoint).to.deep.equal({ resumedFrom: 4, verified: 4, written: true });
    expect(readAuditCheckpoint(file)?.verified).to.equal(4);
  });
});
