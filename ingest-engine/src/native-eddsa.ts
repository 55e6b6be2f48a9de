/**
 * The optional native EdDSA-Poseidon verifier (ingest-engine/native), for Node only. It is
 * loaded when `scripts/build-native.ts` has built it and it passes a self-check against
 * the TypeScript verifier; otherwise every function here falls back to `verifyPacked` and
 * `parseRecord`, with identical verdicts. Set PROVENANCE_EDDSA_NATIVE=0 to never load it.
 */
import { createRequire } from "node:module";
import { workerData } from "node:worker_threads";
import { PublicKey, derivePublicKey, packPublicKey, packSignature, signPoseidon, verifyPacked, verifyPoseidon } from "@provenance/client-sdk/eddsa";
import { ProvenanceError, type ErrorCode } from "@provenance/client-sdk/errors";
import { FIELD_MODULUS } from "@provenance/client-sdk/field";
import { FixedMerkleTree } from "@provenance/client-sdk/merkle";
import { checkRecordFormat, parseRecord, sha256, signRecord } from "@provenance/client-sdk/record";
import { signChunk } from "@provenance/client-sdk/signed-chunk";
import { checkChunk, checkChunkTs, type ChunkCheck } from "./chunk-check.js";
import { nativeAddonPath } from "./native-path.js";

export interface NativeAddon {
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
  /** Writes one byte per job into `results`; returns the number of jobs. */
  verifyBatch(messages: Uint8Array, signatures: Uint8Array, publicKeys: Uint8Array, results: Uint8Array): number;
  /** Records as NATIVE_RECORD_IN-byte rows in, NATIVE_RECORD_OUT-byte rows out (see lib.rs);
   * missing from addons built before it existed. */
  validateRecords?(records: Uint8Array, results: Uint8Array): number;
  /** Root of a zero-padded Poseidon tree; leaves and root 32 bytes little-endian each.
   * Missing from addons built before it existed. */
  merkleRoot?(levels: number, leaves: Uint8Array, out: Uint8Array): boolean;
  /** One signed chunk (lib.rs `validate_chunk`, see chunk-check.ts); missing from addons built before it existed. */
  validateChunk?(rows: Uint8Array, results: Uint8Array): number;
  /** One bundle's record (lib.rs `check_bundle_record`, see bundle-math.ts); missing from addons built before it existed. */
  checkBundleRecord?(row: Uint8Array, out: Uint8Array): number;
  /** An inclusion path's root (lib.rs `path_root`); missing from addons built before it existed. */
  pathRoot?(leaf: Uint8Array, index: number, siblings: Uint8Array, out: Uint8Array): boolean;
}

const NATIVE_RECORD_IN = 200;
const NATIVE_RECORD_OUT = 65;

function messageBytes(message: bigint, out: Buffer, offset: number): void {
  out.writeBigUInt64LE(BigInt.asUintN(64, message), offset);
  out.writeBigUInt64LE(BigInt.asUintN(64, message >> 64n), offset + 8);
  out.writeBigUInt64LE(BigInt.asUintN(64, message >> 128n), offset + 16);
  out.writeBigUInt64LE(BigInt.asUintN(64, message >> 192n), offset + 24);
}

function isFieldElement(m: unknown): m is bigint {
  return typeof m === "bigint" && m >= 0n && m < FIELD_MODULUS;
}

/** A valid signature, the same one altered, and a small-order key: the addon must agree. */
function selfCheck(addon: NativeAddon): boolean {
  const priv = new Uint8Array(32).fill(42);
  const message = 123456789n;
  const sig = Buffer.from(packSignature(signPoseidon(priv, message)));
  const key = Buffer.from(packPublicKey(derivePublicKey(priv)));
  const m = Buffer.alloc(32);
  messageBytes(message, m, 0);
  const bad = Buffer.from(sig);
  bad[40] = bad[40]! ^ 1;
  const zeroKey = Buffer.alloc(32); // y = 0: a point of order 4
  const results = Buffer.alloc(2);
  const n = addon.verifyBatch(Buffer.concat([m, m]), Buffer.concat([sig, bad]), Buffer.concat([key, key]), results);
  return (
    addon.verify(m, sig, key) === true &&
    addon.verify(m, bad, key) === false &&
    addon.verify(m, sig, zeroKey) === false &&
    n === 2 &&
    results[0] === 1 &&
    results[1] === 0 &&
    verifyPacked(message, sig, key) === true
  );
}

