/**
 * Deterministic nodes, registries and signed records for tests, vectors and benchmarks.
 * Keys are derived from fixed labels, so every run (and the checked-in test vectors) sees the
 * same keys, node ids and records.
 */
import { sha256 } from "@noble/hashes/sha2";
import {
  NodeRegistry,
  buildBatch,
  computeNodeId,
  derivePublicKey,
  parseRecord,
  signRecord,
  type Batch,
  type ParsedRecord,
  type Point,
  type RecordV1,
  type PrivateKey,
} from "@provenance/client-sdk";

export interface TestNode {
  label: string;
  privateKey: PrivateKey;
  publicKey: Point;
  nodeId: bigint;
}

export function testNode(label: string): TestNode {
  const privateKey = sha256(new TextEncoder().encode(`provenance test node ${label}`));
  const publicKey = derivePublicKey(privateKey);
  return { label, privateKey, publicKey, nodeId: computeNodeId(publicKey) };
}

export const BASE_TS = 1_764_300_000_000;

export function contentHashOf(text: string): Uint8Array {
  return sha256(new TextEncoder().encode(text));
}

/** A signed, parsed record of `node` for page `n`. */
/** A v1 record signed alone: its `record` is a `RecordV1`. */
export type ParsedV1Record = ParsedRecord & { record: RecordV1 };

export function testRecord(node: TestNode, n: number, timestamp = BASE_TS + n * 1000): ParsedV1Record {
  const record = signRecord(
    { url: `https://example.com/page/${n}?node=${node.label}`, timestamp, contentHash: contentHashOf(`page ${n}`) },
    node.privateKey,
  );
  return parseRecord(record) as ParsedV1Record;
}

export function registryOf(levels: number, nodes: readonly TestNode[]): NodeRegistry {
  const registry = new NodeRegistry(levels);
  for (const node of nodes) registry.add(node.nodeId);
  return registry;
}

/** A batch of `count` records signed by `nodes` in turn, under `registry`. */
export function testBatch(levels: number, registry: NodeRegistry, nodes: readonly TestNode[], count: number): Batch {
  const records = Array.from({ length: count }, (_, i) => testRecord(nodes[i % nodes.length]!, i));
  return buildBatch(records, levels, registry.root);
}
