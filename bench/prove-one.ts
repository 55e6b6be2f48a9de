/**
 * Child process of the proving benchmarks: loads a configuration's witness WASM and proving key
 * once with one backend, proves `runs` batches, and prints timings, the key's load time and its
 * peak RSS as one JSON line, so each (configuration, backend) is measured in a fresh process.
 *   npx tsx bench/prove-one.ts <circuit> <runs> <native|snarkjs> [--proofs]
 * With --proofs the line also carries every proof and its public signals.
 */
import { readFileSync } from "node:fs";
import { circuitConfig } from "@provenance/circuits";
import { WitnessGenerator, buildCircuitInput, loadBackend, releaseCurve, wasmPath, zkeyPath, type ProverBackend } from "@provenance/prover";
import { registryOf, testBatch, testNode } from "../tests/support/fixtures.js";

const args = process.argv.slice(2);
const [name = "test", runsArg = "2", backendName = "snarkjs"] = args.filter((a) => !a.startsWith("--"));
const withProofs = args.includes("--proofs");
const config = circuitConfig(name);
const B = 2 ** config.batchLevels;
const nodes = [testNode("a"), testNode("b"), testNode("c")];
const registry = registryOf(config.registryLevels, nodes);
// The same full batch (records of three nodes) for every run and backend.
const input = buildCircuitInput(testBatch(config.batchLevels, registry, nodes, B), registry, config);
const inputs = Array.from({ length: Number(runsArg) }, () => input);
const t0 = performance.now();
const witnesses = await WitnessGenerator.load(readFileSync(wasmPath(name)));
const backend = await loadBackend(backendName as ProverBackend, zkeyPath(name));
const loadMs = performance.now() - t0;
const witnessMs: number[] = [];
const proveMs: number[] = [];
const proofs: unknown[] = [];
for (const input of inputs) {
  const { wtns, witnessMs: w } = await witnesses.calculate(input);
  const out = await backend.prove(wtns);
  witnessMs.push(w);
  proveMs.push(out.proveMs);
  if (withProofs) proofs.push({ proof: out.proof, publicSignals: out.publicSignals });
}
await releaseCurve();
console.log(JSON.stringify({ name, B, backend: backendName, loadMs, witnessMs, proveMs, maxRssKb: process.resourceUsage().maxRSS, ...(withProofs ? { proofs } : {}) }));
