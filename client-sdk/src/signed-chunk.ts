/**
 * The chunk submission form (docs/protocol.md#chunks, `POST /v1/chunks`): a node's records,
 * signed once. Parsing is strict and total: every malformed, oversized, repeated or mixed input
 * is refused with a precise message before anything is derived from it, so the sequencer can
 * refuse a chunk whole and store nothing.
 *
 *   { "v": 1, "nodeId": "<64 hex>", "publicKey": "<64 hex>", "signature": "<128 hex>",
 *     "records": [ { "url": "…", "timestamp": 1764590400000, "contentHash": "<64 hex>" }, … ] }
 *
 * Browser-safe: no Node-only imports.
 */
import { fail, ProvenanceError } from "./errors.js";
import { bytesToBigIntBE, bytesToHex, describe, fieldToHex, parseHex } from "./field.js";
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
import { CHUNK_MAX, chunkDigestFromRoot, chunkTree } from "./chunk.js";
import {
  computeNodeId,
  recordLeaf,
  recordMessage,
  sha256,
  validateTimestamp,
  validateUrl,
  type ChunkRecordV1,
  type Observation,
  type ParsedRecord,
} from "./record.js";

/** One record of a chunk, as posted: what the node observed. */
export interface ChunkObservation {
  url: string;
  timestamp: number;
  contentHash: string;
}

/** A signed chunk, as posted to `POST /v1/chunks`. */
export interface SignedChunkV1 {
  v: 1;
  nodeId: string;
  publicKey: string;
  signature: string;
  records: ChunkObservation[];
}

/** A chunk after `parseChunk`: the node, the digest it must have signed, and each record as it is stored. */
export interface ParsedChunk {
  chunk: SignedChunkV1;
  publicKey: Point;
  nodeId: bigint;
  signature: Signature;
  /** Poseidon(DOMAIN_CHUNK_V1, n, chunkRoot): what `signature` must be over. */
  digest: bigint;
  /** The records in chunk order, each a chunk-signed record (`record.chunk` set) with its id. */
  records: ParsedRecord[];
}

const CHUNK_FIELDS = ["v", "nodeId", "publicKey", "signature", "records"] as const;
const OBSERVATION_FIELDS = ["url", "timestamp", "contentHash"] as const;

export interface ParseChunkOptions {
  /** The deployment's chunk size (at most CHUNK_MAX): a larger chunk is refused with CHUNK_TOO_LARGE. */
  maxRecords?: number;
}

/**
 * Parses a chunk submission: exact fields, version, the node's key and id, 1..maxRecords
 * records each with exactly url/timestamp/contentHash (a record naming a node is refused as
 * MIXED_NODES when the node differs, INVALID_CHUNK otherwise), no record twice
 * (DUPLICATE_IN_CHUNK), and derives messages, the chunk tree, digest, ids and per-record chunk
 * references. Does not check the signature (`validateChunk` does).
 */
