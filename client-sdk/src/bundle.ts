/**
 * Inclusion proof bundles (docs/protocol.md#bundle): the JSON the sequencer serves at
 * `GET /v1/records/:id/proof`, which a buyer keeps beside the data. This module parses one
 * strictly and checks everything that needs no network: the record's format and signature, its
 * id and leaf, the leaf index, the Merkle path up to the bundle's batch root, and the record's
 * timestamp against the batch's window. Whether that root is the real one is the job of a
 * trusted root (`verifyBundle(…, { trustedRoot })`) or of the chain (`chain.ts`).
 *
 * Browser-safe: no Node-only imports.
 */
import { fail, ProvenanceError, type ErrorCode } from "./errors.js";
import { describe, fieldToHex } from "./field.js";
import { computeRoot, inclusionProofFromJson, inclusionProofToJson, type InclusionProof, type InclusionProofJson } from "./merkle.js";
import { parseRecord, verifyRecordSignature, type AnyRecord, type ParsedRecord } from "./record.js";
import { accumulatorLeaf, ACCUMULATOR_DEPTH, rootFromPath } from "./accumulator.js";

/** Version of a bundle without an accumulator path (still produced and verified as before). */
export const BUNDLE_VERSION = 1;
/** Version of a bundle that carries `accumulator`: the path from its batch to an accumulator root. */
export const BUNDLE_VERSION_ACCUMULATOR = 2;

/**
 * The path from a batch's accumulator leaf to an accumulator root (docs/protocol.md#bundle).
 * The leaf is not carried: it is recomputed from the bundle's batch statement.
 */
export interface BundleAccumulatorPath {
  /** Leaf position: the batch index minus `Accumulator.start_index` (0 on a new deployment). */
  position: number;
  /** Tree size (leaves) of `root`. */
  size: number;
  /** The accumulator root the path leads to, 64 hex. */
  root: string;
  /** The 32 siblings, leaf level first, 64 hex each. */
  siblings: string[];
}

/** The statement of the bundle's batch, as the sequencer reports it (checked against the chain). */
export interface BundleBatch {
  index: number;
  batchRoot: string;
  count: number;
  minTs: number;
  maxTs: number;
  registryRoot: string;
}

/** An inclusion proof bundle, as served by `GET /v1/records/:id/proof`. */
export interface InclusionBundle {
  /** 1: no accumulator path; 2: with `accumulator`. */
  v: 1 | 2;
  /**
   * The record as its node signed it: alone (`RecordV1`), or as part of a chunk
   * (`ChunkRecordV1`: its `chunk` carries the chunk's size, the record's index, the 4 siblings
   * of its message and the chunk's signature, so the bundle is still self-contained).
   */
  record: AnyRecord;
  /** The record's id: its leaf, 64 hex. */
  id: string;
  /** Position of the leaf in its batch. */
  leafIndex: number;
  inclusionProof: InclusionProofJson;
  batch: BundleBatch;
  /** Base58 id of the program whose log holds the batch. */
  programId: string;
  /** The cluster the sequencer anchored on (a name such as `localnet` or `devnet`, or a genesis hash). */
  cluster: string;
  /** Base58 signature of the `submit_batch` transaction. */
  txSignature: string;
  /** Slot of that transaction. */
  slot: number;
  /** v2 only: the path from the batch to an accumulator root (refreshable: `refreshBundle`). */
  accumulator?: BundleAccumulatorPath;
}

/** Where a batch was anchored, as a bundle names it. */
export interface BundleAnchor {
  programId: string;
  cluster: string;
  txSignature: string;
  slot: number;
}

/**
 * The bundle of one record of an anchored batch, in the exact shape (and field order)
 * `GET /v1/records/:id/proof` serves: the record's id is the proof's leaf, its leaf index the
 * proof's index. Only the fields of a bundle are taken from `batch` and `anchor` (a fuller
 * batch or anchor object may be passed).
 */
export function buildBundle(record: AnyRecord, proof: InclusionProof, batch: BundleBatch, anchor: BundleAnchor, accumulator?: BundleAccumulatorPath): InclusionBundle {
  const bundle: InclusionBundle = {
    v: BUNDLE_VERSION,
    record,
    id: fieldToHex(proof.leaf),
    leafIndex: proof.index,
    inclusionProof: inclusionProofToJson(proof),
    batch: { index: batch.index, batchRoot: batch.batchRoot, count: batch.count, minTs: batch.minTs, maxTs: batch.maxTs, registryRoot: batch.registryRoot },
    programId: anchor.programId,
    cluster: anchor.cluster,
    txSignature: anchor.txSignature,
    slot: anchor.slot,
  };
  return accumulator ? withAccumulatorPath(bundle, accumulator) : bundle;
}

