/** `provenance audit`: the on-chain log end to end. */
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { EXIT, UsageError, hex64, parseJsonFile, positiveInt } from "../output.js";

export function registerAudit(program: Command, ctx: CliContext): void {
  ctx.addExitHelp(
    program
      .command("audit")
      .description("walk the on-chain log from genesis: hash chain, Groth16 proofs, data availability, the sequencer's report, and receipts")
      .option("--receipts <file>", "receipts a node collected (JSON lines, as `provenance submit --receipts` writes): report any not anchored")
      .option("--receipt-key <hex>", "the sequencer's receipt key to check receipts against, as the node pinned it (required with --receipts)")
      .option("--grace <seconds>", "a receipt younger than this may still be unanchored", "900")
      .option("--vk <file>", "the snarkjs verifying key of the circuit's chunk shape (default: circuits/keys/<circuit>.vk.json of this checkout)")
      .option("--vk-single <file>", "the snarkjs verifying key of the circuit's single shape (default: circuits/keys/<circuit>-single.vk.json)")
      .option("--skip-proofs", "do not re-verify the Groth16 proofs", false)
      .option("--allow-insecure", "on a public cluster, report a deployment on INSECURE keys or with admin = sequencer as a warning, not an error", false)
      .option("--skip-data", "do not fetch and re-hash every batch's records", false)
      .option("--concurrency <n>", "batches checked at once", "4")
      .option("--no-progress", "no progress on a terminal")
      .addHelpText(
        "after",
        "\nThe batch list (index, transaction) comes from the sequencer's GET /v1/batches; everything else\nis read from the chain: each transaction's submit_batch arguments, re-chained from the genesis\nhead, must end at Config.chain_head after Config.next_index batches, so a missing, extra,\naltered or reordered batch is caught even though the list came from the sequencer.",
      )
      .action(
        ctx.run(
          async (
            opts: { receipts?: string; receiptKey?: string; grace: string; vk?: string; vkSingle?: string; skipProofs: boolean; skipData: boolean; concurrency: string; progress: boolean; allowInsecure: boolean },
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
            const grace = Number(opts.grace);
            if (!Number.isFinite(grace) || grace < 0) throw new UsageError(`--grace must be a number of seconds, got ${JSON.stringify(opts.grace)}`);
            const concurrency = positiveInt(opts.concurrency, "--concurrency", 64);
            const { audit, readReceiptsFile } = await import("@provenance/client-sdk/node");
            const receipts = opts.receipts ? readReceiptsFile(ctx.resolvePath(opts.receipts)) : undefined;
            const vk = opts.vk ? parseJsonFile(ctx.resolvePath(opts.vk), "verifying key") : undefined;
            const vkSingle = opts.vkSingle ? parseJsonFile(ctx.resolvePath(opts.vkSingle), "verifying key") : undefined;
            // The native Groth16 verifier where its addon is built (about a millisecond a proof), else snarkjs.
            const { nativeProver, verifyNative } = await import("@provenance/prover");
            const chain = await ctx.chainReader(g);
            const showProgress = opts.progress && !ctx.out.json && ctx.io.stderr.isTTY === true;
            try {
              const report = await audit({
                chain,
                sequencer: await ctx.sequencerClient(g, opts.receiptKey ? { receiptKey: opts.receiptKey } : {}),
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
                onProgress: showProgress ? (stage, done, total) => ctx.io.stderr.write(`\r${stage} ${done}/${total}\x1b[K${done === total ? "\n" : ""}`) : undefined,
              });
              ctx.out.result(report);
              const c = report.config;
              ctx.out.say(`program ${report.programId} on ${report.rpcUrl} (circuit ${c.circuit}, batch capacity ${c.batchCapacity})`);
              ctx.out.say(`  hash chain: ${report.chain.batches} batch(es) from genesis, head ${report.chain.computedHead} ${report.chain.headMatches ? "= Config.chain_head" : `!= Config.chain_head ${report.chain.onChainHead}`}`);
              if (report.registry) {
                const kinds = report.registry.changes.reduce<Record<string, number>>((n, c) => ({ ...n, [c.kind]: (n[c.kind] ?? 0) + 1 }), {});
                const listed = Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ");
                const mismatch = report.findings.some((f) => f.code === "REGISTRY_HISTORY_MISMATCH" || f.code === "REGISTRY_HISTORY_UNAVAILABLE");
                ctx.out.say(`  registry: ${report.registry.changes.length} root change(s) from the chain alone (${listed || "none"}), ${mismatch ? "NOT ending at Config" : `ending at Config (version ${report.config.registryVersion})`}`);
              }
              if (!opts.skipProofs) ctx.out.say(`  proofs: ${report.proofs.valid}/${report.proofs.checked} Groth16 proofs verify off-chain (${report.proofs.verifier})`);
              if (!opts.skipData) ctx.out.say(`  data: ${report.data.matching}/${report.data.checked} batches' records (${report.data.records}) re-hash to their on-chain roots`);
              ctx.out.say(`  sequencer: lists ${report.sequencer.listed} batch(es), ${report.sequencer.notYetAnchored} not yet anchored`);
              if (receipts) ctx.out.say(`  receipts: ${report.receipts.anchored}/${report.receipts.checked} anchored, ${report.receipts.pending} pending, ${report.receipts.dropped} dropped (signed notice), ${report.receipts.failed} failed`);
              for (const f of report.findings) ctx.out.say(`  ${f.severity === "error" ? "FAIL" : "warn"} ${f.code}${f.batch !== undefined ? ` batch ${f.batch}` : ""}: ${f.message}`);
              ctx.out.say(report.ok ? "audit passed" : `audit FAILED: ${report.findings.filter((f) => f.severity === "error").length} problem(s)`);
              return report.ok ? EXIT.OK : EXIT.FAILED;
            } finally {
              chain.close();
            }
          },
        ),
      ),
  );
}
