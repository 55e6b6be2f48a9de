use anchor_lang::prelude::*;

use crate::constants::{ACCUMULATOR_SEED, CONFIG_SEED};
use crate::errors::ProvenanceError;
use crate::events::AccumulatorInitialized;
use crate::state::{Accumulator, Config};

/// Migration of a deployment initialized before the accumulator existed: a new PDA, not a
/// realloc of `Config` (whose layout, and every client decoding it, stays as it is). Once the
/// program is upgraded, `submit_batch` needs this account, so the admin pauses, upgrades, runs
/// `init_accumulator`, and unpauses. On a deployment initialized with the accumulator the PDA
/// exists and this fails (`AccountAlreadyInUse`).
#[derive(Accounts)]
pub struct InitAccumulator<'info> {
    /// Pays the accumulator's rent.
    #[account(mut, address = config.admin @ ProvenanceError::Unauthorized)]
    pub admin: Signer<'info>,
    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(init, payer = admin, space = Accumulator::SPACE, seeds = [ACCUMULATOR_SEED], bump)]
    pub accumulator: AccountLoader<'info, Accumulator>,
    pub system_program: Program<'info, System>,
}

/// Creates the accumulator with leaf 0 = batch `Config.next_index`: the program cannot check a
/// backfill of earlier batches (it only keeps their hash chain head), so it takes none. Earlier
/// batches stay checkable through the BatchLog ring and the hash chain (docs/on-chain.md).
pub fn handler(ctx: Context<InitAccumulator>) -> Result<()> {
    let start_index = ctx.accounts.config.next_index;
    ctx.accounts.accumulator.load_init()?.init(start_index, ctx.bumps.accumulator);
    emit!(AccumulatorInitialized { start_index });
    Ok(())
}
