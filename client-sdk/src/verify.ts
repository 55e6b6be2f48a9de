/**
 * Buyer-side verification of inclusion proof bundles.
 *
 * `verifyBundle(bundle, { trustedRoot })` is offline: every check of `checkBundle` (record
 * format and signature, id and leaf, path) and then the bundle's batch root against a root the
 * caller trusts.
 *
 * `verifyBundle(bundle, { chain })` checks the root against the chain instead:
 * 1. the bundle names the program the caller trusts (default: the IDL's program id);
 * 2. the bundle's cluster is the one the RPC serves (for public cluster names and genesis hashes);
 * 3. `BatchLog` (owned by the program, one account read shared by every bundle verified with
 *    the same ChainReader) holds the bundle's batch root at the bundle's batch index — or, for
 *    a batch older than the ring, the bundle's transaction carries `submit_batch` for that index
 *    and root;
 * 4. unless `checkTransaction: false`, the bundle's transaction (fetched once per batch) is a
 *    successful `submit_batch` of that program whose arguments equal the bundle's whole batch
 *    statement (root, count, window, registry root) and whose slot is the bundle's slot, so no
 *    field of the bundle goes unchecked.
 *
 * `verifyBundles` runs many with bounded concurrency and summarizes the failures by reason.
 * Both take `signal` (an AbortSignal): aborted, they reject at once with its reason (an
 * "AbortError"), not with a failed result.
 * Browser-safe: no Node-only imports.
 */
import { abortable, type AbortOptions } from "./abort.js";
import { checkAccumulatorPath, CheckLog, withAccumulatorPath, type BundleMath, type InclusionBundle, type VerifyResult } from "./bundle.js";
import { accumulatorKnowsRoot, INSECURE_CIRCUITS, type ChainReader } from "./chain.js";
import { ACCUMULATOR_ROOT_HISTORY } from "./idl/constants.js";
import { AccumulatorRefresher, type StatementSource } from "./refresh.js";
import { BATCH_LOG_CAPACITY, KNOWN_CLUSTERS } from "./chainlog.js";
import { ProvenanceError, type ErrorCode } from "./errors.js";
import { checkOffline, completeTrusted, hasTrustedRoots, itemJson, resumeLog, verifyResult, type DatasetItem, type OfflineCheck, type PendingBundle, type TrustedRoots } from "./offline.js";
import { contentCheck, digestContent, type ContentInput } from "./content.js";

export interface VerifyOptions extends AbortOptions, TrustedRoots {
  /** Against the chain: a reader for the RPC to trust. */
  chain?: ChainReader;
  /** Also check the bundle's transaction against the whole batch statement (default true). */
  checkTransaction?: boolean;
  /**
   * Accept a deployment whose proofs can be forged (a program on the INSECURE `test`/`dev`
   * keys) or whose admin is its sequencer key, with a warning. Without it such a deployment
   * fails the `deployment` check, except on a local chain, where it is a warning.
   */
  allowInsecure?: boolean;
  /**
   * Where to refresh a v2 bundle whose accumulator root has aged out of the on-chain ring (any
   * server: its statements are checked against the Accumulator account). Without it such a
   * bundle fails the `accumulator` check with ACCUMULATOR_STALE ("refresh needed").
   */
  refresh?: StatementSource;
  /** Shared by the bundles of a dataset: one refresh per batch (verifyBundles makes one). */
  refresher?: AccumulatorRefresher;
  /** The hashing and curve arithmetic of the offline checks (default: the SDK's own, `JS_BUNDLE_MATH`). */
  math?: BundleMath;
  /**
   * The fetched content (bytes, a Blob, a stream, or a digest made elsewhere such as
   * `sha256File`'s): once every other check passed, its SHA-256 must be the record's
   * `contentHash` (the `content` check, else CONTENT_MISMATCH with both hashes). Content that
   * cannot be read rejects the call with the read's error: it says nothing about the bundle.
   * One bundle only (not `verifyBundles`).
   */
  content?: ContentInput;
}

/** Codes that mean "the service could not answer", not "the bundle is wrong". */
export const UNAVAILABLE_CODES: readonly ErrorCode[] = ["UNREACHABLE", "RPC_ERROR", "TIMEOUT"];

/**
 * The bundle's cluster against the RPC: a public cluster's name or a genesis hash must match
 * the RPC's genesis hash; `localnet` must not be a public cluster; an RPC URL must be the one
 * used. Anything else is refused: a cluster nobody can check is no claim at all.
 */
