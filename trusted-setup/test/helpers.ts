/**
 * Test helpers for the trusted-setup suites: tiny circom circuits compiled with circom2 in a
 * temporary directory (no circomlib needed).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);

/**
 * `Chain(n)`: n multiplication constraints; public input `x`, private `k`, public output
 * `y = f(x, k)` with acc[i+1] = acc[i]·k + i.
 */
export function chainSource(n: number, variant = 0): string {
  return [
    "pragma circom 2.0.0;",
    "template Chain(n) {",
    "    signal input x;",
    "    signal input k;",
    "    signal output y;",
    "    signal acc[n+1];",
    "    acc[0] <== x;",
    "    for (var i = 0; i < n; i++) {",
    `        acc[i+1] <== acc[i] * k + i + ${variant};`,
    "    }",
    "    y <== acc[n];",
    "}",
    `component main {public [x]} = Chain(${n});`,
    "",
  ].join("\n");
}

/** The expected output of Chain(n) (BN254 scalar field). */
export function chainOutput(n: number, x: bigint, k: bigint, variant = 0): bigint {
  const r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
  let acc = x % r;
  for (let i = 0; i < n; i++) acc = (acc * k + BigInt(i + variant)) % r;
  return acc;
}

export interface CompiledTestCircuit {
  dir: string;
  r1cs: string;
  wasm: string;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `provenance-${prefix}-`));
}

/** Compiles `Chain(n)` with circom2 (run from the circuit's folder: WASI sees only the cwd). */
export async function compileChain(n: number, variant = 0, parent?: string): Promise<CompiledTestCircuit> {
  const dir = parent ? path.join(parent, `chain-${n}-${variant}`) : await tempDir(`chain-${n}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "chain.circom"), chainSource(n, variant));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve("circom2/cli.js"), "chain.circom", "--r1cs", "--wasm", "-o", "."], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`circom2 failed (${code}): ${out}`))));
  });
  return { dir, r1cs: path.join(dir, "chain.r1cs"), wasm: path.join(dir, "chain_js", "chain.wasm") };
}

/** Sections of a snarkjs binary file (.ptau, .zkey, .r1cs): id -> bodies. */
export function readBinSections(data: Uint8Array, magic: string): Map<number, Uint8Array[]> {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const m = new TextDecoder().decode(data.subarray(0, 4));
  if (m !== magic) throw new Error(`not a ${magic} file (magic ${m})`);
  const nSections = dv.getUint32(8, true);
  const out = new Map<number, Uint8Array[]>();
  let pos = 12;
  for (let i = 0; i < nSections; i++) {
    const id = dv.getUint32(pos, true);
    const size = Number(dv.getBigUint64(pos + 4, true));
    const body = data.subarray(pos + 12, pos + 12 + size);
    out.set(id, [...(out.get(id) ?? []), body]);
    pos += 12 + size;
  }
  if (pos !== data.byteLength) throw new Error(`trailing bytes after the last section (${pos} != ${data.byteLength})`);
  return out;
}

const REPO = path.resolve(import.meta.dirname, "..", "..");

/** Runs `scripts/<script>` (tsx) from the repository root; resolves to its exit code and interleaved output. */
export function runScript(script: string, args: string[], env: Record<string, string | undefined> = process.env): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", script), ...args], {
      cwd: REPO,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, out }));
  });
}