/** A record validated natively gives parseRecord's leaf and nodeId, and refuses a forgery. */
function recordSelfCheck(addon: NativeAddon): boolean {
  if (typeof addon.validateRecords !== "function") return true; // an older build: records use the TS path
  const priv = new Uint8Array(32).fill(7);
  const good = signRecord({ url: "https://example.com/self-check", timestamp: 1764300000000, contentHash: new Uint8Array(32).fill(3) }, priv);
  const forged = { ...good, timestamp: good.timestamp + 1 };
  const rows = Buffer.alloc(2 * NATIVE_RECORD_IN);
  packNativeRecord(checkRecordFormat(good), rows, 0);
  packNativeRecord(checkRecordFormat(forged), rows, NATIVE_RECORD_IN);
  const out = Buffer.alloc(2 * NATIVE_RECORD_OUT);
  const n = addon.validateRecords(rows, out);
  const parsed = parseRecord(good);
  return (
    n === 2 &&
    out[0] === 1 &&
    out.toString("hex", 1, 33) === parsed.leaf.toString(16).padStart(64, "0") &&
    out.toString("hex", 33, 65) === good.nodeId &&
    out[NATIVE_RECORD_OUT] === 2
  );
}

/** A chunk validated natively gives the SDK's records, ids and paths, and a forgery is found bad. */
function chunkSelfCheck(addon: NativeAddon): boolean {
  if (typeof addon.validateChunk !== "function") return true; // an older build: chunks use the TS path
  const priv = new Uint8Array(32).fill(9);
  const observations = [0, 1, 2].map((i) => ({ url: `https://example.com/chunk-self-check/${i}`, timestamp: 1764300000000 + i, contentHash: "ab".repeat(32) }));
  const good = signChunk(observations, priv);
  const forged = { ...good, records: good.records.map((r, i) => (i === 1 ? { ...r, timestamp: r.timestamp + 1 } : r)) };
  const native = checkChunk(good, 16, addon);
  const reference = checkChunkTs(good, 16);
  const bad = checkChunk(forged, 16, addon);
  const same = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return native.ok && reference.ok && native.chunk.signatureValid && same(native.chunk) === same(reference.chunk) && bad.ok && !bad.chunk.signatureValid;
}

function load(): { addon: NativeAddon | null; reason: string } {
  if (process.env["PROVENANCE_EDDSA_NATIVE"] === "0") return { addon: null, reason: "disabled by PROVENANCE_EDDSA_NATIVE=0" };
  try {
    // In a pool worker this module runs from a bundle (a data: URL), so the addon's path
    // comes from the pool; on the main thread it is found beside the sources.
    const given = (workerData as { addonPath?: unknown } | null)?.addonPath;
    const path = typeof given === "string" ? given : nativeAddonPath();
    const addon = createRequire(path)(path) as NativeAddon;
    if (!selfCheck(addon) || !recordSelfCheck(addon) || !chunkSelfCheck(addon)) return { addon: null, reason: "the addon failed its self-check" };
    return { addon, reason: "loaded" };
  } catch (err) {
    return { addon: null, reason: `not built or not loadable (${(err as Error).message.split("\n")[0]})` };
  }
}

/**
 * `PROVENANCE_REQUIRE_NATIVE=1` (CI sets it): an addon that is missing or fails its self-check
 * is an error at load, not a silent fallback to WebAssembly, so its tests cannot skip unseen.
 */
export const NATIVE_REQUIRED = process.env["PROVENANCE_REQUIRE_NATIVE"] === "1";

const loaded = load();
if (NATIVE_REQUIRED && loaded.addon === null) {
  throw new Error(
    `PROVENANCE_REQUIRE_NATIVE=1, but the native addon is ${loaded.reason}: build it with \`npx tsx scripts/build-native.ts ingest\` ` +
      "(needs cargo), or unset PROVENANCE_REQUIRE_NATIVE to fall back to the WebAssembly verifier",
  );
}

function leBytesToField(buf: Buffer, offset: number): bigint {
  return (
    buf.readBigUInt64LE(offset) |
    (buf.readBigUInt64LE(offset + 8) << 64n) |
    (buf.readBigUInt64LE(offset + 16) << 128n) |
    (buf.readBigUInt64LE(offset + 24) << 192n)
  );
}

function nativeRoot(addon: NativeAddon, levels: number, leaves: readonly bigint[]): bigint | null {
  const rows = Buffer.alloc(32 * leaves.length);
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]!;
    if (!isFieldElement(leaf)) return null;
    messageBytes(leaf, rows, 32 * i);
  }
  const out = Buffer.alloc(32);
  return addon.merkleRoot!(levels, rows, out) ? leBytesToField(out, 0) : null;
}

