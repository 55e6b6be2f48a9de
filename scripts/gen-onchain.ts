/**
 * Regenerates everything the on-chain program shares with TypeScript:
 *   - programs/provenance/src/verifying_key.rs  from circuits/circuits.json + circuits/keys/<name>.vk.json
 *   - client-sdk/src/idl/provenance.json        the Anchor IDL (built with the `idl-build` feature,
 *   - client-sdk/src/idl/provenance.ts          no Solana toolchain needed) and its TS type
 *
 *   npx tsx scripts/gen-onchain.ts            write the files
 *   npx tsx scripts/gen-onchain.ts --check    regenerate in memory; exit 1 if any file differs
 *   npx tsx scripts/gen-onchain.ts --keys-only / --idl-only
 *   --keys-dir DIR                            read <name>.vk.json from DIR instead (experiments)
 *
 * Which keys a build may use (scripts/onchain-keys.ts): a circuit's key is compiled in
 * unconditionally only when `circuits/keys/<name>.ceremony.json` attests a ceremony and the
 * attestation checks (schema, sha256 of the vk file it attests = the vk compiled, the vk not
 * marked insecure); a present attestation that does not check fails the generation. Every
 * other key (the locally made, INSECURE test/dev setups) sits behind the cargo feature
 * `insecure-dev-keys`, which an SBF build refuses without the demo feature `devnet-demo`.
 * See docs/on-chain.md.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { verifyingKeyRust } from "./onchain-keys.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PROGRAM_DIR = path.join(ROOT, "programs", "provenance");
const VK_RS = path.join(PROGRAM_DIR, "src", "verifying_key.rs");
const IDL_DIR = path.join(ROOT, "client-sdk", "src", "idl");
const IDL_JSON = path.join(IDL_DIR, "provenance.json");
const IDL_TS = path.join(IDL_DIR, "provenance.ts");

const args = process.argv.slice(2);
const check = args.includes("--check");
const keysOnly = args.includes("--keys-only");
const idlOnly = args.includes("--idl-only");
const keysDirArg = args.indexOf("--keys-dir");
const keysDir = keysDirArg >= 0 ? path.resolve(args[keysDirArg + 1] ?? "") : path.join(ROOT, "circuits", "keys");

const outputs = new Map<string, string>();
if (!idlOnly) {
  try {
    outputs.set(VK_RS, verifyingKeyRust(keysDir));
  } catch (err) {
    console.error(`gen-onchain: ${(err as Error).message}`);
    process.exit(1);
  }
}
if (!keysOnly) {
  const idl = buildIdl();
  outputs.set(IDL_JSON, JSON.stringify(idl, null, 2) + "\n");
  outputs.set(IDL_TS, idlTypeScript(idl));
}

let stale = 0;
for (const [file, text] of outputs) {
  const rel = path.relative(ROOT, file);
  const current = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  if (current === text) {
    console.log(`${rel}: up to date`);
  } else if (check) {
    console.error(`${rel}: ${current === undefined ? "missing" : "differs from what the generator produces"}`);
    stale++;
  } else {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`${rel}: written`);
  }
}
if (stale > 0) {
  console.error(`${stale} generated file(s) are stale: run \`npm run gen:onchain\` and commit the result`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// IDL, built the way `anchor build` does (anchor-lang-idl 0.1.x `IdlBuilder`), without anchor-cli

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function buildIdl(): JsonObject {
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), ".cache", "provenance", "cargo-target");
  const run = spawnSync(
    "cargo",
    ["test", "--lib", "__anchor_private_print_idl", "--features", "idl-build", "--", "--show-output", "--quiet"],
    {
      cwd: PROGRAM_DIR,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        ...process.env,
        CARGO_TARGET_DIR: targetDir,
        ANCHOR_IDL_BUILD_NO_DOCS: "FALSE",
        ANCHOR_IDL_BUILD_RESOLUTION: "TRUE",
        ANCHOR_IDL_BUILD_SKIP_LINT: "FALSE",
        ANCHOR_IDL_BUILD_PROGRAM_PATH: PROGRAM_DIR,
      },
    },
  );
  if (run.status !== 0) throw new Error(`building the IDL failed (cargo exited with ${run.status})`);
  return assembleIdl(run.stdout);
}

/** Mirrors `anchor_lang_idl::build::build`: collects the printed pieces into one IDL. */
function assembleIdl(stdout: string): JsonObject {
  let address = "";
  const constants: Json[] = [];
  const events: Json[] = [];
  let errors: Json[] | undefined;
  const types = new Map<string, JsonObject>();
  let program: JsonObject | undefined;

  let state: "pass" | "address" | "const" | "event" | "errors" | "program" = "pass";
  let lines: string[] = [];
  for (const line of stdout.split("\n")) {
    if (state === "pass") {
      const begin = /^--- IDL begin (address|const|event|errors|program) ---$/.exec(line);
      if (begin) {
        state = begin[1] as typeof state;
        lines = [];
      }
      continue;
    }
    if (state === "address") {
      address = line.replace(/[^A-Za-z0-9]/g, "");
      state = "pass";
      continue;
    }
    if (line !== `--- IDL end ${state} ---`) {
      lines.push(line);
      continue;
    }
    const value = JSON.parse(lines.join("\n")) as JsonObject;
    if (state === "const") constants.push(value);
    if (state === "errors") errors = value as unknown as Json[];
    if (state === "program") program = value;
    if (state === "event") {
      events.push(value.event!);
      for (const ty of value.types as JsonObject[]) types.set(ty.name as string, ty);
    }
    state = "pass";
  }
  if (!program) throw new Error("the IDL build printed no program");

  for (const ty of (program.types as JsonObject[] | undefined) ?? []) types.set(ty.name as string, ty);
  // Same field order and omissions as anchor-lang-idl's `Idl` (serde skips empty vectors).
  const idl: JsonObject = { address, metadata: program.metadata! };
  if (Array.isArray(program.docs) && program.docs.length > 0) idl.docs = program.docs;
  idl.instructions = program.instructions as Json[];
  const sections: [string, Json[]][] = [
    ["accounts", (program.accounts as Json[] | undefined) ?? []],
    ["events", events],
    ["errors", errors ?? []],
    ["types", [...types.values()]],
    ["constants", constants],
  ];
  for (const [key, value] of sections) if (value.length > 0) idl[key] = value;
  // anchor: `build(..).map(convert_module_paths).map(sort)` — names are shortened first.
  const converted = convertModulePaths(idl);
  const byName = (a: Json, b: Json) => cmp((a as JsonObject).name as string, (b as JsonObject).name as string);
  for (const key of ["instructions", "accounts", "events", "types", "constants"]) {
    const list = converted[key];
    if (Array.isArray(list)) list.sort(byName);
  }
  return converted;
}

