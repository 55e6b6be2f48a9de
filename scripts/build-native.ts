/**
 * Builds the native addons (Rust + napi) with cargo and installs each beside its crate:
 *   - ingest   ingest-engine/native -> ingest-engine/native/provenance_eddsa.node
 *              (EdDSA-Poseidon verification, record checks, the Poseidon tree)
 *   - prover   prover/native        -> prover/native/provenance_prover.node
 *              (Groth16 proving and verification on arkworks)
 *
 * It is the root package's install step (`prepare`) and never fails the install: without cargo,
 * or if a build fails, it says so and the TypeScript fallbacks are used (the SDK's WebAssembly
 * verifier, snarkjs). With PROVENANCE_REQUIRE_NATIVE=1 (CI) it fails instead. Skip one with
 * PROVENANCE_EDDSA_NATIVE=0 / PROVENANCE_PROVER_NATIVE=0. Builds go to $CARGO_TARGET_DIR when
 * set (the shared cache, `~/.cache/provenance/cargo-target`, in CI), else to each crate's target/.
 *
 *   npx tsx scripts/build-native.ts [ingest] [prover]      (default: both)
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, renameSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const required = process.env["PROVENANCE_REQUIRE_NATIVE"] === "1";

interface Addon {
  name: string;
  label: string;
  crate: string;
  lib: string;
  target: string;
  skipVar: string;
  fallback: string;
}

const ADDONS: Addon[] = [
  {
    name: "ingest",
    label: "native EdDSA verifier",
    crate: join(ROOT, "ingest-engine", "native"),
    lib: "provenance_eddsa_native",
    target: "provenance_eddsa.node",
    skipVar: "PROVENANCE_EDDSA_NATIVE",
    fallback: "using the WebAssembly verifier",
  },
  {
    name: "prover",
    label: "native Groth16 prover",
    crate: join(ROOT, "prover", "native"),
    lib: "provenance_prover_native",
    target: "provenance_prover.node",
    skipVar: "PROVENANCE_PROVER_NATIVE",
    fallback: "proving with snarkjs",
  },
];

function say(line: string): void {
  process.stdout.write(line + "\n");
}

function libFile(lib: string): string {
  if (process.platform === "win32") return `${lib}.dll`;
  if (process.platform === "darwin") return `lib${lib}.dylib`;
  return `lib${lib}.so`;
}

/** Builds one addon; 0 on success or an accepted fallback, 1 when PROVENANCE_REQUIRE_NATIVE=1 makes it a failure. */
function build(a: Addon): number {
  const without = (reason: string): number => {
    console.warn(`${a.label}: ${reason}${required ? " (PROVENANCE_REQUIRE_NATIVE=1: failing)" : `; ${a.fallback}`}`);
    return required ? 1 : 0;
  };
  if (process.env[a.skipVar] === "0") {
    if (required) return without(`${a.skipVar}=0 contradicts PROVENANCE_REQUIRE_NATIVE=1`);
    say(`${a.label}: skipped (${a.skipVar}=0)`);
    return 0;
  }
  const probe = spawnSync("cargo", ["--version"], { encoding: "utf8" });
  if (probe.status !== 0) return without("cargo not found");
  say(`${a.label}: cargo build --release (a few minutes the first time)`);
  const run = spawnSync("cargo", ["build", "--release", "--locked"], { cwd: a.crate, stdio: "inherit" });
  if (run.status !== 0) return without("build failed");
  const targetDir = process.env["CARGO_TARGET_DIR"] ?? join(a.crate, "target");
  const built = join(isAbsolute(targetDir) ? targetDir : join(a.crate, targetDir), "release", libFile(a.lib));
  if (!existsSync(built)) return without(`${built} not found`);
  // Copy then rename, so a running process never loads a half-written file.
  const target = join(a.crate, a.target);
  copyFileSync(built, target + ".tmp");
  renameSync(target + ".tmp", target);
  say(`${a.label}: installed ${target}`);
  return 0;
}

const asked = process.argv.slice(2);
const unknown = asked.filter((n) => !ADDONS.some((a) => a.name === n));
if (unknown.length > 0) {
  console.error(`unknown addon ${unknown.join(", ")}: choose from ${ADDONS.map((a) => a.name).join(", ")}`);
  process.exit(2);
}
let code = 0;
for (const a of ADDONS) if (asked.length === 0 || asked.includes(a.name)) code = Math.max(code, build(a));
process.exit(code);
