/** `provenance verify`: a bundle or a dataset manifest, against the chain or a trusted root. */
import type { Command } from "commander";
import type { ContentDigest, DatasetReport, VerifyResult } from "@provenance/client-sdk";
import { ProvenanceError } from "@provenance/client-sdk/errors";
import { BATCH_LOG_CAPACITY } from "@provenance/client-sdk/constants";
import type { CliContext } from "../context.js";
import { cliHint, EXIT, hex64, positiveInt, UsageError, type Output } from "../output.js";

export function registerVerify(program: Command, ctx: CliContext): void {
  ctx.addExitHelp(
    program
      .command("verify")
      .description("verify an inclusion proof bundle, or a dataset manifest (one bundle per line), against the chain (default) or a trusted root")
      .argument("<file>", "a bundle as served by GET /v1/records/:id/proof, or a manifest of bundles, one per line")
      .option("--root <hex>", "verify offline against this trusted batch root instead of the chain")
      .option("--roots <file>", 'verify offline against trusted roots per batch from FILE (JSON lines: {"batch": N, "root": "<64 hex>"}); a bundle of a batch not in FILE fails UNTRUSTED_BATCH')
      .option("--workers <n>", "worker threads that verify a manifest, natively when the addon is built (default: one per core for a manifest over 512 KiB, else 0; 0: on this thread, the SDK's JavaScript path, no start-up)")
      .option("--no-tx", "skip fetching the batch's transaction (one account read only; the batch statement's other fields and the slot go unchecked)")
      .option("--concurrency <n>", "bundles verified at once (manifests)", "16")
      .option("--max-failures <n>", "failures listed in the report (manifests)", "20")
      .option("--no-progress", "no progress bar, even on a terminal")
      .option("--refresh", "when a bundle's accumulator root has aged out of the on-chain ring (ACCUMULATOR_STALE), refresh its path from the sequencer's batch list (untrusted: checked against the on-chain Accumulator root) and verify that", false)
      .option("--from-chain", "with --refresh: take the batch statements from the chain's own submit_batch transactions, no sequencer needed", false)
      .option("--content <file>", "also re-hash the fetched file (SHA-256, streamed) against the record's contentHash: the `content` check (one bundle only)")
      .option("--allow-insecure", "accept a deployment whose proofs can be forged (INSECURE test/dev keys) or whose admin is its sequencer, with a warning (always only a warning on a local chain)", false)
      .addHelpText(
        "after",
        `\nChecks, in order: bundle format; the record's EdDSA-Poseidon signature (\`signature\`, or for a\nchunk-signed record \`chunk-signature\`: its chunk's one signature, over the digest re-derived from\nthe record, its index, the chunk's size and 4 siblings); its id and leaf; the\nMerkle path to the bundle's batch root; the record's time in the batch window; then either the\ntrusted root (--root, or each batch's own from --roots FILE) or the chain: the program id, the cluster, the BatchLog account (owned by\nthe program) holding that root at that batch index, and the submit_batch transaction carrying the\nsame statement (or, for a batch older than the ${BATCH_LOG_CAPACITY}-root ring, the transaction alone).\nA version-2 bundle is checked instead through its accumulator path (offline) and one read of the\nAccumulator account; a root older than its ring needs a refresh (--refresh, or\n\`provenance proof --refresh FILE\` to save the refreshed bundle).`,
      )
      .action(
        ctx.run(async (file: string, opts: { root?: string; roots?: string; workers?: string; tx: boolean; concurrency: string; maxFailures: string; progress: boolean; allowInsecure: boolean; refresh: boolean; fromChain: boolean; content?: string }, cmd: Command) => {
          const g = ctx.globals(cmd);
          if (opts.root !== undefined) hex64(opts.root, "--root");
          if (opts.root !== undefined && opts.refresh) throw new UsageError("--refresh checks against the chain's Accumulator: not with --root");
          if (opts.roots !== undefined && opts.root !== undefined) throw new UsageError("--root (one root for every bundle) and --roots (a root per batch) exclude each other");
          if (opts.roots !== undefined && opts.refresh) throw new UsageError("--refresh checks against the chain's Accumulator: not with --roots");
          if (opts.workers !== undefined && !/^\d+$/.test(opts.workers)) throw new UsageError(`--workers must be a non-negative integer, got ${JSON.stringify(opts.workers)}`);
          const workers = opts.workers === undefined ? undefined : Number(opts.workers);
          if (opts.fromChain && !opts.refresh) throw new UsageError("--from-chain goes with --refresh");
          const concurrency = positiveInt(opts.concurrency, "--concurrency", 1024);
          const maxFailures = positiveInt(opts.maxFailures, "--max-failures");
          const { sniffBundleFile, verifyManifest } = await import("@provenance/client-sdk/node");
          const { verifyBundle } = await import("@provenance/client-sdk");
          const full = ctx.resolvePath(file);
          const kind = sniffBundleFile(full);
          if (opts.content !== undefined && kind.kind === "manifest") throw new UsageError(`--content checks one bundle's content, and ${file} is a manifest (one bundle per line): verify each bundle with its own file`);
          // The content file is opened before anything is verified: a missing one is an error (exit 3), not a failed check.
          const content = opts.content !== undefined ? await openContent(ctx.resolvePath(opts.content)) : undefined;
          const trustedRoots = opts.roots !== undefined ? await (await import("@provenance/client-sdk/node")).readTrustedRoots(ctx.resolvePath(opts.roots)) : undefined;
          if (kind.kind === "invalid") {
            // A corrupted bundle file is a failed verification, not a usage error.
            const r: VerifyResult = { ok: false, id: null, batchIndex: null, rootSource: null, checks: [{ name: "format", ok: false, detail: kind.message }], failure: { code: "INVALID_BUNDLE", check: "format", message: kind.message }, warnings: [] };
            return reportOne(ctx.out, file, r);
          }
          const chain = opts.root === undefined && trustedRoots === undefined ? await ctx.chainReader(g) : undefined;
          try {
            const { sequencerStatementSource, chainStatementSource } = await import("@provenance/client-sdk");
            const refresh = chain && opts.refresh ? (opts.fromChain ? chainStatementSource(chain) : sequencerStatementSource(await ctx.sequencerClient(g))) : undefined;
            const options = { ...(chain ? { chain } : trustedRoots ? { trustedRoots } : { trustedRoot: opts.root! }), checkTransaction: opts.tx, allowInsecure: opts.allowInsecure, ...(refresh ? { refresh } : {}) };
            if (kind.kind === "bundle") {
              const r = await verifyBundle(kind.json, { ...options, ...(content ? { content: content.digest } : {}) });
              return reportOne(ctx.out, file, r);
            }
            // A manifest is checked on every core (worker threads, the native addon when built),
            // unless it is small enough that starting the workers would cost more than they save.
            const { statSync } = await import("node:fs");
            const threads = workers ?? (statSync(full).size > SMALL_MANIFEST_BYTES ? undefined : 0);
            const checker = threads === 0 ? undefined : await bundlePool(ctx.out, threads);
            let report;
            try {
              report = await verifyManifest(full, { ...options, concurrency, maxFailures, progress: opts.progress && !ctx.out.json && ctx.io.stderr.isTTY === true, ...(checker ? { checker } : {}) });
            } finally {
              await checker?.close();
            }
            if (report.byCode["ACCUMULATOR_STALE"]) ctx.out.say(`refresh needed: ${report.byCode["ACCUMULATOR_STALE"]} bundle(s) have accumulator roots older than the on-chain ring; rerun with --refresh (or --refresh --from-chain)`);
            return reportDataset(ctx.out, file, report, chain ? { accountReads: chain.stats.accountReads, transactionReads: chain.stats.transactionReads } : null);
          } finally {
            chain?.close();
          }
        }),
      ),
  );
}

