import { expect } from "chai";
import {
  FixedMerkleTree,
  NodeRegistry,
  SparseMerkleTree,
  buildBatch,
  computeRoot,
  inclusionProofFromJson,
  inclusionProofToJson,
  merkleRoot,
  poseidon2,
  publicHash,
  verifyInclusion,
  zeroHashes,
  poseidon,
  type Hash2,
} from "../src/index.js";
import { testNode, testRecord } from "../../tests/support/fixtures.js";
import { expectRefusal } from "../../tests/support/expect.js";

/** A transparent hash, so expected roots can be written out by hand. */
const concat: Hash2 = (l, r) => BigInt(`${l}${r}`.length) * 1000n + ((l * 31n + r) % 997n);

describe("Merkle trees", () => {
  it("hashes a full tree level by level with the injected hash", () => {
    const t = new FixedMerkleTree(2, [1n, 2n, 3n, 4n], concat);
    expect(t.root).to.equal(concat(concat(1n, 2n), concat(3n, 4n)));
  });

  it("pads with zero leaves, exactly like hashing the full zero-padded tree", () => {
    const leaves = [5n, 6n, 7n];
    const padded = [5n, 6n, 7n, 0n, 0n, 0n, 0n, 0n];
    expect(merkleRoot(3, leaves)).to.equal(merkleRoot(3, padded));
    expect(merkleRoot(3, [])).to.equal(zeroHashes(3)[3]);
    expect(zeroHashes(2)).to.deep.equal([0n, poseidon2(0n, 0n), poseidon2(poseidon2(0n, 0n), poseidon2(0n, 0n))]);
  });

  it("proves and verifies every leaf of a fixed tree, and refuses wrong leaves, indices, siblings and roots", () => {
    const leaves = [11n, 22n, 33n, 44n, 55n];
    const t = new FixedMerkleTree(3, leaves);
    for (let i = 0; i < 8; i++) {
      const p = t.proof(i);
      expect(p.leaf).to.equal(leaves[i] ?? 0n);
      expect(verifyInclusion(p, t.root)).to.equal(true);
      expect(verifyInclusion({ ...p, leaf: p.leaf + 1n }, t.root)).to.equal(false);
      expect(verifyInclusion({ ...p, index: p.index ^ 1 }, t.root)).to.equal(leaves[i] === leaves[i ^ 1]);
      expect(verifyInclusion({ ...p, siblings: p.siblings.map((s, h) => (h === 1 ? s + 1n : s)) }, t.root)).to.equal(false);
      expect(verifyInclusion(p, t.root + 1n)).to.equal(false);
    }
  });

  it("refuses malformed trees and proofs with precise errors", () => {
    expect(() => new FixedMerkleTree(0, [])).to.throw("tree levels must be an integer in 1..30, got 0");
    expect(() => new FixedMerkleTree(2, [1n, 2n, 3n, 4n, 5n])).to.throw("5 leaves do not fit a tree of capacity 4");
    expect(() => new FixedMerkleTree(2, [-1n])).to.throw("leaf 0 must be in [0, field modulus), got -1");
    expect(() => new FixedMerkleTree(2, [1n]).proof(4)).to.throw("leaf index must be an integer in [0, 4), got 4");
    expectRefusal(() => computeRoot({ leaf: 1n, index: 0, siblings: [] }), "INVALID_TREE", /./);
    expectRefusal(() => computeRoot({ leaf: 1n, index: 2, siblings: [1n] }), "INVALID_TREE", /./);
    expectRefusal(() => inclusionProofFromJson({ leaf: "00", index: 0, siblings: ["00"] }), "INVALID_HEX", /./);
    expectRefusal(() => inclusionProofFromJson({ leaf: "0".repeat(64), index: 1.5, siblings: ["0".repeat(64)] }), "INVALID_PROOF", /./);
    expectRefusal(() => inclusionProofFromJson({ leaf: "0".repeat(64), index: 0, siblings: [] }), "INVALID_PROOF", /./);
    expectRefusal(() => inclusionProofFromJson("nope"), "INVALID_PROOF", /./);
    expectRefusal(() => inclusionProofFromJson({ leaf: "f".repeat(64), index: 0, siblings: ["0".repeat(64)] }), "INVALID_FIELD_ELEMENT", /./);
  });

  it("proves with the tree's own hash for empty siblings", () => {
    const t = new FixedMerkleTree(2, [1n, 2n, 3n], concat);
    for (let i = 0; i < 4; i++) expect(verifyInclusion(t.proof(i), t.root, concat)).to.equal(true);
  });

  it("handles the deepest allowed tree at its last index", () => {
    const t = new SparseMerkleTree(30);
    t.set(2 ** 30 - 1, 5n);
    expect(verifyInclusion(t.proof(2 ** 30 - 1), t.root)).to.equal(true);
    expect(() => new SparseMerkleTree(31)).to.throw("tree levels must be an integer in 1..30, got 31");
  });

  it("round-trips proofs through JSON", () => {
    const t = new FixedMerkleTree(4, [1n, 2n, 3n]);
    const p = t.proof(2);
    const back = inclusionProofFromJson(JSON.parse(JSON.stringify(inclusionProofToJson(p))));
    expect(back).to.deep.equal(p);
  });

  it("a sparse tree agrees with a full tree of the same leaves", () => {
    const sparse = new SparseMerkleTree(5);
    const leaves: bigint[] = Array.from({ length: 32 }, () => 0n);
    for (const [i, v] of [[0, 7n], [5, 9n], [31, 4n], [16, 3n]] as const) {
      sparse.set(i, v);
      leaves[i] = v;
      expect(sparse.root).to.equal(merkleRoot(5, leaves));
    }
    sparse.set(5, 0n);
    leaves[5] = 0n;
    expect(sparse.root).to.equal(merkleRoot(5, leaves));
    const full = new FixedMerkleTree(5, leaves);
    for (const i of [0, 5, 16, 31, 7]) expect(sparse.proof(i)).to.deep.equal(full.proof(i));
  });

  it("a depth-20 sparse tree stays cheap and proves membership", () => {
    const t = new SparseMerkleTree(20);
    t.set(123_456, 42n);
    const p = t.proof(123_456);
    expect(p.siblings).to.have.length(20);
    expect(verifyInclusion(p, t.root)).to.equal(true);
  });
});

