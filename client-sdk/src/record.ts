/**
 * The provenance record (v1): parsing with exact errors, field encoding, message, node id and
 * leaf, exactly as docs/protocol.md#record fixes them. This is the one place that math lives; the sequencer,
 * the circuit tests and the Rust tests all check against it.
 */
import { sha256 as nobleSha256 } from "@noble/hashes/sha2";
import { fail, ProvenanceError } from "./errors.js";
import { bytesToBigIntBE, bytesToHex, describe, fieldToHex, hexToField, parseHex, poseidon } from "./field.js";
import {
  derivePublicKey,
  packPublicKey,
  packSignature,
  signPoseidon,
  unpackPublicKey,
  unpackSignature,
  verifyPoseidon,
  type Point,
  type PrivateKey,
  type Signature,
} from "./eddsa.js";
import { CHUNK_LEVELS, CHUNK_MAX, chunkDigestFromPath } from "./chunk.js";

export const RECORD_VERSION = 1;
export const MAX_URL_BYTES = 2048;

/** ASCII "provenance.record.v1" as a big-endian integer: separates record messages from any other use of the key. */
export const DOMAIN_RECORD_V1 = bytesToBigIntBE(new TextEncoder().encode("provenance.record.v1"));

/** A record as posted by a node (JSON). */
export interface RecordV1 {
  v: 1;
  url: string;
  timestamp: number;
  contentHash: string;
  nodeId: string;
  publicKey: string;
  signature: string;
}

/**
 * A record's place in the chunk its node signed (docs/circuit-v2.md): the chunk's size, the
 * record's index in it, the CHUNK_LEVELS siblings of its message in the chunk tree (leaf level
 * first, 64 hex each) and the chunk's signature (128 hex).
 */
export interface ChunkRef {
  size: number;
  index: number;
  path: string[];
  signature: string;
}

/** A record signed as part of a chunk: a v1 record with `chunk` in place of `signature`; same message, id and leaf. */
export interface ChunkRecordV1 {
  v: 1;
  url: string;
  timestamp: number;
  contentHash: string;
  nodeId: string;
  publicKey: string;
  chunk: ChunkRef;
}

/** Either form of a record: signed alone (v1) or as part of a chunk. */
export type AnyRecord = RecordV1 | ChunkRecordV1;

/** True for a chunk-signed record. */
export function isChunkRecord(record: AnyRecord): record is ChunkRecordV1 {
  return (record as ChunkRecordV1).chunk !== undefined;
}

/** A chunk-signed record's place in its chunk, decoded (`ParsedRecord.chunk`). */
export interface ParsedChunkRef {
  size: number;
  index: number;
  path: bigint[];
  /** The digest the chunk's signature is over, re-derived from this record's message and place. */
  digest: bigint;
}

/** A record after validation, with everything the protocol derives from it. */
export interface ParsedRecord {
  /** As posted: a v1 record, or a chunk-signed record (then `chunk` is set). */
  record: AnyRecord;
  urlHash: Uint8Array;
  contentHash: Uint8Array;
  timestamp: bigint;
  publicKey: Point;
  /** The record's own signature, or for a chunk-signed record the chunk's. */
  signature: Signature;
  /** Set for a chunk-signed record: its place in the chunk and the signed digest. */
  chunk?: ParsedChunkRef;
  nodeId: bigint;
  message: bigint;
  /** Poseidon(message, nodeId); also the record's id. */
  leaf: bigint;
}

const RECORD_FIELDS = ["v", "url", "timestamp", "contentHash", "nodeId", "publicKey", "signature"] as const;
const CHUNK_RECORD_FIELDS = ["v", "url", "timestamp", "contentHash", "nodeId", "publicKey", "chunk"] as const;
const CHUNK_REF_FIELDS = ["size", "index", "path", "signature"] as const;

const LOWER_HEX = /^[0-9a-f]*$/;
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE["0123456789abcdef".charCodeAt(i)] = i;

/** `parseHex`, with a table decoder for the well-formed case; malformed input gets `parseHex`'s own error. */
function recordHex(value: unknown, bytes: number, what: string): Uint8Array {
  if (typeof value !== "string" || value.length !== 2 * bytes || !LOWER_HEX.test(value)) return parseHex(value, bytes, what);
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (HEX_VALUE[value.charCodeAt(2 * i)]! << 4) | HEX_VALUE[value.charCodeAt(2 * i + 1)]!;
  return out;
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return nobleSha256(bytes);
}

