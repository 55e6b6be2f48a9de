/**
 * The checked-in shared test vectors (test-vectors/batch-test.json on the single shape and
 * batch-test-chunk.json on the chunk shape, read by the Rust tests too) agree with the SDK, the
 * prover's byte layout and the checked-in verifying key.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import {
  NodeRegistry,
  buildShapedBatch,
  recordSlots,
  bytesToHex,
  fieldToHex,
  hexToField,
  parseRecord,
  publicHash,
  splitDigest,
  validateRecord,
} from "@provenance/client-sdk";
import {
  REPO_ROOT,
  checkedInVkPath,
  proofToSolana,
  publicSignalsToSolana,
  releaseCurve,
  verifyBatchProof,
  type SnarkjsProof,
} from "@provenance/prover";

for (const file of ["batch-test.json", "batch-test-chunk.json"]) {
const vectors = JSON.parse(readFileSync(path.join(REPO_ROOT, "test-vectors", file), "utf8"));

describe(`shared test vectors: ${file} (${vectors.circuit}, shape ${vectors.shape})`, () => {
  after(releaseCurve);

  it("every record's derived fields match the SDK", () => {
    vectors.records.forEach((record: unknown, i: number) => {
      const parsed = validateRecord(record);
      const [urlHi, urlLo] = splitDigest(parsed.urlHash);
      const [contentHi, contentLo] = splitDigest(parsed.contentHash);
      expect({
        urlHash: bytesToHex(parsed.urlHash),
        urlHi: fieldToHex(urlHi),
        urlLo: fieldToHex(urlLo),
        contentHi: fieldToHex(contentHi),
        contentLo: fieldToHex(contentLo),
        message: fieldToHex(parsed.message),
        nodeId: fieldToHex(parsed.nodeId),
        leaf: fieldToHex(parsed.leaf),
        ...(parsed.chunk ? { chunkDigest: fieldToHex(parsed.chunk.digest) } : {}),
      }).to.deep.equal(vectors.derived[i]);
    });
  });

  it("registry, batch root and public hash match the SDK", () => {
    const registry = NodeRegistry.fromJSON({ levels: vectors.registryLevels, nodes: vectors.registry.nodes });
    expect(fieldToHex(registry.root)).to.equal(vectors.registryRoot);
    const records = vectors.records.map(parseRecord);
    const groups = (vectors.groups as number[][]).map((g) => g.map((i) => records[i]!));
    const batch = buildShapedBatch(groups, { batchLevels: vectors.batchLevels, chunkLevels: vectors.chunkLevels, signerSlots: vectors.signerSlots }, registry.root);
    expect(recordSlots(batch)).to.deep.equal(vectors.slots);
    expect(batch.slots.map((r) => fieldToHex(r ? r.leaf : 0n))).to.deep.equal(vectors.leaves);
    expect(fieldToHex(batch.statement.batchRoot)).to.equal(vectors.batchRoot);
    expect(batch.statement.count).to.equal(vectors.count);
    expect([batch.statement.minTs, batch.statement.maxTs]).to.deep.equal([vectors.minTs, vectors.maxTs]);
    expect(fieldToHex(publicHash(batch.statement))).to.equal(vectors.publicHash);
    expect(vectors.publicSignals).to.deep.equal([hexToField(vectors.publicHash, "publicHash").toString()]);
  });

  it("the proof verifies with the checked-in verifying key and its on-chain bytes match", async () => {
    const vk = JSON.parse(readFileSync(checkedInVkPath(vectors.circuit), "utf8"));
    expect(vectors.verifyingKey).to.deep.equal(vk);
    const statement = {
      registryRoot: hexToField(vectors.registryRoot, "registryRoot"),
      batchRoot: hexToField(vectors.batchRoot, "batchRoot"),
      count: vectors.count,
      minTs: vectors.minTs,
      maxTs: vectors.maxTs,
    };
    expect(await verifyBatchProof(vk, statement, vectors.proof as SnarkjsProof)).to.equal(true);
    const solana = proofToSolana(vectors.proof);
    expect({
      proofA: bytesToHex(solana.proofA),
      proofB: bytesToHex(solana.proofB),
      proofC: bytesToHex(solana.proofC),
      publicInputs: publicSignalsToSolana(vectors.publicSignals).map(bytesToHex),
    }).to.deep.equal(vectors.solana);
  });
});
}
