//! Program logs, natively.
//!
//! Compiled for the host, `msg!` (solana-msg) is a plain `println!` and `sol_log_data`
//! (Anchor's `emit!`) goes to program-test's syscall stubs, which leave it to the default
//! `println!("data: ...")`. Neither reaches the runtime's log collector, so `logMessages` would
//! hold only the runtime's own lines ("invoke", "success", "failed: custom program error") —
//! no "Program log: AnchorError ..." for Anchor's TypeScript error parser, no "Program data:"
//! events.
//!
//! So the program's entry point is wrapped: while the program runs, file descriptor 1 is pointed
//! at a scratch file; when it returns, every captured line is handed to the log collector
//! through program-test's `sol_log` stub (which writes "Program log: <line>"), in order, before
//! the runtime writes the instruction's "success"/"failed" line. `sol_log_data` is replaced by
//! a stub that prints a tagged line, which `engine::rewrite_logs` turns into the real
//! "Program data: <base64 ...>" line. What differs from a validator: the program's lines of one
//! instruction come after the lines of the CPIs it made (e.g. the system program's, during
//! `initialize`), not interleaved with them.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::sync::Mutex;

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::program_stubs::{self, SyscallStubs};
use base64::Engine as _;

/// Marks a `sol_log_data` line among the captured ones (not something a program prints).
pub const TAG: &str = "\u{1}provenance-localnet:data:";

static SCRATCH: Mutex<Option<File>> = Mutex::new(None);

/// Opens the scratch file and installs the `sol_log_data` stub. Call once, after program-test
/// has installed its own stubs (i.e. after `start_with_context`).
pub fn install(scratch_path: &std::path::Path) -> Result<(), String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(scratch_path)
        .map_err(|e| format!("cannot open {}: {e}", scratch_path.display()))?;
    *SCRATCH.lock().expect("scratch lock") = Some(file);
    let inner = program_stubs::set_syscall_stubs(Box::new(Placeholder));
    program_stubs::set_syscall_stubs(Box::new(Stubs { inner }));
    Ok(())
}

/// The program's entry point as the runtime calls it.
///
/// Anchor >= 0.29's `entry` ties the accounts slice to `'info`, which `processor!` cannot
/// express; leaking one copy per instruction is the usual workaround (a few hundred bytes per
/// instruction: fine for a local chain).
pub fn entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let accounts: Vec<AccountInfo> = accounts.iter().map(as_deployed).collect();
    let accounts = Box::leak(Box::new(accounts));
    // try_lock: a re-entrant call (the program invoking itself) runs uncaptured, not deadlocked.
    let Ok(guard) = SCRATCH.try_lock() else {
        return provenance::entry(program_id, accounts, data);
    };
    let Some(file) = guard.as_ref() else {
        return provenance::entry(program_id, accounts, data);
    };
    let _ = std::io::stdout().flush();
    // SAFETY: plain descriptor juggling on descriptors we own; 1 is restored below.
    let saved = unsafe { libc::dup(1) };
    if saved < 0 || unsafe { libc::dup2(file.as_raw_fd(), 1) } < 0 {
        return provenance::entry(program_id, accounts, data);
    }
    let result = provenance::entry(program_id, accounts, data);
    let _ = std::io::stdout().flush();
    unsafe {
        libc::dup2(saved, 1);
        libc::close(saved);
    }
    let mut text = String::new();
    let mut f = file;
    let _ = f.seek(SeekFrom::Start(0));
    let _ = f.read_to_string(&mut text);
    let _ = f.set_len(0);
    let _ = f.seek(SeekFrom::Start(0));
    drop(guard);
    for line in text.lines() {
        program_stubs::sol_log(line);
    }
    result
}

/// The program's own account as the upgradeable loader would hold it (see `deployed.rs`): the
/// bank's is a native-loader builtin. Read-only, so nothing is written back from this copy.
fn as_deployed<'a>(info: &AccountInfo<'a>) -> AccountInfo<'a> {
    if *info.key != provenance::ID {
        return info.clone();
    }
    let data: &'a mut [u8] = Box::leak(crate::deployed::program_data_bytes().into_boxed_slice());
    AccountInfo {
        key: info.key,
        lamports: info.lamports.clone(),
        data: std::rc::Rc::new(std::cell::RefCell::new(data)),
        owner: &crate::deployed::LOADER,
        rent_epoch: info.rent_epoch,
        is_signer: info.is_signer,
        is_writable: info.is_writable,
        executable: info.executable,
    }
}

struct Placeholder;
impl SyscallStubs for Placeholder {}

/// program-test's stubs, except `sol_log_data`.
struct Stubs {
    inner: Box<dyn SyscallStubs>,
}

