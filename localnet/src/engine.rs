//! The chain itself: Agave's runtime through solana-program-test, with the provenance program
//! linked natively, driven from one thread.
//!
//! Why one thread with its own current-thread tokio runtime: program-test starts a ticker task
//! that registers a new blockhash every 6.4 ms, and the bank accepts only the last 150, so a
//! blockhash would expire in about a second — too soon for stock clients, which fetch one, sign,
//! and send. The ticker is a task on the runtime that started the context; this runtime is only
//! polled while the engine serves a job that needs the bank (a blockhash, a simulation, a
//! transaction). So the chain advances by at most a tick or two per such job instead of by wall
//! time, and a blockhash stays valid for ~150 bank calls however long a client takes.
//!
//! program-test keeps no history and offers no account scan, so the engine keeps its own:
//! a signature table (status, slot, error, logs, the transaction) and an index of every account
//! transactions touched (served by getProgramAccounts and getAccountInfo). Both are persisted
//! (see `store.rs`) and the index is loaded back into the bank on start.

use std::collections::HashMap;
use std::sync::{mpsc, Arc};

use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::account::{Account, AccountSharedData};
use solana_sdk::clock::Clock;
use solana_sdk::commitment_config::CommitmentLevel;
use solana_sdk::epoch_schedule::EpochSchedule;
use solana_sdk::hash::Hash;
use solana_sdk::message::Message;
use solana_sdk::native_token::LAMPORTS_PER_SOL;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature};
use solana_sdk::signer::Signer;
use solana_sdk::transaction::{Transaction, TransactionError, VersionedTransaction};
// solana-sdk 2.3 deprecates these re-exports in favour of solana-system-interface; depending on
// that crate directly would change its features and rebuild program-test's dependencies.
#[allow(deprecated)]
use solana_sdk::{system_instruction, system_program, sysvar};
use tokio::sync::broadcast;

use crate::store::{Identity, Store, TxRecord};

/// How many SOL the local wallet gets in a fresh chain.
pub const WALLET_SOL: u64 = 1_000_000;
/// The bank accepts a blockhash for this many registered blockhashes (MAX_PROCESSING_AGE).
pub const BLOCKHASH_WINDOW: u64 = 150;

/// A landed transaction, announced to websocket subscribers (one per slot: it is also the
/// slot's notification).
#[derive(Debug)]
pub struct Landed {
    pub signature: Signature,
    pub slot: u64,
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    /// Every static account key of the transaction (what `logsSubscribe` mentions match).
    pub keys: Vec<Pubkey>,
    /// The writable accounts after the transaction, as clients see them (closed ones as
    /// agave reports them: 0 lamports, no data, owned by the system program).
    pub written: Vec<(Pubkey, Account)>,
}

/// Why a transaction did not land.
#[derive(Debug)]
pub enum SendError {
    /// Signatures do not verify, or the transaction is malformed.
    SignatureVerification,
    Malformed(String),
    /// Refused before or instead of landing (preflight failure, blockhash not found, ...).
    Refused { err: TransactionError, logs: Vec<String>, units: u64 },
}

pub struct Simulation {
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    pub units: u64,
}

pub struct BootInfo {
    pub identity: Identity,
    pub wallet: Pubkey,
    pub wallet_path: std::path::PathBuf,
    pub fresh: bool,
    pub accounts: usize,
    pub transactions: usize,
}

pub struct Engine {
    rt: tokio::runtime::Runtime,
    ctx: ProgramTestContext,
    store: Store,
    identity: Identity,
    accounts: HashMap<Pubkey, Account>,
    transactions: HashMap<Signature, TxRecord>,
    /// Landed signatures by slot (one transaction per slot).
    by_slot: HashMap<u64, Signature>,
    /// Landed signatures naming each address (every static account key), oldest first.
    by_address: HashMap<Pubkey, Vec<Signature>>,
    /// program-test's own funded mint keypair (random per start): pays airdrops.
    faucet_key: Pubkey,
    clock: Clock,
    epoch_schedule: EpochSchedule,
    lamports_per_signature: u64,
    landed: broadcast::Sender<Arc<Landed>>,
}

