/**
 * The program's protocol constants, read from its generated IDL (`#[constant]` in
 * programs/provenance/src/constants.rs, exported by `npm run gen:onchain`) instead of copied:
 * the PDA seeds, the hash-chain domain, the BatchLog ring size, the registry root history and
 * grace period, the clock skew `submit_batch` allows, and the circuit configurations of the
 * `Circuit` enum. Each is checked when this module loads (present once, of the type the
 * program declares, in range): a stale or hand-edited IDL fails loudly here, not as a wrong
 * PDA or a chain-head mismatch later.
 *
 * Browser-safe: the IDL is JSON, no Node-only imports.
 */
import { PROVENANCE_IDL, type Provenance } from "./index.js";

const WHERE = "client-sdk/src/idl/provenance.json (regenerate it with `npm run gen:onchain`)";

type RawIdl = { constants?: unknown; types?: unknown };

const UNSIGNED_MAX: Readonly<Record<string, bigint>> = { u8: 0xffn, u16: 0xffffn, u32: 0xffff_ffffn, u64: 0xffff_ffff_ffff_ffffn };
const SIGNED: Readonly<Record<string, bigint>> = { i8: 0x7fn, i16: 0x7fffn, i32: 0x7fff_ffffn, i64: 0x7fff_ffff_ffff_ffffn };

function bad(message: string): never {
  throw new Error(`${WHERE}: ${message}`);
}

/** The `value` string of the one IDL constant `name`, whose declared type must be `type`. */
function idlConstant(raw: RawIdl, name: string, type: string): string {
  if (!Array.isArray(raw.constants)) bad('has no "constants" array');
  const found = (raw.constants as unknown[]).filter((c) => (c as { name?: unknown } | null)?.name === name) as { type?: unknown; value?: unknown }[];
  if (found.length !== 1) bad(found.length === 0 ? `has no constant ${name}` : `has ${found.length} constants named ${name}`);
  const c = found[0]!;
  if (c.type !== type) bad(`constant ${name} has type ${JSON.stringify(c.type)}, expected ${JSON.stringify(type)}`);
  if (typeof c.value !== "string") bad(`constant ${name} has no string value`);
  return c.value;
}

/** An integer constant of Rust type `type`, as a JS number (must be a safe integer). */
function idlInteger(raw: RawIdl, name: string, type: "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64"): number {
  const value = idlConstant(raw, name, type);
  if (!/^-?(0|[1-9][0-9]*)$/.test(value)) bad(`constant ${name} = ${JSON.stringify(value)} is not a decimal integer`);
  const n = BigInt(value);
  const [min, max] = type.startsWith("u") ? [0n, UNSIGNED_MAX[type]!] : [-SIGNED[type]! - 1n, SIGNED[type]!];
  if (n < min || n > max) bad(`constant ${name} = ${value} is out of range for ${type}`);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) bad(`constant ${name} = ${value} is not a safe JS integer`);
  return Number(n);
}

/** A `&[u8]` constant (the IDL writes it as `"[1, 2, …]"`). */
function idlBytes(raw: RawIdl, name: string): Uint8Array {
  const value = idlConstant(raw, name, "bytes");
  let list: unknown;
  try {
    list = JSON.parse(value);
  } catch {
    bad(`constant ${name} = ${JSON.stringify(value)} is not a list of bytes`);
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((b) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255)) {
    bad(`constant ${name} = ${JSON.stringify(value)} is not a non-empty list of bytes`);
  }
  return Uint8Array.from(list as number[]);
}

/** A circuit configuration of the program's `Circuit` enum, lower-case (as `circuits/circuits.json` names it). */
export type CircuitName = Extract<Provenance["types"][number], { name: "circuit" }>["type"]["variants"][number]["name"];

function idlCircuits(raw: RawIdl): readonly CircuitName[] {
  if (!Array.isArray(raw.types)) bad('has no "types" array');
  const found = (raw.types as unknown[]).filter((t) => (t as { name?: unknown } | null)?.name === "Circuit") as { type?: { kind?: unknown; variants?: unknown } }[];
  if (found.length !== 1) bad(found.length === 0 ? "has no type Circuit" : `has ${found.length} types named Circuit`);
  const t = found[0]!.type;
  if (t?.kind !== "enum" || !Array.isArray(t.variants) || t.variants.length === 0) bad("type Circuit is not a non-empty enum");
  const names = (t.variants as unknown[]).map((v) => {
    const o = v as { name?: unknown; fields?: unknown } | null;
    if (typeof o?.name !== "string" || o.name.length === 0 || o.fields !== undefined) bad("type Circuit has a variant that is not a plain name");
    return o.name.toLowerCase();
  });
  if (new Set(names).size !== names.length) bad("type Circuit has two variants of the same name");
  return Object.freeze(names as CircuitName[]);
}

