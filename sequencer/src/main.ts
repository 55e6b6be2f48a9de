/**
 * `npm start`: the whole service from the environment (PROVENANCE_* variables, see
 * docs/operations.md), until SIGINT / SIGTERM, then a clean shutdown.
 *
 * 1. the circuit: compiled if needed; its proving key made by the deterministic INSECURE dev
 *    setup when missing (test/dev only: prod needs a ceremony zkey in PROVENANCE_ZKEY), and
 *    checked against the verifying key compiled into the program;
 * 2. the chain: with no PROVENANCE_RPC_URL, the local chain (`localnet/`, data under
 *    `<dataDir>/localnet`) is started and the sequencer's key funded; the program is
 *    initialized for the circuit when it is not yet (this key becomes admin and sequencer);
 *    `PROVENANCE_ANCHORING=off` runs without a chain (batches stop at `proven`);
 * 3. the sequencer (HTTP API, store, prover and verify workers, pipeline).
 *
 * Logs are pino JSON lines on stdout (pipe them to `npx pino-pretty` to read them); the
 * banner with the URLs goes to stderr.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { pino, type Logger } from "pino";
import { LAMPORTS_PER_SOL } from "@solana/web3.js";
import { NodeRegistry, fieldToHex } from "@provenance/client-sdk";
import { localnetBinaryIsFresh, portFree, startLocalnet, type Localnet } from "@provenance/client-sdk/node";
import { circuitConfig, compileCircuit } from "@provenance/circuits";
import { checkedInVkPath, zkeyPath } from "@provenance/prover";
import { runDevSetup, INSECURE_WARNING } from "@provenance/prover/setup";
import { loadConfig, type SequencerConfig } from "./config.js";
import { createChainSubmitter, type AnchorChainSubmitter } from "./chain.js";
import { Sequencer } from "./sequencer.js";

const config = loadConfig();
const logger = pino({ level: config.logLevel, name: "sequencer" });
const say = (line = ""): void => void process.stderr.write(`${line}\n`);

/** Compiles the circuit if needed and makes sure a proving key matching the program's exists. */
async function ensureCircuit(cfg: SequencerConfig, log: Logger): Promise<{ insecure: boolean }> {
  const compiled = await compileCircuit(cfg.circuit);
  if (process.env.PROVENANCE_ZKEY) return { insecure: false };
  if (cfg.circuit === "prod") {
    throw new Error(
      'the "prod" circuit needs the proving key of a real phase-2 ceremony: set PROVENANCE_ZKEY to its .zkey (docs/trusted-setup.md)',
    );
  }
  const existing = (() => {
    try {
      return readFileSync(zkeyPath(cfg.circuit));
    } catch {
      return null;
    }
  })();
  if (!existing) say(`Making the INSECURE dev trusted setup of the "${cfg.circuit}" circuit (first run only; minutes on 2 cores)...`);
  const setup = await runDevSetup({
    name: cfg.circuit,
    r1csFile: compiled.r1cs,
    log: (m) => {
      log.info({ circuit: cfg.circuit }, `setup: ${m}`);
      if (!existing) say(`  setup: ${m}`);
    },
  });
  const checkedIn = readFileSync(checkedInVkPath(cfg.circuit), "utf8");
  if (setup.vkText !== checkedIn) {
    throw new Error(
      `the verifying key of the local ${cfg.circuit} setup (${setup.vkFile}) differs from ${checkedInVkPath(cfg.circuit)}, ` +
        "which the program verifies with: its proofs would be refused on-chain. Rebuild with `npx tsx scripts/setup.ts --circuit " +
        `${cfg.circuit} --force\` and compare, or regenerate the program's key (npm run gen:onchain).`,
    );
  }
  return { insecure: true };
}