async function checkCluster(cluster: string, chain: ChainReader, log: CheckLog): Promise<void> {
  const publicGenesis = Object.values(KNOWN_CLUSTERS);
  if (/^https?:\/\//.test(cluster)) {
    const norm = (u: string) => u.replace(/\/+$/, "");
    if (norm(cluster) !== norm(chain.rpcUrl)) {
      log.fail("cluster", "CLUSTER_MISMATCH", `bundle was anchored through RPC ${cluster}, but this verification reads ${chain.rpcUrl} (verify with a ChainReader on ${cluster})`);
    }
    log.pass("cluster", `bundle names this RPC (${cluster})`);
    return;
  }
  const expected = KNOWN_CLUSTERS[cluster] ?? (/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(cluster) ? cluster : null);
  if (expected === null && cluster !== "localnet") {
    log.fail("cluster", "CLUSTER_MISMATCH", `bundle names an unknown cluster ${JSON.stringify(cluster)} (expected mainnet-beta, devnet, testnet, localnet, a genesis hash or an RPC URL)`);
  }
  const genesis = await chain.genesisHash();
  if (expected === null) {
    if (publicGenesis.includes(genesis)) log.fail("cluster", "CLUSTER_MISMATCH", `bundle was anchored on a local chain, but ${chain.rpcUrl} serves a public cluster (genesis ${genesis})`);
    log.pass("cluster", `RPC serves a local chain (genesis ${genesis})`);
    return;
  }
  if (genesis !== expected) {
    log.fail("cluster", "CLUSTER_MISMATCH", `bundle was anchored on cluster ${cluster} (genesis ${expected}), but ${chain.rpcUrl} serves genesis ${genesis}`);
  }
  log.pass("cluster", `RPC serves cluster ${cluster}`);
}

/**
 * Reads a program account through `read`, turning its refusals into the failed check that names
 * them: a missing or foreign account is the `account` check, a batch not on chain `batch-log`.
 */
async function accountRead<T>(log: CheckLog, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    const code = (e as ProvenanceError).code;
    if (code === "ACCOUNT_OWNER" || code === "ACCOUNT_MISSING") log.fail("account", code, (e as Error).message);
    if (code === "BATCH_NOT_ON_CHAIN") log.fail("batch-log", code, (e as Error).message);
    throw e;
  }
}

/**
 * The deployment behind the root: the program's Config (read once per reader). Its key must not
 * be an INSECURE dev key and its admin not its sequencer (a failure, or a warning on a local
 * chain or with `allowInsecure`); the bundle's path must have the depth of its batch capacity.
 */
async function checkDeployment(b: InclusionBundle, chain: ChainReader, log: CheckLog, allowInsecure: boolean): Promise<void> {
  const config = await accountRead(log, () => chain.deployment());
  const problems: string[] = [];
  if (INSECURE_CIRCUITS.includes(config.circuit)) {
    problems.push(`the program verifies proofs with the INSECURE "${config.circuit}" key, whose setup is public: anyone can forge its proofs`);
  }
  if (config.admin === config.sequencer) {
    problems.push(`the program's admin is its sequencer key ${config.admin}: whoever holds the sequencer's hot key controls the registry`);
  }
  if (problems.length > 0) {
    if (b.cluster === "localnet") log.warn("deployment", `${problems.join("; ")} (a local chain: reported, not failed)`);
    else if (allowInsecure) log.warn("deployment", `${problems.join("; ")} (accepted: allowInsecure)`);
    else log.fail("deployment", "INSECURE_DEPLOYMENT", `${problems.join("; ")}; a record anchored there proves nothing (accept it knowingly with allowInsecure, an option of verifyBundle)`);
  } else {
    log.pass("deployment", `the program verifies with the "${config.circuit}" key; its admin ${config.admin} is not its sequencer`);
  }
  const depth = Math.log2(config.batchCapacity);
  if (b.inclusionProof.siblings.length !== depth) {
    log.fail("path", "PATH_MISMATCH", `the bundle's path has ${b.inclusionProof.siblings.length} levels, but the program's batches (capacity ${config.batchCapacity}) have ${depth}`);
  }
}

