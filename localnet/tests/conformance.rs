//! Conformance: the local chain driven by Agave's own clients (`solana-rpc-client`'s
//! `RpcClient`, `solana-pubsub-client`'s `PubsubClient`), every answer checked against Agave's
//! types. Each served method is called twice: raw, then typed. The raw answer must deserialize
//! into Agave's type and serialize back to exactly the same JSON (so a renamed, missing or extra
//! field, or a changed encoding, fails here), and the typed answer is asserted on.
//!
//! The binary is the one cargo builds for this package (`CARGO_BIN_EXE_provenance-localnet`),
//! started on free ports with a fresh data directory, as `startLocalnet` does.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use solana_account_decoder_client_types::{UiAccount, UiAccountEncoding};
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_rpc_client_types::config::{
    RpcAccountInfoConfig, RpcBlockConfig, RpcProgramAccountsConfig, RpcTransactionLogsConfig,
    RpcTransactionLogsFilter,
};
use solana_rpc_client_types::request::{RpcRequest, TokenAccountsFilter};
use solana_rpc_client_types::response::{
    Response, RpcConfirmedTransactionStatusWithSignature, RpcPrioritizationFee, SlotInfo,
};
use solana_sdk::commitment_config::CommitmentConfig;
use solana_sdk::epoch_info::EpochInfo;
use solana_sdk::epoch_schedule::EpochSchedule;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{read_keypair_file, Keypair, Signature, Signer};
use solana_sdk::transaction::{Transaction, VersionedTransaction};
#[allow(deprecated)]
use solana_sdk::{bpf_loader_upgradeable::UpgradeableLoaderState, system_instruction};
use solana_transaction_status_client_types::{
    EncodedTransaction, TransactionConfirmationStatus, TransactionDetails, UiConfirmedBlock, UiTransactionEncoding,
};

const WAIT: Duration = Duration::from_secs(10);

struct Chain {
    child: Child,
    rpc_url: String,
    ws_url: String,
    wallet: Keypair,
    dir: std::path::PathBuf,
}

impl Drop for Chain {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port_pair() -> u16 {
    for _ in 0..50 {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free pair of ports");
}

fn start() -> Chain {
    start_in(std::env::temp_dir().join(format!("provenance-localnet-conformance-{}-{}", std::process::id(), rand_suffix())))
}

/// Stops the chain and starts it again on the same data directory.
fn restart(mut chain: Chain) -> Chain {
    let dir = std::mem::take(&mut chain.dir);
    drop(chain); // stops the process; the (taken) directory stays
    start_in(dir)
}

fn start_in(dir: std::path::PathBuf) -> Chain {
    let port = free_port_pair();
    let mut child = Command::new(env!("CARGO_BIN_EXE_provenance-localnet"))
        .args(["--port", &port.to_string(), "--data-dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the local chain");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if v["event"] == "ready" {
                    let _ = tx.send(v);
                }
            }
        }
    });
    let ready = rx.recv_timeout(Duration::from_secs(60)).expect("the ready line");
    let wallet = read_keypair_file(ready["wallet"].as_str().unwrap()).expect("wallet");
    Chain {
        child,
        rpc_url: ready["rpcUrl"].as_str().unwrap().to_string(),
        ws_url: ready["wsUrl"].as_str().unwrap().to_string(),
        wallet,
        dir,
    }
}

fn rand_suffix() -> String {
    Keypair::new().pubkey().to_string()[..8].to_string()
}

/// The raw answer of `method`, which must round-trip through Agave's type `T` unchanged.
async fn conform<T: DeserializeOwned + Serialize>(client: &RpcClient, request: RpcRequest, params: Value) -> T {
    let raw: Value = client.send(request, params.clone()).await.unwrap_or_else(|e| panic!("{request} {params}: {e}"));
    let typed: T = serde_json::from_value(raw.clone()).unwrap_or_else(|e| panic!("{request}: {e}\n{raw:#}"));
    let mut back = serde_json::to_value(&typed).unwrap();
    skipped_as_absent(&raw, &mut back);
    assert_eq!(back, raw, "{request} {params} answers exactly Agave's shape");
    typed
}

