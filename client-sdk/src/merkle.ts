/**
 * Binary Merkle trees over BN254 field elements, with the node hash injected (zk-kit style) so
 * the same code serves the SDK, the sequencer and the circuit tests. Empty leaves are 0 and an
 * empty subtree of height h hashes to zeros[h] = H(zeros[h-1], zeros[h-1]), exactly what the
 * circuit computes when it hashes a full tree, so roots here and in-circuit agree.
 *
 * - `FixedMerkleTree`: the batch tree, capacity 2^levels, leaves given in order.
 * - `SparseMerkleTree`: the node registry, depth up to 30, only non-empty nodes stored.
 * - `verifyInclusion`: checks a leaf/index/sibling path against a root.
 */
import { fail } from "./errors.js";
import { assertFieldElement, fieldToHex, hexToField, poseidon2 } from "./field.js";

export type Hash2 = (left: bigint, right: bigint) => bigint;

export interface InclusionProof {
  /** The leaf value proven. */
  leaf: bigint;
  /** Position of the leaf; bit h of the index says whether the node at height h is a right child. */
  index: number;
  /** Sibling at each height, from the leaf level up. */
  siblings: bigint[];
}

/** Indices stay below 2^30, well inside the 32-bit integers JavaScript's bit operators use. */
export const MAX_TREE_LEVELS = 30;

const zeroCache = new Map<Hash2, bigint[]>();

/** zeros[h] is the root of an empty subtree of height h. */
export function zeroHashes(levels: number, hash: Hash2 = poseidon2): bigint[] {
  let zeros = zeroCache.get(hash);
  if (!zeros) {
    zeros = [0n];
    zeroCache.set(hash, zeros);
  }
  while (zeros.length <= levels) {
    const last = zeros[zeros.length - 1]!;
    zeros.push(hash(last, last));
  }
  return zeros.slice(0, levels + 1);
}

function assertLevels(levels: number): void {
  if (!Number.isInteger(levels) || levels < 1 || levels > MAX_TREE_LEVELS) {
    fail("INVALID_TREE", `tree levels must be an integer in 1..${MAX_TREE_LEVELS}, got ${levels}`);
  }
}

function assertIndex(index: number, levels: number, what = "leaf index"): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= 2 ** levels) {
    fail("INVALID_TREE", `${what} must be an integer in [0, ${2 ** levels}), got ${index}`);
  }
}

/**
 * A tree of fixed capacity 2^levels whose first `leaves.length` leaves are given and the rest
 * are zero: the batch tree. All levels are kept, so proofs are O(levels).
 */
export class FixedMerkleTree {
  readonly levels: number;
  readonly capacity: number;
  readonly count: number;
  private readonly layers: bigint[][];
  private readonly zeros: bigint[];

  constructor(levels: number, leaves: readonly bigint[], hash: Hash2 = poseidon2) {
    assertLevels(levels);
    this.levels = levels;
    this.capacity = 2 ** levels;
    if (leaves.length > this.capacity) {
      fail("TREE_FULL", `${leaves.length} leaves do not fit a tree of capacity ${this.capacity}`);
    }
    leaves.forEach((leaf, i) => assertFieldElement(leaf, `leaf ${i}`));
    this.count = leaves.length;
    const zeros = zeroHashes(levels, hash);
    this.zeros = zeros;
    this.layers = [leaves.slice()];
    for (let h = 0; h < levels; h++) {
      const below = this.layers[h]!;
      const above: bigint[] = [];
      for (let i = 0; i < below.length; i += 2) {
        above.push(hash(below[i]!, i + 1 < below.length ? below[i + 1]! : zeros[h]!));
      }
      this.layers.push(above);
    }
    if (this.layers[levels]!.length === 0) this.layers[levels] = [zeros[levels]!];
  }

  get root(): bigint {
    return this.layers[this.levels]![0]!;
  }

  leaf(index: number): bigint {
    assertIndex(index, this.levels);
    return this.layers[0]![index] ?? 0n;
  }

  proof(index: number): InclusionProof {
    assertIndex(index, this.levels);
    const zeros = this.zeros;
    const siblings: bigint[] = [];
    let i = index;
    for (let h = 0; h < this.levels; h++) {
      siblings.push(this.layers[h]![i ^ 1] ?? zeros[h]!);
      i >>= 1;
    }
    return { leaf: this.leaf(index), index, siblings };
  }
}

/** The root of a tree of capacity 2^levels holding `leaves` then zeros. */
export function merkleRoot(levels: number, leaves: readonly bigint[], hash: Hash2 = poseidon2): bigint {
  return new FixedMerkleTree(levels, leaves, hash).root;
}