/** The addon's Merkle root agrees with FixedMerkleTree on a few shapes (else it is not used). */
const merkleAddon: NativeAddon | null = (() => {
  const addon = loaded.addon;
  if (addon === null || typeof addon.merkleRoot !== "function") return null;
  try {
    const leaves = [1n, 2n, FIELD_MODULUS - 1n, 123456789n, 5n];
    for (const [levels, n] of [[1, 0], [1, 2], [3, 5], [4, 3]] as const) {
      if (nativeRoot(addon, levels, leaves.slice(0, n)) !== new FixedMerkleTree(levels, leaves.slice(0, n)).root) return null;
    }
    return addon;
  } catch {
    return null;
  }
})();

/**
 * The root of `new FixedMerkleTree(levels, leaves)`, computed natively (~10× faster than the
 * WebAssembly Poseidon) when the addon is loaded; otherwise, or for input the addon refuses,
 * by `FixedMerkleTree` itself (which throws the SDK's errors for bad input).
 */
export function merkleRootFast(levels: number, leaves: readonly bigint[]): bigint {
  if (merkleAddon !== null) {
    const root = nativeRoot(merkleAddon, levels, leaves);
    if (root !== null) return root;
  }
  return new FixedMerkleTree(levels, leaves).root;
}

/** Whether `merkleRootFast` runs natively. */
export const nativeMerkle: boolean = merkleAddon !== null;

/** Whether verification here runs natively, and why not if it does not; `records`: whether
 * the addon also validates whole records (`checkRecordBatch`). */
export const nativeEddsa: { readonly available: boolean; readonly records: boolean; readonly chunks: boolean; readonly reason: string } = Object.freeze({
  available: loaded.addon !== null,
  records: typeof loaded.addon?.validateRecords === "function",
  chunks: typeof loaded.addon?.validateChunk === "function",
  reason: loaded.reason,
});

/** The loaded addon (for bundle-math.ts, which self-checks what it uses), or null. */
export function loadedAddon(): NativeAddon | null {
  return loaded.addon;
}

/** `verifyPacked`, natively when the addon is loaded. Same verdicts, never throws. */
export function verifyPackedNative(message: bigint, signature: Uint8Array, publicKey: Uint8Array): boolean {
  const addon = loaded.addon;
  if (addon === null) return verifyPacked(message, signature, publicKey);
  if (!isFieldElement(message)) return false;
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  const m = Buffer.alloc(32);
  messageBytes(message, m, 0);
  try {
    return addon.verify(m, Buffer.from(signature.buffer, signature.byteOffset, 64), Buffer.from(publicKey.buffer, publicKey.byteOffset, 32));
  } catch {
    return false;
  }
}

/**
 * Verifies n jobs given as concatenated bytes (64 per signature, 32 per key) and messages
 * already checked to be field elements; returns one byte per job (1 = valid).
 */
export function verifyPackedBatch(messages: readonly bigint[], signatures: Uint8Array, publicKeys: Uint8Array): Uint8Array {
  const n = messages.length;
  const addon = loaded.addon;
  if (addon !== null) {
    const m = Buffer.alloc(32 * n);
    for (let i = 0; i < n; i++) messageBytes(messages[i]!, m, 32 * i);
    const out = Buffer.alloc(n);
    try {
      addon.verifyBatch(
        m,
        Buffer.from(signatures.buffer, signatures.byteOffset, 64 * n),
        Buffer.from(publicKeys.buffer, publicKeys.byteOffset, 32 * n),
        out,
      );
      return new Uint8Array(out.buffer, out.byteOffset, n);
    } catch {
      // fall through to the WebAssembly verifier
    }
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = verifyPacked(messages[i]!, signatures.subarray(64 * i, 64 * i + 64), publicKeys.subarray(32 * i, 32 * i + 32)) ? 1 : 0;
  }
  return out;
}

// --- records ------------------------------------------------------------------------------

/** Bytes per record in `checkRecordBatch`'s results: status, leaf (the id), nodeId, SHA-256(url). */
export const RECORD_RESULT_BYTES = 97;
/** Result status: well formed and validly signed. */
export const RECORD_VALID = 1;
/** Result status: well formed (everything `parseRecord` checks holds); the signature does not verify. */
export const RECORD_BAD_SIGNATURE = 2;

/** The first record of a batch that `parseRecord` refuses, with its exact code and message. */
export interface RecordBatchError {
  index: number;
  code: ErrorCode;
  message: string;
}

