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
}

#[event]
pub struct RegistryRootChanged {
    pub previous_root: [u8; 32],
    pub new_root: [u8; 32],
    pub previous_version: u64,
    pub new_version: u64,
    pub retired_previous: bool,
    pub unix_timestamp: i64,
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
