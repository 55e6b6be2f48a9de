/**
 * Dataset verification on every core (`BundlePool`, the native `BundleMath`) gives exactly the
 * SDK's results, bundle for bundle: the same checks with the same details, the same failure
 * code, check and message, for valid and tampered bundles of every kind (records signed alone,
 * chunk-signed records, version-2 bundles with an accumulator path), manifest lines that are not
 * JSON, and batches without a trusted root; and the same dataset report from `verifyManifest`.
 * Compared against the SDK's own single-thread path (WebAssembly Poseidon and verifier) in the
 * same process, natively and with the workers' WebAssembly fallback.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import {
  AccumulatorTree,
  accumulatorLeaf,
  buildShapedBatch,
  checkOffline,
  completeTrusted,
  fieldToHex,
  packPublicKey,
  parseRecord,
  signChunk,
  signRecord,
  validateChunk,
  verifyBundles,
  withAccumulatorPath,
  type BatchShape,
  type DatasetItem,
  type InclusionBundle,
  type OfflineCheck,
  type ParsedRecord,
  type TrustedRoots,
} from "@provenance/client-sdk";
import { verifyManifest } from "@provenance/client-sdk/node";
import { BundlePool } from "../src/bundle-pool.js";
import { nativeBundleMath } from "../src/bundle-math.js";
import { NATIVE_REQUIRED } from "../src/native-eddsa.js";
import { BASE_TS, contentHashOf, testNode, testRecord } from "../../tests/support/fixtures.js";
import { FAKE_ANCHOR, bundlesFor, oneByteChanges, shapedBundlesFor } from "../../client-sdk/test/helpers/bundles.js";
import { addPoints, smallOrderPoints, torsionGenerator } from "../../client-sdk/test/eddsa-helpers.js";

const a = testNode("bundle-pool-a");
const b = testNode("bundle-pool-b");
const STATEMENT = { registryRoot: "0".repeat(64), minTs: BASE_TS, maxTs: BASE_TS + 100_000_000 };

// Batch 0: 6 records signed alone by two nodes, a tree of 3 levels.
const alone = bundlesFor(
  Array.from({ length: 6 }, (_, i) => testRecord(i % 2 ? a : b, i).record),
  3,
  STATEMENT,
  { ...FAKE_ANCHOR, batchIndex: 0 },
);
// Batch 1: a shaped batch, a 3-record chunk of node a and a record of node b signed alone.
const SHAPE: BatchShape = { batchLevels: 3, chunkLevels: 2, signerSlots: 2 };
const observations = (n: number, label: string) => Array.from({ length: n }, (_, i) => ({ url: `https://example.com/${label}/${i}`, timestamp: BASE_TS + i, contentHash: contentHashOf(`${label} ${i}`) }));
const chunkGroup: ParsedRecord[] = validateChunk(signChunk(observations(3, "pool-chunk"), a.privateKey)).records;
const aloneGroup: ParsedRecord[] = [parseRecord(signRecord(observations(1, "pool-alone")[0]!, b.privateKey))];
const shapedBatch = buildShapedBatch([chunkGroup, aloneGroup], SHAPE, 7n);
const shaped = shapedBundlesFor(shapedBatch, { ...FAKE_ANCHOR, batchIndex: 1 });
// Batch 2: version-2 bundles (records signed alone and chunk-signed) with their paths to an
// accumulator of batches 0..2.
const statements = [alone[0]!, shaped[0]!].map((x) => x.batch);
const batch2 = bundlesFor(
  Array.from({ length: 2 }, (_, i) => testRecord(a, 100 + i).record),
  1,
  STATEMENT,
  { ...FAKE_ANCHOR, batchIndex: 2 },
);
const tree = new AccumulatorTree([...statements, batch2[0]!.batch].map((s) => accumulatorLeaf(s)));
const v2 = [
  ...batch2.map((x) => withAccumulatorPath(x, { position: 2, size: 3, root: tree.root, siblings: tree.path(2) })),
  withAccumulatorPath(shaped[1]!, { position: 1, size: 3, root: tree.root, siblings: tree.path(1) }),
];

const ROOTS = new Map<number, string>([
  [0, alone[0]!.batch.batchRoot],
  [1, fieldToHex(shapedBatch.statement.batchRoot)],
  [2, batch2[0]!.batch.batchRoot],
]);
const TRUST: TrustedRoots = { trustedRoots: ROOTS };

const clone = (x: InclusionBundle): InclusionBundle => JSON.parse(JSON.stringify(x)) as InclusionBundle;
type Tamperable = Omit<InclusionBundle, "record"> & { record: Record<string, unknown> };
function tampered(base: InclusionBundle, change: (x: Tamperable) => void): InclusionBundle {
  const x = clone(base);
  change(x as unknown as Tamperable);
  return x;
}
const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** Valid bundles of every kind, hand-made tampers of each check, and lines that are not bundles. */
function cases(): DatasetItem[] {
  const valid = [...alone, ...shaped, ...v2];
  const chunked = shaped[0]!;
  const small = hexOf(packPublicKey(smallOrderPoints()[4]));
  const torsioned = hexOf(packPublicKey(addPoints(a.publicKey, torsionGenerator())));
  const bundles: unknown[] = [
    ...valid,
    // format
    tampered(alone[0]!, (x) => delete x.record.url),
    tampered(alone[0]!, (x) => (x.record.extra = 1)),
    tampered(alone[0]!, (x) => (x.record.v = 2)),
    tampered(alone[0]!, (x) => (x.record.url = "")),
    tampered(alone[0]!, (x) => (x.record.timestamp = -1)),
    tampered(alone[0]!, (x) => (x.record.contentHash = "AB".repeat(32))),
    tampered(alone[0]!, (x) => (x.record.publicKey = small)),
    tampered(alone[0]!, (x) => (x.record.publicKey = torsioned)),
    tampered(alone[0]!, (x) => (x.record.publicKey = "ff".repeat(32))),
    tampered(alone[0]!, (x) => (x.record.signature = "ff".repeat(32) + (x.record.signature as string).slice(64))),
    tampered(alone[0]!, (x) => (x.record.signature = (x.record.signature as string).slice(0, 64) + "ff".repeat(32))),
    tampered(alone[0]!, (x) => (x.record.nodeId = alone[1]!.record.nodeId)),
    tampered(alone[0]!, (x) => (x.inclusionProof.siblings[1] = "f".repeat(64))),
    tampered(alone[0]!, (x) => (x.inclusionProof.index = 99)),
    tampered(alone[0]!, (x) => ((x as unknown as Record<string, unknown>).v = 3)),
    tampered(chunked, (x) => ((x.record.chunk as { index: number }).index = 9)),
    tampered(chunked, (x) => ((x.record.chunk as { size: number }).size = 17)),
    tampered(chunked, (x) => (x.record.chunk as { path: string[] }).path.pop()),
    tampered(chunked, (x) => ((x.record.chunk as { path: string[] }).path[0] = "f".repeat(64))),
    tampered(chunked, (x) => (x.record.signature = (x.record.chunk as { signature: string }).signature)),
    tampered(chunked, (x) => ((x.record.chunk as { signature: string }).signature = "ff".repeat(64))),
    // signature, chunk-signature
    tampered(alone[0]!, (x) => (x.record.url = `${x.record.url as string}x`)),
    tampered(alone[0]!, (x) => Object.assign(x.record, { publicKey: alone[1]!.record.publicKey, nodeId: alone[1]!.record.nodeId })),
    tampered(chunked, (x) => ((x.record.chunk as { index: number }).index = 1)),
    tampered(chunked, (x) => ((x.record.chunk as { size: number }).size = 4)),
    tampered(chunked, (x) => ((x.record.chunk as { path: string[] }).path = (shaped[1]!.record as { chunk: { path: string[] } }).chunk.path.slice())),
    // leaf, path, window
    tampered(alone[0]!, (x) => (x.id = alone[1]!.id)),
    tampered(alone[0]!, (x) => (x.inclusionProof.leaf = alone[1]!.id)),
    tampered(alone[0]!, (x) => (x.leafIndex = 1)),
    tampered(alone[0]!, (x) => ((x.leafIndex = 1), (x.inclusionProof.index = 1))),
    tampered(alone[0]!, (x) => ((x.leafIndex = 7), (x.inclusionProof.index = 7))),
    tampered(alone[0]!, (x) => (x.inclusionProof.siblings[2] = "0".repeat(64))),
    tampered(alone[0]!, (x) => (x.batch.count = 9)),
    tampered(alone[0]!, (x) => (x.batch.minTs = (x.record.timestamp as number) + 1)),
    // accumulator-path
    tampered(v2[0]!, (x) => (x.accumulator!.position = 3)),
    tampered(v2[0]!, (x) => (x.accumulator!.siblings[4] = "1".repeat(64))),
    tampered(v2[0]!, (x) => (x.accumulator!.root = "2".repeat(64))),
    tampered(v2[0]!, (x) => (x.batch.registryRoot = "3".repeat(64))),
    // trusted-root: a wrong root, a batch without one
    tampered(alone[0]!, (x) => (x.batch.index = 1)),
    tampered(alone[0]!, (x) => (x.batch.index = 5)),
    // not bundles
    null,
    42,
    [],
    {},
    "a string",
  ];
  const items: DatasetItem[] = bundles.map((json, i) => ({ line: i + 1, json }));
  // Manifest lines as text, one of them not JSON.
  items.push({ line: items.length + 1, text: JSON.stringify(alone[2]) }, { line: items.length + 2, text: "{not json" }, { line: items.length + 3, text: JSON.stringify(v2[2]) });
  return items;
}