export interface ProtocolConstants {
  configSeed: Uint8Array;
  batchLogSeed: Uint8Array;
  batchChainDomain: Uint8Array;
  batchLogCapacity: number;
  registryRootHistory: number;
  registryRootGraceSecs: number;
  maxClockSkewMs: number;
  circuits: readonly CircuitName[];
  accumulatorSeed: Uint8Array;
  accumulatorDepth: number;
  accumulatorRootHistory: number;
  accumulatorLeafDomain: Uint8Array;
}

/**
 * Reads and checks the protocol constants of an IDL as `anchor build` writes it; throws naming
 * the constant that is missing, of the wrong type or out of range. (The exports below are
 * those of the SDK's own IDL, read once when this module loads.)
 */
export function readProtocolConstants(idl: unknown): ProtocolConstants {
  if (typeof idl !== "object" || idl === null) bad("is not an object");
  const raw = idl as RawIdl;
  return {
    configSeed: idlBytes(raw, "CONFIG_SEED"),
    batchLogSeed: idlBytes(raw, "BATCH_LOG_SEED"),
    batchChainDomain: idlBytes(raw, "BATCH_CHAIN_DOMAIN"),
    batchLogCapacity: idlInteger(raw, "BATCH_LOG_CAPACITY", "u64"),
    registryRootHistory: idlInteger(raw, "REGISTRY_ROOT_HISTORY", "u8"),
    registryRootGraceSecs: idlInteger(raw, "REGISTRY_ROOT_GRACE_SECS", "i64"),
    maxClockSkewMs: idlInteger(raw, "MAX_CLOCK_SKEW_MS", "u64"),
    circuits: idlCircuits(raw),
    accumulatorSeed: idlBytes(raw, "ACCUMULATOR_SEED"),
    accumulatorDepth: idlInteger(raw, "ACCUMULATOR_DEPTH", "u8"),
    accumulatorRootHistory: idlInteger(raw, "ACCUMULATOR_ROOT_HISTORY", "u64"),
    accumulatorLeafDomain: idlBytes(raw, "ACCUMULATOR_LEAF_DOMAIN"),
  };
}

const C = readProtocolConstants(PROVENANCE_IDL);

/** Seed of the `Config` PDA (`CONFIG_SEED`: `"config"`). Do not modify. */
export const CONFIG_SEED: Uint8Array = C.configSeed;
/** Seed of the `BatchLog` PDA (`BATCH_LOG_SEED`: `"batch_log"`). Do not modify. */
export const BATCH_LOG_SEED: Uint8Array = C.batchLogSeed;
/** Domain separator of the hash chain of batches (`BATCH_CHAIN_DOMAIN`: `"provenance.batch.v1"`). Do not modify. */
export const BATCH_CHAIN_DOMAIN: Uint8Array = C.batchChainDomain;
/** Roots kept in `BatchLog` (`BATCH_LOG_CAPACITY`). */
export const BATCH_LOG_CAPACITY: number = C.batchLogCapacity;
/** Superseded registry roots `Config` remembers (`REGISTRY_ROOT_HISTORY`). */
export const REGISTRY_ROOT_HISTORY: number = C.registryRootHistory;
/** Seconds of cluster time a superseded registry root is still accepted (`REGISTRY_ROOT_GRACE_SECS`). */
export const REGISTRY_ROOT_GRACE_SECS: number = C.registryRootGraceSecs;
/** How far a batch's `max_ts` (ms) may run ahead of the cluster clock (`MAX_CLOCK_SKEW_MS`). */
export const MAX_CLOCK_SKEW_MS: number = C.maxClockSkewMs;
/** The circuit configurations the program knows (`Circuit`), lower-case. */
export const CIRCUIT_NAMES: readonly CircuitName[] = C.circuits;
/** Seed of the `Accumulator` PDA (`ACCUMULATOR_SEED`: `"accumulator"`). Do not modify. */
export const ACCUMULATOR_SEED: Uint8Array = C.accumulatorSeed;
/** Depth of the accumulator tree (`ACCUMULATOR_DEPTH`: 32). */
export const ACCUMULATOR_DEPTH: number = C.accumulatorDepth;
/** Recent accumulator roots the `Accumulator` account keeps (`ACCUMULATOR_ROOT_HISTORY`). */
export const ACCUMULATOR_ROOT_HISTORY: number = C.accumulatorRootHistory;
/** Domain separator of accumulator leaves (`ACCUMULATOR_LEAF_DOMAIN`: `"provenance.acc.leaf.v1"`). Do not modify. */
export const ACCUMULATOR_LEAF_DOMAIN: Uint8Array = C.accumulatorLeafDomain;
