/**
 * The deterministic, cached, INSECURE dev setup of a circuit:
 *
 *   R1CS --(smallest power that fits)--> dev ptau (trusted-setup/src/dev-ptau.ts, cached)
 *        --snarkjs zKey.newZKey--> zkey_0 --snarkjs zKey.beacon(public hash)--> batch.zkey
 *        --snarkjs zKey.exportVerificationKey--> verification_key.json
 *
 * Same R1CS, seed and tool versions give byte-identical files. Everything is written to a
 * temporary file and renamed into place; a manifest (written last) records what the files
 * were made from and their hashes, and cached files are reused only when the manifest matches
 * and the hashes check, so an interrupted or stale setup is never trusted.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import * as snarkjs from "snarkjs";
import type { SnarkjsLogger, VerificationKey } from "snarkjs";
import { DEV_BEACON_ITERATIONS_EXP, DEV_PTAU_FORMAT_VERSION, MAX_DEV_POWER, writeDevPtau } from "./dev-ptau.js";
import { ptauCacheDir, r1csHash16, setupDir } from "@provenance/prover/artifacts";
import { ProvenanceError } from "@provenance/client-sdk";

/** The public seed of the dev setup. Anyone who knows it can forge proofs: that is the point. */
export const DEV_SEED = "provenance-rollup/insecure-dev-setup/v1";
export const DEV_ZKEY_CONTRIBUTION_NAME = "INSECURE DEV SETUP: delta is public, anyone can forge proofs";
export const INSECURE_WARNING =
  "INSECURE DEV SETUP: tau, alpha, beta and delta are derived from a public seed; anyone can forge " +
  "proofs for keys made this way. Never use them on a real cluster.";

type Env = Record<string, string | undefined>;
export type Log = (msg: string) => void;

export interface R1csHeader {
  prime: bigint;
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nConstraints: number;
}

/** Reads the header section of an .r1cs file (without loading the constraints). */
export async function readR1csHeader(file: string): Promise<R1csHeader> {
  const fh = await open(file, "r").catch((err: NodeJS.ErrnoException) => {
    throw new ProvenanceError("INVALID_SETUP", `cannot open R1CS file ${file}: ${err.code ?? err.message}`);
  });
  try {
    const head = Buffer.alloc(12);
    await fh.read(head, 0, 12, 0);
    if (head.subarray(0, 4).toString("latin1") !== "r1cs") throw new ProvenanceError("INVALID_SETUP", `${file} is not an R1CS file`);
    const nSections = head.readUInt32LE(8);
    let pos = 12;
    for (let i = 0; i < nSections; i++) {
      const sh = Buffer.alloc(12);
      if ((await fh.read(sh, 0, 12, pos)).bytesRead !== 12) break;
      const type = sh.readUInt32LE(0);
      const size = Number(sh.readBigUInt64LE(4));
      if (type === 1) {
        const b = Buffer.alloc(Math.min(size, 256));
        await fh.read(b, 0, b.length, pos + 12);
        const n8 = b.readUInt32LE(0);
        let prime = 0n;
        for (let j = n8 - 1; j >= 0; j--) prime = (prime << 8n) | BigInt(b[4 + j]!);
        let o = 4 + n8;
        const nVars = b.readUInt32LE(o);
        const nOutputs = b.readUInt32LE(o + 4);
        const nPubInputs = b.readUInt32LE(o + 8);
        const nPrvInputs = b.readUInt32LE(o + 12);
        o += 16 + 8; // nLabels (u64)
        const nConstraints = b.readUInt32LE(o);
        return { prime, nVars, nOutputs, nPubInputs, nPrvInputs, nConstraints };
      }
      pos += 12 + size;
    }
    throw new ProvenanceError("INVALID_SETUP", `${file}: R1CS file has no header section`);
  } finally {
    await fh.close();
  }
}

const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/**
 * The smallest ptau power snarkjs's groth16 setup accepts for this circuit: the evaluation
 * domain must hold every constraint plus one per public input/output (and the constant).
 * Same formula as snarkjs zkey_new.js.
 */
export function requiredPower(h: R1csHeader): number {
  const n = h.nConstraints + h.nPubInputs + h.nOutputs;
  return Math.floor(Math.log2(n)) + 1;
}

function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

const require = createRequire(import.meta.url);
function packageVersion(pkg: string): string {
  // Not every package exports its package.json: locate its entry point and walk up.
  let dir = path.dirname(require.resolve(pkg));
  for (;;) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (json.name === pkg) return json.version ?? "?";
    }
    const up = path.dirname(dir);
    if (up === dir) return "?";
    dir = up;
  }
}

/** Tool versions a setup's bytes depend on (part of cache keys and manifests). */
export function toolVersions(): Record<string, string> {
  return { snarkjs: packageVersion("snarkjs"), ffjavascript: packageVersion("ffjavascript"), devPtau: DEV_PTAU_FORMAT_VERSION };
}

