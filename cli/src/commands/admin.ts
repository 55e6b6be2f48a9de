/**
 * `provenance admin init|propose|accept|pause|unpause|set-sequencer`: the program's admin
 * instructions, signed by the admin's keypair (`--admin-keypair FILE`, 0600; the dev stack's by
 * default). Off the local chain the admin is a key the sequencer does not hold: these run from
 * the admin's machine (docs/operations.md, "A separate admin").
 */
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { UsageError, hex64 } from "../output.js";
import { adminKeyOptions, adminSession, publicKeyArg, refused, requireAdmin, resolveAdminKeypair, type AdminKeyOpts } from "../admin.js";

const CIRCUITS = ["test", "dev", "prod"] as const;

/** The upgrade authority in a ProgramData account (UpgradeableLoaderState::ProgramData: u32 tag 3, u64 slot, Option<Pubkey>). */
function upgradeAuthorityOf(data: Uint8Array): { known: boolean; authority: Uint8Array | null } {
  if (data.length < 13 || data[0] !== 3 || data[1] !== 0 || data[2] !== 0 || data[3] !== 0) return { known: false, authority: null };
  if (data[12] === 0) return { known: true, authority: null };
  if (data.length < 45) return { known: false, authority: null };
  return { known: true, authority: data.slice(13, 45) };
}