/**
 * The `accumulator` check of a v2 bundle, one read of the Accumulator account: the bundle's
 * position is its batch's, and its accumulator root (at its size) is the current on-chain root
 * or one in the ring. A root older than the ring is refreshed when `refresher` is given (the
 * refreshed bundle is returned), else ACCUMULATOR_STALE.
 */
async function checkAccumulator(b: InclusionBundle, chain: ChainReader, log: CheckLog, refresher: AccumulatorRefresher | undefined): Promise<InclusionBundle | undefined> {
  const a = b.accumulator!;
  let acc = await accountRead(log, () => chain.accumulator());
  if (a.size > acc.size) acc = await accountRead(log, () => chain.accumulator({ refresh: true }));
  if (b.batch.index !== acc.startIndex + a.position) {
    log.fail("accumulator", "ACCUMULATOR_POSITION_MISMATCH", `the bundle's accumulator position ${a.position} is leaf ${acc.startIndex + a.position} of the on-chain accumulator (start_index ${acc.startIndex}), not batch ${b.batch.index}`);
  }
  if (accumulatorKnowsRoot(acc, a.root, a.size)) {
    log.pass("accumulator", `Accumulator ${acc.address} holds root ${a.root} at size ${a.size} (${a.size === acc.size ? "the current root" : `a recent root; current size ${acc.size}`})`);
    return undefined;
  }
  const aged = a.size >= 1 && a.size <= acc.size && a.size + ACCUMULATOR_ROOT_HISTORY <= acc.size;
  if (!aged) {
    log.fail("accumulator", "ACCUMULATOR_ROOT_UNKNOWN", `accumulator root ${a.root} at size ${a.size} was never the on-chain root (the Accumulator holds ${acc.size} batches, root ${acc.root}, and the last ${ACCUMULATOR_ROOT_HISTORY} roots)`);
  }
  if (!refresher) {
    log.fail("accumulator", "ACCUMULATOR_STALE", `refresh needed: the bundle's accumulator root (size ${a.size}) is older than the ${ACCUMULATOR_ROOT_HISTORY} roots the Accumulator keeps (size now ${acc.size}); refresh it (refreshBundle, or verifyBundle's refresh option) from any server that has the batch roots`);
  }
  let fresh: InclusionBundle;
  try {
    fresh = withAccumulatorPath(b, await refresher.pathFor({ ...b.batch }));
  } catch (e) {
    const err = e as ProvenanceError;
    if (err instanceof ProvenanceError && !UNAVAILABLE_CODES.includes(err.code)) log.fail("accumulator", err.code, `refreshing the bundle from ${refresher.source.name}: ${err.message}`);
    throw e;
  }
  checkAccumulatorPath(fresh, log);
  const now = await accountRead(log, () => chain.accumulator());
  if (!accumulatorKnowsRoot(now, fresh.accumulator!.root, fresh.accumulator!.size)) {
    log.fail("accumulator", "ACCUMULATOR_ROOT_UNKNOWN", `the refreshed accumulator root ${fresh.accumulator!.root} is not on chain`);
  }
  log.pass("accumulator", `refreshed from ${refresher.source.name}: Accumulator ${now.address} holds root ${fresh.accumulator!.root} at size ${fresh.accumulator!.size} (the bundle's root at size ${a.size} had aged out)`);
  return fresh;
}

async function checkAgainstChain(b: InclusionBundle, chain: ChainReader, log: CheckLog, checkTransaction: boolean | undefined, allowInsecure: boolean, refresher?: AccumulatorRefresher): Promise<{ source: VerifyResult["rootSource"]; refreshed?: InclusionBundle }> {
  const program = chain.programId.toBase58();
  if (b.programId !== program) {
    log.fail("program", "PROGRAM_MISMATCH", `bundle names program ${b.programId}, not the trusted program ${program} (give the ChainReader the programId to trust another)`);
  }
  log.pass("program", `bundle names the trusted program ${program}`);

  await checkCluster(b.cluster, chain, log);
  await checkDeployment(b, chain, log, allowInsecure);

  const index = b.batch.index;
  let source: VerifyResult["rootSource"];
  if (b.accumulator) {
    // The leaf commits to the whole statement: the path and one account read check every field
    // of the batch; the transaction is fetched only when asked for (checkTransaction: true).
    const refreshed = await checkAccumulator(b, chain, log, refresher);
    if (checkTransaction === true) await checkTransactionOf(b, chain, log, "accumulator");
    return { source: "accumulator", ...(refreshed ? { refreshed } : {}) };
  }
  const chainRoot = await accountRead(log, () => chain.batchLogRoot(index));
  log.pass("account", `BatchLog ${chain.batchLogAddress.toBase58()} is owned by the program`);
  if (chainRoot !== null) {
    if (chainRoot !== b.batch.batchRoot) {
      log.fail("batch-log", "ROOT_MISMATCH", `on-chain root of batch ${index} is ${chainRoot}, not the bundle's batchRoot ${b.batch.batchRoot}`);
    }
    log.pass("batch-log", `BatchLog holds root ${chainRoot} for batch ${index}`);
    source = "batch-log";
  } else {
    source = "transaction";
  }

  if (checkTransaction !== false || source === "transaction") await checkTransactionOf(b, chain, log, source);
  return { source };
}

