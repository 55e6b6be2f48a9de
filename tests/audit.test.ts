/**
 * The auditor (SDK `audit`) against a real local chain and a real anchoring sequencer (test
 * circuit): a record anchored in two batches is reported (DUPLICATE_RECORD), and receipts are
 * checked against a key the auditor pins and against the audited deployment (a v2 receipt of
 * another program or cluster is refused with the reason; a v1 receipt still passes).
 *
 * The Accumulator account is recomputed from the log's batches; a tampered one (its bytes in
 * the local chain's account store edited while the chain is stopped) is ACCUMULATOR_MISMATCH.
 *
 * The duplicate is made the way a faulty or dishonest sequencer would: its id index entry is
 * removed from the LevelDB store while it is stopped, so the record posted again is sequenced
 * again and lands, proven and accepted by the program, in a second batch.
 */
import { createPrivateKey } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LAMPORTS_PER_SOL } from "@solana/web3.js";
import { expect } from "chai";
import { Level } from "level";
import { NodeRegistry, SequencerClient, fieldToHex, type Receipt } from "@provenance/client-sdk";
import { ChainReader } from "@provenance/client-sdk/chain";
import { audit, type AuditReport } from "@provenance/client-sdk/node";
import { circuitConfig } from "@provenance/circuits";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { ReceiptSigner, Sequencer, createChainSubmitter, loadConfig, type SequencerConfig } from "@provenance/sequencer";
import { publicKeyHex, quietLogger, recentRecord, tempDir, testNode } from "../sequencer/test/helpers.js";
import { ensureSetup } from "./support/circuit-setup.js";

const ADMIN = "audit-test-admin-token-0123456789";
/** Some other 32-byte base58 value: another program id, another cluster's genesis hash. */
const OTHER = "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG";