/** Rust's `str::cmp` (byte order), which `sort_by(name.cmp)` uses. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `"a::b::Name"` -> `"Name"` wherever that is unambiguous (anchor's `convert_module_paths`). */
function convertModulePaths(idl: JsonObject): JsonObject {
  let text = JSON.stringify(idl);
  for (const match of JSON.stringify(idl).matchAll(/"(\w+::)+(\w+)"/g)) {
    const replaced = text.split(match[0]).join(`"${match[2]}"`);
    if (!new RegExp(`"(\\w+::)+${match[2]}"`).test(replaced)) text = replaced;
  }
  return JSON.parse(text) as JsonObject;
}

/** anchor-cli's `idl_ts`: the IDL with every identifier value in lowerCamelCase, as a TS type. */
function idlTypeScript(idl: JsonObject): string {
  const name = (idl.metadata as JsonObject).name as string;
  let text = JSON.stringify(idl);
  for (const match of JSON.stringify(idl).matchAll(/"\w+":"(\w+)"/g)) {
    const value = match[1]!;
    if (isPubkey(value)) continue;
    text = text.split(`"${value}"`).join(`"${lowerCamelCase(value)}"`);
  }
  const pretty = JSON.stringify(JSON.parse(text), null, 2);
  return `/**
 * Program IDL in camelCase format in order to be used in JS/TS.
 *
 * Note that this is only a type helper and is not the actual IDL. The original
 * IDL can be found at \`target/idl/${name}.json\`.
 *
 * generated — do not edit. Regenerate with \`npm run gen:onchain\`.
 */
export type ${upperCamelCase(name)} = ${pretty};
`;
}

/** heck's word split: underscores, and lower->upper or UPPER->Upperlower boundaries. */
function words(s: string): string[] {
  return s
    .split("_")
    .flatMap((part) => part.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z])([A-Z][a-z])/g, "$1 $2").split(" "))
    .filter((w) => w.length > 0);
}

function lowerCamelCase(s: string): string {
  return words(s)
    .map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()))
    .join("");
}

function upperCamelCase(s: string): string {
  return words(s)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join("");
}

/** `Pubkey::from_str`: base58 that decodes to exactly 32 bytes. */
function isPubkey(s: string): boolean {
  const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  if (s.length > 44 || s.length < 32) return false;
  let n = 0n;
  for (const c of s) {
    const d = alphabet.indexOf(c);
    if (d < 0) return false;
    n = n * 58n + BigInt(d);
  }
  let bytes = 0;
  while (n > 0n) {
    n >>= 8n;
    bytes++;
  }
  const leadingZeros = s.length - s.replace(/^1+/, "").length;
  return bytes + leadingZeros === 32;
}
