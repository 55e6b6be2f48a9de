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
import { FixedMerkleTree, SparseMerkleTree, poseidon2, verifyInclusion } from "@provenance/client-sdk";
import { CIRCUITS_DIR, REPO_ROOT, circuitConfig, familyConfigs, type CircuitConfig } from "@provenance/circuits";

const run = promisify(execFile);

export interface Row {
  group: string;
  name: string;
  value: string;
  baseline: string;
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

/** Memoised: each part is compiled once per run, whichever configurations use it. */
const partCache = new Map<string, Promise<number>>();
function part(main: string): Promise<number> {
  let n = partCache.get(main);
  if (!n) {
    n = partConstraints(main.replace(/\W+/g, "_"), main);
    partCache.set(main, n);
  }
  return n;
}

/** What one configuration's circuit is made of, each part measured alone (`--O2`). */
export interface ConstraintSplit {
  config: CircuitConfig;
  total: number;
  /** Per region: the EdDSA verifier and the R8 on-curve check. */
  eddsa: number;
  /** Per region: the chunk tree, digest and v1/chunk choice (0 in the single shape). */
  chunkTree: number;
  /** Per region: the signer selection. */
  select: number;
  /** Per signer slot: nodeId, on-curve check of A, registry path. */
  signer: number;
  /** Per record slot: message, leaf, window. */
  record: number;
  /** The batch tree (B − 1 Poseidon(2)). */
  tree: number;
  /** B(B − 1)/2 pairs. */
  distinct: number;
  /** Statement hash, bounds, enabled bits: the rest. */
  rest: number;
}

export async function constraintSplit(name: string): Promise<ConstraintSplit> {
  const config = circuitConfig(name);
  const B = 2 ** config.batchLevels;
  const G = B / 2 ** config.chunkLevels;
  const K = config.signerSlots;
  // r1cs only (no witness generator): the count is all that is needed here.
  const total = await part(`Batch(${config.batchLevels}, ${config.registryLevels}, ${config.chunkLevels}, ${K})`);
  const eddsa = (await part("EdDSAPoseidonVerifier()")) + (await part("OnCurveIfEnabled()"));
  const region = await part(`RegionSignature(${config.chunkLevels})`);
  const chunkTree = region - eddsa;
  const select = await part(`SignerSelect(${K})`);
  const signer = await part(`SignerSlot(${config.registryLevels})`);
  const record = await part("RecordSlot()");
  const tree = await part(`TreeRoot(${config.batchLevels})`);
  const distinct = (B * (B - 1)) / 2;
  const rest = total - G * (region + select) - K * signer - B * record - tree - distinct;
  return { config, total, eddsa, chunkTree, select, signer, record, tree, distinct, rest };
}

/**
 * Constraints per record of one batch of `records` records in this circuit, by part. The
 * circuit's size is fixed; what varies is how many records a batch carries.
 */
export function perRecord(s: ConstraintSplit, records: number): Record<string, number> {
  const B = 2 ** s.config.batchLevels;
  const G = B / 2 ** s.config.chunkLevels;
  const K = s.config.signerSlots;
  return {
    "EdDSA + R8 check (per region)": (G * s.eddsa) / records,
    "registry path + key checks (per signer slot)": (K * s.signer) / records,
    "signer selection (per region)": (G * s.select) / records,
    "chunk tree + digest (per region)": (G * s.chunkTree) / records,
    "message + leaf + window (per record slot)": (B * s.record) / records,
    "batch tree": s.tree / records,
    distinctness: s.distinct / records,
    "statement, bounds, enabled bits": s.rest / records,
    total: s.total / records,
  };
}

/**
 * The realistic mix reported for every family: by record, 80 % in full 16-record chunks, 15 %
 * in partial chunks of 5, 5 % single-signed. Per 100 records that is 5 full chunks, 3 partial
 * chunks and 5 singles. Packing assumed (docs/circuit-v2.md "Packing"; the sequencer keeps the
 * shape that holds more records): chunks, full and partial, go to chunk-shape batches one per
 * region (where the family's chunk size C is below 16, nodes sign chunks of at most C records:
 * 16 records then make 16 / C chunks and 5 make ceil(5 / C));
 * singles go to single-shape batches, B per batch. Every batch is full. (c') below is the
 * worse packing: every group in chunk-shape batches, a single-signed record taking a region.
 */
export const MIX = { full: 0.8, partial: 0.15, single: 0.05, partialSize: 5 };

export function mixPerRecord(chunk: ConstraintSplit, single: ConstraintSplit): number {
  const B = 2 ** chunk.config.batchLevels;
  const C = 2 ** chunk.config.chunkLevels;
  const G = B / C;
  // Records per region: a full 16-record chunk fills 16 / C regions of C records (C <= 16); a
  // partial chunk of 5 takes ceil(5 / C) regions.
  const fullRegions = (MIX.full * 100) / 16 * Math.max(1, 16 / C);
  const partialRegions = ((MIX.partial * 100) / MIX.partialSize) * Math.ceil(MIX.partialSize / C);
  const chunkRecords = (MIX.full + MIX.partial) * 100;
  const recordsPerChunkBatch = (chunkRecords / (fullRegions + partialRegions)) * G;
  const perChunkRecord = chunk.total / Math.min(B, recordsPerChunkBatch);
  const perSingleRecord = single.total / B;
  return (MIX.full + MIX.partial) * perChunkRecord + MIX.single * perSingleRecord;
}

/** The same mix with every group, singles included, in chunk-shape batches (a single takes a whole region). */
export function mixAllChunkShape(chunk: ConstraintSplit): number {
  const B = 2 ** chunk.config.batchLevels;
  const C = 2 ** chunk.config.chunkLevels;
  const G = B / C;
  const regions = ((MIX.full * 100) / 16) * Math.max(1, 16 / C) + ((MIX.partial * 100) / MIX.partialSize) * Math.ceil(MIX.partialSize / C) + MIX.single * 100;
  return chunk.total / Math.min(B, (100 / regions) * G);
}

export async function benchConstraints(options: { families?: string[] } = {}): Promise<Row[]> {
  const rows: Row[] = [];
  const parts: Array<[string, string]> = [
    ["EdDSA-Poseidon verifier", "EdDSAPoseidonVerifier()"],
    ["on-curve check (A per signer, R8 per region)", "OnCurveIfEnabled()"],
    ["record message Poseidon(6)", "Poseidon(6)"],
    ["Poseidon(2) (nodeId, leaf, tree node)", "Poseidon(2)"],
    ["registry path, per level", "MerklePathRoot(1)"],
    ["record slot (message, leaf, window)", "RecordSlot()"],
    ["signer slot at R = 20 (prod)", "SignerSlot(20)"],
    ["chunk tree + digest, C = 16 (prod)", "RegionSignature(4)"],
  ];
  const poseidon2Cost = await part("Poseidon(2)");
  for (const [label, main] of parts) {
    let n = await part(main);
    if (main === "RegionSignature(4)") n -= (await part("EdDSAPoseidonVerifier()")) + (await part("OnCurveIfEnabled()"));
    rows.push({ group: "constraints", name: label, value: n.toLocaleString("en-US"), baseline: `${(n / poseidon2Cost).toFixed(1)} × Poseidon(2)` });
  }
  for (const family of options.families ?? ["test", "dev", "prod"]) {
    const [chunk, single] = await Promise.all(familyConfigs(family).map((c) => constraintSplit(c.name)));
    for (const s of [chunk!, single!]) {
      const c = s.config;
      const B = 2 ** c.batchLevels;
      rows.push({
        group: "constraints",
        name: `circuit "${c.name}" (B=${B}, R=${c.registryLevels}, C=${2 ** c.chunkLevels}, K=${c.signerSlots})`,
        value: s.total.toLocaleString("en-US"),
        baseline: `${Math.round(s.total / B).toLocaleString("en-US")} per record when full`,
      });
    }
    // (a) full chunks in the chunk shape, (b) single-signed records in the single shape.
    for (const [label, s] of [
      [`(a) "${chunk!.config.name}", full chunks`, chunk!],
      [`(b) "${single!.config.name}", single-signed`, single!],
    ] as const) {
      const split = perRecord(s, 2 ** s.config.batchLevels);
      for (const [partName, n] of Object.entries(split)) {
        rows.push({ group: `constraints per record, family ${family}`, name: `${label}: ${partName}`, value: Math.round(n).toLocaleString("en-US"), baseline: partName === "total" ? `${(n / poseidon2Cost).toFixed(1)} × Poseidon(2)` : "" });
      }
    }
    const mix = mixPerRecord(chunk!, single!);
    rows.push({
      group: `constraints per record, family ${family}`,
      name: `(c) mix: 80 % full 16-chunks, 15 % chunks of 5, 5 % single`,
      value: Math.round(mix).toLocaleString("en-US"),
      baseline: "chunks in chunk-shape batches, singles in single-shape batches",
    });
    rows.push({
      group: `constraints per record, family ${family}`,
      name: `(c') the same mix, every group in chunk-shape batches`,
      value: Math.round(mixAllChunkShape(chunk!)).toLocaleString("en-US"),
      baseline: "a single-signed record takes a whole region",
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