describe("auditor against a local chain and an anchoring sequencer", function () {
  this.timeout(900_000);
  const node = testNode("audit");
  let chain: Localnet;
  let dirs: ReturnType<typeof tempDir>;
  let config: SequencerConfig;
  let seq: Sequencer;
  let reader: ChainReader;
  const receipts: Receipt[] = [];
  const ids: string[] = [];

  async function startSequencer(): Promise<Sequencer> {
    const logger = quietLogger();
    const submitter = createChainSubmitter(config, logger, { pollIntervalMs: 100 });
    return Sequencer.start(config, { logger, submitter, retryBaseMs: 200, defaultMetrics: false });
  }

  const run = (options: Partial<Parameters<typeof audit>[0]> = {}): Promise<AuditReport> =>
    audit({ chain: reader, sequencer: new SequencerClient({ url: seq.url }), skipProofs: true, ...options });

  before(async function () {
    await ensureSetup("test");
    dirs = tempDir("audit");
    chain = await startLocalnet({ dataDir: path.join(dirs.dir, "chain") });
    config = loadConfig({}, { dataDir: path.join(dirs.dir, "sequencer"), circuit: "test", listen: "127.0.0.1:0", adminToken: ADMIN, rpcUrl: chain.rpcUrl, adminKeypair: chain.wallet, batchMaxAgeMs: 300, verifyWorkers: 1 });
    const submitter = createChainSubmitter(config, quietLogger(), { pollIntervalMs: 100 });
    await submitter.airdrop(10 * LAMPORTS_PER_SOL);
    await submitter.ensureInitialized("test", fieldToHex(new NodeRegistry(circuitConfig("test").registryLevels).root));
    await submitter.close();
    seq = await startSequencer();
    reader = new ChainReader({ connection: chain.rpcUrl });
  });

  after(async function () {
    reader?.close();
    await seq?.stop();
    await chain?.stop();
    dirs?.remove();
  });

  it("reports a record anchored in two batches, naming the id and both batches", async function () {
    const client = new SequencerClient({ url: seq.url, adminToken: ADMIN });
    await client.addNode(publicKeyHex(node));
    const first = await client.submitMany([recentRecord(node, 0), recentRecord(node, 1)]);
    ids.push(...first.map((r) => r.id));
    receipts.push(...first.map((r) => r.receipt));
    for (const id of ids) expect((await client.waitForAnchored(id, { timeoutMs: 300_000 })).batch).to.equal(0);
    const clean = await run();
    expect(clean.findings.filter((f) => f.code === "DUPLICATE_RECORD")).to.deep.equal([]);

    // The sequencer forgets it holds record 0 (its id index entry), and takes it again.
    await seq.stop();
    const db = new Level<string, unknown>(path.join(config.dataDir, "db"), { valueEncoding: "json" });
    await db.del(`i!${ids[0]}`);
    await db.close();
    seq = await startSequencer();
    const again = await new SequencerClient({ url: seq.url }).submit(recentRecord(node, 0));
    expect(again).to.include({ id: ids[0], seq: 2, duplicate: false });
    receipts.push(again.receipt);
    expect((await new SequencerClient({ url: seq.url }).waitForAnchored(ids[0]!, { timeoutMs: 300_000 })).batch).to.equal(1);

    const report = await run();
    expect(report.chain.headMatches, "the log itself is intact").to.equal(true);
    expect(report.data.matching).to.equal(2);
    const dup = report.findings.filter((f) => f.code === "DUPLICATE_RECORD");
    expect(dup).to.deep.equal([
      {
        severity: "error",
        code: "DUPLICATE_RECORD",
        batch: 1,
        message: `record ${ids[0]} is anchored in batch 0 (leaf 0) and again in batch 1 (leaf 0): the sequencer sequenced it twice, so Config.total_records counts it twice`,
      },
    ]);
    expect(report.ok).to.equal(false);
    expect(report.config.totalRecords).to.equal(3);
  });

  it("checks receipts against the pinned key and this deployment: another program's or cluster's is refused, v1 still passes", async function () {
    const deployment = { programId: reader.programId.toBase58(), genesisHash: await reader.genesisHash() };
    const [, r1, r0again] = receipts as [Receipt, Receipt, Receipt];
    expect(r1).to.include({ v: 2, ...deployment });
    // The same receipt key, signing for other deployments (a reused key), and as v1.
    const key = createPrivateKey(readFileSync(path.join(config.dataDir, "receipt-key.pem")));
    const otherProgram = new ReceiptSigner(key, { ...deployment, programId: OTHER }).sign(r1.id, r1.seq, r1.receivedAt);
    const otherCluster = new ReceiptSigner(key, { ...deployment, genesisHash: OTHER }).sign(r1.id, r1.seq, r1.receivedAt);
    const v1 = new ReceiptSigner(key).sign(r1.id, r1.seq, r1.receivedAt);

    const report = await run({ receipts: [r1, r0again, otherProgram, otherCluster, v1], receiptKey: seq.receiptKey });
    expect(report.receipts).to.deep.equal({ checked: 5, anchored: 3, pending: 0, dropped: 0, failed: 2, unchecked: 0 });
    const invalid = report.findings.filter((f) => f.code === "RECEIPT_INVALID").map((f) => f.message).sort();
    expect(invalid).to.deep.equal([
      `receipt 3: receipt is for program ${OTHER}, not the deployment checked (program ${deployment.programId}): a receipt of another deployment`,
      `receipt 4: receipt is for the cluster with genesis hash ${OTHER}, not the one checked (genesis hash ${deployment.genesisHash}): a receipt of another deployment`,
    ]);

    // Receipts need a key the auditor pinned: the audited sequencer's own answer is no evidence.
    const err = (await run({ receipts: [r1] }).then(
      () => null,
      (e: unknown) => e,
    )) as (Error & { code: string }) | null;
    expect(err).to.be.instanceOf(Error);
    expect(err!.code).to.equal("INVALID_CONFIG");
    expect(err!.message).to.contain("needs the sequencer's receipt key pinned by the auditor");
  });

  it("recomputes the Accumulator from the log's batches; a tampered Accumulator account is ACCUMULATOR_MISMATCH", async function () {
    const acc = await reader.readAccumulator();
    const clean = await run();
    expect(clean.accumulator).to.deep.equal({ startIndex: 0, size: 2, computedRoot: acc.root, onChainRoot: acc.root, matches: true });
    expect(clean.findings.filter((f) => f.code === "ACCUMULATOR_MISMATCH")).to.deep.equal([]);

    // The chain's stored Accumulator root (and its ring entry) changed while the chain is stopped.
    await seq.stop();
    reader.close();
    const port = Number(new URL(chain.rpcUrl).port);
    await chain.stop();
    const file = path.join(chain.dataDir, "accounts.bin");
    const bytes = readFileSync(file);
    const root = Buffer.from(acc.root, "hex");
    const forged = Buffer.from(root);
    forged[0] = forged[0]! ^ 0xff;
    let at = bytes.indexOf(root);
    let replaced = 0;
    for (; at >= 0; at = bytes.indexOf(root, at + 32), replaced++) forged.copy(bytes, at);
    expect(replaced).to.be.greaterThan(0);
    writeFileSync(file, bytes);
    chain = await startLocalnet({ dataDir: chain.dataDir, port });
    seq = await startSequencer();
    reader = new ChainReader({ connection: chain.rpcUrl });
    expect((await reader.readAccumulator()).root).to.equal(forged.toString("hex"));

    const report = await run();
    expect(report.chain.headMatches, "the log itself is intact").to.equal(true);
    expect(report.accumulator).to.include({ size: 2, computedRoot: acc.root, onChainRoot: forged.toString("hex"), matches: false });
    expect(report.findings.filter((f) => f.code === "ACCUMULATOR_MISMATCH")).to.deep.equal([
      {
        severity: "error",
        code: "ACCUMULATOR_MISMATCH",
        message: `recomputing the Accumulator over the 2 submit_batch transactions from batch 0 gives root ${acc.root}, but the Accumulator account holds root ${forged.toString("hex")}`,
      },
    ]);
    expect(report.ok).to.equal(false);
  });
});