/** The bundle as v2 with `path` (replacing any path it had); the other fields are kept as they are. */
export function withAccumulatorPath(bundle: InclusionBundle, path: BundleAccumulatorPath): InclusionBundle {
  const { accumulator: _old, v: _v, ...rest } = bundle;
  return { v: BUNDLE_VERSION_ACCUMULATOR, ...rest, accumulator: { position: path.position, size: path.size, root: path.root, siblings: [...path.siblings] } };
}

const BUNDLE_FIELDS = ["v", "record", "id", "leafIndex", "inclusionProof", "batch", "programId", "cluster", "txSignature", "slot"] as const;
const ACCUMULATOR_FIELDS = ["position", "size", "root", "siblings"] as const;
const BATCH_FIELDS = ["index", "batchRoot", "count", "minTs", "maxTs", "registryRoot"] as const;
const HEX64 = /^[0-9a-f]{64}$/;
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/;

function bad(message: string): never {
  fail("INVALID_BUNDLE", message);
}

function exactFields(o: Record<string, unknown>, fields: readonly string[], what: string): void {
  for (const key of Object.keys(o)) if (!fields.includes(key)) bad(`${what} has unknown field "${key}"`);
  for (const key of fields) if (!(key in o)) bad(`${what} is missing field "${key}"`);
}

function uint(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    bad(`${what} must be a non-negative integer, got ${typeof value === "number" ? value : describe(value)}`);
  }
  return value;
}

function hex64(value: unknown, what: string): string {
  if (typeof value !== "string" || !HEX64.test(value)) bad(`${what} must be 64 lowercase hex characters`);
  return value;
}

function base58(value: unknown, what: string, min: number, max: number): string {
  if (typeof value !== "string" || value.length < min || value.length > max || !BASE58.test(value)) {
    bad(`${what} must be a base58 string of ${min}..${max} characters`);
  }
  return value;
}

/**
 * Checks the shape of a bundle: exact field sets, types, hex and base58 encodings. The record
 * itself is checked by `parseRecord` in `checkBundle`. Throws INVALID_BUNDLE naming the field.
 */
export function parseBundle(json: unknown): InclusionBundle {
  if (typeof json !== "object" || json === null || Array.isArray(json)) bad(`bundle must be a JSON object, got ${describe(json)}`);
  const o = json as Record<string, unknown>;
  if (o.v !== BUNDLE_VERSION && o.v !== BUNDLE_VERSION_ACCUMULATOR) bad(`bundle version must be ${BUNDLE_VERSION} or ${BUNDLE_VERSION_ACCUMULATOR}, got ${JSON.stringify(o.v)}`);
  const v2 = o.v === BUNDLE_VERSION_ACCUMULATOR;
  exactFields(o, v2 ? [...BUNDLE_FIELDS, "accumulator"] : BUNDLE_FIELDS, "bundle");
  let accumulator: BundleAccumulatorPath | undefined;
  if (v2) {
    const a = o.accumulator;
    if (typeof a !== "object" || a === null || Array.isArray(a)) bad("bundle accumulator must be an object");
    const r = a as Record<string, unknown>;
    exactFields(r, ACCUMULATOR_FIELDS, "bundle accumulator");
    if (!Array.isArray(r.siblings) || r.siblings.length !== ACCUMULATOR_DEPTH) bad(`accumulator.siblings must be an array of ${ACCUMULATOR_DEPTH} hashes`);
    accumulator = {
      position: uint(r.position, "accumulator.position"),
      size: uint(r.size, "accumulator.size"),
      root: hex64(r.root, "accumulator.root"),
      siblings: (r.siblings as unknown[]).map((x, i) => hex64(x, `accumulator.siblings[${i}]`)),
    };
  }
  if (typeof o.batch !== "object" || o.batch === null || Array.isArray(o.batch)) bad("bundle batch must be an object");
  const b = o.batch as Record<string, unknown>;
  exactFields(b, BATCH_FIELDS, "bundle batch");
  const batch: BundleBatch = {
    index: uint(b.index, "batch.index"),
    batchRoot: hex64(b.batchRoot, "batch.batchRoot"),
    count: uint(b.count, "batch.count"),
    minTs: uint(b.minTs, "batch.minTs"),
    maxTs: uint(b.maxTs, "batch.maxTs"),
    registryRoot: hex64(b.registryRoot, "batch.registryRoot"),
  };
  const p = o.inclusionProof;
  if (typeof p !== "object" || p === null || Array.isArray(p)) bad("bundle inclusionProof must be an object");
  exactFields(p as Record<string, unknown>, ["leaf", "index", "siblings"], "bundle inclusionProof");
  if (typeof o.cluster !== "string" || o.cluster.length < 1 || o.cluster.length > 200) bad("bundle cluster must be a non-empty string");
  const parsedBundle: InclusionBundle = {
    v: v2 ? 2 : 1,
    record: o.record as AnyRecord,
    id: hex64(o.id, "id"),
    leafIndex: uint(o.leafIndex, "leafIndex"),
    inclusionProof: p as InclusionProofJson,
    batch,
    programId: base58(o.programId, "programId", 32, 44),
    cluster: o.cluster,
    txSignature: base58(o.txSignature, "txSignature", 64, 88),
    slot: uint(o.slot, "slot"),
  };
  if (accumulator) parsedBundle.accumulator = accumulator;
  return parsedBundle;
}