async function checkTransactionOf(b: InclusionBundle, chain: ChainReader, log: CheckLog, source: VerifyResult["rootSource"]): Promise<void> {
  const index = b.batch.index;
  {
    let tx;
    try {
      tx = await chain.batchFromTransaction(b.txSignature, index);
    } catch (e) {
      const err = e as ProvenanceError;
      if (!UNAVAILABLE_CODES.includes(err.code)) log.fail("transaction", err.code, err.message);
      throw e;
    }
    const diffs: string[] = [];
    if (tx.batchRoot !== b.batch.batchRoot) diffs.push(`batchRoot ${tx.batchRoot} (bundle ${b.batch.batchRoot})`);
    if (tx.count !== b.batch.count) diffs.push(`count ${tx.count} (bundle ${b.batch.count})`);
    if (tx.minTs !== b.batch.minTs) diffs.push(`minTs ${tx.minTs} (bundle ${b.batch.minTs})`);
    if (tx.maxTs !== b.batch.maxTs) diffs.push(`maxTs ${tx.maxTs} (bundle ${b.batch.maxTs})`);
    if (tx.registryRoot !== b.batch.registryRoot) diffs.push(`registryRoot ${tx.registryRoot} (bundle ${b.batch.registryRoot})`);
    if (tx.slot !== b.slot) diffs.push(`slot ${tx.slot} (bundle ${b.slot})`);
    if (diffs.length > 0) {
      const code: ErrorCode = tx.batchRoot !== b.batch.batchRoot ? "ROOT_MISMATCH" : "TX_MISMATCH";
      log.fail("transaction", code, `transaction ${b.txSignature} submitted batch ${index} with ${diffs.join(", ")}`);
    }
    const why = source === "transaction" ? ` (batch ${index} has left the ${BATCH_LOG_CAPACITY}-root BatchLog ring)` : "";
    log.pass("transaction", `transaction ${b.txSignature.slice(0, 16)}… succeeded with submit_batch of batch ${index}, this root and statement, slot ${tx.slot}${why}`);
  }
}

/**
 * Verifies one bundle (parsed JSON or the object). Never throws for a bad bundle: the result
 * says which check failed and why. Throws only when asked for nothing to verify against.
 * A service failure (RPC unreachable) is reported as a failure with code UNREACHABLE or
 * RPC_ERROR (see `UNAVAILABLE_CODES`), which callers should not count as a bad bundle.
 */
export async function verifyBundle(json: unknown, options: VerifyOptions): Promise<VerifyResult> {
  if (options.content !== undefined) return verifyWithContent(json, options, options.content);
  requireTrust(options);
  options.signal?.throwIfAborted();
  const offline = checkOffline(json, options.math);
  return "result" in offline ? offline.result : completeBundle(offline.pending, options);
}

function requireTrust(options: VerifyOptions): void {
  if (!options.chain && !hasTrustedRoots(options)) {
    throw new ProvenanceError("INVALID_CONFIG", "verifyBundle needs a chain reader or a trusted root: a bundle's own root proves nothing");
  }
}

/**
 * The root checks of a bundle that passed its offline checks (`checkOffline`): against the
 * chain when `options.chain` is given, else against the trusted roots. `verifyBundle` is
 * `checkOffline` then this; the two halves may run on different threads.
 */
