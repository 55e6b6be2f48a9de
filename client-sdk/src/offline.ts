/**
 * The offline half of bundle verification, as plain data: `checkOffline` runs every check of
 * `checkBundle` (format, signature, leaf, path, window, accumulator path) and gives either the
 * final result (a check failed) or what the root checks need (the parsed bundle and the checks
 * so far); `completeTrusted` finishes such a bundle against trusted roots. `verifyBundle`
 * (verify.ts) is these two, or `checkOffline` then the chain's checks; a worker thread can run
 * the offline half for a dataset and send its answers back (they are structured-cloneable),
 * which is how `@provenance/ingest-engine`'s `BundlePool` verifies manifests on every core.
 *
 * Browser-safe, and free of the chain's imports (a worker loads only this and what it needs).
 */
import { bundleIdOf, checkBundle, CheckLog, JS_BUNDLE_MATH, type BundleMath, type Check, type CheckedBundle, type InclusionBundle, type VerifyResult } from "./bundle.js";
import { ProvenanceError } from "./errors.js";
import { hexToField } from "./field.js";

/** The roots a caller trusts, offline: one for every bundle, or one per batch index. */
export interface TrustedRoots {
  /** Offline: the batch root (64 hex) the caller trusts for this bundle's batch. */
  trustedRoot?: string;
  /** Offline, for datasets: trusted roots by batch index (a bundle of a batch not in it fails UNTRUSTED_BATCH). */
  trustedRoots?: ReadonlyMap<number, string>;
}

/** A bundle that passed every offline check: what the root checks need. */
export interface PendingBundle {
  /** The checks so far (all passed), in order. */
  checks: Check[];
  /** The bundle as parsed (`parseBundle`). */
  bundle: InclusionBundle;
  /** A chunk-signed record's size and index. */
  chunk?: { size: number; index: number };
}

/** `checkOffline`'s answer: the final result (a check failed), or a bundle whose root is still to check. */
export type OfflineCheck = { result: VerifyResult } | { pending: PendingBundle };

/** One bundle of a dataset: its 1-based line, and its JSON (parsed, or the line's text), or why the line did not parse. */
export interface DatasetItem {
  line: number;
  /** The parsed bundle (or anything: it is checked). */
  json?: unknown;
  /** The manifest line's text, parsed by whoever checks it (`json` wins when both are given). */
  text?: string;
  /** Set when the line is not JSON: the bundle fails `format` with this message. */
  parseError?: string;
}

/** The message for a manifest line that is not JSON. */
export function manifestLineError(line: number, error: unknown): string {
  return `line ${line} is not JSON (${(error as Error).message}): the file must hold one bundle per line`;
}

/** A dataset item's bundle: its JSON, its text parsed, or the failed result of a line that is not JSON. */
export function itemJson(item: DatasetItem): { json: unknown } | { result: VerifyResult } {
  let parseError = item.parseError;
  if (parseError === undefined) {
    if (item.json !== undefined || item.text === undefined) return { json: item.json };
    try {
      return { json: JSON.parse(item.text) as unknown };
    } catch (e) {
      parseError = manifestLineError(item.line, e);
    }
  }
  return { result: { ok: false, id: null, batchIndex: null, rootSource: null, checks: [], failure: { code: "INVALID_BUNDLE", check: "format", message: parseError }, warnings: [] } };
}

/** A chunk-signed record's place, once the bundle's format was read (also when a later check failed). */
function chunkOf(log: CheckLog, checked: { chunk?: PendingBundle["chunk"] } | null): VerifyResult["chunk"] {
  if (checked) return checked.chunk;
  const ref = log.parsed?.chunk;
  return ref ? { size: ref.size, index: ref.index } : undefined;
}

/** The result of a verification from its checks: passed, or failed with `error` (the first failure). */
export function verifyResult(log: CheckLog, json: unknown, checked: { bundle: InclusionBundle; chunk?: PendingBundle["chunk"] } | null, rootSource: VerifyResult["rootSource"], error?: unknown, refreshed?: InclusionBundle): VerifyResult {
  let failure: VerifyResult["failure"] = null;
  if (error !== undefined) {
    const err = error as ProvenanceError & { check?: VerifyResult["checks"][number]["name"] };
    const last = log.checks.at(-1);
    const check = err.check ?? (last && !last.ok ? last.name : "batch-log");
    failure = {
      code: err instanceof ProvenanceError ? err.code : "RPC_ERROR",
      check,
      message: err instanceof Error ? err.message : String(err),
    };
    if (!log.checks.some((c) => !c.ok)) log.checks.push({ name: check, ok: false, detail: failure.message });
  }
  const batchIndex = checked?.bundle.batch.index ?? (json as { batch?: { index?: unknown } } | null)?.batch?.index;
  const chunk = chunkOf(log, checked);
  return {
    ok: failure === null,
    id: checked?.bundle.id ?? bundleIdOf(json),
    batchIndex: typeof batchIndex === "number" ? batchIndex : null,
    ...(chunk ? { chunk } : {}),
    rootSource: failure === null ? rootSource : null,
    checks: log.checks,
    failure,
    warnings: log.checks.filter((c) => c.warning).map((c) => c.detail),
    ...(refreshed && failure === null ? { refreshed } : {}),
  };
}