/** One check of a verification, in the order they ran. */
export interface Check {
  name: CheckName;
  ok: boolean;
  detail: string;
  /** A check that passed with a caveat the reader must see (an insecure deployment on a local chain, or one allowed by `allowInsecure`). */
  warning?: true;
}

export type CheckName =
  | "format"
  | "signature"
  | "chunk-signature"
  | "leaf"
  | "path"
  | "window"
  | "trusted-root"
  | "program"
  | "cluster"
  | "deployment"
  | "account"
  | "batch-log"
  | "accumulator-path"
  | "accumulator"
  | "transaction"
  | "content";

/** The outcome of verifying one bundle. */
export interface VerifyResult {
  ok: boolean;
  /** The bundle's record id, when the bundle could be read that far. */
  id: string | null;
  batchIndex: number | null;
  /** Set for a chunk-signed record (once its format was read): its chunk's size and its index in it. */
  chunk?: { size: number; index: number };
  /** Where the root was checked against: a root the caller trusts, the BatchLog ring, the Accumulator account, or the submit_batch transaction. */
  rootSource: "trusted-root" | "batch-log" | "accumulator" | "transaction" | null;
  /** Set when the bundle was refreshed during verification (a fresh accumulator path): the refreshed bundle, to keep. */
  refreshed?: InclusionBundle;
  checks: Check[];
  /** The first failed check, as a code and a message that says what failed. */
  failure: { code: ErrorCode; check: CheckName; message: string } | null;
  /** Caveats of checks that passed (e.g. a deployment whose proofs can be forged, on a local chain). */
  warnings: string[];
  /** Set when content was given and hashed (`VerifyOptions.content`): its SHA-256 and length. */
  content?: { sha256: string; bytes: number };
}

/** A bundle that passed every offline check, with what they derived. */
export interface CheckedBundle {
  bundle: InclusionBundle;
  parsed: ParsedRecord;
  proof: InclusionProof;
}

/**
 * The arithmetic behind `checkBundle`: the record's derivation and signature, the inclusion
 * path's root, the accumulator path's root. `JS_BUNDLE_MATH` (the SDK's WebAssembly Poseidon and
 * verifier) is the reference and the default; a Node engine may pass a faster one (the native
 * addon of `@provenance/ingest-engine`), which must return the same values and throw the same
 * errors for every input, so every check, code and message stays the same.
 */
export interface BundleMath {
  /** `parseRecord(record)`: the same result, or the same error. */
  parseRecord(record: unknown): ParsedRecord;
  /** `verifyRecordSignature(parsed)`, for a record this object's `parseRecord` returned. */
  verifySignature(parsed: ParsedRecord): boolean;
  /** `fieldToHex(computeRoot(proof))`, for `proof = inclusionProofFromJson(json)` (already validated). */
  pathRoot(proof: InclusionProof, json: InclusionProofJson): string;
  /** The bundle's accumulator leaf (`accumulatorLeaf(batch)`) and the root its path leads to (`rootFromPath`). */
  accumulatorRoot(batch: BundleBatch, path: BundleAccumulatorPath): { leaf: string; root: string };
}