/** Splits a 32-byte digest into two 128-bit big-endian halves (each fits the field). */
export function splitDigest(digest: Uint8Array): [bigint, bigint] {
  return [bytesToBigIntBE(digest.subarray(0, 16)), bytesToBigIntBE(digest.subarray(16, 32))];
}

/** Checks a URL: 1..2048 UTF-8 bytes, well-formed Unicode, no control characters. */
export function validateUrl(url: unknown): string {
  if (typeof url !== "string") fail("INVALID_URL", `url must be a string, got ${describe(url)}`);
  if (url.length === 0) fail("INVALID_URL", "url must not be empty");
  if (!url.isWellFormed()) fail("INVALID_URL", "url contains a lone UTF-16 surrogate (not valid Unicode)");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(url)) fail("INVALID_URL", "url contains a control character");
  const bytes = new TextEncoder().encode(url).length;
  if (bytes > MAX_URL_BYTES) fail("INVALID_URL", `url is ${bytes} bytes of UTF-8; the limit is ${MAX_URL_BYTES}`);
  return url;
}

export function validateTimestamp(timestamp: unknown): number {
  if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    fail(
      "INVALID_TIMESTAMP",
      `timestamp must be a non-negative safe integer (ms since epoch), got ${typeof timestamp === "number" ? timestamp : describe(timestamp)}`,
    );
  }
  return timestamp;
}

/** message = Poseidon(DOMAIN_RECORD_V1, urlHi, urlLo, contentHi, contentLo, timestamp). */
export function recordMessage(urlHash: Uint8Array, contentHash: Uint8Array, timestamp: bigint): bigint {
  const [urlHi, urlLo] = splitDigest(urlHash);
  const [contentHi, contentLo] = splitDigest(contentHash);
  return poseidon([DOMAIN_RECORD_V1, urlHi, urlLo, contentHi, contentLo, timestamp]);
}

/** nodeId = Poseidon(Ax, Ay). */
export function computeNodeId(publicKey: Point): bigint {
  return poseidon([publicKey.x, publicKey.y]);
}

/** leaf = Poseidon(message, nodeId). */
export function recordLeaf(message: bigint, nodeId: bigint): bigint {
  return poseidon([message, nodeId]);
}

/** A record that passed `parseRecord`'s checks that need no curve arithmetic or hashing. */
export interface RecordFormat {
  /** The record with exactly the seven fields, in order, as posted. */
  record: RecordV1;
  contentHash: Uint8Array;
  /** `nodeId` as posted (32 bytes, big-endian; not yet compared with the key's hash). */
  nodeId: Uint8Array;
  /** `publicKey` as posted (32 bytes, not yet decoded). */
  publicKey: Uint8Array;
  /** `signature` as posted (64 bytes, not yet decoded). */
  signature: Uint8Array;
}

/**
 * The first half of `parseRecord`, in its order and with its exact errors: exact field set,
 * version, URL, timestamp, hex lengths. What is left (key and signature decoding, nodeId =
 * Poseidon(publicKey), message, leaf) needs curve arithmetic and hashes; `parseRecord` does
 * it, and so does the native batch validator behind the Node worker pool.
 */
export function checkRecordFormat(input: unknown): RecordFormat {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    fail("INVALID_RECORD", `record must be a JSON object, got ${describe(input)}`);
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(RECORD_FIELDS as readonly string[]).includes(key)) fail("INVALID_RECORD", `record has unknown field "${key}"`);
  }
  for (const key of RECORD_FIELDS) {
    if (!(key in o)) fail("INVALID_RECORD", `record is missing field "${key}"`);
  }
  if (o.v !== RECORD_VERSION) fail("INVALID_VERSION", `unknown record version ${JSON.stringify(o.v)}; expected 1`);
  const url = validateUrl(o.url);
  const timestamp = validateTimestamp(o.timestamp);
  const contentHash = recordHex(o.contentHash, 32, "contentHash");
  const nodeId = recordHex(o.nodeId, 32, "nodeId");
  const publicKey = recordHex(o.publicKey, 32, "publicKey");
  const signature = recordHex(o.signature, 64, "signature");
  const record: RecordV1 = {
    v: 1,
    url,
    timestamp,
    contentHash: o.contentHash as string,
    nodeId: o.nodeId as string,
    publicKey: o.publicKey as string,
    signature: o.signature as string,
  };
  return { record, contentHash, nodeId, publicKey, signature };
}