/**
 * Every offline check of one bundle (`checkBundle`, with `math`, default the SDK's): the final
 * result if one failed, else the parsed bundle and its checks for the root checks to finish.
 */
export function checkOffline(json: unknown, math: BundleMath = JS_BUNDLE_MATH): OfflineCheck {
  const log = new CheckLog();
  let checked: CheckedBundle;
  try {
    checked = checkBundle(json, log, math);
  } catch (e) {
    return { result: verifyResult(log, json, null, null, e) };
  }
  const ref = checked.parsed.chunk;
  return { pending: { checks: log.checks, bundle: checked.bundle, ...(ref ? { chunk: { size: ref.size, index: ref.index } } : {}) } };
}

/** A log holding a pending bundle's checks (a copy: the pending bundle is not changed). */
export function resumeLog(pending: PendingBundle): CheckLog {
  const log = new CheckLog();
  log.checks.push(...pending.checks);
  return log;
}

/**
 * One line of a trusted-roots file (docs/protocol.md#trusted-roots): JSON lines, each
 * `{"batch": N, "root": "<64 hex>"}` (exactly these two fields; the root a field element). Blank
 * lines and lines starting with `#` give null. Throws INVALID_CONFIG naming `where` (a file and
 * line) and what is wrong.
 */
export function parseTrustedRootLine(text: string, where: string): { batch: number; root: string } | null {
  const t = text.trim();
  if (t.length === 0 || t.startsWith("#")) return null;
  const bad = (why: string): never => {
    throw new ProvenanceError("INVALID_CONFIG", `${where}: ${why}; each line of a trusted-roots file is {"batch": N, "root": "<64 hex>"}`);
  };
  let o: unknown;
  try {
    o = JSON.parse(t);
  } catch (e) {
    return bad(`not JSON (${(e as Error).message})`);
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) return bad(`not a JSON object (${Array.isArray(o) ? "an array" : o === null ? "null" : typeof o})`);
  const r = o as Record<string, unknown>;
  for (const key of Object.keys(r)) if (key !== "batch" && key !== "root") bad(`unknown field "${key}"`);
  if (!("batch" in r)) bad('missing field "batch"');
  if (!("root" in r)) bad('missing field "root"');
  if (typeof r.batch !== "number" || !Number.isSafeInteger(r.batch) || r.batch < 0) bad(`"batch" must be a non-negative integer (a batch index), got ${JSON.stringify(r.batch)}`);
  try {
    hexToField(r.root, '"root"');
  } catch (e) {
    bad((e as Error).message);
  }
  return { batch: r.batch as number, root: r.root as string };
}

/**
 * Adds one parsed trusted root to `roots`: the same root twice is fine, two different roots for
 * one batch are refused (INVALID_CONFIG), naming both places.
 */
export function addTrustedRoot(roots: Map<number, string>, places: Map<number, string>, entry: { batch: number; root: string }, where: string): void {
  const known = roots.get(entry.batch);
  if (known !== undefined && known !== entry.root) {
    throw new ProvenanceError("INVALID_CONFIG", `${where}: batch ${entry.batch} is given root ${entry.root}, but ${places.get(entry.batch)} gave it ${known}: a trusted-roots file must not contradict itself`);
  }
  if (known === undefined) {
    roots.set(entry.batch, entry.root);
    places.set(entry.batch, where);
  }
}

/** Whether `trust` names anything to verify against offline. */
export function hasTrustedRoots(trust: TrustedRoots): boolean {
  return trust.trustedRoot !== undefined || trust.trustedRoots !== undefined;
}

/**
 * The `trusted-root` check of a bundle that passed its offline checks: its batch root equals the
 * root trusted for its batch (`trustedRoot` for every batch, else `trustedRoots`' entry; a
 * batch with none fails UNTRUSTED_BATCH).
 */
export function completeTrusted(pending: PendingBundle, trust: TrustedRoots): VerifyResult {
  const log = resumeLog(pending);
  const b = pending.bundle;
  try {
    const trusted = trust.trustedRoot ?? trust.trustedRoots?.get(b.batch.index);
    if (trusted === undefined) {
      log.fail("trusted-root", "UNTRUSTED_BATCH", `batch ${b.batch.index} has no trusted root: the ${trust.trustedRoots?.size ?? 0} trusted root(s) given are for other batches (add this batch's root to the list, or verify against the chain)`);
    }
    hexToField(trusted, "trusted root");
    if (trusted !== b.batch.batchRoot) {
      log.fail("trusted-root", "ROOT_MISMATCH", `bundle's batchRoot ${b.batch.batchRoot} is not the trusted root ${trusted}`);
    }
    log.pass("trusted-root", `batch root equals the trusted root ${trusted}`);
    return verifyResult(log, null, pending, "trusted-root");
  } catch (e) {
    return verifyResult(log, null, pending, null, e);
  }
}
