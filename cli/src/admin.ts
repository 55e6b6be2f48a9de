/**
 * What the admin verbs share (`provenance admin …`, `provenance registry push`, `nodes revoke
 * --emergency`): the admin's keypair, never from argv, checked 0600, and the program's admin
 * instructions sent with it after checking the Config, so a refusal names what is wrong before
 * anything is signed.
 *
 * The admin keypair: `--admin-keypair FILE`, else `PROVENANCE_ADMIN_KEYPAIR`, else the dev stack's
 * (`npm start` records the local chain's wallet, the admin there, in `<data-dir>/dev-admin.json`;
 * used only when `--rpc` is that local chain).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Keypair } from "@solana/web3.js";
import type { ChainConfig, ChainReader } from "@provenance/client-sdk/chain";
import type { AdminInstructions } from "@provenance/client-sdk/node";
import { ProvenanceError } from "@provenance/client-sdk/errors";
import { isLoopbackHost } from "@provenance/client-sdk/hosts";
import { dataDir } from "@provenance/prover/data-dir";
import type { CliContext, GlobalOptions } from "./context.js";
import { UsageError, parseJsonFile } from "./output.js";

export const DEV_ADMIN_FILE = "dev-admin.json";

export interface AdminKeyOpts {
  adminKeypair?: string;
  dataDir?: string;
}

/** `--data-dir` if given, else $PROVENANCE_DATA_DIR, else ./.provenance (the sequencer's and npm start's rule). */
export function dataDirOf(ctx: CliContext, given: string | undefined): string {
  return given !== undefined ? ctx.resolvePath(given) : dataDir(ctx.io.env, ctx.io.cwd);
}

/** The program's Config (with its staged root and pending admin). */
export type AdminConfig = ChainConfig;

export const refused = (message: string): ProvenanceError => new ProvenanceError("ADMIN_REFUSED", message);

/** Adds `--admin-keypair` and `--data-dir` to an admin verb. */
export function adminKeyOptions(cmd: import("commander").Command, what = "the program's admin"): import("commander").Command {
  return cmd
    .option(
      "--admin-keypair <file>",
      `${what}'s Solana keypair (solana-keygen JSON, mode 0600; default $PROVENANCE_ADMIN_KEYPAIR, else the dev stack's admin from <data-dir>/${DEV_ADMIN_FILE})`,
    )
    .option("--data-dir <dir>", "the dev stack's data directory (npm start), where it records its admin key (default: $PROVENANCE_DATA_DIR, else ./.provenance)");
}

/** Loads a keypair file with the 0600 check; a file too open is a usage error (exit 2). */
async function loadKeypair(file: string, what: string): Promise<Keypair> {
  const { loadSolanaKeypairFile } = await import("@provenance/client-sdk/node");
  try {
    return loadSolanaKeypairFile(file, what);
  } catch (e) {
    if (e instanceof ProvenanceError && /too open|not a Solana keypair|does not hold/.test(e.message)) throw new UsageError(e.message);
    if (e instanceof ProvenanceError && /cannot open/.test(e.message)) throw new ProvenanceError("IO_ERROR", e.message);
    throw e;
  }
}

/** The admin's keypair, as the module comment says; `what` names it in messages. */
export async function resolveAdminKeypair(ctx: CliContext, opts: AdminKeyOpts, g: GlobalOptions, what = "the admin keypair"): Promise<{ keypair: Keypair; source: string }> {
  const given = opts.adminKeypair ?? ctx.io.env.PROVENANCE_ADMIN_KEYPAIR;
  if (given) {
    const file = ctx.resolvePath(given);
    return { keypair: await loadKeypair(file, what), source: file };
  }
  const pointer = path.join(dataDirOf(ctx, opts.dataDir), DEV_ADMIN_FILE);
  if (!existsSync(pointer)) {
    throw new UsageError(
      `this needs ${what}: pass --admin-keypair FILE (solana-keygen JSON, mode 0600) or set PROVENANCE_ADMIN_KEYPAIR; ` +
        `the dev stack (npm start) records its own in <data-dir>/${DEV_ADMIN_FILE} (--data-dir, default $PROVENANCE_DATA_DIR, else ./.provenance), and ${pointer} does not exist`,
    );
  }
  const dev = parseJsonFile(pointer, "the dev stack's admin record") as { adminKeypair?: unknown; adminPubkey?: unknown; rpcUrl?: unknown };
  if (typeof dev.adminKeypair !== "string" || typeof dev.adminPubkey !== "string" || typeof dev.rpcUrl !== "string") {
    throw new UsageError(`${pointer} is not the dev stack's admin record ({ adminKeypair, adminPubkey, rpcUrl, programId })`);
  }
  const rpc = new URL(g.rpc);
  if (!isLoopbackHost(rpc.hostname) || new URL(dev.rpcUrl).port !== rpc.port) {
    throw new UsageError(
      `the dev stack's admin key (${pointer}) is the admin of the local chain at ${dev.rpcUrl}, not of ${rpc.host}: pass --admin-keypair FILE for that cluster`,
    );
  }
  const keypair = await loadKeypair(dev.adminKeypair, `the dev stack's admin keypair (from ${pointer})`);
  if (keypair.publicKey.toBase58() !== dev.adminPubkey) {
    throw new UsageError(`${dev.adminKeypair} holds ${keypair.publicKey.toBase58()}, but ${pointer} records the admin ${dev.adminPubkey}: pass --admin-keypair FILE`);
  }
  return { keypair, source: dev.adminKeypair };
}

