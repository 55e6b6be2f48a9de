/**
 * `provenance`: the command line of the provenance rollup for nodes, dataset buyers and
 * auditors (DESIGN.md "CLI"). Run from the repository root as `npx provenance <verb>`.
 *
 * Every verb has `--help`, prints JSON with `--json`, and exits 0 on success, 1 when a check
 * failed or the sequencer refused, 2 on a usage error, 3 when a service or file is unavailable.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError, Option } from "commander";
import type { RecordView, SubmitResult, SequencerClient } from "../client.js";
import { ProvenanceError } from "../errors.js";
import { BATCH_LOG_CAPACITY } from "../idl/constants.js";
import { PROVENANCE_PROGRAM_ID } from "../idl/index.js";
import type { RecordV1 } from "../record.js";
import type { DatasetReport } from "../verify.js";
import type { VerifyResult } from "../bundle.js";
import { EXIT, EXIT_CODES_HELP, ExitError, Output, UsageError, hex64, parseJsonFile, positiveInt, readText, resolveAdminToken, type Io } from "./util.js";

export const DEFAULT_RPC_URL = "http://127.0.0.1:8899";
export const DEFAULT_SEQUENCER_URL = "http://127.0.0.1:8080";

// Everything heavy (Poseidon's WebAssembly, web3.js, Anchor, snarkjs) is imported by the verb that
// needs it, so `--help` and usage errors answer at once.
const isHttpError = (e: unknown): e is Error & { status: number; serverCode: string | null; code: string } => (e as { name?: string })?.name === "SequencerHttpError";

interface GlobalOptions {
  sequencer: string;
  rpc: string;
  programId: string;
  json: boolean;
}

function defaultIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  let exitCode: number = EXIT.OK;
  let out = new Output(io, argv.includes("--json"));
  const resolvePath = (p: string) => path.resolve(io.cwd, p);

  const program = new Command("provenance");
  program
    .description("Provenance rollup: sign and submit scrape records (nodes), verify inclusion bundles (buyers), audit the on-chain log (auditors).")
    .addOption(new Option("--sequencer <url>", "sequencer base URL").env("PROVENANCE_SEQUENCER_URL").default(DEFAULT_SEQUENCER_URL))
    .addOption(new Option("--rpc <url>", "Solana JSON-RPC URL").env("PROVENANCE_RPC_URL").default(DEFAULT_RPC_URL))
    .addOption(new Option("--program-id <base58>", "the provenance program to trust").env("PROVENANCE_PROGRAM_ID").default(PROVENANCE_PROGRAM_ID))
    .option("--json", "print the result as JSON on stdout", false)
    .addHelpText("after", `\n${EXIT_CODES_HELP}\n\nRun \`provenance <verb> --help\` for each verb; docs/sdk.md has a walkthrough.`)
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s),
    });

  const globals = (cmd: Command): GlobalOptions => {
    const g = cmd.optsWithGlobals() as GlobalOptions;
    out = new Output(io, g.json === true);
    return g;
  };
  const sequencerClient = async (g: GlobalOptions, extra: { adminToken?: string; receiptKey?: string } = {}): Promise<SequencerClient> =>
    new (await import("../client.js")).SequencerClient({
      url: g.sequencer,
      ...extra,
      onRetry: ({ attempt, waitMs, reason }) => out.note(`sequencer: ${reason}; retry ${attempt} in ${(waitMs / 1000).toFixed(1)} s`),
    });
  const chainReader = async (g: GlobalOptions) => {
    const { ChainReader } = await import("../chain.js");
    return new ChainReader({ connection: g.rpc, programId: g.programId });
  };
  /** Runs an action; its return value is the exit code. */
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<number | void>) =>
    async (...args: A): Promise<void> => {
      try {
        exitCode = (await fn(...args)) ?? EXIT.OK;
      } catch (e) {
        exitCode = out.error(e);
      }
    };
  const addExitHelp = (cmd: Command) => cmd.addHelpText("after", `\n${EXIT_CODES_HELP}`);

  // --- keygen ---------------------------------------------------------------------------------
  addExitHelp(
    program
      .command("keygen")
      .description("make a node signing key (EdDSA-Poseidon on BabyJubJub) and write it to a file (mode 0600, never overwritten unless --force)")
      .option("-o, --out <file>", "key file to write", "node-key.json")
      .option("--force", "replace an existing key file (its node identity is lost)", false)
      .action(
        run(async (opts: { out: string; force: boolean }, cmd: Command) => {
          globals(cmd);
          const { NodeKey, saveNodeKey } = await import("../node/keys.js");
          const file = resolvePath(opts.out);
          const key = NodeKey.generate();
          try {
            mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
          } catch (e) {
            throw new ProvenanceError("IO_ERROR", `cannot create the directory of ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
          }
          try {
            saveNodeKey(file, key, { overwrite: opts.force });
          } catch (e) {
            if (/already exists/.test((e as Error).message)) throw new UsageError(`${(e as Error).message} (pass --force to replace it, or --out another file)`);
            throw e;
          }
          out.result({ ok: true, file, publicKey: key.publicKeyHex, nodeId: key.nodeIdHex });
          out.say(`wrote ${file} (mode 0600)`);
          out.say(`  publicKey  ${key.publicKeyHex}`);
          out.say(`  nodeId     ${key.nodeIdHex}`);
          out.say(`next: register it with the sequencer's admin: provenance nodes add --key ${opts.out}`);
        }),
      ),
  );

  // --- nodes ----------------------------------------------------------------------------------
  const nodes = program.command("nodes").description("the node registry: add, revoke, get, list (writes need the admin token)");
  const adminOptions = (cmd: Command) =>
    addExitHelp(
      cmd
        .option("--admin-token <token>", "admin token (default: $PROVENANCE_ADMIN_TOKEN, else <data-dir>/admin-token)")
        .option("--data-dir <dir>", "the sequencer's data directory, where its admin-token file is", "./.provenance"),
    );
  const keyOrArg = async (arg: string | undefined, keyFile: string | undefined, what: "publicKey" | "nodeId"): Promise<string> => {
    if (arg && keyFile) throw new UsageError(`give the ${what} or --key, not both`);
    if (keyFile) {
      const { loadNodeKey } = await import("../node/keys.js");
      const key = loadNodeKey(resolvePath(keyFile));
      return what === "publicKey" ? key.publicKeyHex : key.nodeIdHex;
    }
    if (!arg) throw new UsageError(`give the node's ${what} (64 hex) or --key FILE`);
    return hex64(arg, what);
  };
  const printNode = (n: { nodeId: string; slot: number; status: string; registryRoot: string }, verb: string) => {
    out.result({ ok: true, ...n });
    out.say(`${verb} node ${n.nodeId}`);
    out.say(`  slot ${n.slot}, ${n.status}; registry root ${n.registryRoot}`);
  };
  adminOptions(
    nodes
      .command("add")
      .description("register a node's public key (from the argument or its key file)")
      .argument("[publicKey]", "the node's packed public key, 64 hex")
      .option("-k, --key <file>", "read the public key from this node key file"),
  ).action(
    run(async (publicKey: string | undefined, opts: { key?: string; adminToken?: string; dataDir: string }, cmd: Command) => {
      const g = globals(cmd);
      const pk = await keyOrArg(publicKey, opts.key, "publicKey");
      const client = await sequencerClient(g, { adminToken: resolveAdminToken(opts.adminToken, io.env, resolvePath(opts.dataDir)) });
      printNode(await client.addNode(pk), "registered");
    }),
  );
  adminOptions(
    nodes
      .command("revoke")
      .description("revoke a node: its pending records are sealed first, new ones are refused")
      .argument("[nodeId]", "the node id, 64 hex")
      .option("-k, --key <file>", "read the node id from this node key file"),
  ).action(
    run(async (nodeId: string | undefined, opts: { key?: string; adminToken?: string; dataDir: string }, cmd: Command) => {
      const g = globals(cmd);
      const id = await keyOrArg(nodeId, opts.key, "nodeId");
      const client = await sequencerClient(g, { adminToken: resolveAdminToken(opts.adminToken, io.env, resolvePath(opts.dataDir)) });
      const r = await client.revokeNode(id);
      printNode(r, "revoked");
      if (r.sealedBatches.length) out.say(`  sealed its pending records into batch(es) ${r.sealedBatches.join(", ")}`);
    }),
  );
  addExitHelp(
    nodes
      .command("get")
      .description("one node's registry entry")
      .argument("[nodeId]", "the node id, 64 hex")
      .option("-k, --key <file>", "read the node id from this node key file")
      .action(
        run(async (nodeId: string | undefined, opts: { key?: string }, cmd: Command) => {
          const g = globals(cmd);
          printNode(await (await sequencerClient(g)).node(await keyOrArg(nodeId, opts.key, "nodeId")), "");
        }),
      ),
  );
  addExitHelp(
    nodes
      .command("list")
      .description("every node in the registry")
      .action(
        run(async (_opts: unknown, cmd: Command) => {
          const g = globals(cmd);
          let list;
          try {
            list = await (await sequencerClient(g)).nodes();
          } catch (e) {
            if (isHttpError(e) && e.status === 404 && e.serverCode === "NOT_FOUND" && /no route/.test(e.message)) {
              throw new ProvenanceError("SEQUENCER_ERROR", `the sequencer at ${g.sequencer} does not list its registry (no GET /v1/nodes route in this version); look a node up with \`provenance nodes get NODEID\``);
            }
            throw e;
          }
          out.result({ ok: true, ...list });
          out.say(`${list.nodes.length} node(s); registry root ${list.registryRoot}`);
          for (const n of list.nodes) out.say(`  ${String(n.slot).padStart(4)}  ${n.nodeId}  ${n.status}`);
        }),
      ),
  );

  // --- submit ---------------------------------------------------------------------------------
  addExitHelp(
    program
      .command("submit")
      .description("sign records with a node key and submit them; each receipt is checked against the sequencer's key")
      .option("-k, --key <file>", "node key file (from `provenance keygen`)")
      .option("--url <url>", "the fetched page's URL (one record)")
      .option("--content <file>", "the fetched bytes: their SHA-256 is the record's contentHash")
      .option("--content-hash <hex>", "SHA-256 of the fetched bytes, 64 hex (instead of --content)")
      .option("--timestamp <ms>", "when the page was fetched, ms since epoch (default: now)")
      .option("--observations <file>", "many records: JSON lines of { url, contentHash, timestamp? } to sign and submit")
      .option("--records <file>", "already signed records: JSON lines, submitted as they are")
      .option("--receipts <file>", "append each checked receipt to this JSON-lines file (for `provenance audit --receipts`)")
      .option("--receipt-key <hex>", "the sequencer's receipt key to pin (default: fetched from the sequencer on first use)")
      .option("--chunk <n>", "records per request (1..1000)", "1000")
      .option("--wait", "wait until every record is anchored on chain", false)
      .option("--timeout <seconds>", "with --wait: give up after this long", "600")
      .option("-q, --quiet", "print only the record ids, one per line (for scripts: ID=$(provenance submit ... -q))", false)
      .addHelpText("after", "\nExamples:\n  provenance submit --key node-key.json --url https://example.com/a --content page.html --receipts receipts.jsonl\n  provenance submit --key node-key.json --observations pages.jsonl --wait")
      .action(
        run(
          async (
            opts: { key?: string; url?: string; content?: string; contentHash?: string; timestamp?: string; observations?: string; records?: string; receipts?: string; receiptKey?: string; chunk: string; wait: boolean; timeout: string; quiet: boolean },
            cmd: Command,
          ) => {
            const g = globals(cmd);
            const sources = [opts.url !== undefined, opts.observations !== undefined, opts.records !== undefined].filter(Boolean).length;
            if (sources !== 1) throw new UsageError("give exactly one of --url (one record), --observations FILE or --records FILE");
            const chunk = positiveInt(opts.chunk, "--chunk", 1000);
            const timeoutMs = positiveInt(opts.timeout, "--timeout") * 1000;
            if (opts.receiptKey !== undefined) hex64(opts.receiptKey, "--receipt-key");
            let records: RecordV1[];
            if (opts.records !== undefined) {
              records = jsonLines(readText(resolvePath(opts.records), "records file"), opts.records) as RecordV1[];
            } else {
              if (!opts.key) throw new UsageError("signing needs the node's key: --key FILE (make one with `provenance keygen`)");
              const { loadNodeKey } = await import("../node/keys.js");
              const key = loadNodeKey(resolvePath(opts.key));
              if (opts.url !== undefined) {
                if ((opts.content === undefined) === (opts.contentHash === undefined)) throw new UsageError("give the fetched bytes with --content FILE or their SHA-256 with --content-hash HEX");
                const { bytesToHex } = await import("../field.js");
                const { sha256 } = await import("../record.js");
                const contentHash = opts.contentHash !== undefined ? hex64(opts.contentHash, "--content-hash") : bytesToHex(sha256(readContent(resolvePath(opts.content!))));
                const timestamp = opts.timestamp !== undefined ? Number(opts.timestamp) : Date.now();
                if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new UsageError(`--timestamp must be ms since epoch, got ${JSON.stringify(opts.timestamp)}`);
                records = [key.sign({ url: opts.url, timestamp, contentHash })];
              } else {
                const obs = jsonLines(readText(resolvePath(opts.observations!), "observations file"), opts.observations!) as { url: string; contentHash: string; timestamp?: number }[];
                records = obs.map((o, i) => {
                  try {
                    return key.sign({ url: o.url, contentHash: o.contentHash, timestamp: o.timestamp ?? Date.now() });
                  } catch (e) {
                    throw new UsageError(`${opts.observations} line ${i + 1}: ${(e as Error).message}`);
                  }
                });
              }
            }
            if (records.length === 0) throw new UsageError("nothing to submit: the file has no records");
            const client = await sequencerClient(g, opts.receiptKey ? { receiptKey: opts.receiptKey } : {});
            const results: SubmitResult[] = records.length === 1 ? [await client.submit(records[0]!)] : await client.submitMany(records, { chunk, onChunk: (n) => records.length > chunk && out.note(`submitted ${n}/${records.length}`) });
            if (opts.receipts) {
              const file = resolvePath(opts.receipts);
              mkdirSync(path.dirname(file), { recursive: true });
              appendFileSync(file, results.map((r) => JSON.stringify({ ...r.receipt })).join("\n") + "\n");
            }
            let anchored: RecordView[] = [];
            if (opts.wait) {
              if (!out.json && !opts.quiet) out.note(`waiting for ${results.length} record(s) to be anchored...`);
              const deadline = Date.now() + timeoutMs;
              anchored = [];
              for (const r of results) anchored.push(await client.waitForAnchored(r.id, { timeoutMs: Math.max(1, deadline - Date.now()) }));
            }
            out.result({ ok: true, receiptKey: await client.receiptKey(), records: results.map((r, i) => ({ ...r, ...(anchored[i] ? { status: "anchored", batch: anchored[i]!.batch, leafIndex: anchored[i]!.leafIndex } : {}) })) });
            if (opts.quiet && !out.json) {
              io.stdout.write(results.map((r) => `${r.id}\n`).join(""));
              return;
            }
            for (const [i, r] of results.entries()) {
              const a = anchored[i];
              out.say(`${r.id}  seq ${r.seq}  ${a ? `anchored in batch ${a.batch}` : r.status}${r.duplicate ? "  (already submitted: original receipt)" : ""}`);
            }
            out.say(`${results.length} record(s) accepted; receipts signed by ${(await client.receiptKey()).slice(0, 16)}… verified${opts.receipts ? `, appended to ${opts.receipts}` : ""}`);
          },
        ),
      ),
  );

  // --- status ---------------------------------------------------------------------------------
  addExitHelp(
    program
      .command("status")
      .description("a record's status: pending, batched, proven or anchored")
      .argument("<id>", "record id, 64 hex")
      .option("--wait", "wait until it is anchored", false)
      .option("--timeout <seconds>", "with --wait: give up after this long", "600")
      .action(
        run(async (id: string, opts: { wait: boolean; timeout: string }, cmd: Command) => {
          const g = globals(cmd);
          hex64(id, "record id");
          const client = await sequencerClient(g);
          const view = opts.wait ? await client.waitForAnchored(id, { timeoutMs: positiveInt(opts.timeout, "--timeout") * 1000 }) : await client.record(id);
          out.result({ ok: true, ...view });
          out.say(`${view.id}  ${view.status}${view.batch !== null ? `  batch ${view.batch} leaf ${view.leafIndex}` : ""}  seq ${view.seq}`);
          out.say(`  ${view.record.url} at ${new Date(view.record.timestamp).toISOString()}`);
        }),
      ),
  );

  // --- proof ----------------------------------------------------------------------------------
  addExitHelp(
    program
      .command("proof")
      .description("fetch a record's inclusion proof bundle (once its batch is anchored)")
      .argument("<id>", "record id, 64 hex")
      .option("-o, --out <file>", "write the bundle to this file (default: stdout)")
      .option("--wait", "wait until the record is anchored first", false)
      .option("--timeout <seconds>", "with --wait: give up after this long", "600")
      .action(
        run(async (id: string, opts: { out?: string; wait: boolean; timeout: string }, cmd: Command) => {
          const g = globals(cmd);
          hex64(id, "record id");
          const client = await sequencerClient(g);
          if (opts.wait) await client.waitForAnchored(id, { timeoutMs: positiveInt(opts.timeout, "--timeout") * 1000 });
          let bundle;
          try {
            bundle = await client.proof(id);
          } catch (e) {
            if (isHttpError(e) && e.code === "NOT_ANCHORED") {
              throw new ProvenanceError("NOT_ANCHORED", `${e.message.replace(/^sequencer refused [^:]+: 409 NOT_ANCHORED: /, "")}; retry later or pass --wait`);
            }
            throw e;
          }
          const text = `${JSON.stringify(bundle, null, 2)}\n`;
          if (opts.out) {
            const file = resolvePath(opts.out);
            try {
              mkdirSync(path.dirname(file), { recursive: true });
              writeFileSync(file, text);
            } catch (e) {
              throw new ProvenanceError("IO_ERROR", `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
            }
            out.result({ ok: true, file, id, batch: bundle.batch.index, txSignature: bundle.txSignature });
            out.say(`wrote ${file}: record ${id} in batch ${bundle.batch.index} (transaction ${bundle.txSignature})`);
          } else {
            io.stdout.write(text);
          }
        }),
      ),
  );

  // --- verify ---------------------------------------------------------------------------------
  addExitHelp(
    program
      .command("verify")
      .description("verify an inclusion proof bundle, or a dataset manifest (one bundle per line), against the chain (default) or a trusted root")
      .argument("<file>", "a bundle as served by GET /v1/records/:id/proof, or a manifest of bundles, one per line")
      .option("--root <hex>", "verify offline against this trusted batch root instead of the chain")
      .option("--no-tx", "skip fetching the batch's transaction (one account read only; the batch statement's other fields and the slot go unchecked)")
      .option("--concurrency <n>", "bundles verified at once (manifests)", "16")
      .option("--max-failures <n>", "failures listed in the report (manifests)", "20")
      .option("--no-progress", "no progress bar, even on a terminal")
      .addHelpText(
        "after",
        `\nChecks, in order: bundle format; the record's EdDSA-Poseidon signature; its id and leaf; the\nMerkle path to the bundle's batch root; the record's time in the batch window; then either the\ntrusted root (--root) or the chain: the program id, the cluster, the BatchLog account (owned by\nthe program) holding that root at that batch index, and the submit_batch transaction carrying the\nsame statement (or, for a batch older than the ${BATCH_LOG_CAPACITY}-root ring, the transaction alone).`,
      )
      .action(
        run(async (file: string, opts: { root?: string; tx: boolean; concurrency: string; maxFailures: string; progress: boolean }, cmd: Command) => {
          const g = globals(cmd);
          if (opts.root !== undefined) hex64(opts.root, "--root");
          const concurrency = positiveInt(opts.concurrency, "--concurrency", 1024);
          const maxFailures = positiveInt(opts.maxFailures, "--max-failures");
          const { sniffBundleFile, verifyManifest } = await import("../node/manifest.js");
          const { verifyBundle } = await import("../verify.js");
          const full = resolvePath(file);
          const kind = sniffBundleFile(full);
          if (kind.kind === "invalid") {
            // A corrupted bundle file is a failed verification, not a usage error.
            const r: VerifyResult = { ok: false, id: null, batchIndex: null, rootSource: null, checks: [{ name: "format", ok: false, detail: kind.message }], failure: { code: "INVALID_BUNDLE", check: "format", message: kind.message } };
            return reportOne(out, file, r);
          }
          const chain = opts.root === undefined ? await chainReader(g) : undefined;
          try {
            const options = { ...(chain ? { chain } : { trustedRoot: opts.root! }), checkTransaction: opts.tx };
            if (kind.kind === "bundle") {
              const r = await verifyBundle(kind.json, options);
              return reportOne(out, file, r);
            }
            const report = await verifyManifest(full, { ...options, concurrency, maxFailures, progress: opts.progress && !out.json && io.stderr.isTTY === true });
            return reportDataset(out, file, report, chain ? { accountReads: chain.stats.accountReads, transactionReads: chain.stats.transactionReads } : null);
          } finally {
            chain?.close();
          }
        }),
      ),
  );

  // --- audit ----------------------------------------------------------------------------------
  addExitHelp(
    program
      .command("audit")
      .description("walk the on-chain log from genesis: hash chain, Groth16 proofs, data availability, the sequencer's report, and receipts")
      .option("--receipts <file>", "receipts a node collected (JSON lines, as `provenance submit --receipts` writes): report any not anchored")
      .option("--receipt-key <hex>", "the sequencer's receipt key to check receipts against (default: fetched from the sequencer)")
      .option("--grace <seconds>", "a receipt younger than this may still be unanchored", "900")
      .option("--vk <file>", "the circuit's snarkjs verifying key (default: circuits/keys/<circuit>.vk.json of this checkout)")
      .option("--skip-proofs", "do not re-verify the Groth16 proofs", false)
      .option("--skip-data", "do not fetch and re-hash every batch's records", false)
      .option("--concurrency <n>", "batches checked at once", "4")
      .option("--no-progress", "no progress on a terminal")
      .addHelpText(
        "after",
        "\nThe batch list (index, transaction) comes from the sequencer's GET /v1/batches; everything else\nis read from the chain: each transaction's submit_batch arguments, re-chained from the genesis\nhead, must end at Config.chain_head after Config.next_index batches, so a missing, extra,\naltered or reordered batch is caught even though the list came from the sequencer.",
      )
      .action(
        run(
          async (
            opts: { receipts?: string; receiptKey?: string; grace: string; vk?: string; skipProofs: boolean; skipData: boolean; concurrency: string; progress: boolean },
            cmd: Command,
          ) => {
            const g = globals(cmd);
            if (opts.receiptKey !== undefined) hex64(opts.receiptKey, "--receipt-key");
            const grace = Number(opts.grace);
            if (!Number.isFinite(grace) || grace < 0) throw new UsageError(`--grace must be a number of seconds, got ${JSON.stringify(opts.grace)}`);
            const concurrency = positiveInt(opts.concurrency, "--concurrency", 64);
            const { audit, readReceiptsFile } = await import("../node/audit.js");
            const receipts = opts.receipts ? readReceiptsFile(resolvePath(opts.receipts)) : undefined;
            const vk = opts.vk ? parseJsonFile(resolvePath(opts.vk), "verifying key") : undefined;
            const chain = await chainReader(g);
            const showProgress = opts.progress && !out.json && io.stderr.isTTY === true;
            try {
              const report = await audit({
                chain,
                sequencer: await sequencerClient(g, opts.receiptKey ? { receiptKey: opts.receiptKey } : {}),
                ...(vk !== undefined ? { verifyingKey: vk } : {}),
                ...(receipts ? { receipts } : {}),
                receiptGraceMs: grace * 1000,
                skipProofs: opts.skipProofs,
                skipData: opts.skipData,
                concurrency,
                onProgress: showProgress ? (stage, done, total) => io.stderr.write(`\r${stage} ${done}/${total}\x1b[K${done === total ? "\n" : ""}`) : undefined,
              });
              out.result(report);
              const c = report.config;
              out.say(`program ${report.programId} on ${report.rpcUrl} (circuit ${c.circuit}, batch capacity ${c.batchCapacity})`);
              out.say(`  hash chain: ${report.chain.batches} batch(es) from genesis, head ${report.chain.computedHead} ${report.chain.headMatches ? "= Config.chain_head" : `!= Config.chain_head ${report.chain.onChainHead}`}`);
              if (!opts.skipProofs) out.say(`  proofs: ${report.proofs.valid}/${report.proofs.checked} Groth16 proofs verify off-chain`);
              if (!opts.skipData) out.say(`  data: ${report.data.matching}/${report.data.checked} batches' records (${report.data.records}) re-hash to their on-chain roots`);
              out.say(`  sequencer: lists ${report.sequencer.listed} batch(es), ${report.sequencer.notYetAnchored} not yet anchored`);
              if (receipts) out.say(`  receipts: ${report.receipts.anchored}/${report.receipts.checked} anchored, ${report.receipts.pending} pending, ${report.receipts.failed} failed`);
              for (const f of report.findings) out.say(`  ${f.severity === "error" ? "FAIL" : "warn"} ${f.code}${f.batch !== undefined ? ` batch ${f.batch}` : ""}: ${f.message}`);
              out.say(report.ok ? "audit passed" : `audit FAILED: ${report.findings.filter((f) => f.severity === "error").length} problem(s)`);
              return report.ok ? EXIT.OK : EXIT.FAILED;
            } finally {
              chain.close();
            }
          },
        ),
      ),
  );

  // --- localnet -------------------------------------------------------------------------------
  addExitHelp(
    program
      .command("localnet")
      .description("run the local Solana chain (JSON-RPC on Agave's runtime with the program loaded) in the foreground; Ctrl-C stops it")
      .option("--port <n>", "JSON-RPC port (the websocket is port + 1)", "8899")
      .option("--data-dir <dir>", "chain state directory (kept across restarts)", "./.provenance/localnet")
      .action(
        run(async (opts: { port: string; dataDir: string }, cmd: Command) => {
          globals(cmd);
          const port = positiveInt(opts.port, "--port", 65534);
          const { startLocalnet } = await import("../node/localnet.js");
          const dataDir = resolvePath(opts.dataDir);
          mkdirSync(dataDir, { recursive: true });
          if (!out.json) out.note("starting the local chain (the first run builds it with cargo: minutes)...");
          const chain = await startLocalnet({ dataDir, port, timeoutMs: 30 * 60_000 });
          const info = { ok: true, rpcUrl: chain.rpcUrl, wsUrl: chain.wsUrl, programId: chain.programId, wallet: chain.wallet, walletPubkey: chain.walletPubkey, genesisHash: chain.genesisHash, fresh: chain.fresh, dataDir: chain.dataDir };
          if (out.json) io.stdout.write(`${JSON.stringify(info)}\n`);
          else {
            out.say(`local chain ${chain.fresh ? "(fresh)" : "(restored)"} in ${dataDir}`);
            out.say(`  JSON-RPC   ${chain.rpcUrl}`);
            out.say(`  websocket  ${chain.wsUrl}`);
            out.say(`  program    ${chain.programId}`);
            out.say(`  wallet     ${chain.wallet} (${chain.walletPubkey}, funded)`);
            out.say(`  genesis    ${chain.genesisHash}`);
            out.say("Ctrl-C to stop.");
          }
          const code = await new Promise<number>((resolve) => {
            let stopping = false;
            const stop = (signal: string) => {
              if (stopping) return;
              stopping = true;
              if (!out.json) out.note(`${signal}: stopping the local chain...`);
              void chain.stop().then(() => resolve(EXIT.OK));
            };
            process.once("SIGINT", () => stop("SIGINT"));
            process.once("SIGTERM", () => stop("SIGTERM"));
            chain.process.once("exit", (c) => {
              if (!stopping) {
                out.note(`the local chain exited on its own (code ${c}):\n${chain.output().slice(-2000)}`);
                resolve(EXIT.UNAVAILABLE);
              }
            });
          });
          return code;
        }),
      ),
  );

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.code === "commander.version") return EXIT.OK;
      if (e.code === "commander.executeSubCommandAsync") return EXIT.UNAVAILABLE;
      // commander printed the message (and the usage hint) already
      return EXIT.USAGE;
    }
    if (e instanceof ExitError) return e.exitCode;
    return out.error(e);
  }
  return exitCode;
}

function jsonLines(text: string, file: string): unknown[] {
  const out: unknown[] = [];
  text.split("\n").forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith("#")) return;
    try {
      out.push(JSON.parse(t));
    } catch (e) {
      throw new UsageError(`${file} line ${i + 1} is not JSON (${(e as Error).message}): expected one JSON object per line`);
    }
  });
  return out;
}

