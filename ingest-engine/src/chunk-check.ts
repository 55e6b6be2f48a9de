/**
 * A signed chunk's checks at ingest (docs/circuit-v2.md): everything the SDK's `parseChunk`
 * checks, and the one signature over the chunk digest, natively when the addon has
 * `validateChunk` (sha256(url) in JavaScript; v1 messages, chunk tree, digest, EdDSA, leaves
 * and paths in Rust), else with the SDK itself. Verdicts, codes and messages are the SDK's
 * either way: the native path only ever accepts (or finds the signature bad); a chunk it
 * refuses for its form, and one the cheap JavaScript pre-check does not pass, is checked by
 * `parseChunk`, whose error is the one reported.
 */
import { createHash } from "node:crypto";
import { ProvenanceError, type ErrorCode } from "@provenance/client-sdk/errors";
import { CHUNK_LEVELS, CHUNK_MAX } from "@provenance/client-sdk/chunk";
import { validateTimestamp, validateUrl, type ChunkRecordV1 } from "@provenance/client-sdk/record";
import { parseChunk, verifyChunkSignature } from "@provenance/client-sdk/signed-chunk";

/** What the native chunk validator needs of the addon (lib.rs `validate_chunk`). */
export interface NativeChunkAddon {
  validateChunk?(rows: Uint8Array, results: Uint8Array): number;
}

/** A chunk that passed every check of `parseChunk`, with what a store needs. */
export interface CheckedChunk {
  nodeId: bigint;
  /** The chunk-signed records as stored and served (`chunk` in place of `signature`), in chunk order. */
  records: ChunkRecordV1[];
  /** Each record's id (leaf), 64 hex. */
  ids: string[];
  /** SHA-256 of each record's URL, 64 hex. */
  urlHashes: string[];
  /** Whether the chunk's EdDSA-Poseidon signature verifies over its digest. */
  signatureValid: boolean;
}

/** The chunk's first refusal, with the SDK's code and message (and the record's index when it names one). */
export interface ChunkRefusal {
  code: ErrorCode;
  message: string;
  index?: number;
}

export type ChunkCheck = { ok: true; chunk: CheckedChunk } | { ok: false; error: ChunkRefusal };

const ROW_IN = 200;
const HEAD_OUT = 65;
const RECORD_OUT = 32 + 32 * 4;
const STATUS_VALID = 1;
const STATUS_BAD_SIGNATURE = 2;

const CHUNK_FIELDS = ["nodeId", "publicKey", "records", "signature", "v"];
const OBSERVATION_FIELDS = ["contentHash", "timestamp", "url"];
const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

function sameKeys(o: object, sorted: readonly string[]): boolean {
  const keys = Object.keys(o);
  if (keys.length !== sorted.length) return false;
  keys.sort();
  return keys.every((k, i) => k === sorted[i]);
}

interface Observation {
  url: string;
  timestamp: number;
  contentHash: string;
}

/** The chunk's JSON form, checked without hashes or curve arithmetic; null when anything is off (the SDK then says what). */
function precheck(input: unknown, maxRecords: number): { nodeId: string; publicKey: string; signature: string; records: Observation[] } | null {
  if (typeof input !== "object" || input === null || Array.isArray(input) || !sameKeys(input, CHUNK_FIELDS)) return null;
  const o = input as Record<string, unknown>;
  if (o.v !== 1 || typeof o.nodeId !== "string" || !HEX64.test(o.nodeId) || typeof o.publicKey !== "string" || !HEX64.test(o.publicKey)) return null;
  if (typeof o.signature !== "string" || !HEX128.test(o.signature)) return null;
  const list = o.records;
  if (!Array.isArray(list) || list.length === 0 || list.length > Math.min(maxRecords, CHUNK_MAX)) return null;
  const seen = new Set<string>();
  const records: Observation[] = [];
  for (const r of list as unknown[]) {
    if (typeof r !== "object" || r === null || Array.isArray(r) || !sameKeys(r, OBSERVATION_FIELDS)) return null;
    const obs = r as Record<string, unknown>;
    try {
      validateUrl(obs.url);
      validateTimestamp(obs.timestamp);
    } catch {
      return null;
    }
    if (typeof obs.contentHash !== "string" || !HEX64.test(obs.contentHash)) return null;
    // The same observation twice is the same record (same message, same node).
    const key = `${obs.timestamp as number}|${obs.contentHash}|${obs.url as string}`;
    if (seen.has(key)) return null;
    seen.add(key);
    records.push({ url: obs.url as string, timestamp: obs.timestamp as number, contentHash: obs.contentHash });
  }
  return { nodeId: o.nodeId, publicKey: o.publicKey, signature: o.signature, records };
}