type Job = Box<dyn FnOnce(&mut Engine) + Send>;

/// A cheap, cloneable way to run work on the engine thread.
#[derive(Clone)]
pub struct EngineHandle {
    jobs: mpsc::Sender<Job>,
    landed: broadcast::Sender<Arc<Landed>>,
}

impl EngineHandle {
    pub async fn call<T: Send + 'static>(&self, f: impl FnOnce(&mut Engine) -> T + Send + 'static) -> T {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |e: &mut Engine| {
                let _ = tx.send(f(e));
            }))
            .expect("the engine thread has stopped");
        rx.await.expect("the engine thread stopped while serving a request")
    }

    pub fn subscribe_landed(&self) -> broadcast::Receiver<Arc<Landed>> {
        self.landed.subscribe()
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Accounts the index keeps (and restores): state, not the runtime's own furniture.
fn indexable(account: &Account) -> bool {
    !(account.executable
        || account.owner == sysvar::id()
        || account.owner == solana_sdk::native_loader::id())
}

/// Starts the engine thread; returns once the chain is up (or could not start).
pub fn start(store: Store) -> Result<(EngineHandle, BootInfo), String> {
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    let (landed_tx, _) = broadcast::channel::<Arc<Landed>>(1024);
    let (boot_tx, boot_rx) = mpsc::channel::<Result<BootInfo, String>>();
    let landed = landed_tx.clone();
    std::thread::Builder::new()
        .name("engine".into())
        .spawn(move || match Engine::boot(store, landed_tx) {
            Err(e) => {
                let _ = boot_tx.send(Err(e));
            }
            Ok((mut engine, info)) => {
                let _ = boot_tx.send(Ok(info));
                // Between jobs the runtime is not polled: the blockhash ticker sleeps.
                while let Ok(job) = jobs_rx.recv() {
                    job(&mut engine);
                }
            }
        })
        .map_err(|e| format!("cannot start the engine thread: {e}"))?;
    let info = boot_rx.recv().map_err(|_| "the engine thread died while booting".to_string())??;
    Ok((EngineHandle { jobs: jobs_tx, landed }, info))
}

impl Engine {
    fn boot(store: Store, landed: broadcast::Sender<Arc<Landed>>) -> Result<(Engine, BootInfo), String> {
        let mut loaded = store.load()?;
        if loaded.fresh {
            loaded.accounts.insert(
                loaded.wallet.pubkey(),
                Account { lamports: WALLET_SOL * LAMPORTS_PER_SOL, owner: system_program::ID, ..Account::default() },
            );
        }
        // The program's ProgramData account, upgrade authority the local wallet (deployed.rs).
        // Added to chains created before it existed too; kept as is once there (an
        // `set-upgrade-authority` through the real loader changes it like any account).
        let (programdata, _) = crate::deployed::programdata_address();
        if loaded.fresh || !loaded.accounts.contains_key(&programdata) {
            loaded.accounts.insert(programdata, crate::deployed::programdata_account(&loaded.wallet.pubkey()));
            store.save_accounts(&loaded.accounts)?;
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build the engine runtime: {e}"))?;
        let mut pt = ProgramTest::new("provenance", provenance::ID, processor!(crate::programlog::entry));
        pt.prefer_bpf(false);
        for (key, account) in &loaded.accounts {
            pt.add_account(*key, account.clone());
        }
        let ctx = rt.block_on(pt.start_with_context());
        crate::programlog::install(&store.dir().join("program-stdout.tmp"))?;
        let clock: Clock = rt
            .block_on(ctx.banks_client.get_sysvar::<Clock>())
            .map_err(|e| format!("cannot read the clock sysvar: {e}"))?;
        let lamports_per_signature = ctx.genesis_config().fee_rate_governor.lamports_per_signature;
        let epoch_schedule = ctx.genesis_config().epoch_schedule.clone();
        let faucet_key = ctx.payer.pubkey();
        let info = BootInfo {
            identity: loaded.identity.clone(),
            wallet: loaded.wallet.pubkey(),
            wallet_path: std::fs::canonicalize(store.wallet_path()).unwrap_or(store.wallet_path()),
            fresh: loaded.fresh,
            accounts: loaded.accounts.len(),
            transactions: loaded.transactions.len(),
        };
        let mut engine = Engine {
            rt,
            ctx,
            store,
            identity: loaded.identity,
            accounts: loaded.accounts,
            transactions: HashMap::new(),
            by_slot: HashMap::new(),
            by_address: HashMap::new(),
            faucet_key,
            clock,
            epoch_schedule,
            lamports_per_signature,
            landed,
        };
        // Landing order is slot order (the store keeps the file's order).
        for record in loaded.transactions {
            engine.remember(record);
        }
        engine.sync_clock(engine.identity.slot);
        Ok((engine, info))
    }

    pub fn slot(&self) -> u64 {
        self.identity.slot
    }

    pub fn genesis_hash(&self) -> &str {
        &self.identity.genesis_hash
    }

    /// When the chain was created (seconds): the time of the blocks that hold no transaction.
    pub fn created_at(&self) -> i64 {
        (self.identity.created_at / 1000) as i64
    }

    pub fn epoch_schedule(&self) -> &EpochSchedule {
        &self.epoch_schedule
    }

    /// Landed transactions so far (getTransactionCount, getEpochInfo).
    pub fn transaction_count(&self) -> u64 {
        self.transactions.len() as u64
    }

    /// The transaction that landed in `slot`, if any.
    pub fn transaction_in_slot(&self, slot: u64) -> Option<TxRecord> {
        self.by_slot.get(&slot).and_then(|s| self.transactions.get(s)).cloned()
    }

    /// Records naming `address`, newest first.
    pub fn signatures_for(&self, address: &Pubkey) -> Vec<TxRecord> {
        self.by_address
            .get(address)
            .map(|sigs| sigs.iter().rev().filter_map(|s| self.transactions.get(s).cloned()).collect())
            .unwrap_or_default()
    }

    /// Adds a landed transaction to the signature table and its indexes.
    fn remember(&mut self, record: TxRecord) {
        let Ok(signature) = record.signature.parse::<Signature>() else { return };
        if self.transactions.contains_key(&signature) {
            return;
        }
        for key in record.account_keys.iter().filter_map(|k| k.parse::<Pubkey>().ok()) {
            let list = self.by_address.entry(key).or_default();
            if list.last() != Some(&signature) {
                list.push(signature);
            }
        }
        self.by_slot.insert(record.slot, signature);
        self.transactions.insert(signature, record);
    }

    /// The runtime's Clock follows our slot and the wall clock, so `Clock::get()` in the program
    /// sees real time (submit_batch compares max_ts with it) and the slot clients see.
    fn sync_clock(&mut self, slot: u64) {
        self.clock.slot = slot;
        self.clock.epoch = self.epoch_schedule.get_epoch(slot);
        self.clock.leader_schedule_epoch = self.epoch_schedule.get_leader_schedule_epoch(slot);
        self.clock.unix_timestamp = (now_ms() / 1000) as i64;
        self.ctx.set_sysvar(&self.clock);
    }

    pub fn latest_blockhash(&mut self) -> Result<Hash, String> {
        self.rt
            .block_on(self.ctx.banks_client.get_latest_blockhash_with_commitment(CommitmentLevel::Processed))
            .map_err(|e| e.to_string())?
            .map(|(hash, _)| hash)
            .ok_or_else(|| "no blockhash".to_string())
    }

    /// Simulates a transfer-less message with that blockhash: the runtime checks the blockhash
    /// age before anything else.
    pub fn is_blockhash_valid(&mut self, hash: Hash) -> bool {
        let mut message = Message::new(&[], Some(&self.faucet_key));
        message.recent_blockhash = hash;
        let tx = VersionedTransaction::from(Transaction::new_unsigned(message));
        let result = self
            .rt
            .block_on(self.ctx.banks_client.simulate_transaction_with_commitment(tx, CommitmentLevel::Processed));
        !matches!(result, Ok(r) if matches!(r.result, Some(Err(TransactionError::BlockhashNotFound))))
    }

    pub fn account(&mut self, key: &Pubkey) -> Option<Account> {
        if *key == provenance::ID {
            return Some(crate::deployed::program_account());
        }
        if let Some(a) = self.accounts.get(key) {
            return Some(a.clone());
        }
        // Not indexed: a sysvar, a program, the faucet, or nothing. Ask the bank.
        self.rt
            .block_on(self.ctx.banks_client.get_account_with_commitment(*key, CommitmentLevel::Processed))
            .ok()
            .flatten()
    }

    pub fn program_accounts(&self, owner: &Pubkey, keep: impl Fn(&AccountSharedData) -> bool) -> Vec<(Pubkey, Account)> {
        let mut out: Vec<(Pubkey, Account)> = self
            .accounts
            .iter()
            .filter(|(_, a)| a.owner == *owner && keep(&AccountSharedData::from((*a).clone())))
            .map(|(k, a)| (*k, a.clone()))
            .collect();
        let program = crate::deployed::program_account();
        if program.owner == *owner && keep(&AccountSharedData::from(program.clone())) {
            out.push((provenance::ID, program));
        }
        out.sort_by_key(|(k, _)| *k);
        out
    }

    pub fn transaction(&self, sig: &Signature) -> Option<TxRecord> {
        self.transactions.get(sig).cloned()
    }

    pub fn simulate(&mut self, tx: VersionedTransaction) -> Result<Simulation, String> {
        self.sync_clock(self.identity.slot + 1);
        let r = self
            .rt
            .block_on(self.ctx.banks_client.simulate_transaction_with_commitment(tx, CommitmentLevel::Processed))
            .map_err(|e| e.to_string())?;
        let (logs, units) = r.simulation_details.map(|d| (d.logs, d.units_consumed)).unwrap_or_default();
        let err = match r.result {
            Some(Err(e)) => Some(e),
            _ => None,
        };
        Ok(Simulation { err, logs: rewrite_logs(logs), units })
    }

    /// Executes and commits `tx` (after a preflight simulation unless skipped), like a validator
    /// that lands every transaction in its own slot.
    pub fn send(&mut self, tx: VersionedTransaction, skip_preflight: bool) -> Result<Signature, SendError> {
        tx.sanitize().map_err(|e| SendError::Malformed(e.to_string()))?;
        if tx.verify_with_results().iter().any(|ok| !ok) {
            return Err(SendError::SignatureVerification);
        }
        let signature = tx.signatures[0];
        if self.transactions.contains_key(&signature) {
            return Err(SendError::Refused { err: TransactionError::AlreadyProcessed, logs: vec![], units: 0 });
        }
        if !skip_preflight {
            let sim = self.simulate(tx.clone()).map_err(SendError::Malformed)?;
            if let Some(err) = sim.err {
                return Err(SendError::Refused { err, logs: sim.logs, units: sim.units });
            }
        }
        let keys: Vec<Pubkey> = tx.message.static_account_keys().to_vec();
        let writable: Vec<bool> = (0..keys.len()).map(|i| tx.message.is_maybe_writable(i, None)).collect();
        let memo = crate::rpc::memo_of(&tx.message);
        let pre_balances: Vec<u64> = keys.iter().map(|k| self.account(k).map(|a| a.lamports).unwrap_or(0)).collect();
        let slot = self.identity.slot + 1;
        self.sync_clock(slot);
        // The bank's own fee (signatures and any compute-unit price); v0 messages, which
        // BanksClient cannot price, pay their signatures.
        let signature_fee = tx.signatures.len() as u64 * self.lamports_per_signature;
        let fee = match &tx.message {
            solana_sdk::message::VersionedMessage::Legacy(m) => self
                .rt
                .block_on(self.ctx.banks_client.get_fee_for_message(m.clone()))
                .ok()
                .flatten()
                .unwrap_or(signature_fee),
            _ => signature_fee,
        };
        let bytes = bincode::serialize(&tx).expect("transaction encodes");
        let result = self
            .rt
            .block_on(self.ctx.banks_client.process_transaction_with_metadata(tx))
            .map_err(|e| SendError::Malformed(e.to_string()))?;
        let Some(meta) = result.metadata else {
            // Not executed (e.g. BlockhashNotFound, insufficient funds for the fee): nothing landed.
            let err = result.result.err().unwrap_or(TransactionError::AccountNotFound);
            return Err(SendError::Refused { err, logs: vec![], units: 0 });
        };
        let mut post_balances = Vec::with_capacity(keys.len());
        let mut written = Vec::new();
        for (key, is_writable) in keys.iter().zip(&writable) {
            let account = self
                .rt
                .block_on(self.ctx.banks_client.get_account_with_commitment(*key, CommitmentLevel::Processed))
                .ok()
                .flatten();
            post_balances.push(account.as_ref().map(|a| a.lamports).unwrap_or(0));
            if *is_writable && *key != provenance::ID {
                let seen = account.clone().filter(|a| a.lamports > 0).unwrap_or(Account { owner: system_program::ID, ..Account::default() });
                written.push((*key, seen));
            }
            match account {
                Some(a) if a.lamports > 0 && indexable(&a) && *key != self.faucet_key => {
                    self.accounts.insert(*key, a);
                }
                Some(a) if !indexable(&a) || *key == self.faucet_key => {}
                _ => {
                    self.accounts.remove(key);
                }
            }
        }
        self.identity.slot = slot;
        let record = TxRecord {
            signature: signature.to_string(),
            slot,
            block_time: (now_ms() / 1000) as i64,
            err: result.result.err(),
            logs: rewrite_logs(meta.log_messages),
            fee,
            pre_balances,
            post_balances,
            compute_units: meta.compute_units_consumed,
            transaction: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes),
            account_keys: keys.iter().map(|k| k.to_string()).collect(),
            memo,
        };
        // Persist before answering: a client that saw the signature can find it after a restart.
        let persisted = self
            .store
            .save_accounts(&self.accounts)
            .and_then(|_| self.store.append_transaction(&record))
            .and_then(|_| self.store.save_identity(&self.identity));
        if let Err(e) = persisted {
            eprintln!("provenance-localnet: cannot persist state: {e}");
        }
        let landed = Landed { signature, slot, err: record.err.clone(), logs: record.logs.clone(), keys, written };
        self.remember(record);
        let _ = self.landed.send(Arc::new(landed));
        Ok(signature)
    }

    /// A real transfer from program-test's funded mint, recorded like any other transaction.
    pub fn airdrop(&mut self, to: Pubkey, lamports: u64) -> Result<Signature, SendError> {
        let blockhash = self.latest_blockhash().map_err(SendError::Malformed)?;
        let ix = system_instruction::transfer(&self.faucet_key, &to, lamports);
        let payer: &Keypair = &self.ctx.payer;
        let tx = Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[payer], blockhash);
        self.send(VersionedTransaction::from(tx), true)
    }
}

/// Natively, `sol_log_data` (Anchor's `emit!`) is not routed to the log collector by
/// program-test; `crate::programlog` forwards it as a tagged `sol_log`, turned back here into the
/// real "Program data: ..." line.
fn rewrite_logs(logs: Vec<String>) -> Vec<String> {
    let tag = format!("Program log: {}", crate::programlog::TAG);
    logs.into_iter()
        .map(|l| match l.strip_prefix(&tag) {
            Some(rest) => format!("Program data: {rest}"),
            None => l,
        })
        .collect()
}
