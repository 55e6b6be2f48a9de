/**
 * Reading the contribution records of snarkjs setup files, to decide whether a ceremony's
 * result can be sound at all (docs/trusted-setup.md, "What `export` refuses"):
 *
 *  - a .zkey's section 10 (snarkjs `readMPCParams`): the phase-2 contributions to delta, each
 *    of type 0 (a contribution with private randomness) or 1 (a public random beacon);
 *  - a .ptau's section 7 (snarkjs `readContributions`): the phase-1 contributions to tau,
 *    alpha, beta, with the same two types.
 *
 * snarkjs 0.7.6 exposes neither reader (its package exports only the top-level API, and
 * `zKey.verifyFromR1cs` only logs the list), so both layouts are parsed here, checked against
 * snarkjs's writers (`zkey_utils.js writeContribution`, `powersoftau_utils.js writeContribution`).
 * A record's name and beacon parameters are not covered by any hash, and a contribution of type
 * 0 may still have been made with known randomness: these checks catch mistakes (installing an
 * uncontributed or beacon-only key, building on the dev ptau), not a coordinator who forges
 * records; that is what re-running `ceremony verify` on the published transcript is for.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { blake2b } from "@noble/hashes/blake2b";
import * as snarkjs from "snarkjs";
import type { Bn128Curve } from "ffjavascript";
import { ptauCacheDir } from "@provenance/prover/artifacts";
import { ProvenanceError } from "@provenance/client-sdk";
import { DEV_PTAU_CONTRIBUTION_NAME, devPtauBeaconHash } from "./dev-ptau.js";
import { DEV_SEED, DEV_ZKEY_CONTRIBUTION_NAME } from "./dev-setup.js";

type Env = Record<string, string | undefined>;

/** Both dev contribution names start with this (the ptau's and the zkey's). */
export const INSECURE_DEV_NAME_PREFIX = "INSECURE DEV SETUP";

export interface SetupContribution {
  /** 1-based position in the file's list. */
  index: number;
  /** 0: private randomness; 1: public random beacon (snarkjs's only two types). */
  type: number;
  name?: string;
  /** hex, beacons only */
  beaconHash?: string;
  numIterationsExp?: number;
  /** zkey only: the contribution hash `snarkjs zkey verify` prints and `contribute` returns (hex). */
  hash?: string;
}

function fail(message: string): never {
  throw new ProvenanceError("INVALID_SETUP", message);
}

/** Offset and size of section `id` of a snarkjs binary file (magic checked). */
async function findSection(file: string, magic: string, id: number): Promise<{ pos: number; size: number } | undefined> {
  const fh = await open(file, "r");
  try {
    const fileSize = (await fh.stat()).size;
    const head = Buffer.alloc(12);
    if ((await fh.read(head, 0, 12, 0)).bytesRead < 12 || head.subarray(0, 4).toString("latin1") !== magic) {
      fail(`${file} is not a .${magic} file`);
    }
    const n = head.readUInt32LE(8);
    let pos = 12;
    let found: { pos: number; size: number } | undefined;
    for (let i = 0; i < n; i++) {
      const sh = Buffer.alloc(12);
      if ((await fh.read(sh, 0, 12, pos)).bytesRead !== 12) fail(`${file} is truncated`);
      const size = Number(sh.readBigUInt64LE(4));
      if (pos + 12 + size > fileSize) fail(`${file} is truncated`);
      if (sh.readUInt32LE(0) === id) {
        if (found) fail(`${file} has more than one section ${id}`);
        found = { pos: pos + 12, size };
      }
      pos += 12 + size;
    }
    return found;
  } finally {
    await fh.close();
  }
}

async function readSection(file: string, magic: string, id: number, what: string): Promise<Buffer> {
  const s = await findSection(file, magic, id);
  if (!s) fail(`${file} has no ${what} section (section ${id})`);
  const fh = await open(file, "r");
  try {
    const b = Buffer.alloc(s.size);
    await fh.read(b, 0, s.size, s.pos);
    return b;
  } finally {
    await fh.close();
  }
}

