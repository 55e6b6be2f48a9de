/**
 * The native Groth16 backend (`prover/native`, Rust: arkworks with snarkjs's zkey reader and
 * circom's QAP reduction), loaded when `npm install` built it. Its proofs are ordinary Groth16
 * proofs under the verifying key snarkjs exports for the same zkey, so snarkjs stays the
 * reference and the fallback (`PROVENANCE_PROVER=snarkjs`).
 *
 * With `PROVENANCE_REQUIRE_NATIVE=1` (CI) an addon that is missing or fails to load is an error
 * at load, not a silent fallback.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { ProvenanceError } from "@provenance/client-sdk";
import type { SnarkjsProof, SnarkjsVerifyingKey } from "./solana-layout.js";

/** Where `scripts/build-native.ts` installs the addon. */
export const NATIVE_PROVER_PATH = fileURLToPath(new URL("../native/provenance_prover.node", import.meta.url));

/** A proving key held in memory by the addon. */
export interface NativeProverHandle {
  readonly numConstraints: number;
  readonly numPublic: number;
  readonly numVariables: number;
  /** The bytes of a `.wtns` file; resolves to JSON `{ proof, publicSignals }`. */
  prove(wtns: Uint8Array): Promise<string>;
}

interface Addon {
  NativeProver: { load(zkeyPath: string): NativeProverHandle };
  verify(vkJson: string, proofJson: string, publicSignals: string[]): boolean;
  proverThreads(): number;
}

export type ProverBackend = "native" | "snarkjs";
export const PROVER_BACKENDS: readonly ProverBackend[] = ["native", "snarkjs"];

export const NATIVE_REQUIRED = process.env["PROVENANCE_REQUIRE_NATIVE"] === "1";

function load(): { addon: Addon | null; reason: string } {
  if (!existsSync(NATIVE_PROVER_PATH)) return { addon: null, reason: `not built (${NATIVE_PROVER_PATH} is missing: npm install builds it where cargo is present)` };
  try {
    const addon = createRequire(import.meta.url)(NATIVE_PROVER_PATH) as Addon;
    if (typeof addon.NativeProver?.load !== "function" || typeof addon.verify !== "function") return { addon: null, reason: "the addon is stale (rebuild it: npx tsx scripts/build-native.ts)" };
    return { addon, reason: `loaded (arkworks, ${addon.proverThreads()} threads)` };
  } catch (err) {
    return { addon: null, reason: `not loadable (${(err as Error).message.split("\n")[0]})` };
  }
}

const loaded = load();
if (NATIVE_REQUIRED && loaded.addon === null) {
  throw new Error(
    `PROVENANCE_REQUIRE_NATIVE=1, but the native prover is ${loaded.reason}: build it with \`npx tsx scripts/build-native.ts\` (needs cargo), ` +
      "or unset PROVENANCE_REQUIRE_NATIVE to prove with snarkjs",
  );
}

/** Whether the native backend loaded here, and why not. */
export const nativeProver: { readonly available: boolean; readonly reason: string } = { available: loaded.addon !== null, reason: loaded.reason };

function addon(): Addon {
  if (!loaded.addon) throw new ProvenanceError("NATIVE_UNAVAILABLE", `the native prover is ${loaded.reason}`);
  return loaded.addon;
}

/**
 * The backend a setting asks for: `native` (the default when the addon loaded), `snarkjs`, or
 * unset. Asking for `native` where it did not load is an error naming why.
 */
export function resolveBackend(setting: string | undefined): { backend: ProverBackend; note: string | null } {
  if (setting !== undefined && !PROVER_BACKENDS.includes(setting as ProverBackend)) {
    throw new ProvenanceError("INVALID_CONFIG", `the prover backend must be one of ${PROVER_BACKENDS.join(", ")}, got ${JSON.stringify(setting)}`);
  }
  if (setting === "snarkjs") return { backend: "snarkjs", note: null };
  if (loaded.addon) return { backend: "native", note: null };
  if (setting === "native") throw new ProvenanceError("NATIVE_UNAVAILABLE", `PROVENANCE_PROVER=native, but the native prover is ${loaded.reason}`);
  return { backend: "snarkjs", note: `the native prover is ${loaded.reason}; proving with snarkjs (about 4x slower)` };
}

/** Threads the native prover uses (rayon: every core unless RAYON_NUM_THREADS says otherwise); 0 where it did not load. */
export function nativeProverThreads(): number {
  return loaded.addon?.proverThreads() ?? 0;
}

/** Reads a zkey into memory (once per process). A missing, truncated or foreign file is an INVALID_SETUP error. */
export function loadNativeProver(zkeyPath: string): NativeProverHandle {
  try {
    return addon().NativeProver.load(zkeyPath);
  } catch (err) {
    if (err instanceof ProvenanceError) throw err;
    throw new ProvenanceError("INVALID_SETUP", (err as Error).message);
  }
}

/**
 * Checks a Groth16 proof under a snarkjs verifying key, natively (about a millisecond). False
 * for any proof that does not verify: points off the curve or outside the subgroup, and
 * public signals at or above the field order, included.
 */
export function verifyNative(vk: SnarkjsVerifyingKey, proof: SnarkjsProof, publicSignals: readonly string[]): boolean {
  try {
    return addon().verify(JSON.stringify(vk), JSON.stringify(proof), [...publicSignals]);
  } catch (err) {
    if (err instanceof ProvenanceError) throw err;
    throw new ProvenanceError("INVALID_PROOF", (err as Error).message);
  }
}