// nodeId = Poseidon(A) per packed public key (canonical lowercase hex, a key that decoded):
// a node signs thousands of records with one key.
const NODE_ID_CACHE_LIMIT = 4096;
const nodeIds = new Map<string, bigint>();

function nodeIdOf(publicKeyHex: string, publicKey: Point): bigint {
  const hit = nodeIds.get(publicKeyHex);
  if (hit !== undefined) return hit;
  const nodeId = computeNodeId(publicKey);
  if (nodeIds.size >= NODE_ID_CACHE_LIMIT) nodeIds.delete(nodeIds.keys().next().value!);
  nodeIds.set(publicKeyHex, nodeId);
  return nodeId;
}

/**
 * Validates the format of a record and derives its fields. Checks everything except the
 * signature equation (see `verifyRecordSignature` / `validateRecord`): exact field set, version,
 * URL, timestamp, hex lengths, canonical key and signature encodings, and that `nodeId` is the
 * hash of `publicKey`.
 */
export function parseRecord(input: unknown): ParsedRecord {
  if (typeof input === "object" && input !== null && !Array.isArray(input) && "chunk" in input) return parseChunkRecord(input);
  const f = checkRecordFormat(input);
  return deriveRecord(f, f.record);
}

/**
 * What both record forms derive once their format checked: the key and signature decoded, the
 * node id checked against the key, the message and the leaf.
 */
function deriveRecord(f: RecordFormat, record: AnyRecord): ParsedRecord {
  const publicKey = unpackPublicKey(f.publicKey);
  const signature = unpackSignature(f.signature);
  const nodeId = nodeIdOf(record.publicKey, publicKey);
  if (bytesToBigIntBE(f.nodeId) !== nodeId) {
    fail("INVALID_RECORD", "nodeId is not Poseidon(publicKey): it must be derived from the record's own key");
  }
  const urlHash = sha256(new TextEncoder().encode(record.url));
  const timestamp = BigInt(record.timestamp);
  const message = recordMessage(urlHash, f.contentHash, timestamp);
  return {
    record,
    urlHash,
    contentHash: f.contentHash,
    timestamp,
    publicKey,
    signature,
    nodeId,
    message,
    leaf: recordLeaf(message, nodeId),
  };
}

/** A chunk-signed record that passed `parseChunkRecord`'s checks that need no curve arithmetic or hashing. */
export interface ChunkRecordFormat {
  /** The record's fields checked as a v1 record's (its `signature` is the chunk's). */
  format: RecordFormat;
  /** The record with exactly its seven fields, in order, as posted. */
  record: ChunkRecordV1;
  size: number;
  index: number;
  /** `chunk.path` decoded (field elements, leaf level first). */
  path: bigint[];
}

/**
 * The first half of `parseChunkRecord`, in its order and with its exact errors: exact field
 * set, the chunk reference's form (size 1..CHUNK_MAX, index inside it, CHUNK_LEVELS siblings
 * that are field elements), then the v1 checks of every other field (`checkRecordFormat`, with
 * the chunk's signature in place of the record's). What is left (key and signature decoding,
 * nodeId, message, leaf, digest) needs curve arithmetic and hashes.
 */
