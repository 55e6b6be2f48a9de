/** `provenance batches` (the batch log, paged) and `provenance batch N` (one batch in detail). */
import type { Command } from "commander";
import type { BatchDetail, BatchSummary } from "@provenance/client-sdk";
import type { CliContext } from "../context.js";
import { positiveInt, UsageError } from "../output.js";
import { RowWriter } from "./search.js";

const iso = (ms: number | null): string => (ms === null ? "-" : new Date(ms).toISOString());

/** A batch's window as one cell: both ends in full, the second without its date when it is the same day. */
function windowOf(b: BatchSummary): string {
  const [a, z] = [iso(b.minTs), iso(b.maxTs)];
  return a.slice(0, 10) === z.slice(0, 10) ? `${a}..${z.slice(11)}` : `${a}..${z}`;
}

/** Where a batch is: sealed (waiting for its proof), proven (waiting for its anchor), anchored. */
function stateOf(b: BatchSummary): string {
  if (b.state === "anchored") return "anchored";
  if (b.state === "proven") return "proven, not anchored";
  return "sealed, proving";
}

function batchRow(b: BatchSummary, short: boolean): string[] {
  const cut = (s: string | null): string => (s === null ? "-" : short ? `${s.slice(0, 12)}…` : s);
  return [String(b.index), b.state, String(b.count), windowOf(b), b.registryVersion === undefined ? "-" : String(b.registryVersion), cut(b.batchRoot), cut(b.txSignature)];
}

function parseIndex(value: string, name: string): number {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(value) || !Number.isSafeInteger(Number(value))) throw new UsageError(`${name} must be a batch index (an integer ≥ 0), got ${JSON.stringify(value)}`);
  return Number(value);
}

