/**
 * Where the stack keeps what it writes, from one place (docs/operations.md#data-directory).
 * Every path follows the same precedence:
 *
 *   its own setting (a flag or variable naming that path) > `$PROVENANCE_DATA_DIR/<sub>` > default
 *
 * The data directory itself is `PROVENANCE_DATA_DIR`, else `./.provenance` (relative to the
 * working directory). The cache (dev trusted-setup keys, dev powers of tau) is the one path
 * whose default is elsewhere (`$XDG_CACHE_HOME/provenance`, else `~/.cache/provenance`, shared
 * by every checkout): with `PROVENANCE_DATA_DIR` set it moves to `$PROVENANCE_DATA_DIR/cache`,
 * so one variable puts everything the stack writes in one folder. Build outputs are not data:
 * the compiled circuits stay in the checkout (`circuits/build`) and cargo's in
 * `$CARGO_TARGET_DIR`.
 */
import os from "node:os";
import path from "node:path";

type Env = Record<string, string | undefined>;

export const DATA_DIR_ENV = "PROVENANCE_DATA_DIR";
export const DEFAULT_DATA_DIR = "./.provenance";

const set = (v: string | undefined): v is string => v !== undefined && v.trim() !== "";

/** The data directory: `PROVENANCE_DATA_DIR`, else `./.provenance`, resolved against `cwd`. */
export function dataDir(env: Env = process.env, cwd: string = process.cwd()): string {
  return path.resolve(cwd, set(env[DATA_DIR_ENV]) ? env[DATA_DIR_ENV] : DEFAULT_DATA_DIR);
}

/**
 * The cache: `PROVENANCE_CACHE_DIR`, else `$PROVENANCE_DATA_DIR/cache` when that is set, else
 * `$XDG_CACHE_HOME/provenance`, else `~/.cache/provenance`.
 */
export function cacheDir(env: Env = process.env, cwd: string = process.cwd()): string {
  if (set(env.PROVENANCE_CACHE_DIR)) return path.resolve(cwd, env.PROVENANCE_CACHE_DIR);
  if (set(env[DATA_DIR_ENV])) return path.join(dataDir(env, cwd), "cache");
  const xdg = set(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(set(env.HOME) ? env.HOME : os.homedir(), ".cache");
  return path.resolve(cwd, xdg, "provenance");
}

/** Every path of the table in docs/operations.md#data-directory, resolved for `env`. */
export interface StackPaths {
  /** The data directory. */
  dataDir: string;
  /** The sequencer's LevelDB store. */
  store: string;
  /** The sequencer's chain state (submitted transactions it waits on). */
  chainState: string;
  /** The local chain's ledger (`npm start`, `provenance localnet`): `PROVENANCE_LOCALNET_DIR`. */
  localnet: string;
  /** The sequencer's Solana keypair: `PROVENANCE_SOLANA_KEYPAIR`. */
  solanaKeypair: string;
  /** The receipt signing key (made on first start). */
  receiptKey: string;
  /** The admin token file (unless `PROVENANCE_ADMIN_TOKEN` gives the token). */
  adminToken: string;
  /** Where `npm start` records the local chain's admin keypair for the CLI. */
  devAdmin: string;
  /** The cache (dev setup keys, ptau): `PROVENANCE_CACHE_DIR`. */
  cache: string;
}

export function stackPaths(env: Env = process.env, cwd: string = process.cwd()): StackPaths {
  const dir = dataDir(env, cwd);
  return {
    dataDir: dir,
    store: path.join(dir, "db"),
    chainState: path.join(dir, "chain"),
    localnet: set(env.PROVENANCE_LOCALNET_DIR) ? path.resolve(cwd, env.PROVENANCE_LOCALNET_DIR) : path.join(dir, "localnet"),
    solanaKeypair: set(env.PROVENANCE_SOLANA_KEYPAIR) ? path.resolve(cwd, env.PROVENANCE_SOLANA_KEYPAIR) : path.join(dir, "solana-keypair.json"),
    receiptKey: path.join(dir, "receipt-key.pem"),
    adminToken: path.join(dir, "admin-token"),
    devAdmin: path.join(dir, "dev-admin.json"),
    cache: cacheDir(env, cwd),
  };
}
