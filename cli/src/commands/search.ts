/** `provenance search`: records by url, content hash or node (GET /v1/records), page by page. */
import type { Command } from "commander";
import type { RecordView, SequencerClient } from "@provenance/client-sdk";
import type { CliContext } from "../context.js";
import { hex64, positiveInt, UsageError } from "../output.js";

/** The filters `search` and `manifest` share (GET /v1/records: every one given must match). */
export interface SearchOptions {
  url?: string;
  contentHash?: string;
  content?: string;
  node?: string;
}

export function addSearchOptions(cmd: Command): Command {
  return cmd
    .option("--url <url>", "records of this exact URL")
    .option("--content-hash <hex>", "records whose contentHash is this SHA-256 (64 hex)")
    .option("--content <file>", "records whose contentHash is this file's SHA-256 (hashed here, streamed)")
    .option("--node <nodeId>", "records signed by this node (its nodeId, 64 hex)");
}

/** The search filter of the options; null when none was given. */
export async function searchFilter(ctx: CliContext, opts: SearchOptions): Promise<{ url?: string; contentHash?: string; nodeId?: string } | null> {
  if (opts.contentHash !== undefined && opts.content !== undefined) throw new UsageError("give --content-hash HEX or --content FILE, not both");
  const filter: { url?: string; contentHash?: string; nodeId?: string } = {};
  if (opts.url !== undefined) {
    const { MAX_SEARCH_URL_LENGTH } = await import("@provenance/client-sdk");
    if (opts.url.length < 1 || opts.url.length > MAX_SEARCH_URL_LENGTH) throw new UsageError(`--url must be 1..${MAX_SEARCH_URL_LENGTH} characters (an exact URL as the node signed it), got ${opts.url.length}`);
    filter.url = opts.url;
  }
  if (opts.contentHash !== undefined) filter.contentHash = hex64(opts.contentHash, "--content-hash");
  if (opts.content !== undefined) {
    const { sha256File } = await import("@provenance/client-sdk/node");
    filter.contentHash = (await sha256File(ctx.resolvePath(opts.content))).sha256;
  }
  if (opts.node !== undefined) filter.nodeId = hex64(opts.node, "--node");
  return Object.keys(filter).length > 0 ? filter : null;
}

/**
 * Follows the search's pages from `after`, calling `onRecord` for each record in seq order,
 * until `limit` records (null: every one) or the end; `next` is the cursor to resume from.
 * A page may hold fewer records than asked, even none, before the end (docs/protocol.md §6).
 */
export async function followSearch(
  client: SequencerClient,
  filter: { url?: string; contentHash?: string; nodeId?: string },
  options: { limit: number | null; after?: string; pageSize?: number },
  onRecord: (view: RecordView) => void | Promise<void>,
): Promise<{ count: number; next: string | null }> {
  const { MAX_PAGE_LIMIT } = await import("@provenance/client-sdk");
  let after = options.after;
  let count = 0;
  for (;;) {
    const want = Math.min(options.pageSize ?? MAX_PAGE_LIMIT, options.limit === null ? MAX_PAGE_LIMIT : options.limit - count);
    const page = await client.search(filter, { limit: want, ...(after !== undefined ? { after } : {}) });
    for (const view of page.records.slice(0, want)) {
      await onRecord(view);
      count++;
    }
    if (page.next === null) return { count, next: null };
    after = page.next;
    if (options.limit !== null && count >= options.limit) return { count, next: page.next };
  }
}

/** One record as a table row: id, status, batch, when it was fetched, url. */
export function recordRow(v: RecordView): string[] {
  return [v.id, v.status, v.batch === null ? "-" : String(v.batch), new Date(v.record.timestamp).toISOString(), v.record.url];
}

/**
 * Rows as an aligned table (on a terminal, with a header) or tab-separated without one (piped:
 * `cut -f1` gives the first column). Rows are written as they come; the width of every column
 * but the last is fixed by `widths`.
 */
export class RowWriter {
  private headerDone = false;
  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly header: readonly string[],
    private readonly widths: readonly number[],
  ) {}

  write(row: readonly string[]): void {
    if (this.stream.isTTY !== true) {
      this.stream.write(`${row.join("\t")}\n`);
      return;
    }
    if (!this.headerDone) {
      this.headerDone = true;
      this.stream.write(`${this.format(this.header)}\n`);
    }
    this.stream.write(`${this.format(row)}\n`);
  }

  private format(row: readonly string[]): string {
    return row.map((c, i) => (i < row.length - 1 ? c.padEnd(this.widths[i] ?? 0) : c)).join("  ");
  }
}

export function registerSearch(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("search")
    .description("find records by URL, content hash or node (GET /v1/records): a table on a terminal, tab-separated when piped, JSON with --json or --jsonl; ids for `provenance proof`, `status` and `manifest`");
  addSearchOptions(cmd)
    .option("--limit <n>", "records to print in all (pages are followed until then)", "100")
    .option("--all", "every matching record, however many (follows every `next` page)", false)
    .option("--after <cursor>", "resume after this cursor (the `next` a previous search printed)")
    .option("--jsonl", "one JSON record view per line (streamed)", false)
    .option("-q, --ids", "print only the record ids, one per line", false);
  ctx.addExitHelp(cmd).action(
    ctx.run(async (opts: SearchOptions & { limit: string; all: boolean; after?: string; jsonl: boolean; ids: boolean }, command: Command) => {
      const g = ctx.globals(command);
      const limitGiven = command.getOptionValueSource("limit") === "cli";
      if (opts.all && limitGiven) throw new UsageError("give --limit N or --all, not both");
      const limit = opts.all ? null : positiveInt(opts.limit, "--limit");
      if ([g.json, opts.jsonl, opts.ids].filter(Boolean).length > 1) throw new UsageError("give one output form: --json, --jsonl or --ids");
      if (opts.after !== undefined && opts.after.length === 0) throw new UsageError("--after needs the cursor a previous search printed");
      const filter = await searchFilter(ctx, opts);
      if (!filter) throw new UsageError("give at least one filter: --url URL, --content-hash HEX, --content FILE or --node NODEID");
      const client = await ctx.sequencerClient(g);
      const stdout = ctx.io.stdout;
      const table = new RowWriter(stdout, ["ID", "STATUS", "BATCH", "FETCHED", "URL"], [64, 8, 5, 24]);
      let first = true;
      if (g.json) stdout.write("[");
      const { count, next } = await followSearch(client, filter, { limit, ...(opts.after !== undefined ? { after: opts.after } : {}) }, (v) => {
        if (g.json) stdout.write(`${first ? "\n" : ",\n"}${JSON.stringify(v)}`);
        else if (opts.jsonl) stdout.write(`${JSON.stringify(v)}\n`);
        else if (opts.ids) stdout.write(`${v.id}\n`);
        else table.write(recordRow(v));
        first = false;
      });
      if (g.json) stdout.write(`${first ? "" : "\n"}]\n`);
      if (count === 0) ctx.out.note("no record matches");
      else if (!g.json && !opts.jsonl && !opts.ids && stdout.isTTY === true) ctx.out.say(`${count} record(s)`);
      if (next !== null) ctx.out.note(`more records match: resume with --after ${next} (or --all for every one)`);
    }),
  );
}
