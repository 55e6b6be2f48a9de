/**
 * The store on a real LevelDB: sequencing, duplicates, indexes, sealing, registry, batch
 * states, and that everything is there again after closing and reopening.
 */
import { generateKeyPairSync } from "node:crypto";
import { expect } from "chai";
import { FixedMerkleTree, fieldToHex, hexToField, parseRecord, recordId, type DroppedNotice, type RecordV1 } from "@provenance/client-sdk";
import { ReceiptSigner, verifyReceipt } from "../src/receipt.js";
import { SequencerError } from "../src/errors.js";
import { Store, type NewRecord, type StoredDrop, type StoredProof } from "../src/store.js";
import { quietLogger, recentRecord, tempDir, testNode } from "./helpers.js";

const signer = new ReceiptSigner(generateKeyPairSync("ed25519").privateKey);
const nodeA = testNode("a");
const nodeB = testNode("b");

function newRecord(node = nodeA, n = 0): NewRecord {
  const parsed = parseRecord(recentRecord(node, n));
  return { id: recordId(parsed), nodeId: parsed.nodeId, record: parsed.record as RecordV1 };
}

describe("store (LevelDB)", () => {
  let t: ReturnType<typeof tempDir>;
  let clock: number;
  const open = () =>
    Store.open({ dir: t.dir, batchLevels: 2, registryLevels: 4, signer, logger: quietLogger(), now: () => clock });

  beforeEach(() => {
    t = tempDir("store");
    clock = 1_000_000;
  });
  afterEach(() => t.remove());

  it("sequences concurrent appends without gaps, with signed receipts, and keeps them across a reopen", async () => {
    const store = await open();
    await store.addNode(nodeA.nodeId);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.append([newRecord(nodeA, i)])));
    const seqs = results.map((r) => r[0]!.seq).sort((a, b) => a - b);
    expect(seqs).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const [r] of results) {
      expect(verifyReceipt(r!.receipt, signer.publicKeyHex)).to.equal(true);
      expect(r!.duplicate).to.equal(false);
    }
    await store.close();

    const again = await open();
    expect(again.recordCount).to.equal(10);
    for (const [r] of results) {
      const stored = await again.getRecord(r!.id);
      expect(stored?.seq).to.equal(r!.seq);
      expect(stored?.receipt).to.deep.equal(r!.receipt);
    }
    expect(again.currentRegistry.isActive(nodeA.nodeId)).to.equal(true);
    const [next] = await again.append([newRecord(nodeA, 10)]);
    expect(next!.seq).to.equal(10);
    await again.close();
  });

  it("answers a duplicate (same leaf) with the original receipt and stores nothing", async () => {
    const store = await open();
    await store.addNode(nodeA.nodeId);
    const [first] = await store.append([newRecord(nodeA, 1)]);
    clock += 5000;
    const [dup] = await store.append([newRecord(nodeA, 1)]);
    expect(dup).to.deep.equal({ ...first, duplicate: true });
    // Twice in one request, and in two requests of one group commit.
    const [x, y] = await store.append([newRecord(nodeA, 2), newRecord(nodeA, 2)]);
    expect(y!.receipt).to.deep.equal(x!.receipt);
    const [[p], [q]] = await Promise.all([store.append([newRecord(nodeA, 3)]), store.append([newRecord(nodeA, 3)])]);
    expect(q!.receipt).to.deep.equal(p!.receipt);
    expect(store.recordCount).to.equal(3);
    await store.close();
  });

  it("refuses a whole group when one record's node is not active, and writes nothing", async () => {
    const store = await open();
    await store.addNode(nodeA.nodeId);
    try {
      await store.append([newRecord(nodeA, 1), newRecord(nodeB, 1)]);
      expect.fail("expected a refusal");
    } catch (err) {
      expect(err).to.be.instanceOf(SequencerError);
      expect((err as SequencerError).code).to.equal("NODE_NOT_REGISTERED");
      expect((err as SequencerError).index).to.equal(1);
    }
    expect(store.recordCount).to.equal(0);
    expect(await store.getRecord(newRecord(nodeA, 1).id)).to.equal(undefined);
    await store.close();
  });

  it("indexes records by URL, content hash and node id", async () => {
    const store = await open();
    await store.addNode(nodeA.nodeId);
    await store.addNode(nodeB.nodeId);
    await store.append([newRecord(nodeA, 1), newRecord(nodeA, 2), newRecord(nodeB, 1)]);
    const a1 = newRecord(nodeA, 1).record;
    expect((await store.search({ url: a1.url }, 10)).map((r) => r.seq)).to.deep.equal([0]);
    // Page 1 has the same content for both nodes.
    expect((await store.search({ contentHash: a1.contentHash }, 10)).map((r) => r.seq)).to.deep.equal([0, 2]);
    expect((await store.search({ nodeId: a1.nodeId }, 10)).map((r) => r.seq)).to.deep.equal([0, 1]);
    expect((await store.search({ nodeId: a1.nodeId }, 1, 0)).map((r) => r.seq)).to.deep.equal([1]);
    expect((await store.search({ contentHash: a1.contentHash, nodeId: fieldToHex(nodeB.nodeId) }, 10)).map((r) => r.seq)).to.deep.equal([2]);
    expect(await store.search({ url: "https://nowhere.example/" }, 10)).to.deep.equal([]);
    await store.close();
  });

  it("reads at most a bounded number of index entries per search, and says where to go on", async () => {
    const store = await open();
    await store.addNode(nodeA.nodeId);
    await store.addNode(nodeB.nodeId);
    await store.append([newRecord(nodeA, 1), newRecord(nodeA, 2), newRecord(nodeB, 1), newRecord(nodeB, 3)]);
    const nodeIdB = fieldToHex(nodeB.nodeId);
    // Page 1's content (records 0 and 2, through the content index) of a node that has none.
    const filter = { contentHash: newRecord(nodeA, 1).record.contentHash, nodeId: "ab".repeat(32) };
    let page = await store.searchPage(filter, 10, -1, 1);
    expect(page).to.deep.equal({ records: [], cursor: 0 }); // stopped after one entry, not at the end
    page = await store.searchPage(filter, 10, page.cursor!, 1);
    expect(page).to.deep.equal({ records: [], cursor: 2 });
    page = await store.searchPage(filter, 10, page.cursor!, 1);
    expect(page).to.deep.equal({ records: [], cursor: null }); // the index is done
    // A page full of matches stops at the limit with the cursor on its last record.
    const full = await store.searchPage({ nodeId: nodeIdB }, 1);
    expect(full.records.map((r) => r.seq)).to.deep.equal([2]);
    expect(full.cursor).to.equal(2);
    await store.close();
  });

  it("seals full batches at once and a partial one when its first record is old enough", async () => {
    const store = await open();
    await store.addNode(nodeA.nodeId);
    await store.append([0, 1, 2, 3, 4, 5].map((n) => newRecord(nodeA, n)));
    const sealed = await store.sealDue(5000);
    expect(sealed.map((b) => [b.index, b.firstSeq, b.count])).to.deep.equal([[0, 0, 4]]);
    expect(store.pendingRecords).to.equal(2);
    expect(await store.sealDue(5000)).to.deep.equal([]);
    clock += 4999;
    expect(await store.sealDue(5000)).to.deep.equal([]);
    clock += 1;
    const late = await store.sealDue(5000);
    expect(late.map((b) => [b.index, b.firstSeq, b.count])).to.deep.equal([[1, 4, 2]]);

    // The stored root is the batch tree over the records' ids, in seq order.
    const records = await store.batchRecords(sealed[0]!);
    const root = new FixedMerkleTree(2, records.map((r) => hexToField(r.id, "id"))).root;
    expect(sealed[0]!.batchRoot).to.equal(fieldToHex(root));
    expect(sealed[0]!.registryRoot).to.equal(fieldToHex(store.currentRegistry.root));
    expect((await store.recordStatus(5)).status).to.equal("batched");
    expect((await store.recordStatus(5)).leafIndex).to.equal(1);
    await store.close();
  });

  it("persists batch states and the resume lists across a reopen", async () => {
    const store = await open();
    await store.addNode(nodeA.nodeId);
    await store.append([0, 1, 2, 3, 4, 5, 6, 7].map((n) => newRecord(nodeA, n)));
    await store.sealDue(5000);
    const signal = hexToField((await store.batch(1))!.publicHash, "publicHash").toString();
    const wrong = { circuit: "test", proof: { pi_a: ["1"], pi_b: [], pi_c: [] }, publicSignals: ["1"], solana: { proofA: "aa", proofB: "bb", proofC: "cc" }, provenAt: 5, proveMs: 1, witnessMs: 1 };
    const refused = await store.markProven(1, wrong).catch((e: unknown) => e as Error);
    expect((refused as Error).message).to.contain("is not batch 1's public hash");
    const proof = { ...wrong, publicSignals: [signal] };
    await store.markProven(1, proof);
    expect(store.unprovenRecords).to.equal(4);
    await store.close();

    const again = await open();
    expect(await again.waiting("batched")).to.deep.equal([0]);
    expect(await again.waiting("proven")).to.deep.equal([1]);
    expect(again.unprovenRecords).to.equal(4);
    expect((await again.batch(1))?.proof).to.deep.equal(proof);
    expect((await again.recordStatus(6)).status).to.equal("proven");
    await again.markAnchored(1, { txSignature: "sig", slot: 9, anchoredAt: 10, programId: "p", cluster: "localnet" });
    expect(await again.waiting("proven")).to.deep.equal([]);
    try {
      await again.markAnchored(0, { txSignature: "sig", slot: 9, anchoredAt: 10, programId: "p", cluster: "localnet" });
      expect.fail("a batched batch cannot become anchored");
    } catch (err) {
      expect((err as Error).message).to.equal("batch 0 is batched, not proven");
    }
    await again.close();
  });

  it("seals pending records before a revocation, under the registry they were accepted with", async () => {
    const store = await open();
    await store.addNode(nodeA.nodeId);
    await store.addNode(nodeB.nodeId);
    await store.append([newRecord(nodeA, 1), newRecord(nodeB, 1)]);
    const before = store.currentRegistry.root;
    const revoked = await store.revokeNode(nodeB.nodeId);
    expect(revoked.sealed.map((b) => [b.index, b.count, b.registryVersion])).to.deep.equal([[0, 2, 2]]);
    expect(revoked.sealed[0]!.registryRoot).to.equal(fieldToHex(before));
    expect(revoked.root).to.not.equal(before);
    expect((await store.registryAt(2)).isActive(nodeB.nodeId)).to.equal(true);
    expect(store.currentRegistry.isActive(nodeB.nodeId)).to.equal(false);
    await store.close();

    const again = await open();
    expect(again.currentRegistryVersion).to.equal(3);
    expect(again.currentRegistry.isActive(nodeB.nodeId)).to.equal(false);
    expect(again.currentRegistry.root).to.equal(revoked.root);
    expect((await again.registryAt(2)).root).to.equal(before);
    expect((await again.registryLog()).map((o) => o.op)).to.deep.equal(["add", "add", "revoke"]);
    await again.close();
  });

  it("re-seals a proven batch without dropped records, removes an emptied one and renumbers the later ones, durably", async () => {
    const store = await open();
    await store.addNode(nodeA.nodeId);
    await store.addNode(nodeB.nodeId);
    // Batch 0: B only; batch 1: A, B, A, B; batch 2: A (partial).
    await store.append([0, 1, 2, 3].map((n) => newRecord(nodeB, n)));
    await store.append([newRecord(nodeA, 10), newRecord(nodeB, 4), newRecord(nodeA, 11), newRecord(nodeB, 5), newRecord(nodeA, 12)]);
    await store.sealDue(0, true);
    const proofOf = async (i: number): Promise<StoredProof> => ({
      circuit: "test", proof: { pi_a: [], pi_b: [], pi_c: [] }, publicSignals: [hexToField((await store.batch(i))!.publicHash, "h").toString()], solana: { proofA: "", proofB: "", proofC: "" }, provenAt: 1, proveMs: 1, witnessMs: 1,
    });
    for (const i of [0, 1, 2]) await store.markProven(i, await proofOf(i));
    expect(store.unprovenRecords).to.equal(0);
    expect(store.unanchoredRecords).to.equal(9);
    const drop = (seq: number, id: string, batch: number): StoredDrop => ({ seq, id, batch, reason: "revoked", notice: { id, seq, batch } as unknown as DroppedNotice });
    const ids = async (i: number) => (await store.batchRecords((await store.batch(i))!)).map((r) => r.seq);

    // Batch 1 without B's records (seqs 5 and 7): same index, members listed, back to batched.
    const one = (await store.batch(1))!;
    const recs = await store.batchRecords(one);
    const kept = recs.filter((r) => r.record.nodeId === fieldToHex(nodeA.nodeId));
    const resealed = await store.resealBatch(1, {
      seqs: kept.map((r) => r.seq), registryVersion: 3, registryRoot: one.registryRoot, batchRoot: "11".repeat(32), minTs: 1, maxTs: 2, publicHash: "22".repeat(32),
      drops: recs.filter((r) => !kept.includes(r)).map((r) => drop(r.seq, r.id, 1)),
    });
    expect(resealed).to.include({ index: 1, state: "batched", count: 2, registryVersion: 3, firstSeq: 4 });
    expect(await ids(1)).to.deep.equal([4, 6]);
    expect(store.unanchoredRecords).to.equal(7);
    expect(store.unprovenRecords).to.equal(2);
    expect((await store.recordStatus(5)).status).to.equal("dropped");
    expect((await store.recordStatus(6))).to.deep.include({ status: "batched", leafIndex: 1 });

    // Batch 0: every record dropped; batches 1 and 2 become 0 and 1.
    const zero = (await store.batch(0))!;
    const zeroRecs = await store.batchRecords(zero);
    expect(await store.resealBatch(0, { ...resealed!, seqs: [], drops: zeroRecs.map((r) => drop(r.seq, r.id, 0)) })).to.equal(null);
    await store.close();

    const again = await open();
    expect(again.batchCount).to.equal(2);
    expect(await again.waiting("batched")).to.deep.equal([0]);
    expect(await again.waiting("proven")).to.deep.equal([1]);
    expect(again.unanchoredRecords).to.equal(3);
    expect((await again.batch(0))).to.include({ index: 0, firstSeq: 4, count: 2 });
    expect((await again.batch(1))).to.include({ index: 1, firstSeq: 8, count: 1, state: "proven" });
    expect(await again.batch(2)).to.equal(undefined);
    for (const seq of [0, 1, 2, 3, 5, 7]) expect((await again.recordStatus(seq)).status, `seq ${seq}`).to.equal("dropped");
    expect((await again.recordStatus(0)).drop?.batch).to.equal(0);
    expect((await again.recordStatus(6))).to.deep.include({ status: "batched", leafIndex: 1 });
    expect((await again.recordStatus(8))).to.deep.include({ status: "proven", leafIndex: 0 });
    // New batches continue after the renumbered ones.
    await again.append([newRecord(nodeA, 13)]);
    expect((await again.sealDue(0, true)).map((b) => b.index)).to.deep.equal([2]);
    await again.close();
  });
});
