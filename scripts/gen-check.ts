/**
 * `npm run gen:check`: regenerates every generated artifact the repository checks in and fails
 * on any difference, so a change to a source (circuit, program, IDL, constants) cannot land
 * without its generated files:
 *   - the program's verifying keys, the IDL and its TypeScript type (scripts/gen-onchain.ts --check)
 *   - the native addon's Poseidon constants (ingest-engine/native/gen-poseidon-constants.ts --check)
 *   - the verifying keys the SDK ships, from circuits/keys (scripts/gen-sdk-keys.ts --check)
 *   - the HTTP API's OpenAPI document, docs/openapi.json, from the routes' schemas (sequencer/scripts/gen-openapi.ts --check)
 *   - each checked-in dev verifying key `circuits/keys/<name>.vk.json` not made by a ceremony:
 *     the circuit compiled and its deterministic dev setup run again (cached by R1CS hash, so
 *     only a changed circuit pays for a new setup), compared byte for byte (scripts/setup.ts --check)
 *
 *   npx tsx scripts/gen-check.ts
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const KEYS = path.join(ROOT, "circuits", "keys");

const devKeys = readdirSync(KEYS)
  .filter((f) => f.endsWith(".vk.json"))
  .map((f) => f.slice(0, -".vk.json".length))
  .filter((name) => !existsSync(path.join(KEYS, `${name}.ceremony.json`)))
  .sort();

const steps: { what: string; args: string[] }[] = [
  { what: "verifying keys in the program, IDL and its TypeScript type", args: ["scripts/gen-onchain.ts", "--check"] },
  { what: "the native addon's Poseidon constants", args: ["ingest-engine/native/gen-poseidon-constants.ts", "--check"] },
  { what: "the verifying keys the SDK ships (client-sdk/src/verifying-keys.ts)", args: ["scripts/gen-sdk-keys.ts", "--check"] },
  { what: "the HTTP API's OpenAPI document (docs/openapi.json)", args: ["sequencer/scripts/gen-openapi.ts", "--check"] },
  ...devKeys.flatMap((name) => [
    { what: `the ${name} circuit, compiled`, args: ["scripts/compile-circuits.ts", name] },
    { what: `circuits/keys/${name}.vk.json from its dev setup`, args: ["scripts/setup.ts", "--circuit", name, "--check"] },
  ]),
];

const failed: string[] = [];
for (const step of steps) {
  const started = Date.now();
  console.log(`gen:check: ${step.what}...`);
  const run = spawnSync(process.execPath, ["--import", "tsx", ...step.args], { cwd: ROOT, stdio: "inherit" });
  const took = ((Date.now() - started) / 1000).toFixed(1);
  if (run.status !== 0) {
    failed.push(step.what);
    console.error(`gen:check: FAILED (${took} s): ${step.what} — \`npx tsx ${step.args.join(" ")}\``);
  } else {
    console.log(`gen:check: ok (${took} s): ${step.what}`);
  }
}
if (failed.length > 0) {
  console.error(`gen:check: ${failed.length} generated artifact(s) out of date: ${failed.join("; ")}. Regenerate (npm run gen:onchain, the scripts above without --check) and commit.`);
  process.exit(1);
}
console.log(`gen:check: every generated artifact matches its sources (${steps.length} checks)`);
