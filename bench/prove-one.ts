/**
 * Child process of the proving benchmark: proves `runs` batches of a configuration in this
 * process (snarkjs using every core) and prints timings and its peak RSS as one JSON line, so
 * each configuration's memory is measured in a fresh process.
 *   npx tsx bench/prove-one.ts <circuit> <runs>
 */
import { readFileSync } from "node:fs";
import { circuitConfig } from "@provenance/circuits";
import { buildCircuitInput, proveInput, releaseCurve, wasmPath, zkeyPath } from "@provenance/prover";
import { registryOf, testBatch, testNode } from "../tests/support/fixtures.js";

const [name = "test", runsArg = "2"] = process.argv.slice(2);
const config = circuitConfig(name);
const B = 2 ** config.batchLevels;
const nodes = [testNode("a"), testNode("b"), testNode("c")];
const registry = registryOf(config.registryLevels, nodes);
const batch = testBatch(config.batchLevels, registry, nodes, B);
const input = buildCircuitInput(batch, registry, config);
const wasm = readFileSync(wasmPath(name));
const zkey = readFileSync(zkeyPath(name));
const witnessMs: number[] = [];
const proveMs: number[] = [];
for (let i = 0; i < Number(runsArg); i++) {
  const out = await proveInput(input, wasm, zkey);
  witnessMs.push(out.witnessMs);
  proveMs.push(out.proveMs);
}
await releaseCurve();
console.log(JSON.stringify({ name, B, witnessMs, proveMs, maxRssKb: process.resourceUsage().maxRSS }));
