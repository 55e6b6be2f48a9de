/**
 * The chunk digest (docs/protocol.md#chunks, design notes in docs/circuit-v2.md): a node signs
 * up to CHUNK_MAX of its records at once, with one EdDSA-Poseidon signature over
 *
 *   chunkRoot   = root of the depth-CHUNK_LEVELS Poseidon tree over [m_0 .. m_{n-1}, 0, …, 0]
 *   chunkDigest = Poseidon(DOMAIN_CHUNK_V1, n, chunkRoot)
 *
 * where m_k is record k's v1 message. A record of a chunk carries its place in it (size, index,
 * the CHUNK_LEVELS siblings of its message) and the chunk's signature, so one record is checked
 * alone. This module is only the math; the submission form is `signed-chunk.ts`.
 *
 * Browser-safe: no Node-only imports.
 */
import { fail } from "./errors.js";
import { bytesToBigIntBE, poseidon } from "./field.js";
import { computeRoot, FixedMerkleTree } from "./merkle.js";

/** ASCII "provenance.chunk.v1" as a big-endian integer: separates chunk digests from record messages. */
export const DOMAIN_CHUNK_V1 = bytesToBigIntBE(new TextEncoder().encode("provenance.chunk.v1"));
/** Depth of the chunk tree, whatever a deployment's chunk size (docs/circuit-v2.md). */
export const CHUNK_LEVELS = 4;
/** The most records one chunk can hold (2^CHUNK_LEVELS). */
export const CHUNK_MAX = 2 ** CHUNK_LEVELS;

function checkSize(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) fail("INVALID_CHUNK", `a chunk holds 1 to ${CHUNK_MAX} records, got ${n}`);
  if (n > CHUNK_MAX) fail("CHUNK_TOO_LARGE", `a chunk holds at most ${CHUNK_MAX} records, got ${n}`);
}

/** The chunk tree over the records' messages, in chunk order. */
export function chunkTree(messages: readonly bigint[]): FixedMerkleTree {
  checkSize(messages.length);
  return new FixedMerkleTree(CHUNK_LEVELS, messages);
}

/** Root of the chunk tree over `messages`. */
export function chunkRoot(messages: readonly bigint[]): bigint {
  return chunkTree(messages).root;
}

/** Poseidon(DOMAIN_CHUNK_V1, size, root): what the node signs. */
export function chunkDigestFromRoot(size: number, root: bigint): bigint {
  checkSize(size);
  return poseidon([DOMAIN_CHUNK_V1, BigInt(size), root]);
}

/** The digest a node signs for a chunk of records with these messages (in chunk order). */
export function chunkDigest(messages: readonly bigint[]): bigint {
  return chunkDigestFromRoot(messages.length, chunkRoot(messages));
}

/** The siblings of message `index` in the chunk tree, leaf level first (CHUNK_LEVELS of them). */
export function chunkPath(messages: readonly bigint[], index: number): bigint[] {
  const tree = chunkTree(messages);
  if (!Number.isSafeInteger(index) || index < 0 || index >= messages.length) {
    fail("INVALID_CHUNK", `record index ${index} is outside a chunk of ${messages.length}`);
  }
  return tree.proof(index).siblings;
}

/**
 * The digest re-derived from one record's message and its place in the chunk. Refuses a place
 * that cannot exist (index outside the chunk, wrong path length).
 */
export function chunkDigestFromPath(message: bigint, size: number, index: number, path: readonly bigint[]): bigint {
  checkSize(size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    fail("INVALID_CHUNK", `chunk.index ${index} is outside a chunk of ${size} records`);
  }
  if (path.length !== CHUNK_LEVELS) {
    fail("INVALID_CHUNK", `chunk.path must have ${CHUNK_LEVELS} siblings, got ${path.length}`);
  }
  return chunkDigestFromRoot(size, computeRoot({ leaf: message, index, siblings: path.slice() }));
}
