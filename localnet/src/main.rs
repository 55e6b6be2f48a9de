//! `provenance-localnet`: a local Solana chain for the provenance rollup — Agave's runtime
//! (solana-program-test) with the `provenance` program linked natively, behind the standard
//! JSON-RPC (HTTP) and websocket faces. See docs/localnet.md.

mod deployed;
mod engine;
mod http;
mod programlog;
mod rpc;
mod store;
mod ws;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use tokio::net::TcpListener;

const USAGE: &str = "usage: provenance-localnet [--bind ADDR] [--port PORT] [--data-dir DIR]

  --bind ADDR      address to listen on (default 127.0.0.1)
  --port PORT      JSON-RPC over HTTP on PORT, websocket on PORT+1 (default 8899)
  --data-dir DIR   chain state (default $PROVENANCE_DATA_DIR/localnet, else ./.provenance/localnet);
                   a new directory is a new chain
";

struct Options {
    bind: IpAddr,
    port: u16,
    data_dir: PathBuf,
}

fn parse_args() -> Result<Options, String> {
    let mut bind: IpAddr = "127.0.0.1".parse().expect("address");
    let mut port: u16 = 8899;
    let mut data_dir = match std::env::var("PROVENANCE_DATA_DIR") {
        Ok(d) if !d.is_empty() => PathBuf::from(d).join("localnet"),
        _ => PathBuf::from("./.provenance/localnet"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = |name: &str| inline.clone().or_else(|| args.next()).ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--bind" => bind = value("--bind")?.parse().map_err(|e| format!("--bind: {e}"))?,
            "--port" => port = value("--port")?.parse().map_err(|e| format!("--port: {e}"))?,
            "--data-dir" => data_dir = PathBuf::from(value("--data-dir")?),
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if port == u16::MAX {
        return Err("--port must leave room for the websocket on PORT+1".into());
    }
    Ok(Options { bind, port, data_dir })
}

fn main() {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("provenance-localnet: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let (engine, info) = match engine::start(store::Store::new(opts.data_dir.clone())) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("provenance-localnet: cannot start the chain: {e}");
            std::process::exit(1);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async move {
        let http_addr = SocketAddr::new(opts.bind, opts.port);
        let ws_addr = SocketAddr::new(opts.bind, opts.port + 1);
        let http = match TcpListener::bind(http_addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("provenance-localnet: cannot listen on {http_addr}: {e}");
                std::process::exit(1);
            }
        };
        let wsl = match TcpListener::bind(ws_addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("provenance-localnet: cannot listen on {ws_addr}: {e}");
                std::process::exit(1);
            }
        };
        tokio::spawn(ws::serve(wsl, engine.clone()));
        let data_dir = std::fs::canonicalize(&opts.data_dir).unwrap_or(opts.data_dir.clone());
        // Program output is captured from fd 1 only while the program runs (programlog.rs), so
        // these lines go to the terminal as usual.
        println!("provenance-localnet: Agave runtime (solana-program-test 2.3.9), program linked natively; INSECURE test/dev keys");
        println!("  JSON-RPC   http://{http_addr}");
        println!("  websocket  ws://{ws_addr}");
        println!("  program    {}", provenance::ID);
        println!("  wallet     {} ({}, funded)", info.wallet_path.display(), info.wallet);
        println!(
            "  chain      genesis {} ({}; {} accounts, {} transactions)",
            info.identity.genesis_hash,
            if info.fresh { "new chain" } else { "restored" },
            info.accounts,
            info.transactions
        );
        println!("  data dir   {}", data_dir.display());
        // One machine-readable line, last, for scripts and tests.
        println!(
            "{}",
            serde_json::json!({
                "event": "ready",
                "rpcUrl": format!("http://{http_addr}"),
                "wsUrl": format!("ws://{ws_addr}"),
                "programId": provenance::ID.to_string(),
                "wallet": info.wallet_path,
                "walletPubkey": info.wallet.to_string(),
                "genesisHash": info.identity.genesis_hash,
                "fresh": info.fresh,
                "dataDir": data_dir,
            })
        );
        let shutdown = async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        };
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = http.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let engine = engine.clone();
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(http::connection(stream, engine));
                }
            }
        }
        // Stop between two engine jobs: every landed transaction is already on disk.
        engine.call(|_| ()).await;
        std::process::exit(0);
    });
}
