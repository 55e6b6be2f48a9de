/**
 * Signed chunks (docs/circuit-v2.md): the digest, the submission form and its refusals, the
 * chunk-signed record form a bundle carries, and the shaped batch layout.
 */
import { expect } from "chai";
import {
  CHUNK_LEVELS,
  CHUNK_MAX,
  DOMAIN_CHUNK_V1,
  DOMAIN_RECORD_V1,
  ProvenanceError,
  buildShapedBatch,
  bytesToBigIntBE,
  chunkDigest,
  chunkPath,
  chunkRoot,
  fieldToHex,
  merkleRoot,
  parseChunk,
  parseRecord,
  poseidon,
  recordId,
  recordSlots,
  signChunk,
  signRecord,
  validateChunk,
  validateRecord,
  verifyRecordSignature,
  type ChunkRecordV1,
  type Observation,
  type SignedChunkV1,
} from "../src/index.js";
import { NodeKey } from "../src/node/index.js";
import { BASE_TS, contentHashOf, testNode } from "../../tests/support/fixtures.js";

const node = testNode("chunk-a");
const other = testNode("chunk-b");

function observations(n: number, from = 0, label = "a"): Observation[] {
  return Array.from({ length: n }, (_, i) => ({
    url: `https://example.com/${label}/${from + i}`,
    timestamp: BASE_TS + from + i,
    contentHash: contentHashOf(`${label} ${from + i}`),
  }));
}

