/**
 * The sequencer as the ingest benchmark runs it: `Sequencer.start` from the PROVENANCE_*
 * environment, without a chain client (batches stop at `proven`), writing `{"benchUrl": ...}`
 * to the file BENCH_READY_FILE (else stdout) once it listens, stopping cleanly on SIGTERM (so
 * `--cpu-prof` profiles are written). Its logs go to stdout, as in production.
 */
import { renameSync, writeFileSync } from "node:fs";
import { pino } from "pino";
import { loadConfig } from "../src/config.js";
import { Sequencer } from "../src/sequencer.js";

const config = loadConfig();
const logger = pino({ level: config.logLevel, name: "sequencer" });
const sequencer = await Sequencer.start(config, { logger, defaultMetrics: false });
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