export function checkChunkRecordFormat(input: unknown): ChunkRecordFormat {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    fail("INVALID_RECORD", `record must be a JSON object, got ${describe(input)}`);
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(CHUNK_RECORD_FIELDS as readonly string[]).includes(key)) {
      fail("INVALID_RECORD", key === "signature" ? 'a chunk-signed record has "chunk" instead of "signature", not both' : `record has unknown field "${key}"`);
    }
  }
  const c = o.chunk;
  if (typeof c !== "object" || c === null || Array.isArray(c)) fail("INVALID_CHUNK", `chunk must be a JSON object, got ${describe(c)}`);
  const ref = c as Record<string, unknown>;
  for (const key of Object.keys(ref)) {
    if (!(CHUNK_REF_FIELDS as readonly string[]).includes(key)) fail("INVALID_CHUNK", `chunk has unknown field "${key}"`);
  }
  for (const key of CHUNK_REF_FIELDS) if (!(key in ref)) fail("INVALID_CHUNK", `chunk is missing field "${key}"`);
  const size = ref.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 1 || size > CHUNK_MAX) {
    fail("INVALID_CHUNK", `chunk.size must be an integer in 1..${CHUNK_MAX}, got ${describe(size)}`);
  }
  const index = ref.index;
  if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0 || index >= size) {
    fail("INVALID_CHUNK", `chunk.index must be an integer in 0..${size - 1} (the chunk has ${size} records), got ${describe(index)}`);
  }
  if (!Array.isArray(ref.path) || ref.path.length !== CHUNK_LEVELS) {
    fail("INVALID_CHUNK", `chunk.path must be an array of ${CHUNK_LEVELS} siblings (64 hex each)`);
  }
  const path = (ref.path as unknown[]).map((h, i) => hexToField(h, `chunk.path[${i}]`));
  // The v1 checks of every other field, in their order and with their errors.
  const rest: Record<string, unknown> = { ...o, signature: ref.signature };
  delete rest.chunk;
  const f = checkRecordFormat(rest);
  const record: ChunkRecordV1 = {
    v: 1,
    url: f.record.url,
    timestamp: f.record.timestamp,
    contentHash: f.record.contentHash,
    nodeId: f.record.nodeId,
    publicKey: f.record.publicKey,
    chunk: { size, index, path: (ref.path as string[]).slice(), signature: ref.signature as string },
  };
  return { format: f, record, size, index, path };
}

/**
 * Parses a chunk-signed record (`ChunkRecordV1`) with the checks of `parseRecord` and its
 * chunk reference's format (`checkChunkRecordFormat`); derives the digest the chunk signature
 * must be over. The signature itself is checked by `verifyRecordSignature`.
 */
export function parseChunkRecord(input: unknown): ParsedRecord {
  const { format, record, size, index, path } = checkChunkRecordFormat(input);
  const parsed = deriveRecord(format, record);
  return { ...parsed, chunk: { size, index, path, digest: chunkDigestFromPath(parsed.message, size, index, path) } };
}

/** Checks a record's signature: its own over its message, or its chunk's over the digest re-derived from its place in the chunk. */
export function verifyRecordSignature(parsed: ParsedRecord): boolean {
  return verifyPoseidon(parsed.chunk ? parsed.chunk.digest : parsed.message, parsed.signature, parsed.publicKey);
}

/** parseRecord + signature check: throws BAD_SIGNATURE if the signature does not verify. */
export function validateRecord(input: unknown): ParsedRecord {
  const parsed = parseRecord(input);
  if (!verifyRecordSignature(parsed)) {
    throw new ProvenanceError(
      "BAD_SIGNATURE",
      parsed.chunk
        ? `the chunk signature does not verify for this record at index ${parsed.chunk.index} of a chunk of ${parsed.chunk.size} (another chunk's signature or path, a moved record, or a forgery)`
        : "signature does not verify for this record and publicKey",
    );
  }
  return parsed;
}

/** What a node observed: the inputs to a record before signing. */
export interface Observation {
  url: string;
  timestamp: number;
  /** SHA-256 of the fetched bytes: 64 hex chars or 32 bytes. */
  contentHash: string | Uint8Array;
}

/** Builds and signs a record with a node's private key. */
export function signRecord(observation: Observation, privateKey: PrivateKey): RecordV1 {
  const url = validateUrl(observation.url);
  const timestamp = validateTimestamp(observation.timestamp);
  const contentHash =
    typeof observation.contentHash === "string"
      ? parseHex(observation.contentHash, 32, "contentHash")
      : observation.contentHash;
  if (!(contentHash instanceof Uint8Array) || contentHash.length !== 32) {
    fail("INVALID_HEX", "contentHash must be 32 bytes");
  }
  const publicKey = derivePublicKey(privateKey);
  const message = recordMessage(sha256(new TextEncoder().encode(url)), contentHash, BigInt(timestamp));
  const signature = signPoseidon(privateKey, message);
  return {
    v: 1,
    url,
    timestamp,
    contentHash: bytesToHex(contentHash),
    nodeId: fieldToHex(computeNodeId(publicKey)),
    publicKey: bytesToHex(packPublicKey(publicKey)),
    signature: bytesToHex(packSignature(signature)),
  };
}

/** The record's id (its leaf) in the protocol's hex form. */
export function recordId(parsed: ParsedRecord): string {
  return fieldToHex(parsed.leaf);
}
