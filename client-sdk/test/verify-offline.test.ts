/**
 * Offline verification of inclusion bundles: real signed records, real trees, the real proven
 * batch of test-vectors/batch-test.json; every tamper case fails with the check that caught it.
 */
import { expect } from "chai";
import {
  ProvenanceError,
  checkBundle,
  CheckLog,
  parseBundle,
  verifyBundle,
  verifyBundles,
  type InclusionBundle,
} from "../src/index.js";
import { BASE_TS, testNode, testRecord } from "../../tests/support/fixtures.js";
import { FAKE_ANCHOR, bundlesFor, loadVector, oneByteChanges } from "./helpers/bundles.js";

const vector = loadVector();
const bundles = bundlesFor(vector.records, vector.batchLevels, vector, FAKE_ANCHOR);
const ROOT = vector.batchRoot;

const clone = (b: InclusionBundle): InclusionBundle => JSON.parse(JSON.stringify(b)) as InclusionBundle;

async function failure(json: unknown, trustedRoot = ROOT) {
  const r = await verifyBundle(json, { trustedRoot });
  expect(r.ok, `expected a failure, got ${JSON.stringify(r.checks)}`).to.equal(false);
  return r.failure!;
}

describe("inclusion bundles, offline", function () {
  it("the SDK's bundles of the test vector lead to the proven batch root", async function () {
    for (const b of bundles) {
      const r = await verifyBundle(b, { trustedRoot: ROOT });
      expect(r.ok, JSON.stringify(r.failure)).to.equal(true);
      expect(r.rootSource).to.equal("trusted-root");
      expect(r.checks.map((c) => c.name)).to.deep.equal(["format", "signature", "leaf", "path", "window", "trusted-root"]);
    }
  });

  it("buildBundle gives the shape parseBundle reads, field for field and in the served order", function () {
    const b = bundles[1]!;
    expect(Object.keys(b)).to.deep.equal(["v", "record", "id", "leafIndex", "inclusionProof", "batch", "programId", "cluster", "txSignature", "slot"]);
    expect(Object.keys(b.batch)).to.deep.equal(["index", "batchRoot", "count", "minTs", "maxTs", "registryRoot"]);
    expect(parseBundle(JSON.parse(JSON.stringify(b)))).to.deep.equal(b);
    expect(b.leafIndex).to.equal(1);
    expect(b.id).to.equal(b.inclusionProof.leaf);
  });

  it("needs something to trust: a bundle's own root proves nothing", async function () {
    let err: unknown;
    try {
      await verifyBundle(bundles[0], {});
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ProvenanceError);
  });

  it("refuses a different trusted root", async function () {
    const f = await failure(bundles[0], "1".repeat(64));
    expect(f).to.include({ code: "ROOT_MISMATCH", check: "trusted-root" });
    expect(f.message).to.contain(`bundle's batchRoot ${ROOT} is not the trusted root`);
  });

  it("names each tampered field", async function () {
    const cases: [string, (b: InclusionBundle) => void, string, string][] = [
      ["url", (b) => (b.record.url += "x"), "BAD_SIGNATURE", "signature"],
      ["timestamp", (b) => (b.record.timestamp += 1), "BAD_SIGNATURE", "signature"],
      ["contentHash", (b) => (b.record.contentHash = "0" + b.record.contentHash.slice(1)), "BAD_SIGNATURE", "signature"],
      ["nodeId", (b) => (b.record.nodeId = bundles[1]!.record.nodeId), "INVALID_RECORD", "format"],
      ["another node's key and id", (b) => ((b.record.publicKey = bundles[1]!.record.publicKey), (b.record.nodeId = bundles[1]!.record.nodeId)), "BAD_SIGNATURE", "signature"],
      ["id", (b) => (b.id = bundles[1]!.id), "ID_MISMATCH", "leaf"],
      ["proof leaf", (b) => (b.inclusionProof.leaf = bundles[1]!.id), "LEAF_MISMATCH", "leaf"],
      ["leafIndex", (b) => (b.leafIndex = 1), "INDEX_MISMATCH", "path"],
      ["proof index", (b) => ((b.leafIndex = 1), (b.inclusionProof.index = 1)), "PATH_MISMATCH", "path"],
      ["padding position", (b) => ((b.leafIndex = 3), (b.inclusionProof.index = 3)), "INDEX_MISMATCH", "path"],
      ["sibling", (b) => (b.inclusionProof.siblings[1] = "0".repeat(64)), "PATH_MISMATCH", "path"],
      ["batchRoot", (b) => (b.batch.batchRoot = "2".repeat(64)), "PATH_MISMATCH", "path"],
      ["window", (b) => (b.batch.minTs = b.record.timestamp + 1), "WINDOW_MISMATCH", "window"],
      ["count too large", (b) => (b.batch.count = 5), "INDEX_MISMATCH", "path"],
      ["unknown field", (b) => ((b as unknown as Record<string, unknown>).extra = 1), "INVALID_BUNDLE", "format"],
      ["version", (b) => ((b as unknown as Record<string, unknown>).v = 2), "INVALID_BUNDLE", "format"],
      ["txSignature encoding", (b) => (b.txSignature = "0OIl"), "INVALID_BUNDLE", "format"],
    ];
    for (const [what, change, code, check] of cases) {
      const b = clone(bundles[0]!);
      change(b);
      const f = await failure(b);
      expect(f, what).to.include({ code, check });
      expect(f.message.length, what).to.be.greaterThan(20);
    }
  });

  it("catches one changed byte anywhere in the record, id, index, path or root", async function () {
    const b = bundles[2]!;
    const text = JSON.stringify(b);
    // What only the chain can bind (verify-chain.test.ts changes these bytes too).
    const chainOnly = (x: InclusionBundle): boolean =>
      JSON.stringify({ ...x, programId: b.programId, cluster: b.cluster, txSignature: b.txSignature, slot: b.slot, batch: { ...x.batch, index: b.batch.index, count: b.batch.count, minTs: b.batch.minTs, maxTs: b.batch.maxTs, registryRoot: b.batch.registryRoot } }) === text;
    let n = 0;
    let skipped = 0;
    const codes = new Map<string, number>();
    for (const change of oneByteChanges(text)) {
      let json: InclusionBundle;
      try {
        json = JSON.parse(change.text) as InclusionBundle;
      } catch {
        continue; // not JSON any more: the CLI reports that as INVALID_BUNDLE (tests/cli.test.ts)
      }
      const r = await verifyBundle(json, { trustedRoot: ROOT });
      if (r.ok && chainOnly(json)) {
        skipped++;
        continue;
      }
      expect(r.ok, `byte ${change.at} (${change.from} -> ${change.to}) went unnoticed`).to.equal(false);
      expect(r.failure!.message.length).to.be.greaterThan(10);
      codes.set(r.failure!.code, (codes.get(r.failure!.code) ?? 0) + 1);
      n++;
    }
    expect(n).to.be.greaterThan(800);
    expect(skipped).to.be.lessThan(250);
    for (const c of ["BAD_SIGNATURE", "INVALID_BUNDLE", "PATH_MISMATCH", "ID_MISMATCH", "INDEX_MISMATCH"]) expect(codes.get(c) ?? 0, c).to.be.greaterThan(0);
  });

  it("checkBundle reports its checks in order and parseBundle names the field", function () {
    const log = new CheckLog();
    const checked = checkBundle(bundles[1], log);
    expect(checked.bundle.id).to.equal(bundles[1]!.id);
    expect(log.checks.every((c) => c.ok)).to.equal(true);
    expect(() => parseBundle({ ...bundles[1], batch: { ...bundles[1]!.batch, count: -1 } })).to.throw(/batch.count must be a non-negative integer/);
    expect(() => parseBundle({ ...bundles[1], programId: "x" })).to.throw(/programId must be a base58 string/);
    expect(() => parseBundle([])).to.throw(/bundle must be a JSON object/);
  });

  it("verifies a dataset with bounded concurrency and sums failures by reason", async function () {
    // 3 batches of 4 records by 3 nodes; each batch has its own trusted root.
    const nodes = ["a", "b", "c"].map(testNode);
    const all: InclusionBundle[] = [];
    const roots = new Map<number, string>();
    for (let batch = 0; batch < 3; batch++) {
      const records = Array.from({ length: 4 }, (_, i) => testRecord(nodes[i % 3]!, batch * 4 + i, BASE_TS + batch * 4 + i).record);
      const bs = bundlesFor(records, 2, { registryRoot: "0".repeat(64), minTs: BASE_TS, maxTs: BASE_TS + 100 }, { ...FAKE_ANCHOR, batchIndex: batch });
      roots.set(batch, bs[0]!.batch.batchRoot);
      all.push(...bs);
    }
    const items: { line: number; json: unknown; parseError?: string }[] = all.map((json, i) => ({ line: i + 1, json }));
    items[4] = { line: 5, json: { ...all[4], id: all[5]!.id } };
    items[7] = { line: 8, json: null, parseError: "line 8 is not JSON: Unexpected token" };
    const tampered = clone(all[9]!);
    tampered.record.timestamp += 1;
    items[9] = { line: 10, json: tampered };
    let progress = 0;
    const report = await verifyBundles(items, { trustedRoots: roots, concurrency: 4, onProgress: (done) => (progress = done) });
    expect(report).to.include({ total: 12, passed: 9, failed: 3, unavailable: 0, batches: 3 });
    expect(report.byCode).to.deep.equal({ ID_MISMATCH: 1, INVALID_BUNDLE: 1, BAD_SIGNATURE: 1 });
    expect(report.failures.map((f) => f.line)).to.deep.equal([5, 8, 10]);
    expect(report.rootSources).to.deep.equal({ "trusted-root": 9 });
    expect(progress).to.equal(12);
  });
});
