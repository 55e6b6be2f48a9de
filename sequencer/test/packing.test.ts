/**
 * Packing pending groups into batches (docs/circuit-v2.md#packing), on the real store
 * (LevelDB in a temporary directory): a chunk is stored in one write and never split across
 * batches, the signer-slot limit K and the G regions of the shape hold, the better of the
 * family's two shapes is kept, each record's leaf index is its slot, and v1-only traffic gives
 * exactly today's batches. The batch root is checked against the SDK's `buildShapedBatch`.
 */
import { generateKeyPairSync } from "node:crypto";
import { expect } from "chai";
import { buildBatch, buildShapedBatch, fieldToHex, hexToField, parseChunk, parseRecord, publicHash, recordId, signChunk, type DroppedNotice, type ParsedRecord, type RecordV1 } from "@provenance/client-sdk";
import { contentHashOf } from "../../tests/support/fixtures.js";
import { buildStoredBatch } from "../src/pipeline.js";
import { ReceiptSigner } from "../src/receipt.js";
import { SHAPE_CHUNK, SHAPE_SINGLE, withChunkShape, type DeploymentShapes } from "../src/shapes.js";
import { SequencerError } from "../src/errors.js";
import { Store, batchSlots, type NewRecord, type StoredDrop } from "../src/store.js";
import type { TestNode } from "../../tests/support/fixtures.js";
import { quietLogger, recentRecord, tempDir, testNode } from "./helpers.js";

const signer = new ReceiptSigner(generateKeyPairSync("ed25519").privateKey);
const nodeA = testNode("pack-a");
const nodeB = testNode("pack-b");
const nodeC = testNode("pack-c");

/** B = 4 (the `test` capacity), chunk shape C = 2 (G = 2) with K signers; single shape K = 4. */
function shapes(chunkSigners = 2): DeploymentShapes {
  return withChunkShape(
    { code: SHAPE_SINGLE, circuit: "test", batchLevels: 2, chunkLevels: 0, signerSlots: 4, cost: 2 },
    { code: SHAPE_CHUNK, circuit: "test-chunk", batchLevels: 2, chunkLevels: 1, signerSlots: chunkSigners, cost: 1 },
  );
}

let counter = 0;
function chunkRecords(node: TestNode, n: number): { records: NewRecord[]; parsed: ParsedRecord[] } {
  const obs = Array.from({ length: n }, () => {
    const i = counter++;
    return { url: `https://example.com/pack/${i}`, timestamp: Date.now() - 3_600_000 + i, contentHash: Buffer.from(contentHashOf(`pack ${i}`)).toString("hex") };
  });
  const parsed = parseChunk(signChunk(obs, node.privateKey)).records;
  return { parsed, records: parsed.map((p) => ({ id: recordId(p), nodeId: p.nodeId, record: p.record })) };
}

function v1(node: TestNode, n: number): NewRecord {
  const p = parseRecord(recentRecord(node, n));
  return { id: recordId(p), nodeId: p.nodeId, record: p.record as RecordV1 };
}

