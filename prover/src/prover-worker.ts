/**
 * Prover child process: loads the circuit's witness WASM and the proving key once, then proves
 * inputs on request over IPC. Started by ProverPool (pool.ts).
 *
 * Pipelined: requests may arrive while a proof runs. Witnesses are computed one at a time on
 * this process's JavaScript thread (circom's WASM is single-threaded) and proofs one at a time
 * on the backend's threads (every core), so the next batch's witness is ready when the current
 * proof ends. Memory stays bounded: one proving key, and at most the pool's pipeline depth of
 * witnesses waiting.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { ProvenanceError } from "@provenance/client-sdk";
import { loadBackend, releaseCurve } from "./groth16.js";
import type { ProveRequest, ProveResponse, WorkerConfig } from "./pool.js";
import { WitnessGenerator } from "./witness.js";

const config = JSON.parse(process.env.PROVENANCE_PROVER_WORKER ?? "null") as WorkerConfig | null;
if (!config || !process.send) {
  console.error("prover-worker.ts is started by ProverPool, not directly");
  process.exit(2);
}
if (config.niceness > 0) {
  try {
    // Relative to the parent's priority: this process (and the prover's threads, created later) yield to it.
    os.setPriority(Math.min(19, os.getPriority() + config.niceness));
  } catch {
    // Not permitted here: run at the parent's priority.
  }
}
// The parent may be gone (killed): then there is nobody to answer, and nothing to report.
const send = (msg: ProveResponse | { ready: true } | { ready: false; message: string }) => {
  if (process.connected) process.send!(msg, undefined, undefined, () => {});
};

let witnesses: WitnessGenerator;
let backend: Awaited<ReturnType<typeof loadBackend>>;
try {
  witnesses = await WitnessGenerator.load(readFileSync(config.wasm));
  backend = await loadBackend(config.backend, config.zkey, { singleThread: config.singleThread });
} catch (err) {
  send({ ready: false, message: err instanceof Error ? err.message : String(err) });
  process.exit(3);
}

let witnessTail: Promise<unknown> = Promise.resolve();
let proveTail: Promise<unknown> = Promise.resolve();

process.on("message", (msg: ProveRequest) => {
  const witness = witnessTail.then(() => witnesses.calculate(msg.input));
  witnessTail = witness.catch(() => {});
  const proven = witness.then(({ wtns, witnessMs }) => {
    const p = proveTail.then(() => backend.prove(wtns)).then((out) => ({ ...out, witnessMs }));
    proveTail = p.catch(() => {});
    return p;
  });
  proven.then(
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
