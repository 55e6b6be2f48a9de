/**
 * The native arithmetic of a bundle's offline checks (a `BundleMath`, client-sdk bundle.ts), for
 * dataset verification in Node: the record's key, signature encoding, node id, message, leaf,
 * chunk digest and signature equation in one call to the addon (lib.rs `check_bundle_record`),
 * the inclusion path's root in another (`path_root`, Poseidon(left, right) memoized per thread:
 * the records of a batch share the upper nodes of their paths), the accumulator path's root
 * memoized per batch statement (every bundle of a batch carries the same one).
 *
 * Same values and same errors as `JS_BUNDLE_MATH` by construction where it matters: the checks
 * without hashes (field sets, URL, timestamp, hex, the chunk reference) are the SDK's own
 * (`checkRecordFormat`, `checkChunkRecordFormat`), and a record the addon refuses for its form
 * (key, signature encoding, node id) is parsed again by the SDK's `parseRecord`, whose error is
 * the one reported. Loaded only after a self-check against the SDK; otherwise `nativeBundleMath`
 * is null and says why (an error under PROVENANCE_REQUIRE_NATIVE=1).
 */
import { createHash } from "node:crypto";
import { JS_BUNDLE_MATH, type BundleAccumulatorPath, type BundleBatch, type BundleMath } from "@provenance/client-sdk/bundle";
import { unpackPublicKey, unpackSignature, type Point, type Signature } from "@provenance/client-sdk/eddsa";
import { FixedMerkleTree, type InclusionProof, type InclusionProofJson, inclusionProofToJson } from "@provenance/client-sdk/merkle";
import { checkChunkRecordFormat, checkRecordFormat, parseRecord, signRecord, verifyRecordSignature, type AnyRecord, type ParsedRecord, type RecordFormat } from "@provenance/client-sdk/record";
import { signChunk, validateChunk } from "@provenance/client-sdk/signed-chunk";
import { loadedAddon, NATIVE_REQUIRED, nativeEddsa, type NativeAddon } from "./native-eddsa.js";

/** lib.rs BUNDLE_RECORD_IN / BUNDLE_RECORD_OUT. */
const ROW_IN = 200 + 3 + 32 * 4;
const ROW_OUT = 1 + 4 * 32;
const STATUS_VALID = 1;
const STATUS_BAD_SIGNATURE = 2;
const MAX_LEVELS = 30;
const ACCUMULATOR_MEMO_LIMIT = 1024;

type BundleAddon = Required<Pick<NativeAddon, "checkBundleRecord" | "pathRoot">>;

function fromHex(buf: Buffer, from: number, to: number): bigint {
  return BigInt(`0x${buf.toString("hex", from, to)}`);
}

/** A `BundleMath` over `addon` (one per thread: it reuses its buffers between calls). */
function makeMath(addon: BundleAddon): BundleMath {
  const row = Buffer.alloc(ROW_IN);
  const out = Buffer.alloc(ROW_OUT);
  const leaf = Buffer.alloc(32);
  const siblings = Buffer.alloc(32 * MAX_LEVELS);
  const root = Buffer.alloc(32);
  // Verdicts of the records parsed natively; one the SDK parsed (after a refusal) is checked by the SDK.
  const verdicts = new WeakMap<ParsedRecord, boolean>();
  const accumulators = new Map<string, { leaf: string; root: string }>();

  const parse = (input: unknown): ParsedRecord => {
    // parseRecord's own dispatch between the two record forms.
    const chunked = typeof input === "object" && input !== null && !Array.isArray(input) && "chunk" in input;
    let f: RecordFormat;
    let record: AnyRecord;
    let ref: { size: number; index: number; path: bigint[] } | undefined;
    if (chunked) {
      const c = checkChunkRecordFormat(input);
      f = c.format;
      record = c.record;
      ref = c;
    } else {
      f = checkRecordFormat(input);
      record = f.record;
    }
    const urlHash = createHash("sha256").update(record.url, "utf8").digest();
    row.set(urlHash, 0);
    row.set(f.contentHash, 32);
    row.writeBigUInt64LE(BigInt(record.timestamp), 64);
    row.set(f.nodeId, 72);
    row.set(f.publicKey, 104);
    row.set(f.signature, 136);
    row[200] = ref ? 1 : 0;
    row[201] = ref?.size ?? 0;
    row[202] = ref?.index ?? 0;
    if (ref && "chunk" in record) record.chunk.path.forEach((h, i) => row.write(h, 203 + 32 * i, "hex"));
    else row.fill(0, 203);
    const status = addon.checkBundleRecord(row, out);
    // Refused for its form (or not checked): the SDK says why, and is the reference.
    if (status !== STATUS_VALID && status !== STATUS_BAD_SIGNATURE) return parseRecord(input);
    let publicKey: Point | undefined;
    let signature: Signature | undefined;
    // parseRecord's fields in its order; the key and the signature are decoded only when asked
    // for (no check needs them), by the SDK's own decoding of the same bytes.
    const parsed: ParsedRecord = {
      record,
      urlHash: new Uint8Array(urlHash.buffer, urlHash.byteOffset, 32),
      contentHash: f.contentHash,
      timestamp: BigInt(record.timestamp),
      get publicKey(): Point {
        return (publicKey ??= unpackPublicKey(f.publicKey));
      },
      get signature(): Signature {
        return (signature ??= unpackSignature(f.signature));
      },
      nodeId: fromHex(out, 33, 65),
      message: fromHex(out, 65, 97),
      leaf: fromHex(out, 1, 33),
    };
    if (ref) parsed.chunk = { size: ref.size, index: ref.index, path: ref.path, digest: fromHex(out, 97, 129) };
    verdicts.set(parsed, status === STATUS_VALID);
    return parsed;
  };

  return {
    parseRecord: parse,
    verifySignature: (parsed: ParsedRecord): boolean => verdicts.get(parsed) ?? verifyRecordSignature(parsed),
    pathRoot: (proof: InclusionProof, json: InclusionProofJson): string => {
      const levels = json.siblings.length;
      if (levels >= 1 && levels <= MAX_LEVELS) {
        leaf.write(json.leaf, 0, "hex");
        json.siblings.forEach((h, i) => siblings.write(h, 32 * i, "hex"));
        if (addon.pathRoot(leaf, json.index, siblings.subarray(0, 32 * levels), root)) return root.toString("hex");
      }
      return JS_BUNDLE_MATH.pathRoot(proof, json);
    },
    accumulatorRoot: (batch: BundleBatch, path: BundleAccumulatorPath): { leaf: string; root: string } => {
      // Every bundle of a batch carries the same statement and path: hashed once.
      const key = `${batch.index},${batch.batchRoot},${batch.count},${batch.minTs},${batch.maxTs},${batch.registryRoot},${path.position},${path.siblings.join("")}`;
      const hit = accumulators.get(key);
      if (hit) return hit;
      const got = JS_BUNDLE_MATH.accumulatorRoot(batch, path);
      if (accumulators.size >= ACCUMULATOR_MEMO_LIMIT) accumulators.clear();
      accumulators.set(key, got);
      return got;
    },
  };
}

