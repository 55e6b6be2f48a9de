/**
 * The production trusted-setup path: a Groth16 phase-2 ceremony over a real (downloaded,
 * prepared) powers-of-tau file. Thin wrappers over snarkjs's API that check their inputs
 * first and turn snarkjs's silent `false`/`-1` returns and log lines into errors that say what
 * is wrong. See docs/trusted-setup.md for the procedure.
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm, stat } from "node:fs/promises";
import * as snarkjs from "snarkjs";
import type { SnarkjsLogger, VerificationKey } from "snarkjs";
import { ProvenanceError } from "@provenance/client-sdk";
import { ATTESTATION_SCHEMA, sha256Hex, type CeremonyAttestation } from "./attestation.js";
import { readR1csHeader, requiredPower, toolVersions, vkToText, type Log } from "./dev-setup.js";
import { insecurePtauReason, missingContributionReason, readZkeyContributions, sha256File, type SetupContribution } from "./transcript.js";

type Env = Record<string, string | undefined>;

function fail(message: string): never {
  throw new ProvenanceError("INVALID_SETUP", message);
}

/** A snarkjs logger that records everything (to quote it in errors) and forwards to `log`. */
function capture(log?: Log): { logger: SnarkjsLogger; lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (m: string) => {
    lines.push(m);
    if (log && level !== "debug") log(m);
  };
  return { logger: { debug: rec("debug"), info: rec("info"), warn: rec("warn"), error: rec("error") }, lines };
}

/** Checks a file exists and carries the expected snarkjs magic ("ptau", "zkey", "r1cs"). */
async function expectFile(file: string, magic: string, what: string): Promise<Map<number, number>> {
  try {
    const st = await stat(file);
    if (!st.isFile()) fail(`${what} ${file} is not a file`);
  } catch (err) {
    if (err instanceof ProvenanceError) throw err;
    fail(`${what} ${file} not found`);
  }
  const fh = await open(file, "r");
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await fh.read(head, 0, 12, 0);
    if (bytesRead < 12 || head.subarray(0, 4).toString("latin1") !== magic) {
      fail(`${what} ${file} is not a .${magic} file`);
    }
    const nSections = head.readUInt32LE(8);
    const sections = new Map<number, number>();
    let pos = 12;
    const size = (await fh.stat()).size;
    for (let i = 0; i < nSections; i++) {
      const sh = Buffer.alloc(12);
      if ((await fh.read(sh, 0, 12, pos)).bytesRead !== 12) fail(`${what} ${file} is truncated`);
      const id = sh.readUInt32LE(0);
      const len = Number(sh.readBigUInt64LE(4));
      sections.set(id, len);
      pos += 12 + len;
      if (pos > size) fail(`${what} ${file} is truncated`);
    }
    return sections;
  } finally {
    await fh.close();
  }
}

/** Power of a .ptau file, and whether it has been prepared for phase 2. */
async function ptauInfo(file: string): Promise<{ power: number; prepared: boolean }> {
  const sections = await expectFile(file, "ptau", "powers of tau");
  const fh = await open(file, "r");
  try {
    // header section body: n8 (u32), q (n8 bytes), power (u32), ceremonyPower (u32)
    const b = Buffer.alloc(4 + 32 + 8);
    await fh.read(b, 0, b.length, 12 + 12);
    const n8 = b.readUInt32LE(0);
    if (n8 !== 32) fail(`powers of tau ${file} is not for BN254`);
    return { power: b.readUInt32LE(4 + n8), prepared: sections.has(12) };
  } finally {
    await fh.close();
  }
}

async function checkCircuitFitsPtau(r1cs: string, ptau: string): Promise<void> {
  await expectFile(r1cs, "r1cs", "circuit");
  const info = await ptauInfo(ptau);
  if (!info.prepared) {
    fail(`powers of tau ${ptau} is not prepared for phase 2 (no Lagrange sections): use a prepared file (e.g. the "_final" or "prepared" downloads) or run \`snarkjs powersoftau prepare phase2\``);
  }
  const need = requiredPower(await readR1csHeader(r1cs));
  if (need > info.power) fail(`circuit ${r1cs} needs a powers of tau of at least 2^${need}; ${ptau} is 2^${info.power}`);
}