describe("packing groups into batches (store, LevelDB)", () => {
  let t: ReturnType<typeof tempDir>;
  let store: Store;
  const open = (s?: DeploymentShapes) => Store.open({ dir: t.dir, batchLevels: 2, registryLevels: 4, signer, logger: quietLogger(), ...(s ? { shapes: s } : {}) });

  beforeEach(() => {
    t = tempDir("packing");
  });
  afterEach(async () => {
    await store?.close();
    t.remove();
  });

  async function register(...nodes: TestNode[]): Promise<void> {
    for (const n of nodes) await store.addNode(n.nodeId);
  }

  it("stores a chunk in one write with consecutive seqs, and refuses it whole when a record is already stored", async () => {
    store = await open(shapes());
    await register(nodeA);
    const alone = v1(nodeA, 1);
    await store.append([alone]);
    const chunk = chunkRecords(nodeA, 2);
    const results = await store.append(chunk.records, { chunk: true });
    expect(results.map((r) => r.seq)).to.deep.equal([1, 2]);
    const clash = chunkRecords(nodeA, 1).records;
    try {
      await store.append([...clash, alone], { chunk: true });
      expect.fail("expected a refusal");
    } catch (err) {
      expect(err).to.be.instanceOf(SequencerError);
      expect((err as SequencerError).code).to.equal("DUPLICATE_RECORD");
      expect((err as SequencerError).index).to.equal(1);
    }
    expect(store.recordCount).to.equal(3);
    expect(await store.getRecord(clash[0]!.id)).to.equal(undefined);
    // The same chunk twice in one group commit: one is stored, the other refused.
    const twice = chunkRecords(nodeA, 2).records;
    const settled = await Promise.allSettled([store.append(twice, { chunk: true }), store.append(twice, { chunk: true })]);
    expect(settled.map((s) => s.status).sort()).to.deep.equal(["fulfilled", "rejected"]);
    expect(store.recordCount).to.equal(5);
  });

  it("never splits a chunk: it takes the chunk shape's regions (slot g·C), the more records of the two shapes", async () => {
    store = await open(shapes());
    await register(nodeA, nodeB);
    const a0 = v1(nodeA, 0);
    const chunk = chunkRecords(nodeB, 2);
    const a1 = v1(nodeA, 1);
    await store.append([a0]);
    await store.append(chunk.records, { chunk: true });
    await store.append([a1]);
    // Full at once: the chunk shape holds a0 (region 0) and the chunk (region 1); the single shape only a0.
    const [first] = await store.sealDue(3_600_000);
    expect(first).to.deep.include({ index: 0, count: 3, shape: SHAPE_CHUNK, firstSeq: 0 });
    expect(batchSlots(first!)).to.deep.equal([0, 2, 3]);
    const expected = buildShapedBatch([[parseRecord(a0.record)], chunk.parsed], { batchLevels: 2, chunkLevels: 1, signerSlots: 2 }, store.currentRegistry.root);
    expect(first!.batchRoot).to.equal(fieldToHex(expected.statement.batchRoot));
    for (const [seq, slot] of [[0, 0], [1, 2], [2, 3]] as const) expect((await store.recordStatus(seq)).leafIndex).to.equal(slot);
    // The rebuilt batch (what the pipeline proves) matches the sealed root and slots.
    const rebuilt = buildStoredBatch(await store.batchRecords(first!), first!.shape, store.shapes, store.currentRegistry.root);
    expect(fieldToHex(rebuilt.batch.statement.batchRoot)).to.equal(first!.batchRoot);
    expect(rebuilt.slots).to.deep.equal([0, 2, 3]);
    // a1 waits for its age (or a forced seal); alone, both shapes hold it: the cheaper circuit wins.
    const [second] = await store.sealDue(0, true);
    expect(second).to.deep.include({ index: 1, count: 1, shape: SHAPE_CHUNK, firstSeq: 3 });
  });

  it("ends a batch before a chunk that does not fit, keeping v1 records in today's prefix layout", async () => {
    store = await open(shapes());
    await register(nodeA, nodeB);
    for (let i = 0; i < 3; i++) await store.append([v1(nodeA, 10 + i)]);
    const chunk = chunkRecords(nodeB, 2);
    await store.append(chunk.records, { chunk: true });
    const batches = await store.sealDue(0, true);
    expect(batches.map((b) => [b.count, b.shape, b.firstSeq])).to.deep.equal([
      [3, SHAPE_SINGLE, 0],
      [2, SHAPE_CHUNK, 3],
    ]);
    expect(batches[0]!.slots).to.equal(undefined);
    expect(batchSlots(batches[1]!)).to.deep.equal([0, 1]);
  });

  it("honours the signer-slot limit K: a chunk of a new signer past K starts the next batch", async () => {
    store = await open(shapes(1));
    await register(nodeA, nodeB, nodeC);
    const a = chunkRecords(nodeA, 1);
    const a2 = chunkRecords(nodeA, 1);
    const b = chunkRecords(nodeB, 2);
    const c = chunkRecords(nodeC, 1);
    for (const g of [a, a2, b, c]) await store.append(g.records, { chunk: true });
    // [a, a2]: one signer, two regions (full); [b]: B's chunk, then C's would be a second signer (full); [c] waits.
    const full = await store.sealDue(3_600_000);
    expect(full.map((m) => [m.count, m.shape, batchSlots(m)])).to.deep.equal([
      [2, SHAPE_CHUNK, [0, 2]],
      [2, SHAPE_CHUNK, [0, 1]],
    ]);
    expect(store.pendingRecords).to.equal(1);
    const [last] = await store.sealDue(0, true);
    expect(last).to.deep.include({ count: 1, shape: SHAPE_CHUNK, firstSeq: 4 });
  });

  it("v1-only traffic gives today's batches (prefix layout, single shape), with or without a chunk shape in the family", async () => {
    for (const s of [undefined, shapes()]) {
      t.remove();
      t = tempDir("packing");
      store = await open(s);
      await register(nodeA, nodeB);
      const recs = [v1(nodeA, 20), v1(nodeB, 20), v1(nodeA, 21), v1(nodeB, 21), v1(nodeA, 22)];
      for (const r of recs) await store.append([r]);
      const batches = await store.sealDue(3_600_000);
      expect(batches).to.have.length(1);
      // The single shape: byte 0 in a family of one, 1 beside a chunk shape.
      expect(batches[0]).to.deep.include({ count: 4, shape: s ? SHAPE_SINGLE : 0, firstSeq: 0 });
      expect(batches[0]!.slots).to.equal(undefined);
      const today = buildBatch(recs.slice(0, 4).map((r) => parseRecord(r.record)), 2, store.currentRegistry.root);
      expect(batches[0]!.batchRoot).to.equal(fieldToHex(today.statement.batchRoot));
      await store.close();
    }
  });

  it("re-seals a chunk-shaped batch without a dropped node's records: a chunk goes whole, the kept groups are placed again", async () => {
    store = await open(shapes());
    await register(nodeA, nodeB);
    const b0 = v1(nodeB, 30);
    const chunk = chunkRecords(nodeA, 2);
    await store.append([b0]);
    await store.append(chunk.records, { chunk: true });
    const [meta] = await store.sealDue(0, true);
    expect(batchSlots(meta!)).to.deep.equal([0, 2, 3]);
    const proof = { circuit: "test-chunk", proof: { pi_a: [], pi_b: [], pi_c: [] }, publicSignals: [hexToField(meta!.publicHash, "h").toString()], solana: { proofA: "", proofB: "", proofC: "" }, provenAt: 1, proveMs: 1, witnessMs: 1 };
    await store.markProven(0, proof);
    // B is dropped (as the pipeline's re-seal does for a node the chain's registry no longer has): A's chunk moves to region 0.
    const records = await store.batchRecords(meta!);
    const kept = records.filter((r) => r.record.nodeId === fieldToHex(nodeA.nodeId));
    const { batch, slots } = buildStoredBatch(kept, meta!.shape, store.shapes, store.currentRegistry.root);
    expect(slots).to.deep.equal([0, 1]);
    const drops: StoredDrop[] = [{ seq: 0, id: b0.id, batch: 0, reason: "revoked", notice: {} as DroppedNotice }];
    const resealed = await store.resealBatch(0, {
      seqs: [1, 2],
      registryVersion: meta!.registryVersion,
      registryRoot: meta!.registryRoot,
      batchRoot: fieldToHex(batch.statement.batchRoot),
      minTs: batch.statement.minTs,
      maxTs: batch.statement.maxTs,
      publicHash: fieldToHex(publicHash(batch.statement)),
      drops,
    });
    // Slots 0, 1 are the prefix layout: no slot list is kept.
    expect(resealed).to.deep.include({ count: 2, shape: SHAPE_CHUNK, seqs: [1, 2] });
    expect(resealed!.slots).to.equal(undefined);
    expect((await store.recordStatus(1)).leafIndex).to.equal(0);
    expect((await store.recordStatus(2)).leafIndex).to.equal(1);
    expect((await store.recordStatus(0)).status).to.equal("dropped");
    const rebuilt = buildStoredBatch(await store.batchRecords(resealed!), resealed!.shape, store.shapes, store.currentRegistry.root);
    expect(fieldToHex(rebuilt.batch.statement.batchRoot)).to.equal(resealed!.batchRoot);
  });
});