impl SyscallStubs for Stubs {
    fn sol_log(&self, message: &str) {
        self.inner.sol_log(message)
    }
    fn sol_log_compute_units(&self) {
        self.inner.sol_log_compute_units()
    }
    fn sol_remaining_compute_units(&self) -> u64 {
        self.inner.sol_remaining_compute_units()
    }
    fn sol_invoke_signed(
        &self,
        instruction: &Instruction,
        account_infos: &[AccountInfo],
        signers_seeds: &[&[&[u8]]],
    ) -> ProgramResult {
        self.inner.sol_invoke_signed(instruction, account_infos, signers_seeds)
    }
    fn sol_get_sysvar(&self, sysvar_id_addr: *const u8, var_addr: *mut u8, offset: u64, length: u64) -> u64 {
        self.inner.sol_get_sysvar(sysvar_id_addr, var_addr, offset, length)
    }
    fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_clock_sysvar(var_addr)
    }
    fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_epoch_schedule_sysvar(var_addr)
    }
    fn sol_get_fees_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_fees_sysvar(var_addr)
    }
    fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_rent_sysvar(var_addr)
    }
    fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_epoch_rewards_sysvar(var_addr)
    }
    fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_last_restart_slot(var_addr)
    }
    fn sol_get_epoch_stake(&self, vote_address: *const u8) -> u64 {
        self.inner.sol_get_epoch_stake(vote_address)
    }
    unsafe fn sol_memcpy(&self, dst: *mut u8, src: *const u8, n: usize) {
        self.inner.sol_memcpy(dst, src, n)
    }
    unsafe fn sol_memmove(&self, dst: *mut u8, src: *const u8, n: usize) {
        self.inner.sol_memmove(dst, src, n)
    }
    unsafe fn sol_memcmp(&self, s1: *const u8, s2: *const u8, n: usize, result: *mut i32) {
        self.inner.sol_memcmp(s1, s2, n, result)
    }
    unsafe fn sol_memset(&self, s: *mut u8, c: u8, n: usize) {
        self.inner.sol_memset(s, c, n)
    }
    fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
        self.inner.sol_get_return_data()
    }
    fn sol_set_return_data(&self, data: &[u8]) {
        self.inner.sol_set_return_data(data)
    }
    fn sol_log_data(&self, fields: &[&[u8]]) {
        let encoded: Vec<String> =
            fields.iter().map(|f| base64::engine::general_purpose::STANDARD.encode(f)).collect();
        println!("{TAG}{}", encoded.join(" "));
    }
    fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
        self.inner.sol_get_processed_sibling_instruction(index)
    }
    fn sol_get_stack_height(&self) -> u64 {
        self.inner.sol_get_stack_height()
    }
}

#[cfg(test)]
mod tests {
    use anchor_lang::prelude::{Account, AccountInfo, Program, ProgramData, Pubkey};
    use solana_sdk::native_loader;

    /// What a hardening check at `initialize` would read (Anchor's `Program::programdata_address`
    /// and `Account<ProgramData>`), on the accounts as the program sees them here.
    #[test]
    fn the_program_sees_itself_deployed_with_the_wallet_as_upgrade_authority() {
        let wallet = Pubkey::new_unique();
        let (key, native_owner) = (provenance::ID, native_loader::id());
        let (mut lamports, mut data) = (1u64, Vec::<u8>::new());
        let bank_view = AccountInfo::new(&key, false, false, &mut lamports, &mut data, &native_owner, true, 0);
        let seen = super::as_deployed(&bank_view);
        let program = Program::<provenance::program::Provenance>::try_from(&seen).expect("the program");
        let (programdata_key, _) = crate::deployed::programdata_address();
        assert_eq!(program.programdata_address().expect("loader state"), Some(programdata_key));

        let account = crate::deployed::programdata_account(&wallet);
        let (mut lamports, mut data) = (account.lamports, account.data.clone());
        let info = AccountInfo::new(&programdata_key, false, false, &mut lamports, &mut data, &account.owner, false, 0);
        let programdata = Account::<ProgramData>::try_from(&info).expect("ProgramData");
        assert_eq!(programdata.upgrade_authority_address, Some(wallet));
        assert_eq!(programdata.slot, 0);

        // Other accounts pass through untouched.
        let other = Pubkey::new_unique();
        let (mut lamports, mut data) = (5u64, vec![1u8, 2, 3]);
        let info = AccountInfo::new(&other, true, true, &mut lamports, &mut data, &native_owner, false, 0);
        let same = super::as_deployed(&info);
        assert_eq!((*same.owner, same.data.borrow().to_vec()), (native_owner, vec![1, 2, 3]));
    }
}