/** The SDK's own arithmetic (browser-safe, one thread): the reference every other `BundleMath` is checked against. */
export const JS_BUNDLE_MATH: BundleMath = Object.freeze({
  parseRecord,
  verifySignature: verifyRecordSignature,
  pathRoot: (proof: InclusionProof) => fieldToHex(computeRoot(proof)),
  accumulatorRoot: (batch: BundleBatch, path: BundleAccumulatorPath) => {
    const leaf = accumulatorLeaf(batch);
    return { leaf, root: rootFromPath(leaf, path.position, path.siblings) };
  },
});

/** Collects checks; the first failure stops the verification. */
export class CheckLog {
  readonly checks: Check[] = [];
  /** The bundle's record once `format` passed (so a report can say what it was when a later check fails). */
  parsed?: ParsedRecord;
  pass(name: CheckName, detail: string): void {
    this.checks.push({ name, ok: true, detail });
  }
  /** A passing check with a caveat. */
  warn(name: CheckName, detail: string): void {
    this.checks.push({ name, ok: true, detail, warning: true });
  }
  /** Records the failure and throws it as a ProvenanceError. */
  fail(name: CheckName, code: ErrorCode, message: string): never {
    this.checks.push({ name, ok: false, detail: message });
    const err = new ProvenanceError(code, message);
    (err as ProvenanceError & { check?: CheckName }).check = name;
    throw err;
  }
}

/**
 * Runs every offline check of a bundle, in order: format, the record's signature (`signature`,
 * or `chunk-signature` for a chunk-signed record), id and leaf, leaf index and path to the
 * bundle's batch root, timestamp in the batch window. Appends each to
 * `log`; throws (through `log.fail`) at the first failure, with a code naming it. `math` does
 * the hashing and curve arithmetic (default `JS_BUNDLE_MATH`).
 */
export function checkBundle(json: unknown, log: CheckLog, math: BundleMath = JS_BUNDLE_MATH): CheckedBundle {
  let bundle: InclusionBundle;
  let parsed: ParsedRecord;
  let proof: InclusionProof;
  try {
    bundle = parseBundle(json);
    parsed = math.parseRecord(bundle.record);
    proof = inclusionProofFromJson(bundle.inclusionProof);
  } catch (e) {
    const err = e instanceof ProvenanceError ? e : new ProvenanceError("INVALID_BUNDLE", String(e));
    const where = err.code === "INVALID_BUNDLE" || err.code === "INVALID_PROOF" ? "" : "record: ";
    log.fail("format", err.code, `bundle is malformed: ${where}${err.message}`);
  }
  log.pass("format", parsed.chunk ? `bundle and chunk-signed record (index ${parsed.chunk.index} of a chunk of ${parsed.chunk.size}) are well formed` : "bundle and record are well formed");
  log.parsed = parsed;

  checkRecordSignature(bundle, parsed, log, math);

  const leafHex = fieldToHex(parsed.leaf);
  if (bundle.id !== leafHex) log.fail("leaf", "ID_MISMATCH", `bundle id ${bundle.id} is not the record's leaf ${leafHex}`);
  if (proof.leaf !== parsed.leaf) {
    log.fail("leaf", "LEAF_MISMATCH", `inclusion proof is for leaf ${fieldToHex(proof.leaf)}, not the record's leaf ${leafHex}`);
  }
  log.pass("leaf", `record id ${leafHex} is Poseidon(message, nodeId)`);

  const levels = proof.siblings.length;
  if (proof.index !== bundle.leafIndex) {
    log.fail("path", "INDEX_MISMATCH", `inclusion proof index ${proof.index} differs from the bundle's leafIndex ${bundle.leafIndex}`);
  }
  if (bundle.batch.count < 1 || bundle.batch.count > 2 ** levels) {
    log.fail("path", "INDEX_MISMATCH", `batch count ${bundle.batch.count} is impossible for a tree of ${levels} levels (capacity ${2 ** levels})`);
  }
  // A leaf at or past `count` is no padding in a batch with holes between its regions (a
  // chunk-shape batch, docs/circuit-v2.md): the path decides. The circuit makes every padding
  // leaf 0 and every record's leaf non-zero, so a path from this record's leaf to the root
  // places a record there.
  const root = math.pathRoot(proof, bundle.inclusionProof);
  if (root !== bundle.batch.batchRoot) {
    if (bundle.leafIndex >= bundle.batch.count) {
      log.fail("path", "INDEX_MISMATCH", `leafIndex ${bundle.leafIndex} is not below the batch count ${bundle.batch.count}, and the Merkle path from it leads to root ${root}, not the bundle's batchRoot ${bundle.batch.batchRoot} (that position is padding, or not this record's)`);
    }
    log.fail("path", "PATH_MISMATCH", `the Merkle path from leaf ${bundle.leafIndex} leads to root ${root}, not the bundle's batchRoot ${bundle.batch.batchRoot}`);
  }
  log.pass("path", `leaf ${bundle.leafIndex} (${bundle.batch.count} records in the batch) leads to batch root ${root} (${levels} levels)`);

  const ts = bundle.record.timestamp;
  if (bundle.batch.minTs > bundle.batch.maxTs || ts < bundle.batch.minTs || ts > bundle.batch.maxTs) {
    log.fail("window", "WINDOW_MISMATCH", `record timestamp ${ts} is outside the batch window [${bundle.batch.minTs}, ${bundle.batch.maxTs}]`);
  }
  log.pass("window", `timestamp ${ts} lies in the batch window [${bundle.batch.minTs}, ${bundle.batch.maxTs}]`);

  if (bundle.accumulator) checkAccumulatorPath(bundle, log, math);
  return { bundle, parsed, proof };
}

