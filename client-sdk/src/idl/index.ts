/**
 * The Anchor IDL of the on-chain program `provenance` and its TypeScript type, generated from
 * the Rust source by `npm run gen:onchain` (see docs/on-chain.md). Use with @coral-xyz/anchor
 * 0.31: `new Program<Provenance>(PROVENANCE_IDL, provider)`.
 */
import idl from "./provenance.json" with { type: "json" };
import type { Provenance } from "./provenance.js";

export type { Provenance };

/** The IDL as `anchor build` writes it (snake_case), typed for `Program<Provenance>`. */
export const PROVENANCE_IDL = idl as unknown as Provenance;

/** Base58 program id the IDL was built for (`declare_id!` in programs/provenance/src/lib.rs). */
export const PROVENANCE_PROGRAM_ID: string = idl.address;