async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Removes temporary files (`*.tmp-<pid>-<time>`) left in `dir` by setups that were killed
 * (their process is gone). They were never renamed into place, so nothing trusted them.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = /\.tmp-(\d+)-\d+$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = pid === process.pid;
    if (!alive) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === "EPERM";
      }
    }
    if (!alive) {
      await rm(path.join(dir, name), { force: true });
      removed.push(name);
    }
  }
  return removed;
}

/**
 * Returns a cached dev ptau of `power` for `seed`, writing it if needed. The file name carries
 * a hash of the seed and tool versions; a `.sha256` sidecar, written after the file, must
 * match for the file to be reused.
 */
export async function ensureDevPtau(
  power: number,
  seed: string,
  opts: { env?: Env; log?: Log } = {},
): Promise<{ file: string; reused: boolean; seconds: number }> {
  const log = opts.log ?? ((): void => {});
  const dir = ptauCacheDir(opts.env);
  await mkdir(dir, { recursive: true });
  for (const name of await removeStaleTemporaries(dir)) log(`removed ${name} (left by an interrupted setup)`);
  const key = sha256Hex(new TextEncoder().encode(JSON.stringify({ seed, versions: toolVersions() }))).slice(0, 16);
  const file = path.join(dir, `insecure-dev-${String(power).padStart(2, "0")}-${key}.ptau`);
  const sidecar = `${file}.sha256`;
  const t0 = performance.now();
  if (existsSync(file) && existsSync(sidecar)) {
    const want = (await readFile(sidecar, "utf8")).trim();
    if (sha256Hex(await readFile(file)) === want) {
      log(`reusing dev ptau 2^${power}: ${file}`);
      return { file, reused: true, seconds: (performance.now() - t0) / 1000 };
    }
    log(`cached dev ptau ${file} does not match its checksum: rebuilding`);
  }
  await rm(sidecar, { force: true });
  log(`writing dev ptau 2^${power} (deterministic, INSECURE) to ${file}`);
  await writeDevPtau(file, { power, seed, log: (m) => log(`  ptau: ${m}`) });
  await writeAtomic(sidecar, sha256Hex(await readFile(file)) + "\n");
  return { file, reused: false, seconds: (performance.now() - t0) / 1000 };
}

/** The beacon hash of the dev phase-2 contribution (public, derived from the seed). */
export function devZkeyBeaconHex(seed: string): string {
  return createHash("sha256").update("provenance/insecure-dev-setup/zkey/v1").update(new Uint8Array([0])).update(seed, "utf8").digest("hex");
}

export interface SetupManifest {
  kind: "insecure-dev";
  name: string;
  r1csSha256: string;
  seed: string;
  power: number;
  versions: Record<string, string>;
  zkeySha256: string;
  vkSha256: string;
}

export interface DevSetupResult {
  dir: string;
  zkey: string;
  vkFile: string;
  vk: VerificationKey;
  /** The verifying key exactly as checked in (JSON text). */
  vkText: string;
  power: number;
  header: R1csHeader;
  reused: boolean;
  timings: { ptau: number; groth16Setup: number; beacon: number; total: number };
}

/** Marker added to dev verifying keys, so every consumer can tell them apart. */
export function devVkMarker(seed: string, r1csSha256: string, power: number): Record<string, unknown> {
  return { kind: "insecure-dev", warning: INSECURE_WARNING, seed, r1csSha256, ptauPower: power };
}

export function vkToText(vk: VerificationKey): string {
  return JSON.stringify(vk, null, 2) + "\n";
}

/**
 * Runs (or reuses) the dev setup of circuit `name` from the R1CS at `r1csFile`.
 */
