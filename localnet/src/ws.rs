//! The websocket face (HTTP port + 1, as web3.js assumes): agave's pubsub methods
//! `signatureSubscribe`, `slotSubscribe`, `accountSubscribe`, `programSubscribe`,
//! `logsSubscribe`, and their unsubscribes. Stock `Connection.confirmTransaction` (web3.js) and
//! `@solana/kit`'s confirmation strategies need the first two: they subscribe and only then ask
//! `getSignatureStatuses` / `getEpochInfo` once.
//!
//! Every landed transaction is its own slot, so each one produces, in this order: a
//! `slotNotification`, an `accountNotification` per subscribed writable account, a
//! `programNotification` per writable account owned by a subscribed program (filters applied),
//! a `logsNotification` per matching logs subscription, and the `signatureNotification`. A
//! subscription sees only slots after the one current when it was made. Like a validator, a
//! signature subscription fires once and is then gone. Unknown methods: "Method not found".

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use solana_rpc_client_types::filter::RpcFilterType;
use solana_rpc_client_types::response::{RpcKeyedAccount, RpcLogsResponse, SlotInfo};
use solana_sdk::account::AccountSharedData;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use crate::engine::{EngineHandle, Landed};
use crate::rpc::{
    error_response, with_context, AccountOptions, RpcError, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND,
    PARSE_ERROR,
};

pub async fn serve(listener: TcpListener, engine: EngineHandle) {
    let mut next_id: u64 = 1;
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let engine = engine.clone();
        let first_id = next_id;
        next_id += 1_000_000;
        tokio::spawn(async move {
            if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                connection(ws, engine, first_id).await;
            }
        });
    }
}

enum Kind {
    Signature(Signature),
    Slot,
    Account { key: Pubkey, opts: AccountOptions },
    Program { owner: Pubkey, opts: AccountOptions, filters: Vec<RpcFilterType> },
    /// `None`: every transaction ("all", "allWithVotes": there are no votes here).
    Logs { mentions: Option<Pubkey> },
}

struct Sub {
    kind: Kind,
    /// The chain's slot when the subscription was made: only later slots notify.
    since: u64,
}

fn note(method: &str, sub: u64, result: Value) -> Message {
    Message::Text(json!({ "jsonrpc": "2.0", "method": method, "params": { "result": result, "subscription": sub } }).to_string())
}

fn signature_note(sub: u64, slot: u64, err: &Option<solana_sdk::transaction::TransactionError>) -> Message {
    note("signatureNotification", sub, json!({ "context": { "slot": slot }, "value": { "err": err } }))
}

/// What `landed` tells subscription `sub`; `true` in the second place when the subscription is
/// used up (signatures fire once).
fn notifications(id: u64, sub: &Sub, landed: &Landed) -> (Vec<Message>, bool) {
    if landed.slot <= sub.since {
        return (vec![], false);
    }
    let slot = landed.slot;
    match &sub.kind {
        Kind::Signature(s) if *s == landed.signature => (vec![signature_note(id, slot, &landed.err)], true),
        Kind::Signature(_) => (vec![], false),
        Kind::Slot => {
            let info = SlotInfo { slot, parent: slot - 1, root: slot };
            (vec![note("slotNotification", id, json!(info))], false)
        }
        Kind::Account { key, opts } => {
            let out = landed
                .written
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, a)| note("accountNotification", id, with_context(slot, opts.encode(a))))
                .collect();
            (out, false)
        }
        Kind::Program { owner, opts, filters } => {
            // `allows` is deprecated only in favour of a function of the validator's own crate.
            #[allow(deprecated)]
            let out = landed
                .written
                .iter()
                .filter(|(_, a)| a.owner == *owner && filters.iter().all(|f| f.allows(&AccountSharedData::from(a.clone()))))
                .map(|(k, a)| {
                    let keyed = RpcKeyedAccount { pubkey: k.to_string(), account: opts.encode(a) };
                    note("programNotification", id, with_context(slot, keyed))
                })
                .collect();
            (out, false)
        }
        Kind::Logs { mentions } => {
            if mentions.is_some_and(|m| !landed.keys.contains(&m)) {
                return (vec![], false);
            }
            let value = RpcLogsResponse { signature: landed.signature.to_string(), err: landed.err.clone(), logs: landed.logs.clone() };
            (vec![note("logsNotification", id, with_context(slot, value))], false)
        }
    }
}

/// Notification order within one landed transaction (see the module comment).
fn rank(kind: &Kind) -> u8 {
    match kind {
        Kind::Slot => 0,
        Kind::Account { .. } => 1,
        Kind::Program { .. } => 2,
        Kind::Logs { .. } => 3,
        Kind::Signature(_) => 4,
    }
}

async fn connection(
    ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    engine: EngineHandle,
    mut next_sub: u64,
) {
    let (mut sink, mut stream) = ws.split();
    // Subscribed before any status is looked up, so a transaction landing in between is seen.
    let mut landed = engine.subscribe_landed();
    let mut subs: HashMap<u64, Sub> = HashMap::new();
    loop {
        tokio::select! {
            msg = stream.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                    Some(Ok(Message::Ping(p))) => { let _ = sink.send(Message::Pong(p)).await; continue; }
                    Some(Ok(_)) => continue,
                    _ => return,
                };
                for out in handle(&engine, &text, &mut subs, &mut next_sub).await {
                    if sink.send(out).await.is_err() { return; }
                }
            }
            event = landed.recv() => {
                let event: Arc<Landed> = match event {
                    Ok(e) => e,
                    Err(_) => continue,
                };
                let mut ids: Vec<u64> = subs.keys().copied().collect();
                ids.sort_by_key(|id| (rank(&subs[id].kind), *id));
                for id in ids {
                    let (out, done) = notifications(id, &subs[&id], &event);
                    if done { subs.remove(&id); }
                    for m in out {
                        if sink.send(m).await.is_err() { return; }
                    }
                }
            }
        }
    }
}