export async function completeBundle(pending: PendingBundle, options: VerifyOptions): Promise<VerifyResult> {
  if (!options.chain) return completeTrusted(pending, options);
  const log = resumeLog(pending);
  const b = pending.bundle;
  try {
    const refresher = options.refresher ?? (options.refresh ? new AccumulatorRefresher(options.chain, options.refresh) : undefined);
    const { source, refreshed } = await abortable(checkAgainstChain(b, options.chain, log, options.checkTransaction, options.allowInsecure ?? false, refresher), options.signal);
    return verifyResult(log, null, pending, source, undefined, refreshed);
  } catch (e) {
    if (options.signal?.aborted) throw options.signal.reason;
    return verifyResult(log, null, pending, null, e);
  }
}

/**
 * `verifyBundle` with the `content` check last: every other check first (a digest the caller
 * is still computing runs meanwhile), then, only when they passed, the content's SHA-256
 * against the record's contentHash. A content read that fails rejects.
 */
async function verifyWithContent(json: unknown, options: VerifyOptions, content: ContentInput): Promise<VerifyResult> {
  // A digest the caller is still computing is watched from now: its rejection is this call's.
  if (typeof (content as PromiseLike<unknown>).then === "function") Promise.resolve(content).catch(() => {});
  const r = await verifyBundle(json, { ...options, content: undefined });
  if (!r.ok) return r;
  const digest = await digestContent(content, { signal: options.signal });
  const c = contentCheck((json as InclusionBundle).record.contentHash, digest);
  if (c.ok) return { ...r, checks: [...r.checks, { name: "content", ok: true, detail: c.detail }], content: c.digest };
  const { refreshed: _refreshed, ...rest } = r;
  return { ...rest, ok: false, rootSource: null, checks: [...r.checks, { name: "content", ok: false, detail: c.detail }], failure: { code: "CONTENT_MISMATCH", check: "content", message: c.detail }, content: c.digest };
}

/** One bundle of a dataset that failed (or could not be checked), in `DatasetReport.failures`. */
export interface DatasetFailure {
  /** 1-based line (or position) of the bundle in the dataset. */
  line: number;
  id: string | null;
  batchIndex: number | null;
  code: ErrorCode;
  check: string;
  message: string;
}

/** What `verifyBundles` found in a dataset: counts, failures by code, where the roots were checked. */
export interface DatasetReport {
  total: number;
  passed: number;
  failed: number;
  /** Bundles that could not be checked because a service did not answer (not counted as failed). */
  unavailable: number;
  /** Failures (and unavailable ones) counted by code. */
  byCode: Record<string, number>;
  /** The first `maxFailures` failures, in dataset order. */
  failures: DatasetFailure[];
  /** Batches seen, and where their roots were checked. */
  batches: number;
  rootSources: Record<string, number>;
  /** The distinct caveats of the bundles that passed (e.g. an insecure deployment on a local chain). */
  warnings: string[];
  elapsedMs: number;
}

export interface DatasetOptions extends VerifyOptions {
  /** Bundles verified at once (default 16). */
  concurrency?: number;
  /** Failures kept in the report (default 100). */
  maxFailures?: number;
  /** Called after each bundle with the bundles done and failed so far (the library itself prints nothing). */
  onProgress?: (done: number, failed: number) => void;
  /**
   * Where the offline checks run (default: here, one bundle after another, with `math`): a
   * `BundleChecker` such as `@provenance/ingest-engine`'s `BundlePool` (worker threads, the
   * native addon) checks many at once. Results are the same either way.
   */
  checker?: BundleChecker;
}

/**
 * Runs the offline half of verification (`checkOffline`, and `completeTrusted` when `trust`
 * is given) for many bundles at once, elsewhere: worker threads, native code. Its answers must
 * equal `checkOffline(json)` (then `completeTrusted(pending, trust)`) for every item, in order;
 * an item's `text` is parsed as a manifest line (`itemJson`).
 */
export interface BundleChecker {
  /** Items per `check` call that keep it efficient. */
  readonly batchSize: number;
  /** `check` calls in flight at once that keep it busy. */
  readonly parallelism: number;
  /** The offline checks of `items`; completed against `trust` when given (then every answer is a `result`). */
  check(items: readonly DatasetItem[], trust: TrustedRoots | null): Promise<OfflineCheck[]>;
}

/**
 * Verifies a stream of bundles with bounded concurrency (a pool of `concurrency` workers
 * pulling from the iterator, so memory stays bounded for a dataset of any size). Items carry
 * the parsed bundle (`json`) or a manifest line's `text`. With `options.checker`, the offline
 * checks run there, `checker.parallelism` slices of `checker.batchSize` bundles at a time.
 */
