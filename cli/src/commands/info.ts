/** `provenance info`: what a bundle (or a saved record view) holds, offline: nothing is fetched or verified. */
import type { Command } from "commander";
import type { AnyRecord, ChunkRecordV1, InclusionBundle, Receipt, RecordView } from "@provenance/client-sdk";
import { ProvenanceError } from "@provenance/client-sdk/errors";
import type { CliContext } from "../context.js";
import { hex64, jsonLines, parseJsonFile, positiveInt, readText, UsageError } from "../output.js";

const iso = (ms: number): string => new Date(ms).toISOString();

/** A saved record view (`provenance status ID --json`, GET /v1/records/:id): a record with its seq and receipt. */
function isRecordView(json: Record<string, unknown>): boolean {
  return typeof json.seq === "number" && typeof json.record === "object" && typeof json.receipt === "object" && typeof json.status === "string";
}

export function registerInfo(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("info")
    .description("print what a bundle holds, offline (no network, nothing verified): the record, its id, batch, root, leaf, chunk, accumulator path and anchor; a saved record view (`status --json`) with its receipt")
    .argument("<file>", "a bundle (`provenance proof`), or a record view saved by `provenance status ID --json`")
    .option("--line <n>", "the file is a manifest (one bundle per line): print the bundle on this line (as `verify` numbers them)")
    .option("--receipts <file>", "look up the record's receipt in this JSON-lines file (as `provenance submit --receipts` keeps them)")
    .option("--receipt-key <hex>", "check the receipt's signature against this sequencer key (offline)");
  ctx.addExitHelp(cmd).action(
    ctx.run(async (file: string, opts: { line?: string; receipts?: string; receiptKey?: string }, command: Command) => {
      ctx.globals(command);
      if (opts.receiptKey !== undefined) hex64(opts.receiptKey, "--receipt-key");
      const full = ctx.resolvePath(file);
      const { sniffBundleFile, readManifest } = await import("@provenance/client-sdk/node");
      const kind = sniffBundleFile(full);
      let json: unknown;
      if (opts.line !== undefined) {
        const line = positiveInt(opts.line, "--line");
        if (kind.kind === "invalid") throw new ProvenanceError("INVALID_BUNDLE", kind.message);
        if (kind.kind === "bundle" && line !== 1) throw new UsageError(`--line picks a bundle of a manifest, and ${file} holds one bundle: drop --line`);
        let found: { json: unknown; parseError?: string } | null = kind.kind === "bundle" ? { json: kind.json } : null;
        for await (const item of found ? [] : readManifest(full)) {
          if (item.line === line) {
            found = item;
            break;
          }
          if (item.line > line) break;
        }
        if (!found) throw new UsageError(`${file} has no bundle on line ${line}`);
        if (found.parseError !== undefined) throw new ProvenanceError("INVALID_BUNDLE", `${file}: ${found.parseError}`);
        json = found.json;
      } else if (kind.kind === "manifest") {
        throw new UsageError(`${file} is a manifest (one bundle per line): pick one with --line N, or verify them all with \`provenance verify ${file}\``);
      } else {
        json = parseJsonFile(full, "the file");
      }
      if (typeof json !== "object" || json === null || Array.isArray(json)) {
        throw new UsageError(`${file} holds ${Array.isArray(json) ? "an array" : typeof json}, not a bundle: give one bundle (a manifest's lines are bundles: take one out)`);
      }
      const { parseBundle, parseReceipt, checkReceipt } = await import("@provenance/client-sdk");
      let bundle: InclusionBundle | null = null;
      let view: RecordView | null = null;
      if (isRecordView(json as Record<string, unknown>)) {
        view = json as unknown as RecordView;
      } else {
        try {
          bundle = parseBundle(json);
        } catch (e) {
          throw new ProvenanceError("INVALID_BUNDLE", `${file} is not a well-formed bundle: ${(e as Error).message} (\`provenance verify ${file}\` names every check)`);
        }
      }
      const record: AnyRecord = bundle ? bundle.record : view!.record;
      const id = bundle ? bundle.id : view!.id;
      if (typeof record !== "object" || record === null || typeof record.url !== "string") throw new ProvenanceError("INVALID_BUNDLE", `${file} has no record`);

      let receipt: Receipt | null = null;
      let receiptSource: string | null = null;
      if (view) {
        receipt = parseReceipt(view.receipt);
        receiptSource = file;
      }
      if (opts.receipts !== undefined) {
        const lines = jsonLines(readText(ctx.resolvePath(opts.receipts), "receipts file"), opts.receipts);
        const found = lines.find((r) => (r as { id?: unknown })?.id === id);
        if (found === undefined) ctx.out.note(`no receipt for record ${id} in ${opts.receipts}`);
        else {
          receipt = parseReceipt(found);
          receiptSource = opts.receipts;
        }
      }
      let receiptChecked: string | null = null;
      if (receipt && opts.receiptKey !== undefined) {
        checkReceipt(receipt, opts.receiptKey, { id });
        receiptChecked = opts.receiptKey;
      } else if (opts.receiptKey !== undefined) {
        throw new UsageError(`--receipt-key checks a receipt, and none was found for record ${id}: pass --receipts FILE`);
      }

      const chunk = (record as Partial<ChunkRecordV1>).chunk;
      ctx.out.result({
        ok: true,
        file,
        kind: bundle ? "bundle" : "record-view",
        id,
        record,
        ...(chunk ? { chunk: { size: chunk.size, index: chunk.index } } : {}),
        ...(bundle
          ? { version: bundle.v, batch: bundle.batch, leafIndex: bundle.leafIndex, ...(bundle.accumulator ? { accumulator: { position: bundle.accumulator.position, size: bundle.accumulator.size, root: bundle.accumulator.root } } : {}), anchor: { programId: bundle.programId, cluster: bundle.cluster, txSignature: bundle.txSignature, slot: bundle.slot } }
          : { status: view!.status, batch: view!.batch, leafIndex: view!.leafIndex, seq: view!.seq }),
        ...(receipt ? { receipt, receiptSource, receiptChecked: receiptChecked !== null } : {}),
      });
      const out = ctx.out;
      out.say(bundle ? `bundle v${bundle.v} of record ${id}` : `record view of record ${id} (${view!.status})`);
      out.say(`  url            ${record.url}`);
      out.say(`  fetched        ${iso(record.timestamp)} (${record.timestamp} ms)`);
      out.say(`  content hash   ${record.contentHash} (SHA-256)`);
      out.say(`  node           ${record.nodeId}`);
      out.say(`  signed         ${chunk ? `in a chunk: index ${chunk.index} of a chunk of ${chunk.size}` : "alone"}`);
      if (bundle) {
        const b = bundle.batch;
        out.say(`  batch          ${b.index}: ${b.count} record(s), window ${iso(b.minTs)} .. ${iso(b.maxTs)}`);
        out.say(`  batch root     ${b.batchRoot}`);
        out.say(`  registry root  ${b.registryRoot}`);
        out.say(`  leaf index     ${bundle.leafIndex} (path of ${bundle.inclusionProof.siblings.length} levels)`);
        if (bundle.accumulator) out.say(`  accumulator    position ${bundle.accumulator.position} of ${bundle.accumulator.size}, root ${bundle.accumulator.root}`);
        else out.say("  accumulator    none (a v1 bundle: checked through BatchLog and the transaction)");
        out.say(`  anchored       transaction ${bundle.txSignature}`);
        out.say(`                 slot ${bundle.slot}, program ${bundle.programId} on ${bundle.cluster}`);
      } else {
        out.say(`  seq            ${view!.seq}`);
        out.say(`  batch          ${view!.batch ?? "-"}${view!.leafIndex !== null ? `, leaf ${view!.leafIndex}` : ""}`);
      }
      if (receipt) {
        const deployment = receipt.v === 2 ? `, program ${receipt.programId}, genesis ${receipt.genesisHash}` : "";
        out.say(`  receipt        v${receipt.v}: seq ${receipt.seq}, received ${iso(receipt.receivedAt)}, by sequencer key ${receipt.sequencerKey}${deployment}`);
        out.say(`                 ${receiptChecked ? "signature checked against --receipt-key" : "signature not checked (pass --receipt-key HEX)"}; from ${receiptSource}`);
      }
      out.say(bundle ? `not verified: \`provenance verify ${file}\` checks it against the chain` : `not verified: its bundle (\`provenance proof ${id}\`) is what \`provenance verify\` checks`);
    }),
  );
}
