/**
 * The auditor's data-availability check of one batch (`checkBatchRecords`), on the records a
 * sequencer serves at `GET /v1/batches/:index/records`: real signed chunks and records signed
 * alone, real trees. A batch of the single shape (no leaf indexes) checks as it always did; a
 * chunk-shape batch is checked at its slots, every chunk-signed record with its chunk signature
 * (BAD_CHUNK_SIGNATURE), every chunk whole (CHUNK_INCOMPLETE) and in place (CHUNK_MISPLACED).
 */
import { expect } from "chai";
import {
  buildBatch,
  buildShapedBatch,
  fieldToHex,
  FixedMerkleTree,
  parseRecord,
  recordId,
  recordSlots,
  signChunk,
  signRecord,
  validateChunk,
  type Batch,
  type BatchRecords,
  type ChunkRecordV1,
  type Observation,
  type ParsedRecord,
} from "../src/index.js";
import { checkBatchRecords, type BatchRecordsCheck } from "../src/node/index.js";
import { BASE_TS, contentHashOf, testNode } from "../../tests/support/fixtures.js";

const a = testNode("audit-data-a");
const b = testNode("audit-data-b");

function observations(n: number, label: string): Observation[] {
  return Array.from({ length: n }, (_, i) => ({ url: `https://example.com/${label}/${i}`, timestamp: BASE_TS + i, contentHash: contentHashOf(`${label} ${i}`) }));
}
const chunkOf = (n: number, label: string): ParsedRecord[] => validateChunk(signChunk(observations(n, label), a.privateKey)).records;
const alone = (label: string): ParsedRecord => parseRecord(signRecord(observations(1, label)[0]!, b.privateKey));

type Served = BatchRecords["records"];
const WINDOW = { minTs: BASE_TS, maxTs: BASE_TS + 100 };

/** What an honest sequencer serves for a shaped batch: the records at their slots, with them. */
function servedOf(batch: Batch): { records: Served; onChain: { batchRoot: string; count: number; minTs: number; maxTs: number } } {
  const records = recordSlots(batch).map((slot, seq) => ({ id: recordId(batch.slots[slot]!), seq, record: batch.slots[slot]!.record, leafIndex: slot }));
  const s = batch.statement;
  return { records, onChain: { batchRoot: fieldToHex(s.batchRoot), count: s.count, minTs: s.minTs, maxTs: s.maxTs } };
}

/** Records placed at the given slots of a tree of 2^levels, whatever the layout (what a faulty sequencer could anchor). */
function placed(levels: number, slots: (ParsedRecord | null)[]): { records: Served; onChain: { batchRoot: string; count: number; minTs: number; maxTs: number } } {
  const leaves = Array.from({ length: 2 ** levels }, (_, i) => slots[i]?.leaf ?? 0n);
  const records: Served = [];
  slots.forEach((r, slot) => {
    if (r) records.push({ id: recordId(r), seq: records.length, record: r.record, leafIndex: slot });
  });
  return { records, onChain: { batchRoot: fieldToHex(new FixedMerkleTree(levels, leaves).root), count: records.length, ...WINDOW } };
}

const codes = (c: BatchRecordsCheck): string[] => c.findings.map((f) => f.code);

