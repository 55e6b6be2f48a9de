use anchor_lang::prelude::*;

use crate::constants::{ACCUMULATOR_SEED, BATCH_LOG_SEED, CONFIG_SEED};
use crate::crypto::is_canonical_field_element;
use crate::errors::ProvenanceError;
use crate::state::{Accumulator, BatchLog, Circuit, Config};
use crate::verifying_key::circuit_key;

/// `BPFLoaderUpgradeab1e11111111111111111111111`, the loader a cluster deploys programs with.
pub const UPGRADEABLE_LOADER_ID: Pubkey = pubkey!("BPFLoaderUpgradeab1e11111111111111111111111");

#[derive(Accounts)]
pub struct Initialize<'info> {
    /// Becomes the admin; pays for both accounts. Must be the program's upgrade authority, so
    /// nobody can initialize a freshly deployed program before its deployer does.
    #[account(mut)]
    pub admin: Signer<'info>,
    /// The program's ProgramData account (BPF upgradeable loader, PDA `[program id]`), which
    /// names the upgrade authority.
    #[account(
        seeds = [crate::ID.as_ref()],
        bump,
        seeds::program = UPGRADEABLE_LOADER_ID,
        constraint = program_data.upgrade_authority_address == Some(admin.key()) @ ProvenanceError::NotUpgradeAuthority,
    )]
    pub program_data: Account<'info, ProgramData>,
    /// `init` makes a second `initialize` fail: the PDA already exists.
    #[account(init, payer = admin, space = 8 + Config::INIT_SPACE, seeds = [CONFIG_SEED], bump)]
    pub config: Account<'info, Config>,
    #[account(init, payer = admin, space = BatchLog::SPACE, seeds = [BATCH_LOG_SEED], bump)]
    pub batch_log: AccountLoader<'info, BatchLog>,
    /// The accumulator of every batch from batch 0 on.
    #[account(init, payer = admin, space = Accumulator::SPACE, seeds = [ACCUMULATOR_SEED], bump)]
    pub accumulator: AccountLoader<'info, Accumulator>,
    pub system_program: Program<'info, System>,
}

/// Creates `Config`, the `BatchLog` ring and the `Accumulator` for `circuit`, whose verifying key must be compiled
/// into this build: a cluster build has no test/dev keys, so it cannot be set up to accept
/// proofs from their public (insecure) trusted setup. Refused unless signed by the program's
/// upgrade authority, and when the sequencer would be the admin.
pub fn handler(
    ctx: Context<Initialize>,
    circuit: Circuit,
    sequencer: Pubkey,
    registry_root: [u8; 32],
) -> Result<()> {
    require!(sequencer != ctx.accounts.admin.key(), ProvenanceError::AdminIsSequencer);
    // A family is deployable when its chunk shape's key is compiled in; the single shape is
    // optional (a family without it proves every batch with the chunk shape).
    let key = circuit_key(circuit, 0).ok_or(ProvenanceError::CircuitKeyNotCompiled)?;
    require!(
        is_canonical_field_element(&registry_root),
        ProvenanceError::NonCanonicalFieldElement
    );

    let config = &mut ctx.accounts.config;
    config.admin = ctx.accounts.admin.key();
    config.sequencer = sequencer;
    config.circuit = circuit;
    config.batch_capacity = key.batch_capacity;
    config.registry_root = registry_root;
    config.registry_version = 0;
    config.recent_roots = Default::default();
    config.recent_roots_next = 0;
    config.chain_head = [0u8; 32];
    config.next_index = 0;
    config.total_records = 0;
    config.staged_registry_root = [0u8; 32];
    config.staged_registry_version = 0;
    config.staged_at = 0;
    config.pending_admin = Pubkey::default();
    config.paused = false;
    config.bump = ctx.bumps.config;
    config.batch_log_bump = ctx.bumps.batch_log;

    ctx.accounts.batch_log.load_init()?.next_index = 0;
    ctx.accounts.accumulator.load_init()?.init(0, ctx.bumps.accumulator);
    Ok(())
}