async function atomically<T>(out: string, fn: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  try {
    const res = await fn(tmp);
    await rename(tmp, out);
    return res;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Starts phase 2: the initial zkey (no contributions yet) of `r1cs` over `ptau`. */
export async function ceremonyInit(opts: { r1cs: string; ptau: string; out: string; log?: Log; env?: Env }): Promise<void> {
  await checkCircuitFitsPtau(opts.r1cs, opts.ptau);
  const insecure = await insecurePtauReason(opts.ptau, { env: opts.env });
  if (insecure) fail(`refusing to start a ceremony: ${insecure}`);
  const { logger, lines } = capture(opts.log);
  await atomically(opts.out, async (tmp) => {
    const res = await snarkjs.zKey.newZKey(opts.r1cs, opts.ptau, tmp, logger);
    if (res === -1) fail(`groth16 setup failed: ${lines.slice(-3).join("; ")}`);
  });
}

/**
 * Adds a contribution. `entropy` is mixed by snarkjs with 64 bytes from the OS RNG; when not
 * given, 64 more OS random bytes are used. Returns the contribution hash (hex), which the
 * contributor publishes so everyone can find it in the verified transcript.
 */
export async function ceremonyContribute(opts: { input: string; out: string; name: string; entropy?: string; log?: Log }): Promise<string> {
  await expectFile(opts.input, "zkey", "zkey");
  if (!opts.name.trim()) fail("a contribution needs a name (who contributes)");
  const entropy = opts.entropy && opts.entropy.length > 0 ? opts.entropy : randomBytes(64).toString("hex");
  const { logger } = capture(opts.log);
  const hash = await atomically(opts.out, async (tmp) => snarkjs.zKey.contribute(opts.input, tmp, opts.name, entropy, logger));
  return Buffer.from(hash).toString("hex");
}

/** Applies a public random beacon (e.g. a future block hash) as the final contribution. */
export async function ceremonyBeacon(opts: {
  input: string;
  out: string;
  name: string;
  beaconHex: string;
  iterationsExp: number;
  log?: Log;
}): Promise<string> {
  await expectFile(opts.input, "zkey", "zkey");
  if (!/^([0-9a-fA-F]{2}){1,255}$/.test(opts.beaconHex)) fail("beacon must be 1..255 bytes of hex");
  if (!Number.isInteger(opts.iterationsExp) || opts.iterationsExp < 10 || opts.iterationsExp > 63) {
    fail("beacon iterations exponent must be an integer in 10..63");
  }
  const { logger, lines } = capture(opts.log);
  const hash = await atomically(opts.out, async (tmp) => {
    const h = await snarkjs.zKey.beacon(opts.input, tmp, opts.name, opts.beaconHex, opts.iterationsExp, logger);
    if (!h) fail(`beacon failed: ${lines.slice(-3).join("; ")}`);
    return h;
  });
  return Buffer.from(hash).toString("hex");
}

export interface CeremonyVerification {
  /**
   * The transcript checks (snarkjs: `zkey` is the initial key of `r1cs` over `ptau` followed by
   * valid contributions), its ptau is not insecure, and it is not a finished (beacon-applied)
   * transcript without a real contribution. A transcript with no contributions yet (just
   * `init`) is ok here, and `refusal` says why `export` would still refuse it.
   */
  ok: boolean;
  /** snarkjs's report: circuit hash and every contribution (name, hash, beacon parameters), then ours. */
  report: string[];
  /** the zkey's phase-2 contributions (section 10) */
  contributions: SetupContribution[];
  /** why `export` refuses this transcript (the insecure ptau or the missing real contribution), if it does */
  refusal?: string;
}

/**
 * What `export` requires beyond a valid transcript: the zkey has at least one phase-2
 * contribution of type 0 (not only beacons), and the ptau (when given) is not the project's
 * insecure dev ptau nor any ptau without a real phase-1 contribution. Throws INVALID_SETUP.
 */
export async function ceremonyCheckInstallable(opts: { zkey: string; ptau?: string; env?: Env }): Promise<SetupContribution[]> {
  await expectFile(opts.zkey, "zkey", "zkey");
  if (opts.ptau !== undefined) {
    await expectFile(opts.ptau, "ptau", "powers of tau");
    const insecure = await insecurePtauReason(opts.ptau, { env: opts.env });
    if (insecure) fail(`refusing to export: ${insecure}`);
  }
  const contributions = await readZkeyContributions(opts.zkey);
  const missing = missingContributionReason(opts.zkey, contributions);
  if (missing) fail(`refusing to export: ${missing}`);
  return contributions;
}

/**
 * Verifies a ceremony transcript: that `zkey` is the initial key of `r1cs` over `ptau`
 * followed by a chain of valid contributions, over a ptau that is not insecure. Throws on
 * unusable inputs; returns ok=false (with the reasons in the report) when the transcript does
 * not check.
 */
export async function ceremonyVerify(opts: { r1cs: string; ptau: string; zkey: string; log?: Log; env?: Env }): Promise<CeremonyVerification> {
  await checkCircuitFitsPtau(opts.r1cs, opts.ptau);
  await expectFile(opts.zkey, "zkey", "zkey");
  const { logger, lines } = capture(opts.log);
  const valid = (await snarkjs.zKey.verifyFromR1cs(opts.r1cs, opts.ptau, opts.zkey, logger)) === true;
  const contributions = await readZkeyContributions(opts.zkey);
  const insecure = await insecurePtauReason(opts.ptau, { env: opts.env });
  const missing = missingContributionReason(opts.zkey, contributions);
  // A beacon ends a ceremony: a transcript with beacons and no real contribution is finished and unsound.
  const finishedUnsound = missing !== undefined && contributions.length > 0;
  const refusal = insecure ?? missing;
  if (refusal) lines.push(`${insecure || finishedUnsound ? "INSECURE" : "NOT YET USABLE"}: ${refusal}`);
  return { ok: valid && !insecure && !finishedUnsound, report: lines, contributions, refusal };
}

/**
 * Exports the verifying key of a final zkey, marked as coming from a ceremony. Refuses (as
 * `ceremonyCheckInstallable`) a zkey without a real contribution, and an insecure `ptau`.
 */
export async function ceremonyExportVk(opts: { zkey: string; ptau?: string; description?: string; env?: Env }): Promise<{ vk: VerificationKey; text: string }> {
  await ceremonyCheckInstallable({ zkey: opts.zkey, ptau: opts.ptau, env: opts.env });
  const vk = await snarkjs.zKey.exportVerificationKey(opts.zkey);
  vk.provenance_setup = { kind: "ceremony", description: opts.description ?? "phase-2 ceremony (see docs/trusted-setup.md)" };
  return { vk, text: vkToText(vk) };
}

/**
 * The record written next to a ceremony's verifying key (circuits/keys/<name>.ceremony.json),
 * in the schema `scripts/gen-onchain.ts` checks (trusted-setup/src/attestation.ts): the hash of
 * the verifying key's exact text, the transcript's files by hash, its contributions and final
 * beacon, and snarkjs's report.
 */
export async function ceremonyAttestation(opts: {
  circuit: string;
  r1cs: string;
  ptau: string;
  zkey: string;
  vkText: string;
  verification: CeremonyVerification;
}): Promise<CeremonyAttestation> {
  const contributions = opts.verification.contributions.map((c) => ({
    type: c.type === 0 ? ("contribution" as const) : ("beacon" as const),
    name: c.name ?? "",
    hash: c.hash ?? "",
  }));
  const last = opts.verification.contributions[opts.verification.contributions.length - 1];
  const beacon = last && last.type === 1 ? { name: last.name ?? "", hash: last.beaconHash ?? "", iterationsExp: last.numIterationsExp ?? 0 } : null;
  return {
    kind: "ceremony",
    schema: ATTESTATION_SCHEMA,
    circuit: opts.circuit,
    vkSha256: sha256Hex(opts.vkText),
    r1csSha256: await sha256File(opts.r1cs),
    ptauSha256: await sha256File(opts.ptau),
    zkeySha256: await sha256File(opts.zkey),
    contributions,
    beacon,
    verifiedWith: `snarkjs ${toolVersions().snarkjs} zKey.verifyFromR1cs`,
    report: opts.verification.report,
  };
}
