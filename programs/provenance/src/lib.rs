//! `provenance`: verifies Groth16 proofs of scrape-record batches and appends each accepted
//! batch to a hash-chained log. `lib.rs` only dispatches; each instruction lives in
//! `instructions/`, account types in `state/`. Design and costs: `docs/on-chain.md`.
use anchor_lang::prelude::*;

pub mod constants;
pub mod crypto;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod state;
#[rustfmt::skip]
pub mod verifying_key;

pub use instructions::*;
use state::Circuit;

declare_id!("ProvC2tA11BGUd9XuDU9h7KgHEc7j8wf2Rj6K2s843Q");

#[program]
pub mod provenance {
    use super::*;

    /// Creates `Config`, `BatchLog` and `Accumulator`; the signer, who must be the program's upgrade
    /// authority, becomes admin. Refuses a circuit whose verifying key is not compiled into
    /// this build, and a sequencer that is the admin.
    pub fn initialize(
        ctx: Context<Initialize>,
        circuit: Circuit,
        sequencer: Pubkey,
        registry_root: [u8; 32],
    ) -> Result<()> {
        instructions::initialize::handler(ctx, circuit, sequencer, registry_root)
    }

    /// Admin: replaces the key allowed to submit batches.
    pub fn set_sequencer(ctx: Context<SetSequencer>, new_sequencer: Pubkey) -> Result<()> {
        instructions::set_sequencer::handler(ctx, new_sequencer)
    }

    /// Admin: names its successor, who takes over with `accept_admin`.
    pub fn propose_admin(ctx: Context<ProposeAdmin>, new_admin: Pubkey) -> Result<()> {
        instructions::admin::propose(ctx, new_admin)
    }

    /// The proposed admin: takes the admin role.
    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        instructions::admin::accept(ctx)
    }

    /// Admin: stages a new node-registry root (current once a batch uses it), or, retiring
    /// every previous root, makes it current at once.
    pub fn set_registry_root(
        ctx: Context<SetRegistryRoot>,
        new_root: [u8; 32],
        registry_version: u64,
        retire_previous: bool,
    ) -> Result<()> {
        instructions::set_registry_root::handler(ctx, new_root, registry_version, retire_previous)
    }

    /// Admin: stops or resumes `submit_batch`.
    pub fn set_paused(ctx: Context<SetPaused>, paused: bool) -> Result<()> {
        instructions::set_paused::handler(ctx, paused)
    }

    /// Admin: creates the `Accumulator` of a deployment initialized before it existed (leaf 0
    /// is batch `Config.next_index`).
    pub fn init_accumulator(ctx: Context<InitAccumulator>) -> Result<()> {
        instructions::init_accumulator::handler(ctx)
    }

    /// Sequencer: appends batch `index` once its Groth16 proof verifies against the key of
    /// `shape` (0: the chunk shape, 1: the single shape) of `Config.circuit`'s family.
    #[allow(clippy::too_many_arguments)]
    pub fn submit_batch(
        ctx: Context<SubmitBatch>,
        index: u64,
        registry_root: [u8; 32],
        batch_root: [u8; 32],
        count: u32,
        min_ts: u64,
        max_ts: u64,
        proof_a: [u8; 64],
        proof_b: [u8; 128],
        proof_c: [u8; 64],
        shape: u8,
    ) -> Result<()> {
        instructions::submit_batch::handler(
            ctx, index, registry_root, batch_root, count, min_ts, max_ts, proof_a, proof_b, proof_c,
            shape,
        )
    }
}