/// Agave's `OptionSerializer` fields of a transaction's meta serialize `Skip` as absent but
/// deserialize an absent field as `None` (null): the one asymmetry of its types. Where the raw
/// answer omits one of those, drop its null from the re-serialized value.
fn skipped_as_absent(raw: &Value, back: &mut Value) {
    const OPTION_SERIALIZER: [&str; 9] = [
        "innerInstructions", "logMessages", "preTokenBalances", "postTokenBalances", "rewards",
        "loadedAddresses", "returnData", "computeUnitsConsumed", "costUnits",
    ];
    match (raw, back) {
        (Value::Object(r), Value::Object(b)) => {
            b.retain(|k, v| r.contains_key(k) || !(v.is_null() && OPTION_SERIALIZER.contains(&k.as_str())));
            for (k, v) in b.iter_mut() {
                if let Some(rv) = r.get(k) {
                    skipped_as_absent(rv, v);
                }
            }
        }
        (Value::Array(r), Value::Array(b)) => r.iter().zip(b.iter_mut()).for_each(|(r, b)| skipped_as_absent(r, b)),
        _ => {}
    }
}

/// The JSON-RPC error (code, message) of a call that must fail.
async fn rpc_error(client: &RpcClient, request: RpcRequest, params: Value) -> (i64, String) {
    let err = client.send::<Value>(request, params).await.expect_err("an error");
    match err.kind() {
        solana_rpc_client_api::client_error::ErrorKind::RpcError(solana_rpc_client_api::request::RpcError::RpcResponseError {
            code,
            message,
            ..
        }) => (*code, message.clone()),
        other => panic!("not a JSON-RPC error: {other:?}"),
    }
}

async fn send(client: &RpcClient, ixs: &[Instruction], payer: &Keypair) -> Signature {
    let blockhash = client.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &[payer], blockhash);
    client.send_and_confirm_transaction(&tx).await.expect("lands")
}

fn memo_ix(text: &str) -> Instruction {
    Instruction::new_with_bytes("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr".parse().unwrap(), text.as_bytes(), vec![])
}

fn cu_price_ix(micro_lamports: u64) -> Instruction {
    let mut data = vec![3u8];
    data.extend_from_slice(&micro_lamports.to_le_bytes());
    Instruction::new_with_bytes("ComputeBudget111111111111111111111111111111".parse().unwrap(), &data, vec![])
}

