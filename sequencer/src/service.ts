/**
 * Running the sequencer as a process: connect to the chain (cluster pinned, key funded, program
 * initialized for the circuit), start the service, print the banner, stop cleanly on SIGINT /
 * SIGTERM. Shared by the production entry (`src/main.ts`) and the dev launcher
 * (`scripts/dev.ts`, `npm start`).
 */
import { existsSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LAMPORTS_PER_SOL } from "@solana/web3.js";
import type { Logger } from "pino";
import { NodeRegistry, fieldToHex } from "@provenance/client-sdk";
import { circuitConfig } from "@provenance/circuits";
import { nativeProver, nativeProverThreads, r1csPath, wasmPath, zkeyPath } from "@provenance/prover";
import { createChainSubmitter, type AnchorChainSubmitter } from "./chain.js";
import { isLocalRpcUrl, type SequencerConfig } from "./config.js";
import { explorerBuilt } from "./explorer.js";
import { Sequencer } from "./sequencer.js";

/** A URL without its password, for the banner. */
function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(unparsable URL)";
  }
}

export const say = (line = ""): void => void process.stderr.write(`${line}\n`);

/** The circuit's artifacts (witness WASM, proving key) must exist: this process makes neither. */
export function checkProvingArtifacts(cfg: SequencerConfig): void {
  const wasm = wasmPath(cfg.circuit);
  for (const file of [wasm, r1csPath(cfg.circuit)]) {
    if (!existsSync(file)) {
      throw new Error(`the "${cfg.circuit}" circuit is not compiled (${file} is missing): run \`npx tsx scripts/compile-circuits.ts ${cfg.circuit}\``);
    }
  }
  const zkey = zkeyPath(cfg.circuit);
  // Proving through the queue, the workers hold the proving key; the sequencer needs only the verifying key.
  if (!existsSync(zkey) && !cfg.proverQueue) {
    throw new Error(
      `no proving key for the "${cfg.circuit}" circuit at ${zkey}: set PROVENANCE_ZKEY to the ceremony's .zkey (docs/trusted-setup.md)` +
        (cfg.circuit === "prod" ? "" : `, or make the INSECURE dev setup with \`npx tsx scripts/setup.ts --circuit ${cfg.circuit}\``),
    );
  }
}

/**
 * The chain submitter for `rpcUrl`, checked before any batch is sent: the cluster (genesis hash
 * and program) is the pinned one, the sequencer's key can pay (a local chain airdrops it), and
 * the program's Config is for this circuit, with this key as sequencer and the configured admin
 * (PROVENANCE_ADMIN_PUBKEY / PROVENANCE_ADMIN_KEYPAIR). Config is initialized here only on the
 * local chain with the admin keypair; elsewhere the admin initializes it (`provenance admin init`).
 */
export async function connectChain(cfg: SequencerConfig, rpcUrl: string, log: Logger): Promise<AnchorChainSubmitter> {
  const submitter = createChainSubmitter({ ...cfg, rpcUrl }, log);
  try {
    await submitter.checkCluster();
    await checkProgramDeployed(submitter, rpcUrl);
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
    if (submitter.registryNote) log.warn({ admin: submitter.expectedAdmin }, submitter.registryNote);
    if (cfg.adminKeypair && submitter.adminPublicKey) {
      writeDevAdmin(cfg.dataDir, { adminKeypair: cfg.adminKeypair, adminPubkey: submitter.adminPublicKey.toBase58(), rpcUrl, programId: submitter.programId.toBase58() });
    }
  } catch (err) {
    await submitter.close();
    throw err;
  }
  return submitter;
}

/**
 * The program is deployed at its id on this chain: an executable account. Otherwise the start
 * stops saying how to deploy it, instead of reporting the missing Config of a program that is not there.
 */
