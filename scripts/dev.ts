/**
 * `npm start`: the whole dev stack in one command, for a first run and for local development.
 *
 * 0. prerequisites (scripts/prereqs.ts): Node.js, and Rust when the local chain must be built,
 *    checked before anything long; then which first-run steps are ahead and roughly how long;
 * 1. the circuit: compiled if needed; its proving key made by the deterministic INSECURE dev
 *    setup when missing (test/dev only: prod needs a ceremony zkey in PROVENANCE_ZKEY), and
 *    checked against the verifying key compiled into the program; each step shows its elapsed
 *    time (scripts/steps.ts);
 * 2. the chain: with no `--rpc URL` / PROVENANCE_RPC_URL, the local chain (`localnet/`, built by
 *    cargo with its own progress on first use, data in PROVENANCE_LOCALNET_DIR, else
 *    `<dataDir>/localnet`) is started and the sequencer's key funded; the program is
 *    initialized for the circuit when it is not yet, signed by the local chain's wallet (its
 *    upgrade authority, which becomes the admin; the sequencer's own key is never the admin),
 *    recorded in `<dataDir>/dev-admin.json` for the CLI's admin verbs. With `--rpc URL` it uses
 *    that chain instead (a `solana-test-validator`, a `provenance localnet` started apart): the
 *    program must be deployed there, and is initialized when PROVENANCE_ADMIN_KEYPAIR is its
 *    upgrade authority. `PROVENANCE_ANCHORING=off` runs without a chain (batches stop at `proven`);
 * 3. the sequencer (HTTP API, store, prover and verify workers, pipeline), configured as the
 *    production entry `sequencer/src/main.ts` is (docs/operations.md#settings).
 *
 * Logs: one line per event, human (pino-pretty) when stdout is a terminal or shares its file with
 * stderr (`2>&1`), JSON lines otherwise; `--log-format` / PROVENANCE_LOG_FORMAT (json | pretty |
 * auto) forces either. Progress and the banner go to stderr.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Logger } from "pino";
import { circuitConfig, circuitIsCompiled, compileCircuit, familyConfigs } from "@provenance/circuits";
import { formatDuration } from "@provenance/client-sdk/node";
import { ensureLocalnetBinary, localnetBinaryIsFresh, portFree, startLocalnet, type Localnet } from "@provenance/localnet";
import { checkedInVkPath, createLogger, resolveLogFormat, stdoutIsStderr, zkeyPath } from "@provenance/prover";
import { Sequencer, loadConfig, type AnchorChainSubmitter, type SequencerConfig } from "@provenance/sequencer";
import { checkProvingArtifacts, connectChain, printBanner, say, stopOnSignal } from "@provenance/sequencer/service";
import { INSECURE_WARNING, runDevSetup } from "@provenance/trusted-setup";
import { checkPrerequisites } from "./prereqs.js";
import { runStep } from "./steps.js";

const HELP = `npm start [-- OPTIONS]: the dev stack (circuit, setup, local chain, sequencer) in one command

  --rpc URL          anchor on this chain instead of starting the local chain (default:
                     PROVENANCE_RPC_URL); the program must be deployed there, and is
                     initialized when PROVENANCE_ADMIN_KEYPAIR is its upgrade authority
  --log-format F     json | pretty | auto (default: PROVENANCE_LOG_FORMAT, else auto:
                     pretty when stdout is a terminal or the same file as stderr,
                     JSON lines otherwise)
  -h, --help         this text

Every other setting is a PROVENANCE_* variable (docs/operations.md#settings).

Examples:
  npm start                                             # local chain, dev circuit
  PROVENANCE_CIRCUIT=test npm start                     # the small test circuit (fast setup)
  npx provenance localnet --port 8899 &                 # a chain of your own, then:
  PROVENANCE_ADMIN_KEYPAIR=.provenance/localnet/id.json npm start -- --rpc http://127.0.0.1:8899
  npm start | tee stack.log                             # JSON lines in the file
  npm start > stack.log 2>&1                            # human lines only (one file)`;

/** Fails the start before anything ran: a message, exit 2 (bad usage) or 1. */
function fail(message: string, code = 1): never {
  say(`npm start: ${message}`);
  process.exit(code);
}