async function startChain(cfg: SequencerConfig, log: Logger): Promise<{ localnet: Localnet | null; submitter: AnchorChainSubmitter; rpcUrl: string }> {
  let localnet: Localnet | null = null;
  let rpcUrl = cfg.rpcUrl;
  if (cfg.localChain) {
    const port = Number(new URL(cfg.rpcUrl).port || 8899);
    if (!(await portFree(port)) || !(await portFree(port + 1))) {
      throw new Error(
        `port ${port} or ${port + 1} is in use, so the local chain cannot start: is another chain (or npm start) running? ` +
          `Stop it, or point at it with PROVENANCE_RPC_URL=http://127.0.0.1:${port}`,
      );
    }
    say(
      localnetBinaryIsFresh()
        ? "Starting the local chain..."
        : "Building the local chain with cargo (first run only: about half an hour on 2 cores), then starting it...",
    );
    localnet = await startLocalnet({ dataDir: path.join(cfg.dataDir, "localnet"), port, timeoutMs: 120_000 });
    rpcUrl = localnet.rpcUrl;
    log.info({ rpcUrl, programId: localnet.programId, fresh: localnet.fresh, wallet: localnet.wallet }, "local chain started");
  }
  const submitter = createChainSubmitter({ ...cfg, rpcUrl }, log);
  try {
    await submitter.checkCluster();
    const balance = await submitter.connection.getBalance(submitter.walletPublicKey);
    if (submitter.cluster === "localnet" && balance < 10 * LAMPORTS_PER_SOL) {
      // A local chain (ours, or `provenance localnet` started separately) airdrops freely.
      await submitter.airdrop(100 * LAMPORTS_PER_SOL);
    } else if (balance < 0.01 * LAMPORTS_PER_SOL) {
      throw new Error(
        `the sequencer's key ${submitter.walletPublicKey.toBase58()} (${cfg.solanaKeypair}) has ${balance / LAMPORTS_PER_SOL} SOL on ` +
          `${submitter.cluster}: fund it (it pays for every submit_batch), then start again`,
      );
    }
    const registryRoot = fieldToHex(new NodeRegistry(circuitConfig(cfg.circuit).registryLevels).root);
    await submitter.ensureInitialized(cfg.circuit, registryRoot);
  } catch (err) {
    await submitter.close();
    await localnet?.stop();
    throw err;
  }
  return { localnet, submitter, rpcUrl };
}

let localnet: Localnet | null = null;
let sequencer: Sequencer | null = null;
try {
  const { insecure } = await ensureCircuit(config, logger);
  let chain: Awaited<ReturnType<typeof startChain>> | null = null;
  if (config.anchoring) {
    chain = await startChain(config, logger);
    localnet = chain.localnet;
  }
  sequencer = await Sequencer.start(config, { logger, submitter: chain?.submitter ?? null });
  say();
  say("provenance sequencer is running");
  say(`  sequencer API   ${sequencer.url}`);
  say(
    chain
      ? `  Solana RPC      ${chain.rpcUrl}${localnet ? ` (local chain, state in ${path.join(config.dataDir, "localnet")})` : ""}`
      : "  Solana RPC      none (PROVENANCE_ANCHORING=off: batches stop at proven)",
  );
  if (chain) {
    say(`  program         ${chain.submitter.programId.toBase58()} (${chain.submitter.cluster})`);
    say(`  sequencer key   ${chain.submitter.walletPublicKey.toBase58()} (${config.solanaKeypair})`);
  }
  say(`  circuit         ${config.circuit}${insecure ? " — INSECURE dev setup: anyone can forge proofs" : ""}`);
  say(`  admin token     ${sequencer.adminToken.file ?? "from PROVENANCE_ADMIN_TOKEN"}`);
  say(`  receipt key     ${sequencer.receiptKey}`);
  say(`  data directory  ${config.dataDir}`);
  if (insecure) say(`  ${INSECURE_WARNING}`);
  say("Ctrl-C stops it; `npx provenance --help` is the client.");
  say();
} catch (err) {
  logger.fatal({ err }, "could not start");
  say(`npm start failed: ${(err as Error).message}`);
  await sequencer?.stop().catch(() => {});
  await localnet?.stop();
  process.exit(1);
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    (async () => {
      await sequencer?.stop();
      await localnet?.stop();
    })().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
