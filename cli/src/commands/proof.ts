/** `provenance proof`: a record's inclusion proof bundle. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { ProvenanceError } from "@provenance/client-sdk/errors";
import { isHttpError, type CliContext, type GlobalOptions } from "../context.js";
import { chunkOf, describeBundle, hex64, positiveInt, UsageError } from "../output.js";

export function registerProof(program: Command, ctx: CliContext): void {
  ctx.addExitHelp(
    program
      .command("proof")
      .description("fetch a record's inclusion proof bundle (once its batch is anchored), or refresh a bundle file's accumulator path (--refresh FILE)")
      .argument("[id]", "record id, 64 hex (not with --refresh)")
      .option("-o, --out <file>", "write the bundle to this file (default: stdout; with --refresh: FILE itself)")
      .option("--bundle-version <v>", "bundle version to fetch: 2 (with the accumulator path of the batch, verified with one Accumulator account read) or 1 (no accumulator path, for old verifiers)", "2")
      .option("--wait", "wait until the record is anchored first", false)
      .option("--timeout <seconds>", "with --wait: give up after this long", "600")
      .option("--refresh <file>", "refresh this bundle file (v1 or v2) to a v2 bundle whose accumulator path leads to the current on-chain root; the batch statements come from the sequencer (untrusted: they must hash to the on-chain Accumulator root)")
      .option("--from-chain", "with --refresh: take the batch statements from the chain's own submit_batch transactions, no sequencer needed", false)
      .action(
        ctx.run(async (id: string | undefined, opts: { out?: string; bundleVersion: string; wait: boolean; timeout: string; refresh?: string; fromChain: boolean }, cmd: Command) => {
          const g = ctx.globals(cmd);
          if (opts.refresh !== undefined) {
            if (id !== undefined) throw new UsageError("pass either a record id or --refresh FILE, not both");
            return refresh(ctx, g, opts.refresh, opts.out, opts.fromChain);
          }
          if (opts.fromChain) throw new UsageError("--from-chain goes with --refresh FILE");
          if (id === undefined) throw new UsageError("missing the record id (or --refresh FILE)");
          hex64(id, "record id");
          if (opts.bundleVersion !== "1" && opts.bundleVersion !== "2") throw new UsageError(`--bundle-version must be 1 or 2, got ${opts.bundleVersion}`);
          const client = await ctx.sequencerClient(g);
          if (opts.wait) await client.waitForAnchored(id, { timeoutMs: positiveInt(opts.timeout, "--timeout") * 1000 });
          let bundle;
          try {
            bundle = await client.proof(id, { version: opts.bundleVersion === "1" ? 1 : 2 });
          } catch (e) {
            if (isHttpError(e) && e.code === "NOT_ANCHORED") {
              throw new ProvenanceError("NOT_ANCHORED", `${e.message.replace(/^sequencer refused [^:]+: 409 NOT_ANCHORED: /, "")}; retry later or pass --wait`);
            }
            throw e;
          }
          const text = `${JSON.stringify(bundle, null, 2)}\n`;
          if (opts.out) {
            const file = ctx.resolvePath(opts.out);
            try {
              mkdirSync(path.dirname(file), { recursive: true });
              writeFileSync(file, text);
            } catch (e) {
              throw new ProvenanceError("IO_ERROR", `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
            }
            const chunk = chunkOf(bundle);
            ctx.out.result({ ok: true, file, id, batch: bundle.batch.index, leafIndex: bundle.leafIndex, txSignature: bundle.txSignature, ...(chunk ? { chunk } : {}) });
            ctx.out.say(`wrote ${file}: ${describeBundle(bundle)}`);
          } else {
            ctx.io.stdout.write(text);
          }
        }),
      ),
  );
}

/** `proof --refresh FILE`: the bundle with a fresh accumulator path, checked against the on-chain root. */
async function refresh(ctx: CliContext, g: GlobalOptions, input: string, out: string | undefined, fromChain: boolean): Promise<void> {
  const { refreshBundle, sequencerStatementSource, chainStatementSource } = await import("@provenance/client-sdk");
  const file = ctx.resolvePath(input);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ProvenanceError("INVALID_BUNDLE", `cannot read the bundle ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const chain = await ctx.chainReader(g);
  try {
    const source = fromChain ? chainStatementSource(chain) : sequencerStatementSource(await ctx.sequencerClient(g));
    const bundle = await refreshBundle(json, { chain, source });
    const target = out === undefined ? file : ctx.resolvePath(out);
    try {
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, `${JSON.stringify(bundle, null, 2)}\n`);
    } catch (e) {
      throw new ProvenanceError("IO_ERROR", `cannot write ${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const a = bundle.accumulator!;
    const chunk = chunkOf(bundle);
    ctx.out.result({ ok: true, file: target, batch: bundle.batch.index, source: source.name, accumulator: { position: a.position, size: a.size, root: a.root }, ...(chunk ? { chunk } : {}) });
    ctx.out.say(`refreshed ${target}: ${chunk ? `a chunk-signed record (index ${chunk.index} of a chunk of ${chunk.size}), ` : ""}batch ${bundle.batch.index} at accumulator position ${a.position}, path to the on-chain root ${a.root} (size ${a.size}), from ${source.name}`);
  } finally {
    chain.close();
  }
}