/** The name / beacon parameter list of a contribution record (same encoding in both files). */
function readParams(b: Buffer, at: number, file: string, c: SetupContribution): number {
  const len = b.readUInt32LE(at);
  let p = at + 4;
  const end = p + len;
  if (end > b.length) fail(`${file}: contribution #${c.index} is truncated`);
  let last = 0;
  while (p < end) {
    const t = b[p++]!;
    if (t <= last) fail(`${file}: contribution #${c.index} has unsorted parameters`);
    last = t;
    if (t === 1) {
      const l = b[p++]!;
      c.name = b.subarray(p, p + l).toString("utf8");
      p += l;
    } else if (t === 2) {
      c.numIterationsExp = b[p++]!;
    } else if (t === 3) {
      const l = b[p++]!;
      c.beaconHash = b.subarray(p, p + l).toString("hex");
      p += l;
    } else fail(`${file}: contribution #${c.index} has an unknown parameter ${t}`);
  }
  if (p !== end) fail(`${file}: contribution #${c.index} parameters do not match their length`);
  return end;
}

const G1 = 64; // affine, little-endian Montgomery (LEM)
const G2 = 128;

/** Phase-2 contributions of a .zkey (section 10), with their snarkjs contribution hashes. */
export async function readZkeyContributions(file: string): Promise<SetupContribution[]> {
  const b = await readSection(file, "zkey", 10, "phase-2 contributions (MPC parameters)");
  const curve = (await snarkjs.curves.getCurveFromName("bn128")) as Bn128Curve;
  let p = 64; // circuit hash
  const n = b.readUInt32LE(p);
  p += 4;
  const out: SetupContribution[] = [];
  for (let i = 0; i < n; i++) {
    const c: SetupContribution = { index: i + 1, type: -1 };
    const fixed = 3 * G1 + G2 + 64 + 4;
    if (p + fixed + 4 > b.length) fail(`${file}: contribution #${c.index} is truncated`);
    // contribution hash = blake2b-512(deltaAfter, g1_s, g1_sx uncompressed; g2_spx; transcript)
    const h = blake2b.create({ dkLen: 64 });
    for (const [size, g] of [[G1, curve.G1], [G1, curve.G1], [G1, curve.G1], [G2, curve.G2]] as const) {
      const point = g.fromRprLEM(b.subarray(p, p + size), 0);
      const u = new Uint8Array(size);
      g.toRprUncompressed(u, 0, point);
      h.update(u);
      p += size;
    }
    h.update(b.subarray(p, p + 64)); // transcript
    p += 64;
    c.hash = Buffer.from(h.digest()).toString("hex");
    c.type = b.readUInt32LE(p);
    p += 4;
    p = readParams(b, p, file, c);
    out.push(c);
  }
  if (p !== b.length) fail(`${file}: the phase-2 contributions section has trailing bytes`);
  return out;
}

