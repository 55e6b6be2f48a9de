/**
 * Compiles circuit configurations with circom2.
 *   npx tsx scripts/compile-circuits.ts [--force] [NAME ...]   (default: both shapes of the test and dev families)
 */
import { compileCircuit, familyConfigs } from "@provenance/circuits";

const args = process.argv.slice(2);
const force = args.includes("--force");
const names = args.filter((a) => !a.startsWith("--"));
const defaults = ["test", "dev"].flatMap((family) => familyConfigs(family).map((c) => c.name));
for (const name of names.length > 0 ? names : defaults) {
  const compiled = await compileCircuit(name, { force, log: (l) => console.log(l) });
  console.log(`${name}: ${compiled.r1cs}`);
}
