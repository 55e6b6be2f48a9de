use anchor_lang::prelude::*;

use crate::constants::CONFIG_SEED;
use crate::errors::ProvenanceError;
use crate::events::PausedChanged;
use crate::state::Config;

#[derive(Accounts)]
pub struct SetPaused<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = admin @ ProvenanceError::Unauthorized)]
    pub config: Account<'info, Config>,
}

/// Pausing stops `submit_batch` only; admin instructions keep working so the admin can fix
/// the sequencer key or the registry root before unpausing.
pub fn handler(ctx: Context<SetPaused>, paused: bool) -> Result<()> {
    ctx.accounts.config.paused = paused;
    emit!(PausedChanged { paused });
    Ok(())
}
