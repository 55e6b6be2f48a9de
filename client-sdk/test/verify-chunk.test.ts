/**
 * Offline verification of bundles of chunk-signed records: real signed chunks and records signed
 * alone, laid out by `buildShapedBatch` (regions, holes between them), a bundle for every record
 * at its slot, verified against the trusted root; every tamper refused with the check that
 * caught it, and a dataset manifest mixing both record forms.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import {
  buildShapedBatch,
  checkBundle,
  CheckLog,
  fieldToHex,
  isChunkRecord,
  parseBundle,
  parseRecord,
  signChunk,
  signRecord,
  validateChunk,
  verifyBundle,
  verifyBundles,
  type BatchShape,
  type ChunkRecordV1,
  type InclusionBundle,
  type Observation,
  type ParsedRecord,
  type RecordV1,
} from "../src/index.js";
import { verifyManifest } from "../src/node/index.js";
import { BASE_TS, contentHashOf, testNode } from "../../tests/support/fixtures.js";
import { FAKE_ANCHOR, oneByteChanges, shapedBundlesFor } from "./helpers/bundles.js";

const a = testNode("verify-chunk-a");
const b = testNode("verify-chunk-b");
const REGISTRY_ROOT = 7n;

function observations(n: number, label: string, from = 0): Observation[] {
  return Array.from({ length: n }, (_, i) => ({
    url: `https://example.com/${label}/${from + i}`,
    timestamp: BASE_TS + from + i,
    contentHash: contentHashOf(`${label} ${from + i}`),
  }));
}

const chunkOf = (n: number, label: string, key = a.privateKey): ParsedRecord[] => validateChunk(signChunk(observations(n, label), key)).records;
const alone = (label: string, key = b.privateKey): ParsedRecord => parseRecord(signRecord(observations(1, label)[0]!, key));

/** A batch of `shape` from `groups`, its bundles (slot order) and its root. */
function shaped(groups: ParsedRecord[][], shape: BatchShape, batchIndex = 0): { bundles: InclusionBundle[]; root: string; slots: number[] } {
  const batch = buildShapedBatch(groups, shape, REGISTRY_ROOT);
  const bundles = shapedBundlesFor(batch, { ...FAKE_ANCHOR, batchIndex });
  return { bundles, root: fieldToHex(batch.statement.batchRoot), slots: bundles.map((x) => x.leafIndex) };
}

// Shape {2, 1, 2}: a record signed alone in region 0 (slot 1 a hole), a 2-record chunk in region 1.
const SMALL: BatchShape = { batchLevels: 2, chunkLevels: 1, signerSlots: 2 };
const small = shaped([[alone("small-alone")], chunkOf(2, "small-chunk")], SMALL);
// Shape {3, 2, 2}: a 3-record chunk in region 0 (slot 3 a hole), a record signed alone at slot 4.
const LARGE: BatchShape = { batchLevels: 3, chunkLevels: 2, signerSlots: 2 };
const large = shaped([chunkOf(3, "large-chunk"), [alone("large-alone")]], LARGE, 1);
// Another chunk of node a, for its paths and signature.
const otherChunk = chunkOf(2, "other-chunk").map((r) => r.record as ChunkRecordV1);

const clone = (x: InclusionBundle): InclusionBundle => JSON.parse(JSON.stringify(x)) as InclusionBundle;
const chunkRecord = (x: InclusionBundle): ChunkRecordV1 => x.record as ChunkRecordV1;

async function failure(json: unknown, trustedRoot: string) {
  const r = await verifyBundle(json, { trustedRoot });
  expect(r.ok, `expected a failure, got ${JSON.stringify(r.checks)}`).to.equal(false);
  return r;
}