/** `--dry-run` of an admin verb. */
export function dryRunOption(cmd: import("commander").Command): import("commander").Command {
  return cmd.option("--dry-run", "check everything and simulate the transaction on the cluster (the program's own checks included); send nothing", false);
}

/** What an admin verb did: sent (a signature) or, with --dry-run, simulated. */
export interface Executed {
  signature: string | null;
  dryRun: boolean;
  /** Compute units the simulation used (dry run only). */
  unitsConsumed: number | null;
}

/** A connection, the program's reader and its admin instructions, for one verb. */
export interface AdminSession {
  reader: ChainReader;
  ix: AdminInstructions;
  send(signer: Keypair, instruction: Promise<import("@solana/web3.js").TransactionInstruction>, what: string): Promise<{ signature: string; slot: number }>;
  /** Sends, or with `dryRun` simulates (refusing as sending would, with the program's error name). */
  execute(signer: Keypair, instruction: Promise<import("@solana/web3.js").TransactionInstruction>, what: string, dryRun: boolean): Promise<Executed>;
  /** Config, with the staged/pending fields; refuses (ACCOUNT_MISSING) when the program is not initialized. */
  config(): Promise<AdminConfig>;
}

export async function adminSession(ctx: CliContext, g: GlobalOptions): Promise<AdminSession> {
  const reader = await ctx.chainReader(g);
  const { AdminInstructions, sendAdminTransaction, simulateAdminTransaction } = await import("@provenance/client-sdk/node");
  const ix = new AdminInstructions(reader.connection, reader.programId);
  const send = async (signer: Keypair, instruction: Promise<import("@solana/web3.js").TransactionInstruction>, what: string) =>
    sendAdminTransaction(reader.connection, signer, [await instruction], what);
  return {
    reader,
    ix,
    send,
    execute: async (signer, instruction, what, dryRun) => {
      if (!dryRun) return { signature: (await send(signer, instruction, what)).signature, dryRun: false, unitsConsumed: null };
      const sim = await simulateAdminTransaction(reader.connection, signer, [await instruction], what);
      return { signature: null, dryRun: true, unitsConsumed: sim.unitsConsumed };
    },
    config: () => reader.config(),
  };
}

/** The JSON fields of a verb that sent or simulated: `dryRun`, `signature` (null on a dry run), and the simulation's `unitsConsumed`. */
export function executed(r: Executed): { dryRun: boolean; signature: string | null; unitsConsumed?: number | null } {
  return r.dryRun ? { dryRun: true, signature: null, unitsConsumed: r.unitsConsumed } : { dryRun: false, signature: r.signature };
}

/** The last line of a verb that sent (or simulated) one transaction. */
export function sayExecuted(ctx: CliContext, r: Executed, what: string): void {
  if (r.dryRun) ctx.out.say(`  dry run: ${what} signed by this key passes every check and the cluster's simulation (${r.unitsConsumed ?? "?"} compute units); nothing was sent`);
  else ctx.out.say(`  transaction ${r.signature}`);
}

/** Refuses unless `signer` is the program's admin. */
export function requireAdmin(config: AdminConfig, signer: Keypair, source: string): void {
  const pk = signer.publicKey.toBase58();
  if (config.admin !== pk) {
    throw refused(
      `the program's admin is ${config.admin}, but ${source} holds ${pk}` +
        (config.pendingAdmin === pk ? ": it is the proposed admin; accept the hand-over first (provenance admin accept)" : ": pass the admin's keypair with --admin-keypair FILE"),
    );
  }
}

