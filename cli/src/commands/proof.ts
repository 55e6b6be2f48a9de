/** `provenance proof`: a record's inclusion proof bundle. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { ProvenanceError } from "@provenance/client-sdk/errors";
import { isHttpError, type CliContext } from "../context.js";
import { hex64, positiveInt } from "../output.js";

export function registerProof(program: Command, ctx: CliContext): void {
  ctx.addExitHelp(
    program
      .command("proof")
      .description("fetch a record's inclusion proof bundle (once its batch is anchored)")
      .argument("<id>", "record id, 64 hex")
      .option("-o, --out <file>", "write the bundle to this file (default: stdout)")
      .option("--wait", "wait until the record is anchored first", false)
      .option("--timeout <seconds>", "with --wait: give up after this long", "600")
      .action(
        ctx.run(async (id: string, opts: { out?: string; wait: boolean; timeout: string }, cmd: Command) => {
          const g = ctx.globals(cmd);
          hex64(id, "record id");
          const client = await ctx.sequencerClient(g);
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
            const file = ctx.resolvePath(opts.out);
            try {
              mkdirSync(path.dirname(file), { recursive: true });
              writeFileSync(file, text);
            } catch (e) {
              throw new ProvenanceError("IO_ERROR", `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
            }
            ctx.out.result({ ok: true, file, id, batch: bundle.batch.index, txSignature: bundle.txSignature });
            ctx.out.say(`wrote ${file}: record ${id} in batch ${bundle.batch.index} (transaction ${bundle.txSignature})`);
          } else {
            ctx.io.stdout.write(text);
          }
        }),
      ),
  );
}
