/**
 * Builds the optional native addon (ingest-engine/native, Rust + napi) and installs it as
 * ingest-engine/native/provenance_eddsa.node. Meant for the root package's install step; it
 * never fails the install: without cargo, or if the build fails, it says so and the sequencer
 * keeps using the SDK's WebAssembly verifier. Skip with PROVENANCE_EDDSA_NATIVE=0. With
 * PROVENANCE_REQUIRE_NATIVE=1 (CI) a missing cargo or a failed build fails the install.
 *
 *   npx tsx ingest-engine/native/build.ts
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, renameSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";

const crate = dirname(fileURLToPath(import.meta.url));
const target = join(crate, "provenance_eddsa.node");

function say(line: string): void {
  process.stdout.write(line + "\n");
}

const required = process.env["PROVENANCE_REQUIRE_NATIVE"] === "1";

/** Says why there is no addon; a failure only when PROVENANCE_REQUIRE_NATIVE=1. */
function without(reason: string): number {
  console.warn(`native EdDSA verifier: ${reason}${required ? " (PROVENANCE_REQUIRE_NATIVE=1: failing)" : "; using the WebAssembly verifier"}`);
  return required ? 1 : 0;
}

function main(): number {
  if (process.env["PROVENANCE_EDDSA_NATIVE"] === "0") {
    if (required) return without("PROVENANCE_EDDSA_NATIVE=0 contradicts PROVENANCE_REQUIRE_NATIVE=1");
    say("native EdDSA verifier: skipped (PROVENANCE_EDDSA_NATIVE=0)");
    return 0;
  }
  const probe = spawnSync("cargo", ["--version"], { encoding: "utf8" });
  if (probe.status !== 0) {
    return without("cargo not found");
  }
  say("native EdDSA verifier: cargo build --release (a few minutes the first time)");
  const build = spawnSync("cargo", ["build", "--release", "--locked"], { cwd: crate, stdio: "inherit" });
  if (build.status !== 0) {
    return without("build failed");
  }
  const name =
    process.platform === "win32"
      ? "provenance_eddsa_native.dll"
      : process.platform === "darwin"
        ? "libprovenance_eddsa_native.dylib"
        : "libprovenance_eddsa_native.so";
  const targetDir = process.env["CARGO_TARGET_DIR"] ?? join(crate, "target");
  const built = join(isAbsolute(targetDir) ? targetDir : join(crate, targetDir), "release", name);
  if (!existsSync(built)) {
    return without(`${built} not found`);
  }
  // Copy then rename, so a running process never loads a half-written file.
  copyFileSync(built, target + ".tmp");
  renameSync(target + ".tmp", target);
  say(`native EdDSA verifier: installed ${target}`);
  return 0;
}

process.exit(main());