/** Every well-formed one-character change of one bundle of each kind (every `step`th position). */
function byteChanges(step: number): DatasetItem[] {
  const items: DatasetItem[] = [];
  for (const base of [alone[3]!, shaped[2]!, v2[1]!]) {
    let k = 0;
    for (const change of oneByteChanges(JSON.stringify(base))) {
      if (k++ % step === 0) items.push({ line: items.length + 1, text: change.text });
    }
  }
  return items;
}

/** The SDK's answer on this thread: `checkOffline` with its own arithmetic, then `completeTrusted`. */
function reference(item: DatasetItem, trust: TrustedRoots | null): OfflineCheck {
  let json = item.json;
  if (item.text !== undefined && json === undefined) {
    try {
      json = JSON.parse(item.text) as unknown;
    } catch (e) {
      return { result: { ok: false, id: null, batchIndex: null, rootSource: null, checks: [], failure: { code: "INVALID_BUNDLE", check: "format", message: `line ${item.line} is not JSON (${(e as Error).message}): the file must hold one bundle per line` }, warnings: [] } };
    }
  }
  const offline = checkOffline(json);
  return trust !== null && "pending" in offline ? { result: completeTrusted(offline.pending, trust) } : offline;
}

function expectSame(items: DatasetItem[], got: OfflineCheck[], trust: TrustedRoots | null): void {
  expect(got).to.have.length(items.length);
  items.forEach((item, i) => expect(got[i], `item ${item.line}: ${item.text ?? JSON.stringify(item.json)?.slice(0, 300)}`).to.deep.equal(reference(item, trust)));
}

