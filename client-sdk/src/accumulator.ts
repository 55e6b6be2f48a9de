/**
 * The program's append-only Merkle accumulator of batches (docs/on-chain.md#accumulator), the
 * parts that need no RPC client: leaf and node hashes, the tree over a list of leaves, paths
 * and their check. Byte for byte what `programs/provenance/src/state/accumulator.rs` does.
 *
 * leaf(batch) = sha256("provenance.acc.leaf.v1" || index u64 BE || batch_root || registry_root ||
 *                      count u32 BE || min_ts u64 BE || max_ts u64 BE)
 * node(l, r)  = sha256(0x01 || l || r); an empty leaf is 32 zero bytes; depth 32.
 *
 * Browser-safe: no Node-only imports.
 */
import { sha256 } from "@noble/hashes/sha2";
import { fail } from "./errors.js";
import { bytesToHex } from "./field.js";
import { ACCUMULATOR_DEPTH, ACCUMULATOR_LEAF_DOMAIN, ACCUMULATOR_ROOT_HISTORY } from "./idl/constants.js";

export { ACCUMULATOR_DEPTH, ACCUMULATOR_ROOT_HISTORY };

/** The part of a batch statement the accumulator commits to (what `submit_batch` takes). */
export interface AccumulatorStatement {
  index: number;
  batchRoot: string;
  registryRoot: string;
  count: number;
  minTs: number;
  maxTs: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

function bytes32(h: string, what: string): Uint8Array {
  if (!HEX64.test(h)) fail("INVALID_HEX", `${what} must be 64 lowercase hex characters`);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function nodeBytes(l: Uint8Array, r: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = 1;
  buf.set(l, 1);
  buf.set(r, 33);
  return sha256(buf);
}

/** `sha256(0x01 || left || right)`, hex. */
export function accumulatorNode(left: string, right: string): string {
  return bytesToHex(nodeBytes(bytes32(left, "left node"), bytes32(right, "right node")));
}

/** The accumulator leaf of a batch statement, hex. */
export function accumulatorLeaf(s: AccumulatorStatement): string {
  const d = ACCUMULATOR_LEAF_DOMAIN;
  const buf = new Uint8Array(d.length + 8 + 32 + 32 + 4 + 8 + 8);
  const view = new DataView(buf.buffer);
  let o = 0;
  buf.set(d, o);
  o += d.length;
  view.setBigUint64(o, BigInt(s.index), false);
  o += 8;
  buf.set(bytes32(s.batchRoot, "batch root"), o);
  o += 32;
  buf.set(bytes32(s.registryRoot, "registry root"), o);
  o += 32;
  view.setUint32(o, s.count, false);
  o += 4;
  view.setBigUint64(o, BigInt(s.minTs), false);
  o += 8;
  view.setBigUint64(o, BigInt(s.maxTs), false);
  return bytesToHex(sha256(buf));
}

/** `ZEROS[l]`: the root of an empty subtree of height l (hex), l = 0..32. */
export const ACCUMULATOR_ZEROS: readonly string[] = (() => {
  const z: Uint8Array[] = [new Uint8Array(32)];
  for (let l = 0; l < ACCUMULATOR_DEPTH; l++) z.push(nodeBytes(z[l]!, z[l]!));
  return z.map(bytesToHex);
})();

/** Root of the empty accumulator. */
export const EMPTY_ACCUMULATOR_ROOT: string = ACCUMULATOR_ZEROS[ACCUMULATOR_DEPTH]!;

/** The root a path leads to: `leaf` at `position`, `siblings[l]` its sibling at level l. */
export function rootFromPath(leaf: string, position: number, siblings: readonly string[]): string {
  if (siblings.length !== ACCUMULATOR_DEPTH) fail("INVALID_PROOF", `an accumulator path has ${ACCUMULATOR_DEPTH} siblings, got ${siblings.length}`);
  if (!Number.isSafeInteger(position) || position < 0 || position >= 2 ** ACCUMULATOR_DEPTH) fail("INVALID_PROOF", `accumulator position ${position} is out of range`);
  let node = bytes32(leaf, "leaf");
  let p = position;
  for (let l = 0; l < ACCUMULATOR_DEPTH; l++) {
    const s = bytes32(siblings[l]!, `sibling ${l}`);
    node = p % 2 === 0 ? nodeBytes(node, s) : nodeBytes(s, node);
    p = Math.floor(p / 2);
  }
  return bytesToHex(node);
}

/** The tree over the first `leaves.length` leaves (hex), with the root and a path for any leaf. */
export class AccumulatorTree {
  /** levels[l][i]: node i at height l over the leaves (no padding stored). */
  private readonly levels: Uint8Array[][];

  constructor(leaves: readonly string[]) {
    if (leaves.length > 2 ** ACCUMULATOR_DEPTH) fail("INVALID_PROOF", "more leaves than the accumulator holds");
    const zeros = ACCUMULATOR_ZEROS.map((z) => bytes32(z, "zero"));
    this.levels = [leaves.map((l, i) => bytes32(l, `leaf ${i}`))];
    for (let l = 0; l < ACCUMULATOR_DEPTH; l++) {
      const below = this.levels[l]!;
      const up: Uint8Array[] = [];
      for (let i = 0; i < below.length; i += 2) up.push(nodeBytes(below[i]!, below[i + 1] ?? zeros[l]!));
      this.levels.push(up);
    }
    if (leaves.length === 0) this.levels[ACCUMULATOR_DEPTH] = [zeros[ACCUMULATOR_DEPTH]!];
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  get root(): string {
    return bytesToHex(this.levels[ACCUMULATOR_DEPTH]![0]!);
  }

  /** The siblings of leaf `position` (hex, leaf level first). */
  path(position: number): string[] {
    if (!Number.isSafeInteger(position) || position < 0 || position >= this.size) fail("INVALID_PROOF", `leaf ${position} is not in an accumulator of ${this.size} leaves`);
    const out: string[] = [];
    let p = position;
    for (let l = 0; l < ACCUMULATOR_DEPTH; l++) {
      const s = this.levels[l]![p ^ 1];
      out.push(s ? bytesToHex(s) : ACCUMULATOR_ZEROS[l]!);
      p = Math.floor(p / 2);
    }
    return out;
  }
}