/** A public key argument, or a usage error naming it. */
export async function publicKeyArg(value: string, what: string): Promise<import("@solana/web3.js").PublicKey> {
  const { parsePublicKey } = await import("@provenance/client-sdk/node");
  try {
    return parsePublicKey(value, what);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export interface PushResult {
  ok: true;
  /** Simulated, not sent (--dry-run). */
  dryRun: boolean;
  action: "staged" | "set" | "unchanged";
  registryRoot: string;
  registryVersion: number;
  emergency: boolean;
  onChain: { registryRoot: string; registryVersion: number; stagedRegistryRoot: string | null; stagedRegistryVersion: number };
  nodes: { active: number; revoked: number };
  signature: string | null;
}

/**
 * `registry push`: reads the sequencer's registry, recomputes its root from the node list it
 * serves (refused when it does not hash to the served root), and sends
 * `set_registry_root(root, version, emergency)` signed by the admin.
 */
export async function pushRegistry(ctx: CliContext, g: GlobalOptions, signer: { keypair: Keypair; source: string }, emergency: boolean, dryRun = false): Promise<PushResult> {
  const client = await ctx.sequencerClient(g);
  const list = await client.nodes();
  const { NodeRegistry, fieldToHex } = await import("@provenance/client-sdk");
  if (!Number.isInteger(list.registryLevels) || list.registryLevels < 1 || list.registryLevels > 32) {
    throw refused(`the sequencer at ${g.sequencer} does not say its registry's depth (registryLevels) in GET /v1/nodes: update it; without it its root cannot be checked`);
  }
  const nodes = [...list.nodes].sort((a, b) => a.slot - b.slot);
  nodes.forEach((n, i) => {
    if (n.slot !== i) throw refused(`the sequencer's node list has no node in slot ${i} (next is slot ${n.slot}): it cannot be the registry whose root it serves`);
  });
  let computed: string;
  try {
    computed = fieldToHex(NodeRegistry.fromJSON({ levels: list.registryLevels, nodes: nodes.map((n) => ({ nodeId: n.nodeId, status: n.status })) }).root);
  } catch (e) {
    throw refused(`the sequencer's node list is not a registry: ${(e as Error).message}`);
  }
  if (computed !== list.registryRoot) {
    throw refused(
      `the sequencer serves registry root ${list.registryRoot} (version ${list.registryVersion}), but its ${nodes.length} node(s) hash to ${computed}: ` +
        "refusing to put a root on-chain that does not match the node list it claims",
    );
  }
  const session = await adminSession(ctx, g);
  const config = await session.config();
  const onChain = {
    registryRoot: config.registryRoot,
    registryVersion: config.registryVersion,
    stagedRegistryRoot: config.stagedRegistryRoot,
    stagedRegistryVersion: config.stagedRegistryVersion,
  };
  const counts = { active: nodes.filter((n) => n.status === "active").length, revoked: nodes.filter((n) => n.status === "revoked").length };
  const base = { ok: true as const, dryRun, registryRoot: list.registryRoot, registryVersion: list.registryVersion, emergency, onChain, nodes: counts };
  const current = config.registryRoot === list.registryRoot && config.registryVersion === list.registryVersion;
  const staged = config.stagedRegistryRoot === list.registryRoot && config.stagedRegistryVersion === list.registryVersion;
  if (current || (staged && !emergency)) return { ...base, action: "unchanged", signature: null };
  const floor = Math.max(config.registryVersion, config.stagedRegistryRoot !== null ? config.stagedRegistryVersion : 0);
  if (staged && emergency) {
    throw refused(
      `the sequencer's registry version ${list.registryVersion} is already staged on-chain, and the program takes an emergency root only under a ` +
        "newer version than the staged one: it becomes current with the next batch; to retire every other root now, change the registry first " +
        "(`provenance nodes revoke ID --emergency` does both)",
    );
  }
  if (list.registryVersion <= floor) {
    throw refused(
      `the sequencer's registry is at version ${list.registryVersion}, but the chain is at version ${config.registryVersion}` +
        (config.stagedRegistryRoot !== null ? ` with version ${config.stagedRegistryVersion} staged` : "") +
        ": versions only move forward. Bring the sequencer's registry past it (add or revoke) and push again",
    );
  }
  requireAdmin(config, signer.keypair, signer.source);
  const { signature } = await session.execute(
    signer.keypair,
    session.ix.setRegistryRoot(signer.keypair.publicKey, list.registryRoot, list.registryVersion, emergency),
    emergency ? "set_registry_root (emergency)" : "set_registry_root",
    dryRun,
  );
  return { ...base, action: emergency ? "set" : "staged", signature };
}

export function printPush(ctx: CliContext, r: PushResult): void {
  ctx.out.result(r);
  const from = `on-chain version ${r.onChain.registryVersion}${r.onChain.stagedRegistryRoot !== null ? ` (version ${r.onChain.stagedRegistryVersion} staged)` : ""}`;
  if (r.action === "unchanged") {
    ctx.out.say(`registry version ${r.registryVersion} (root ${r.registryRoot}) is already ${r.onChain.registryVersion === r.registryVersion ? "current" : "staged"} on-chain: nothing sent`);
  } else if (r.action === "set") {
    ctx.out.say(`registry version ${r.registryVersion} (root ${r.registryRoot}) ${r.dryRun ? "would be" : "is now"} current on-chain (emergency: every other root is retired), was ${from}`);
  } else {
    ctx.out.say(`registry version ${r.registryVersion} (root ${r.registryRoot}) ${r.dryRun ? "would be staged" : "staged"} on-chain, was ${from}: it becomes current when the first batch proven against it lands`);
  }
  ctx.out.say(`  ${r.nodes.active} active node(s), ${r.nodes.revoked} revoked; ${r.registryVersion - r.onChain.registryVersion} registry operation(s) since the current on-chain version`);
  if (r.signature) ctx.out.say(`  transaction ${r.signature}`);
  else if (r.dryRun && r.action !== "unchanged") ctx.out.say("  dry run: set_registry_root signed by this key passes every check and the cluster's simulation; nothing was sent");
}