export function registerBatches(program: Command, ctx: CliContext): void {
  const list = program
    .command("batches")
    .description("the sequencer's batch log (GET /v1/batches): index, state, records, time window, registry version, root and transaction; the latest page by default")
    .option("--from <index>", "first batch to list (default: the latest --limit batches)")
    .option("--limit <n>", "batches to list", "20")
    .option("--all", "every batch, from batch 0 (pages followed)", false)
    .option("--jsonl", "one JSON batch summary per line (streamed)", false);
  ctx.addExitHelp(list).action(
    ctx.run(async (opts: { from?: string; limit: string; all: boolean; jsonl: boolean }, command: Command) => {
      const g = ctx.globals(command);
      if (opts.all && (opts.from !== undefined || command.getOptionValueSource("limit") === "cli")) throw new UsageError("--all lists every batch: not with --from or --limit");
      if (g.json && opts.jsonl) throw new UsageError("give --json or --jsonl, not both");
      const limit = positiveInt(opts.limit, "--limit", 1000);
      let from = opts.from !== undefined ? parseIndex(opts.from, "--from") : null;
      const client = await ctx.sequencerClient(g);
      const stdout = ctx.io.stdout;
      const tty = stdout.isTTY === true;
      const table = new RowWriter(stdout, ["INDEX", "STATE", "COUNT", "WINDOW", "REGISTRY", "ROOT", "TRANSACTION"], [5, 8, 5, 38, 8, 13]);
      const shown: BatchSummary[] = [];
      let n = 0;
      const emit = (b: BatchSummary): void => {
        n++;
        if (opts.jsonl) stdout.write(`${JSON.stringify(b)}\n`);
        else if (g.json) shown.push(b);
        else table.write(batchRow(b, tty));
      };
      let total: number;
      if (opts.all) {
        const { MAX_PAGE_LIMIT } = await import("@provenance/client-sdk");
        total = (await client.batches(0, 1)).total;
        for await (const b of client.allBatches(MAX_PAGE_LIMIT)) emit(b);
        from = 0;
      } else {
        if (from === null) {
          total = (await client.batches(0, 1)).total;
          from = Math.max(0, total - limit);
        }
        const page = await client.batches(from, limit);
        total = page.total;
        for (const b of page.batches) emit(b);
      }
      if (g.json) ctx.out.result({ ok: true, total, from, batches: shown });
      if (total === 0) ctx.out.note("no batches yet");
      else if (n === 0) ctx.out.note(`no batch from index ${from}: the sequencer has ${total} batch(es), 0..${total - 1}`);
      else if (!opts.jsonl && !g.json && tty) {
        const last = from + n - 1;
        ctx.out.say(`batches ${from}..${last} of ${total}${from > 0 ? `; earlier: --from ${Math.max(0, from - limit)}` : ""}${last < total - 1 ? `; later: --from ${last + 1}` : ""}; one in detail: provenance batch N`);
      }
    }),
  );

  const one = program
    .command("batch")
    .description("one batch in detail (GET /v1/batches/:index): its statement, state, proof and anchor; --records lists its records")
    .argument("<index>", "batch index")
    .option("--records", "also list the batch's records (id, leaf, url), in leaf order", false)
    .option("-q, --ids", "with --records: print only the record ids, one per line", false);
  ctx.addExitHelp(one).action(
    ctx.run(async (index: string, opts: { records: boolean; ids: boolean }, command: Command) => {
      const g = ctx.globals(command);
      const i = parseIndex(index, "batch index");
      if (opts.ids && !opts.records) throw new UsageError("--ids goes with --records");
      const client = await ctx.sequencerClient(g);
      let b: BatchDetail;
      try {
        b = await client.batch(i);
      } catch (e) {
        if ((e as { status?: number }).status === 404) {
          const { total } = await client.batches(0, 1);
          const { ProvenanceError } = await import("@provenance/client-sdk/errors");
          throw new ProvenanceError("SEQUENCER_ERROR", `batch ${i} does not exist: the sequencer has ${total} batch(es)${total > 0 ? `, 0..${total - 1}` : ""}`);
        }
        throw e;
      }
      const records = opts.records ? await client.batchRecords(i) : null;
      if (opts.ids) {
        ctx.io.stdout.write(records!.records.map((r) => `${r.id}\n`).join(""));
        return;
      }
      ctx.out.result({ ok: true, ...b, ...(records ? { records: records.records } : {}) });
      const out = ctx.out;
      out.say(`batch ${b.index}: ${stateOf(b)}`);
      out.say(`  records        ${b.count} (seq ${b.firstSeq}.., sealed ${iso(b.sealedAt)})`);
      out.say(`  window         ${iso(b.minTs)} .. ${iso(b.maxTs)}`);
      out.say(`  batch root     ${b.batchRoot}`);
      out.say(`  registry root  ${b.registryRoot}${b.registryVersion !== undefined ? ` (version ${b.registryVersion})` : ""}`);
      out.say(`  public hash    ${b.publicHash}`);
      if (b.proof) out.say(`  proof          Groth16, circuit ${b.proof.circuit}${b.proof.shape !== undefined ? ` (${b.proof.shape === 0 ? "its chunk shape" : "its single shape"})` : ""}, proven ${iso(b.provenAt)}${b.proveMs !== null ? ` in ${(b.proveMs / 1000).toFixed(1)} s` : ""}`);
      else out.say("  proof          not yet");
      if (b.anchor) {
        out.say(`  transaction    ${b.anchor.txSignature}`);
        out.say(`  anchored       slot ${b.anchor.slot} at ${iso(b.anchor.anchoredAt)}, program ${b.anchor.programId} on ${b.anchor.cluster}`);
      } else out.say("  anchored       not yet");
      if (records) {
        out.say(`  records (leaf order):`);
        for (const [n, r] of records.records.entries()) out.say(`    ${String(r.leafIndex ?? n).padStart(4)}  ${r.id}  ${new Date(r.record.timestamp).toISOString()}  ${r.record.url}`);
      }
      if (b.state === "anchored") out.say(`a record's bundle: provenance proof ID; checked against the chain by provenance verify`);
    }),
  );
}