function refusal(err: unknown): ChunkRefusal {
  if (err instanceof ProvenanceError) {
    const index = (err as ProvenanceError & { index?: unknown }).index;
    return { code: err.code, message: err.message, ...(typeof index === "number" ? { index } : {}) };
  }
  throw err;
}

/** The reference path: the SDK's `parseChunk` (exact refusals), then the signature. */
export function checkChunkTs(input: unknown, maxRecords: number): ChunkCheck {
  let parsed: ReturnType<typeof parseChunk>;
  try {
    parsed = parseChunk(input, { maxRecords });
  } catch (err) {
    return { ok: false, error: refusal(err) };
  }
  const records = parsed.records.map((p) => p.record as ChunkRecordV1);
  return {
    ok: true,
    chunk: {
      nodeId: parsed.nodeId,
      records,
      ids: parsed.records.map((p) => p.leaf.toString(16).padStart(64, "0")),
      urlHashes: parsed.records.map((p) => Buffer.from(p.urlHash).toString("hex")),
      signatureValid: verifyChunkSignature(parsed),
    },
  };
}

/**
 * `parseChunk` and the signature check of one chunk (at most `maxRecords` records, and never
 * more than CHUNK_MAX), natively when `addon` has `validateChunk`; the same verdicts, codes and
 * messages as the SDK either way.
 */
export function checkChunk(input: unknown, maxRecords: number, addon: NativeChunkAddon | null): ChunkCheck {
  const form = addon && typeof addon.validateChunk === "function" ? precheck(input, maxRecords) : null;
  if (!form) return checkChunkTs(input, maxRecords);
  const n = form.records.length;
  const rows = Buffer.alloc(ROW_IN * n);
  const nodeId = Buffer.from(form.nodeId, "hex");
  const publicKey = Buffer.from(form.publicKey, "hex");
  const signature = Buffer.from(form.signature, "hex");
  const urlHashes: string[] = [];
  form.records.forEach((r, i) => {
    const at = ROW_IN * i;
    const urlHash = createHash("sha256").update(r.url, "utf8").digest();
    urlHashes.push(urlHash.toString("hex"));
    rows.set(urlHash, at);
    rows.write(r.contentHash, at + 32, "hex");
    rows.writeBigUInt64LE(BigInt(r.timestamp), at + 64);
    rows.set(nodeId, at + 72);
    rows.set(publicKey, at + 104);
    rows.set(signature, at + 136);
  });
  const out = Buffer.alloc(HEAD_OUT + RECORD_OUT * n);
  const status = addon!.validateChunk!(rows, out);
  // Refused for its form (key, signature encoding, nodeId) or not checked: the SDK says why.
  if (status !== STATUS_VALID && status !== STATUS_BAD_SIGNATURE) return checkChunkTs(input, maxRecords);
  const records: ChunkRecordV1[] = [];
  const ids: string[] = [];
  form.records.forEach((r, i) => {
    const at = HEAD_OUT + RECORD_OUT * i;
    ids.push(out.toString("hex", at, at + 32));
    const path: string[] = [];
    for (let level = 0; level < CHUNK_LEVELS; level++) path.push(out.toString("hex", at + 32 + 32 * level, at + 64 + 32 * level));
    records.push({
      v: 1,
      url: r.url,
      timestamp: r.timestamp,
      contentHash: r.contentHash,
      nodeId: form.nodeId,
      publicKey: form.publicKey,
      chunk: { size: n, index: i, path, signature: form.signature },
    });
  });
  return { ok: true, chunk: { nodeId: BigInt(`0x${form.nodeId}`), records, ids, urlHashes, signatureValid: status === STATUS_VALID } };
}
