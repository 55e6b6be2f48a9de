/** `provenance status`: a record's status. */
import type { Command } from "commander";
import type { ChunkRecordV1 } from "@provenance/client-sdk";
import type { CliContext } from "../context.js";
import { hex64, positiveInt } from "../output.js";

export function registerStatus(program: Command, ctx: CliContext): void {
  ctx.addExitHelp(
    program
      .command("status")
      .description("a record's status: pending, batched, proven or anchored")
      .argument("<id>", "record id, 64 hex")
      .option("--wait", "wait until it is anchored", false)
      .option("--timeout <seconds>", "with --wait: give up after this long", "600")
      .action(
        ctx.run(async (id: string, opts: { wait: boolean; timeout: string }, cmd: Command) => {
          const g = ctx.globals(cmd);
          hex64(id, "record id");
          const client = await ctx.sequencerClient(g);
          const view = opts.wait ? await client.waitForAnchored(id, { timeoutMs: positiveInt(opts.timeout, "--timeout") * 1000 }) : await client.record(id);
          ctx.out.result({ ok: true, ...view });
          ctx.out.say(`${view.id}  ${view.status}${view.batch !== null ? `  batch ${view.batch} leaf ${view.leafIndex}` : ""}  seq ${view.seq}`);
          // A chunk-signed record (served by a sequencer that takes chunks): where it sits in its chunk.
          const chunk = (view.record as Partial<ChunkRecordV1>).chunk;
          ctx.out.say(`  ${view.record.url} at ${new Date(view.record.timestamp).toISOString()}${chunk ? `, chunk-signed: index ${chunk.index} of a chunk of ${chunk.size}` : ""}`);
        }),
      ),
  );
}