describe("BundlePool: dataset verification on every core, the SDK's results bundle for bundle", function () {
  this.timeout(600_000);
  let pool: BundlePool;
  let wasm: BundlePool;

  before(async function () {
    pool = await BundlePool.create({ workers: 2, batchSize: 16 });
    wasm = await BundlePool.create({ workers: 1, native: false });
  });
  after(async function () {
    await pool?.close();
    await wasm?.close();
  });

  it("the cases cover every kind and check: each valid bundle passes, each tamper fails where the SDK says", function () {
    const results = cases().map((item) => reference(item, TRUST));
    const passed = results.filter((r) => "result" in r && r.result.ok).length;
    expect(passed).to.equal(alone.length + shaped.length + v2.length + 2);
    const failed = new Set(results.flatMap((r) => ("result" in r && !r.result.ok ? [`${r.result.failure!.check}:${r.result.failure!.code}`] : [])));
    for (const expected of [
      "format:INVALID_RECORD",
      "format:INVALID_PUBLIC_KEY",
      "format:INVALID_SIGNATURE_ENCODING",
      "format:INVALID_CHUNK",
      "format:INVALID_BUNDLE",
      "format:INVALID_FIELD_ELEMENT",
      "signature:BAD_SIGNATURE",
      "chunk-signature:BAD_SIGNATURE",
      "leaf:ID_MISMATCH",
      "leaf:LEAF_MISMATCH",
      "path:INDEX_MISMATCH",
      "path:PATH_MISMATCH",
      "window:WINDOW_MISMATCH",
      "accumulator-path:ACCUMULATOR_PATH_MISMATCH",
      "trusted-root:ROOT_MISMATCH",
      "trusted-root:UNTRUSTED_BATCH",
    ]) {
      expect(failed, expected).to.include(expected);
    }
  });

  it("checks natively in its workers when the addon is built (else says why)", function () {
    if (!nativeBundleMath.math) {
      if (NATIVE_REQUIRED) throw new Error(`PROVENANCE_REQUIRE_NATIVE=1 but native bundle checks are unavailable: ${nativeBundleMath.reason}`);
      expect(pool.native).to.equal(false);
      expect(pool.reason).to.not.equal("loaded");
      this.skip();
    }
    expect(pool.native).to.equal(true);
    expect(pool.size).to.equal(2);
    expect(wasm.native).to.equal(false);
    expect(wasm.reason).to.contain("native: false");
  });

  it("gives the SDK's answer for every case, against trusted roots and for the chain's checks to finish", async function () {
    const items = cases();
    expectSame(items, await pool.check(items, TRUST), TRUST);
    expectSame(items, await pool.check(items, { trustedRoot: ROOTS.get(0)! }), { trustedRoot: ROOTS.get(0)! });
    expectSame(items, await pool.check(items, null), null);
    expectSame(items, await wasm.check(items, TRUST), TRUST);
  });

  it("gives the SDK's answer for every one-character change of a bundle of each kind", async function () {
    const items = byteChanges(2);
    expect(items.length).to.be.greaterThan(2000);
    const answers = await Promise.all([pool.check(items.slice(0, 1000), TRUST), pool.check(items.slice(1000), TRUST)]);
    expectSame(items, answers.flat(), TRUST);
    const failures = answers.flat().filter((r) => "result" in r && !r.result.ok).length;
    expect(failures, "nearly every change is caught").to.be.greaterThan(items.length * 0.9);
  });

  it("the native arithmetic alone: the same parsed record and verdict as parseRecord for every record of the cases", function () {
    const math = nativeBundleMath.math;
    if (!math) {
      if (NATIVE_REQUIRED) throw new Error(nativeBundleMath.reason);
      this.skip();
    }
    for (const item of cases()) {
      const record = (item.json as { record?: unknown } | undefined)?.record;
      if (record === undefined) continue;
      let want: unknown;
      let got: unknown;
      try {
        const p = parseRecord(record);
        want = { ...p, valid: math!.verifySignature(p) };
      } catch (e) {
        want = { error: (e as Error).message };
      }
      try {
        const p = math!.parseRecord(record);
        got = { ...p, valid: math!.verifySignature(p) };
      } catch (e) {
        got = { error: (e as Error).message };
      }
      expect(got, JSON.stringify(record)).to.deep.equal(want);
    }
  });

  it("memory stays bounded: at most parallelism × batchSize bundles read ahead of the ones reported", async function () {
    let read = 0;
    let done = 0;
    let ahead = 0;
    const total = 3000;
    const lines = [...alone, ...shaped, ...v2].map((x) => JSON.stringify(x));
    async function* stream(): AsyncGenerator<DatasetItem> {
      for (let i = 0; i < total; i++) {
        read++;
        ahead = Math.max(ahead, read - done);
        yield { line: i + 1, text: lines[i % lines.length]! };
      }
    }
    const report = await verifyBundles(stream(), { trustedRoots: ROOTS, checker: pool, onProgress: (d) => (done = d) });
    expect(report).to.include({ total, passed: total });
    expect(ahead).to.be.at.most(pool.parallelism * pool.batchSize);
    expect(ahead).to.be.at.least(pool.batchSize);
  });

  describe("verifyManifest with the pool", function () {
    let dir: string;
    before(function () {
      dir = mkdtempSync(path.join(os.tmpdir(), "provenance-bundle-pool-"));
    });
    after(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    it("reports what the single-thread path reports: counts, codes, failures by line, batches, sources", async function () {
      const items = [...cases(), ...byteChanges(25)];
      const lines = items.map((item) => item.text ?? JSON.stringify(item.json));
      const file = path.join(dir, "mixed.jsonl");
      writeFileSync(file, `# a comment\n\n${lines.join("\n")}\n`);
      const progress: number[] = [];
      for (const options of [{ trustedRoots: ROOTS }, { trustedRoot: ROOTS.get(1)! }]) {
        const { elapsedMs: _a, ...reference } = await verifyManifest(file, { ...options, maxFailures: 1000 });
        const { elapsedMs: _b, ...fast } = await verifyManifest(file, { ...options, maxFailures: 1000, checker: pool, onProgress: (done) => progress.push(done) });
        expect(fast).to.deep.equal(reference);
        expect(reference.total).to.equal(lines.length);
        expect(reference.failed).to.be.greaterThan(0);
      }
      // onProgress once per bundle, counting up to the total.
      expect(progress.slice(0, lines.length)).to.deep.equal(Array.from({ length: lines.length }, (_, i) => i + 1));
    });

    it("a manifest over three batches against a roots list with one root wrong and one batch missing", async function () {
      const file = path.join(dir, "three-batches.jsonl");
      writeFileSync(file, [...alone, ...shaped, ...v2].map((x) => JSON.stringify(x)).join("\n") + "\n");
      const roots = new Map(ROOTS);
      roots.set(1, "1".repeat(64));
      roots.delete(2);
      const report = await verifyManifest(file, { trustedRoots: roots, checker: pool });
      expect(report).to.include({ total: alone.length + shaped.length + v2.length, passed: alone.length, failed: shaped.length + v2.length, batches: 3 });
      // Batch 1: the shaped batch's bundles and the version-2 bundle of one of them; batch 2: the others.
      expect(report.byCode).to.deep.equal({ ROOT_MISMATCH: shaped.length + 1, UNTRUSTED_BATCH: v2.length - 1 });
      const untrusted = report.failures.find((f) => f.code === "UNTRUSTED_BATCH")!;
      expect(untrusted).to.include({ batchIndex: 2, check: "trusted-root" });
      expect(untrusted.message).to.equal("batch 2 has no trusted root: the 2 trusted root(s) given are for other batches (add this batch's root to the list, or verify against the chain)");
    });
  });
});
