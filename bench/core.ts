/**
 * Benchmarks of the cryptographic core: circuit size (per configuration, per record, per
 * part), witness and prove time for batches of 4, 8 and 16 with peak memory, and
 * inclusion-proof verification. Every figure comes with a baseline measured in the same run.
 * Run alone with `npx tsx bench/core.ts [--full]`.
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import * as snarkjs from "snarkjs";
import { FixedMerkleTree, SparseMerkleTree, poseidon2, verifyInclusion } from "@provenance/client-sdk";
import { CIRCUITS_DIR, REPO_ROOT, circuitConfig, compileCircuit } from "@provenance/circuits";
import { ensureSetup } from "../tests/support/circuit-setup.js";

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

export async function benchProving(options: { full?: boolean } = {}): Promise<Row[]> {
  // B=16 needs its own setup (2^17, many minutes on first use): only with --full.
  const names = options.full ? ["test", "dev", "bench-b16"] : ["test", "dev"];
  const rows: Row[] = [];
  let base: { prove: number; rss: number } | undefined;
  for (const name of names) {
    const setup = await ensureSetup(name);
    const { stdout } = await run(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "bench", "prove-one.ts"), name, "2"], {
      cwd: REPO_ROOT,
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(stdout.trim().split("\n").pop()!) as { B: number; witnessMs: number[]; proveMs: number[]; maxRssKb: number };
    const prove = Math.min(...r.proveMs);
    const witness = Math.min(...r.witnessMs);
    base ??= { prove, rss: r.maxRssKb };
    const label = `B=${r.B} (R=${circuitConfig(name).registryLevels}, ${setup.header.nConstraints.toLocaleString("en-US")} constraints)`;
    rows.push({ group: "proving", name: `${label}: witness`, value: `${witness.toFixed(0)} ms`, baseline: "" });
    rows.push({
      group: "proving",
      name: `${label}: prove`,
      value: `${(prove / 1000).toFixed(2)} s (${((r.B * 1000) / prove).toFixed(2)} records/s)`,
      baseline: `${(prove / base.prove).toFixed(2)} × B=4`,
    });
    rows.push({
      group: "proving",
      name: `${label}: peak RSS`,
      value: `${(r.maxRssKb / 1024).toFixed(0)} MiB`,
      baseline: `${(r.maxRssKb / base.rss).toFixed(2)} × B=4`,
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
  const full = process.argv.includes("--full");
  const rows = [...benchInclusion(), ...(await benchConstraints()), ...(await benchProving({ full }))];
  console.log(formatTable(rows));
  const { terminateSnarkjsCurve } = await import("@provenance/trusted-setup");
  await terminateSnarkjsCurve();
}