function refused(fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(ProvenanceError);
    expect((e as ProvenanceError).code).to.equal(code);
    expect((e as Error).message).to.match(message);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("signed chunks", () => {
  it("fixes the digest: Poseidon(DOMAIN_CHUNK_V1, n, depth-4 root over the messages)", () => {
    expect(DOMAIN_CHUNK_V1).to.equal(bytesToBigIntBE(new TextEncoder().encode("provenance.chunk.v1")));
    expect(DOMAIN_CHUNK_V1).to.not.equal(DOMAIN_RECORD_V1);
    const messages = [11n, 22n, 33n];
    expect(chunkRoot(messages)).to.equal(merkleRoot(CHUNK_LEVELS, messages));
    expect(chunkDigest(messages)).to.equal(poseidon([DOMAIN_CHUNK_V1, 3n, merkleRoot(CHUNK_LEVELS, messages)]));
    // n is bound: a prefix, or the same messages with a padding zero, is another digest.
    expect(chunkDigest([11n, 22n])).to.not.equal(chunkDigest(messages));
    expect(chunkDigest([11n, 22n, 33n, 0n])).to.not.equal(chunkDigest(messages));
    expect(chunkPath(messages, 1)).to.have.length(CHUNK_LEVELS);
  });

  it("gives each record of a chunk the id it has signed alone, and a record form that verifies alone", () => {
    const obs = observations(5);
    const chunk = signChunk(obs, node.privateKey);
    const parsed = validateChunk(chunk);
    expect(parsed.records).to.have.length(5);
    parsed.records.forEach((r, i) => {
      const alone = parseRecord(signRecord(obs[i]!, node.privateKey));
      expect(recordId(r)).to.equal(recordId(alone));
      expect(r.message).to.equal(alone.message);
      const form = r.record as ChunkRecordV1;
      expect(Object.keys(form)).to.deep.equal(["v", "url", "timestamp", "contentHash", "nodeId", "publicKey", "chunk"]);
      expect(form.chunk.index).to.equal(i);
      expect(form.chunk.size).to.equal(5);
      // The stored form parses back to the same record and its chunk signature checks.
      const again = validateRecord(JSON.parse(JSON.stringify(form)));
      expect(again.leaf).to.equal(r.leaf);
      expect(again.chunk!.digest).to.equal(parsed.digest);
    });
  });

  it("NodeKey.signChunk signs the same chunk as signChunk", () => {
    const key = NodeKey.generate();
    const chunk = key.signChunk(observations(3));
    expect(chunk.nodeId).to.equal(key.nodeIdHex);
    expect(() => validateChunk(chunk)).to.not.throw();
  });

  it("refuses a chunk-signed record moved, given another chunk's path or signature, or resized", () => {
    const a = validateChunk(signChunk(observations(4), node.privateKey)).records.map((r) => r.record as ChunkRecordV1);
    const b = validateChunk(signChunk(observations(4, 100), node.privateKey)).records.map((r) => r.record as ChunkRecordV1);
    const tampered: ChunkRecordV1[] = [
      { ...a[1]!, chunk: { ...a[1]!.chunk, index: 2 } },
      { ...a[1]!, chunk: { ...a[1]!.chunk, path: b[1]!.chunk.path } },
      { ...a[1]!, chunk: { ...a[1]!.chunk, signature: b[1]!.chunk.signature } },
      { ...a[1]!, chunk: { ...a[1]!.chunk, size: 5 } },
      { ...a[1]!, url: a[2]!.url },
    ];
    for (const t of tampered) {
      expect(verifyRecordSignature(parseRecord(t))).to.equal(false);
      refused(() => validateRecord(t), "BAD_SIGNATURE", /chunk signature does not verify for this record at index/);
    }
  });

  it("never takes a record signature as a chunk signature, or the reverse", () => {
    const obs = observations(1);
    const alone = signRecord(obs[0]!, node.privateKey);
    const chunk = signChunk(obs, node.privateKey);
    expect(chunk.signature).to.not.equal(alone.signature);
    refused(() => validateChunk({ ...chunk, signature: alone.signature }), "BAD_SIGNATURE", /chunk signature does not verify/);
    const form = validateChunk(chunk).records[0]!.record as ChunkRecordV1;
    refused(() => validateRecord({ ...form, chunk: { ...form.chunk, signature: alone.signature } }), "BAD_SIGNATURE", /chunk signature/);
    const { chunk: _c, ...rest } = form;
    refused(() => validateRecord({ ...rest, signature: chunk.signature }), "BAD_SIGNATURE", /signature does not verify/);
  });

  it("refuses every malformed chunk with a precise reason", () => {
    const good = signChunk(observations(3), node.privateKey);
    const cases: [unknown, string, RegExp, number?][] = [
      [[], "INVALID_CHUNK", /must be a JSON object/],
      [{ ...good, extra: 1 }, "INVALID_CHUNK", /unknown field "extra"/],
      [{ ...good, v: 2 }, "INVALID_VERSION", /unknown chunk version 2/],
      [{ ...good, records: [] }, "INVALID_CHUNK", /is empty/],
      [{ ...good, records: "x" }, "INVALID_CHUNK", /must be an array/],
      [signChunk(observations(CHUNK_MAX), node.privateKey), "CHUNK_TOO_LARGE", /this deployment's chunk size is 4/, 4],
      [{ ...good, records: [...good.records, ...good.records.slice(0, 1)] }, "DUPLICATE_IN_CHUNK", /records\[0\] and \[3\] are the same record/],
      [{ ...good, records: [{ ...good.records[0]!, nodeId: fieldToHex(other.nodeId) }] }, "MIXED_NODES", /names another node/],
      [{ ...good, records: [{ ...good.records[0]!, signature: "00" }] }, "INVALID_CHUNK", /unknown field "signature"/],
      [{ ...good, records: [{ url: "https://x" }] }, "INVALID_CHUNK", /missing field "timestamp"/],
      [{ ...good, records: [{ ...good.records[0]!, timestamp: -1 }] }, "INVALID_TIMESTAMP", /chunk.records\[0\]: timestamp/],
      [{ ...good, nodeId: fieldToHex(other.nodeId) }, "INVALID_RECORD", /nodeId is not Poseidon\(publicKey\)/],
    ];
    for (const [input, code, message, max] of cases) refused(() => parseChunk(input, max ? { maxRecords: max } : {}), code, message);
    const big: SignedChunkV1 = { ...good, records: [...good.records, ...signChunk(observations(CHUNK_MAX, 50), node.privateKey).records] };
    refused(() => parseChunk(big), "CHUNK_TOO_LARGE", /at most 16/);
    const reordered = { ...good, records: [good.records[1]!, good.records[0]!, good.records[2]!] };
    refused(() => validateChunk(reordered), "BAD_SIGNATURE", /chunk signature does not verify/);
    refused(() => signChunk([], node.privateKey), "INVALID_CHUNK", /at least one/);
    refused(() => signChunk(observations(CHUNK_MAX + 1), node.privateKey), "CHUNK_TOO_LARGE", /at most 16/);
  });

  it("lays a shaped batch out in regions, a chunk never split and signers within the slots", () => {
    const root = 5n;
    const shape = { batchLevels: 2, chunkLevels: 1, signerSlots: 2 };
    const chunk = validateChunk(signChunk(observations(2), node.privateKey)).records;
    const alone = parseRecord(signRecord(observations(1, 40, "b")[0]!, other.privateKey));
    const batch = buildShapedBatch([[alone], chunk], shape, root);
    expect(batch.slots.map((r) => (r ? fieldToHex(r.leaf) : null))).to.deep.equal([
      fieldToHex(alone.leaf),
      null,
      fieldToHex(chunk[0]!.leaf),
      fieldToHex(chunk[1]!.leaf),
    ]);
    expect(recordSlots(batch)).to.deep.equal([0, 2, 3]);
    expect(batch.statement.count).to.equal(3);
    expect(batch.tree.leaf(1)).to.equal(0n);
    refused(() => buildShapedBatch([chunk.slice(0, 1)], shape, root), "INVALID_BATCH", /a chunk is never split/);
    refused(() => buildShapedBatch([[chunk[1]!, chunk[0]!]], shape, root), "INVALID_BATCH", /is not record 0 of the same chunk/);
    refused(() => buildShapedBatch([chunk], { batchLevels: 2, chunkLevels: 0, signerSlots: 4 }, root), "INVALID_BATCH", /takes only records signed alone/);
    const third = parseRecord(signRecord(observations(1, 60, "c")[0]!, testNode("chunk-c").privateKey));
    refused(() => buildShapedBatch([[alone], chunk.slice(0, 2)].concat([[third]]), shape, root), "INVALID_BATCH", /do not fit the 2 signature regions/);
    refused(
      () => buildShapedBatch([[alone], [third]], { batchLevels: 2, chunkLevels: 0, signerSlots: 1 }, root),
      "INVALID_BATCH",
      /2 distinct signers do not fit the 1 signer slots/,
    );
  });
});
