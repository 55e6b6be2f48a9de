/**
 * Deterministic, cached, INSECURE dev trusted setup of a circuit configuration.
 *
 *   npx tsx scripts/setup.ts --circuit test            # build or reuse, write circuits/keys/test.vk.json
 *   npx tsx scripts/setup.ts --circuit dev --check     # fail if circuits/keys/dev.vk.json differs
 *
 * Options:
 *   --circuit NAME     configuration (test, dev, prod); default: $PROVENANCE_CIRCUIT or test
 *   --check            do not write the checked-in key; exit 1 if it differs from the one produced
 *   --force            ignore the cache and rebuild the zkey (the cached ptau is still reused)
 *   --r1cs FILE        R1CS to set up (default: circuits/build/NAME/batch.r1cs)
 *   --keys-dir DIR     where checked-in verifying keys live (default: circuits/keys)
 *   --seed TEXT        public seed (default: the project's; a different seed gives other keys)
 *   --insecure-prod    allow a dev setup of the prod configuration (never deploy it); the key
 *                      stays in the cache (circuits/keys/prod.vk.json is left alone)
 *   --verbose          show snarkjs's own progress
 *   --info             only print the circuit's size and the ptau power it needs
 *
 * Keys go to <cache>/setup/NAME-<r1cs hash>/ (the cache: PROVENANCE_CACHE_DIR, else $PROVENANCE_DATA_DIR/cache
 * when that is set, else ${XDG_CACHE_HOME:-$HOME/.cache}/provenance; prover/src/data-dir.ts).
 * See docs/trusted-setup.md.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { checkedInVkPath, r1csPath } from "@provenance/prover/artifacts";
import { DEV_SEED, INSECURE_WARNING, readR1csHeader, requiredPower, runDevSetup, terminateSnarkjsCurve, writeTextAtomic } from "@provenance/trusted-setup";

const USAGE = "usage: npx tsx scripts/setup.ts --circuit <test|dev|prod> [--check] [--force] [--r1cs FILE] [--keys-dir DIR] [--seed TEXT] [--insecure-prod] [--verbose] [--info]";

function banner(): void {
  const line = "!".repeat(78);
  console.log(line);
  let cur = "";
  for (const word of INSECURE_WARNING.split(" ")) {
    if (cur && cur.length + 1 + word.length > 72) {
      console.log("!! " + cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) console.log("!! " + cur);
  console.log("!! For production, run a real phase-2 ceremony: docs/trusted-setup.md");
  console.log(line);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        circuit: { type: "string" },
        check: { type: "boolean", default: false },
        force: { type: "boolean", default: false },
        r1cs: { type: "string" },
        "keys-dir": { type: "string" },
        seed: { type: "string" },
        "insecure-prod": { type: "boolean", default: false },
        verbose: { type: "boolean", default: false },
        info: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (err) {
    console.error((err as Error).message);
    console.error(USAGE);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const name = values.circuit ?? process.env.PROVENANCE_CIRCUIT ?? "test";
  if (values.info) {
    const file = path.resolve(values.r1cs ?? r1csPath(name));
    const h = await readR1csHeader(file);
    console.log(`${name}: ${h.nConstraints} constraints, ${h.nPubInputs + h.nOutputs} public signals, needs a prepared ptau of power >= ${requiredPower(h)}`);
    return 0;
  }
  if (name === "prod" && !values["insecure-prod"]) {
    console.error(
      'refusing to make an INSECURE dev setup of the "prod" configuration: production keys come from a real ' +
        "phase-2 ceremony (npx tsx scripts/ceremony.ts --help, docs/trusted-setup.md). Pass --insecure-prod " +
        "to make throwaway prod-sized keys for local tests.",
    );
    return 2;
  }
  const r1csFile = path.resolve(values.r1cs ?? r1csPath(name));
  const vkTarget = values["keys-dir"] ? path.resolve(values["keys-dir"], `${name}.vk.json`) : checkedInVkPath(name);
  const attestation = vkTarget.replace(/\.vk\.json$/, ".ceremony.json");
  if (existsSync(attestation)) {
    console.error(
      `refusing: ${attestation} exists, so ${vkTarget} is a ceremony key (compiled into cluster builds). ` +
        "An INSECURE dev key must never replace it. Remove the attestation deliberately if you mean to.",
    );
    return 2;
  }

  banner();
  const snarkjsLogger = values.verbose
    ? { debug: (m: string) => console.log(`  snarkjs: ${m}`), info: (m: string) => console.log(`  snarkjs: ${m}`), warn: (m: string) => console.warn(`  snarkjs: ${m}`), error: (m: string) => console.error(`  snarkjs: ${m}`) }
    : { debug: () => {}, info: () => {}, warn: (m: string) => console.warn(`  snarkjs: ${m}`), error: (m: string) => console.error(`  snarkjs: ${m}`) };
  const result = await runDevSetup({
    name,
    r1csFile,
    seed: values.seed ?? DEV_SEED,
    force: values.force,
    log: (m) => console.log(`[setup] ${m}`),
    snarkjsLogger,
  });
  console.log(`[setup] proving key:    ${result.zkey}`);
  console.log(`[setup] verifying key:  ${result.vkFile}`);
  if (!result.reused) {
    const t = result.timings;
    console.log(`[setup] timings: ptau ${t.ptau.toFixed(1)} s, groth16 setup ${t.groth16Setup.toFixed(1)} s, beacon ${t.beacon.toFixed(1)} s, total ${t.total.toFixed(1)} s`);
  }

  if (values.check) {
    const current = await readFile(vkTarget, "utf8").catch(() => null);
    if (current === null) {
      console.error(`[setup] CHECK FAILED: ${vkTarget} does not exist (run without --check and commit it)`);
      return 1;
    }
    if (current !== result.vkText) {
      console.error(`[setup] CHECK FAILED: ${vkTarget} differs from the verifying key this setup produces (${result.vkFile}).`);
      console.error("[setup] Regenerate it with `npx tsx scripts/setup.ts --circuit " + name + "` and commit it, or find what changed (circuit, seed, tool versions).");
      return 1;
    }
    console.log(`[setup] check ok: ${vkTarget} matches`);
    return 0;
  }
  if (name === "prod" && !values["keys-dir"]) {
    // Throwaway prod-sized keys: never put an insecure prod key where the ceremony's belongs.
    console.log(`[setup] --insecure-prod: not writing ${vkTarget}; the key is only in ${result.vkFile}`);
  } else {
    await writeTextAtomic(vkTarget, result.vkText);
    console.log(`[setup] wrote ${vkTarget}`);
  }
  banner();
  return 0;
}

let code: number;
try {
  code = await main();
} catch (err) {
  const e = err as Error & { code?: string };
  console.error(`[setup] error${e.code ? ` (${e.code})` : ""}: ${e.message}`);
  code = 1;
} finally {
  await terminateSnarkjsCurve();
}
process.exit(code);
