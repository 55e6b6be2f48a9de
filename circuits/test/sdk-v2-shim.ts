/** Interim stand-ins for the SDK's chunk functions (landing on main); removed after the merge. */
import { FixedMerkleTree, bytesToBigIntBE, poseidon, type Batch, type ParsedRecord } from "@provenance/client-sdk";

export const DOMAIN_CHUNK_V1 = bytesToBigIntBE(new TextEncoder().encode("provenance.chunk.v1"));
export const chunkRoot = (messages: bigint[]) => new FixedMerkleTree(4, messages).root;
export const chunkDigest = (messages: bigint[]) => poseidon([DOMAIN_CHUNK_V1, BigInt(messages.length), chunkRoot(messages)]);
export const chunkPath = (messages: bigint[], index: number) => new FixedMerkleTree(4, messages).proof(index).siblings;

export function buildShapedBatch(groups: ParsedRecord[][], shape: { batchLevels: number; chunkLevels: number; signerSlots: number }, registryRoot: bigint): Batch {
  const B = 2 ** shape.batchLevels;
  const C = 2 ** shape.chunkLevels;
  const slots: (ParsedRecord | null)[] = Array.from({ length: B }, () => null);
  groups.forEach((g, i) => g.forEach((r, k) => (slots[i * C + k] = r)));
  const records = slots.filter((r): r is ParsedRecord => r !== null);
  const tree = new FixedMerkleTree(shape.batchLevels, slots.map((r) => r?.leaf ?? 0n));
  const ts = records.map((r) => r.record.timestamp);
  return {
    levels: shape.batchLevels,
    shape,
    groups,
    slots,
    records,
    tree,
    statement: { registryRoot, batchRoot: tree.root, count: records.length, minTs: Math.min(...ts), maxTs: Math.max(...ts) },
  } as Batch;
}