describe("bundles of chunk-signed records, offline", function () {
  this.timeout(120_000);

  it("lays the shaped batches out with holes: leaf indexes are slots, some at or past count", function () {
    expect(small.slots).to.deep.equal([0, 2, 3]);
    expect(large.slots).to.deep.equal([0, 1, 2, 4]);
    expect(small.bundles.map((x) => isChunkRecord(x.record))).to.deep.equal([false, true, true]);
    expect(large.bundles.map((x) => isChunkRecord(x.record))).to.deep.equal([true, true, true, false]);
    expect(small.bundles[2]!.batch.count).to.equal(3);
    expect(large.bundles[3]!.batch.count).to.equal(4);
  });

  it("every record of both batches verifies against its trusted root, with the check for its signature form", async function () {
    for (const { bundles, root } of [small, large]) {
      for (const x of bundles) {
        const r = await verifyBundle(x, { trustedRoot: root });
        expect(r.ok, JSON.stringify(r.failure)).to.equal(true);
        expect(r.rootSource).to.equal("trusted-root");
        const chunked = isChunkRecord(x.record);
        expect(r.checks.map((c) => c.name)).to.deep.equal(["format", chunked ? "chunk-signature" : "signature", "leaf", "path", "window", "trusted-root"]);
        if (chunked) {
          const ref = chunkRecord(x).chunk;
          expect(r.chunk).to.deep.equal({ size: ref.size, index: ref.index });
          expect(r.checks[1]!.detail).to.contain(`index ${ref.index} of a chunk of ${ref.size}`);
        } else {
          expect(r).to.not.have.property("chunk");
        }
      }
    }
  });

  it("a chunk-signed bundle is self-contained, in the served shape, and parses back field for field", function () {
    const x = small.bundles[2]!;
    expect(Object.keys(x)).to.deep.equal(["v", "record", "id", "leafIndex", "inclusionProof", "batch", "programId", "cluster", "txSignature", "slot"]);
    expect(x.v).to.equal(1);
    expect(Object.keys(x.record)).to.deep.equal(["v", "url", "timestamp", "contentHash", "nodeId", "publicKey", "chunk"]);
    expect(Object.keys(chunkRecord(x).chunk)).to.deep.equal(["size", "index", "path", "signature"]);
    expect(chunkRecord(x).chunk.path).to.have.length(4);
    expect(parseBundle(JSON.parse(JSON.stringify(x)))).to.deep.equal(x);
    const log = new CheckLog();
    const checked = checkBundle(x, log);
    expect(checked.parsed.chunk).to.include({ size: 2, index: 1 });
    expect(log.checks.map((c) => c.name)).to.deep.equal(["format", "chunk-signature", "leaf", "path", "window"]);
  });

  it("names the check each tamper of a chunk-signed bundle fails", async function () {
    const base = small.bundles[2]!; // index 1 of the 2-record chunk, at slot 3
    const sibling = chunkRecord(small.bundles[1]!); // index 0 of the same chunk
    const v1 = small.bundles[0]!.record as RecordV1;
    const cases: [string, (x: InclusionBundle) => void, string, string][] = [
      // Another record's message.
      ["url", (x) => (x.record.url += "x"), "BAD_SIGNATURE", "chunk-signature"],
      ["timestamp", (x) => (x.record.timestamp += 1), "BAD_SIGNATURE", "chunk-signature"],
      ["contentHash", (x) => (x.record.contentHash = "0" + x.record.contentHash.slice(1)), "BAD_SIGNATURE", "chunk-signature"],
      ["the chunk sibling's message", (x) => Object.assign(x.record, { url: sibling.url, timestamp: sibling.timestamp, contentHash: sibling.contentHash }), "BAD_SIGNATURE", "chunk-signature"],
      // Another chunk's path or signature.
      ["another chunk's path", (x) => (chunkRecord(x).chunk.path = otherChunk[1]!.chunk.path.slice()), "BAD_SIGNATURE", "chunk-signature"],
      ["one sibling of the chunk path (a zero subtree made non-zero)", (x) => (chunkRecord(x).chunk.path[2] = otherChunk[0]!.chunk.path[0]!), "BAD_SIGNATURE", "chunk-signature"],
      ["another chunk's signature", (x) => (chunkRecord(x).chunk.signature = otherChunk[1]!.chunk.signature), "BAD_SIGNATURE", "chunk-signature"],
      // A moved record, a changed size.
      ["index moved", (x) => (chunkRecord(x).chunk.index = 0), "BAD_SIGNATURE", "chunk-signature"],
      ["index outside the chunk", (x) => (chunkRecord(x).chunk.index = 2), "INVALID_CHUNK", "format"],
      ["size grown", (x) => (chunkRecord(x).chunk.size = 3), "BAD_SIGNATURE", "chunk-signature"],
      ["size beyond 16", (x) => (chunkRecord(x).chunk.size = 17), "INVALID_CHUNK", "format"],
      ["path of 3", (x) => chunkRecord(x).chunk.path.pop(), "INVALID_CHUNK", "format"],
      // A chunk record turned into a record signed alone, with the chunk's signature.
      [
        "chunk ref dropped for its signature",
        (x) => {
          const { chunk, ...rest } = chunkRecord(x);
          x.record = { ...rest, signature: chunk.signature };
        },
        "BAD_SIGNATURE",
        "signature",
      ],
      ["signature beside the chunk ref", (x) => ((x.record as unknown as Record<string, unknown>).signature = v1.signature), "INVALID_RECORD", "format"],
      // The existing tampers: id, leaf index, path, root.
      ["id", (x) => (x.id = small.bundles[1]!.id), "ID_MISMATCH", "leaf"],
      ["proof leaf", (x) => (x.inclusionProof.leaf = small.bundles[1]!.id), "LEAF_MISMATCH", "leaf"],
      ["leafIndex", (x) => (x.leafIndex = 2), "INDEX_MISMATCH", "path"],
      ["moved to the hole at slot 1", (x) => ((x.leafIndex = 1), (x.inclusionProof.index = 1)), "PATH_MISMATCH", "path"],
      ["moved to the chunk's other slot", (x) => ((x.leafIndex = 2), (x.inclusionProof.index = 2)), "PATH_MISMATCH", "path"],
      ["sibling", (x) => (x.inclusionProof.siblings[0] = "0".repeat(64)), "INDEX_MISMATCH", "path"],
      ["batchRoot", (x) => (x.batch.batchRoot = "2".repeat(64)), "INDEX_MISMATCH", "path"],
      ["window", (x) => (x.batch.maxTs = x.record.timestamp - 1), "WINDOW_MISMATCH", "window"],
    ];
    for (const [what, change, code, check] of cases) {
      const x = clone(base);
      change(x);
      const r = await failure(x, small.root);
      expect(r.failure, what).to.include({ code, check });
      expect(r.checks.at(-1), what).to.include({ name: check, ok: false });
    }
    // A failed chunk signature says where the record claims to be.
    const moved = clone(base);
    chunkRecord(moved).chunk.index = 0;
    const r = await failure(moved, small.root);
    expect(r.failure!.message).to.match(/^the chunk signature does not verify for this record at index 0 of a chunk of 2 under the record's publicKey/);
    expect(r.chunk).to.deep.equal({ size: 2, index: 0 });
  });

  it("leaf indexes below count refuse a moved path with PATH_MISMATCH, at or past count with INDEX_MISMATCH", async function () {
    // Slot 1 of the small batch: below count 3 — the path decides (PATH_MISMATCH), as for a record signed alone.
    const x = clone(small.bundles[0]!);
    x.leafIndex = 1;
    x.inclusionProof.index = 1;
    expect((await failure(x, small.root)).failure).to.include({ code: "PATH_MISMATCH", check: "path" });
    // The record signed alone at slot 4 of the large batch (count 4) verifies; moved to 7, it does not.
    const ok = await verifyBundle(large.bundles[3]!, { trustedRoot: large.root });
    expect(ok.ok).to.equal(true);
    expect(ok.checks.find((c) => c.name === "path")!.detail).to.match(/^leaf 4 \(4 records in the batch\)/);
    const far = clone(large.bundles[3]!);
    far.leafIndex = 7;
    far.inclusionProof.index = 7;
    const f = (await failure(far, large.root)).failure!;
    expect(f).to.include({ code: "INDEX_MISMATCH", check: "path" });
    expect(f.message).to.match(/leafIndex 7 is not below the batch count 4, and the Merkle path from it leads to root/);
  });

  it("refuses a chunk ref grafted onto a record signed alone, and a record signed alone passed off as chunk-signed", async function () {
    const v1 = clone(small.bundles[0]!);
    const record = v1.record as RecordV1;
    // The record's message under another chunk's place and signature (the v1 signature removed).
    const { signature: _s, ...rest } = record;
    v1.record = { ...rest, chunk: { ...otherChunk[0]!.chunk } };
    expect((await failure(v1, small.root)).failure).to.include({ code: "BAD_SIGNATURE", check: "chunk-signature" });
    // Its own signature presented as a chunk signature of a chunk of 1.
    const own = clone(small.bundles[0]!);
    own.record = { ...rest, chunk: { size: 1, index: 0, path: otherChunk[0]!.chunk.path.slice(), signature: record.signature } };
    expect((await failure(own, small.root)).failure).to.include({ code: "BAD_SIGNATURE", check: "chunk-signature" });
    // Both at once is not a record.
    const both = clone(small.bundles[0]!);
    (both.record as unknown as Record<string, unknown>).chunk = { ...otherChunk[0]!.chunk };
    const f = (await failure(both, small.root)).failure!;
    expect(f).to.include({ code: "INVALID_RECORD", check: "format" });
    expect(f.message).to.contain('a chunk-signed record has "chunk" instead of "signature", not both');
  });

  it("refuses a different trusted root for a chunk-signed bundle", async function () {
    const f = (await failure(large.bundles[1]!, small.root)).failure!;
    expect(f).to.include({ code: "ROOT_MISMATCH", check: "trusted-root" });
  });

  it("catches one changed byte anywhere in a chunk-signed bundle's record, chunk ref, id, index, path or root", async function () {
    const x = large.bundles[1]!;
    const text = JSON.stringify(x);
    const chainOnly = (y: InclusionBundle): boolean =>
      JSON.stringify({ ...y, programId: x.programId, cluster: x.cluster, txSignature: x.txSignature, slot: x.slot, batch: { ...y.batch, index: x.batch.index, count: x.batch.count, minTs: x.batch.minTs, maxTs: x.batch.maxTs, registryRoot: x.batch.registryRoot } }) === text;
    const checks = new Map<string, number>();
    let n = 0;
    for (const change of oneByteChanges(text)) {
      let json: InclusionBundle;
      try {
        json = JSON.parse(change.text) as InclusionBundle;
      } catch {
        continue;
      }
      const r = await verifyBundle(json, { trustedRoot: large.root });
      if (r.ok && chainOnly(json)) continue;
      expect(r.ok, `byte ${change.at} (${change.from} -> ${change.to}) went unnoticed`).to.equal(false);
      checks.set(r.failure!.check, (checks.get(r.failure!.check) ?? 0) + 1);
      n++;
    }
    expect(n).to.be.greaterThan(1000);
    for (const c of ["format", "chunk-signature", "leaf", "path"]) expect(checks.get(c) ?? 0, c).to.be.greaterThan(0);
  });

  it("verifies a dataset mixing records signed alone and chunk-signed, by manifest and by stream, and names what failed", async function () {
    const all = [...small.bundles, ...large.bundles];
    const roots = new Map([
      [0, small.root],
      [1, large.root],
    ]);
    const dir = mkdtempSync(path.join(os.tmpdir(), "verify-chunk-"));
    try {
      const file = path.join(dir, "dataset.jsonl");
      writeFileSync(file, all.map((x) => JSON.stringify(x)).join("\n") + "\n");
      const report = await verifyManifest(file, { trustedRoots: roots, concurrency: 3 });
      expect(report).to.include({ total: 7, passed: 7, failed: 0, batches: 2 });

      const moved = clone(all[2]!);
      chunkRecord(moved).chunk.index = 0;
      const items = all.map((json, i) => ({ line: i + 1, json: i === 2 ? moved : json }));
      const mixed = await verifyBundles(items, { trustedRoots: roots, concurrency: 2 });
      expect(mixed).to.include({ total: 7, passed: 6, failed: 1 });
      expect(mixed.failures).to.have.length(1);
      expect(mixed.failures[0]).to.include({ line: 3, code: "BAD_SIGNATURE", check: "chunk-signature" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
