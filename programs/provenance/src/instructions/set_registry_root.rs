use anchor_lang::prelude::*;

use crate::constants::CONFIG_SEED;
use crate::crypto::is_canonical_field_element;
use crate::errors::ProvenanceError;
use crate::events::{RegistryRootChanged, RegistryRootStaged};
use crate::state::Config;

#[derive(Accounts)]
pub struct SetRegistryRoot<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = admin @ ProvenanceError::Unauthorized)]
    pub config: Account<'info, Config>,
}

/// Publishes node-registry root `new_root`, `registry_version` in the registry's history.
///
/// Without `retire_previous` the root is **staged**: the current root stays current, and the
/// first `submit_batch` proven against the staged root makes it current (the previous one then
/// stays acceptable for `REGISTRY_ROOT_GRACE_SECS`). Batches are submitted in index order and
/// sealed under non-decreasing versions, so the current root never moves past a batch still
/// sealed under it: an ordinary registration or revocation cannot expire a batch in flight.
/// A newer stage replaces a staged root that no batch has used yet.
///
/// With `retire_previous` (an emergency revocation: a node revoked for cause) the root becomes
/// current at once, and every superseded root and the staged one are forgotten, so no batch
/// proven against them lands any more. With the current root and version it only clears them.
///
/// Versions only increase (above the current and the staged version). They do not bind the
/// root: the admin can publish under a higher version a root it superseded before; auditors
/// read the history from these transactions (docs/threat-model.md).
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
    let previous_version = config.registry_version;
    require!(
        new_root != previous_root || retire_previous,
        ProvenanceError::RegistryRootUnchanged
    );
    let clears_history_only =
        retire_previous && new_root == previous_root && registry_version == previous_version;
    require!(
        clears_history_only || registry_version > config.newest_registry_version().max(previous_version),
        ProvenanceError::RegistryVersionNotNewer
    );
    let now = Clock::get()?.unix_timestamp;
    if retire_previous {
        config.replace_registry_root(new_root, registry_version, true, now);
        emit!(RegistryRootChanged {
            previous_root,
            new_root,
            previous_version,
            new_version: registry_version,
            retired_previous: true,
            promoted_by_batch: None,
            unix_timestamp: now,
        });
    } else {
        let (replaced_staged_root, replaced_staged_version) = if config.has_staged_root() {
            (config.staged_registry_root, config.staged_registry_version)
        } else {
            ([0u8; 32], 0)
        };
        config.stage_registry_root(new_root, registry_version, now);
        emit!(RegistryRootStaged {
            root: new_root,
            version: registry_version,
            current_root: previous_root,
            current_version: previous_version,
            replaced_staged_root,
            replaced_staged_version,
            unix_timestamp: now,
        });
    }
    Ok(())
}