describe("node registry", () => {
  const a = testNode("a");
  const b = testNode("b");

  it("adds nodes in slot order, revokes to a zero leaf, and proves active members only", () => {
    const r = new NodeRegistry(4);
    const empty = r.root;
    expect(r.add(a.nodeId)).to.deep.equal({ nodeId: a.nodeId, index: 0, status: "active" });
    expect(r.add(b.nodeId).index).to.equal(1);
    expect(r.root).to.equal(merkleRoot(4, [a.nodeId, b.nodeId]));
    expect(verifyInclusion(r.membershipProof(b.nodeId), r.root)).to.equal(true);
    r.revoke(a.nodeId);
    expect(r.root).to.equal(merkleRoot(4, [0n, b.nodeId]));
    expect(r.isActive(a.nodeId)).to.equal(false);
    expect(() => r.membershipProof(a.nodeId)).to.throw(/is not an active member of the registry/);
    r.revoke(b.nodeId);
    expect(r.root).to.equal(empty);
  });

  it("refuses duplicates, re-registration after revocation, unknown nodes and a full registry", () => {
    const r = new NodeRegistry(1);
    r.add(a.nodeId);
    expect(() => r.add(a.nodeId)).to.throw(/is already registered/);
    expect(() => r.add(0n)).to.throw("nodeId 0 marks an empty slot and cannot be registered");
    r.revoke(a.nodeId);
    expect(() => r.add(a.nodeId)).to.throw(/was revoked; register a new key instead/);
    expect(() => r.revoke(a.nodeId)).to.throw(/is already revoked/);
    expect(() => r.revoke(b.nodeId)).to.throw(/is not registered/);
    r.add(b.nodeId);
    expect(() => r.add(testNode("c").nodeId)).to.throw("the registry is full (2 slots at depth 1)");
  });

  it("round-trips through JSON with the same root", () => {
    const r = new NodeRegistry(6);
    r.add(a.nodeId);
    r.add(b.nodeId);
    r.revoke(a.nodeId);
    const back = NodeRegistry.fromJSON(JSON.parse(JSON.stringify(r.toJSON())));
    expect(back.root).to.equal(r.root);
    expect(back.list()).to.deep.equal(r.list());
  });
});

describe("batch statement", () => {
  const node = testNode("batch");
  const records = [0, 1, 2].map((n) => testRecord(node, n));

  it("roots the records' leaves, derives the window, and hashes the statement", () => {
    const b = buildBatch(records, 2, 77n);
    expect(b.statement).to.deep.equal({
      registryRoot: 77n,
      batchRoot: merkleRoot(2, records.map((r) => r.leaf)),
      count: 3,
      minTs: records[0]!.record.timestamp,
      maxTs: records[2]!.record.timestamp,
    });
    const s = b.statement;
    expect(publicHash(s)).to.equal(poseidon([77n, s.batchRoot, 3n, BigInt(s.minTs), BigInt(s.maxTs)]));
  });

  it("refuses empty, over-full, duplicate and out-of-window batches", () => {
    expect(() => buildBatch([], 2, 1n)).to.throw("a batch needs at least one record");
    expect(() => buildBatch([...records, ...[3, 4].map((n) => testRecord(node, n))], 2, 1n)).to.throw(
      "5 records do not fit a batch of capacity 4",
    );
    expect(() => buildBatch([records[0]!, records[1]!, records[0]!], 2, 1n)).to.throw(
      "records 0 and 2 are the same record (equal leaves)",
    );
    const t0 = records[0]!.record.timestamp;
    expect(() => buildBatch(records, 2, 1n, { minTs: t0 + 1, maxTs: t0 + 10_000 })).to.throw(/record 0 has timestamp .* outside/);
    expect(() => buildBatch(records, 2, 1n, { minTs: 10, maxTs: 5 })).to.throw("minTs 10 is after maxTs 5");
  });

  it("refuses statements that are not numbers the circuit takes", () => {
    expect(() => publicHash({ registryRoot: 1n, batchRoot: 1n, count: -1, minTs: 0, maxTs: 0 })).to.throw(
      "count must be a non-negative safe integer, got -1",
    );
    expect(() => publicHash({ registryRoot: -1n, batchRoot: 1n, count: 1, minTs: 0, maxTs: 0 })).to.throw(/registryRoot must be in/);
  });
});

describe("registry JSON", () => {
  it("refuses malformed registry JSON with INVALID_TREE", () => {
    expect(() => NodeRegistry.fromJSON({ levels: 4 } as never)).to.throw(
      "registry JSON must be an object with numeric levels and a nodes array",
    );
    expect(() => NodeRegistry.fromJSON({ levels: 4, nodes: [null] } as never)).to.throw("registry node 0 must be an object");
  });
});
