/** The shared test vector (test-vectors/batch-test.json, made by scripts/gen-test-vectors.ts), typed once. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RecordV1 } from "@provenance/client-sdk";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface BatchVector {
  circuit: string;
  /** The circuit's shape in its family (0 chunk shape, 1 single shape): `submit_batch`'s `shape`. */
  shape: number;
  batchLevels: number;
  registryRoot: string;
  batchRoot: string;
  count: number;
  minTs: number;
  maxTs: number;
  publicHash: string;
  records: RecordV1[];
  proof: unknown;
  publicSignals: string[];
  solana: { proofA: string; proofB: string; proofC: string; publicInputs: string[] };
}

/** `test-vectors/<name>` (default the snarkjs-proven batch of the `test` circuit). */
export function loadVector(name = "batch-test.json"): BatchVector {
  const v = JSON.parse(readFileSync(path.join(REPO_ROOT, "test-vectors", name), "utf8")) as Omit<BatchVector, "shape"> & { shape?: number };
  return { ...v, shape: v.shape ?? (v.circuit.endsWith("-single") ? 1 : 0) };
}
