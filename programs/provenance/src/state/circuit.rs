use anchor_lang::prelude::*;

/// The circuit configurations of `circuits/circuits.json`. `Config` records which one it was
/// initialized for; the verifying key and batch capacity come from `verifying_key.rs`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum Circuit {
    Test,
    Dev,
    Prod,
}