function packNativeRecord(f: ReturnType<typeof checkRecordFormat>, rows: Buffer, at: number): Uint8Array {
  const urlHash = sha256(new TextEncoder().encode(f.record.url));
  rows.set(urlHash, at);
  rows.set(f.contentHash, at + 32);
  rows.writeBigUInt64LE(BigInt(f.record.timestamp), at + 64);
  rows.set(f.nodeId, at + 72);
  rows.set(f.publicKey, at + 104);
  rows.set(f.signature, at + 136);
  return urlHash;
}

function putField(out: Uint8Array, at: number, x: bigint): void {
  let v = x;
  for (let i = 31; i >= 0; i--) {
    out[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function refusal(err: unknown, index: number): RecordBatchError {
  if (err instanceof ProvenanceError) return { index, code: err.code, message: err.message };
  throw err;
}

/** The reference path for one record: parseRecord, then the signature. Throws parseRecord's error. */
function checkOneTs(input: unknown, results: Uint8Array, i: number): void {
  const p = parseRecord(input);
  const valid = verifyPoseidon(p.message, p.signature, PublicKey.fromHex(p.record.publicKey));
  const at = RECORD_RESULT_BYTES * i;
  results[at] = valid ? RECORD_VALID : RECORD_BAD_SIGNATURE;
  putField(results, at + 1, p.leaf);
  putField(results, at + 33, p.nodeId);
  results.set(p.urlHash, at + 65);
}

/**
 * `parseRecord` and the signature check for each of `inputs`, in order: the same verdicts,
 * codes and messages as `parseRecord` then `verifyPoseidon`, natively when the addon is
 * loaded. Returns RECORD_RESULT_BYTES per record (status RECORD_VALID or RECORD_BAD_SIGNATURE,
 * leaf, nodeId, SHA-256(url)) and the first record `parseRecord` refuses, if any: records from
 * that one on are not checked (status 0). `native: false` uses the TypeScript path only.
 *
 * The native validator only ever accepts: a record it refuses for its form (key, signature
 * encoding, nodeId) is checked again by `parseRecord`, whose error is the one reported.
 */
export function checkRecordBatch(inputs: readonly unknown[], native = true): { results: Uint8Array; error: RecordBatchError | null } {
  const results = new Uint8Array(RECORD_RESULT_BYTES * inputs.length);
  let error: RecordBatchError | null = null;
  let n = inputs.length;
  const addon = native ? loaded.addon : null;
  if (addon === null || typeof addon.validateRecords !== "function") {
    for (let i = 0; i < n; i++) {
      try {
        checkOneTs(inputs[i], results, i);
      } catch (err) {
        return { results, error: refusal(err, i) };
      }
    }
    return { results, error };
  }
  // The checks without curve arithmetic, in JavaScript (exact messages), up to the first refusal.
  const rows = Buffer.alloc(NATIVE_RECORD_IN * n);
  for (let i = 0; i < n; i++) {
    let f: ReturnType<typeof checkRecordFormat>;
    try {
      f = checkRecordFormat(inputs[i]);
    } catch (err) {
      error = refusal(err, i);
      n = i;
      break;
    }
    results.set(packNativeRecord(f, rows, NATIVE_RECORD_IN * i), RECORD_RESULT_BYTES * i + 65);
  }
  const out = Buffer.alloc(NATIVE_RECORD_OUT * n);
  if (n > 0) addon.validateRecords(rows.subarray(0, NATIVE_RECORD_IN * n), out);
  for (let i = 0; i < n; i++) {
    const status = out[NATIVE_RECORD_OUT * i]!;
    if (status === RECORD_VALID || status === RECORD_BAD_SIGNATURE) {
      results.set(out.subarray(NATIVE_RECORD_OUT * i, NATIVE_RECORD_OUT * (i + 1)), RECORD_RESULT_BYTES * i);
      continue;
    }
    // Refused for its form (or not checked): parseRecord says why, and is the reference.
    try {
      checkOneTs(inputs[i], results, i);
    } catch (err) {
      return { results, error: refusal(err, i) };
    }
  }
  return { results, error };
}

/**
 * One signed chunk through `parseChunk` and its signature (chunk-check.ts), natively when the
 * addon is loaded and has the chunk validator; `native: false` uses the SDK only. Same verdicts.
 */
export function checkChunkNative(input: unknown, maxRecords: number, native = true): ChunkCheck {
  return checkChunk(input, maxRecords, native ? loaded.addon : null);
}
