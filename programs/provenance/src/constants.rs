//! Seeds and protocol constants. Everything a client must agree with lives here and is exported
//! in the IDL (`#[constant]`).
use anchor_lang::prelude::*;

/// Seed of the `Config` PDA: `["config"]`.
#[constant]
pub const CONFIG_SEED: &[u8] = b"config";

/// Seed of the `BatchLog` PDA (ring buffer of recent batch roots): `["batch_log"]`.
#[constant]
pub const BATCH_LOG_SEED: &[u8] = b"batch_log";

/// Domain separator of the hash chain of batches:
/// `new_head = sha256(BATCH_CHAIN_DOMAIN || prev_head || index u64 BE || batch_root ||
/// registry_root || count u32 BE || min_ts u64 BE || max_ts u64 BE)`.
#[constant]
pub const BATCH_CHAIN_DOMAIN: &[u8] = b"provenance.batch.v1";

/// How many batch roots the `BatchLog` ring buffer keeps (one account read answers "what is
/// the root of batch i" for the last `BATCH_LOG_CAPACITY` batches).
#[constant]
pub const BATCH_LOG_CAPACITY: u64 = 256;

/// How many superseded registry roots `Config` remembers, so that batches proven just before
/// a registry change still land.
#[constant]
pub const REGISTRY_ROOT_HISTORY: u8 = 8;

/// A superseded registry root is accepted for this long after it was replaced (seconds of
/// cluster time). Bounds how long a revoked node's records can still be anchored.
#[constant]
pub const REGISTRY_ROOT_GRACE_SECS: i64 = 3_600;

/// How far `max_ts` (ms) may run ahead of the cluster clock (`unix_timestamp * 1000`). The
/// cluster clock is a stake-weighted estimate that can lag wall-clock time by tens of seconds,
/// and it has one-second resolution.
#[constant]
pub const MAX_CLOCK_SKEW_MS: u64 = 120_000;

/// Seed of the `Accumulator` PDA (append-only Merkle tree of every batch): `["accumulator"]`.
#[constant]
pub const ACCUMULATOR_SEED: &[u8] = b"accumulator";

/// Depth of the accumulator tree: room for 2^32 batches.
#[constant]
pub const ACCUMULATOR_DEPTH: u8 = 32;

/// How many recent accumulator roots (with their sizes) the `Accumulator` account keeps. A path
/// to any of them verifies with one account read; an older one is refreshed to a newer root.
#[constant]
pub const ACCUMULATOR_ROOT_HISTORY: u64 = 64;

/// Domain separator of an accumulator leaf:
/// `leaf = sha256(ACCUMULATOR_LEAF_DOMAIN || index u64 BE || batch_root || registry_root ||
/// count u32 BE || min_ts u64 BE || max_ts u64 BE)`; an inner node is
/// `sha256(0x01 || left || right)`, an empty leaf 32 zero bytes.
#[constant]
pub const ACCUMULATOR_LEAF_DOMAIN: &[u8] = b"provenance.acc.leaf.v1";