describe("auditor: a batch's served records, chunk-signed and signed alone", function () {
  this.timeout(60_000);

  it("a single-shape batch without leaf indexes checks as before: leaves in order, ids by position", function () {
    const records = [alone("v1-0"), alone("v1-1"), alone("v1-2")];
    const batch = buildBatch(records, 2, 5n);
    const { records: served, onChain } = servedOf(batch);
    const v1 = served.map(({ leafIndex: _l, ...r }) => r);
    const c = checkBatchRecords(0, v1, onChain, 2);
    expect(c.findings).to.deep.equal([]);
    expect(c.ids).to.deep.equal(records.map(recordId));
    // A record signed alone with a bad signature is still DATA_MISMATCH, as it always was.
    const forged = v1.map((r, j) => (j === 1 ? { ...r, record: { ...r.record, url: r.record.url + "x" } } : r));
    const f = checkBatchRecords(0, forged, onChain, 2);
    expect(codes(f)).to.deep.equal(["DATA_MISMATCH"]);
    expect(f.findings[0]!.message).to.match(/^batch 0: record 1 \([0-9a-f]{64}\) is invalid: signature does not verify/);
  });

  it("a chunk-shape batch with holes checks at its slots: chunks whole, contiguous, signatures verified", function () {
    for (const [groups, shape] of [
      [[[alone("s-alone")], chunkOf(2, "s-chunk")], { batchLevels: 2, chunkLevels: 1, signerSlots: 2 }],
      [[chunkOf(3, "l-chunk"), [alone("l-alone")]], { batchLevels: 3, chunkLevels: 2, signerSlots: 2 }],
    ] as const) {
      const batch = buildShapedBatch(groups.map((g) => g.slice()), shape, 5n);
      const { records, onChain } = servedOf(batch);
      const c = checkBatchRecords(3, records, onChain, shape.batchLevels, 2 ** shape.chunkLevels);
      expect(c.findings, JSON.stringify(c.findings)).to.deep.equal([]);
      recordSlots(batch).forEach((slot) => expect(c.ids[slot]).to.equal(recordId(batch.slots[slot]!)));
      expect(Object.keys(c.ids).map(Number)).to.deep.equal(recordSlots(batch));
    }
  });

  it("BAD_CHUNK_SIGNATURE: a chunk-signed record whose chunk signature does not verify for its place", function () {
    const chunk = chunkOf(2, "bad-sig");
    const other = chunkOf(2, "bad-sig-other");
    const batch = buildShapedBatch([[alone("bad-sig-alone")], chunk], { batchLevels: 2, chunkLevels: 1, signerSlots: 2 }, 5n);
    const { records, onChain } = servedOf(batch);
    const record = records[2]!.record as ChunkRecordV1;
    records[2] = { ...records[2]!, record: { ...record, chunk: { ...record.chunk, signature: (other[1]!.record as ChunkRecordV1).chunk.signature } } };
    const c = checkBatchRecords(4, records, onChain, 2);
    // The leaf is the record's (the message is intact): the root still matches, no DATA_MISMATCH.
    expect(codes(c)).to.deep.equal(["BAD_CHUNK_SIGNATURE", "CHUNK_INCOMPLETE"]);
    expect(c.findings[0]).to.include({ severity: "error", batch: 4 });
    expect(c.findings[0]!.message).to.match(/^batch 4: record 2 at leaf 3 \([0-9a-f]{64}\): the chunk signature does not verify for its index 1 of a chunk of 2/);
    // Without the bad record, its chunk is not whole in this batch.
    expect(c.findings[1]!.message).to.contain("has 1 of its 2 records in this batch: index 1 missing");
  });

  it("CHUNK_INCOMPLETE: part of a chunk anchored (an index missing, or served twice)", function () {
    const chunk = chunkOf(3, "part");
    const c = checkBatchRecords(0, placed(2, [chunk[0]!, chunk[1]!]).records, placed(2, [chunk[0]!, chunk[1]!]).onChain, 2);
    expect(codes(c)).to.deep.equal(["CHUNK_INCOMPLETE"]);
    expect(c.findings[0]!.message).to.match(/^batch 0: the chunk of 3 by node [0-9a-f]{16}… \(first at leaf 0\) has 2 of its 3 records in this batch: index 2 missing \(a chunk is anchored whole, in one batch\)$/);
    // The rest of that chunk in the next batch is incomplete there too.
    const rest = placed(2, [chunk[2]!]);
    expect(codes(checkBatchRecords(1, rest.records, rest.onChain, 2))).to.deep.equal(["CHUNK_INCOMPLETE"]);
    // One index served twice (the same record at two leaves).
    const twice = placed(2, [chunk[0]!, chunk[1]!, chunk[1]!, chunk[2]!]);
    const t = checkBatchRecords(2, twice.records, twice.onChain, 2);
    expect(codes(t)).to.deep.equal(["CHUNK_INCOMPLETE"]);
    expect(t.findings[0]!.message).to.contain("has 4 of its 3 records in this batch: index 1 served twice");
  });

  it("CHUNK_MISPLACED: a whole chunk not at consecutive leaves in chunk order, or (given the region size) across regions", function () {
    const chunk = chunkOf(2, "place");
    const gap = placed(2, [chunk[0]!, null, chunk[1]!]);
    const g = checkBatchRecords(0, gap.records, gap.onChain, 2);
    expect(codes(g)).to.deep.equal(["CHUNK_MISPLACED"]);
    expect(g.findings[0]!.message).to.match(/is at leaves 0, 2 for its indexes 0..1, not at consecutive leaves in chunk order/);
    const reversed = placed(2, [chunk[1]!, chunk[0]!]);
    expect(codes(checkBatchRecords(0, reversed.records, reversed.onChain, 2))).to.deep.equal(["CHUNK_MISPLACED"]);
    // Consecutive, but straddling two regions of 2.
    const straddle = placed(2, [alone("place-alone"), chunk[0]!, chunk[1]!]);
    expect(checkBatchRecords(0, straddle.records, straddle.onChain, 2).findings).to.deep.equal([]);
    const s = checkBatchRecords(0, straddle.records, straddle.onChain, 2, 2);
    expect(codes(s)).to.deep.equal(["CHUNK_MISPLACED"]);
    expect(s.findings[0]!.message).to.contain("is at leaves 1..2, not one region of 2 leaves from its first");
    // A record signed alone inside a region, beside a chunk.
    const inside = placed(2, [chunk[0]!, chunk[1]!, null, alone("place-alone-2")]);
    const i = checkBatchRecords(0, inside.records, inside.onChain, 2, 2);
    expect(codes(i)).to.deep.equal(["CHUNK_MISPLACED"]);
    expect(i.findings[0]!.message).to.contain("the record signed alone at leaf 3 does not start a region of 2 leaves");
  });

  it("DATA_MISMATCH: served leaf indexes that are not the anchored layout", function () {
    const batch = buildShapedBatch([[alone("slots-alone")], chunkOf(2, "slots")], { batchLevels: 2, chunkLevels: 1, signerSlots: 2 }, 5n);
    const { records, onChain } = servedOf(batch);
    // The record signed alone moved into the hole: the leaves no longer hash to the root.
    const moved = records.map((r, j) => (j === 0 ? { ...r, leafIndex: 1 } : r));
    const m = checkBatchRecords(0, moved, onChain, 2);
    expect(codes(m)).to.deep.equal(["DATA_MISMATCH"]);
    expect(m.findings[0]!.message).to.match(/the records hash to root [0-9a-f]{64}, the chain holds/);
    const backwards = [records[1]!, records[0]!, records[2]!];
    expect(checkBatchRecords(0, backwards, onChain, 2).findings[0]!.message).to.contain("is served at leaf 0, not after the previous record's leaf 2");
    const outside = records.map((r, j) => (j === 2 ? { ...r, leafIndex: 4 } : r));
    expect(checkBatchRecords(0, outside, onChain, 2).findings[0]!.message).to.contain("is served at leaf 4, not a leaf of a batch of 4");
    const missing = records.map((r, j) => (j === 0 ? { id: r.id, seq: r.seq, record: r.record } : r));
    expect(checkBatchRecords(0, missing, onChain, 2).findings[0]!.message).to.contain("is served at leaf undefined");
  });
});