const same = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v));

/**
 * The native math against the SDK's on a record signed alone, chunk-signed records (valid and
 * one moved inside its chunk), a forged record and the paths of a small tree: same derivations,
 * same verdicts, same roots.
 */
function selfCheck(math: BundleMath): boolean {
  const priv = new Uint8Array(32).fill(11);
  const alone = signRecord({ url: "https://example.com/bundle-self-check", timestamp: 1764300000000, contentHash: new Uint8Array(32).fill(5) }, priv);
  const forged = { ...alone, timestamp: alone.timestamp + 1 };
  const chunk = validateChunk(signChunk([0, 1, 2].map((i) => ({ url: `https://example.com/bundle-self-check/${i}`, timestamp: 1764300000000 + i, contentHash: "cd".repeat(32) })), priv)).records.map((r) => r.record);
  const moved = JSON.parse(JSON.stringify(chunk[1])) as { chunk: { index: number } };
  moved.chunk.index = 2;
  for (const input of [alone, forged, ...chunk, moved]) {
    const native = math.parseRecord(JSON.parse(JSON.stringify(input)));
    const reference = parseRecord(JSON.parse(JSON.stringify(input)));
    if (same(native) !== same(reference) || math.verifySignature(native) !== verifyRecordSignature(reference)) return false;
  }
  if (!math.verifySignature(math.parseRecord(alone)) || math.verifySignature(math.parseRecord(forged)) || math.verifySignature(math.parseRecord(moved))) return false;
  const tree = new FixedMerkleTree(3, [5n, 6n, 7n, 8n, 9n]);
  for (let i = 0; i < 8; i++) {
    const proof = tree.proof(i);
    if (math.pathRoot(proof, inclusionProofToJson(proof)) !== JS_BUNDLE_MATH.pathRoot(proof, inclusionProofToJson(proof))) return false;
  }
  return true;
}

function load(): { math: BundleMath | null; reason: string } {
  const addon = loadedAddon();
  if (addon === null) return { math: null, reason: nativeEddsa.reason };
  if (typeof addon.checkBundleRecord !== "function" || typeof addon.pathRoot !== "function") {
    return { math: null, reason: "the addon predates bundle verification (rebuild it: npx tsx scripts/build-native.ts ingest)" };
  }
  try {
    const math = makeMath(addon as BundleAddon);
    return selfCheck(math) ? { math, reason: "loaded" } : { math: null, reason: "the addon's bundle checks failed their self-check" };
  } catch (err) {
    return { math: null, reason: `the addon's bundle checks failed their self-check (${(err as Error).message})` };
  }
}

const loaded = load();
if (NATIVE_REQUIRED && loaded.math === null) {
  throw new Error(`PROVENANCE_REQUIRE_NATIVE=1, but native bundle verification is unavailable: ${loaded.reason}`);
}

/**
 * The native `BundleMath` of this thread, or null with the reason (the addon is not built, is
 * too old, or failed the self-check): then use the SDK's `JS_BUNDLE_MATH`, same results.
 */
export const nativeBundleMath: { readonly math: BundleMath | null; readonly reason: string } = Object.freeze(loaded);
