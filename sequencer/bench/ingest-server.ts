/**
 * The sequencer as the ingest benchmark runs it: `Sequencer.start` from the PROVENANCE_*
 * environment, without a chain client (batches stop at `proven`), writing `{"benchUrl": ...}`
 * to the file BENCH_READY_FILE (else stdout) once it listens, stopping cleanly on SIGTERM (so
 * `--cpu-prof` profiles are written). Its logs go to stdout, as in production.
 */
import { renameSync, writeFileSync } from "node:fs";
import { existsSync } from "node:fs";
import { pino } from "pino";
import { zkeyPath } from "@provenance/prover";
import type { BatchProving } from "@provenance/prover";
import { loadConfig } from "../src/config.js";
import { Sequencer } from "../src/sequencer.js";
import { SHAPE_CHUNK, SHAPE_SINGLE, deploymentShapes, withChunkShape } from "../src/shapes.js";

const config = loadConfig();
const logger = pino({ level: config.logLevel, name: "sequencer" });
// BENCH_CHUNK_LEVELS: give the circuit family a chunk shape of 2^levels records (the chunked
// scenarios), until circuits.json declares the families' chunk shapes.
const chunkLevels = Number(process.env["BENCH_CHUNK_LEVELS"] ?? 0);
const family = deploymentShapes(config.circuit);
const shapes =
  chunkLevels > 0 && !family.chunk
    ? withChunkShape({ ...family.single, code: SHAPE_SINGLE }, { ...family.single, code: SHAPE_CHUNK, circuit: `${config.circuit}-chunk`, chunkLevels, signerSlots: Number(process.env["BENCH_CHUNK_SIGNERS"] ?? 4), cost: 0 })
    : family;
// A configuration without built circuit artifacts (bench-b16 unless `--full` ran): sealed batches
// are held, standing in for proving elsewhere; ingest, the benchmark's subject, is unchanged.
function artifactsBuilt(circuit: string): boolean {
  try {
    return existsSync(zkeyPath(circuit));
  } catch {
    return false; // not even compiled
  }
}
const held: BatchProving = {
  backend: "queue",
  capacity: 1,
  workers: 0,
  prove: () => new Promise(() => undefined),
  close: async () => undefined,
};
const sequencer = await Sequencer.start(config, { logger, defaultMetrics: false, shapes, ...(artifactsBuilt(config.circuit) ? {} : { batchProver: held }) });
const ready = `${JSON.stringify({ benchUrl: sequencer.url, pid: process.pid })}\n`;
const readyFile = process.env["BENCH_READY_FILE"];
if (readyFile) {
  writeFileSync(readyFile + ".tmp", ready);
  renameSync(readyFile + ".tmp", readyFile);
} else process.stdout.write(ready);
process.once("SIGTERM", () => {
  sequencer.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err }, "stop failed");
      process.exit(1);
    },
  );
});
