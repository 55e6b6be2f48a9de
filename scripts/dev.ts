/**
 * `npm start`: the whole dev stack in one command, for a first run and for local development.
 *
 * 1. the circuit: compiled if needed; its proving key made by the deterministic INSECURE dev
 *    setup when missing (test/dev only: prod needs a ceremony zkey in PROVENANCE_ZKEY), and
 *    checked against the verifying key compiled into the program;
 * 2. the chain: with no PROVENANCE_RPC_URL, the local chain (`localnet/`, data under
 *    `<dataDir>/localnet`) is started and the sequencer's key funded; the program is
 *    initialized for the circuit when it is not yet, signed by the local chain's wallet (its
 *    upgrade authority, which becomes the admin; the sequencer's own key is never the admin),
 *    recorded in `<dataDir>/dev-admin.json` for the CLI's admin verbs;
 *    `PROVENANCE_ANCHORING=off` runs without a chain (batches stop at `proven`);
 * 3. the sequencer (HTTP API, store, prover and verify workers, pipeline), configured as the
 *    production entry `sequencer/src/main.ts` is (docs/operations.md#settings).
 *
 * Logs are pino JSON lines on stdout (pipe them to `npx pino-pretty` to read them); the
 * banner with the URLs goes to stderr.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { pino, type Logger } from "pino";
import { circuitConfig, compileCircuit, familyConfigs } from "@provenance/circuits";
import { localnetBinaryIsFresh, portFree, startLocalnet, type Localnet } from "@provenance/localnet";
import { checkedInVkPath, zkeyPath } from "@provenance/prover";
import { Sequencer, loadConfig, type AnchorChainSubmitter, type SequencerConfig } from "@provenance/sequencer";
import { checkProvingArtifacts, connectChain, printBanner, say, stopOnSignal } from "@provenance/sequencer/service";
import { INSECURE_WARNING, runDevSetup } from "@provenance/trusted-setup";

const config = loadConfig();
const logger = pino({ level: config.logLevel, name: "sequencer" });

/**
 * Compiles every shape of the circuit's family if needed (docs/circuit-v2.md: a chunk shape and a
 * single shape) and makes sure each has a proving key matching the key the program verifies with.
 */
async function ensureCircuit(cfg: SequencerConfig, log: Logger): Promise<{ insecure: boolean }> {
  if (process.env.PROVENANCE_ZKEY) {
    await compileCircuit(cfg.circuit);
    return { insecure: false };
  }
  if (circuitConfig(cfg.circuit).family === "prod") {
    throw new Error(
      'the "prod" circuits need the proving keys of a real phase-2 ceremony: set PROVENANCE_ZKEY to its .zkey (docs/trusted-setup.md)',
    );
  }
  for (const member of familyConfigs(circuitConfig(cfg.circuit).family)) {
    const name = member.name;
    const compiled = await compileCircuit(name);
    const existing = (() => {
      try {
        return readFileSync(zkeyPath(name));
      } catch {
        return null;
      }
    })();
    if (!existing) say(`Making the INSECURE dev trusted setup of the "${name}" circuit (first run only; minutes on 2 cores)...`);
    const setup = await runDevSetup({
      name,
      r1csFile: compiled.r1cs,
      log: (m) => {
        log.info({ circuit: name }, `setup: ${m}`);
        if (!existing) say(`  setup: ${m}`);
      },
    });
    const checkedIn = readFileSync(checkedInVkPath(name), "utf8");
    if (setup.vkText !== checkedIn) {
      throw new Error(
        `the verifying key of the local ${name} setup (${setup.vkFile}) differs from ${checkedInVkPath(name)}, ` +
          "which the program verifies with: its proofs would be refused on-chain. Rebuild with `npx tsx scripts/setup.ts --circuit " +
          `${name} --force\` and compare, or regenerate the program's key (npm run gen:onchain).`,
      );
    }
  }
  return { insecure: true };
}

/** The local chain on the configured port, unless the ports are taken. */
async function startLocalChain(cfg: SequencerConfig, log: Logger): Promise<Localnet> {
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
  const localnet = await startLocalnet({ dataDir: path.join(cfg.dataDir, "localnet"), port, timeoutMs: 120_000 });
  log.info({ rpcUrl: localnet.rpcUrl, programId: localnet.programId, fresh: localnet.fresh, wallet: localnet.wallet }, "local chain started");
  return localnet;
}

let localnet: Localnet | null = null;
let sequencer: Sequencer | null = null;
let submitter: AnchorChainSubmitter | null = null;
let cfg: SequencerConfig = config;
try {
  const { insecure } = await ensureCircuit(config, logger);
  checkProvingArtifacts(config);
  let rpcUrl = config.rpcUrl;
  if (config.anchoring) {
    if (config.localChain) {
      localnet = await startLocalChain(config, logger);
      rpcUrl = localnet.rpcUrl;
      // Two keys: the sequencer's (<dataDir>/solana-keypair.json) signs batches; the admin is the
      // local chain's wallet, the program's upgrade authority there, the only key `initialize`
      // accepts. The sequencer holds it only because this is the local chain.
      if (cfg.adminKeypair === undefined) cfg = { ...cfg, adminKeypair: localnet.wallet, adminPubkey: cfg.adminPubkey ?? localnet.walletPubkey };
    }
    submitter = await connectChain(cfg, rpcUrl, logger);
  }
  sequencer = await Sequencer.start(cfg, { logger, submitter });
  printBanner(
    cfg,
    sequencer,
    submitter ? { rpcUrl, submitter, ...(localnet ? { note: `local chain, state in ${path.join(config.dataDir, "localnet")}` } : {}) } : null,
    insecure ? [`circuit setup: INSECURE dev setup — anyone can forge proofs`, INSECURE_WARNING] : [],
  );
} catch (err) {
  logger.fatal({ err }, "could not start");
  say(`npm start failed: ${(err as Error).message}`);
  await sequencer?.stop().catch(() => {});
  await submitter?.close();
  await localnet?.stop();
  process.exit(1);
}

stopOnSignal(logger, async () => {
  await sequencer?.stop();
  await localnet?.stop();
});
