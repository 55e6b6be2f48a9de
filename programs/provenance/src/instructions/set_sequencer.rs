use anchor_lang::prelude::*;

use crate::constants::CONFIG_SEED;
use crate::errors::ProvenanceError;
use crate::events::SequencerChanged;
use crate::state::Config;

#[derive(Accounts)]
pub struct SetSequencer<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = admin @ ProvenanceError::Unauthorized)]
    pub config: Account<'info, Config>,
}

pub fn handler(ctx: Context<SetSequencer>, new_sequencer: Pubkey) -> Result<()> {
    let config = &mut ctx.accounts.config;
    require!(new_sequencer != config.admin, ProvenanceError::AdminIsSequencer);
    emit!(SequencerChanged {
        previous_sequencer: config.sequencer,
        new_sequencer,
    });
    config.sequencer = new_sequencer;
    Ok(())
}