export function registerAdmin(program: Command, ctx: CliContext): void {
  const admin = program
    .command("admin")
    .description("the program's admin: init, propose/accept a new admin, pause/unpause, set-sequencer (signed by the admin's keypair, never the sequencer's)");

  ctx.addExitHelp(
    adminKeyOptions(
      admin
        .command("init")
        .description("initialize the program: circuit, sequencer key, initial registry root; the admin must be the program's upgrade authority")
        .requiredOption("--sequencer-pubkey <base58>", "the sequencer's Solana public key (it signs submit_batch; never the admin)")
        .option("--circuit <name>", `the circuit configuration (${CIRCUITS.join(", ")}); default: the one the sequencer proves with (its /healthz)`)
        .option("--registry-root <hex>", "the initial registry root; default: the one the sequencer serves (GET /v1/nodes)"),
    ),
  ).action(
    ctx.run(async (opts: AdminKeyOpts & { sequencerPubkey: string; circuit?: string; registryRoot?: string }, cmd: Command) => {
      const g = ctx.globals(cmd);
      const sequencer = await publicKeyArg(opts.sequencerPubkey, "--sequencer-pubkey");
      if (opts.circuit !== undefined && !(CIRCUITS as readonly string[]).includes(opts.circuit)) {
        throw new UsageError(`--circuit must be one of ${CIRCUITS.join(", ")}, got ${JSON.stringify(opts.circuit)}`);
      }
      const signer = await resolveAdminKeypair(ctx, opts, g);
      let circuit = opts.circuit;
      let root = opts.registryRoot !== undefined ? hex64(opts.registryRoot, "--registry-root") : undefined;
      if (circuit === undefined || root === undefined) {
        const client = await ctx.sequencerClient(g);
        const ask = async <T>(what: string, flag: string, fn: () => Promise<T>): Promise<T> => {
          try {
            return await fn();
          } catch (e) {
            throw new UsageError(`give ${flag}: the ${what} could not be read from the sequencer at ${g.sequencer} (${(e as Error).message})`);
          }
        };
        if (circuit === undefined) {
          const health = await ask("circuit", "--circuit", () => client.health());
          const c = (health.prover as { circuit?: unknown } | undefined)?.circuit;
          if (typeof c !== "string" || !(CIRCUITS as readonly string[]).includes(c)) throw new UsageError(`give --circuit: the sequencer at ${g.sequencer} does not say its circuit`);
          circuit = c;
        }
        root ??= (await ask("registry root", "--registry-root", () => client.nodes())).registryRoot;
      }
      const session = await adminSession(ctx, g);
      const pk = signer.keypair.publicKey;
      if (pk.equals(sequencer)) {
        throw refused(`the admin keypair ${signer.source} is the sequencer key ${pk.toBase58()}: the admin must be another key (the program refuses AdminIsSequencer)`);
      }
      const existing = await session.reader.connection.getAccountInfo(session.reader.configAddress);
      if (existing) {
        const c = await session.config();
        throw refused(`the program ${session.reader.programId.toBase58()} is already initialized (admin ${c.admin}, sequencer ${c.sequencer}, circuit ${c.circuit}): initialize runs once`);
      }
      const pd = await session.reader.connection.getAccountInfo(session.ix.programDataAddress);
      if (pd) {
        const { known, authority } = upgradeAuthorityOf(pd.data);
        if (known) {
          const { PublicKey } = await import("@solana/web3.js");
          const auth = authority ? new PublicKey(authority) : null;
          if (!auth || !auth.equals(pk)) {
            throw refused(
              `only the program's upgrade authority may initialize it, and that is ${auth ? auth.toBase58() : "nobody (the program is immutable)"}, ` +
                `not ${pk.toBase58()} (${signer.source})`,
            );
          }
        }
      }
      const { signature } = await session.send(signer.keypair, session.ix.initialize(pk, circuit as (typeof CIRCUITS)[number], sequencer, root), "initialize");
      ctx.out.result({ ok: true, programId: session.reader.programId.toBase58(), admin: pk.toBase58(), sequencer: sequencer.toBase58(), circuit, registryRoot: root, signature });
      ctx.out.say(`initialized program ${session.reader.programId.toBase58()} for the "${circuit}" circuit`);
      ctx.out.say(`  admin ${pk.toBase58()}, sequencer ${sequencer.toBase58()}`);
      ctx.out.say(`  registry root ${root}`);
      ctx.out.say(`  transaction ${signature}`);
    }),
  );

  ctx.addExitHelp(
    adminKeyOptions(
      admin
        .command("propose")
        .description("first step of an admin hand-over: propose a new admin (it then runs `provenance admin accept` with its own keypair)")
        .argument("[pubkey]", "the new admin's public key (base58)")
        .option("--cancel", "withdraw a pending proposal instead", false),
    ),
  ).action(
    ctx.run(async (pubkey: string | undefined, opts: AdminKeyOpts & { cancel: boolean }, cmd: Command) => {
      const g = ctx.globals(cmd);
      if (opts.cancel === (pubkey !== undefined)) throw new UsageError(opts.cancel ? "give the new admin's public key or --cancel, not both" : "give the new admin's public key (base58), or --cancel");
      const { PublicKey } = await import("@solana/web3.js");
      const next = pubkey !== undefined ? await publicKeyArg(pubkey, "the new admin") : PublicKey.default;
      const signer = await resolveAdminKeypair(ctx, opts, g);
      const session = await adminSession(ctx, g);
      const config = await session.config();
      requireAdmin(config, signer.keypair, signer.source);
      if (opts.cancel && config.pendingAdmin === null) throw refused("no admin hand-over is pending: nothing to cancel");
      if (!opts.cancel) {
        if (next.equals(PublicKey.default)) throw refused("the new admin cannot be the default (all-zero) key: use --cancel to withdraw a proposal");
        if (next.toBase58() === config.admin) throw refused(`${next.toBase58()} is already the admin`);
        if (next.toBase58() === config.sequencer) {
          throw refused(`${next.toBase58()} is the sequencer key: the admin must be another key (the program refuses AdminIsSequencer)`);
        }
      }
      const { signature } = await session.send(signer.keypair, session.ix.proposeAdmin(signer.keypair.publicKey, next), "propose_admin");
      ctx.out.result({ ok: true, admin: config.admin, pendingAdmin: opts.cancel ? null : next.toBase58(), signature });
      ctx.out.say(opts.cancel ? `withdrew the proposed hand-over to ${config.pendingAdmin}` : `proposed ${next.toBase58()} as the next admin; it completes the hand-over with \`provenance admin accept --admin-keypair ITS_KEYPAIR\``);
      ctx.out.say(`  transaction ${signature}`);
    }),
  );

  ctx.addExitHelp(
    adminKeyOptions(
      admin.command("accept").description("second step of an admin hand-over: the proposed admin accepts, signing with its own keypair"),
      "the proposed (new) admin",
    ),
  ).action(
    ctx.run(async (opts: AdminKeyOpts, cmd: Command) => {
      const g = ctx.globals(cmd);
      const signer = await resolveAdminKeypair(ctx, opts, g, "the proposed admin's keypair");
      const session = await adminSession(ctx, g);
      const config = await session.config();
      const pk = signer.keypair.publicKey.toBase58();
      if (config.pendingAdmin === null) throw refused(`no admin hand-over is pending (the admin is ${config.admin}): the admin proposes one first (provenance admin propose PUBKEY)`);
      if (config.pendingAdmin !== pk) throw refused(`the proposed admin is ${config.pendingAdmin}, but ${signer.source} holds ${pk}: accept with the proposed admin's keypair`);
      const { signature } = await session.send(signer.keypair, session.ix.acceptAdmin(signer.keypair.publicKey), "accept_admin");
      ctx.out.result({ ok: true, previousAdmin: config.admin, admin: pk, signature });
      ctx.out.say(`${pk} is now the program's admin (was ${config.admin})`);
      ctx.out.say("  a sequencer checking PROVENANCE_ADMIN_PUBKEY needs the new key there before its next start");
      ctx.out.say(`  transaction ${signature}`);
    }),
  );

  for (const [verb, paused] of [["pause", true], ["unpause", false]] as const) {
    ctx.addExitHelp(
      adminKeyOptions(admin.command(verb).description(paused ? "stop submit_batch (batches wait in the sequencer and land in order after unpause)" : "resume submit_batch")),
    ).action(
      ctx.run(async (opts: AdminKeyOpts, cmd: Command) => {
        const g = ctx.globals(cmd);
        const signer = await resolveAdminKeypair(ctx, opts, g);
        const session = await adminSession(ctx, g);
        const config = await session.config();
        requireAdmin(config, signer.keypair, signer.source);
        if (config.paused === paused) {
          ctx.out.result({ ok: true, paused, signature: null });
          ctx.out.say(`the program is already ${paused ? "paused" : "running"}: nothing sent`);
          return;
        }
        const { signature } = await session.send(signer.keypair, session.ix.setPaused(signer.keypair.publicKey, paused), `set_paused ${paused}`);
        ctx.out.result({ ok: true, paused, signature });
        ctx.out.say(paused ? "the program is paused: submit_batch is refused until `provenance admin unpause`" : "the program runs again: waiting batches land in order");
        ctx.out.say(`  transaction ${signature}`);
      }),
    );
  }

  ctx.addExitHelp(
    adminKeyOptions(
      admin
        .command("set-sequencer")
        .description("replace the key allowed to submit batches (e.g. after the sequencer's key was stolen)")
        .argument("<pubkey>", "the new sequencer's public key (base58)"),
    ),
  ).action(
    ctx.run(async (pubkey: string, opts: AdminKeyOpts, cmd: Command) => {
      const g = ctx.globals(cmd);
      const next = await publicKeyArg(pubkey, "the new sequencer");
      const signer = await resolveAdminKeypair(ctx, opts, g);
      const session = await adminSession(ctx, g);
      const config = await session.config();
      requireAdmin(config, signer.keypair, signer.source);
      if (next.toBase58() === config.admin) throw refused(`${next.toBase58()} is the admin: the sequencer must be another key (the program refuses AdminIsSequencer)`);
      if (next.toBase58() === config.sequencer) {
        ctx.out.result({ ok: true, sequencer: config.sequencer, signature: null });
        ctx.out.say(`${config.sequencer} is already the sequencer: nothing sent`);
        return;
      }
      const { signature } = await session.send(signer.keypair, session.ix.setSequencer(signer.keypair.publicKey, next), "set_sequencer");
      ctx.out.result({ ok: true, previousSequencer: config.sequencer, sequencer: next.toBase58(), signature });
      ctx.out.say(`the program now takes batches from ${next.toBase58()} (was ${config.sequencer})`);
      ctx.out.say(`  transaction ${signature}`);
    }),
  );
}
