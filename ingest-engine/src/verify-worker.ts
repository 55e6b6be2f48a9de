/**
 * Worker thread body for `VerifyPool`. Two kinds of work:
 * - chunks of packed signatures, verified with the native addon when it is loaded (and
 *   allowed), else with `verifyPacked`;
 * - chunks of records (`checkRecordBatch`: parseRecord + signature, natively when possible),
 *   cut into segments that are checked independently (each is one caller's request).
 * Each worker has its own verifier instance and key cache. Every path gives the same verdicts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { verifyPacked } from "@provenance/client-sdk/eddsa";
import type { ChunkCheck } from "./chunk-check.js";
import { checkChunkNative, checkRecordBatch, nativeEddsa, verifyPackedBatch, RECORD_RESULT_BYTES, type RecordBatchError } from "./native-eddsa.js";

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

export interface RecordChunk {
  kind: "records";
  id: number;
  /** Records as posted (plain JSON data). */
  inputs: unknown[];
  /** Lengths of consecutive segments of `inputs`, each checked on its own. */
  segments: number[];
}

export interface RecordChunkResult {
  id: number;
  /** RECORD_RESULT_BYTES per input (see `checkRecordBatch`). */
  results: Uint8Array;
  /** Per segment: its first refused record (index within the segment), or null. */
  errors: Array<RecordBatchError | null>;
  /** Per segment: an unexpected failure (a bug, not a refusal), or null; the caller's request fails, the worker lives on. */
  failures: Array<string | null>;
}

/** Signed chunks (POST /v1/chunks), each checked on its own (`checkChunk`). */
export interface ChunkChunk {
  kind: "chunks";
  id: number;
  /** Chunks as posted (plain JSON data). */
  inputs: unknown[];
  /** The most records each may hold (the deployment's chunk size). */
  maxRecords: number[];
}

export interface ChunkChunkResult {
  id: number;
  chunks: Array<ChunkCheck | { failure: string }>;
}

const port = parentPort;
if (port === null) throw new Error("verify-worker must run in a worker thread");

const useNative = nativeEddsa.available && (workerData as { native?: boolean } | null)?.native !== false;

function checkRecords(chunk: RecordChunk): RecordChunkResult {
  const results = new Uint8Array(RECORD_RESULT_BYTES * chunk.inputs.length);
  const errors: Array<RecordBatchError | null> = [];
  const failures: Array<string | null> = [];
  let start = 0;
  for (const length of chunk.segments) {
    try {
      const checked = checkRecordBatch(chunk.inputs.slice(start, start + length), useNative);
      results.set(checked.results, RECORD_RESULT_BYTES * start);
      errors.push(checked.error);
      failures.push(null);
    } catch (err) {
      errors.push(null);
      failures.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    }
    start += length;
  }
  return { id: chunk.id, results, errors, failures };
}

function checkChunks(msg: ChunkChunk): ChunkChunkResult {
  return {
    id: msg.id,
    chunks: msg.inputs.map((input, i) => {
      try {
        return checkChunkNative(input, msg.maxRecords[i]!, useNative);
      } catch (err) {
        return { failure: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
      }
    }),
  };
}

port.on("message", (chunk: VerifyChunk | RecordChunk | ChunkChunk | { close: true }) => {
  if ("close" in chunk) {
    // Exit on our own, between chunks: terminating a thread from outside while it runs
    // WebAssembly has crashed Node 20 here (heap corruption), so the pool asks instead.
    port.close();
    return;
  }
  if ("kind" in chunk && chunk.kind === "chunks") {
    port.postMessage(checkChunks(chunk));
    return;
  }
  if ("kind" in chunk) {
    const reply = checkRecords(chunk);
    port.postMessage(reply, [reply.results.buffer as ArrayBuffer]);
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
