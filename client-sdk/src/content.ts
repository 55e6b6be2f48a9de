/**
 * The fetched content against its record: a record carries the SHA-256 of the bytes its node
 * fetched (`contentHash`), never the bytes, so only someone holding the bytes can check them.
 * `verifyBundle(bundle, { content })` does it as its last check, named `content` (as
 * `ots verify` and `rekor-cli verify --artifact` re-hash the artifact); `digestContent` and
 * `contentCheck` are the two halves, for callers that hash elsewhere.
 *
 * Content is hashed as a stream (`Blob`, `ReadableStream`, any async iterable of byte chunks:
 * a Node `fs.ReadStream` is one), so a file of any size is checked in bounded memory. In Node,
 * `sha256File` (`@provenance/client-sdk/node`) hashes a file with node:crypto, several times
 * faster than the JavaScript SHA-256 used here for streams; its digest can be passed as
 * `content` directly. Browser-safe: no Node-only imports.
 */
import { sha256 } from "@noble/hashes/sha2";
import type { AbortOptions } from "./abort.js";
import { ProvenanceError } from "./errors.js";

/** The SHA-256 of some content and its length. */
export interface ContentDigest {
  /** SHA-256, 64 lowercase hex. */
  sha256: string;
  /** Length in bytes. */
  bytes: number;
}

/** Bytes to hash: all at once, a Blob (a browser `File`), or a stream of chunks. */
export type ContentSource = Uint8Array | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** What `VerifyOptions.content` takes: bytes to hash, or a digest made elsewhere (`sha256File`), or its promise. */
export type ContentInput = ContentSource | ContentDigest | PromiseLike<ContentDigest>;

/** Blobs up to this size are read whole and hashed at once; larger ones are streamed. */
const WHOLE_BLOB_BYTES = 64 * 1024 * 1024;

function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function isDigest(x: unknown): x is ContentDigest {
  return typeof x === "object" && x !== null && typeof (x as ContentDigest).sha256 === "string" && typeof (x as ContentDigest).bytes === "number";
}

/** A digest given by a caller, checked for its form (INVALID_CONFIG otherwise). */
function checkedDigest(d: ContentDigest): ContentDigest {
  if (!/^[0-9a-f]{64}$/.test(d.sha256)) throw new ProvenanceError("INVALID_CONFIG", `content digest must be 64 lowercase hex characters, got ${JSON.stringify(String(d.sha256).slice(0, 80))}`);
  if (!Number.isSafeInteger(d.bytes) || d.bytes < 0) throw new ProvenanceError("INVALID_CONFIG", `content digest bytes must be a non-negative integer, got ${d.bytes}`);
  return { sha256: d.sha256, bytes: d.bytes };
}

async function* chunksOf(source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (Symbol.asyncIterator in source) {
    yield* source as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = (source as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * The SHA-256 and length of `source`. Bytes held whole (and Blobs up to 64 MiB, read whole) use
 * WebCrypto where the platform has it; streams and larger Blobs are hashed chunk by chunk. A stream that fails to read
 * rejects with its error; `signal` stops the reading.
 */
export async function digestContent(source: ContentInput, options: AbortOptions = {}): Promise<ContentDigest> {
  const signal = options.signal;
  signal?.throwIfAborted();
  if (isDigest(source)) return checkedDigest(source);
  if (typeof (source as PromiseLike<ContentDigest>).then === "function") return checkedDigest(await (source as PromiseLike<ContentDigest>));
  if (source instanceof Uint8Array) {
    const subtle = globalThis.crypto?.subtle;
    const digest = subtle ? new Uint8Array(await subtle.digest("SHA-256", source as Uint8Array<ArrayBuffer>)) : sha256(source);
    return { sha256: toHex(digest), bytes: source.length };
  }
  const isBlob = typeof Blob !== "undefined" && source instanceof Blob;
  // A Blob small enough to hold is hashed whole (WebCrypto is several times faster); a larger one as a stream.
  if (isBlob && source.size <= WHOLE_BLOB_BYTES) return digestContent(new Uint8Array(await source.arrayBuffer()), options);
  const stream = isBlob ? source.stream() : (source as ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>);
  if (!(Symbol.asyncIterator in stream) && typeof (stream as ReadableStream<Uint8Array>).getReader !== "function") {
    throw new ProvenanceError("INVALID_CONFIG", "content must be a Uint8Array, a Blob, a ReadableStream or an async iterable of Uint8Array chunks (or a { sha256, bytes } digest)");
  }
  const hash = sha256.create();
  let bytes = 0;
  for await (const chunk of chunksOf(stream)) {
    signal?.throwIfAborted();
    // A stream opened with an encoding yields strings: hash their UTF-8 bytes.
    const part = typeof (chunk as unknown) === "string" ? new TextEncoder().encode(chunk as unknown as string) : chunk;
    hash.update(part);
    bytes += part.length;
  }
  return { sha256: toHex(hash.digest()), bytes };
}

/** The outcome of comparing content with a record: the `content` check's detail, and the failure's message when it differs. */
export interface ContentComparison {
  ok: boolean;
  detail: string;
  digest: ContentDigest;
  /** The record's contentHash. */
  expected: string;
}

/**
 * Compares a content digest with a record's `contentHash` (64 hex). The failure's message has
 * both hashes: what the content hashes to and what the node signed.
 */
export function contentCheck(contentHash: string, digest: ContentDigest): ContentComparison {
  const d = checkedDigest(digest);
  if (d.sha256 === contentHash) return { ok: true, detail: `SHA-256 of the content (${d.bytes} bytes) is the record's contentHash ${contentHash}`, digest: d, expected: contentHash };
  return {
    ok: false,
    detail: `SHA-256 of the content (${d.bytes} bytes) is ${d.sha256}, but the record's contentHash is ${contentHash}: this is not the content the node signed`,
    digest: d,
    expected: contentHash,
  };
}
