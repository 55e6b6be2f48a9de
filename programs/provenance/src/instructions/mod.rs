pub mod admin;
pub mod init_accumulator;
pub mod initialize;
pub mod set_paused;
pub mod set_registry_root;
pub mod set_sequencer;
pub mod submit_batch;

// Anchor's generated account modules must be reachable from the crate root; every
// instruction module also has a `handler`, which lib.rs names by its full path.
pub use admin::*;
#[allow(ambiguous_glob_reexports)]
pub use init_accumulator::*;
#[allow(ambiguous_glob_reexports)]
pub use initialize::*;
pub use set_paused::*;
pub use set_registry_root::*;
pub use set_sequencer::*;
pub use submit_batch::*;
