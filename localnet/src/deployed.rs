//! The program as a cluster shows it: deployed by the BPF upgradeable loader, with a
//! ProgramData account whose upgrade authority is the local wallet.
//!
//! The runtime cannot run it that way: a native (host-code) program is a builtin, and the
//! runtime only dispatches to a builtin when the program account is owned by the native
//! loader (an account owned by the upgradeable loader is handed to that loader, which finds a
//! builtin, not an ELF, in its program cache and fails with `UnsupportedProgramId`). So the
//! bank keeps its native program account, and two views are rewritten instead:
//!
//! - over RPC (`getAccountInfo`, `getMultipleAccounts`, `getProgramAccounts` of the loader) the
//!   program account is `UpgradeableLoaderState::Program { programdata_address }`, owned by
//!   `BPFLoaderUpgradeab1e11111111111111111111111`, executable;
//! - inside the program (`programlog::entry`), the `AccountInfo` of the program's own id,
//!   when an instruction passes it, has that owner and data, so Anchor's
//!   `Program::programdata_address()` answers the ProgramData address.
//!
//! The ProgramData account is a real bank account (added at genesis, indexed and persisted
//! like any other): `UpgradeableLoaderState::ProgramData { slot: 0, upgrade_authority_address:
//! Some(wallet) }`, owned by the upgradeable loader. It holds the 45-byte header only, no ELF.

use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::rent::Rent;
// Deprecated in favour of solana-loader-v3-interface, which is only an indirect dependency.
#[allow(deprecated)]
use solana_sdk::bpf_loader_upgradeable::{self, UpgradeableLoaderState};

/// The upgradeable loader's id (the owner the program shows).
#[allow(deprecated)]
pub static LOADER: Pubkey = bpf_loader_upgradeable::ID;

/// The ProgramData address of the program: the loader's PDA of `[program id]`.
pub fn programdata_address() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[provenance::ID.as_ref()], &LOADER)
}

/// `UpgradeableLoaderState::Program { programdata_address }` (36 bytes).
pub fn program_data_bytes() -> Vec<u8> {
    bincode::serialize(&UpgradeableLoaderState::Program { programdata_address: programdata_address().0 })
        .expect("loader state encodes")
}

/// The program account as a cluster serves it.
pub fn program_account() -> Account {
    let data = program_data_bytes();
    Account {
        lamports: Rent::default().minimum_balance(data.len()),
        data,
        owner: LOADER,
        executable: true,
        rent_epoch: u64::MAX,
    }
}

/// The ProgramData account of a fresh deployment by `authority` (header only).
pub fn programdata_account(authority: &Pubkey) -> Account {
    let data = bincode::serialize(&UpgradeableLoaderState::ProgramData {
        slot: 0,
        upgrade_authority_address: Some(*authority),
    })
    .expect("loader state encodes");
    Account {
        lamports: Rent::default().minimum_balance(data.len()),
        data,
        owner: LOADER,
        executable: false,
        rent_epoch: u64::MAX,
    }
}
