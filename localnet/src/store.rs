//! What the chain keeps under its data directory, and reloads on start.
//!
//! program-test builds a brand-new bank (random genesis, slot 1) every time it starts, so the
//! chain's identity and history live here, not in the bank:
//!
//! | file | what |
//! | --- | --- |
//! | `chain.json` | chain identity (genesis hash we report), creation time, current slot |
//! | `id.json` | the funded local wallet, Solana CLI keypair format (64-byte JSON array) |
//! | `accounts.bin` | every non-executable, non-sysvar account a transaction touched (bincode) |
//! | `transactions.jsonl` | one line per landed transaction: slot, time, error, logs, fee, balances, bytes, account keys, memo |
//!
//! Writes are atomic (temporary file + rename) so a killed process leaves the previous state.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature};
use solana_sdk::transaction::{TransactionError, VersionedTransaction};

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// base58 of 32 random bytes, chosen when the data directory is created.
    pub genesis_hash: String,
    /// ms since epoch.
    pub created_at: u64,
    /// The slot we report; one slot per landed transaction, never goes back across restarts.
    pub slot: u64,
}

/// One landed transaction (executed, successfully or not), as `getTransaction` needs it.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct TxRecord {
    pub signature: String,
    pub slot: u64,
    /// seconds since epoch.
    pub block_time: i64,
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    pub fee: u64,
    pub pre_balances: Vec<u64>,
    pub post_balances: Vec<u64>,
    pub compute_units: u64,
    /// bincode of the `VersionedTransaction`, base64.
    pub transaction: String,
    /// Every static account key (base58): the per-address index of getSignaturesForAddress.
    /// Lines written before this field existed get it from `transaction` on load.
    #[serde(default)]
    pub account_keys: Vec<String>,
    /// The SPL memos of the transaction, formatted as agave's `memo` field; None without any.
    #[serde(default)]
    pub memo: Option<String>,
}

impl TxRecord {
    pub fn decode(&self) -> Option<VersionedTransaction> {
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &self.transaction).ok()?;
        bincode::deserialize(&bytes).ok()
    }
}

pub struct Store {
    dir: PathBuf,
}

pub struct Loaded {
    pub identity: Identity,
    pub wallet: Keypair,
    pub accounts: HashMap<Pubkey, Account>,
    /// In landing (= slot) order.
    pub transactions: Vec<TxRecord>,
    pub fresh: bool,
}

/// Writes `bytes` to `path` through a synced temp file, mode 0600 from its creation: the wallet
/// (`id.json`) is the program's upgrade authority and so its admin on the local chain, never
/// readable by others, not even between its creation and a chmod.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Store { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn wallet_path(&self) -> PathBuf {
        self.dir.join("id.json")
    }

    /// Opens the data directory, creating a fresh chain in it when it holds none.
    pub fn load(&self) -> Result<Loaded, String> {
        fs::create_dir_all(&self.dir).map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let chain_path = self.dir.join("chain.json");
        if !chain_path.exists() {
            let seed: [u8; 32] = Keypair::new().pubkey_bytes();
            let identity = Identity { genesis_hash: bs58::encode(seed).into_string(), created_at: now_ms(), slot: 1 };
            let wallet = Keypair::new();
            self.save_identity(&identity)?;
            let wallet_json = serde_json::to_string(&wallet.to_bytes().to_vec()).expect("keypair json");
            write_atomic(&self.wallet_path(), wallet_json.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", self.wallet_path().display()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = fs::set_permissions(self.wallet_path(), fs::Permissions::from_mode(0o600));
            }
            let _ = fs::remove_file(self.dir.join("accounts.bin"));
            let _ = fs::remove_file(self.dir.join("transactions.jsonl"));
            return Ok(Loaded {
                identity,
                wallet,
                accounts: HashMap::new(),
                transactions: Vec::new(),
                fresh: true,
            });
        }
        let identity: Identity = serde_json::from_slice(
            &fs::read(&chain_path).map_err(|e| format!("cannot read {}: {e}", chain_path.display()))?,
        )
        .map_err(|e| format!("{} is not a chain identity: {e}", chain_path.display()))?;
        let wallet_bytes: Vec<u8> = serde_json::from_slice(
            &fs::read(self.wallet_path()).map_err(|e| format!("cannot read {}: {e}", self.wallet_path().display()))?,
        )
        .map_err(|e| format!("{} is not a keypair file: {e}", self.wallet_path().display()))?;
        let wallet = Keypair::try_from(&wallet_bytes[..])
            .map_err(|e| format!("{} is not a keypair file: {e}", self.wallet_path().display()))?;
        let accounts_path = self.dir.join("accounts.bin");
        let accounts: HashMap<Pubkey, Account> = if accounts_path.exists() {
            let list: Vec<(Pubkey, Account)> = bincode::deserialize(
                &fs::read(&accounts_path).map_err(|e| format!("cannot read {}: {e}", accounts_path.display()))?,
            )
            .map_err(|e| format!("{} is corrupt: {e}", accounts_path.display()))?;
            list.into_iter().collect()
        } else {
            HashMap::new()
        };
        let mut transactions = Vec::new();
        let tx_path = self.dir.join("transactions.jsonl");
        if tx_path.exists() {
            let text = fs::read_to_string(&tx_path).map_err(|e| format!("cannot read {}: {e}", tx_path.display()))?;
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                // A line cut short by a crash is the only one that can be bad: skip it.
                if let Ok(mut rec) = serde_json::from_str::<TxRecord>(line) {
                    if rec.signature.parse::<Signature>().is_err() {
                        continue;
                    }
                    if rec.account_keys.is_empty() {
                        if let Some(tx) = rec.decode() {
                            rec.account_keys = tx.message.static_account_keys().iter().map(|k| k.to_string()).collect();
                            rec.memo = crate::rpc::memo_of(&tx.message);
                        }
                    }
                    transactions.push(rec);
                }
            }
        }
        transactions.sort_by_key(|r| r.slot);
        Ok(Loaded { identity, wallet, accounts, transactions, fresh: false })
    }

    pub fn save_identity(&self, identity: &Identity) -> Result<(), String> {
        let path = self.dir.join("chain.json");
        write_atomic(&path, serde_json::to_string_pretty(identity).expect("identity json").as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    pub fn save_accounts(&self, accounts: &HashMap<Pubkey, Account>) -> Result<(), String> {
        let path = self.dir.join("accounts.bin");
        let mut list: Vec<(&Pubkey, &Account)> = accounts.iter().collect();
        list.sort_by_key(|(k, _)| **k);
        let bytes = bincode::serialize(&list).map_err(|e| format!("cannot encode accounts: {e}"))?;
        write_atomic(&path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    pub fn append_transaction(&self, rec: &TxRecord) -> Result<(), String> {
        let path = self.dir.join("transactions.jsonl");
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut line = serde_json::to_string(rec).expect("tx json");
        line.push('\n');
        f.write_all(line.as_bytes()).and_then(|_| f.sync_data()).map_err(|e| format!("cannot append to {}: {e}", path.display()))
    }
}

trait PubkeyBytes {
    fn pubkey_bytes(&self) -> [u8; 32];
}

impl PubkeyBytes for Keypair {
    fn pubkey_bytes(&self) -> [u8; 32] {
        use solana_sdk::signer::Signer;
        self.pubkey().to_bytes()
    }
}
