/**
 * Runs the sequencer from the environment (PROVENANCE_* variables, see sequencer/README.md)
 * until SIGINT / SIGTERM, then shuts down cleanly.
 */
import { pino } from "pino";
import { loadConfig } from "./config.js";
import { Sequencer } from "./sequencer.js";

const config = loadConfig();
const logger = pino({ level: config.logLevel, name: "sequencer" });
const sequencer = await Sequencer.start(config, { logger });
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    sequencer.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
