/**
 * Compiles circuit configurations with circom2.
 *   npx tsx scripts/compile-circuits.ts [--force] [test|dev|prod ...]   (default: test dev)
 */
import { compileCircuit } from "@provenance/circuits";

const args = process.argv.slice(2);
const force = args.includes("--force");
const names = args.filter((a) => !a.startsWith("--"));
for (const name of names.length > 0 ? names : ["test", "dev"]) {
  const compiled = await compileCircuit(name, { force, log: (l) => console.log(l) });
  console.log(`${name}: ${compiled.r1cs}`);
}
