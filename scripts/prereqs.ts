/**
 * What `npm start` needs on the machine, checked before its first long step, so a missing tool
 * is one clear message (what to install, how) instead of a failure half an hour in:
 *
 * - Node.js at the version `package.json` `engines` names;
 * - Rust's `cargo` and `rustc` (at least MIN_RUST), when the local chain must be built (its
 *   binary missing or older than its sources); a stack pointed at a chain of its own
 *   (`--rpc URL`, `PROVENANCE_RPC_URL`) or with anchoring off needs no Rust.
 *
 * Tools are looked up on the given PATH, then run (`--version`), so a broken install is caught too.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The oldest Rust that builds the local chain: the highest `rust-version` among the crates of
 * Cargo.lock (enum-ordinalize 4.4 needs 1.89).
 */
export const MIN_RUST = "1.89.0";

export const RUSTUP_HINT =
  "install Rust with rustup (https://rustup.rs: curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh), then open a new shell " +
  "(or run `. \"$HOME/.cargo/env\"`)";

/** `a` >= `b` for dotted versions (missing parts are 0). */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.split(".").map((x) => parseInt(x, 10) || 0);
  const pb = b.split(".").map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** The minimum Node.js version in package.json `engines.node` (">=20.19.0"). */
export function requiredNode(): string {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { engines?: { node?: string } };
  return /(\d+\.\d+\.\d+)/.exec(pkg.engines?.node ?? "")?.[1] ?? "20.19.0";
}

/** The executable `name` on `pathVar` (PATH), or null. */
export function findOnPath(name: string, pathVar: string | undefined): string | null {
  for (const dir of (pathVar ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

export interface PrereqOptions {
  env?: Record<string, string | undefined>;
  /** The running Node.js (default process.versions.node). */
  nodeVersion?: string;
  /** The local chain must be built with cargo. */
  needRust: boolean;
}

/** The version a tool prints for `--version` ("cargo 1.95.0 (…)"), or an error string. */
function toolVersion(file: string, env: Record<string, string | undefined>): { version: string } | { error: string } {
  const run = spawnSync(file, ["--version"], { env: env as NodeJS.ProcessEnv, encoding: "utf8", timeout: 60_000 });
  if (run.error) return { error: run.error.message };
  if (run.status !== 0) return { error: `exit ${run.status}: ${(run.stderr || run.stdout).trim().slice(0, 300)}` };
  const m = /(\d+\.\d+\.\d+)/.exec(run.stdout);
  return m ? { version: m[1]! } : { error: `unexpected output ${JSON.stringify(run.stdout.trim().slice(0, 100))}` };
}

/**
 * Every missing or too old prerequisite, each one message saying what to install; empty when
 * all is there.
 */
export function checkPrerequisites(opts: PrereqOptions): string[] {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  const node = opts.nodeVersion ?? process.versions.node;
  const wantNode = requiredNode();
  if (!versionAtLeast(node, wantNode)) {
    problems.push(`Node.js ${node} is too old: this project needs Node.js ${wantNode} or newer (package.json engines); install it from https://nodejs.org or with nvm (\`nvm install 22\`)`);
  }
  if (opts.needRust) {
    const why = "the first `npm start` builds the local chain (localnet/, Rust) with it";
    const alt = "; or run against a chain you already have with `npm start -- --rpc URL` (docs/operations.md)";
    for (const tool of ["cargo", "rustc"]) {
      const file = findOnPath(tool, env.PATH);
      if (!file) {
        problems.push(`${tool} (${tool === "cargo" ? "Rust's build tool" : "the Rust compiler"}) is not on PATH: ${why}. To fix: ${RUSTUP_HINT}${alt}`);
        continue;
      }
      const v = toolVersion(file, env);
      if ("error" in v) problems.push(`${file} --version failed (${v.error}): ${why}; repair the Rust install (\`rustup update stable\`)${alt}`);
      else if (!versionAtLeast(v.version, MIN_RUST)) problems.push(`${tool} ${v.version} (${file}) is too old: the local chain needs Rust ${MIN_RUST} or newer; run \`rustup update stable\`${alt}`);
    }
  }
  return problems;
}
