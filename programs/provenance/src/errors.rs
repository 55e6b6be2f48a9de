//! Every refusal of the program. Codes are stable: Anchor numbers them from 6000 in this order,
//! clients match on them, so append new variants at the end.
use anchor_lang::prelude::*;

#[error_code]
pub enum ProvenanceError {
    #[msg("only the admin recorded in Config may do this")]
    Unauthorized,
    #[msg("only the sequencer recorded in Config may submit batches")]
    NotSequencer,
    #[msg("the program is paused: submit_batch is refused until the admin unpauses it")]
    Paused,
    #[msg("batch index is not the next one expected by Config.next_index")]
    WrongBatchIndex,
    #[msg("registry root is neither the current one nor a recent one within the grace period")]
    UnknownRegistryRoot,
    #[msg("max_ts is later than the cluster clock plus MAX_CLOCK_SKEW_MS")]
    TimestampInFuture,
    #[msg("min_ts must not be greater than max_ts")]
    InvalidTimeWindow,
    #[msg("count must be between 1 and the batch capacity of the circuit")]
    InvalidCount,
    #[msg("a field element (registry_root or batch_root) is not below the BN254 scalar modulus")]
    NonCanonicalFieldElement,
    #[msg("the Groth16 proof does not verify against the public inputs and the verifying key")]
    ProofVerificationFailed,
    #[msg("the verifying key of this circuit is not compiled into this build of the program")]
    CircuitKeyNotCompiled,
    #[msg("Poseidon hashing of the public inputs failed")]
    PoseidonFailed,
    #[msg("an on-chain counter would overflow")]
    CounterOverflow,
    #[msg("the new registry root is the current one")]
    RegistryRootUnchanged,
    #[msg("registry_version must be greater than Config.registry_version and than a staged root's version")]
    RegistryVersionNotNewer,
    #[msg("initialize must be signed by the program's upgrade authority (its ProgramData account)")]
    NotUpgradeAuthority,
    #[msg("the admin and the sequencer must be different keys: the sequencer's hot key must not hold the admin's powers")]
    AdminIsSequencer,
    #[msg("only the key the admin proposed (Config.pending_admin) may accept the admin role")]
    NotPendingAdmin,
    #[msg("the accumulator holds 2^32 batches and is full")]
    AccumulatorFull,
    #[msg("the accumulator is out of step with Config.next_index (start_index + size must equal the batch index)")]
    AccumulatorOutOfStep,
    #[msg("unknown circuit shape: 0 (chunk shape) and 1 (single shape) are the shapes of a circuit family")]
    UnknownCircuitShape,
}
