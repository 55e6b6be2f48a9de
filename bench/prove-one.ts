/**
 * Child process of the proving benchmarks: loads a configuration's witness WASM and proving key
 * once with one backend, proves `runs` batches, and prints timings, the key's load time and its
 * peak RSS as one JSON line, so each (configuration, backend) is measured in a fresh process.
 *   npx tsx bench/prove-one.ts <circuit> <runs> <native|snarkjs> [--proofs]
 * With --proofs the line also carries every proof and its public signals.
 */
import { readFileSync } from "node:fs";
import { circuitConfig } from "@provenance/circuits";
import { buildShapedBatch, signChunk, validateChunk, type Batch } from "@provenance/client-sdk";
import { WitnessGenerator, buildCircuitInput, loadBackend, releaseCurve, shapeOfConfig, wasmPath, zkeyPath, type ProverBackend } from "@provenance/prover";
import { BASE_TS, contentHashOf, registryOf, testBatch, testNode } from "../tests/support/fixtures.js";

const args = process.argv.slice(2);
const [name = "test", runsArg = "2", backendName = "snarkjs"] = args.filter((a) => !a.startsWith("--"));
const withProofs = args.includes("--proofs");
const config = circuitConfig(name);
const B = 2 ** config.batchLevels;
const shape = shapeOfConfig(config);
const nodes = [testNode("a"), testNode("b"), testNode("c"), testNode("d")].slice(0, Math.min(3, shape.signerSlots));
const registry = registryOf(config.registryLevels, nodes);
/**
 * The same full batch for every run and backend: on a chunk shape every region a full chunk (of
 * the nodes in turn), on the single shape B records signed alone by up to three nodes.
 */
function fullBatch(): Batch {
  if (shape.chunkLevels === 0) return testBatch(config.batchLevels, registry, nodes, B);
  const C = 2 ** shape.chunkLevels;
  const groups = Array.from({ length: B / C }, (_, g) => {
    const node = nodes[g % nodes.length]!;
    const obs = Array.from({ length: C }, (_, k) => ({ url: `https://example.com/bench/${g}/${k}`, timestamp: BASE_TS + g * C + k, contentHash: contentHashOf(`bench ${g} ${k}`) }));
    return validateChunk(signChunk(obs, node.privateKey)).records;
  });
  return buildShapedBatch(groups, shape, registry.root);
}
const input = buildCircuitInput(fullBatch(), registry, config);
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
