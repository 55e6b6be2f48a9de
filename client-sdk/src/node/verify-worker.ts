/**
 * Worker thread body for `VerifyPool`: verifies chunks of packed signatures with the native
 * addon when it is loaded (and allowed), else with `verifyPacked`, each worker with its own
 * verifier instance and key cache. Both give the same verdicts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { verifyPacked } from "../eddsa.js";
import { nativeEddsa, verifyPackedBatch } from "./native-eddsa.js";

export interface VerifyChunk {
  id: number;
  messages: bigint[];
  /** 64 bytes per job, concatenated. */
  signatures: Uint8Array;
  /** 32 bytes per job, concatenated. */
  publicKeys: Uint8Array;
}

export interface VerifyChunkResult {
  id: number;
  /** 1 = valid, 0 = refused, one byte per job. */
  results: Uint8Array;
}

const port = parentPort;
if (port === null) throw new Error("verify-worker must run in a worker thread");

const useNative = nativeEddsa.available && (workerData as { native?: boolean } | null)?.native !== false;

port.on("message", (chunk: VerifyChunk | { close: true }) => {
  if ("close" in chunk) {
    // Exit on our own, between chunks: terminating a thread from outside while it runs
    // WebAssembly has crashed Node 20 here (heap corruption), so the pool asks instead.
    port.close();
    return;
  }
  const n = chunk.messages.length;
  let results: Uint8Array;
  if (useNative) {
    results = Uint8Array.from(verifyPackedBatch(chunk.messages, chunk.signatures, chunk.publicKeys));
  } else {
    results = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const ok = verifyPacked(
        chunk.messages[i]!,
        chunk.signatures.subarray(64 * i, 64 * i + 64),
        chunk.publicKeys.subarray(32 * i, 32 * i + 32),
      );
      results[i] = ok ? 1 : 0;
    }
  }
  const reply: VerifyChunkResult = { id: chunk.id, results };
  port.postMessage(reply, [results.buffer as ArrayBuffer]);
});
port.postMessage({ ready: true, native: useNative });