async function checkProgramDeployed(submitter: AnchorChainSubmitter, rpcUrl: string): Promise<void> {
  const id = submitter.programId.toBase58();
  const account = await submitter.connection.getAccountInfo(submitter.programId);
  const how =
    submitter.cluster === "localnet"
      ? "deploy it first (docs/operations.md#your-own-chain: `anchor build -- --features devnet-demo`, then " +
        "`solana-test-validator --upgradeable-program " + id + " target/deploy/provenance.so <upgrade authority>` or `solana program deploy`)"
      : "deploy it first (docs/operations.md#real-cluster: `anchor keys sync`, `npx tsx scripts/gen-onchain.ts --idl-only`, `anchor build`, `anchor deploy`), " +
        "or point PROVENANCE_RPC_URL at the cluster it is deployed on";
  if (!account) throw new Error(`no program is deployed at ${id} on ${redactUrl(rpcUrl)}: ${how}`);
  if (!account.executable) throw new Error(`the account ${id} on ${redactUrl(rpcUrl)} is not a program (not executable): ${how}`);
}

/** `<dataDir>/dev-admin.json`: where the local chain's admin keypair is, for the CLI's admin verbs (never the key itself). */
export const DEV_ADMIN_FILE = "dev-admin.json";

export interface DevAdmin {
  /** Path of the admin's solana-keygen keypair file (0600). */
  adminKeypair: string;
  adminPubkey: string;
  /** The local chain it is the admin of. */
  rpcUrl: string;
  programId: string;
}

/**
 * Records which keypair is the admin of the local chain, so `provenance admin …` and
 * `provenance registry push` find the dev stack's admin key without `--admin-keypair`. Written
 * only on the local chain (the only place this process may hold the admin key).
 */
function writeDevAdmin(dataDir: string, value: DevAdmin): void {
  const file = path.join(dataDir, DEV_ADMIN_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** The lines a person reads at start: where everything is. */
export function printBanner(
  cfg: SequencerConfig,
  sequencer: Sequencer,
  chain: { rpcUrl: string; submitter: AnchorChainSubmitter; note?: string } | null,
  extra: string[] = [],
): void {
  say();
  say("provenance sequencer is running");
  say(`  sequencer API   ${sequencer.url}`);
  // The page's default RPC is port 8899 on its own host; another local chain is named in its URL.
  if (explorerBuilt(cfg.explorerDir)) {
    const rpc = chain && isLocalRpcUrl(chain.rpcUrl) && new URL(chain.rpcUrl).port !== "8899" ? `?rpc=${encodeURIComponent(chain.rpcUrl)}` : "";
    say(`  explorer        ${sequencer.url}/explorer/${rpc}`);
  }
  say(chain ? `  Solana RPC      ${chain.rpcUrl}${chain.note ? ` (${chain.note})` : ""}` : "  Solana RPC      none (PROVENANCE_ANCHORING=off: batches stop at proven)");
  if (chain) {
    say(`  program         ${chain.submitter.programId.toBase58()} (${chain.submitter.cluster})`);
    say(`  sequencer key   ${chain.submitter.walletPublicKey.toBase58()} (${cfg.solanaKeypair})`);
    say(
      `  admin key       ${chain.submitter.expectedAdmin ?? "not configured (PROVENANCE_ADMIN_PUBKEY)"}` +
        (cfg.adminKeypair ? ` (${cfg.adminKeypair}: this process stages registry roots)` : " (not held here: `provenance registry push` stages registry changes)"),
    );
  }
  say(`  circuit         ${cfg.circuit}`);
  if (cfg.proverQueue) say(`  prover          prover workers through the queue ${redactUrl(cfg.proverQueue.url)} (start them: npx provenance-prover --queue … --circuit ${cfg.circuit})`);
  else say(`  prover          ${sequencer.proverBackend === "native" ? `native (arkworks, ${nativeProverThreads()} threads)` : `snarkjs${cfg.prover === "snarkjs" ? " (PROVENANCE_PROVER=snarkjs)" : ` (${nativeProver.reason})`}`}, ${cfg.proverWorkers} process(es)`);
  say(`  admin token     ${sequencer.adminToken.file ?? "from PROVENANCE_ADMIN_TOKEN"}`);
  say(`  receipt key     ${sequencer.receiptKey}`);
  say(`  data directory  ${cfg.dataDir}`);
  for (const line of extra) say(`  ${line}`);
  say("Ctrl-C stops it; `npx provenance --help` is the client.");
  say();
}

/** On SIGINT or SIGTERM: runs `stop` once, then exits 0 (1 if stopping failed). */
export function stopOnSignal(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "shutting down");
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
}
