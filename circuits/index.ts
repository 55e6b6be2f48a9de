/**
 * Circuit configurations (declared once, in circuits.json) and compilation with the circom2
 * npm package (the circom compiler in WebAssembly). Compiled artifacts go to
 * circuits/build/<name>/ and are rebuilt only when the sources, the configuration or the
 * compiler change.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

export const CIRCUITS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.dirname(CIRCUITS_DIR);
const SOURCE_DIR = path.join(CIRCUITS_DIR, "src");
const BUILD_DIR = path.join(CIRCUITS_DIR, "build");

export interface CircuitConfig {
  name: string;
  /** Batch capacity is B = 2^batchLevels record slots. */
  batchLevels: number;
  /** Depth of the node registry tree. */
  registryLevels: number;
  /** Chunk size C = 2^chunkLevels (0..4): G = B / C regions, one signature each; 0 is the single shape. */
  chunkLevels: number;
  /** K: distinct signers per batch, one registry path each (1..B). */
  signerSlots: number;
  /** The deployment family (the program's `Circuit`) this shape belongs to; defaults to the name. */
  family: string;
  /** 0 = the family's chunk shape, 1 = its single shape (chunkLevels 0). */
  shape: CircuitShape;
  purpose: string;
}

export type CircuitShape = 0 | 1;
export const CHUNK_SHAPE: CircuitShape = 0;
export const SINGLE_SHAPE: CircuitShape = 1;

/** The circuit's chunk tree depth (the SDK's CHUNK_LEVELS): a chunk holds at most 16 records. */
const MAX_CHUNK_LEVELS = 4;

/** The circuit configurations the program knows (its `Circuit` enum, read from the SDK's IDL). */
export type { CircuitName } from "@provenance/client-sdk";

