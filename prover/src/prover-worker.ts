/**
 * Prover child process: loads the circuit's wasm and proving key once, then proves inputs one
 * at a time on request over IPC. Started by ProverPool (pool.ts).
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { ProvenanceError } from "@provenance/client-sdk";
import { proveInput, releaseCurve } from "./groth16.js";
import type { ProveRequest, ProveResponse, WorkerConfig } from "./pool.js";

const config = JSON.parse(process.env.PROVENANCE_PROVER_WORKER ?? "null") as WorkerConfig | null;
if (!config || !process.send) {
  console.error("prover-worker.ts is started by ProverPool, not directly");
  process.exit(2);
}
if (config.niceness > 0) {
  try {
    // Relative to the parent's priority: this process (and snarkjs's threads, created later) yield to it.
    os.setPriority(Math.min(19, os.getPriority() + config.niceness));
  } catch {
    // Not permitted here: run at the parent's priority.
  }
}
const wasm = readFileSync(config.wasm);
const zkey = readFileSync(config.zkey);
// The parent may be gone (killed): then there is nobody to answer, and nothing to report.
const send = (msg: ProveResponse | { ready: true }) => {
  if (process.connected) process.send!(msg, undefined, undefined, () => {});
};

process.on("message", (msg: ProveRequest) => {
  proveInput(msg.input, wasm, zkey, { singleThread: config.singleThread }).then(
    (out) => send({ id: msg.id, ok: true, ...out }),
    (err: unknown) =>
      send({
        id: msg.id,
        ok: false,
        code: err instanceof ProvenanceError ? err.code : undefined,
        message: err instanceof Error ? err.message : String(err),
      }),
  );
});
// The parent closing the channel (or dying) ends this process.
process.on("disconnect", () => {
  void releaseCurve().finally(() => process.exit(0));
});
send({ ready: true });