fn initialize_ix(admin: &Pubkey) -> Instruction {
    let pda = |seed: &[u8]| Pubkey::find_program_address(&[seed], &provenance::ID).0;
    Instruction {
        program_id: provenance::ID,
        accounts: provenance::accounts::Initialize {
            admin: *admin,
            program_data: Pubkey::find_program_address(&[provenance::ID.as_ref()], &provenance::instructions::initialize::UPGRADEABLE_LOADER_ID).0,
            config: pda(provenance::constants::CONFIG_SEED),
            batch_log: pda(provenance::constants::BATCH_LOG_SEED),
            accumulator: pda(provenance::constants::ACCUMULATOR_SEED),
            system_program: system_program::ID,
        }
        .to_account_metas(None),
        data: provenance::instruction::Initialize {
            circuit: provenance::state::Circuit::Test,
            // Any key but the admin's (the program refuses the admin as its sequencer).
            sequencer: Pubkey::new_from_array([7u8; 32]),
            registry_root: [0u8; 32],
        }
        .data(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_blocks_and_epochs_answer_as_agave() {
    let chain = start();
    let client = RpcClient::new_with_commitment(chain.rpc_url.clone(), CommitmentConfig::confirmed());
    let wallet = &chain.wallet;
    let to = Keypair::new().pubkey();

    let first = send(&client, &[system_instruction::transfer(&wallet.pubkey(), &to, 1_000_000)], wallet).await;
    let second = send(&client, &[system_instruction::transfer(&wallet.pubkey(), &to, 1), memo_ix("hello")], wallet).await;
    let third = send(&client, &[cu_price_ix(7), system_instruction::transfer(&wallet.pubkey(), &to, 2)], wallet).await;

    // getSignaturesForAddress: newest first, slot, err, memo, blockTime, confirmationStatus.
    let all: Vec<RpcConfirmedTransactionStatusWithSignature> =
        conform(&client, RpcRequest::GetSignaturesForAddress, json!([to.to_string()])).await;
    let sigs: Vec<String> = all.iter().map(|s| s.signature.clone()).collect();
    assert_eq!(sigs, [third, second, first].map(|s| s.to_string()));
    assert!(all.windows(2).all(|w| w[0].slot > w[1].slot));
    assert!(all.iter().all(|s| s.err.is_none()
        && s.block_time.is_some()
        && s.confirmation_status == Some(TransactionConfirmationStatus::Finalized)));
    assert_eq!(all[1].memo.as_deref(), Some("[5] hello"));
    assert_eq!(all[0].memo, None);
    let typed = client
        .get_signatures_for_address_with_config(
            &to,
            GetConfirmedSignaturesForAddress2Config { before: Some(third), until: Some(first), limit: Some(5), commitment: None },
        )
        .await
        .unwrap();
    assert_eq!(typed.iter().map(|s| s.signature.clone()).collect::<Vec<_>>(), [second.to_string()]);
    let limited = client
        .get_signatures_for_address_with_config(&to, GetConfirmedSignaturesForAddress2Config { limit: Some(1), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].signature, third.to_string());
    let unknown_before = Signature::from([7u8; 64]).to_string();
    let none: Vec<RpcConfirmedTransactionStatusWithSignature> =
        conform(&client, RpcRequest::GetSignaturesForAddress, json!([to.to_string(), { "before": unknown_before }])).await;
    assert!(none.is_empty());
    let (code, message) = rpc_error(&client, RpcRequest::GetSignaturesForAddress, json!([to.to_string(), { "limit": 1001 }])).await;
    assert_eq!((code, message.as_str()), (-32602, "Invalid limit; max 1000"));
    let (code, _) =
        rpc_error(&client, RpcRequest::GetSignaturesForAddress, json!([to.to_string(), { "commitment": "processed" }])).await;
    assert_eq!(code, -32602);

    // getBlock: each encoding, each transactionDetails.
    let slot = all[0].slot;
    let block: UiConfirmedBlock = conform(&client, RpcRequest::GetBlock, json!([slot])).await;
    assert_eq!(block.parent_slot, slot - 1);
    assert_eq!(block.block_height, Some(slot));
    assert_eq!(block.block_time, all[0].block_time);
    assert_eq!(block.rewards, Some(vec![]));
    let txs = block.transactions.as_ref().expect("full details");
    assert_eq!(txs.len(), 1);
    let EncodedTransaction::Json(ui) = &txs[0].transaction else { panic!("json encoding by default") };
    assert_eq!(ui.signatures, [third.to_string()]);
    let parent: UiConfirmedBlock = conform(&client, RpcRequest::GetBlock, json!([slot - 1])).await;
    assert_eq!(block.previous_blockhash, parent.blockhash);
    for encoding in [UiTransactionEncoding::Base64, UiTransactionEncoding::Base58] {
        let cfg = json!({ "encoding": encoding, "maxSupportedTransactionVersion": 0, "rewards": false });
        let b: UiConfirmedBlock = conform(&client, RpcRequest::GetBlock, json!([slot, cfg])).await;
        assert_eq!(b.rewards, None);
        let t = &b.transactions.unwrap()[0];
        let decoded: VersionedTransaction = t.transaction.decode().expect("binary transaction decodes");
        assert_eq!(decoded.signatures[0], third);
        let meta = t.meta.as_ref().unwrap();
        assert!(meta.fee >= 5000);
        assert_eq!(meta.pre_balances[0] - meta.post_balances[0], meta.fee + 2, "the fee is what the payer paid (the bank's, priority fee included)");
    }
    let signatures: UiConfirmedBlock =
        conform(&client, RpcRequest::GetBlock, json!([slot, { "transactionDetails": "signatures" }])).await;
    assert_eq!(signatures.signatures, Some(vec![third.to_string()]));
    assert!(signatures.transactions.is_none());
    let accounts: UiConfirmedBlock =
        conform(&client, RpcRequest::GetBlock, json!([slot, { "transactionDetails": "accounts" }])).await;
    let EncodedTransaction::Accounts(list) = &accounts.transactions.unwrap()[0].transaction else { panic!("accounts") };
    assert!(list.account_keys[0].signer && list.account_keys[0].writable);
    let none: UiConfirmedBlock = conform(&client, RpcRequest::GetBlock, json!([slot, { "transactionDetails": "none" }])).await;
    assert!(none.transactions.is_none() && none.signatures.is_none());
    let typed = client
        .get_block_with_config(
            slot,
            RpcBlockConfig {
                encoding: Some(UiTransactionEncoding::Base64),
                transaction_details: Some(TransactionDetails::Full),
                rewards: Some(true),
                commitment: Some(CommitmentConfig::finalized()),
                max_supported_transaction_version: Some(0),
            },
        )
        .await
        .unwrap();
    assert_eq!(typed.blockhash, block.blockhash);
    let (code, message) = rpc_error(&client, RpcRequest::GetBlock, json!([slot, { "commitment": "processed" }])).await;
    assert_eq!((code, message.as_str()), (-32602, "Method does not support commitment below `confirmed`"));
    let (code, message) = rpc_error(&client, RpcRequest::GetBlock, json!([slot + 100])).await;
    assert_eq!((code, message), (-32004, format!("Block not available for slot {}", slot + 100)));

    // getBlocks / getBlocksWithLimit / getBlockTime.
    let blocks: Vec<u64> = conform(&client, RpcRequest::GetBlocks, json!([slot - 2])).await;
    assert_eq!(blocks, [slot - 2, slot - 1, slot]);
    assert_eq!(client.get_blocks(slot - 1, Some(slot + 50)).await.unwrap(), [slot - 1, slot]);
    assert_eq!(client.get_blocks_with_limit(0, 2).await.unwrap(), [0, 1]);
    assert_eq!(client.get_block_time(slot).await.unwrap(), all[0].block_time.unwrap());
    let (code, _) = rpc_error(&client, RpcRequest::GetBlockTime, json!([slot + 100])).await;
    assert_eq!(code, -32004);

    // getEpochInfo agrees with getSlot, getBlockHeight and the epoch schedule.
    let info: EpochInfo = conform(&client, RpcRequest::GetEpochInfo, json!([])).await;
    let schedule: EpochSchedule = conform(&client, RpcRequest::GetEpochSchedule, json!([])).await;
    assert_eq!(info.absolute_slot, client.get_slot().await.unwrap());
    assert_eq!(info.block_height, client.get_block_height().await.unwrap());
    assert_eq!(info.absolute_slot, slot);
    assert_eq!((info.epoch, info.slot_index), schedule.get_epoch_and_slot_index(info.absolute_slot));
    assert_eq!(info.slots_in_epoch, schedule.get_slots_in_epoch(info.epoch));
    assert_eq!(info.transaction_count, Some(client.get_transaction_count().await.unwrap()));

    // getRecentPrioritizationFees: the compute-unit price of the block's transaction.
    let fees: Vec<RpcPrioritizationFee> = conform(&client, RpcRequest::GetRecentPrioritizationFees, json!([[to.to_string()]])).await;
    assert_eq!(fees.last().map(|f| (f.slot, f.prioritization_fee)), Some((slot, 7)));
    assert!(fees.iter().filter(|f| f.slot < slot).all(|f| f.prioritization_fee == 0));
    assert_eq!(client.get_recent_prioritization_fees(&[]).await.unwrap(), fees);

    // getTokenAccountsByOwner: empty (no token account here), not an error.
    let token_program: Pubkey = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA".parse().unwrap();
    let empty: Response<Vec<solana_rpc_client_types::response::RpcKeyedAccount>> = conform(
        &client,
        RpcRequest::GetTokenAccountsByOwner,
        json!([wallet.pubkey().to_string(), { "programId": token_program.to_string() }, { "encoding": "jsonParsed" }]),
    )
    .await;
    assert!(empty.value.is_empty());
    assert_eq!(empty.context.slot, slot);
    let typed = client.get_token_accounts_by_owner(&wallet.pubkey(), TokenAccountsFilter::ProgramId(token_program)).await.unwrap();
    assert!(typed.is_empty());
    let (code, message) = rpc_error(
        &client,
        RpcRequest::GetTokenAccountsByOwner,
        json!([wallet.pubkey().to_string(), { "programId": system_program::ID.to_string() }]),
    )
    .await;
    assert_eq!((code, message.as_str()), (-32602, "Invalid param: unrecognized Token program id"));

    // Unknown methods keep the standard error.
    let (code, message) = rpc_error(&client, RpcRequest::Custom { method: "getNoSuchThing" }, json!([])).await;
    assert_eq!((code, message.as_str()), (-32601, "Method not found"));

    // The per-address index and the blocks survive a restart.
    let chain = restart(chain);
    let client = RpcClient::new_with_commitment(chain.rpc_url.clone(), CommitmentConfig::confirmed());
    let again: Vec<RpcConfirmedTransactionStatusWithSignature> =
        conform(&client, RpcRequest::GetSignaturesForAddress, json!([to.to_string()])).await;
    assert_eq!(again, all);
    let again: UiConfirmedBlock = conform(&client, RpcRequest::GetBlock, json!([slot])).await;
    assert_eq!(again, block);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_program_looks_deployed_by_the_upgradeable_loader() {
    let chain = start();
    let client = RpcClient::new_with_commitment(chain.rpc_url.clone(), CommitmentConfig::confirmed());
    #[allow(deprecated)]
    let loader = solana_sdk::bpf_loader_upgradeable::id();
    let program: Response<Option<UiAccount>> = conform(
        &client,
        RpcRequest::GetAccountInfo,
        json!([provenance::ID.to_string(), { "encoding": "base64" }]),
    )
    .await;
    let program = program.value.expect("program account");
    assert_eq!(program.owner, loader.to_string());
    assert!(program.executable);
    let account = client.get_account(&provenance::ID).await.unwrap();
    let programdata_address = Pubkey::find_program_address(&[provenance::ID.as_ref()], &loader).0;
    let state: UpgradeableLoaderState = bincode::deserialize(&account.data).unwrap();
    assert_eq!(state, UpgradeableLoaderState::Program { programdata_address });
    let programdata = client.get_account(&programdata_address).await.unwrap();
    assert_eq!(programdata.owner, loader);
    let state: UpgradeableLoaderState = bincode::deserialize(&programdata.data).unwrap();
    assert_eq!(state, UpgradeableLoaderState::ProgramData { slot: 0, upgrade_authority_address: Some(chain.wallet.pubkey()) });
    // The program still runs (natively) with its account shown that way.
    send(&client, &[initialize_ix(&chain.wallet.pubkey())], &chain.wallet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_notify_as_agave() {
    let chain = start();
    let client = RpcClient::new_with_commitment(chain.rpc_url.clone(), CommitmentConfig::confirmed());
    let wallet = &chain.wallet;
    let pubsub = PubsubClient::new(&chain.ws_url).await.expect("websocket");
    let (mut slots, slots_off) = pubsub.slot_subscribe().await.expect("slotSubscribe");
    let (mut accounts, accounts_off) = pubsub
        .account_subscribe(
            &wallet.pubkey(),
            Some(RpcAccountInfoConfig { encoding: Some(UiAccountEncoding::Base64), commitment: Some(CommitmentConfig::confirmed()), ..Default::default() }),
        )
        .await
        .expect("accountSubscribe");
    let (mut logs, logs_off) = pubsub
        .logs_subscribe(
            RpcTransactionLogsFilter::Mentions(vec![provenance::ID.to_string()]),
            RpcTransactionLogsConfig { commitment: Some(CommitmentConfig::confirmed()) },
        )
        .await
        .expect("logsSubscribe");
    let (mut programs, programs_off) = pubsub
        .program_subscribe(&provenance::ID, Some(RpcProgramAccountsConfig::default()))
        .await
        .expect("programSubscribe");

    // A transfer: a slot, the wallet's account; no program logs, no program account.
    let to = Keypair::new().pubkey();
    let transfer = send(&client, &[system_instruction::transfer(&wallet.pubkey(), &to, 5_000_000)], wallet).await;
    let status = client.get_signature_statuses(&[transfer]).await.unwrap().value[0].clone().unwrap();
    let slot: SlotInfo = tokio::time::timeout(WAIT, slots.next()).await.expect("slotNotification").unwrap();
    assert_eq!(slot, SlotInfo { slot: status.slot, parent: status.slot - 1, root: status.slot });
    let account = tokio::time::timeout(WAIT, accounts.next()).await.expect("accountNotification").unwrap();
    assert_eq!(account.context.slot, status.slot);
    assert_eq!(account.value.lamports, client.get_balance(&wallet.pubkey()).await.unwrap());
    assert_eq!(account.value.owner, system_program::ID.to_string());

    // The program's initialize: its logs (mentioning it) and its three new accounts.
    let init = send(&client, &[initialize_ix(&wallet.pubkey())], wallet).await;
    let log = tokio::time::timeout(WAIT, logs.next()).await.expect("logsNotification").unwrap();
    assert_eq!(log.value.signature, init.to_string(), "the transfer did not mention the program");
    assert_eq!(log.value.err, None);
    assert_eq!(log.value.logs.first().map(String::as_str), Some(format!("Program {} invoke [1]", provenance::ID).as_str()));
    let tx = client.get_transaction(&init, UiTransactionEncoding::Json).await.unwrap();
    let meta_logs: Option<Vec<String>> = tx.transaction.meta.unwrap().log_messages.into();
    assert_eq!(Some(log.value.logs.clone()), meta_logs);
    // The wallet paid for initialize: its second account notification, in that slot.
    let paid = tokio::time::timeout(WAIT, accounts.next()).await.expect("accountNotification").unwrap();
    assert_eq!(paid.context.slot, log.context.slot);
    let mut owned = Vec::new();
    for _ in 0..3 {
        let n = tokio::time::timeout(WAIT, programs.next()).await.expect("programNotification").unwrap();
        assert_eq!(n.context.slot, log.context.slot);
        assert_eq!(n.value.account.owner, provenance::ID.to_string());
        owned.push(n.value.pubkey);
    }
    owned.sort();
    let mut expected: Vec<String> = [provenance::constants::CONFIG_SEED, provenance::constants::BATCH_LOG_SEED, provenance::constants::ACCUMULATOR_SEED]
        .iter()
        .map(|s| Pubkey::find_program_address(&[s], &provenance::ID).0.to_string())
        .collect();
    expected.sort();
    assert_eq!(owned, expected);

    // Unsubscribed: nothing more arrives for the account, whatever lands.
    accounts_off().await;
    slots_off().await;
    logs_off().await;
    programs_off().await;
    send(&client, &[system_instruction::transfer(&wallet.pubkey(), &to, 1)], wallet).await;
    assert!(tokio::time::timeout(Duration::from_millis(300), accounts.next()).await.ok().flatten().is_none());

    // The wire shapes of the acknowledgements and errors, on a raw socket.
    let (mut ws, _) = tokio_tungstenite::connect_async(chain.ws_url.as_str()).await.expect("raw websocket");
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    for (request, expected) in [
        (json!({"jsonrpc":"2.0","id":1,"method":"slotSubscribe"}), json!({"jsonrpc":"2.0","result":"<id>","id":1})),
        (json!({"jsonrpc":"2.0","id":2,"method":"logsUnsubscribe","params":[999_999]}),
         json!({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid subscription id."},"id":2})),
        (json!({"jsonrpc":"2.0","id":3,"method":"logsSubscribe","params":[{"mentions":[to.to_string(), to.to_string()]}]}),
         json!({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid Request: Only 1 address supported"},"id":3})),
        (json!({"jsonrpc":"2.0","id":4,"method":"blockSubscribe","params":["all"]}),
         json!({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":4})),
    ] {
        ws.send(Message::Text(request.to_string())).await.unwrap();
        let answer = tokio::time::timeout(WAIT, ws.next()).await.expect("an answer").unwrap().unwrap();
        let mut answer: Value = serde_json::from_str(answer.to_text().unwrap()).unwrap();
        if expected["result"] == "<id>" {
            assert!(answer["result"].is_u64(), "{answer}");
            answer["result"] = json!("<id>");
        }
        assert_eq!(answer, expected);
    }
}

/// What an auditor walking an address's history needs: every page of `getSignaturesForAddress`
/// (`before` as the cursor, `limit`, `until`) adds up to the whole list, newest first; a failed
/// transaction that landed (fee paid, skipPreflight) is listed with its error; both commitments an
/// auditor may ask for answer, and `minContextSlot` is honoured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_for_address_pages_and_flags_failed_transactions() {
    use solana_rpc_client_types::config::RpcSendTransactionConfig;
    use solana_sdk::instruction::InstructionError;
    use solana_sdk::transaction::TransactionError;

    let chain = start();
    let client = RpcClient::new_with_commitment(chain.rpc_url.clone(), CommitmentConfig::confirmed());
    let wallet = &chain.wallet;
    let to = Keypair::new().pubkey();
    let mut sent = Vec::new();
    for i in 0..4u64 {
        sent.push(send(&client, &[system_instruction::transfer(&wallet.pubkey(), &to, 1_000_000 + i)], wallet).await);
    }
    // More lamports than the wallet holds: executed, fails in the system program, still lands.
    let blockhash = client.get_latest_blockhash().await.unwrap();
    let failing = Transaction::new_signed_with_payer(
        &[system_instruction::transfer(&wallet.pubkey(), &to, u64::MAX / 2), memo_ix("too much")],
        Some(&wallet.pubkey()),
        &[wallet],
        blockhash,
    );
    let failed = client
        .send_transaction_with_config(&failing, RpcSendTransactionConfig { skip_preflight: true, ..Default::default() })
        .await
        .expect("sent without preflight");
    let deadline = std::time::Instant::now() + WAIT;
    let status = loop {
        if let Some(s) = client.get_signature_statuses(&[failed]).await.unwrap().value[0].clone() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "the failed transaction lands");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let expected_err = TransactionError::InstructionError(0, InstructionError::Custom(1));
    assert_eq!(status.err, Some(expected_err.clone()));
    sent.push(failed);
    sent.push(send(&client, &[system_instruction::transfer(&wallet.pubkey(), &to, 7)], wallet).await);

    let all: Vec<RpcConfirmedTransactionStatusWithSignature> =
        conform(&client, RpcRequest::GetSignaturesForAddress, json!([to.to_string()])).await;
    let newest_first: Vec<String> = sent.iter().rev().map(|s| s.to_string()).collect();
    assert_eq!(all.iter().map(|s| s.signature.clone()).collect::<Vec<_>>(), newest_first);
    let listed_failed = all.iter().find(|s| s.signature == failed.to_string()).unwrap();
    assert_eq!(listed_failed.err, Some(expected_err.clone()), "a failed transaction is listed with its error");
    assert_eq!(listed_failed.memo.as_deref(), Some("[8] too much"));
    assert!(all.iter().filter(|s| s.signature != failed.to_string()).all(|s| s.err.is_none()));
    assert!(all.windows(2).all(|w| w[0].slot > w[1].slot && w[0].block_time >= w[1].block_time));

    // Paged two at a time with `before` as the cursor: the same list, nothing twice or missed.
    for commitment in [CommitmentConfig::confirmed(), CommitmentConfig::finalized()] {
        let mut paged = Vec::new();
        let mut before: Option<Signature> = None;
        loop {
            let page = client
                .get_signatures_for_address_with_config(&to, GetConfirmedSignaturesForAddress2Config { before, until: None, limit: Some(2), commitment: Some(commitment) })
                .await
                .unwrap();
            assert!(page.len() <= 2);
            paged.extend(page.iter().cloned());
            if page.len() < 2 {
                break;
            }
            before = Some(page.last().unwrap().signature.parse().unwrap());
        }
        assert_eq!(paged, all, "pages of 2 at {commitment:?} add up to the whole list");
    }
    // `until` (exclusive) with `limit`: what landed after a signature, newest first.
    let since = client
        .get_signatures_for_address_with_config(&to, GetConfirmedSignaturesForAddress2Config { before: None, until: Some(sent[1]), limit: Some(2), commitment: None })
        .await
        .unwrap();
    assert_eq!(since.iter().map(|s| s.signature.clone()).collect::<Vec<_>>(), newest_first[..2].to_vec());
    let since_all = client
        .get_signatures_for_address_with_config(&to, GetConfirmedSignaturesForAddress2Config { before: None, until: Some(sent[1]), limit: None, commitment: None })
        .await
        .unwrap();
    assert_eq!(since_all.iter().map(|s| s.signature.clone()).collect::<Vec<_>>(), newest_first[..4].to_vec());
    // A context slot the chain has not reached.
    let slot = all[0].slot;
    let (code, message) =
        rpc_error(&client, RpcRequest::GetSignaturesForAddress, json!([to.to_string(), { "minContextSlot": slot + 1000 }])).await;
    assert_eq!((code, message.as_str()), (-32016, "Minimum context slot has not been reached"));
}