fn parse_pubkey(v: Option<&Value>) -> Option<Pubkey> {
    v.and_then(Value::as_str).and_then(|s| s.parse().ok())
}

async fn handle(engine: &EngineHandle, text: &str, subs: &mut HashMap<u64, Sub>, next_sub: &mut u64) -> Vec<Message> {
    let reply = |v: Value| Message::Text(v.to_string());
    let request: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return vec![reply(error_response(Value::Null, RpcError { code: PARSE_ERROR, message: format!("Parse error: {e}"), data: None }))],
    };
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return vec![reply(error_response(Value::Null, RpcError { code: INVALID_REQUEST, message: "Invalid request".into(), data: None }))];
    };
    // Notifications (web3.js and kit send a "ping" every few seconds) get no answer.
    let Some(id) = request.get("id").cloned() else { return vec![] };
    let params = request.get("params").and_then(Value::as_array).cloned().unwrap_or_default();
    let bad = |m: &str| vec![reply(error_response(id.clone(), RpcError { code: INVALID_PARAMS, message: m.into(), data: None }))];
    let cfg = params.get(1).filter(|v| v.is_object());
    let kind = match method {
        "signatureSubscribe" => match params.first().and_then(Value::as_str).and_then(|s| s.parse::<Signature>().ok()) {
            Some(sig) => Kind::Signature(sig),
            None => return bad("Invalid Request: Invalid signature provided"),
        },
        "slotSubscribe" => Kind::Slot,
        "accountSubscribe" => {
            let Some(key) = parse_pubkey(params.first()) else { return bad("Invalid Request: Invalid pubkey provided") };
            let opts = match AccountOptions::parse(cfg) {
                Ok(o) => o,
                Err(e) => return bad(&e.message),
            };
            Kind::Account { key, opts }
        }
        "programSubscribe" => {
            let Some(owner) = parse_pubkey(params.first()) else { return bad("Invalid Request: Invalid pubkey provided") };
            let opts = match AccountOptions::parse(cfg) {
                Ok(o) => o,
                Err(e) => return bad(&e.message),
            };
            let filters: Vec<RpcFilterType> = match cfg.and_then(|c| c.get("filters")) {
                None | Some(Value::Null) => Vec::new(),
                Some(f) => match serde_json::from_value(f.clone()) {
                    Ok(f) => f,
                    Err(e) => return bad(&format!("Invalid params: filters: {e}")),
                },
            };
            if let Some(e) = filters.iter().find_map(|f| f.verify().err()) {
                return bad(&format!("Invalid params: filter: {e}"));
            }
            Kind::Program { owner, opts, filters }
        }
        "logsSubscribe" => match params.first() {
            Some(Value::String(s)) if s == "all" || s == "allWithVotes" => Kind::Logs { mentions: None },
            Some(Value::Object(o)) => match o.get("mentions").and_then(Value::as_array) {
                Some(list) if list.len() == 1 => match parse_pubkey(list.first()) {
                    Some(key) => Kind::Logs { mentions: Some(key) },
                    None => return bad("Invalid Request: Invalid pubkey provided"),
                },
                Some(_) => return bad("Invalid Request: Only 1 address supported"),
                None => return bad("Invalid params: unknown logs filter"),
            },
            _ => return bad("Invalid params: unknown logs filter"),
        },
        "signatureUnsubscribe" | "slotUnsubscribe" | "accountUnsubscribe" | "programUnsubscribe" | "logsUnsubscribe" => {
            let Some(sub) = params.first().and_then(Value::as_u64) else { return bad("Invalid params: subscription id expected") };
            let removed = subs.remove(&sub).is_some();
            // A signature subscription that fired is gone: agave answers an error for it, but
            // web3.js unsubscribes after every notification and logs that error; true keeps it
            // quiet. Any other unknown id is agave's error.
            if removed || method == "signatureUnsubscribe" {
                return vec![reply(json!({ "jsonrpc": "2.0", "result": true, "id": id }))];
            }
            return bad("Invalid subscription id.");
        }
        _ => return vec![reply(error_response(id, RpcError { code: METHOD_NOT_FOUND, message: "Method not found".into(), data: None }))],
    };
    let sub = *next_sub;
    *next_sub += 1;
    let mut out = vec![reply(json!({ "jsonrpc": "2.0", "result": sub, "id": id }))];
    match kind {
        Kind::Signature(sig) => {
            // Already landed: notify at once; otherwise wait for it, whenever it lands.
            match engine.call(move |e| e.transaction(&sig)).await {
                Some(r) => out.push(signature_note(sub, r.slot, &r.err)),
                None => {
                    subs.insert(sub, Sub { kind, since: 0 });
                }
            }
        }
        kind => {
            let since = engine.call(|e| e.slot()).await;
            subs.insert(sub, Sub { kind, since });
        }
    }
    out
}
