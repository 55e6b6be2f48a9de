/**
 * The ceremony attestation `circuits/keys/<name>.ceremony.json`: written by
 * `scripts/ceremony.ts export --circuit NAME` after it verified the transcript, read by
 * `scripts/gen-onchain.ts`, which compiles the key into cluster builds only if the attestation
 * checks against the very verifying key it compiles (docs/trusted-setup.md, "The attestation").
 *
 * No snarkjs here: gen-onchain loads this module to check an attestation, not to redo the
 * ceremony. The attestation is a record (which files, by hash, were verified and what the
 * transcript said), not a proof: anyone can re-check it by running `ceremony verify` on the
 * published r1cs, ptau and zkey with these hashes.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ProvenanceError } from "@provenance/client-sdk/errors";

export const ATTESTATION_SCHEMA = 1;

export interface AttestedContribution {
  /** "contribution": private randomness (snarkjs type 0); "beacon": a public random beacon (type 1). */
  type: "contribution" | "beacon";
  name: string;
  /** the snarkjs contribution hash (hex, 128 digits), as `ceremony contribute` printed it */
  hash: string;
}

export interface CeremonyAttestation {
  kind: "ceremony";
  schema: typeof ATTESTATION_SCHEMA;
  circuit: string;
  /** sha256 of the exact bytes of circuits/keys/<circuit>.vk.json */
  vkSha256: string;
  /** the transcript's files, by sha256 */
  r1csSha256: string;
  ptauSha256: string;
  zkeySha256: string;
  /** phase-2 contributions in order; at least one of type "contribution" */
  contributions: AttestedContribution[];
  /** the final public random beacon (the last contribution, if it is a beacon), else null */
  beacon: { name: string; hash: string; iterationsExp: number } | null;
  verifiedWith: string;
  /** snarkjs's verification report, line by line */
  report: string[];
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Validates `value` as a `CeremonyAttestation` of circuit `circuit`; throws INVALID_SETUP with
 * `file` and the first problem found.
 */
export function parseAttestation(value: unknown, circuit: string, file: string): CeremonyAttestation {
  const bad = (why: string): never => {
    throw new ProvenanceError("INVALID_SETUP", `${file}: not a valid ceremony attestation: ${why}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad("not a JSON object");
  const a = value as Record<string, unknown>;
  if (a.kind !== "ceremony") bad(`kind must be "ceremony", found ${JSON.stringify(a.kind)}`);
  if (a.schema !== ATTESTATION_SCHEMA) bad(`schema must be ${ATTESTATION_SCHEMA}, found ${JSON.stringify(a.schema)} (re-run \`ceremony.ts export\`)`);
  if (a.circuit !== circuit) bad(`it attests circuit ${JSON.stringify(a.circuit)}, not "${circuit}"`);
  for (const k of ["vkSha256", "r1csSha256", "ptauSha256", "zkeySha256"]) {
    if (typeof a[k] !== "string" || !HEX64.test(a[k])) bad(`${k} must be 64 lowercase hex digits`);
  }
  if (!Array.isArray(a.contributions)) bad("contributions must be a list");
  const contributions = a.contributions as unknown[];
  contributions.forEach((c, i) => {
    const o = c as Record<string, unknown> | null;
    if (typeof o !== "object" || o === null) bad(`contributions[${i}] is not an object`);
    if (o!.type !== "contribution" && o!.type !== "beacon") bad(`contributions[${i}].type must be "contribution" or "beacon"`);
    if (typeof o!.name !== "string") bad(`contributions[${i}].name must be a string`);
    if (typeof o!.hash !== "string" || !HEX128.test(o!.hash)) bad(`contributions[${i}].hash must be 128 lowercase hex digits`);
  });
  const list = contributions as AttestedContribution[];
  if (!list.some((c) => c.type === "contribution")) {
    bad("no phase-2 contribution other than beacons is attested (delta would be public)");
  }
  const last = list[list.length - 1]!;
  if (a.beacon === null) {
    if (last.type === "beacon") bad("the last contribution is a beacon but beacon is null");
  } else {
    const b = a.beacon as Record<string, unknown> | undefined;
    if (typeof b !== "object" || b === null) bad("beacon must be an object or null");
    if (typeof b!.hash !== "string" || !/^([0-9a-f]{2}){1,255}$/.test(b!.hash)) bad("beacon.hash must be hex");
    if (typeof b!.iterationsExp !== "number" || !Number.isInteger(b!.iterationsExp)) bad("beacon.iterationsExp must be an integer");
    if (typeof b!.name !== "string") bad("beacon.name must be a string");
    if (last.type !== "beacon" || last.name !== b!.name) bad("beacon does not match the last contribution");
  }
  if (typeof a.verifiedWith !== "string") bad("verifiedWith must be a string");
  if (!Array.isArray(a.report) || !a.report.every((l) => typeof l === "string")) bad("report must be a list of strings");
  return a as unknown as CeremonyAttestation;
}

/**
 * What gen-onchain requires before compiling circuit `circuit`'s key into cluster builds:
 * the attestation at `attestationFile` parses (`parseAttestation`), its `vkSha256` is the
 * SHA-256 of the bytes of `vkFile`, and the key is marked as coming from a ceremony (never
 * `provenance_setup.kind: "insecure-dev"`). Throws INVALID_SETUP naming the file otherwise.
 */
export function checkAttestedKey(opts: { circuit: string; vkFile: string; attestationFile: string }): CeremonyAttestation {
  const { circuit, vkFile, attestationFile } = opts;
  const text = readFileSync(attestationFile, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProvenanceError("INVALID_SETUP", `${attestationFile}: not a valid ceremony attestation: not JSON (${(err as Error).message})`);
  }
  const att = parseAttestation(json, circuit, attestationFile);
  const raw = readFileSync(vkFile);
  const digest = sha256Hex(raw);
  if (digest !== att.vkSha256) {
    throw new ProvenanceError(
      "INVALID_SETUP",
      `${attestationFile} attests a verifying key with sha256 ${att.vkSha256}, but ${vkFile} has sha256 ${digest}: ` +
        "the key was changed after the ceremony export (or the attestation belongs to another key)",
    );
  }
  const marker = (JSON.parse(raw.toString("utf8")) as { provenance_setup?: { kind?: unknown } }).provenance_setup;
  if (marker?.kind === "insecure-dev") {
    throw new ProvenanceError("INVALID_SETUP", `${vkFile} is marked provenance_setup.kind "insecure-dev" (public toxic waste): refusing it although ${attestationFile} attests it`);
  }
  if (marker?.kind !== "ceremony") {
    throw new ProvenanceError("INVALID_SETUP", `${vkFile} is not marked provenance_setup.kind "ceremony" (found ${JSON.stringify(marker?.kind)}): not a key written by \`ceremony.ts export\``);
  }
  return att;
}
