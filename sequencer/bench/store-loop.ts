/**
 * Same-run baselines for the ingest benchmark, in their own process, on records the caller
 * gives (a JSON file), with no HTTP and no validation:
 *
 *   --mode raw     a raw LevelDB synced-write loop: per record the store's five keys (record
 *                  with a receipt-shaped value, id, three search indexes) and `m!seq`, JSON
 *                  values, one `sync: true` batch per group of `--group` records, one at a time;
 *   --mode store   `Store.append` itself (receipt signatures, duplicate lookup, group commit),
 *                  `--concurrency` appenders of `--group` records each.
 *
 * Prints `{"recordsPerSecond": ...}`. Ids are made up (unique, below the field modulus).
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Level } from "level";
import { pino } from "pino";
import { hexToField, type RecordV1 } from "@provenance/client-sdk";
import { ReceiptSigner } from "../src/receipt.js";
import { Store, type NewRecord } from "../src/store.js";

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const mode = arg("mode", "raw");
const group = Number(arg("group", "1000"));
const concurrency = Number(arg("concurrency", "1"));
const seconds = Number(arg("seconds", "3"));
const records = JSON.parse(readFileSync(arg("records", ""), "utf8")) as RecordV1[];
const id = (i: number): string => i.toString(16).padStart(64, "0");
const pad = (n: number): string => n.toString().padStart(16, "0");
const dir = mkdtempSync(path.join(os.tmpdir(), "provenance-bench-loop-"));

let done = 0;
const started = performance.now();
const deadline = started + seconds * 1000;
if (mode === "raw") {
  const db = new Level<string, unknown>(dir, { valueEncoding: "json" });
  await db.open();
  const sig = "ab".repeat(64);
  while (performance.now() < deadline && done + group <= records.length) {
    const ops: Array<{ type: "put"; key: string; value: unknown }> = [];
    const receivedAt = Date.now();
    for (let k = 0; k < group; k++) {
      const seq = done + k;
      const r = records[seq]!;
      const key = pad(seq);
      const receipt = { v: 1, id: id(seq), seq, receivedAt, sequencerKey: sig.slice(0, 64), signature: sig };
      ops.push(
        { type: "put", key: `r!${key}`, value: { seq, id: id(seq), record: r, receivedAt, receipt } },
        { type: "put", key: `i!${id(seq)}`, value: seq },
        { type: "put", key: `xu!${id(seq + 1)}!${key}`, value: seq },
        { type: "put", key: `xc!${r.contentHash}!${key}`, value: seq },
        { type: "put", key: `xn!${r.nodeId}!${key}`, value: seq },
      );
    }
    ops.push({ type: "put", key: "m!seq", value: done + group });
    await db.batch(ops, { sync: true });
    done += group;
  }
  await db.close();
} else {
  const { privateKey } = generateKeyPairSync("ed25519");
  const store = await Store.open({ dir, batchLevels: 3, registryLevels: 8, signer: new ReceiptSigner(privateKey), logger: pino({ level: "silent" }) });
  for (const nodeId of new Set(records.map((r) => r.nodeId))) await store.addNode(hexToField(nodeId, "nodeId"));
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && next + group <= records.length) {
        const from = next;
        next += group;
        const batch: NewRecord[] = records.slice(from, from + group).map((record, k) => ({
          id: id(from + k),
          nodeId: hexToField(record.nodeId, "nodeId"),
          record,
          urlHash: id(from + k + 1),
        }));
        await store.append(batch);
        done += group;
      }
    }),
  );
  await store.close();
}
const elapsed = (performance.now() - started) / 1000;
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ recordsPerSecond: done / elapsed, records: done })}\n`);