/** Phase-1 contributions of a .ptau (section 7). */
export async function readPtauContributions(file: string): Promise<SetupContribution[]> {
  const b = await readSection(file, "ptau", 7, "contributions");
  const fixed = G1 + G2 + G1 + G1 + G2 + (6 * G1 + 3 * G2) + 216 + 64 + 4; // points, public key, partial hash, next challenge, type
  const n = b.readUInt32LE(0);
  let p = 4;
  const out: SetupContribution[] = [];
  for (let i = 0; i < n; i++) {
    const c: SetupContribution = { index: i + 1, type: -1 };
    if (p + fixed + 4 > b.length) fail(`${file}: contribution #${c.index} is truncated`);
    p += fixed - 4;
    c.type = b.readUInt32LE(p);
    p += 4;
    p = readParams(b, p, file, c);
    out.push(c);
  }
  if (p !== b.length) fail(`${file}: the contributions section has trailing bytes`);
  return out;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

const describe = (c: SetupContribution): string => `#${c.index}${c.name ? ` "${c.name}"` : ""}`;

/**
 * Why `ptau` must not be used for a real key, or undefined. In this order (each check has its
 * own message, and the tests check each one):
 *  1. its SHA-256 equals a dev ptau in the local cache (`$CACHE/ptau/insecure-dev-*.ptau`,
 *     by the `.sha256` sidecar the dev setup writes next to each);
 *  2. a contribution is named like the dev setup's (`INSECURE DEV SETUP...`);
 *  3. a beacon contribution uses the dev setup's public beacon (`devPtauBeaconHash(DEV_SEED)`),
 *     whatever its name;
 *  4. no contribution is of type 0: every one is a public beacon, so tau, alpha and beta can be
 *     recomputed by anyone (this is also true of every dev ptau, of any seed).
 */
export async function insecurePtauReason(ptau: string, opts: { env?: Env } = {}): Promise<string | undefined> {
  const size = (await stat(ptau)).size;
  const dir = ptauCacheDir(opts.env);
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => /^insecure-dev-.*\.ptau$/.test(n));
  } catch {
    // no cache: nothing to compare with
  }
  let hash: string | undefined;
  for (const name of names) {
    const cached = path.join(dir, name);
    const st = await stat(cached).catch(() => undefined);
    if (!st || st.size !== size) continue;
    const sidecar = await readFile(`${cached}.sha256`, "utf8").catch(() => undefined);
    hash ??= await sha256File(ptau);
    if ((sidecar?.trim() ?? (await sha256File(cached))) === hash) {
      return `powers of tau ${ptau} is the project's cached INSECURE dev ptau (${cached}, same SHA-256 ${hash}): its tau, alpha and beta are public`;
    }
  }
  const contributions = await readPtauContributions(ptau);
  const named = contributions.find((c) => c.name === DEV_PTAU_CONTRIBUTION_NAME || c.name?.startsWith(INSECURE_DEV_NAME_PREFIX));
  if (named) {
    return `powers of tau ${ptau} was made by the project's INSECURE dev setup: contribution ${describe(named)} carries its marker (tau, alpha and beta are public)`;
  }
  const devBeacon = Buffer.from(devPtauBeaconHash(DEV_SEED)).toString("hex");
  const beacon = contributions.find((c) => c.type === 1 && c.beaconHash === devBeacon);
  if (beacon) {
    return `powers of tau ${ptau} was made by the project's INSECURE dev setup: contribution ${describe(beacon)} is a beacon with the dev setup's public beacon hash ${devBeacon}`;
  }
  if (!contributions.some((c) => c.type === 0)) {
    const list = contributions.length === 0 ? "it has no contributions at all" : `its ${contributions.length} contribution(s) (${contributions.map(describe).join(", ")}) are all public beacons`;
    return `powers of tau ${ptau} has no phase-1 contribution made with private randomness: ${list}, so anyone can recompute tau, alpha and beta (the project's dev ptau is made this way)`;
  }
  return undefined;
}

/**
 * Why the phase-2 transcript `contributions` (of `zkey`) cannot give a sound key, or undefined:
 * it needs at least one contribution of type 0. With none, delta is the generator (snarkjs's
 * initial zkey) or a function of public beacons, and anyone can forge proofs.
 */
export function missingContributionReason(zkey: string, contributions: SetupContribution[]): string | undefined {
  if (contributions.some((c) => c.type === 0)) return undefined;
  if (contributions.length === 0) {
    return `zkey ${zkey} has no phase-2 contribution at all (the initial key of \`ceremony init\`: delta is the generator, anyone can forge proofs); at least one contributor must run \`ceremony contribute\``;
  }
  const dev = contributions.find((c) => c.name === DEV_ZKEY_CONTRIBUTION_NAME) ? " (it is the project's INSECURE dev setup)" : "";
  return (
    `zkey ${zkey} has no phase-2 contribution other than beacons${dev}: its ${contributions.length} contribution(s) ` +
    `(${contributions.map(describe).join(", ")}) are all public random beacons, so delta is public and anyone can forge proofs; ` +
    "at least one contributor must run `ceremony contribute` before the final beacon"
  );
}
