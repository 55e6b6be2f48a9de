/**
 * Chunk validation at ingest (`checkChunk`, the native `validateChunk`, `VerifyPool.checkChunk`)
 * gives exactly the SDK's `parseChunk` + `verifyChunkSignature`: the same verdict, code and
 * message for every input, and for every accepted chunk the same records (chunk refs and
 * paths), ids, node and URL hashes — natively, in TypeScript, and through the worker pool.
 */
import { expect } from "chai";
import { ProvenanceError, bytesToHex, fieldToHex, parseChunk, signChunk, verifyChunkSignature, verifyRecordSignature, parseRecord } from "@provenance/client-sdk";
import { checkChunkTs, type ChunkCheck } from "../src/chunk-check.js";
import { NATIVE_REQUIRED, checkChunkNative, nativeEddsa } from "../src/native-eddsa.js";
import { VerifyPool } from "../src/verify-pool.js";
import { contentHashOf, testNode } from "../../tests/support/fixtures.js";

const node = testNode("chunk-native");
const other = testNode("chunk-native-other");

function observations(n: number, salt = 0) {
  return Array.from({ length: n }, (_, i) => ({
    url: `https://example.com/chunk/${salt}/${i}?q=${"x".repeat(i)}`,
    timestamp: 1764300000000 + salt * 100 + i,
    contentHash: bytesToHex(contentHashOf(`chunk ${salt} ${i}`)),
  }));
}

function reference(input: unknown, maxRecords: number): unknown {
  try {
    const p = parseChunk(input, { maxRecords });
    return {
      ok: true,
      chunk: {
        nodeId: p.nodeId,
        records: p.records.map((r) => r.record),
        ids: p.records.map((r) => fieldToHex(r.leaf)),
        urlHashes: p.records.map((r) => bytesToHex(r.urlHash)),
        signatureValid: verifyChunkSignature(p),
      },
    };
  } catch (err) {
    if (!(err instanceof ProvenanceError)) throw err;
    return { ok: false, error: { code: err.code, message: err.message } };
  }
}

/** Inputs: valid chunks of every size, forgeries, and malformed forms. */
function corpus(): Array<{ name: string; input: unknown; max?: number }> {
  const out: Array<{ name: string; input: unknown; max?: number }> = [];
  for (const n of [1, 2, 3, 7, 15, 16]) out.push({ name: `valid, ${n} records`, input: signChunk(observations(n, n), node.privateKey) });
  const good = signChunk(observations(4, 99), node.privateKey);
  const sig = good.signature;
  out.push(
    { name: "a record altered after signing", input: { ...good, records: good.records.map((r, i) => (i === 2 ? { ...r, timestamp: r.timestamp + 1 } : r)) } },
    { name: "records reordered", input: { ...good, records: [...good.records].reverse() } },
    { name: "a record removed (chunk split)", input: { ...good, records: good.records.slice(0, 3) } },
    { name: "another node's key and id", input: { ...good, publicKey: signChunk(observations(1), other.privateKey).publicKey, nodeId: signChunk(observations(1), other.privateKey).nodeId } },
    { name: "nodeId not the key's", input: { ...good, nodeId: signChunk(observations(1), other.privateKey).nodeId } },
    { name: "S altered (still < l)", input: { ...good, signature: sig.slice(0, 64) + (sig[64] === "0" ? "1" : "0") + sig.slice(65) } },
    { name: "S = 0xff..", input: { ...good, signature: sig.slice(0, 64) + "f".repeat(64) } },
    { name: "R8 not on the curve", input: { ...good, signature: "05" + "00".repeat(31) + sig.slice(64) } },
    { name: "key of small order", input: { ...good, publicKey: "00".repeat(32) } },
    { name: "unknown field", input: { ...good, extra: 1 } },
    { name: "record with nodeId of another node", input: { ...good, records: good.records.map((r, i) => (i === 1 ? { ...r, nodeId: signChunk(observations(1), other.privateKey).nodeId } : r)) } },
    { name: "record with an unknown field", input: { ...good, records: good.records.map((r, i) => (i === 1 ? { ...r, note: "x" } : r)) } },
    { name: "a record twice", input: { ...good, records: [...good.records, good.records[0]] } },
    { name: "empty", input: { ...good, records: [] } },
    { name: "17 records", input: { ...good, records: observations(17, 5) } },
    { name: "over the deployment's size", input: good, max: 2 },
    { name: "uppercase hex", input: { ...good, publicKey: good.publicKey.toUpperCase() } },
    { name: "bad url", input: { ...good, records: good.records.map((r, i) => (i === 3 ? { ...r, url: "" } : r)) } },
    { name: "bad timestamp", input: { ...good, records: good.records.map((r, i) => (i === 0 ? { ...r, timestamp: 1.5 } : r)) } },
    { name: "version 2", input: { ...good, v: 2 } },
    { name: "not an object", input: [good] },
    { name: "null", input: null },
  );
  return out;
}

const plain = (c: ChunkCheck): unknown => JSON.parse(JSON.stringify(c, (_k, v: unknown) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v)));

describe("chunk validation at ingest (native, TypeScript, worker pool) agrees with the SDK", function () {
  this.timeout(120_000);

  it("the native chunk validator is built (or PROVENANCE_REQUIRE_NATIVE is unset)", function () {
    if (!nativeEddsa.chunks) {
      if (NATIVE_REQUIRED) throw new Error(`native chunk validator missing: ${nativeEddsa.reason}`);
      this.skip();
    }
  });

  for (const { name, input, max } of corpus()) {
    it(`${name}: same verdict natively and in TypeScript as parseChunk + signature`, () => {
      const expected = plain(reference(input, max ?? 16) as ChunkCheck);
      expect(plain(checkChunkTs(input, max ?? 16))).to.deep.equal(expected);
      expect(plain(checkChunkNative(input, max ?? 16, true))).to.deep.equal(expected);
    });
  }

  it("every record of an accepted chunk verifies alone with its chunk ref (parseRecord + verifyRecordSignature)", () => {
    const check = checkChunkNative(signChunk(observations(11, 3), node.privateKey), 16);
    expect(check.ok).to.equal(true);
    if (!check.ok) return;
    check.chunk.records.forEach((r, i) => {
      const p = parseRecord(r);
      expect(fieldToHex(p.leaf)).to.equal(check.chunk.ids[i]);
      expect(verifyRecordSignature(p)).to.equal(true);
    });
  });

  it("the worker pool answers each chunk as the SDK does, many at once", async () => {
    const pool = await VerifyPool.create({ workers: 2 });
    try {
      const inputs = corpus();
      const answers = await Promise.all(inputs.map(({ input, max }) => pool.checkChunk(input, max ?? 16)));
      answers.forEach((a, i) => expect(plain(a), inputs[i]!.name).to.deep.equal(plain(reference(inputs[i]!.input, inputs[i]!.max ?? 16) as ChunkCheck)));
    } finally {
      await pool.close();
    }
  });
});
