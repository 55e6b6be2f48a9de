/** `provenance submit`: sign records with a node key and submit them, checking each receipt. */
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import type { Observation, RecordV1, RecordView, SequencerClient, SignedChunkV1, SubmitResult } from "@provenance/client-sdk";
import type { CliContext } from "../context.js";
import { UsageError, hex64, jsonLines, positiveInt, readContent, readText } from "../output.js";

/** An observations file: a JSON array, or JSON lines, of { url, contentHash, timestamp? }. */
function readObservations(text: string, file: string): { url: string; contentHash: string; timestamp?: number }[] {
  if (text.trimStart().startsWith("[")) {
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${file} is not a JSON array (${(e as Error).message}): expected [ { "url", "timestamp", "contentHash" }, ... ] or one JSON object per line`);
    }
    return list as { url: string; contentHash: string; timestamp?: number }[];
  }
  return jsonLines(text, file) as { url: string; contentHash: string; timestamp?: number }[];
}

/** The deployment's chunk size from /healthz (`ingest.chunkSize`); 0 when it takes no chunks or does not say. */
async function chunkSizeOf(client: SequencerClient): Promise<number> {
  const health = await client.health();
  const size = (health["ingest"] as { chunkSize?: unknown } | undefined)?.chunkSize;
  return typeof size === "number" && Number.isSafeInteger(size) && size > 0 ? size : 0;
}

export function registerSubmit(program: Command, ctx: CliContext): void {
  ctx.addExitHelp(
    program
      .command("submit")
      .description("sign records with a node key and submit them; each receipt is checked against the sequencer's key")
      .option("-k, --key <file>", "node key file (from `provenance keygen`)")
      .option("--url <url>", "the fetched page's URL (one record)")
      .option("--content <file>", "the fetched bytes: their SHA-256 is the record's contentHash")
      .option("--content-hash <hex>", "SHA-256 of the fetched bytes, 64 hex (instead of --content)")
      .option("--timestamp <ms>", "when the page was fetched, ms since epoch (default: now)")
      .option(
        "--observations <file>",
        "many records: a JSON array or JSON lines of { url, timestamp?, contentHash } to sign and submit, in signed chunks of the deployment's chunk size (from its /healthz) when it takes chunks, else one by one",
      )
      .option("--alone", "with --observations: sign each record alone (v1) even when the deployment takes chunks", false)
      .option("--records <file>", "already signed records: JSON lines, submitted as they are")
      .option("--receipts <file>", "append each checked receipt to this JSON-lines file (for `provenance audit --receipts`)")
      .option("--receipt-key <hex>", "the sequencer's receipt key to pin (default: fetched from the sequencer on first use)")
      .option("--chunk <n>", "records per request (1..1000)", "1000")
      .option("--wait", "wait until every record is anchored on chain", false)
      .option("--timeout <seconds>", "with --wait: give up after this long", "600")
      .option("-q, --quiet", "print only the record ids, one per line (for scripts: ID=$(provenance submit ... -q))", false)
      .addHelpText(
        "after",
        "\nExamples:\n  provenance submit --key node-key.json --url https://example.com/a --content page.html --receipts receipts.jsonl\n  provenance submit --key node-key.json --observations pages.jsonl --wait\n\n" +
          "  pages.json (a JSON array; JSON lines work too), signed in chunks of the deployment's chunk size:\n" +
          '    [ { "url": "https://example.com/a", "timestamp": 1764590400000, "contentHash": "<64 hex: SHA-256 of the page>" }, ... ]\n' +
          "  provenance submit --key node-key.json --observations pages.json --receipts receipts.jsonl",
      )
      .action(
        ctx.run(
          async (
            opts: { key?: string; url?: string; content?: string; contentHash?: string; timestamp?: string; observations?: string; alone: boolean; records?: string; receipts?: string; receiptKey?: string; chunk: string; wait: boolean; timeout: string; quiet: boolean },
            cmd: Command,
          ) => {
            const g = ctx.globals(cmd);
            const sources = [opts.url !== undefined, opts.observations !== undefined, opts.records !== undefined].filter(Boolean).length;
            if (sources !== 1) throw new UsageError("give exactly one of --url (one record), --observations FILE or --records FILE");
            const chunk = positiveInt(opts.chunk, "--chunk", 1000);
            const timeoutMs = positiveInt(opts.timeout, "--timeout") * 1000;
            if (opts.receiptKey !== undefined) hex64(opts.receiptKey, "--receipt-key");
            const client = await ctx.sequencerClient(g, opts.receiptKey ? { receiptKey: opts.receiptKey } : {});
            let records: RecordV1[] = [];
            const chunks: SignedChunkV1[] = [];
            if (opts.records !== undefined) {
              records = jsonLines(readText(ctx.resolvePath(opts.records), "records file"), opts.records) as RecordV1[];
            } else {
              if (!opts.key) throw new UsageError("signing needs the node's key: --key FILE (make one with `provenance keygen`)");
              const { loadNodeKey } = await import("@provenance/client-sdk/node");
              const key = loadNodeKey(ctx.resolvePath(opts.key));
              if (opts.url !== undefined) {
                if ((opts.content === undefined) === (opts.contentHash === undefined)) throw new UsageError("give the fetched bytes with --content FILE or their SHA-256 with --content-hash HEX");
                const { bytesToHex } = await import("@provenance/client-sdk");
                const { sha256 } = await import("@provenance/client-sdk");
                const contentHash = opts.contentHash !== undefined ? hex64(opts.contentHash, "--content-hash") : bytesToHex(sha256(readContent(ctx.resolvePath(opts.content!))));
                const timestamp = opts.timestamp !== undefined ? Number(opts.timestamp) : Date.now();
                if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new UsageError(`--timestamp must be ms since epoch, got ${JSON.stringify(opts.timestamp)}`);
                records = [key.sign({ url: opts.url, timestamp, contentHash })];
              } else {
                const obs = readObservations(readText(ctx.resolvePath(opts.observations!), "observations file"), opts.observations!);
                if (!Array.isArray(obs)) throw new UsageError(`${opts.observations}: expected a JSON array or JSON lines of observations`);
                const observations: Observation[] = obs.map((o) => ({ url: o?.url, contentHash: o?.contentHash, timestamp: o?.timestamp ?? Date.now() }));
                const size = opts.alone ? 0 : await chunkSizeOf(client);
                if (size > 0) {
                  for (let start = 0; start < observations.length; start += size) {
                    try {
                      chunks.push(key.signChunk(observations.slice(start, start + size)));
                    } catch (e) {
                      throw new UsageError(`${opts.observations} records ${start + 1}..${Math.min(observations.length, start + size)}: ${(e as Error).message}`);
                    }
                  }
                } else {
                  records = observations.map((o, i) => {
                    try {
                      return key.sign(o);
                    } catch (e) {
                      throw new UsageError(`${opts.observations} record ${i + 1}: ${(e as Error).message}`);
                    }
                  });
                }
              }
            }
            const total = records.length + chunks.reduce((n, c) => n + c.records.length, 0);
            if (total === 0) throw new UsageError("nothing to submit: the file has no records");
            let results: SubmitResult[] = [];
            if (chunks.length > 0) {
              // One signed chunk per request, each answered with a checked receipt per record.
              for (const c of chunks) {
                results.push(...(await client.submitChunk(c)));
                if (chunks.length > 1) ctx.out.note(`submitted ${results.length}/${total} (chunks of ${chunks[0]!.records.length})`);
              }
            } else {
              results = records.length === 1 ? [await client.submit(records[0]!)] : await client.submitMany(records, { chunk, onChunk: (n) => records.length > chunk && ctx.out.note(`submitted ${n}/${records.length}`) });
            }
            if (opts.receipts) {
              const file = ctx.resolvePath(opts.receipts);
              mkdirSync(path.dirname(file), { recursive: true });
              appendFileSync(file, results.map((r) => JSON.stringify({ ...r.receipt })).join("\n") + "\n");
            }
            let anchored: RecordView[] = [];
            if (opts.wait) {
              if (!ctx.out.json && !opts.quiet) ctx.out.note(`waiting for ${results.length} record(s) to be anchored...`);
              const deadline = Date.now() + timeoutMs;
              anchored = [];
              for (const r of results) anchored.push(await client.waitForAnchored(r.id, { timeoutMs: Math.max(1, deadline - Date.now()) }));
            }
            ctx.out.result({ ok: true, receiptKey: await client.receiptKey(), records: results.map((r, i) => ({ ...r, ...(anchored[i] ? { status: "anchored", batch: anchored[i]!.batch, leafIndex: anchored[i]!.leafIndex } : {}) })) });
            if (opts.quiet && !ctx.out.json) {
              ctx.io.stdout.write(results.map((r) => `${r.id}\n`).join(""));
              return;
            }
            for (const [i, r] of results.entries()) {
              const a = anchored[i];
              ctx.out.say(`${r.id}  seq ${r.seq}  ${a ? `anchored in batch ${a.batch}` : r.status}${r.duplicate ? "  (already submitted: original receipt)" : ""}`);
            }
            ctx.out.say(`${results.length} record(s) accepted; receipts verified, signed by ${await client.receiptKey()}${opts.receipts ? `, appended to ${opts.receipts} (audit them with --receipt-key and this key)` : ""}`);
          },
        ),
      ),
  );
}