export async function verifyBundles(bundles: AsyncIterable<DatasetItem> | Iterable<DatasetItem>, options: DatasetOptions): Promise<DatasetReport> {
  if (options.content !== undefined) throw new ProvenanceError("INVALID_CONFIG", "the content option is for one bundle (verifyBundle): each bundle of a dataset has its own content");
  if (!options.chain && !hasTrustedRoots(options)) {
    throw new ProvenanceError("INVALID_CONFIG", "verifyBundles needs a chain reader or trusted roots: a bundle's own root proves nothing");
  }
  const t0 = Date.now();
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const maxFailures = options.maxFailures ?? 100;
  const report: DatasetReport = { total: 0, passed: 0, failed: 0, unavailable: 0, byCode: {}, failures: [], batches: 0, rootSources: {}, warnings: [], elapsedMs: 0 };
  const batchesSeen = new Set<number>();
  const iterator = Symbol.asyncIterator in bundles ? (bundles as AsyncIterable<DatasetItem>)[Symbol.asyncIterator]() : (bundles as Iterable<DatasetItem>)[Symbol.iterator]();
  const failures: DatasetFailure[] = [];
  // One refresher for the dataset: the statements are fetched and hashed once, each batch's path once.
  const shared: VerifyOptions = { ...options };
  if (options.chain && options.refresh && !options.refresher) shared.refresher = new AccumulatorRefresher(options.chain, options.refresh);
  const account = (line: number, r: VerifyResult): void => {
    report.total++;
    if (r.batchIndex !== null) batchesSeen.add(r.batchIndex);
    for (const w of r.warnings) if (!report.warnings.includes(w) && report.warnings.length < 20) report.warnings.push(w);
    if (r.ok) {
      report.passed++;
      report.rootSources[r.rootSource!] = (report.rootSources[r.rootSource!] ?? 0) + 1;
    } else {
      const f = r.failure!;
      if (UNAVAILABLE_CODES.includes(f.code)) report.unavailable++;
      else report.failed++;
      report.byCode[f.code] = (report.byCode[f.code] ?? 0) + 1;
      failures.push({ line, id: r.id, batchIndex: r.batchIndex, code: f.code, check: f.check, message: f.message });
      if (failures.length > 2 * maxFailures + 64) {
        failures.sort((a, b) => a.line - b.line);
        failures.length = maxFailures;
      }
    }
    options.onProgress?.(report.total, report.failed + report.unavailable);
  };
  const checker = options.checker;
  if (!checker) {
    const worker = async (): Promise<void> => {
      for (;;) {
        options.signal?.throwIfAborted();
        const next = await iterator.next();
        if (next.done) return;
        const item = next.value;
        const parsed = itemJson(item);
        account(item.line, "result" in parsed ? parsed.result : await verifyBundle(parsed.json, shared));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } else {
    // Each lane takes a slice of the stream, has the checker run its offline checks, then
    // finishes them here (the chain's checks, with their shared reads) before the next slice.
    const trust: TrustedRoots | null = options.chain ? null : { ...(options.trustedRoot !== undefined ? { trustedRoot: options.trustedRoot } : {}), ...(options.trustedRoots ? { trustedRoots: options.trustedRoots } : {}) };
    const size = Math.max(1, checker.batchSize);
    let exhausted = false;
    const lane = async (): Promise<void> => {
      while (!exhausted) {
        options.signal?.throwIfAborted();
        const slice: DatasetItem[] = [];
        while (slice.length < size) {
          const next = await iterator.next();
          if (next.done) {
            exhausted = true;
            break;
          }
          slice.push(next.value);
        }
        if (slice.length === 0) return;
        const answers = await checker.check(slice, trust);
        options.signal?.throwIfAborted();
        if (answers.length !== slice.length) throw new Error(`the bundle checker answered ${answers.length} of ${slice.length} bundles`);
        let k = 0;
        const finish = async (): Promise<void> => {
          while (k < answers.length) {
            const i = k++;
            const a = answers[i]!;
            account(slice[i]!.line, "result" in a ? a.result : await completeBundle(a.pending, shared));
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, answers.length) }, finish));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, checker.parallelism) }, lane));
  }
  failures.sort((a, b) => a.line - b.line);
  report.failures = failures.slice(0, maxFailures);
  report.batches = batchesSeen.size;
  report.elapsedMs = Date.now() - t0;
  return report;
}
