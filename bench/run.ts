/**
 * `npm run bench`: every benchmark of the project, printed as tables. Figures are reported
 * against a baseline measured in the same run, since these machines are noisy.
 *   npm run bench               all
 *   npm run bench -- --full     also prove B=16 (its first setup takes many minutes)
 *   npm run bench:prover        the provers alone, in more detail (bench/prover.ts)
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { benchEddsa } from "./eddsa.js";
import { benchConstraints, benchInclusion, formatTable, type Row } from "./core.js";
import { benchProvers } from "./prover.js";
import { benchPipeline } from "./pipeline.js";
import { benchQueue } from "./queue.js";
import { benchVerify } from "./verify.js";
import { releaseCurve } from "@provenance/prover";

const full = process.argv.includes("--full");
const started = Date.now();

const eddsa = await benchEddsa({ seconds: 1.5 });
const rows: Row[] = [
  ...eddsa.map((r) => ({
    group: "EdDSA-Poseidon verification (baseline: circomlibjs, same run)",
    name: r.name,
    value: `${Math.round(r.perSecond).toLocaleString("en-US")}/s`,
    baseline: `${r.ratio.toFixed(1)} × circomlibjs`,
  })),
  ...benchInclusion(),
  ...(await benchConstraints()),
  // Each shape proves its own full batch (full chunks on a chunk shape, records signed alone on a
  // single shape); --full adds the production-depth (R = 20) shapes (first setups take minutes).
  ...(await benchProvers({ circuits: full ? ["test", "test-single", "dev", "dev-single", "bench-chunk-r20", "bench-single-r20"] : ["test", "test-single", "dev", "dev-single"], runs: 2 })).rows,
  ...(await benchPipeline()),
  ...(await benchQueue({ circuit: "dev-single", batches: 8, runs: 3 })).rows,
  ...(await benchVerify()),
];
console.log(formatTable(rows));
// The ingest benchmark drives a sequencer in its own process with a load generator: run it as
// its own program (it prints its own tables and baselines).
console.log("\n## Sequencer ingest (sequencer/bench/ingest.ts)");
const ingest = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL("../sequencer/bench/ingest.ts", import.meta.url)), "--records", full ? "20000" : "10000"], { stdio: "inherit" });
if (ingest.status !== 0) console.log(`(the ingest benchmark exited with ${ingest.status})`);
console.log(`\n(bench took ${((Date.now() - started) / 1000).toFixed(0)} s on ${(await import("node:os")).availableParallelism()} cores)`);
await releaseCurve();
