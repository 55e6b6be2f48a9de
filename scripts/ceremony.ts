/**
 * Production trusted setup: a Groth16 phase-2 ceremony (see docs/trusted-setup.md).
 *
 *   npx tsx scripts/ceremony.ts init       --r1cs circuits/build/prod/batch.r1cs --ptau pot_final.ptau --out prod_0000.zkey
 *   npx tsx scripts/ceremony.ts contribute --in prod_0000.zkey --out prod_0001.zkey --name "Alice" [--entropy TEXT]
 *   npx tsx scripts/ceremony.ts beacon     --in prod_0003.zkey --out prod_final.zkey --beacon <hex> [--iterations 10] [--name "final beacon"]
 *   npx tsx scripts/ceremony.ts verify     --r1cs circuits/build/prod/batch.r1cs --ptau pot_final.ptau --zkey prod_final.zkey
 *   npx tsx scripts/ceremony.ts export     --zkey prod_final.zkey --out vk.json
 *   npx tsx scripts/ceremony.ts export     --zkey prod_final.zkey --circuit prod --r1cs ... --ptau ...   (verify + install)
 *
 * Entropy for `contribute`: --entropy, else $PROVENANCE_ENTROPY, else 64 bytes from the OS RNG
 * (snarkjs mixes 64 OS random bytes into it in every case).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { checkedInVkPath } from "@provenance/prover/artifacts";
import {
  ceremonyAttestation,
  ceremonyBeacon,
  ceremonyCheckInstallable,
  ceremonyContribute,
  ceremonyExportVk,
  ceremonyInit,
  ceremonyVerify,
} from "@provenance/trusted-setup";
import { terminateSnarkjsCurve, writeTextAtomic } from "@provenance/trusted-setup";

const USAGE = `usage: npx tsx scripts/ceremony.ts <verb> [options]
  init        --r1cs FILE --ptau FILE --out FILE          start phase 2 from a prepared ptau
  contribute  --in FILE --out FILE --name NAME [--entropy TEXT]
  beacon      --in FILE --out FILE --beacon HEX [--iterations N (10)] [--name NAME]
  verify      --r1cs FILE --ptau FILE --zkey FILE         check the whole transcript
  export      --zkey FILE --out FILE [--ptau FILE]        write the verifying key
  export      --zkey FILE --circuit NAME --r1cs FILE --ptau FILE [--keys-dir DIR]
              verify the transcript, then install circuits/keys/NAME.vk.json and the
              NAME.ceremony.json attestation (what lets cluster builds compile the key in)
              export refuses a zkey with no contribution other than beacons, and a ptau made
              by the insecure dev setup (or with no phase-1 contribution other than beacons)
  --verbose   show snarkjs's progress`;

function need(values: Record<string, unknown>, ...keys: string[]): void {
  const missing = keys.filter((k) => typeof values[k] !== "string" || values[k] === "");
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(", ")}`);
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      r1cs: { type: "string" },
      ptau: { type: "string" },
      zkey: { type: "string" },
      in: { type: "string" },
      out: { type: "string" },
      name: { type: "string" },
      entropy: { type: "string" },
      beacon: { type: "string" },
      iterations: { type: "string" },
      circuit: { type: "string" },
      "keys-dir": { type: "string" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const verb = positionals[0];
  if (values.help || !verb) {
    console.log(USAGE);
    return verb || values.help ? 0 : 2;
  }
  const log = values.verbose ? (m: string) => console.log(`  snarkjs: ${m}`) : undefined;
  switch (verb) {
    case "init": {
      need(values, "r1cs", "ptau", "out");
      console.log(`[ceremony] phase 2 init: ${values.r1cs} over ${values.ptau}`);
      await ceremonyInit({ r1cs: values.r1cs!, ptau: values.ptau!, out: values.out!, log });
      console.log(`[ceremony] wrote ${values.out} (no contributions yet: NOT usable until contributed to)`);
      return 0;
    }
    case "contribute": {
      need(values, "in", "out", "name");
      const entropy = values.entropy ?? process.env.PROVENANCE_ENTROPY;
      console.log(`[ceremony] contributing as "${values.name}" (${entropy ? "your entropy + " : ""}OS randomness)`);
      const hash = await ceremonyContribute({ input: values.in!, out: values.out!, name: values.name!, entropy, log });
      console.log(`[ceremony] wrote ${values.out}`);
      console.log(`[ceremony] contribution hash (publish it): ${hash}`);
      console.log("[ceremony] now delete anything that could hold your entropy (shell history, this terminal's scrollback).");
      return 0;
    }
    case "beacon": {
      need(values, "in", "out", "beacon");
      const iterationsExp = values.iterations ? Number(values.iterations) : 10;
      const hash = await ceremonyBeacon({
        input: values.in!,
        out: values.out!,
        name: values.name ?? "final beacon",
        beaconHex: values.beacon!,
        iterationsExp,
        log,
      });
      console.log(`[ceremony] wrote ${values.out}; beacon contribution hash: ${hash}`);
      return 0;
    }
    case "verify": {
      need(values, "r1cs", "ptau", "zkey");
      const res = await ceremonyVerify({ r1cs: values.r1cs!, ptau: values.ptau!, zkey: values.zkey!, log });
      for (const line of res.report) console.log(`  ${line}`);
      if (!res.ok) {
        console.error(
          res.refusal
            ? `[ceremony] VERIFICATION FAILED: ${res.refusal}`
            : `[ceremony] VERIFICATION FAILED: ${values.zkey} is not a valid phase-2 transcript of ${values.r1cs} over ${values.ptau}`,
        );
        return 1;
      }
      console.log(`[ceremony] transcript ok: ${values.zkey}`);
      if (res.refusal) console.log(`[ceremony] not installable yet: ${res.refusal}`);
      return 0;
    }
    case "export": {
      need(values, "zkey");
      if (!values.out && !values.circuit) throw new UsageError("export needs --out FILE or --circuit NAME");
      if (values.out) {
        const { text } = await ceremonyExportVk({ zkey: values.zkey!, ptau: values.ptau });
        await writeTextAtomic(path.resolve(values.out), text);
        console.log(`[ceremony] wrote verifying key ${path.resolve(values.out)}`);
        return 0;
      }
      // Installing a circuit's key: verify the whole transcript first, then write the key and
      // the attestation that lets scripts/gen-onchain.ts compile it into cluster builds.
      need(values, "r1cs", "ptau");
      const name = values.circuit!;
      const vkFile = values["keys-dir"] ? path.resolve(values["keys-dir"], `${name}.vk.json`) : checkedInVkPath(name);
      const attestation = vkFile.replace(/\.vk\.json$/, ".ceremony.json");
      // The cheap refusals first (no real contribution, insecure ptau): they throw INVALID_SETUP.
      await ceremonyCheckInstallable({ zkey: values.zkey!, ptau: values.ptau! });
      const res = await ceremonyVerify({ r1cs: values.r1cs!, ptau: values.ptau!, zkey: values.zkey!, log });
      for (const line of res.report) console.log(`  ${line}`);
      if (!res.ok || res.refusal) {
        console.error(`[ceremony] VERIFICATION FAILED: not installing ${values.zkey} as the key of "${name}"${res.refusal ? `: ${res.refusal}` : ""}`);
        return 1;
      }
      const { text } = await ceremonyExportVk({ zkey: values.zkey!, ptau: values.ptau!, description: `phase-2 ceremony for circuit "${name}"` });
      const record = await ceremonyAttestation({ circuit: name, r1cs: values.r1cs!, ptau: values.ptau!, zkey: values.zkey!, vkText: text, verification: res });
      await writeTextAtomic(vkFile, text);
      await writeTextAtomic(attestation, JSON.stringify(record, null, 2) + "\n");
      console.log(`[ceremony] wrote ${vkFile} and ${attestation}`);
      console.log("[ceremony] keep the final zkey for the prover (PROVENANCE_ZKEY=/path/to/final.zkey) and publish the transcript files.");
      return 0;
    }
    default:
      throw new UsageError(`unknown verb "${verb}"`);
  }
}

let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (err) {
  const e = err as Error & { code?: string };
  if (err instanceof UsageError || e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" || e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    console.error(`[ceremony] ${e.message}\n${USAGE}`);
    code = 2;
  } else {
    console.error(`[ceremony] error${e.code ? ` (${e.code})` : ""}: ${e.message}`);
    code = 1;
  }
} finally {
  await terminateSnarkjsCurve();
}
process.exit(code);