const UNAVAILABLE_CODES = ["UNREACHABLE", "RPC_ERROR", "TIMEOUT"];

function readContent(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ProvenanceError("IO_ERROR", `cannot read the content file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function reportOne(out: Output, file: string, r: VerifyResult): number {
  const unavailable = !r.ok && UNAVAILABLE_CODES.includes(r.failure!.code);
  out.result({ file, ...r });
  for (const c of r.checks) out.say(`  ${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(12)} ${c.detail}`);
  if (r.ok) out.say(`VALID: record ${r.id} is in batch ${r.batchIndex}, checked against ${r.rootSource === "trusted-root" ? "the trusted root" : r.rootSource === "batch-log" ? "the on-chain BatchLog and its transaction" : "its on-chain transaction"}`);
  else if (unavailable) out.say(`NOT CHECKED: ${r.failure!.message}`);
  else out.say(`INVALID (${r.failure!.code}, ${r.failure!.check} check): ${r.failure!.message}`);
  return r.ok ? EXIT.OK : unavailable ? EXIT.UNAVAILABLE : EXIT.FAILED;
}

function reportDataset(out: Output, file: string, report: DatasetReport, reads: { accountReads: number; transactionReads: number } | null): number {
  out.result({ ok: report.failed === 0 && report.unavailable === 0, file, ...report, ...(reads ? { rpc: reads } : {}) });
  const rate = report.total / Math.max(0.001, report.elapsedMs / 1000);
  out.say(`${file}: ${report.passed}/${report.total} bundles valid across ${report.batches} batch(es) in ${(report.elapsedMs / 1000).toFixed(1)} s (${rate.toFixed(0)}/s)${reads ? `; ${reads.accountReads} account read(s), ${reads.transactionReads} transaction read(s)` : ""}`);
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

export { ExitError };
