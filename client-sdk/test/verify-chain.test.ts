/**
 * Verification against the chain: a real local chain, the program initialized, the real proven
 * batch of test-vectors/batch-test.json submitted as batch 0; bundles for its records verified
 * with one BatchLog read and one transaction read, and every one-byte change of a bundle caught
 * with the check that failed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Keypair, SystemProgram, Transaction, sendAndConfirmTransaction } from "@solana/web3.js";
import { expect } from "chai";
import { nextChainHead, verifyBundle, verifyBundles, GENESIS_HEAD, type InclusionBundle } from "../src/index.js";
import { ChainReader } from "../src/chain.js";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { anchorVector, bundlesFor, disconnect, oneByteChanges, type AnchoredVector } from "./helpers/bundles.js";

describe("inclusion bundles against the local chain", function () {
  this.timeout(600_000);
  let dataDir: string;
  let chain: Localnet;
  let anchored: AnchoredVector;
  let reader: ChainReader;

  before(async function () {
    dataDir = mkdtempSync(path.join(os.tmpdir(), "provenance-verify-chain-"));
    chain = await startLocalnet({ dataDir });
    anchored = await anchorVector(chain);
  });

  after(async function () {
    reader?.close();
    disconnect(anchored?.connection);
    await chain?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(function () {
    reader?.close();
    reader = new ChainReader({ connection: chain.rpcUrl, programId: chain.programId });
  });

  it("reads Config and BatchLog, owned by the program, and the chain rule matches Config", async function () {
    const config = await reader.config();
    expect(config).to.include({ circuit: "test", batchCapacity: 4, nextIndex: 1, totalRecords: 3, paused: false });
    expect(config.sequencer).to.equal(anchored.sequencer.publicKey.toBase58());
    expect(config.chainHead).to.equal(nextChainHead(GENESIS_HEAD, { index: 0, ...anchored.vector }));
    const log = await reader.readBatchLog();
    expect(log.nextIndex).to.equal(1);
    expect(log.roots[0]).to.equal(anchored.vector.batchRoot);
    const [tx] = (await reader.submitBatchTx(anchored.info.txSignature))!;
    expect(tx).to.include({ index: 0, batchRoot: anchored.vector.batchRoot, count: 3, minTs: anchored.vector.minTs, maxTs: anchored.vector.maxTs });
    expect(tx!.proofA).to.equal(anchored.vector.solana.proofA);
  });

  it("lists the program's transactions from the chain alone, newest first, and finds the batch's", async function () {
    const listed: { signature: string; slot: number; err: unknown }[] = [];
    for await (const t of reader.programTransactions()) listed.push(t);
    expect(listed.map((t) => t.signature)).to.include(anchored.info.txSignature);
    for (let i = 1; i < listed.length; i++) expect(listed[i - 1]!.slot).to.be.at.least(listed[i]!.slot);
    const submit = listed.find((t) => t.signature === anchored.info.txSignature)!;
    expect(submit).to.include({ slot: anchored.info.slot, err: null });
    // Each listed signature decodes back to the program's instruction from chain data only.
    const [tx] = (await reader.submitBatchTx(submit.signature))!;
    expect(tx).to.include({ index: 0, batchRoot: anchored.vector.batchRoot });
  });

  it("verifies every record of the batch with one BatchLog read, the deployment's Config once, and one transaction read", async function () {
    for (const b of anchored.bundles) {
      const r = await verifyBundle(b, { chain: reader });
      expect(r.ok, JSON.stringify(r.failure)).to.equal(true);
      expect(r.rootSource).to.equal("batch-log");
      expect(r.checks.map((c) => c.name)).to.deep.equal(["format", "signature", "leaf", "path", "window", "program", "cluster", "deployment", "account", "batch-log", "transaction"]);
      // The local chain's program runs on the INSECURE test key: reported, not failed, here.
      expect(r.warnings).to.have.length(1);
      expect(r.warnings[0]).to.match(/INSECURE "test" key, whose setup is public: anyone can forge its proofs \(a local chain: reported, not failed\)$/);
      expect(r.checks.find((c) => c.name === "deployment")).to.include({ ok: true, warning: true });
    }
    expect(reader.stats).to.deep.equal({ accountReads: 2, transactionReads: 1 });
  });

  it("fails a deployment on the insecure keys off the local chain, unless allowed; and one whose admin is its sequencer", async function () {
    // The same bundle naming its cluster by genesis hash, as a bundle of a non-local cluster does.
    const named = { ...anchored.bundles[0]!, cluster: await reader.genesisHash() };
    let r = await verifyBundle(named, { chain: reader });
    expect(r.failure).to.include({ code: "INSECURE_DEPLOYMENT", check: "deployment" });
    expect(r.failure!.message).to.match(/INSECURE "test" key.*accept it knowingly with allowInsecure/);
    r = await verifyBundle(named, { chain: reader, allowInsecure: true });
    expect(r.ok).to.equal(true);
    expect(r.warnings[0]).to.match(/\(accepted: allowInsecure\)$/);
    // admin == sequencer: the deployment as read says so too.
    const config = await reader.deployment();
    expect(config.admin).to.not.equal(config.sequencer);
  });

  it("a dataset of many bundles reads each batch once", async function () {
    const items = Array.from({ length: 300 }, (_, i) => ({ line: i + 1, json: anchored.bundles[i % 3] as unknown }));
    const report = await verifyBundles(items, { chain: reader, concurrency: 16 });
    expect(report).to.include({ total: 300, passed: 300, failed: 0, batches: 1 });
    expect(report.warnings).to.have.length(1);
    expect(reader.stats).to.deep.equal({ accountReads: 2, transactionReads: 1 });
  });

  it("refuses a look-alike program, an unknown batch, a foreign cluster and a transaction that is not the batch's", async function () {
    const b = anchored.bundles[0]!;
    const other = Keypair.generate().publicKey.toBase58();
    let r = await verifyBundle({ ...b, programId: other }, { chain: reader });
    expect(r.failure).to.include({ code: "PROGRAM_MISMATCH", check: "program" });

    const foreign = new ChainReader({ connection: chain.rpcUrl, programId: other });
    r = await verifyBundle({ ...b, programId: other }, { chain: foreign });
    expect(r.failure).to.include({ code: "ACCOUNT_MISSING", check: "account" });
    foreign.close();

    r = await verifyBundle({ ...b, cluster: "devnet" }, { chain: reader });
    expect(r.failure).to.include({ code: "CLUSTER_MISMATCH", check: "cluster" });
    expect(r.failure!.message).to.contain("EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG");

    r = await verifyBundle({ ...b, batch: { ...b.batch, index: 1 } }, { chain: reader });
    expect(r.failure).to.include({ code: "BATCH_NOT_ON_CHAIN", check: "batch-log" });

    // A real, successful transaction that is not a submit_batch.
    const payer = anchored.admin;
    const transfer = await sendAndConfirmTransaction(anchored.connection, new Transaction().add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1_000_000 })), [payer]);
    r = await verifyBundle({ ...b, txSignature: transfer }, { chain: reader });
    expect(r.failure).to.include({ code: "TX_MISMATCH", check: "transaction" });
    expect(r.failure!.message).to.contain("has no submit_batch instruction");
  });

  it("catches one changed byte anywhere in the bundle, and says what failed", async function () {
    const text = JSON.stringify(anchored.bundles[1]);
    const codes = new Map<string, number>();
    let n = 0;
    for (const change of oneByteChanges(text)) {
      let json: InclusionBundle;
      try {
        json = JSON.parse(change.text) as InclusionBundle;
      } catch {
        continue; // not JSON: the CLI's manifest reader reports it (tests/cli.test.ts)
      }
      const r = await verifyBundle(json, { chain: reader });
      expect(r.ok, `byte ${change.at} (${change.from} -> ${change.to}) went unnoticed: ${change.text.slice(Math.max(0, change.at - 30), change.at + 30)}`).to.equal(false);
      expect(r.failure!.code).to.not.be.oneOf(["RPC_ERROR", "UNREACHABLE"], r.failure!.message);
      codes.set(r.failure!.code, (codes.get(r.failure!.code) ?? 0) + 1);
      n++;
    }
    expect(n).to.be.greaterThan(1000);
    for (const c of ["BAD_SIGNATURE", "PATH_MISMATCH", "PROGRAM_MISMATCH", "CLUSTER_MISMATCH", "TX_NOT_FOUND", "TX_MISMATCH", "BATCH_NOT_ON_CHAIN"]) {
      expect(codes.get(c) ?? 0, `${c} in ${JSON.stringify([...codes])}`).to.be.greaterThan(0);
    }
  });

  it("without the transaction check it is one BatchLog read (and the deployment's Config once), and says the statement went unchecked", async function () {
    const r = await verifyBundle(anchored.bundles[2], { chain: reader, checkTransaction: false });
    expect(r.ok).to.equal(true);
    expect(r.checks.map((c) => c.name)).to.not.include("transaction");
    expect(reader.stats).to.deep.equal({ accountReads: 2, transactionReads: 0 });
  });

  it("a batch that has left the 256-root ring is checked through its transaction, and says so", async function () {
    // The ring cannot be driven past 256 real batches here (each needs a Groth16 proof), so the
    // reader is told the ring no longer holds batch 0; everything else is the real chain.
    class PastTheRing extends ChainReader {
      override async batchLogRoot(): Promise<string | null> {
        return null;
      }
    }
    const old = new PastTheRing({ connection: chain.rpcUrl, programId: chain.programId });
    try {
      const ok = await verifyBundle(anchored.bundles[0], { chain: old, checkTransaction: false });
      expect(ok.ok, JSON.stringify(ok.failure)).to.equal(true);
      expect(ok.rootSource).to.equal("transaction");
      expect(ok.checks.at(-1)!.detail).to.contain("has left the 256-root BatchLog ring");
      const b = anchored.bundles[0]!;
      // A self-consistent bundle of a batch that was never anchored, naming batch 0's transaction.
      const [forged] = bundlesFor(anchored.vector.records.slice(0, 2), 2, anchored.vector, anchored.info);
      const wrong = await verifyBundle({ ...forged!, batch: { ...forged!.batch, count: 3 } }, { chain: old, checkTransaction: false });
      expect(wrong.failure).to.include({ code: "ROOT_MISMATCH", check: "transaction" });
      const root = await old.batchRoot(0, b.txSignature);
      expect(root).to.include({ source: "transaction", root: b.batch.batchRoot });
      const missing = await old.batchRoot(0).catch((e: unknown) => e);
      expect((missing as Error).message).to.contain("its transaction signature is needed");
    } finally {
      old.close();
    }
  });

  it("reports an unreachable RPC as unavailable, not as a bad bundle", async function () {
    const dead = new ChainReader({ connection: "http://127.0.0.1:9", programId: chain.programId });
    const r = await verifyBundle(anchored.bundles[0], { chain: dead });
    expect(r.ok).to.equal(false);
    expect(r.failure!.code).to.equal("UNREACHABLE");
    expect(r.failure!.message).to.contain("cannot reach the Solana RPC at http://127.0.0.1:9");
    dead.close();
  });
});
