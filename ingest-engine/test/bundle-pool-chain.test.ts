/**
 * Dataset verification against the chain with a `BundlePool`: a real local chain with the real
 * proven batch of test-vectors/batch-test.json anchored as batch 0; a manifest of its bundles and
 * of tampered ones (offline failures, and failures only the chain finds: another program, a
 * batch not on chain, a statement that differs from the transaction's) gives the same report
 * with the pool as on one thread, with the same shared reads (one BatchLog read, one
 * transaction read for the whole dataset).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { InclusionBundle } from "@provenance/client-sdk";
import { ChainReader } from "@provenance/client-sdk/chain";
import { verifyManifest } from "@provenance/client-sdk/node";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { BundlePool } from "../src/bundle-pool.js";
import { anchorVector, disconnect, oneByteChanges, type AnchoredVector } from "../../client-sdk/test/helpers/bundles.js";

describe("BundlePool against the local chain: the single-thread report, the same shared reads", function () {
  this.timeout(900_000);
  let dir: string;
  let chain: Localnet;
  let anchored: AnchoredVector;
  let pool: BundlePool;

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "provenance-bundle-pool-chain-"));
    chain = await startLocalnet({ dataDir: path.join(dir, "chain") });
    anchored = await anchorVector(chain);
    pool = await BundlePool.create({ workers: 2, batchSize: 8 });
  });
  after(async function () {
    await pool?.close();
    disconnect(anchored?.connection);
    await chain?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("valid and tampered bundles: the same report, the same reads", async function () {
    const clone = (x: InclusionBundle): InclusionBundle => JSON.parse(JSON.stringify(x)) as InclusionBundle;
    const [b0, b1, b2] = anchored.bundles.map(clone) as [InclusionBundle, InclusionBundle, InclusionBundle];
    const lines: string[] = [];
    for (let i = 0; i < 30; i++) lines.push(JSON.stringify(anchored.bundles[i % 3]));
    const chainOnly: InclusionBundle[] = [
      { ...clone(b0), programId: "11111111111111111111111111111111" },
      { ...clone(b1), cluster: "devnet" },
      { ...clone(b2), slot: b2.slot + 1 },
      { ...clone(b0), batch: { ...b0.batch, index: 7 } },
    ];
    lines.push(...chainOnly.map((x) => JSON.stringify(x)));
    let k = 0;
    for (const change of oneByteChanges(JSON.stringify(b1))) if (k++ % 40 === 0) lines.push(change.text);
    lines.push("{not json");
    const file = path.join(dir, "chain.jsonl");
    writeFileSync(file, lines.join("\n") + "\n");

    const one = new ChainReader({ connection: chain.rpcUrl, programId: chain.programId });
    const many = new ChainReader({ connection: chain.rpcUrl, programId: chain.programId });
    try {
      const { elapsedMs: _a, ...reference } = await verifyManifest(file, { chain: one, maxFailures: 1000 });
      const { elapsedMs: _b, ...fast } = await verifyManifest(file, { chain: many, maxFailures: 1000, checker: pool });
      expect(fast).to.deep.equal(reference);
      expect(reference.passed).to.be.at.least(30);
      expect(reference.byCode).to.include.keys("PROGRAM_MISMATCH", "CLUSTER_MISMATCH", "TX_MISMATCH", "BAD_SIGNATURE", "INVALID_BUNDLE");
      expect(many.stats).to.deep.equal(one.stats);
    } finally {
      one.close();
      many.close();
    }
  });
});