function integerIn(name: string, key: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`circuits.json: ${name}.${key} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validates the parsed contents of circuits.json (keys starting with "$" are comments). */
export function parseCircuitConfigs(raw: Record<string, unknown>): Record<string, CircuitConfig> {
  const out: Record<string, CircuitConfig> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name.startsWith("$")) continue;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new Error(`circuits.json: ${name} must be an object`);
    }
    const v = value as Record<string, unknown>;
    const batchLevels = integerIn(name, "batchLevels", v.batchLevels, 1, 32);
    const registryLevels = integerIn(name, "registryLevels", v.registryLevels, 1, 32);
    const chunkLevels = integerIn(name, "chunkLevels", v.chunkLevels, 0, MAX_CHUNK_LEVELS);
    if (chunkLevels > batchLevels) {
      throw new Error(`circuits.json: ${name}.chunkLevels (${chunkLevels}) must not exceed batchLevels (${batchLevels}): a region is at most the whole batch`);
    }
    const signerSlots = integerIn(name, "signerSlots", v.signerSlots, 1, 2 ** batchLevels);
    const family = v.family ?? name;
    if (typeof family !== "string" || family.length === 0) {
      throw new Error(`circuits.json: ${name}.family must be a non-empty string, got ${JSON.stringify(v.family)}`);
    }
    const shape = integerIn(name, "shape", v.shape ?? (chunkLevels === 0 ? SINGLE_SHAPE : CHUNK_SHAPE), 0, 1) as CircuitShape;
    if ((shape === SINGLE_SHAPE) !== (chunkLevels === 0)) {
      throw new Error(
        `circuits.json: ${name}.shape is ${shape} but chunkLevels is ${chunkLevels}: the single shape (1) has chunkLevels 0, the chunk shape (0) chunkLevels 1..${MAX_CHUNK_LEVELS}`,
      );
    }
    if (v.purpose !== undefined && typeof v.purpose !== "string") throw new Error(`circuits.json: ${name}.purpose must be a string`);
    out[name] = { name, batchLevels, registryLevels, chunkLevels, signerSlots, family, shape, purpose: (v.purpose as string | undefined) ?? "" };
  }
  const byFamily = new Map<string, CircuitConfig[]>();
  for (const c of Object.values(out)) byFamily.set(c.family, [...(byFamily.get(c.family) ?? []), c]);
  for (const [family, members] of byFamily) {
    const first = members[0]!;
    for (const c of members.slice(1)) {
      for (const key of ["batchLevels", "registryLevels"] as const) {
        if (c[key] !== first[key]) {
          throw new Error(`circuits.json: family "${family}": ${c.name}.${key} is ${c[key]} but ${first.name}.${key} is ${first[key]}; the shapes of a family share batchLevels and registryLevels`);
        }
      }
      const twin = members.find((o) => o !== c && o.shape === c.shape);
      if (twin) throw new Error(`circuits.json: family "${family}" has two configurations of shape ${c.shape}: ${twin.name} and ${c.name}`);
    }
  }
  return out;
}

export function loadCircuitConfigs(): Record<string, CircuitConfig> {
  return parseCircuitConfigs(JSON.parse(readFileSync(path.join(CIRCUITS_DIR, "circuits.json"), "utf8")) as Record<string, unknown>);
}

/** The shapes of a family, sorted by shape (chunk shape first when it exists). */
export function familyConfigs(family: string): CircuitConfig[] {
  const configs = Object.values(loadCircuitConfigs());
  const members = configs.filter((c) => c.family === family).sort((a, b) => a.shape - b.shape);
  if (members.length === 0) {
    throw new Error(`unknown circuit family "${family}"; known: ${[...new Set(configs.map((c) => c.family))].join(", ")}`);
  }
  return members;
}

export function circuitConfig(name: string): CircuitConfig {
  const configs = loadCircuitConfigs();
  const config = configs[name];
  if (!config) throw new Error(`unknown circuit configuration "${name}"; known: ${Object.keys(configs).join(", ")}`);
  return config;
}

export interface CompiledCircuit {
  config: CircuitConfig;
  dir: string;
  r1cs: string;
  wasm: string;
  sym: string;
  /** Hash of everything the compiled output depends on. */
  sourceHash: string;
}

function mainSource(config: CircuitConfig): string {
  return [
    "pragma circom 2.1.5;",
    "// generated by circuits/index.ts from circuits.json — do not edit",
    'include "../../src/batch.circom";',
    `component main {public [publicHash]} = Batch(${config.batchLevels}, ${config.registryLevels}, ${config.chunkLevels}, ${config.signerSlots});`,
    "",
  ].join("\n");
}

function sourceHash(config: CircuitConfig): string {
  const h = createHash("sha256");
  h.update(mainSource(config));
  for (const file of readdirSync(SOURCE_DIR).sort()) h.update(file).update(readFileSync(path.join(SOURCE_DIR, file)));
  h.update(readFileSync(require.resolve("circom2/package.json")));
  h.update(readFileSync(require.resolve("circomlib/package.json")));
  return h.digest("hex");
}

export function buildPaths(name: string): { dir: string; r1cs: string; wasm: string; sym: string } {
  const dir = path.join(BUILD_DIR, name);
  return {
    dir,
    r1cs: path.join(dir, "batch.r1cs"),
    wasm: path.join(dir, "batch_js", "batch.wasm"),
    sym: path.join(dir, "batch.sym"),
  };
}

/** Whether a configuration has an up-to-date build (compileCircuit would do nothing). */
export function circuitIsCompiled(name: string): boolean {
  const paths = buildPaths(name);
  const stampFile = path.join(paths.dir, "stamp.json");
  if (!existsSync(stampFile) || !existsSync(paths.r1cs) || !existsSync(paths.wasm)) return false;
  try {
    return (JSON.parse(readFileSync(stampFile, "utf8")) as { sourceHash?: string }).sourceHash === sourceHash(circuitConfig(name));
  } catch {
    return false;
  }
}

/** Compiles a configuration unless an up-to-date build exists. */
export async function compileCircuit(
  name: string,
  options: { force?: boolean; log?: (line: string) => void } = {},
): Promise<CompiledCircuit> {
  const config = circuitConfig(name);
  const paths = buildPaths(name);
  const hash = sourceHash(config);
  const stampFile = path.join(paths.dir, "stamp.json");
  if (!options.force && existsSync(stampFile) && existsSync(paths.r1cs) && existsSync(paths.wasm)) {
    const stamp = JSON.parse(readFileSync(stampFile, "utf8")) as { sourceHash?: string };
    if (stamp.sourceHash === hash) return { config, ...paths, sourceHash: hash };
  }
  // Compile into a fresh directory and move it into place, so a killed compile never leaves
  // a half-written build that looks current.
  const tmp = path.join(BUILD_DIR, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(path.join(tmp, "batch.circom"), mainSource(config));
  options.log?.(`compiling circuit "${name}" (B=${2 ** config.batchLevels}, R=${config.registryLevels}, C=${2 ** config.chunkLevels}, K=${config.signerSlots}) with circom2 --O2`);
  const rel = (p: string) => path.relative(REPO_ROOT, p);
  // circom2 (WASI) sees only the working directory and its parents: run it from the repo root,
  // which holds both the circuit and node_modules.
  const args = [
    require.resolve("circom2/cli.js"),
    rel(path.join(tmp, "batch.circom")),
    "--r1cs",
    "--wasm",
    "--sym",
    "--O2",
    "-l",
    "node_modules",
    "-o",
    rel(tmp),
  ];
  const output = await run(process.execPath, args, REPO_ROOT);
  writeFileSync(path.join(tmp, "compile.log"), output);
  writeFileSync(path.join(tmp, "stamp.json"), JSON.stringify({ sourceHash: hash, config }, null, 2) + "\n");
  rmSync(paths.dir, { recursive: true, force: true });
  renameSync(tmp, paths.dir);
  const constraints = /non-linear constraints: (\d+)/.exec(output)?.[1];
  options.log?.(`compiled "${name}": ${constraints ?? "?"} constraints`);
  return { config, ...paths, sourceHash: hash };
}

function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      // Strip the compiler's colour codes so logs and errors read cleanly.
      const clean = out.replace(/\x1b\[[0-9;]*m/g, ""); // eslint-disable-line no-control-regex
      if (code === 0 && !/error\[/i.test(clean)) resolve(clean);
      else reject(new Error(`circom2 failed (exit ${code}):\n${clean}`));
    });
  });
}