/**
 * The SHA-256 of a content file, hashing started at once (it runs beside the chain reads). A
 * path that is a directory is a usage error; one that cannot be read, IO_ERROR (exit 3).
 */
async function openContent(file: string): Promise<{ digest: Promise<ContentDigest> }> {
  const { statSync } = await import("node:fs");
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`--content ${file} is a directory: give the fetched file`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new ProvenanceError("IO_ERROR", `cannot read the content file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { sha256File } = await import("@provenance/client-sdk/node");
  const digest = sha256File(file);
  digest.catch(() => {});
  return { digest };
}

const UNAVAILABLE_CODES = ["UNREACHABLE", "RPC_ERROR", "TIMEOUT"];

/** Up to this size (~300 bundles) a manifest is verified on the main thread by default: the workers' start-up (seconds) would cost more than they save. */
const SMALL_MANIFEST_BYTES = 512 * 1024;

/**
 * The worker pool that checks a manifest's bundles, with a notice when it cannot check natively
 * (the addon is not built: the WebAssembly arithmetic, same results, slower). Under
 * PROVENANCE_REQUIRE_NATIVE=1 a missing addon is an error instead.
 */
async function bundlePool(out: Output, workers: number | undefined): Promise<import("@provenance/ingest-engine").BundlePool> {
  const { BundlePool } = await import("@provenance/ingest-engine");
  const pool = await BundlePool.create(workers === undefined ? {} : { workers });
  if (!pool.native) out.note(`notice: native bundle verification is unavailable (${pool.reason}); verifying with the SDK's WebAssembly arithmetic in ${pool.size} worker thread(s): same results, slower`);
  return pool;
}

function reportOne(out: Output, file: string, r: VerifyResult): number {
  const unavailable = !r.ok && UNAVAILABLE_CODES.includes(r.failure!.code);
  out.result({ file, ...r });
  for (const c of r.checks) out.say(`  ${c.ok ? (c.warning ? "warn" : "ok  ") : "FAIL"} ${c.name.padEnd(16)} ${c.detail}`);
  // A chunk-signed record: its node signed it with the other records of its chunk, once.
  const chunk = r.chunk ? ` (chunk-signed: index ${r.chunk.index} of a chunk of ${r.chunk.size})` : "";
  if (r.ok) out.say(`VALID: record ${r.id}${chunk} is in batch ${r.batchIndex}, checked against ${r.rootSource === "trusted-root" ? "the trusted root" : r.rootSource === "batch-log" ? "the on-chain BatchLog and its transaction" : r.rootSource === "accumulator" ? "the on-chain Accumulator" : "its on-chain transaction"}${r.warnings.length ? ` — with ${r.warnings.length} warning(s) above` : ""}`);
  if (r.ok && r.content) out.say(`content: the file's SHA-256 (${r.content.bytes} bytes) is the record's contentHash`);
  if (r.ok && r.refreshed) out.say(`refreshed: the bundle's accumulator root had aged out; verified with a fresh path to root ${r.refreshed.accumulator!.root} (size ${r.refreshed.accumulator!.size}) — save it with \`provenance proof --refresh ${file}\``);
  if (!r.ok && r.failure!.code === "ACCUMULATOR_STALE") out.say(`REFRESH NEEDED: ${r.failure!.message}; rerun with --refresh (or --refresh --from-chain), or save a refreshed bundle with \`provenance proof --refresh ${file}\``);
  else if (unavailable) out.say(`NOT CHECKED: ${r.failure!.message}`);
  else if (!r.ok) out.say(`INVALID (${r.failure!.code}, ${r.failure!.check} check): ${r.failure!.message}`);
  const hint = !r.ok && r.failure!.code !== "ACCUMULATOR_STALE" ? cliHint(r.failure!.code, r.failure!.message) : null;
  if (hint) out.say(`hint: ${hint}`);
  return r.ok ? EXIT.OK : unavailable ? EXIT.UNAVAILABLE : EXIT.FAILED;
}

function reportDataset(out: Output, file: string, report: DatasetReport, reads: { accountReads: number; transactionReads: number } | null): number {
  out.result({ ok: report.failed === 0 && report.unavailable === 0, file, ...report, ...(reads ? { rpc: reads } : {}) });
  const rate = report.total / Math.max(0.001, report.elapsedMs / 1000);
  out.say(`${file}: ${report.passed}/${report.total} bundles valid across ${report.batches} batch(es) in ${(report.elapsedMs / 1000).toFixed(1)} s (${rate.toFixed(0)}/s)${reads ? `; ${reads.accountReads} account read(s), ${reads.transactionReads} transaction read(s)` : ""}`);
  for (const w of report.warnings) out.say(`  warn ${w}`);
  if (report.failed || report.unavailable) {
    out.say(`${report.failed} invalid${report.unavailable ? `, ${report.unavailable} not checked (service unavailable)` : ""}; by reason:`);
    for (const [code, n] of Object.entries(report.byCode).sort((a, b) => b[1] - a[1])) out.say(`  ${String(n).padStart(6)}  ${code}`);
    out.say(`first ${report.failures.length}:`);
    for (const f of report.failures) out.say(`  line ${f.line}${f.id ? ` (${f.id.slice(0, 16)}…)` : ""}: ${f.code}: ${f.message}`);
  }
  if (report.failed > 0) return EXIT.FAILED;
  if (report.unavailable > 0) return EXIT.UNAVAILABLE;
  return EXIT.OK;
}
