/**
 * `provenance manifest`: a dataset manifest (one bundle per line, what `provenance verify
 * MANIFEST` reads) for a list of record ids or for a search, streamed: ids are read and bundles
 * fetched and written a window at a time, in input order, so memory stays bounded however long
 * the list. A record not yet anchored has no bundle: it is skipped and listed (exit 0), or with
 * --strict the run fails (exit 1) and writes no manifest; a manifest that would be empty is
 * not written either (exit 1 when records were skipped, 2 when there were none).
 */
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, statSync, type WriteStream } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import type { InclusionBundle, SequencerClient } from "@provenance/client-sdk";
import { ProvenanceError } from "@provenance/client-sdk/errors";
import { isHttpError, type CliContext } from "../context.js";
import { positiveInt, UsageError } from "../output.js";
import { addSearchOptions, followSearch, searchFilter, type SearchOptions } from "./search.js";

/** A record the manifest could not include, and why (its status, or "unknown" when the sequencer does not have it). */
interface Skipped {
  id: string;
  status: string;
}

type Outcome = { kind: "bundle"; id: string; line: string } | { kind: "skip"; skipped: Skipped } | { kind: "error"; error: unknown };

const ID = /^[0-9a-f]{64}$/;

/** Ids from a file or stdin, one per line: the first field of each line (so `search`'s rows work too); blank lines and `#` comments skipped. */
async function* idsFrom(input: NodeJS.ReadableStream, name: string): AsyncGenerator<{ id: string; status?: string }> {
  let n = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    n++;
    const t = text.trim();
    if (t.length === 0 || t.startsWith("#")) continue;
    const first = t.split(/\s+/)[0]!;
    if (!ID.test(first)) throw new UsageError(`${name} line ${n}: ${JSON.stringify(first.slice(0, 80))} is not a record id (64 lowercase hex); expected one id per line`);
    yield { id: first };
  }
}

/** A progress line on a terminal (stderr), redrawn at most 10 times a second. */
class Progress {
  private last = 0;
  private readonly started = Date.now();
  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly enabled: boolean,
    private readonly total: number | null,
  ) {}
  update(written: number, skipped: number, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const done = written + skipped;
    const rate = done / Math.max(0.001, (now - this.started) / 1000);
    this.stream.write(`\rmanifest: ${done}${this.total !== null ? `/${this.total}` : ""} record(s), ${written} bundle(s) written, ${skipped} skipped  ${rate.toFixed(0)}/s\x1b[K`);
  }
  finish(written: number, skipped: number): void {
    if (!this.enabled) return;
    this.update(written, skipped, true);
    this.stream.write("\n");
  }
}

async function fetchBundle(client: SequencerClient, id: string, version: 1 | 2, known?: string): Promise<Outcome> {
  try {
    if (known !== undefined && known !== "anchored") return { kind: "skip", skipped: { id, status: known } };
    let bundle: InclusionBundle;
    try {
      bundle = await client.proof(id, { version });
    } catch (e) {
      if (isHttpError(e) && e.status === 404) return { kind: "skip", skipped: { id, status: "unknown" } };
      if (isHttpError(e) && e.code === "NOT_ANCHORED") return { kind: "skip", skipped: { id, status: (await client.record(id)).status } };
      throw e;
    }
    if (bundle?.id !== id) throw new ProvenanceError("SEQUENCER_ERROR", `the sequencer answered the proof of record ${id} with a bundle of record ${String(bundle?.id)}`);
    return { kind: "bundle", id, line: `${JSON.stringify(bundle)}\n` };
  } catch (error) {
    return { kind: "error", error };
  }
}

