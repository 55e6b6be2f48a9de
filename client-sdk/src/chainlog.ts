/**
 * The program's batch log, the parts that need no RPC client: the hash-chain rule of
 * docs/on-chain.md, the BatchLog ring size, the public clusters' genesis hashes and the
 * `submit_batch` statement type. Kept apart from `chain.ts` (which loads web3.js and Anchor,
 * half a second) so the lean SDK entry does not pay for them.
 */
import { sha256 } from "@noble/hashes/sha2";
import { fail } from "./errors.js";
import { bytesToHex } from "./field.js";
import { BATCH_CHAIN_DOMAIN } from "./idl/constants.js";

export { isLoopbackHost } from "./hosts.js";

/** Roots kept in `BatchLog` (`BATCH_LOG_CAPACITY` in the program, read from its IDL). */
export { BATCH_LOG_CAPACITY } from "./idl/constants.js";
/** The program's `BATCH_CHAIN_DOMAIN` (read from its IDL) as text: `provenance.batch.v1`. */
export const CHAIN_DOMAIN: string = new TextDecoder().decode(BATCH_CHAIN_DOMAIN);
export const GENESIS_HEAD = "0".repeat(64);

/** Genesis hashes of the public clusters, for checking a bundle's `cluster` name. */
export const KNOWN_CLUSTERS: Readonly<Record<string, string>> = {
  "mainnet-beta": "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d",
  devnet: "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG",
  testnet: "4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY",
};

/** The statement of a `submit_batch` instruction (all from the instruction data). */
export interface SubmitBatchArgs {
  index: number;
  registryRoot: string;
  batchRoot: string;
  count: number;
  minTs: number;
  maxTs: number;
  /** groth16-solana byte layout, hex: A negated (64 bytes), B (128), C (64). */
  proofA: string;
  proofB: string;
  proofC: string;
  /** The circuit shape whose key verifies the proof: 0 chunk shape, 1 single shape (docs/circuit-v2.md). */
  shape: number;
}

/**
 * The hash chain of batches (docs/on-chain.md): sha256("provenance.batch.v1" || prev_head ||
 * index u64 BE || batch_root || registry_root || count u32 BE || min_ts u64 BE || max_ts u64 BE).
 */
export function nextChainHead(prevHead: string, s: Pick<SubmitBatchArgs, "index" | "batchRoot" | "registryRoot" | "count" | "minTs" | "maxTs">): string {
  const buf = new Uint8Array(BATCH_CHAIN_DOMAIN.length + 32 + 8 + 32 + 32 + 4 + 8 + 8);
  const view = new DataView(buf.buffer);
  let o = 0;
  buf.set(BATCH_CHAIN_DOMAIN, o);
  o += BATCH_CHAIN_DOMAIN.length;
  const put = (h: string, what: string) => {
    if (!/^[0-9a-f]{64}$/.test(h)) fail("INVALID_HEX", `${what} must be 64 lowercase hex characters`);
    for (let i = 0; i < 32; i++) buf[o + i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
    o += 32;
  };
  put(prevHead, "previous chain head");
  view.setBigUint64(o, BigInt(s.index), false);
  o += 8;
  put(s.batchRoot, "batch root");
  put(s.registryRoot, "registry root");
  view.setUint32(o, s.count, false);
  o += 4;
  view.setBigUint64(o, BigInt(s.minTs), false);
  o += 8;
  view.setBigUint64(o, BigInt(s.maxTs), false);
  return bytesToHex(sha256(buf));
}

