/** `provenance nodes add|revoke|get|list`: the node registry. */
import { Option, type Command } from "commander";
import { ProvenanceError } from "@provenance/client-sdk/errors";
import { isHttpError, type CliContext } from "../context.js";
import { UsageError, hex64, plainHttpWarning, resolveAdminToken } from "../output.js";
import { DEV_ADMIN_FILE, dataDirOf, printPush, pushRegistry, resolveAdminKeypair } from "../admin.js";

interface AdminOpts {
  adminTokenFile?: string;
  /** Refused: present only to explain why. */
  adminToken?: string;
  dataDir?: string;
}

export function registerNodes(program: Command, ctx: CliContext): void {
  const nodes = program.command("nodes").description("the node registry: add, revoke, get, list (writes need the admin token)");
  const adminOptions = (cmd: Command) =>
    ctx.addExitHelp(
      cmd
        .option("--admin-token-file <file>", "file holding the admin token, mode 0600 (default: $PROVENANCE_ADMIN_TOKEN, else <data-dir>/admin-token)")
        .addOption(new Option("--admin-token <token>").hideHelp())
        .option("--data-dir <dir>", "the sequencer's data directory, where its admin-token file is (default: $PROVENANCE_DATA_DIR, else ./.provenance)"),
    );
  /** The admin token, from a file or the environment (never argv), with a warning before plain HTTP off this machine. */
  const adminToken = async (opts: AdminOpts, sequencerUrl: string): Promise<string> => {
    if (opts.adminToken !== undefined) {
      throw new UsageError("--admin-token is not accepted: a token on the command line is visible to every user in `ps`; use --admin-token-file FILE (mode 0600) or PROVENANCE_ADMIN_TOKEN");
    }
    const token = await resolveAdminToken(opts.adminTokenFile ? ctx.resolvePath(opts.adminTokenFile) : undefined, ctx.io.env, dataDirOf(ctx, opts.dataDir));
    const warning = plainHttpWarning(sequencerUrl, "the admin token");
    if (warning) ctx.out.note(warning);
    return token;
  };
  const keyOrArg = async (arg: string | undefined, keyFile: string | undefined, what: "publicKey" | "nodeId"): Promise<string> => {
    if (arg && keyFile) throw new UsageError(`give the ${what} or --key, not both`);
    if (keyFile) {
      const { loadNodeKey } = await import("@provenance/client-sdk/node");
      const key = loadNodeKey(ctx.resolvePath(keyFile));
      return what === "publicKey" ? key.publicKeyHex : key.nodeIdHex;
    }
    if (!arg) throw new UsageError(`give the node's ${what} (64 hex) or --key FILE`);
    return hex64(arg, what);
  };
  const printNode = (n: { nodeId: string; slot: number; status: string; registryRoot: string }, verb: string) => {
    ctx.out.result({ ok: true, ...n });
    ctx.out.say(`${verb} node ${n.nodeId}`);
    ctx.out.say(`  slot ${n.slot}, ${n.status}; registry root ${n.registryRoot}`);
  };
  adminOptions(
    nodes
      .command("add")
      .description("register a node's public key (from the argument or its key file)")
      .argument("[publicKey]", "the node's packed public key, 64 hex")
      .option("-k, --key <file>", "read the public key from this node key file"),
  ).action(
    ctx.run(async (publicKey: string | undefined, opts: AdminOpts & { key?: string }, cmd: Command) => {
      const g = ctx.globals(cmd);
      const pk = await keyOrArg(publicKey, opts.key, "publicKey");
      const client = await ctx.sequencerClient(g, { adminToken: await adminToken(opts, g.sequencer) });
      printNode(await client.addNode(pk), "registered");
    }),
  );
  adminOptions(
    nodes
      .command("revoke")
      .description("revoke a node: every pending record (its own included) is sealed into a batch first; its new records are refused")
      .argument("[nodeId]", "the node id, 64 hex")
      .option("-k, --key <file>", "read the node id from this node key file")
      .option("--emergency", "then put the new registry on-chain at once, retiring every other root (registry push --emergency; needs the admin keypair)", false)
      .option("--admin-keypair <file>", `with --emergency: the program admin's Solana keypair (mode 0600; default $PROVENANCE_ADMIN_KEYPAIR, else the dev stack's from <data-dir>/${DEV_ADMIN_FILE})`),
  ).action(
    ctx.run(async (nodeId: string | undefined, opts: AdminOpts & { key?: string; emergency: boolean; adminKeypair?: string }, cmd: Command) => {
      const g = ctx.globals(cmd);
      const id = await keyOrArg(nodeId, opts.key, "nodeId");
      if (opts.adminKeypair !== undefined && !opts.emergency) throw new UsageError("--admin-keypair is for --emergency (the on-chain push); a plain revoke needs only the admin token");
      // The admin keypair is checked before the revocation, so a missing or too-open one stops nothing half-way.
      const signer = opts.emergency ? await resolveAdminKeypair(ctx, { ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}), ...(opts.adminKeypair !== undefined ? { adminKeypair: opts.adminKeypair } : {}) }, g) : null;
      const client = await ctx.sequencerClient(g, { adminToken: await adminToken(opts, g.sequencer) });
      const r = await client.revokeNode(id);
      if (!signer) {
        printNode(r, "revoked");
        if (r.sealedBatches.length) ctx.out.say(`  sealed its pending records into batch(es) ${r.sealedBatches.join(", ")}`);
        return;
      }
      let push;
      try {
        push = await pushRegistry(ctx, g, signer, true);
      } catch (e) {
        ctx.out.note(`revoked node ${r.nodeId} in the sequencer (registry version ${r.registryVersion}), but the emergency push failed: run \`provenance registry push --emergency\` once fixed`);
        throw e;
      }
      ctx.out.result({ ...r, ok: true, push });
      ctx.out.say(`revoked node ${r.nodeId}`);
      ctx.out.say(`  slot ${r.slot}, ${r.status}; registry root ${r.registryRoot}`);
      if (r.sealedBatches.length) ctx.out.say(`  sealed its pending records into batch(es) ${r.sealedBatches.join(", ")}`);
      const json = ctx.out.json;
      if (!json) printPush(ctx, push);
    }),
  );
  ctx.addExitHelp(
    nodes
      .command("get")
      .description("one node's registry entry")
      .argument("[nodeId]", "the node id, 64 hex")
      .option("-k, --key <file>", "read the node id from this node key file")
      .action(
        ctx.run(async (nodeId: string | undefined, opts: { key?: string }, cmd: Command) => {
          const g = ctx.globals(cmd);
          printNode(await (await ctx.sequencerClient(g)).node(await keyOrArg(nodeId, opts.key, "nodeId")), "");
        }),
      ),
  );
  ctx.addExitHelp(
    nodes
      .command("list")
      .description("every node in the registry")
      .action(
        ctx.run(async (_opts: unknown, cmd: Command) => {
          const g = ctx.globals(cmd);
          let list;
          try {
            list = await (await ctx.sequencerClient(g)).nodes();
          } catch (e) {
            if (isHttpError(e) && e.status === 404 && e.serverCode === "NOT_FOUND" && /no route/.test(e.message)) {
              throw new ProvenanceError("SEQUENCER_ERROR", `the sequencer at ${g.sequencer} does not list its registry (no GET /v1/nodes route in this version); look a node up with \`provenance nodes get NODEID\``);
            }
            throw e;
          }
          ctx.out.result({ ok: true, ...list });
          ctx.out.say(`${list.nodes.length} node(s); registry root ${list.registryRoot}`);
          for (const n of list.nodes) ctx.out.say(`  ${String(n.slot).padStart(4)}  ${n.nodeId}  ${n.status}`);
        }),
      ),
  );
}