export async function runDevSetup(opts: {
  name: string;
  r1csFile: string;
  seed?: string;
  env?: Env;
  log?: Log;
  snarkjsLogger?: SnarkjsLogger;
  force?: boolean;
}): Promise<DevSetupResult> {
  const log = opts.log ?? ((): void => {});
  const seed = opts.seed ?? DEV_SEED;
  const t0 = performance.now();
  const r1cs = await readFile(opts.r1csFile).catch((err: NodeJS.ErrnoException) => {
    throw new ProvenanceError(
      "INVALID_SETUP",
      `cannot read R1CS ${opts.r1csFile} (${err.code ?? err.message}); compile the circuit first (npx tsx scripts/compile-circuits.ts ${opts.name})`,
    );
  });
  const header = await readR1csHeader(opts.r1csFile);
  if (header.prime !== BN254_R) throw new ProvenanceError("INVALID_SETUP", `${opts.r1csFile}: circuit is not over the BN254 scalar field`);
  const power = requiredPower(header);
  if (power > MAX_DEV_POWER) throw new ProvenanceError("INVALID_SETUP", `circuit needs 2^${power} > 2^${MAX_DEV_POWER}: too big`);
  const r1csSha256 = sha256Hex(r1cs);
  const dir = setupDir(opts.name, r1cs, opts.env);
  if (r1csHash16(r1cs) !== r1csSha256.slice(0, 16)) throw new Error("internal: r1cs hash mismatch");
  const zkey = path.join(dir, "batch.zkey");
  const vkFile = path.join(dir, "verification_key.json");
  const manifestFile = path.join(dir, "manifest.json");
  const versions = toolVersions();
  log(`circuit "${opts.name}": ${header.nConstraints} constraints, ${header.nPubInputs + header.nOutputs} public signals -> ptau power 2^${power}`);

  if (!opts.force && existsSync(manifestFile) && existsSync(zkey) && existsSync(vkFile)) {
    const m = JSON.parse(await readFile(manifestFile, "utf8")) as SetupManifest;
    const same =
      m.kind === "insecure-dev" &&
      m.name === opts.name &&
      m.r1csSha256 === r1csSha256 &&
      m.seed === seed &&
      m.power === power &&
      JSON.stringify(m.versions) === JSON.stringify(versions);
    if (same) {
      const vkText = await readFile(vkFile, "utf8");
      if (sha256Hex(await readFile(zkey)) === m.zkeySha256 && sha256Hex(new TextEncoder().encode(vkText)) === m.vkSha256) {
        log(`reusing cached setup in ${dir}`);
        const total = (performance.now() - t0) / 1000;
        return {
          dir, zkey, vkFile, vk: JSON.parse(vkText) as VerificationKey, vkText, power, header, reused: true,
          timings: { ptau: 0, groth16Setup: 0, beacon: 0, total },
        };
      }
      log("cached setup files do not match their manifest: rebuilding");
    } else {
      log("cached setup was made from other inputs or tool versions: rebuilding");
    }
  }

  await mkdir(dir, { recursive: true });
  for (const name of await removeStaleTemporaries(dir)) log(`removed ${name} (left by an interrupted setup)`);
  await rm(manifestFile, { force: true });
  const ptau = await ensureDevPtau(power, seed, { env: opts.env, log });

  const stamp = `${process.pid}-${Date.now()}`;
  const zkey0 = path.join(dir, `.batch_0.zkey.tmp-${stamp}`);
  const zkeyTmp = `${zkey}.tmp-${stamp}`;
  try {
    log("groth16 setup (snarkjs zKey.newZKey)...");
    const t1 = performance.now();
    const cs = await snarkjs.zKey.newZKey(opts.r1csFile, ptau.file, zkey0, opts.snarkjsLogger);
    if (cs === -1) throw new ProvenanceError("INVALID_SETUP", `snarkjs groth16 setup failed for ${opts.r1csFile}`);
    const groth16Setup = (performance.now() - t1) / 1000;
    log(`groth16 setup done in ${groth16Setup.toFixed(1)} s; applying the deterministic phase-2 beacon...`);
    const t2 = performance.now();
    const res = await snarkjs.zKey.beacon(zkey0, zkeyTmp, DEV_ZKEY_CONTRIBUTION_NAME, devZkeyBeaconHex(seed), DEV_BEACON_ITERATIONS_EXP, opts.snarkjsLogger);
    if (!res) throw new ProvenanceError("INVALID_SETUP", "snarkjs zkey beacon failed");
    const beacon = (performance.now() - t2) / 1000;
    const vk = await snarkjs.zKey.exportVerificationKey(zkeyTmp);
    vk.provenance_setup = devVkMarker(seed, r1csSha256, power);
    const vkText = vkToText(vk);
    await rename(zkeyTmp, zkey);
    await writeAtomic(vkFile, vkText);
    const manifest: SetupManifest = {
      kind: "insecure-dev",
      name: opts.name,
      r1csSha256,
      seed,
      power,
      versions,
      zkeySha256: sha256Hex(await readFile(zkey)),
      vkSha256: sha256Hex(new TextEncoder().encode(vkText)),
    };
    await writeAtomic(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
    const total = (performance.now() - t0) / 1000;
    log(`setup written to ${dir} in ${total.toFixed(1)} s`);
    return { dir, zkey, vkFile, vk, vkText, power, header, reused: false, timings: { ptau: ptau.seconds, groth16Setup, beacon, total } };
  } finally {
    await rm(zkey0, { force: true });
    await rm(zkeyTmp, { force: true });
  }
}

/** Writes `text` to `file` atomically, creating the directory. */
export async function writeTextAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeAtomic(file, text);
}

/** Ends snarkjs's worker threads so the process can exit (snarkjs's own CLI calls process.exit). */
export async function terminateSnarkjsCurve(): Promise<void> {
  const g = globalThis as unknown as { curve_bn128?: { terminate(): Promise<void> } | null };
  if (g.curve_bn128) await g.curve_bn128.terminate();
}