let args: { rpc?: string | undefined; "log-format"?: string | undefined; help?: boolean | undefined };
try {
  args = parseArgs({ options: { rpc: { type: "string" }, "log-format": { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true }).values;
} catch (e) {
  fail(`${(e as Error).message} (npm start -- --help)`, 2);
}
if (args.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

let config: SequencerConfig;
let logger: Logger;
let logFormat: "json" | "pretty";
try {
  config = loadConfig(process.env, args.rpc !== undefined ? { rpcUrl: args.rpc } : {});
  // With stdout and stderr in one place (2>&1) the progress and banner lines sit beside the logs:
  // auto is then pretty, so the output is human lines only.
  const humanBeside = stdoutIsStderr();
  logFormat = resolveLogFormat({ flag: args["log-format"], humanBeside }); // a bad format stops here, before anything ran
  logger = createLogger({ name: "sequencer", level: config.logLevel, flag: args["log-format"], humanBeside });
} catch (e) {
  fail((e as Error).message.replace(/PROVENANCE_RPC_URL must/, args.rpc !== undefined ? "--rpc must" : "PROVENANCE_RPC_URL must"), 2);
}

/** The members of the circuit's family (every shape npm start prepares), dev setups only when no PROVENANCE_ZKEY. */
const members = process.env.PROVENANCE_ZKEY ? [circuitConfig(config.circuit)] : familyConfigs(circuitConfig(config.circuit).family);
const runsLocalChain = config.anchoring && config.localChain;
const buildChain = runsLocalChain && !localnetBinaryIsFresh();

/** What the first run does once and caches, with rough times on two cores. */
function firstRunPlan(): string[] {
  const plan: string[] = [];
  const uncompiled = members.filter((m) => !circuitIsCompiled(m.name)).map((m) => m.name);
  if (uncompiled.length > 0) plan.push(`compile the circuit${uncompiled.length > 1 ? "s" : ""} ${uncompiled.map((n) => `"${n}"`).join(", ")} (circom; 15 s to a minute each, cached in circuits/build/)`);
  if (!process.env.PROVENANCE_ZKEY && circuitConfig(config.circuit).family !== "prod") {
    const noKey = members.filter((m) => !circuitIsCompiled(m.name) || !existsQuiet(() => zkeyPath(m.name))).map((m) => m.name);
    if (noKey.length > 0) plan.push(`make the INSECURE dev trusted setup of ${noKey.map((n) => `"${n}"`).join(", ")} unless cached (5-20 min, cached in the setup cache)`);
  }
  if (buildChain) plan.push("build the local chain with cargo (about 30 min the very first time, cached in $CARGO_TARGET_DIR)");
  return plan;
}

/** Whether the file `file()` names exists (false when it cannot be named yet: an uncompiled circuit). */
function existsQuiet(file: () => string): boolean {
  try {
    return existsSync(file());
  } catch {
    return false;
  }
}

/**
 * Compiles every shape of the circuit's family if needed (docs/circuit-v2.md: a chunk shape and a
 * single shape) and makes sure each has a proving key matching the key the program verifies with.
 */
async function ensureCircuit(cfg: SequencerConfig, log: Logger): Promise<{ insecure: boolean }> {
  const compile = async (name: string) =>
    circuitIsCompiled(name) ? compileCircuit(name) : runStep(`Compiling the "${name}" circuit (first run only)`, (step) => compileCircuit(name, { log: (m) => step.note(m) }));
  if (process.env.PROVENANCE_ZKEY) {
    await compile(cfg.circuit);
    return { insecure: false };
  }
  if (circuitConfig(cfg.circuit).family === "prod") {
    throw new Error(
      'the "prod" circuits need the proving keys of a real phase-2 ceremony: set PROVENANCE_ZKEY to its .zkey (docs/trusted-setup.md)',
    );
  }
  for (const member of members) {
    const name = member.name;
    const compiled = await compile(name);
    const cached = existsQuiet(() => zkeyPath(name));
    const setup = async (note: (m: string) => void) =>
      runDevSetup({
        name,
        r1csFile: compiled.r1cs,
        log: (m) => {
          log.debug({ circuit: name }, `setup: ${m}`);
          note(m);
        },
      });
    const result = cached ? await setup(() => {}) : await runStep(`Making the INSECURE dev trusted setup of the "${name}" circuit (first run only)`, (step) => setup((m) => step.note(m)));
    const checkedIn = readFileSync(checkedInVkPath(name), "utf8");
    if (result.vkText !== checkedIn) {
      throw new Error(
        `the verifying key of the local ${name} setup (${result.vkFile}) differs from ${checkedInVkPath(name)}, ` +
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
        `Stop it, or use it: npm start -- --rpc http://127.0.0.1:${port} (docs/operations.md#your-own-chain)`,
    );
  }
  if (buildChain) {
    say("Building the local chain with cargo (first run only: about half an hour on 2 cores; cargo shows its progress)...");
    const t0 = Date.now();
    ensureLocalnetBinary({ progress: true });
    say(`Built the local chain in ${formatDuration((Date.now() - t0) / 1000)}`);
  }
  const localnet = await runStep("Starting the local chain", () => startLocalnet({ dataDir: cfg.localnetDir, port, timeoutMs: 120_000 }));
  log.info({ rpcUrl: localnet.rpcUrl, programId: localnet.programId, fresh: localnet.fresh, wallet: localnet.wallet }, "local chain started");
  return localnet;
}

const problems = checkPrerequisites({ needRust: buildChain });
if (problems.length > 0) {
  say("npm start cannot run on this machine yet:");
  for (const p of problems) say(`  - ${p}`);
  process.exit(1);
}
const plan = firstRunPlan();
if (plan.length > 0) {
  say("First run: these steps run once, then are cached (times on 2 cores):");
  for (const p of plan) say(`  - ${p}`);
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
    submitter ? { rpcUrl, submitter, note: localnet ? `local chain, state in ${config.localnetDir}` : `your chain (${args.rpc !== undefined ? "--rpc" : "PROVENANCE_RPC_URL"})` } : null,
    insecure ? [`circuit setup: INSECURE dev setup — anyone can forge proofs`, INSECURE_WARNING] : [],
  );
} catch (err) {
  // One line for people; the JSON stream (a file, a log shipper) gets the event too.
  if (logFormat === "json") logger.fatal({ err }, "could not start");
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
