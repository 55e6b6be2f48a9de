//! The websocket face (HTTP port + 1, as web3.js assumes): `signatureSubscribe` and
//! `signatureUnsubscribe`, which stock `Connection.confirmTransaction` needs — it subscribes and
//! only then asks `getSignatureStatuses` once; without a websocket it waits for a timeout.
//! Like a validator, a signature subscription fires once and is then gone. Every other
//! subscription method is answered "Method not found".

use std::collections::HashMap;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use solana_sdk::signature::Signature;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use crate::engine::{EngineHandle, Landed};
use crate::rpc::{error_response, RpcError, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR};

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

fn notification(sub: u64, landed_slot: u64, err: &Option<solana_sdk::transaction::TransactionError>) -> Message {
    Message::Text(
        json!({
            "jsonrpc": "2.0",
            "method": "signatureNotification",
            "params": { "result": { "context": { "slot": landed_slot }, "value": { "err": err } }, "subscription": sub }
        })
        .to_string(),
    )
}

async fn connection(
    ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    engine: EngineHandle,
    mut next_sub: u64,
) {
    let (mut sink, mut stream) = ws.split();
    // Subscribed before any status is looked up, so a transaction landing in between is seen.
    let mut landed = engine.subscribe_landed();
    let mut pending: HashMap<u64, Signature> = HashMap::new();
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
                for out in handle(&engine, &text, &mut pending, &mut next_sub).await {
                    if sink.send(out).await.is_err() { return; }
                }
            }
            event = landed.recv() => {
                let Ok(Landed { signature, slot, err }) = event else { continue };
                let subs: Vec<u64> = pending.iter().filter(|(_, s)| **s == signature).map(|(id, _)| *id).collect();
                for sub in subs {
                    pending.remove(&sub);
                    if sink.send(notification(sub, slot, &err)).await.is_err() { return; }
                }
            }
        }
    }
}

async fn handle(engine: &EngineHandle, text: &str, pending: &mut HashMap<u64, Signature>, next_sub: &mut u64) -> Vec<Message> {
    let reply = |v: Value| Message::Text(v.to_string());
    let request: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return vec![reply(error_response(Value::Null, RpcError { code: PARSE_ERROR, message: format!("Parse error: {e}"), data: None }))],
    };
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return vec![reply(error_response(Value::Null, RpcError { code: INVALID_REQUEST, message: "Invalid request".into(), data: None }))];
    };
    // Notifications (web3.js sends a "ping" every few seconds) get no answer.
    let Some(id) = request.get("id").cloned() else { return vec![] };
    let params = request.get("params").and_then(Value::as_array).cloned().unwrap_or_default();
    let bad = |m: &str| vec![reply(error_response(id.clone(), RpcError { code: INVALID_PARAMS, message: m.into(), data: None }))];
    match method {
        "signatureSubscribe" => {
            let Some(sig) = params.first().and_then(Value::as_str).and_then(|s| s.parse::<Signature>().ok()) else {
                return bad("Invalid params: invalid signature");
            };
            let sub = *next_sub;
            *next_sub += 1;
            let mut out = vec![reply(json!({ "jsonrpc": "2.0", "result": sub, "id": id }))];
            match engine.call(move |e| e.transaction(&sig)).await {
                Some(r) => out.push(notification(sub, r.slot, &r.err)),
                None => {
                    pending.insert(sub, sig);
                }
            }
            out
        }
        "signatureUnsubscribe" => {
            let Some(sub) = params.first().and_then(Value::as_u64) else { return bad("Invalid params: subscription id expected") };
            // Already-fired subscriptions are gone: agave answers an error for those too, but
            // web3.js ignores the answer; true keeps its logs quiet.
            pending.remove(&sub);
            vec![reply(json!({ "jsonrpc": "2.0", "result": true, "id": id }))]
        }
        _ => vec![reply(error_response(id, RpcError { code: METHOD_NOT_FOUND, message: "Method not found".into(), data: None }))],
    }
}