export function parseChunk(input: unknown, options: ParseChunkOptions = {}): ParsedChunk {
  const limit = options.maxRecords ?? CHUNK_MAX;
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    fail("INVALID_CHUNK", `a chunk must be a JSON object, got ${describe(input)}`);
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(CHUNK_FIELDS as readonly string[]).includes(key)) fail("INVALID_CHUNK", `chunk has unknown field "${key}"`);
  }
  for (const key of CHUNK_FIELDS) if (!(key in o)) fail("INVALID_CHUNK", `chunk is missing field "${key}"`);
  if (o.v !== 1) fail("INVALID_VERSION", `unknown chunk version ${JSON.stringify(o.v)}; expected 1`);
  const nodeIdBytes = parseHex(o.nodeId, 32, "nodeId");
  const publicKeyBytes = parseHex(o.publicKey, 32, "publicKey");
  const signatureBytes = parseHex(o.signature, 64, "signature");
  if (!Array.isArray(o.records)) fail("INVALID_CHUNK", `chunk.records must be an array, got ${describe(o.records)}`);
  const list = o.records as unknown[];
  if (list.length === 0) fail("INVALID_CHUNK", "chunk.records is empty: a chunk holds at least one record");
  if (list.length > limit) {
    fail(
      "CHUNK_TOO_LARGE",
      limit < CHUNK_MAX
        ? `chunk has ${list.length} records; this deployment's chunk size is ${limit}`
        : `chunk has ${list.length} records; a chunk holds at most ${CHUNK_MAX}`,
    );
  }
  const publicKey = unpackPublicKey(publicKeyBytes);
  const signature = unpackSignature(signatureBytes);
  const nodeId = computeNodeId(publicKey);
  if (bytesToBigIntBE(nodeIdBytes) !== nodeId) {
    fail("INVALID_RECORD", "nodeId is not Poseidon(publicKey): it must be derived from the chunk's own key");
  }
  const nodeIdHex = o.nodeId as string;
  const publicKeyHex = o.publicKey as string;

  const observations: ChunkObservation[] = [];
  const derived: { urlHash: Uint8Array; contentHash: Uint8Array; timestamp: bigint; message: bigint }[] = [];
  const seen = new Map<bigint, number>();
  list.forEach((item, i) => {
    const at = `chunk.records[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) fail("INVALID_CHUNK", `${at} must be a JSON object, got ${describe(item)}`);
    const r = item as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if ((key === "nodeId" || key === "publicKey") && r[key] !== (key === "nodeId" ? nodeIdHex : publicKeyHex)) {
        fail("MIXED_NODES", `${at} names another node (${key} ${describe(r[key])}): every record of a chunk is its signer's`);
      }
      if (!(OBSERVATION_FIELDS as readonly string[]).includes(key)) {
        fail("INVALID_CHUNK", `${at} has unknown field "${key}" (a chunk's record is only url, timestamp and contentHash)`);
      }
    }
    for (const key of OBSERVATION_FIELDS) if (!(key in r)) fail("INVALID_CHUNK", `${at} is missing field "${key}"`);
    let url: string, timestamp: number, contentHash: Uint8Array;
    try {
      url = validateUrl(r.url);
      timestamp = validateTimestamp(r.timestamp);
      contentHash = parseHex(r.contentHash, 32, "contentHash");
    } catch (e) {
      if (e instanceof ProvenanceError) throw new ProvenanceError(e.code, `${at}: ${e.message}`);
      throw e;
    }
    const urlHash = sha256(new TextEncoder().encode(url));
    const message = recordMessage(urlHash, contentHash, BigInt(timestamp));
    const first = seen.get(message);
    if (first !== undefined) fail("DUPLICATE_IN_CHUNK", `chunk.records[${first}] and [${i}] are the same record (same url, timestamp and content)`);
    seen.set(message, i);
    observations.push({ url, timestamp, contentHash: r.contentHash as string });
    derived.push({ urlHash, contentHash, timestamp: BigInt(timestamp), message });
  });

  const messages = derived.map((d) => d.message);
  const tree = chunkTree(messages);
  const digest = chunkDigestFromRoot(messages.length, tree.root);
  const signatureHex = o.signature as string;
  const records = derived.map((d, i): ParsedRecord => {
    const path = tree.proof(i).siblings;
    const record: ChunkRecordV1 = {
      v: 1,
      url: observations[i]!.url,
      timestamp: observations[i]!.timestamp,
      contentHash: observations[i]!.contentHash,
      nodeId: nodeIdHex,
      publicKey: publicKeyHex,
      chunk: { size: messages.length, index: i, path: path.map(fieldToHex), signature: signatureHex },
    };
    return {
      record,
      urlHash: d.urlHash,
      contentHash: d.contentHash,
      timestamp: d.timestamp,
      publicKey,
      signature,
      chunk: { size: messages.length, index: i, path, digest },
      nodeId,
      message: d.message,
      leaf: recordLeaf(d.message, nodeId),
    };
  });
  return {
    chunk: { v: 1, nodeId: nodeIdHex, publicKey: publicKeyHex, signature: signatureHex, records: observations },
    publicKey,
    nodeId,
    signature,
    digest,
    records,
  };
}

/** True if the chunk's signature is over its digest under its key. */
export function verifyChunkSignature(parsed: ParsedChunk): boolean {
  return verifyPoseidon(parsed.digest, parsed.signature, parsed.publicKey);
}

/** `parseChunk` + the signature check: BAD_SIGNATURE if the chunk signature does not verify. */
export function validateChunk(input: unknown, options: ParseChunkOptions = {}): ParsedChunk {
  const parsed = parseChunk(input, options);
  if (!verifyChunkSignature(parsed)) {
    throw new ProvenanceError(
      "BAD_SIGNATURE",
      `the chunk signature does not verify over these ${parsed.records.length} records with this publicKey (records changed, reordered, added or removed after signing, or another key)`,
    );
  }
  return parsed;
}

/** Signs observations (1..CHUNK_MAX, in this order) as one chunk with a node's private key. */
export function signChunk(observations: readonly Observation[], privateKey: PrivateKey): SignedChunkV1 {
  if (!Array.isArray(observations) || observations.length === 0) fail("INVALID_CHUNK", "a chunk needs at least one observation");
  if (observations.length > CHUNK_MAX) fail("CHUNK_TOO_LARGE", `a chunk holds at most ${CHUNK_MAX} records, got ${observations.length}`);
  const records: ChunkObservation[] = observations.map((ob, i) => {
    try {
      const url = validateUrl(ob.url);
      const timestamp = validateTimestamp(ob.timestamp);
      const contentHash = typeof ob.contentHash === "string" ? parseHex(ob.contentHash, 32, "contentHash") : ob.contentHash;
      if (!(contentHash instanceof Uint8Array) || contentHash.length !== 32) fail("INVALID_HEX", "contentHash must be 32 bytes");
      return { url, timestamp, contentHash: bytesToHex(contentHash) };
    } catch (e) {
      if (e instanceof ProvenanceError) throw new ProvenanceError(e.code, `observation ${i}: ${e.message}`);
      throw e;
    }
  });
  const publicKey = derivePublicKey(privateKey);
  const messages = records.map((r) =>
    recordMessage(sha256(new TextEncoder().encode(r.url)), parseHex(r.contentHash, 32, "contentHash"), BigInt(r.timestamp)),
  );
  const seen = new Map<bigint, number>();
  messages.forEach((m, i) => {
    const first = seen.get(m);
    if (first !== undefined) fail("DUPLICATE_IN_CHUNK", `observations ${first} and ${i} are the same record (same url, timestamp and content)`);
    seen.set(m, i);
  });
  const digest = chunkDigestFromRoot(messages.length, chunkTree(messages).root);
  return {
    v: 1,
    nodeId: fieldToHex(computeNodeId(publicKey)),
    publicKey: bytesToHex(packPublicKey(publicKey)),
    signature: bytesToHex(packSignature(signPoseidon(privateKey, digest))),
    records,
  };
}