/**
 * The record's signature check: `signature` for a record signed alone (its own signature over
 * its message), `chunk-signature` for a chunk-signed one (the chunk's signature over the digest
 * re-derived from this record's message, its index, the chunk's size and the 4 siblings). Two
 * names, so a buyer sees which signature failed and what it covers.
 */
function checkRecordSignature(bundle: InclusionBundle, parsed: ParsedRecord, log: CheckLog, math: BundleMath): void {
  const node = bundle.record.nodeId.slice(0, 16);
  const chunk = parsed.chunk;
  if (!chunk) {
    if (!math.verifySignature(parsed)) {
      log.fail("signature", "BAD_SIGNATURE", "record signature does not verify under the record's publicKey (the record was altered after signing, or not signed by this key)");
    }
    log.pass("signature", `EdDSA-Poseidon signature by node ${node}… verifies`);
    return;
  }
  const at = `this record at index ${chunk.index} of a chunk of ${chunk.size}`;
  if (!math.verifySignature(parsed)) {
    log.fail(
      "chunk-signature",
      "BAD_SIGNATURE",
      `the chunk signature does not verify for ${at} under the record's publicKey (the record's url, timestamp or content changed, or another chunk's path or signature, a moved record, a changed size, or another key)`,
    );
  }
  log.pass("chunk-signature", `EdDSA-Poseidon chunk signature by node ${node}… verifies for ${at} (its message, index and 4 siblings re-derive the signed chunk digest)`);
}

/**
 * The `accumulator-path` check (offline): the leaf of the bundle's whole batch statement,
 * at the bundle's position, leads through the siblings to the bundle's accumulator root.
 */
export function checkAccumulatorPath(bundle: InclusionBundle, log: CheckLog, math: BundleMath = JS_BUNDLE_MATH): void {
  const a = bundle.accumulator!;
  if (a.position >= a.size) {
    log.fail("accumulator-path", "ACCUMULATOR_PATH_MISMATCH", `accumulator position ${a.position} is not below the tree size ${a.size} of the bundle's accumulator root`);
  }
  const { leaf, root: got } = math.accumulatorRoot(bundle.batch, a);
  if (got !== a.root) {
    log.fail("accumulator-path", "ACCUMULATOR_PATH_MISMATCH", `the accumulator path from batch ${bundle.batch.index}'s leaf ${leaf} at position ${a.position} leads to ${got}, not the bundle's accumulator root ${a.root}`);
  }
  log.pass("accumulator-path", `batch ${bundle.batch.index}'s statement leads to accumulator root ${a.root} (size ${a.size})`);
}

/** The record id a bundle claims, if it can be read at all (for reports on malformed bundles). */
export function bundleIdOf(json: unknown): string | null {
  const id = (json as { id?: unknown } | null)?.id;
  return typeof id === "string" && HEX64.test(id) ? id : null;
}
