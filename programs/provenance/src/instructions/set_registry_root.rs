use anchor_lang::prelude::*;

use crate::constants::CONFIG_SEED;
use crate::crypto::is_canonical_field_element;
use crate::errors::ProvenanceError;
use crate::events::RegistryRootChanged;
use crate::state::Config;

#[derive(Accounts)]
pub struct SetRegistryRoot<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = admin @ ProvenanceError::Unauthorized)]
    pub config: Account<'info, Config>,
}

/// Publishes a new node-registry root, `registry_version` in the registry's history. Versions
/// only increase, so a superseded root (one that may still list a revoked node) can never be
/// made current again. The previous root stays acceptable for `REGISTRY_ROOT_GRACE_SECS`
/// (batches already being proven against it still land) unless `retire_previous` is set, which
/// forgets every superseded root immediately — for revoking a compromised node.
/// `retire_previous` with the current root and version only clears the history.
pub fn handler(
    ctx: Context<SetRegistryRoot>,
    new_root: [u8; 32],
    registry_version: u64,
    retire_previous: bool,
) -> Result<()> {
    require!(
        is_canonical_field_element(&new_root),
        ProvenanceError::NonCanonicalFieldElement
    );
    let config = &mut ctx.accounts.config;
    let previous_root = config.registry_root;
    require!(
        new_root != previous_root || retire_previous,
        ProvenanceError::RegistryRootUnchanged
    );
    let previous_version = config.registry_version;
    let clears_history_only =
        retire_previous && new_root == previous_root && registry_version == previous_version;
    require!(
        registry_version > previous_version || clears_history_only,
        ProvenanceError::RegistryVersionNotNewer
    );
    let now = Clock::get()?.unix_timestamp;
    config.replace_registry_root(new_root, registry_version, retire_previous, now);
    emit!(RegistryRootChanged {
        previous_root,
        new_root,
        previous_version,
        new_version: registry_version,
        retired_previous: retire_previous,
        unix_timestamp: now,
    });
    Ok(())
}
