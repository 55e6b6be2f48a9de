/**
 * The accumulator of batches (docs/on-chain.md#accumulator): offline, the SDK's tree against
 * the root the program computes (pinned in programs/provenance/tests/native.rs); on a real
 * local chain, more batches than the accumulator's ring of roots holds, then batch 0's bundle
 * refreshed from chain data alone and verified with one Accumulator read, and every tamper
 * refused with the check named.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import anchor from "@coral-xyz/anchor";
import { expect } from "chai";
import {
  ACCUMULATOR_ROOT_HISTORY,
  AccumulatorTree,
  PROVENANCE_IDL,
  accumulatorLeaf,
  chainStatementSource,
  refreshBundle,
  rootFromPath,
  verifyBundle,
  withAccumulatorPath,
  type AccumulatorStatement,
  type InclusionBundle,
  type Provenance,
  type StatementSource,
} from "../src/index.js";
import { ChainReader, submitBatchMethodArgs } from "../src/chain.js";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { anchorVector, disconnect, loadVector, type AnchoredVector } from "./helpers/bundles.js";

const { AnchorProvider, Program, Wallet } = anchor;

const statementOf = (index: number): AccumulatorStatement => {
  const v = loadVector();
  return { index, batchRoot: v.batchRoot, registryRoot: v.registryRoot, count: v.count, minTs: v.minTs, maxTs: v.maxTs };
};

describe("accumulator (offline)", function () {
  it("the root after 5 batches of the vector is the program's (native.rs ROOT_AFTER_5)", function () {
    const tree = new AccumulatorTree([0, 1, 2, 3, 4].map((i) => accumulatorLeaf(statementOf(i))));
    expect(tree.root).to.equal("f715e4eb03931c0e9e4754d4dc7bd96fca48f72b3658d7b4e7b6c5d36aca050c");
    for (let p = 0; p < 5; p++) expect(rootFromPath(accumulatorLeaf(statementOf(p)), p, tree.path(p))).to.equal(tree.root);
  });
});

describe("accumulator against the local chain", function () {
  this.timeout(900_000);
  const N = ACCUMULATOR_ROOT_HISTORY + 6;
  let dataDir: string;
  let chain: Localnet;
  let anchored: AnchoredVector;
  let reader: ChainReader;
  let bundle0: InclusionBundle;

  before(async function () {
    dataDir = mkdtempSync(path.join(os.tmpdir(), "provenance-accumulator-"));
    chain = await startLocalnet({ dataDir });
    anchored = await anchorVector(chain);
    // The same real proof, anchored as batches 1..N-1: the proof does not bind the index.
    const seq = new Program<Provenance>(PROVENANCE_IDL, new AnchorProvider(anchored.connection, new Wallet(anchored.sequencer), { commitment: "confirmed" }));
    for (let index = 1; index < N; index++) {
      await seq.methods
        .submitBatch(...submitBatchMethodArgs({ index, ...anchored.vector, ...anchored.vector.solana }))
        .accountsPartial({ sequencer: anchored.sequencer.publicKey })
        .rpc();
    }
    bundle0 = anchored.bundles[0]!;
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

  const leaves = () => Array.from({ length: N }, (_, i) => accumulatorLeaf(statementOf(i)));

  it("after N batches the on-chain accumulator root and size equal the SDK's", async function () {
    const acc = await reader.readAccumulator();
    expect(acc.size).to.equal(N);
    expect(acc.startIndex).to.equal(0);
    expect(acc.root).to.equal(new AccumulatorTree(leaves()).root);
  });

  it("batch 0's path to its first root has aged out: verify says a refresh is needed", async function () {
    const stale = withAccumulatorPath(bundle0, { position: 0, size: 1, root: new AccumulatorTree(leaves().slice(0, 1)).root, siblings: new AccumulatorTree(leaves().slice(0, 1)).path(0) });
    const r = await verifyBundle(stale, { chain: reader });
    expect(r.ok).to.equal(false);
    expect(r.failure).to.include({ check: "accumulator", code: "ACCUMULATOR_STALE" });
    expect(r.failure!.message).to.match(/refresh needed/);
  });

  it("refreshed from chain data alone, batch 0's bundle verifies with one Accumulator read", async function () {
    const fresh = await refreshBundle(bundle0, { chain: reader, source: chainStatementSource(reader) });
    expect(fresh.v).to.equal(2);
    expect(fresh.accumulator!.size).to.equal(N);
    const verifier = new ChainReader({ connection: chain.rpcUrl, programId: chain.programId });
    try {
      const r = await verifyBundle(JSON.parse(JSON.stringify(fresh)), { chain: verifier });
      expect(r.failure).to.equal(null);
      expect(r.rootSource).to.equal("accumulator");
      // Config (the deployment, once per reader) and the Accumulator; no transaction.
      expect(verifier.stats).to.deep.equal({ accountReads: 2, transactionReads: 0 });
      // The v1 bundle still verifies as before (through its transaction: batch 0 is still in BatchLog here).
      expect((await verifyBundle(bundle0, { chain: verifier })).ok).to.equal(true);
    } finally {
      verifier.close();
    }
  });

  it("verify refreshes a stale bundle when allowed, once per batch for a dataset", async function () {
    const t = new AccumulatorTree(leaves().slice(0, 1));
    const stale = withAccumulatorPath(bundle0, { position: 0, size: 1, root: t.root, siblings: t.path(0) });
    const r = await verifyBundle(stale, { chain: reader, refresh: chainStatementSource(reader) });
    expect(r.failure).to.equal(null);
    expect(r.refreshed!.accumulator!.size).to.equal(N);
  });

  it("refuses a forged path, a root never on chain, another batch's path and a lying source, naming the check", async function () {
    const fresh = await refreshBundle(bundle0, { chain: reader, source: chainStatementSource(reader) });
    const a = fresh.accumulator!;
    const forged = withAccumulatorPath(fresh, { ...a, siblings: a.siblings.map((s, i) => (i === 5 ? `${s[0] === "0" ? "1" : "0"}${s.slice(1)}` : s)) });
    let r = await verifyBundle(forged, { chain: reader });
    expect(r.failure).to.include({ check: "accumulator-path", code: "ACCUMULATOR_PATH_MISMATCH" });

    // The forger recomputes the root its path leads to: a root the chain never held.
    r = await verifyBundle(withAccumulatorPath(forged, { ...forged.accumulator!, root: rootFromPath(accumulatorLeaf(fresh.batch), 0, forged.accumulator!.siblings) }), { chain: reader });
    expect(r.failure).to.include({ check: "accumulator", code: "ACCUMULATOR_ROOT_UNKNOWN" });

    // Batch 1's path (its position) on batch 0's bundle.
    const tree = new AccumulatorTree(leaves());
    r = await verifyBundle(withAccumulatorPath(fresh, { position: 1, size: N, root: tree.root, siblings: tree.path(1) }), { chain: reader });
    expect(r.failure).to.include({ check: "accumulator-path", code: "ACCUMULATOR_PATH_MISMATCH" });
    // Batch 1's siblings at batch 0's position.
    r = await verifyBundle(withAccumulatorPath(fresh, { position: 0, size: N, root: tree.root, siblings: tree.path(1) }), { chain: reader });
    expect(r.failure).to.include({ check: "accumulator-path", code: "ACCUMULATOR_PATH_MISMATCH" });

    // A source that serves one altered statement cannot refresh anything.
    const honest = chainStatementSource(reader);
    const liar: StatementSource = { name: "a lying archive", statements: async (from, to) => (await honest.statements(from, to)).map((s) => (s.index === 3 ? { ...s, count: s.count + 1 } : s)) };
    let err: unknown;
    try {
      await refreshBundle(bundle0, { chain: reader, source: liar });
    } catch (e) {
      err = e;
    }
    expect(err).to.have.property("code", "ACCUMULATOR_ROOT_UNKNOWN");
  });
});
