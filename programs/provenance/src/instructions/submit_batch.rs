use anchor_lang::prelude::*;

use crate::constants::{ACCUMULATOR_SEED, BATCH_LOG_SEED, CONFIG_SEED, MAX_CLOCK_SKEW_MS};
use crate::crypto::{next_chain_head, public_hash, verify_proof};
use crate::errors::ProvenanceError;
use crate::events::{AccumulatorAppended, BatchSubmitted, RegistryRootChanged};
use crate::state::{accumulator_leaf, Accumulator, BatchLog, Config};
use crate::verifying_key::{circuit_key, CIRCUIT_SHAPES};

#[derive(Accounts)]
pub struct SubmitBatch<'info> {
    pub sequencer: Signer<'info>,
    #[account(
        mut,
        seeds = [CONFIG_SEED],
        bump = config.bump,
        constraint = config.sequencer == sequencer.key() @ ProvenanceError::NotSequencer,
    )]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [BATCH_LOG_SEED], bump = config.batch_log_bump)]
    pub batch_log: AccountLoader<'info, BatchLog>,
    /// Gets the batch's leaf appended (created by `initialize`, or `init_accumulator` on a
    /// deployment that predates it).
    #[account(mut, seeds = [ACCUMULATOR_SEED], bump = accumulator.load()?.bump)]
    pub accumulator: AccountLoader<'info, Accumulator>,
}

/// Appends batch `index` to the log once the proof verifies. Cheap checks come first so a
/// refused batch costs little compute; the pairing check comes last.
///
/// `registry_root` and `batch_root` are BN254 field elements, big-endian; `count` is 1..=batch
/// capacity; `[min_ts, max_ts]` is the inclusive window of the records' timestamps (ms since
/// epoch). The proof is in the byte layout of `groth16-solana` (see
/// `client-sdk/src/groth16-layout.ts`): `proof_a` negated, all coordinates 32-byte big-endian, G2 as
/// `x.c1 || x.c0 || y.c1 || y.c0`. `shape` picks the verifying key within `Config.circuit`'s
/// family (docs/circuit-v2.md): 0 is the chunk shape, 1 the single shape; both prove the same
/// statement, so the log does not depend on which one a batch used (the event records it).
#[allow(clippy::too_many_arguments)]
pub fn handler(
    ctx: Context<SubmitBatch>,
    index: u64,
    registry_root: [u8; 32],
    batch_root: [u8; 32],
    count: u32,
    min_ts: u64,
    max_ts: u64,
    proof_a: [u8; 64],
    proof_b: [u8; 128],
    proof_c: [u8; 64],
    shape: u8,
) -> Result<()> {
    let config = &mut ctx.accounts.config;
    require!(!config.paused, ProvenanceError::Paused);
    require!(index == config.next_index, ProvenanceError::WrongBatchIndex);

    require!(
        count >= 1 && count <= config.batch_capacity,
        ProvenanceError::InvalidCount
    );
    require!(min_ts <= max_ts, ProvenanceError::InvalidTimeWindow);

    let clock = Clock::get()?;
    // A clock before the epoch reads as 0; the bound then only admits the skew.
    let now_ms = u64::try_from(clock.unix_timestamp)
        .unwrap_or(0)
        .saturating_mul(1000);
    require!(
        max_ts <= now_ms.saturating_add(MAX_CLOCK_SKEW_MS),
        ProvenanceError::TimestampInFuture
    );
    require!(
        config.accepts_registry_root(&registry_root, clock.unix_timestamp),
        ProvenanceError::UnknownRegistryRoot
    );
    // The first batch proven against the staged root makes it current (the whole transaction
    // fails, and the stage stays, if the proof does not verify).
    let promotes_staged_root = config.is_staged_root(&registry_root);

    let public_input = public_hash(&registry_root, &batch_root, count, min_ts, max_ts)?;
    require!(shape < CIRCUIT_SHAPES, ProvenanceError::UnknownCircuitShape);
    let key = circuit_key(config.circuit, shape).ok_or(ProvenanceError::CircuitKeyNotCompiled)?;
    // Both shapes of a family have its batch capacity (scripts/onchain-keys.ts checks it), so
    // the `count` bound above holds for either.
    verify_proof(&proof_a, &proof_b, &proof_c, &public_input, &key.vk)?;

    let prev_head = config.chain_head;
    let new_head = next_chain_head(&prev_head, index, &batch_root, &registry_root, count, min_ts, max_ts);
    config.chain_head = new_head;
    config.next_index = index.checked_add(1).ok_or(ProvenanceError::CounterOverflow)?;
    config.total_records = config
        .total_records
        .checked_add(u64::from(count))
        .ok_or(ProvenanceError::CounterOverflow)?;
    ctx.accounts.batch_log.load_mut()?.append(index, batch_root);
    let leaf = accumulator_leaf(index, &batch_root, &registry_root, count, min_ts, max_ts);
    let (size, root) = {
        let mut acc = ctx.accounts.accumulator.load_mut()?;
        require!(
            acc.start_index.checked_add(acc.size) == Some(index),
            ProvenanceError::AccumulatorOutOfStep
        );
        let root = acc.append(leaf).ok_or(ProvenanceError::AccumulatorFull)?;
        (acc.size, root)
    };
    if promotes_staged_root {
        let (previous_root, previous_version) = (config.registry_root, config.registry_version);
        config.promote_staged_root(clock.unix_timestamp);
        emit!(RegistryRootChanged {
            previous_root,
            new_root: config.registry_root,
            previous_version,
            new_version: config.registry_version,
            retired_previous: false,
            promoted_by_batch: Some(index),
            unix_timestamp: clock.unix_timestamp,
        });
    }

    emit!(BatchSubmitted {
        index,
        batch_root,
        registry_root,
        count,
        min_ts,
        max_ts,
        prev_head,
        new_head,
        slot: clock.slot,
        unix_timestamp: clock.unix_timestamp,
        shape,
    });
    emit!(AccumulatorAppended { index, leaf, size, root });
    Ok(())
}
