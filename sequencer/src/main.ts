/**
 * The sequencer service, as an operator runs it: everything from its configuration
 * (PROVENANCE_* variables, the one table in docs/operations.md#settings), until SIGINT /
 * SIGTERM, then a clean shutdown. It compiles nothing, makes no trusted setup and starts no
 * chain: the circuit's artifacts must exist, `PROVENANCE_RPC_URL` must name the cluster (or
 * `PROVENANCE_ANCHORING=off`), and its key must be funded there. The whole dev stack in one
 * command is `npm start` (`scripts/dev.ts`).
 *
 * Logs: one line per event on stdout, human (pino-pretty) on a terminal and JSON lines otherwise;
 * PROVENANCE_LOG_FORMAT=json|pretty|auto forces either. The banner goes to stderr.
 */
import { createLogger, resolveLogFormat } from "@provenance/prover/logger";
import { loadConfig } from "./config.js";
import type { AnchorChainSubmitter } from "./chain.js";
import { Sequencer } from "./sequencer.js";
import { checkProvingArtifacts, connectChain, printBanner, say, stopOnSignal } from "./service.js";

let config: ReturnType<typeof loadConfig>;
let logFormat: "json" | "pretty";
try {
  config = loadConfig();
  logFormat = resolveLogFormat();
} catch (err) {
  say(`sequencer failed to start: ${(err as Error).message}`);
  process.exit(2);
}
const logger = createLogger({ name: "sequencer", level: config.logLevel });

let sequencer: Sequencer | null = null;
let submitter: AnchorChainSubmitter | null = null;
try {
  checkProvingArtifacts(config);
  if (config.anchoring) {
    if (config.localChain) {
      throw new Error(
        "PROVENANCE_RPC_URL is not set: name the Solana cluster to anchor on (a local chain: `npx provenance localnet`, then " +
          "PROVENANCE_RPC_URL=http://127.0.0.1:8899), or set PROVENANCE_ANCHORING=off. `npm start` runs the whole dev stack instead.",
      );
    }
    submitter = await connectChain(config, config.rpcUrl, logger);
  }
  sequencer = await Sequencer.start(config, { logger, submitter });
  printBanner(config, sequencer, submitter ? { rpcUrl: config.rpcUrl, submitter } : null);
} catch (err) {
  if (logFormat === "json") logger.fatal({ err }, "could not start");
  say(`sequencer failed to start: ${(err as Error).message}`);
  await sequencer?.stop().catch(() => {});
  await submitter?.close();
  process.exit(1);
}

stopOnSignal(logger, async () => {
  await sequencer?.stop();
});
