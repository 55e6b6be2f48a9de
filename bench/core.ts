/**
 * Benchmarks of the cryptographic core: circuit size (per configuration, per record, per
 * part) and inclusion-proof verification; proving is bench/prover.ts. Every figure comes with a
 * baseline measured in the same run. Run alone with `npx tsx bench/core.ts`.
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import * as snarkjs from "snarkjs";
import { FixedMerkleTree, SparseMerkleTree, poseidon2, verifyInclusion } from "@provenance/client-sdk";
import { CIRCUITS_DIR, REPO_ROOT, circuitConfig, compileCircuit } from "@provenance/circuits";

const run = promisify(execFile);

export interface Row {
  group: string;
  name: string;
  value: string;
  baseline: string;
}

async function constraintsOf(r1cs: string): Promise<number> {
  return (await snarkjs.r1cs.info(r1cs)).nConstraints;
}

/** Compiles one template as a main component and returns its constraint count. */
async function partConstraints(name: string, main: string): Promise<number> {
  const dir = path.join(CIRCUITS_DIR, "build", "bench-parts");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.circom`);
  writeFileSync(file, `pragma circom 2.1.5;\ninclude "../../src/batch.circom";\ncomponent main = ${main};\n`);
  const { stdout } = await run(
    process.execPath,
    [path.join(REPO_ROOT, "node_modules", "circom2", "cli.js"), path.relative(REPO_ROOT, file), "--r1cs", "--O2", "-l", "node_modules", "-o", path.relative(REPO_ROOT, dir)],
    { cwd: REPO_ROOT },
  );
  const m = /non-linear constraints: (\d+)/.exec(stdout.replace(/\x1b\[[0-9;]*m/g, "")); // eslint-disable-line no-control-regex
  if (!m) throw new Error(`no constraint count for ${name}`);
  return Number(m[1]);
}

export async function benchConstraints(): Promise<Row[]> {
  const rows: Row[] = [];
  const parts: Array<[string, string]> = [
    ["EdDSA-Poseidon verifier", "EdDSAPoseidonVerifier()"],
    ["record message Poseidon(6)", "Poseidon(6)"],
    ["Poseidon(2) (nodeId, leaf, tree node)", "Poseidon(2)"],
    ["registry path, per level", "MerklePathRoot(1)"],
    ["one record slot at R = 4", "RecordSlot(4)"],
    ["one record slot at R = 20 (prod)", "RecordSlot(20)"],
  ];
  const poseidon2Cost = await partConstraints("poseidon2", "Poseidon(2)");
  for (const [label, main] of parts) {
    const n = main === "Poseidon(2)" ? poseidon2Cost : await partConstraints(label.replace(/\W+/g, "_"), main);
    rows.push({ group: "constraints", name: label, value: n.toLocaleString("en-US"), baseline: `${(n / poseidon2Cost).toFixed(1)} × Poseidon(2)` });
  }
  for (const name of ["test", "dev"]) {
    const c = circuitConfig(name);
    const n = await constraintsOf((await compileCircuit(name)).r1cs);
    const B = 2 ** c.batchLevels;
    rows.push({
      group: "constraints",
      name: `circuit "${name}" (B=${B}, R=${c.registryLevels})`,
      value: n.toLocaleString("en-US"),
      baseline: `${Math.round(n / B).toLocaleString("en-US")} per record`,
    });
  }
  return rows;
}

function opsPerSecond(fn: () => void, seconds = 1): number {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    fn();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

export function benchInclusion(): Row[] {
  const hashes = opsPerSecond(() => poseidon2(123n, 456n));
  const batch = new FixedMerkleTree(6, Array.from({ length: 64 }, (_, i) => BigInt(i + 1)));
  const batchProof = batch.proof(37);
  const registry = new SparseMerkleTree(20);
  registry.set(777, 42n);
  const registryProof = registry.proof(777);
  const rows: Row[] = [{ group: "inclusion", name: "Poseidon(2) hashes", value: `${hashes.toFixed(0)}/s`, baseline: "baseline" }];
  for (const [label, proof, root] of [
    ["batch path (depth 6, prod)", batchProof, batch.root],
    ["registry path (depth 20, prod)", registryProof, registry.root],
  ] as const) {
    const perSecond = opsPerSecond(() => {
      if (!verifyInclusion(proof, root)) throw new Error("proof does not verify");
    });
    rows.push({ group: "inclusion", name: `verify ${label}`, value: `${perSecond.toFixed(0)}/s`, baseline: `${(perSecond / hashes).toFixed(3)} × hash rate` });
  }
  return rows;
}

export function formatTable(rows: Row[]): string {
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => [r.name, r.value, r.baseline][i]!.length), 8));
  const lines: string[] = [];
  let group = "";
  for (const r of rows) {
    if (r.group !== group) {
      group = r.group;
      lines.push("", `## ${group}`);
    }
    lines.push(`${r.name.padEnd(widths[0]!)}  ${r.value.padStart(widths[1]!)}  ${r.baseline}`);
  }
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = [...benchInclusion(), ...(await benchConstraints())];
  console.log(formatTable(rows));
  const { terminateSnarkjsCurve } = await import("@provenance/trusted-setup");
  await terminateSnarkjsCurve();
}
