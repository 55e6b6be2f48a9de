//! Events: one per accepted batch (the durable, complete log; the `BatchLog` account only keeps
//! the most recent roots), one per admin change.
use anchor_lang::prelude::*;

/// Emitted by `submit_batch`. Together with the instruction data of every `submit_batch`
/// transaction it lets an auditor rebuild the whole hash chain from chain data alone.
#[event]
pub struct BatchSubmitted {
    pub index: u64,
    pub batch_root: [u8; 32],
    pub registry_root: [u8; 32],
    pub count: u32,
    pub min_ts: u64,
    pub max_ts: u64,
    pub prev_head: [u8; 32],
    pub new_head: [u8; 32],
    pub slot: u64,
    pub unix_timestamp: i64,
    /// The circuit shape whose key verified the proof (0: chunk shape, 1: single shape). Last,
    /// so the offsets of the fields before it are those of the event before shapes existed.
    pub shape: u8,
}

/// The current registry root changed: an emergency `set_registry_root` (`retired_previous`),
/// or the first batch proven against the staged root landed (`promoted_by_batch`).
#[event]
pub struct RegistryRootChanged {
    pub previous_root: [u8; 32],
    pub new_root: [u8; 32],
    pub previous_version: u64,
    pub new_version: u64,
    pub retired_previous: bool,
    pub promoted_by_batch: Option<u64>,
    pub unix_timestamp: i64,
}

/// The admin staged a registry root (`set_registry_root` without `retire_previous`). A root
/// staged before and not yet promoted is replaced (`replaced_staged_version` is then its
/// version, else 0).
#[event]
pub struct RegistryRootStaged {
    pub root: [u8; 32],
    pub version: u64,
    pub current_root: [u8; 32],
    pub current_version: u64,
    pub replaced_staged_root: [u8; 32],
    pub replaced_staged_version: u64,
    pub unix_timestamp: i64,
}

/// The admin proposed a successor (`pending_admin`; `Pubkey::default()` withdraws a proposal).
#[event]
pub struct AdminProposed {
    pub admin: Pubkey,
    pub pending_admin: Pubkey,
}

/// The proposed key accepted the admin role.
#[event]
pub struct AdminChanged {
    pub previous_admin: Pubkey,
    pub new_admin: Pubkey,
}

#[event]
pub struct SequencerChanged {
    pub previous_sequencer: Pubkey,
    pub new_sequencer: Pubkey,
}

#[event]
pub struct PausedChanged {
    pub paused: bool,
}

/// Emitted by `submit_batch` after the batch's leaf was appended to the accumulator: the new
/// root and size (the root is also in `Accumulator.recent` for the next 63 batches).
#[event]
pub struct AccumulatorAppended {
    pub index: u64,
    pub leaf: [u8; 32],
    pub size: u64,
    pub root: [u8; 32],
}

/// `init_accumulator` created the accumulator of an existing deployment; leaf 0 is batch
/// `start_index` (earlier batches are checked through the BatchLog ring or the hash chain).
#[event]
pub struct AccumulatorInitialized {
    pub start_index: u64,
}