export function registerManifest(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("manifest")
    .description("write a dataset manifest (one bundle per line, what `provenance verify MANIFEST` reads) for record ids or for a search; streamed, in input order; records not yet anchored are skipped and listed, or fail the run with --strict")
    .argument("[ids...]", "record ids (64 hex)");
  cmd.option("--ids <file>", "read record ids from this file, one per line (`-`: stdin); the first field of each line, so `provenance search` output works as it is");
  addSearchOptions(cmd)
    .option("-o, --out <file>", "write the manifest here (default: stdout); written to a temporary file and renamed when complete, so a failed run leaves no partial manifest")
    .option("--strict", "fail (exit 1, no manifest written) when a record is not anchored yet, was dropped or is unknown, instead of skipping it", false)
    .option("--bundle-version <v>", "bundles to fetch: 2 (with the accumulator path) or 1", "2")
    .option("--concurrency <n>", "bundles fetched at once", "8")
    .option("--no-progress", "no progress line, even on a terminal");
  ctx.addExitHelp(cmd).action(
    ctx.run(async (ids: string[], opts: SearchOptions & { ids?: string; out?: string; strict: boolean; bundleVersion: string; concurrency: string; progress: boolean }, command: Command) => {
      const g = ctx.globals(command);
      const concurrency = positiveInt(opts.concurrency, "--concurrency", 256);
      if (opts.bundleVersion !== "1" && opts.bundleVersion !== "2") throw new UsageError(`--bundle-version must be 1 or 2, got ${opts.bundleVersion}`);
      const version = opts.bundleVersion === "1" ? 1 : 2;
      const filter = await searchFilter(ctx, opts);
      const sources = [ids.length > 0, opts.ids !== undefined, filter !== null].filter(Boolean).length;
      if (sources !== 1) throw new UsageError("give the records one way: ids as arguments, --ids FILE (or - for stdin), or a search (--url, --content-hash, --content, --node)");
      if (g.json && opts.out === undefined) throw new UsageError("--json prints the report on stdout, where the manifest goes without --out: pass --out FILE");
      for (const id of ids) if (!ID.test(id)) throw new UsageError(`record id must be 64 lowercase hex characters, got ${JSON.stringify(id.slice(0, 80))}`);
      let input: NodeJS.ReadableStream | null = null;
      if (opts.ids !== undefined) {
        if (opts.ids === "-") input = ctx.io.stdin ?? process.stdin;
        else {
          const file = ctx.resolvePath(opts.ids);
          try {
            if (!statSync(file).isFile()) throw new UsageError(`--ids ${opts.ids} is not a file`);
          } catch (e) {
            if (e instanceof UsageError) throw e;
            throw new ProvenanceError("IO_ERROR", `cannot read the ids file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
          }
          input = createReadStream(file, { encoding: "utf8" });
        }
      }
      const client = await ctx.sequencerClient(g);

      // Where the lines go: a temporary file renamed at the end, or stdout.
      const target = opts.out !== undefined ? ctx.resolvePath(opts.out) : null;
      const temp = target ? path.join(path.dirname(target), `.${path.basename(target)}.partial-${process.pid}`) : null;
      let sink: NodeJS.WritableStream;
      let file: WriteStream | null = null;
      if (temp) {
        try {
          mkdirSync(path.dirname(temp), { recursive: true });
          file = createWriteStream(temp, { flags: "wx" });
          await once(file, "open");
        } catch (e) {
          throw new ProvenanceError("IO_ERROR", `cannot write ${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        sink = file;
      } else sink = ctx.io.stdout;
      // A write that fails (a full disk) is reported once, as IO_ERROR naming the file.
      let writeError: Error | null = null;
      file?.on("error", (e) => (writeError ??= e));
      const write = async (text: string): Promise<void> => {
        if (writeError) throw new ProvenanceError("IO_ERROR", `cannot write ${target}: ${(writeError as NodeJS.ErrnoException).code ?? writeError.message}`);
        if (!sink.write(text)) await once(sink, "drain");
      };

      const progress = new Progress(ctx.io.stderr, opts.progress && ctx.io.stderr.isTTY === true, ids.length > 0 ? ids.length : null);
      let written = 0;
      const skipped: Skipped[] = [];
      let skippedCount = 0;
      const byStatus: Record<string, number> = {};
      const window: Promise<Outcome>[] = [];
      const settle = async (outcome: Outcome): Promise<void> => {
        if (outcome.kind === "error") throw outcome.error;
        if (outcome.kind === "bundle") {
          await write(outcome.line);
          written++;
        } else {
          const s = outcome.skipped;
          if (opts.strict) {
            const why = s.status === "unknown" ? "is unknown to the sequencer (check the id)" : s.status === "dropped" ? "was dropped from its batch and will never be anchored" : `is ${s.status}: not anchored yet, so it has no bundle`;
            throw new ProvenanceError("NOT_ANCHORED", `record ${s.id} ${why}; --strict writes no manifest unless every record has a bundle (rerun later, or without --strict to skip such records)`);
          }
          skippedCount++;
          byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
          if (skipped.length < 100) skipped.push(s);
        }
        progress.update(written, skippedCount);
      };
      const add = async (id: string, status?: string): Promise<void> => {
        window.push(fetchBundle(client, id, version, status));
        if (window.length >= concurrency) await settle(await window.shift()!);
      };
      try {
        if (ids.length > 0) for (const id of ids) await add(id);
        else if (input) for await (const item of idsFrom(input, opts.ids === "-" ? "stdin" : opts.ids!)) await add(item.id, item.status);
        else await followSearch(client, filter!, { limit: null }, (v) => add(v.id, v.status));
        while (window.length > 0) await settle(await window.shift()!);
        // An empty manifest is no dataset: say why instead of writing one.
        if (written === 0) {
          throw skippedCount > 0
            ? new ProvenanceError("NOT_ANCHORED", `none of the ${skippedCount} record(s) has a bundle yet (${Object.entries(byStatus).map(([st, n]) => `${n} ${st}`).join(", ")}); no manifest written: rerun once they are anchored (\`provenance status ID --wait\`)`)
            : new UsageError(filter ? "no record matches the search: no manifest written" : "no record ids were given: no manifest written");
        }
        if (file) {
          // A stream that failed has closed already; one that fails while flushing closes after its error.
          if (!writeError) {
            file.end();
            await once(file, "close");
          }
          if (writeError) await write("");
          renameSync(temp!, target!);
          file = null;
        }
      } catch (e) {
        // Fetches still in flight finish on their own (they never reject); their outcomes are dropped.
        if (file) {
          file.destroy();
          rmSync(temp!, { force: true });
        }
        progress.finish(written, skippedCount);
        throw e;
      }
      progress.finish(written, skippedCount);

      const report = { ok: true, file: target, written, skipped: skippedCount, byStatus, skippedRecords: skipped };
      ctx.out.result(report);
      const tell = (line: string): void => (target ? ctx.out.say(line) : ctx.out.note(line));
      tell(`${target ? `wrote ${target}: ` : ""}${written} bundle(s)${skippedCount ? `; ${skippedCount} record(s) skipped (${Object.entries(byStatus).map(([s, n]) => `${n} ${s}`).join(", ")})` : ""}`);
      for (const s of skipped.slice(0, 20)) tell(`  skipped ${s.id}  ${s.status === "unknown" ? "unknown to the sequencer" : s.status}`);
      if (skippedCount > 20) tell(`  … and ${skippedCount - 20} more${g.json ? "" : " (--json lists the first 100)"}`);
      if (skippedCount) tell("records not anchored yet have no bundle: rerun later for them (--strict fails instead of skipping)");
      if (written > 0 && target) tell(`verify it: provenance verify ${opts.out}`);
    }),
  );
}
