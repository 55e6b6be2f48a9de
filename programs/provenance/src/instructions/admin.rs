use anchor_lang::prelude::*;

use crate::constants::CONFIG_SEED;
use crate::errors::ProvenanceError;
use crate::events::{AdminChanged, AdminProposed};
use crate::state::Config;

#[derive(Accounts)]
pub struct ProposeAdmin<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = admin @ ProvenanceError::Unauthorized)]
    pub config: Account<'info, Config>,
}

/// First step of the admin hand-over: names the successor, who must then sign `accept_admin`
/// (so a typo cannot hand the program to a key nobody holds). `Pubkey::default()` withdraws a
/// proposal; a new proposal replaces the previous one.
pub fn propose(ctx: Context<ProposeAdmin>, new_admin: Pubkey) -> Result<()> {
    let config = &mut ctx.accounts.config;
    require!(new_admin != config.sequencer, ProvenanceError::AdminIsSequencer);
    config.pending_admin = new_admin;
    emit!(AdminProposed { admin: config.admin, pending_admin: new_admin });
    Ok(())
}

#[derive(Accounts)]
pub struct AcceptAdmin<'info> {
    pub new_admin: Signer<'info>,
    #[account(
        mut,
        seeds = [CONFIG_SEED],
        bump = config.bump,
        constraint = config.pending_admin != Pubkey::default()
            && config.pending_admin == new_admin.key() @ ProvenanceError::NotPendingAdmin,
    )]
    pub config: Account<'info, Config>,
}

/// Second step: the proposed key takes the admin role, and the proposal is cleared.
pub fn accept(ctx: Context<AcceptAdmin>) -> Result<()> {
    let config = &mut ctx.accounts.config;
    let new_admin = ctx.accounts.new_admin.key();
    // The sequencer may have been changed to this key since the proposal.
    require!(new_admin != config.sequencer, ProvenanceError::AdminIsSequencer);
    let previous_admin = config.admin;
    config.admin = new_admin;
    config.pending_admin = Pubkey::default();
    emit!(AdminChanged { previous_admin, new_admin });
    Ok(())
}
