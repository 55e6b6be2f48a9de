/**
 * Signs benchmark records `--from` to `--to` (exclusive) of the four bench nodes and writes
 * them as a JSON array to `--out`. The ingest benchmark runs one per core and caches the result.
 */
import { writeFileSync } from "node:fs";
import { signRecord, type RecordV1 } from "@provenance/client-sdk";
import { contentHashOf, testNode } from "../../tests/support/fixtures.js";

export const BENCH_NODES = ["bench-1", "bench-2", "bench-3", "bench-4"];
/** Fixed, in the past: the same records every run (the sequencer refuses only future ones). */
export const BENCH_BASE_TS = 1_764_300_000_000;

export function benchRecord(i: number, privateKeys: Uint8Array[]): RecordV1 {
  return signRecord(
    { url: `https://example.com/bench/${i}`, timestamp: BENCH_BASE_TS + i, contentHash: contentHashOf(`bench page ${i}`) },
    privateKeys[i % privateKeys.length]!,
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const arg = (name: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    if (i < 0 || !process.argv[i + 1]) throw new Error(`--${name} is required`);
    return process.argv[i + 1]!;
  };
  const from = Number(arg("from"));
  const to = Number(arg("to"));
  const keys = BENCH_NODES.map((l) => testNode(l).privateKey);
  const out: RecordV1[] = [];
  for (let i = from; i < to; i++) out.push(benchRecord(i, keys));
  writeFileSync(arg("out"), JSON.stringify(out));
}
