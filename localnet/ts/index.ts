/**
 * Starts and stops the local chain (`localnet/`, a Rust binary): used by `provenance localnet`,
 * by `npm start` when no external RPC URL is set, and by the integration tests. It needs the
 * repository checkout (the binary is built from `localnet/` with cargo on first use).
 *
 * The binary is built with cargo into the shared target directory
 * (`$CARGO_TARGET_DIR`, default `~/.cache/provenance/cargo-target`), so after the first build
 * `ensureLocalnetBinary()` is cargo's up-to-date check: a second or two.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, readdirSync, statSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export function cargoTargetDir(): string {
  return process.env.CARGO_TARGET_DIR || path.join(os.homedir(), ".cache", "provenance", "cargo-target");
}

export function localnetBinaryPath(): string {
  return path.join(cargoTargetDir(), "debug", "provenance-localnet");
}

function newestMtime(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(p).reduce((m, name) => Math.max(m, newestMtime(path.join(p, name))), st.mtimeMs);
}

/** True when the local chain's binary is built and newer than its sources (no cargo build needed). */
export function localnetBinaryIsFresh(): boolean {
  return binaryIsFresh(localnetBinaryPath());
}

/** The binary is newer than every source it is built from (the program's included). */
function binaryIsFresh(bin: string): boolean {
  if (!existsSync(bin)) return false;
  const sources = ["localnet", "programs/provenance/src", "programs/provenance/Cargo.toml", "Cargo.toml", "Cargo.lock"]
    .map((p) => path.join(ROOT, p))
    .filter((p) => existsSync(p));
  return statSync(bin).mtimeMs > Math.max(...sources.map(newestMtime));
}

/**
 * Builds the debug binary unless it is newer than all its sources; returns its path. The fast
 * path matters: cargo's own up-to-date check waits for the shared target directory's lock,
 * which another build (of anything) may hold for minutes. With `progress`, cargo reports as it
 * goes on stderr (its progress bar on a terminal, a line per crate elsewhere); without, only
 * errors.
 */
export function ensureLocalnetBinary(options: { progress?: boolean } = {}): string {
  if (binaryIsFresh(localnetBinaryPath())) return localnetBinaryPath();
  const quiet = options.progress ? [] : ["--quiet"];
  const run = spawnSync("nice", ["-n", "10", "cargo", "build", ...quiet, "-p", "provenance-localnet"], {
    cwd: ROOT,
    env: { ...process.env, CARGO_TARGET_DIR: cargoTargetDir() },
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (run.status !== 0) throw new Error(`cargo build -p provenance-localnet failed (exit ${run.status})`);
  const bin = localnetBinaryPath();
  if (!existsSync(bin)) throw new Error(`cargo built nothing at ${bin}`);
  return bin;
}

/** The machine-readable line the binary prints once it listens. */
export interface LocalnetReady {
  rpcUrl: string;
  wsUrl: string;
  programId: string;
  /** The funded wallet's keypair file (0600): the program's upgrade authority, so the admin that may `initialize` it. */
  wallet: string;
  walletPubkey: string;
  genesisHash: string;
  fresh: boolean;
  dataDir: string;
}

export interface Localnet extends LocalnetReady {
  process: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then wait for the exit; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/** Whether nothing listens on 127.0.0.1:`port`. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A port p with p and p + 1 both free (HTTP and websocket). */
export async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const addr = srv.address();
        const p = typeof addr === "object" && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port > 0 && port < 65535 && (await portFree(port + 1))) return port;
  }
  throw new Error("no free pair of ports");
}

export interface StartOptions {
  dataDir: string;
  port?: number;
  /** ms to wait for the ready line. */
  timeoutMs?: number;
  /** Also copy the process's own output (its banner and logs) to this stream. */
  echo?: NodeJS.WritableStream;
}

export async function startLocalnet(opts: StartOptions): Promise<Localnet> {
  const bin = ensureLocalnetBinary();
  const port = opts.port ?? (await freePortPair());
  const child = spawn(bin, ["--port", String(port), "--data-dir", opts.dataDir], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // The last 256 KiB of output (a long-running chain must not grow this without bound).
  let out = "";
  const keep = (text: string): void => {
    out += text;
    if (out.length > 1 << 18) out = out.slice(-(1 << 17));
  };
  child.stderr.on("data", (d: Buffer) => {
    keep(d.toString());
    opts.echo?.write(d);
  });
  const ready = await new Promise<LocalnetReady>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`localnet did not start within ${opts.timeoutMs ?? 60_000} ms:\n${out}`));
    }, opts.timeoutMs ?? 60_000);
    let pending = "";
    child.stdout.on("data", (d: Buffer) => {
      const text = d.toString();
      keep(text);
      opts.echo?.write(d);
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith("{")) {
          try {
            const msg = JSON.parse(line) as LocalnetReady & { event?: string };
            if (msg.event === "ready") {
              clearTimeout(timer);
              resolve(msg);
            }
          } catch {
            // not the ready line
          }
        }
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`localnet exited with ${code} before it was ready:\n${out}`));
    });
  });
  // The wallet is the program's upgrade authority, so the admin of a local chain: 0600 (the
  // binary creates it so; a chain directory from an older build is tightened here).
  if (existsSync(ready.wallet) && (statSync(ready.wallet).mode & 0o077) !== 0) chmodSync(ready.wallet, 0o600);
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
  return {
    ...ready,
    process: child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
