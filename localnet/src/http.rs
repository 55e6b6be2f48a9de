//! A small HTTP/1.1 server for JSON-RPC: POST bodies with Content-Length, keep-alive.
//!
//! Hand-written rather than hyper's server: hyper is already in the dependency graph (through
//! reqwest) with client features only, and turning on its server features would rebuild
//! reqwest and the solana client crates program-test depends on. JSON-RPC clients send
//! `Content-Length` bodies, which is all this needs to read.
//!
//! Every answer allows any origin (CORS), and an `OPTIONS` preflight is answered: this is a
//! local development chain, and the explorer page (served by the sequencer, another origin)
//! runs the SDK's chain checks in the browser against it. A public RPC decides its own policy.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::engine::EngineHandle;
use crate::rpc;

/// Requests larger than this are refused (a Solana transaction is at most 1232 bytes).
const MAX_BODY: usize = 1 << 20;
const MAX_HEADER_LINES: usize = 100;

/// Sent with every answer: any origin may read it (no credentials are ever involved).
const CORS_HEADERS: &str = "access-control-allow-origin: *\r\n";
/// The preflight's answer: POST with any request headers (web3.js sends `content-type` and
/// `solana-client`), cached by the browser for a day.
const PREFLIGHT_HEADERS: &str = "access-control-allow-methods: POST, GET, OPTIONS\r\naccess-control-allow-headers: *\r\naccess-control-max-age: 86400\r\n";

async fn respond(stream: &mut (impl AsyncWriteExt + Unpin), status: &str, content_type: &str, body: &[u8], keep_alive: bool) -> std::io::Result<()> {
    respond_with(stream, status, content_type, "", body, keep_alive).await
}

async fn respond_with(stream: &mut (impl AsyncWriteExt + Unpin), status: &str, content_type: &str, extra_headers: &str, body: &[u8], keep_alive: bool) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{CORS_HEADERS}{extra_headers}connection: {}\r\n\r\n",
        body.len(),
        if keep_alive { "keep-alive" } else { "close" }
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await
}

fn rpc_error_body(code: i64, message: &str) -> Vec<u8> {
    rpc::error_response(serde_json::Value::Null, rpc::RpcError { code, message: message.into(), data: None })
        .to_string()
        .into_bytes()
}

pub async fn connection(stream: TcpStream, engine: EngineHandle) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        // Request line.
        let mut line = String::new();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut parts = line.split_whitespace();
        let (method, path, version) = (parts.next().unwrap_or(""), parts.next().unwrap_or("").to_string(), parts.next().unwrap_or(""));
        if method.is_empty() {
            continue; // stray CRLF between requests
        }
        let method = method.to_string();
        let mut keep_alive = version == "HTTP/1.1";
        let mut content_length: Option<usize> = None;
        let mut chunked = false;
        let mut header_lines = 0;
        loop {
            let mut h = String::new();
            match reader.read_line(&mut h).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            header_lines += 1;
            if header_lines > MAX_HEADER_LINES {
                let _ = respond(&mut write, "431 Request Header Fields Too Large", "text/plain", b"too many headers", false).await;
                return;
            }
            if let Some((name, value)) = h.split_once(':') {
                let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
                match name.as_str() {
                    "content-length" => content_length = value.parse().ok(),
                    "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                    "connection" => {
                        let v = value.to_ascii_lowercase();
                        if v.contains("close") {
                            keep_alive = false;
                        } else if v.contains("keep-alive") {
                            keep_alive = true;
                        }
                    }
                    _ => {}
                }
            }
        }
        if method == "GET" && (path == "/health" || path.starts_with("/health?")) {
            if respond(&mut write, "200 OK", "text/plain", b"ok", keep_alive).await.is_err() || !keep_alive {
                return;
            }
            continue;
        }
        if method == "OPTIONS" {
            // A CORS preflight has no body: one that declares a body is answered, then closed.
            let keep_alive = keep_alive && content_length.unwrap_or(0) == 0 && !chunked;
            if respond_with(&mut write, "204 No Content", "text/plain", PREFLIGHT_HEADERS, b"", keep_alive).await.is_err() || !keep_alive {
                return;
            }
            continue;
        }
        if method != "POST" {
            let body = rpc_error_body(rpc::INVALID_REQUEST, "Invalid request: POST a JSON-RPC 2.0 body");
            let _ = respond(&mut write, "405 Method Not Allowed", "application/json", &body, false).await;
            return;
        }
        let len = match (content_length, chunked) {
            (Some(n), false) if n <= MAX_BODY => n,
            (Some(_), false) => {
                let body = rpc_error_body(rpc::INVALID_REQUEST, "Invalid request: body too large");
                let _ = respond(&mut write, "413 Payload Too Large", "application/json", &body, false).await;
                return;
            }
            _ => {
                let body = rpc_error_body(rpc::INVALID_REQUEST, "Invalid request: a Content-Length body is required");
                let _ = respond(&mut write, "411 Length Required", "application/json", &body, false).await;
                return;
            }
        };
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let answer = match rpc::handle_body(&engine, &body).await {
            Some(v) => v.to_string().into_bytes(),
            None => Vec::new(),
        };
        if respond(&mut write, "200 OK", "application/json", &answer, keep_alive).await.is_err() || !keep_alive {
            return;
        }
    }
}
