/** `provenance audit`: the on-chain log end to end. */
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { EXIT, UsageError, hex64, parseJsonFile, positiveInt } from "../output.js";

export function registerAudit(program: Command, ctx: CliContext): void {
  ctx.addExitHelp(
    program
      .command("audit")
      .description("walk the on-chain log from genesis (or a checkpoint), from the chain alone: hash chain, Groth16 proofs, registry history; then with the sequencer: data availability, its list, and receipts")
      .option("--receipts <file>", "receipts a node collected (JSON lines, as `provenance submit --receipts` writes): report any not anchored")
      .option("--receipt-key <hex>", "the sequencer's receipt key to check receipts against, as the node pinned it (required with --receipts)")
      .option("--grace <seconds>", "a receipt younger than this may still be unanchored", "900")
      .option("--vk <file>", "the snarkjs verifying key of the circuit's chunk shape (default: the key the SDK ships for the deployment's circuit, from circuits/keys/)")
      .option("--vk-single <file>", "the snarkjs verifying key of the circuit's single shape (default: the key the SDK ships for <circuit>-single)")
      .option("--skip-proofs", "do not re-verify the Groth16 proofs", false)
      .option("--allow-insecure", "on a public cluster, report a deployment on INSECURE keys or with admin = sequencer as a warning, not an error", false)
      .option("--skip-data", "do not fetch and re-hash every batch's records", false)
      .option("--chain-only", "do not contact the sequencer: the chain part only (data availability is reported unchecked; exit 0 when it passes)", false)
      .option("--checkpoint <file>", "resume from this checkpoint when it exists, and write it (atomically) as batches are verified")
      .option("--concurrency <n>", "batches checked at once", "4")
      .option("--no-progress", "no progress on a terminal")
      .addHelpText(
        "after",
        "\nThe log comes from the chain alone: the program's transactions (getSignaturesForAddress, paged,\nreplayed oldest first), each submit_batch's arguments from getTransaction, re-chained from the\ngenesis head to Config.chain_head after Config.next_index batches (a missing, extra, altered or\nreordered batch cannot pass), each proof re-verified from the transaction's bytes. The sequencer\nis asked only for each batch's records (data availability), its batch list (a cross-check: a\nbatch one side has and the other lacks is a finding) and receipts. If it cannot be reached the\nchain part still runs in full, DATA_UNCHECKED says so, and the exit code is 3 (1 if the chain\npart failed); with --chain-only the same report exits 0.\n\n--checkpoint FILE: an audit that passes writes FILE (program, cluster, last verified batch and\nits chain head, the registry state); the next run with the same FILE checks only the batches\nthat landed since, with the same verdict. A checkpoint of another program or cluster, or one\nthe chain no longer agrees with, is refused.",
      )
      .action(
        ctx.run(
          async (
            opts: { receipts?: string; receiptKey?: string; grace: string; vk?: string; vkSingle?: string; skipProofs: boolean; skipData: boolean; chainOnly: boolean; checkpoint?: string; concurrency: string; progress: boolean; allowInsecure: boolean },
            cmd: Command,
          ) => {
            const g = ctx.globals(cmd);
            if (opts.receiptKey !== undefined) hex64(opts.receiptKey, "--receipt-key");
            if (opts.receipts !== undefined && opts.receiptKey === undefined) {
              throw new UsageError(
                "--receipts needs --receipt-key HEX, the sequencer's receipt key as the node pinned it (`provenance submit` prints it; " +
                  "`--json` gives receiptKey): the key the audited sequencer serves now proves nothing, since it could serve another one and make its own receipts look forged",
              );
            }
            if (opts.chainOnly && opts.receipts !== undefined) {
              throw new UsageError("--receipts needs the sequencer (whether each receipt's record was anchored is its answer): drop --chain-only, or drop --receipts");
            }
            const grace = Number(opts.grace);
            if (!Number.isFinite(grace) || grace < 0) throw new UsageError(`--grace must be a number of seconds, got ${JSON.stringify(opts.grace)}`);
            const concurrency = positiveInt(opts.concurrency, "--concurrency", 64);
            const { audit, readReceiptsFile, readAuditCheckpoint, writeAuditCheckpoint, ProgressBar } = await import("@provenance/client-sdk/node");
            const checkpointFile = opts.checkpoint !== undefined ? ctx.resolvePath(opts.checkpoint) : undefined;
            const checkpoint = checkpointFile ? readAuditCheckpoint(checkpointFile) : null;
            const receipts = opts.receipts ? readReceiptsFile(ctx.resolvePath(opts.receipts)) : undefined;
            const vk = opts.vk ? parseJsonFile(ctx.resolvePath(opts.vk), "verifying key") : undefined;
            const vkSingle = opts.vkSingle ? parseJsonFile(ctx.resolvePath(opts.vkSingle), "verifying key") : undefined;
            // The native Groth16 verifier where its addon is built (about a millisecond a proof), else snarkjs.
            const { nativeProver, verifyNative } = await import("@provenance/prover");
            const chain = await ctx.chainReader(g);
            const showProgress = opts.progress && !ctx.out.json && ctx.io.stderr.isTTY === true;
            // One bar per stage, with an ETA (on a terminal only; nothing with --json or --no-progress).
            const labels = { transactions: "reading transactions", batches: "checking batches   " } as const;
            let bar: { stage: string; bar: InstanceType<typeof ProgressBar>; done: number; problems: number } | null = null;
            const endBar = () => {
              bar?.bar.finish(bar.done, bar.problems);
              bar = null;
            };
            const onProgress = (stage: "transactions" | "batches", done: number, total: number, problems: number) => {
              if (bar?.stage !== stage) {
                endBar();
                bar = { stage, bar: new ProgressBar(labels[stage], total, { stream: ctx.io.stderr as NodeJS.WriteStream, enabled: true }), done, problems };
              }
              bar.done = done;
              bar.problems = problems;
              bar.bar.update(done, problems, done === total);
            };
            if (checkpoint && !ctx.out.json) ctx.out.note(`resuming from ${opts.checkpoint}: batches 0..${checkpoint.verified - 1} verified ${checkpoint.writtenAt}`);
            try {
              const report = await audit({
                chain,
                sequencer: opts.chainOnly ? null : await ctx.sequencerClient(g, opts.receiptKey ? { receiptKey: opts.receiptKey } : {}),
                checkpoint,
                ...(checkpointFile ? { saveCheckpoint: (c) => writeAuditCheckpoint(checkpointFile, c) } : {}),
                ...(vk !== undefined ? { verifyingKey: vk } : {}),
                ...(vkSingle !== undefined ? { verifyingKeys: { 1: vkSingle } } : {}),
                ...(receipts ? { receipts } : {}),
                ...(opts.receiptKey !== undefined ? { receiptKey: opts.receiptKey } : {}),
                ...(nativeProver.available ? { verifyProof: verifyNative, verifierName: "native" } : {}),
                allowInsecure: opts.allowInsecure,
                receiptGraceMs: grace * 1000,
                skipProofs: opts.skipProofs,
                skipData: opts.skipData,
                concurrency,
                ...(showProgress ? { onProgress } : {}),
              });
              endBar();
              ctx.out.result(report);
              const c = report.config;
              const before = `batches 0..${report.chain.from - 1} verified before`;
              const from =
                report.chain.from === 0
                  ? `${report.chain.batches} batch(es) from genesis`
                  : report.chain.audited > 0
                    ? `batches ${report.chain.from}..${report.chain.batches - 1} after the checkpoint (${before})`
                    : `no batch since the checkpoint (${before})`;
              ctx.out.say(`program ${report.programId} on ${report.rpcUrl} (circuit ${c.circuit}, batch capacity ${c.batchCapacity})`);
              ctx.out.say(`  hash chain: ${from} (${report.chain.transactions} program transaction(s) read from the chain, ${report.chain.failedTransactions} failed), head ${report.chain.computedHead} ${report.chain.headMatches ? "= Config.chain_head" : `!= Config.chain_head ${report.chain.onChainHead}`}`);
              if (report.registry) {
                const kinds = report.registry.changes.reduce<Record<string, number>>((n, c) => ({ ...n, [c.kind]: (n[c.kind] ?? 0) + 1 }), {});
                const listed = Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ");
                const mismatch = report.findings.some((f) => f.code === "REGISTRY_HISTORY_MISMATCH" || f.code === "REGISTRY_HISTORY_UNAVAILABLE");
                ctx.out.say(`  registry: ${report.registry.changes.length} root change(s) from the chain alone (${listed || "none"}), ${mismatch ? "NOT ending at Config" : `ending at Config (version ${report.config.registryVersion})`}`);
              }
              if (!opts.skipProofs) ctx.out.say(`  proofs: ${report.proofs.valid}/${report.proofs.checked} Groth16 proofs verify off-chain (${report.proofs.verifier})`);
              if (report.data.status === "checked") ctx.out.say(`  data: ${report.data.matching}/${report.data.checked} batches' records (${report.data.records}) re-hash to their on-chain roots`);
              else if (!opts.skipData) ctx.out.say(`  data: NOT CHECKED (${report.data.reason})${report.data.checked ? `; ${report.data.matching}/${report.data.checked} batches checked before` : ""}`);
              if (report.sequencer.available) ctx.out.say(`  sequencer: lists ${report.sequencer.listed} batch(es), ${report.sequencer.notYetAnchored} not yet anchored`);
              else if (!opts.chainOnly) ctx.out.say(`  sequencer: unreachable (${report.sequencer.error})`);
              if (receipts) ctx.out.say(`  receipts: ${report.receipts.anchored}/${report.receipts.checked} anchored, ${report.receipts.pending} pending, ${report.receipts.dropped} dropped (signed notice), ${report.receipts.failed} failed${report.receipts.unchecked ? `, ${report.receipts.unchecked} not checked (no sequencer)` : ""}`);
              if (report.checkpoint && opts.checkpoint !== undefined) {
                const cp = report.checkpoint;
                ctx.out.say(`  checkpoint: ${cp.written ? `${opts.checkpoint} written: batches 0..${cp.verified - 1} verified` : `${opts.checkpoint} not ${checkpoint ? "advanced" : "written"} (${report.ok ? "data availability could not be checked" : "the audit found problems"})`}`);
              }
              for (const f of report.findings) ctx.out.say(`  ${f.severity === "error" ? "FAIL" : "warn"} ${f.code}${f.batch !== undefined ? ` batch ${f.batch}` : ""}: ${f.message}`);
              if (!report.ok) {
                ctx.out.say(`audit FAILED: ${report.findings.filter((f) => f.severity === "error").length} problem(s)`);
                return EXIT.FAILED;
              }
              if (!report.complete) {
                ctx.out.say("audit INCOMPLETE: the chain part passed, but data availability (or receipts) could not be checked: the sequencer could not be reached");
                return EXIT.UNAVAILABLE;
              }
              ctx.out.say("audit passed");
              return EXIT.OK;
            } finally {
              chain.close();
            }
          },
        ),
      ),
  );
}
