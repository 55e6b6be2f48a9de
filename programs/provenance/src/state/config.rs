use anchor_lang::prelude::*;

use crate::constants::{REGISTRY_ROOT_GRACE_SECS, REGISTRY_ROOT_HISTORY};
use crate::state::Circuit;

/// The program's single configuration and chain-state account, PDA `["config"]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Config {
    pub admin: Pubkey,
    pub sequencer: Pubkey,
    /// The circuit whose verifying key checks every proof; fixed at `initialize`.
    pub circuit: Circuit,
    /// Batch capacity of that circuit (2^batchLevels), copied at `initialize`.
    pub batch_capacity: u32,
    /// Current root of the node registry tree (BN254 field element, big-endian).
    pub registry_root: [u8; 32],
    /// Version of `registry_root` in the registry's history (the sequencer's count of registry
    /// operations; 0 at `initialize`). Only ever increases: an old root cannot be restored.
    pub registry_version: u64,
    /// Superseded registry roots, most recent at `recent_roots_next - 1` (ring).
    pub recent_roots: [RecentRegistryRoot; 8],
    /// Next slot of the `recent_roots` ring.
    pub recent_roots_next: u8,
    /// A registry root the admin published to become current with the first batch proven
    /// against it (`submit_batch` promotes it), so the current root never moves past batches
    /// still sealed under it. All zero with `staged_at == 0` when nothing is staged.
    pub staged_registry_root: [u8; 32],
    /// Version of `staged_registry_root`; above `registry_version`.
    pub staged_registry_version: u64,
    /// When the root was staged (cluster unix time, seconds); 0 when nothing is staged.
    pub staged_at: i64,
    /// The key the admin proposed as its successor (`propose_admin`); it becomes admin when it
    /// signs `accept_admin`. `Pubkey::default()` when there is no proposal.
    pub pending_admin: Pubkey,
    /// Head of the hash chain of batches; 32 zero bytes before the first batch.
    pub chain_head: [u8; 32],
    /// Index the next accepted batch must carry; also the number of batches accepted so far.
    pub next_index: u64,
    /// Sum of `count` over all accepted batches.
    pub total_records: u64,
    pub paused: bool,
    pub bump: u8,
    pub batch_log_bump: u8,
}

const _: () = assert!(REGISTRY_ROOT_HISTORY == 8);

/// A registry root that was current until `replaced_at` (cluster unix time, seconds).
/// `replaced_at == 0` marks an empty slot.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct RecentRegistryRoot {
    pub root: [u8; 32],
    pub replaced_at: i64,
}

impl Config {
    /// Whether a root is staged.
    pub fn has_staged_root(&self) -> bool {
        self.staged_at != 0
    }

    /// Whether `root` is the staged root, which the batch proven against it promotes.
    pub fn is_staged_root(&self, root: &[u8; 32]) -> bool {
        self.has_staged_root() && &self.staged_registry_root == root
    }

    /// The highest registry version the chain knows: the staged one, else the current one.
    pub fn newest_registry_version(&self) -> u64 {
        if self.has_staged_root() {
            self.staged_registry_version
        } else {
            self.registry_version
        }
    }

    /// Whether a batch proven against `root` may land at cluster time `now`: the current root
    /// and the staged root always; a superseded one for `REGISTRY_ROOT_GRACE_SECS` after it was
    /// replaced.
    pub fn accepts_registry_root(&self, root: &[u8; 32], now: i64) -> bool {
        if &self.registry_root == root || self.is_staged_root(root) {
            return true;
        }
        self.recent_roots.iter().any(|r| {
            r.replaced_at != 0
                && &r.root == root
                && now.saturating_sub(r.replaced_at) <= REGISTRY_ROOT_GRACE_SECS
        })
    }

    /// Stages `root` (version `version`) in place of any staged root.
    pub fn stage_registry_root(&mut self, root: [u8; 32], version: u64, now: i64) {
        self.staged_registry_root = root;
        self.staged_registry_version = version;
        // A cluster clock of 0 would read as "nothing staged"; 1 s later is harmless.
        self.staged_at = now.max(1);
    }

    fn clear_staged(&mut self) {
        self.staged_registry_root = [0u8; 32];
        self.staged_registry_version = 0;
        self.staged_at = 0;
    }

    /// Makes the staged root current (the first batch proven against it is landing); the
    /// previous current root stays acceptable for the grace period.
    pub fn promote_staged_root(&mut self, now: i64) {
        let (root, version) = (self.staged_registry_root, self.staged_registry_version);
        self.clear_staged();
        self.replace_registry_root(root, version, false, now);
    }

    /// Makes `new_root` current now. The previous root stays acceptable for the grace period
    /// unless `retire_previous` is set, which forgets every superseded root and the staged one
    /// at once (an emergency revocation: a node revoked for cause).
    pub fn replace_registry_root(&mut self, new_root: [u8; 32], version: u64, retire_previous: bool, now: i64) {
        if retire_previous {
            self.recent_roots = Default::default();
            self.recent_roots_next = 0;
            self.clear_staged();
        } else {
            let slot = usize::from(self.recent_roots_next) % self.recent_roots.len();
            self.recent_roots[slot] = RecentRegistryRoot {
                root: self.registry_root,
                // A cluster clock of 0 would read as "empty slot"; 1 s later is harmless.
                replaced_at: now.max(1),
            };
            self.recent_roots_next = ((slot + 1) % self.recent_roots.len()) as u8;
        }
        self.registry_root = new_root;
        self.registry_version = version;
    }
}
