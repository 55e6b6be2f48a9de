/**
 * The node registry: a sparse Poseidon Merkle tree of depth R whose leaves are node ids, in
 * order of registration. Revoking a node sets its leaf to 0, so it can no longer prove
 * membership; its slot is never reused and a revoked key cannot be registered again (a new
 * key gets a new slot). The root of this tree is what the on-chain program holds.
 */
import { fail } from "./errors.js";
import { assertFieldElement, fieldToHex, hexToField } from "./field.js";
import { SparseMerkleTree, type Hash2, type InclusionProof } from "./merkle.js";
import { poseidon2 } from "./field.js";

export type NodeStatus = "active" | "revoked";

export interface RegistryEntry {
  nodeId: bigint;
  index: number;
  status: NodeStatus;
}

export interface RegistryJson {
  levels: number;
  /** Node ids in slot order; a revoked slot keeps its id with status "revoked". */
  nodes: Array<{ nodeId: string; status: NodeStatus }>;
}

export class NodeRegistry {
  private readonly tree: SparseMerkleTree;
  private readonly entries: RegistryEntry[] = [];
  private readonly byId = new Map<bigint, RegistryEntry>();

  constructor(levels: number, hash: Hash2 = poseidon2) {
    this.tree = new SparseMerkleTree(levels, hash);
  }

  get levels(): number {
    return this.tree.levels;
  }

  get root(): bigint {
    return this.tree.root;
  }

  /** Number of slots used, active or revoked. */
  get size(): number {
    return this.entries.length;
  }

  /** Registers a node id in the next free slot. */
  add(nodeId: bigint): RegistryEntry {
    assertFieldElement(nodeId, "nodeId");
    if (nodeId === 0n) fail("INVALID_FIELD_ELEMENT", "nodeId 0 marks an empty slot and cannot be registered");
    const existing = this.byId.get(nodeId);
    if (existing) {
      fail(
        "DUPLICATE_NODE",
        existing.status === "active"
          ? `node ${fieldToHex(nodeId)} is already registered`
          : `node ${fieldToHex(nodeId)} was revoked; register a new key instead`,
      );
    }
    if (this.entries.length >= this.tree.capacity) {
      fail("TREE_FULL", `the registry is full (${this.tree.capacity} slots at depth ${this.levels})`);
    }
    const entry: RegistryEntry = { nodeId, index: this.entries.length, status: "active" };
    this.tree.set(entry.index, nodeId);
    this.entries.push(entry);
    this.byId.set(nodeId, entry);
    return { ...entry };
  }

  /** Revokes an active node: its leaf becomes 0. */
  revoke(nodeId: bigint): RegistryEntry {
    const entry = this.byId.get(nodeId);
    if (!entry) fail("UNKNOWN_NODE", `node ${fieldToHex(nodeId)} is not registered`);
    if (entry.status === "revoked") fail("UNKNOWN_NODE", `node ${fieldToHex(nodeId)} is already revoked`);
    entry.status = "revoked";
    this.tree.set(entry.index, 0n);
    return { ...entry };
  }

  get(nodeId: bigint): RegistryEntry | undefined {
    const entry = this.byId.get(nodeId);
    return entry ? { ...entry } : undefined;
  }

  isActive(nodeId: bigint): boolean {
    return this.byId.get(nodeId)?.status === "active";
  }

  list(): RegistryEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  /** Membership proof of an active node: the path the circuit checks against the root. */
  membershipProof(nodeId: bigint): InclusionProof {
    const entry = this.byId.get(nodeId);
    if (!entry || entry.status !== "active") {
      fail("UNKNOWN_NODE", `node ${fieldToHex(nodeId)} is not an active member of the registry`);
    }
    return this.tree.proof(entry.index);
  }

  toJSON(): RegistryJson {
    return {
      levels: this.levels,
      nodes: this.entries.map((e) => ({ nodeId: fieldToHex(e.nodeId), status: e.status })),
    };
  }

  static fromJSON(json: RegistryJson, hash: Hash2 = poseidon2): NodeRegistry {
    if (typeof json !== "object" || json === null || !Array.isArray(json.nodes) || typeof json.levels !== "number") {
      fail("INVALID_TREE", "registry JSON must be an object with numeric levels and a nodes array");
    }
    const registry = new NodeRegistry(json.levels, hash);
    json.nodes.forEach((n, i) => {
      if (typeof n !== "object" || n === null) fail("INVALID_TREE", `registry node ${i} must be an object`);
      const nodeId = hexToField(n.nodeId, `registry node ${i}`);
      registry.add(nodeId);
      if (n.status === "revoked") registry.revoke(nodeId);
      else if (n.status !== "active") fail("INVALID_TREE", `registry node ${i} has unknown status ${JSON.stringify(n.status)}`);
    });
    return registry;
  }
}