/**
 * A sparse tree of depth `levels` (up to 30) that stores only non-empty nodes: the node
 * registry, where a depth-20 tree holds a million slots but only a few are used.
 */
export class SparseMerkleTree {
  readonly levels: number;
  private readonly hash: Hash2;
  private readonly zeros: bigint[];
  /** nodes[h] maps an index at height h to a non-zero-subtree hash. */
  private readonly nodes: Map<number, bigint>[];

  constructor(levels: number, hash: Hash2 = poseidon2) {
    assertLevels(levels);
    this.levels = levels;
    this.hash = hash;
    this.zeros = zeroHashes(levels, hash);
    this.nodes = Array.from({ length: levels + 1 }, () => new Map<number, bigint>());
  }

  get capacity(): number {
    return 2 ** this.levels;
  }

  get root(): bigint {
    return this.node(this.levels, 0);
  }

  leaf(index: number): bigint {
    assertIndex(index, this.levels);
    return this.node(0, index);
  }

  /** Sets a leaf (0 empties it) and updates the path to the root. */
  set(index: number, value: bigint): void {
    assertIndex(index, this.levels);
    assertFieldElement(value, "leaf value");
    this.store(0, index, value);
    let i = index;
    for (let h = 0; h < this.levels; h++) {
      const left = this.node(h, i & ~1);
      const right = this.node(h, i | 1);
      i >>= 1;
      this.store(h + 1, i, this.hash(left, right));
    }
  }

  proof(index: number): InclusionProof {
    assertIndex(index, this.levels);
    const siblings: bigint[] = [];
    let i = index;
    for (let h = 0; h < this.levels; h++) {
      siblings.push(this.node(h, i ^ 1));
      i >>= 1;
    }
    return { leaf: this.leaf(index), index, siblings };
  }

  private node(height: number, index: number): bigint {
    return this.nodes[height]!.get(index) ?? this.zeros[height]!;
  }

  private store(height: number, index: number, value: bigint): void {
    if (value === this.zeros[height]) this.nodes[height]!.delete(index);
    else this.nodes[height]!.set(index, value);
  }
}

/** Recomputes the root from a proof. Throws on a malformed proof. */
export function computeRoot(proof: InclusionProof, hash: Hash2 = poseidon2): bigint {
  const levels = proof.siblings.length;
  assertLevels(levels);
  assertIndex(proof.index, levels);
  assertFieldElement(proof.leaf, "leaf");
  let node = proof.leaf;
  let i = proof.index;
  proof.siblings.forEach((sibling, h) => {
    assertFieldElement(sibling, `sibling ${h}`);
    node = (i & 1) === 0 ? hash(node, sibling) : hash(sibling, node);
    i = Math.floor(i / 2);
  });
  return node;
}

/** True when the proof leads from its leaf to `root`. Throws on a malformed proof. */
export function verifyInclusion(proof: InclusionProof, root: bigint, hash: Hash2 = poseidon2): boolean {
  assertFieldElement(root, "root");
  return computeRoot(proof, hash) === root;
}

/** JSON form of an inclusion proof: field elements as 64 lowercase hex chars. */
export interface InclusionProofJson {
  leaf: string;
  index: number;
  siblings: string[];
}

export function inclusionProofToJson(proof: InclusionProof): InclusionProofJson {
  return { leaf: fieldToHex(proof.leaf), index: proof.index, siblings: proof.siblings.map(fieldToHex) };
}

export function inclusionProofFromJson(json: unknown): InclusionProof {
  if (typeof json !== "object" || json === null) fail("INVALID_PROOF", "inclusion proof must be an object");
  const o = json as Record<string, unknown>;
  if (!Array.isArray(o.siblings)) fail("INVALID_PROOF", "inclusion proof siblings must be an array");
  if (o.siblings.length < 1 || o.siblings.length > MAX_TREE_LEVELS) {
    fail("INVALID_PROOF", `inclusion proof must have 1..${MAX_TREE_LEVELS} siblings, got ${o.siblings.length}`);
  }
  const index = o.index;
  if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0 || index >= 2 ** o.siblings.length) {
    fail("INVALID_PROOF", `inclusion proof index must be an integer in [0, ${2 ** o.siblings.length})`);
  }
  return {
    leaf: hexToField(o.leaf, "inclusion proof leaf"),
    index,
    siblings: o.siblings.map((s, h) => hexToField(s, `inclusion proof sibling ${h}`)),
  };
}
