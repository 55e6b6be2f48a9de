/**
 * Where the compiled circuit and its proving/verifying keys live.
 *
 * - Compiled circuit (scripts/compile-circuits.ts): `circuits/build/<name>/batch.r1cs` and
 *   `circuits/build/<name>/batch_js/batch.wasm`.
 * - Proving key and verifying key (scripts/setup.ts, or a ceremony): a cache directory outside
 *   the repository, keyed by the circuit's R1CS hash,
 *   `<cache>/setup/<name>-<sha256(r1cs)[0..16]>/`, the cache being `PROVENANCE_CACHE_DIR`, else
 *   `$PROVENANCE_DATA_DIR/cache` when that is set, else `${XDG_CACHE_HOME:-$HOME/.cache}/provenance`
 *   (data-dir.ts), holding `batch.zkey`, `verification_key.json` and `manifest.json`.
 * - Checked-in verifying key: `circuits/keys/<name>.vk.json`.
 *
 * `PROVENANCE_ZKEY` (a file path) overrides the proving key location, e.g. for a zkey from a
 * real ceremony kept elsewhere.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT, buildPaths } from "@provenance/circuits";
import { cacheDir } from "./data-dir.js";

export { REPO_ROOT };

type Env = Record<string, string | undefined>;

/** The project's cache root (not in the repository). */
export function cacheRoot(env: Env = process.env): string {
  return cacheDir(env);
}

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new Error(`invalid circuit name "${name}" (expected [a-z0-9_-], e.g. test, dev, prod)`);
}

/** Compiled R1CS of a configuration (circuits/index.ts compiles it). */
export function r1csPath(name: string): string {
  checkName(name);
  return buildPaths(name).r1cs;
}

/** Compiled witness generator of a configuration. */
export function wasmPath(name: string): string {
  checkName(name);
  return buildPaths(name).wasm;
}

/** Checked-in verifying key of a configuration. */
export function checkedInVkPath(name: string): string {
  checkName(name);
  return path.join(REPO_ROOT, "circuits", "keys", `${name}.vk.json`);
}

/** First 16 hex digits of the SHA-256 of an R1CS file's bytes. */
export function r1csHash16(r1cs: Uint8Array): string {
  return createHash("sha256").update(r1cs).digest("hex").slice(0, 16);
}

/** Setup directory for a configuration given its R1CS bytes (or, by default, its compiled R1CS). */
export function setupDir(name: string, r1cs?: Uint8Array, env: Env = process.env): string {
  checkName(name);
  const bytes = r1cs ?? readFileSync(r1csPath(name));
  return path.join(cacheRoot(env), "setup", `${name}-${r1csHash16(bytes)}`);
}

export function zkeyPath(name: string, env: Env = process.env): string {
  if (env.PROVENANCE_ZKEY) return path.resolve(env.PROVENANCE_ZKEY);
  return path.join(setupDir(name, undefined, env), "batch.zkey");
}

/** The verifying key written by the setup next to the zkey (same content as the checked-in one). */
export function cachedVkPath(name: string, env: Env = process.env): string {
  return path.join(setupDir(name, undefined, env), "verification_key.json");
}

/** Directory where dev powers-of-tau files are cached. */
export function ptauCacheDir(env: Env = process.env): string {
  return path.join(cacheRoot(env), "ptau");
}
