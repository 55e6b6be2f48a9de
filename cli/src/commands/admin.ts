/**
 * `provenance admin show|init|propose|accept|pause|unpause|set-sequencer|set-registry-root|init-accumulator`:
 * every instruction of the program but `submit_batch` (the sequencer's), signed by the admin's
 * keypair (`--admin-keypair FILE`, 0600; the dev stack's by default). Each checks the Config
 * first and refuses, naming what is wrong, before anything is signed; `--dry-run` simulates the
 * transaction on the cluster instead of sending it. Off the local chain the admin is a key the
 * sequencer does not hold: these run from the admin's machine (docs/operations.md#admin).
 */
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { UsageError, hex64, positiveInt } from "../output.js";
import { adminKeyOptions, adminSession, dryRunOption, executed, publicKeyArg, refused, requireAdmin, resolveAdminKeypair, sayExecuted, type AdminKeyOpts } from "../admin.js";

type DryRun = { dryRun: boolean };


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
    .description(
      "the program's admin: show, init, propose/accept a new admin, pause/unpause, set-sequencer, set-registry-root, init-accumulator (signed by the admin's keypair, never the sequencer's)",
    );

  ctx.addExitHelp(
    dryRunOption(adminKeyOptions(
      admin
        .command("init")
        .description("initialize the program: circuit, sequencer key, initial registry root; the admin must be the program's upgrade authority")
        .requiredOption("--sequencer-pubkey <base58>", "the sequencer's Solana public key (it signs submit_batch; never the admin)")
        .option("--circuit <name>", `the circuit configuration (${CIRCUITS.join(", ")}); default: the one the sequencer proves with (its /healthz)`)
        .option("--registry-root <hex>", "the initial registry root; default: the one the sequencer serves (GET /v1/nodes)"),
    )),
  ).action(
    ctx.run(async (opts: AdminKeyOpts & DryRun & { sequencerPubkey: string; circuit?: string; registryRoot?: string }, cmd: Command) => {
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
      const r = await session.execute(signer.keypair, session.ix.initialize(pk, circuit as (typeof CIRCUITS)[number], sequencer, root), "initialize", opts.dryRun);
      ctx.out.result({ ok: true, ...executed(r), programId: session.reader.programId.toBase58(), admin: pk.toBase58(), sequencer: sequencer.toBase58(), circuit, registryRoot: root });
      ctx.out.say(`${r.dryRun ? "would initialize" : "initialized"} program ${session.reader.programId.toBase58()} for the "${circuit}" circuit`);
      ctx.out.say(`  admin ${pk.toBase58()}, sequencer ${sequencer.toBase58()}`);
      ctx.out.say(`  registry root ${root}`);
      sayExecuted(ctx, r, "initialize");
    }),
  );

  ctx.addExitHelp(
    dryRunOption(adminKeyOptions(
      admin
        .command("propose")
        .description("first step of an admin hand-over: propose a new admin (it then runs `provenance admin accept` with its own keypair)")
        .argument("[pubkey]", "the new admin's public key (base58)")
        .option("--cancel", "withdraw a pending proposal instead", false),
    )),
  ).action(
    ctx.run(async (pubkey: string | undefined, opts: AdminKeyOpts & DryRun & { cancel: boolean }, cmd: Command) => {
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
      const r = await session.execute(signer.keypair, session.ix.proposeAdmin(signer.keypair.publicKey, next), "propose_admin", opts.dryRun);
      ctx.out.result({ ok: true, ...executed(r), admin: config.admin, pendingAdmin: opts.cancel ? null : next.toBase58() });
      const would = r.dryRun ? "would have " : "";
      ctx.out.say(opts.cancel ? `${would}${r.dryRun ? "withdrawn" : "withdrew"} the proposed hand-over to ${config.pendingAdmin}` : `${would}proposed ${next.toBase58()} as the next admin; it completes the hand-over with \`provenance admin accept --admin-keypair ITS_KEYPAIR\``);
      sayExecuted(ctx, r, "propose_admin");
    }),
  );

  ctx.addExitHelp(
    dryRunOption(adminKeyOptions(
      admin
        .command("accept")
        .description("second step of an admin hand-over: the proposed admin accepts, signing with its own keypair"),
      "the proposed (new) admin",
    )),
  ).action(
    ctx.run(async (opts: AdminKeyOpts & DryRun, cmd: Command) => {
      const g = ctx.globals(cmd);
      const signer = await resolveAdminKeypair(ctx, opts, g, "the proposed admin's keypair");
      const session = await adminSession(ctx, g);
      const config = await session.config();
      const pk = signer.keypair.publicKey.toBase58();
      if (config.pendingAdmin === null) throw refused(`no admin hand-over is pending (the admin is ${config.admin}): the admin proposes one first (provenance admin propose PUBKEY)`);
      if (config.pendingAdmin !== pk) throw refused(`the proposed admin is ${config.pendingAdmin}, but ${signer.source} holds ${pk}: accept with the proposed admin's keypair`);
      const r = await session.execute(signer.keypair, session.ix.acceptAdmin(signer.keypair.publicKey), "accept_admin", opts.dryRun);
      ctx.out.result({ ok: true, ...executed(r), previousAdmin: config.admin, admin: pk });
      ctx.out.say(`${pk} ${r.dryRun ? "would become" : "is now"} the program's admin (was ${config.admin})`);
      ctx.out.say("  a sequencer checking PROVENANCE_ADMIN_PUBKEY needs the new key there before its next start");
      sayExecuted(ctx, r, "accept_admin");
    }),
  );

  for (const [verb, paused] of [["pause", true], ["unpause", false]] as const) {
    ctx.addExitHelp(
      dryRunOption(
        adminKeyOptions(
          admin
            .command(verb)
            .description(paused ? "stop submit_batch (batches wait in the sequencer and land in order after unpause)" : "resume submit_batch"),
        ),
      ),
    ).action(
      ctx.run(async (opts: AdminKeyOpts & DryRun, cmd: Command) => {
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
        const r = await session.execute(signer.keypair, session.ix.setPaused(signer.keypair.publicKey, paused), `set_paused ${paused}`, opts.dryRun);
        ctx.out.result({ ok: true, ...executed(r), paused });
        if (r.dryRun) ctx.out.say(`would ${verb} the program`);
        else ctx.out.say(paused ? "the program is paused: submit_batch is refused until `provenance admin unpause`" : "the program runs again: waiting batches land in order");
        sayExecuted(ctx, r, `set_paused(${paused})`);
      }),
    );
  }

  ctx.addExitHelp(
    dryRunOption(adminKeyOptions(
      admin
        .command("set-sequencer")
        .description("replace the key allowed to submit batches (e.g. after the sequencer's key was stolen)")
        .argument("<pubkey>", "the new sequencer's public key (base58)"),
    )),
  ).action(
    ctx.run(async (pubkey: string, opts: AdminKeyOpts & DryRun, cmd: Command) => {
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
      const r = await session.execute(signer.keypair, session.ix.setSequencer(signer.keypair.publicKey, next), "set_sequencer", opts.dryRun);
      ctx.out.result({ ok: true, ...executed(r), previousSequencer: config.sequencer, sequencer: next.toBase58() });
      ctx.out.say(`the program ${r.dryRun ? "would take" : "now takes"} batches from ${next.toBase58()} (was ${config.sequencer})`);
      sayExecuted(ctx, r, "set_sequencer");
    }),
  );

  ctx.addExitHelp(
    admin
        .command("show")
        .description("the program's state on the cluster, read only: deployed and by whom upgradable, Config (admin, pending admin, sequencer, circuit, paused, registry roots, next batch), Accumulator"),
  ).action(
    ctx.run(async (_opts: Record<string, never>, cmd: Command) => {
      const g = ctx.globals(cmd);
      const session = await adminSession(ctx, g);
      const { connection, programId, configAddress } = session.reader;
      const { PublicKey } = await import("@solana/web3.js");
      const [programAccount, pd, configAccount] = await Promise.all([
        connection.getAccountInfo(programId),
        connection.getAccountInfo(session.ix.programDataAddress),
        connection.getAccountInfo(configAddress),
      ]);
      const deployed = programAccount !== null && programAccount.executable;
      const ua = pd ? upgradeAuthorityOf(pd.data) : { known: false, authority: null };
      const upgradeAuthority = ua.known ? (ua.authority ? new PublicKey(ua.authority).toBase58() : null) : undefined;
      const config = configAccount ? await session.config() : null;
      let accumulator: { address: string; startIndex: number; size: number } | null = null;
      if (config) {
        const acc = await connection.getAccountInfo(session.ix.accumulatorAddress);
        if (acc) {
          const a = await session.reader.readAccumulator();
          accumulator = { address: a.address, startIndex: a.startIndex, size: a.size };
        }
      }
      ctx.out.result({
        ok: true,
        programId: programId.toBase58(),
        deployed,
        upgradeAuthority: upgradeAuthority === undefined ? "unknown" : upgradeAuthority,
        initialized: config !== null,
        config,
        accumulator: config ? accumulator : null,
      });
      ctx.out.say(`program ${programId.toBase58()} on ${g.rpc}`);
      if (!deployed) {
        ctx.out.say(`  not deployed here${programAccount ? " (the account exists but is not executable)" : ""}: deploy it first (docs/operations.md#real-cluster)`);
        return;
      }
      ctx.out.say(`  upgrade authority   ${upgradeAuthority === undefined ? "unknown (not the upgradeable loader's layout)" : (upgradeAuthority ?? "none: the program is immutable")}`);
      if (!config) {
        ctx.out.say("  not initialized: the upgrade authority runs `provenance admin init`");
        return;
      }
      ctx.out.say(`  admin               ${config.admin}${config.pendingAdmin ? ` (hand-over to ${config.pendingAdmin} proposed, not accepted)` : ""}`);
      ctx.out.say(`  sequencer           ${config.sequencer}`);
      ctx.out.say(`  circuit             ${config.circuit} (batches of up to ${config.batchCapacity} records)`);
      ctx.out.say(`  submit_batch        ${config.paused ? "PAUSED (provenance admin unpause)" : "running"}`);
      ctx.out.say(`  registry            version ${config.registryVersion}, root ${config.registryRoot}`);
      if (config.stagedRegistryRoot) ctx.out.say(`  staged registry     version ${config.stagedRegistryVersion}, root ${config.stagedRegistryRoot} (current once a batch proven against it lands)`);
      const superseded = config.recentRegistryRoots.filter((r) => r.replacedAt !== 0);
      ctx.out.say(
        `  superseded roots    ${superseded.length}` +
          (superseded.length > 0 ? ` (each accepted for batches until its grace period after its replacement ends; newest replaced at ${new Date(Math.max(...superseded.map((r) => r.replacedAt)) * 1000).toISOString()})` : ""),
      );
      ctx.out.say(`  batches             ${config.nextIndex} anchored, ${config.totalRecords} records; chain head ${config.chainHead}`);
      ctx.out.say(
        accumulator
          ? `  accumulator         ${accumulator.size} leaves from batch ${accumulator.startIndex}`
          : "  accumulator         MISSING: version-2 bundles cannot verify; the admin runs `provenance admin init-accumulator`",
      );
    }),
  );

  ctx.addExitHelp(
    dryRunOption(
      adminKeyOptions(
        admin
          .command("set-registry-root")
          .description(
            "set_registry_root by hand: stage a registry root (or, with --retire-previous, make it current and retire every other); " +
              "`provenance registry push` is the usual way (it takes the root from the sequencer and checks it)",
          )
          .argument("<root>", "the registry root (64 lowercase hex, a BN254 field element)")
          .requiredOption("--registry-version <n>", "its version: above the on-chain version and above a staged root's")
          .option("--retire-previous", "make it current at once and forget every other root (batches proven against them no longer land)", false),
      ),
    ),
  ).action(
    ctx.run(async (rootArg: string, opts: AdminKeyOpts & DryRun & { registryVersion: string; retirePrevious: boolean }, cmd: Command) => {
      const g = ctx.globals(cmd);
      const root = hex64(rootArg, "the registry root");
      const { FIELD_MODULUS } = await import("@provenance/client-sdk");
      if (BigInt(`0x${root}`) >= FIELD_MODULUS) throw new UsageError(`the registry root ${root} is not below the BN254 scalar modulus: no registry has it (the program refuses NonCanonicalFieldElement)`);
      const version = positiveInt(opts.registryVersion, "--registry-version", Number.MAX_SAFE_INTEGER);
      const signer = await resolveAdminKeypair(ctx, opts, g);
      const session = await adminSession(ctx, g);
      const config = await session.config();
      requireAdmin(config, signer.keypair, signer.source);
      if (root === config.registryRoot) throw refused(`${root} is already the current registry root (version ${config.registryVersion}): nothing to set (the program refuses RegistryRootUnchanged)`);
      const floor = Math.max(config.registryVersion, config.stagedRegistryRoot !== null ? config.stagedRegistryVersion : 0);
      if (version <= floor) {
        throw refused(
          `--registry-version ${version} is not newer than the chain's version ${config.registryVersion}` +
            (config.stagedRegistryRoot !== null ? ` and its staged version ${config.stagedRegistryVersion}` : "") +
            `: give at least ${floor + 1} (the program refuses RegistryVersionNotNewer)`,
        );
      }
      const r = await session.execute(signer.keypair, session.ix.setRegistryRoot(signer.keypair.publicKey, root, version, opts.retirePrevious), "set_registry_root", opts.dryRun);
      ctx.out.result({ ok: true, ...executed(r), action: opts.retirePrevious ? "set" : "staged", registryRoot: root, registryVersion: version, previous: { registryRoot: config.registryRoot, registryVersion: config.registryVersion, stagedRegistryRoot: config.stagedRegistryRoot, stagedRegistryVersion: config.stagedRegistryVersion } });
      const would = r.dryRun ? "would be" : "is";
      ctx.out.say(
        opts.retirePrevious
          ? `registry version ${version} (root ${root}) ${would} current on-chain, every other root retired (was version ${config.registryVersion})`
          : `registry version ${version} (root ${root}) ${would} staged on-chain: current once the first batch proven against it lands (current: version ${config.registryVersion})`,
      );
      sayExecuted(ctx, r, "set_registry_root");
    }),
  );

  ctx.addExitHelp(
    dryRunOption(
      adminKeyOptions(
        admin
          .command("init-accumulator")
          .description("create the Accumulator of a deployment initialized before it existed (its leaf 0 is the next batch); the admin pays its rent"),
      ),
    ),
  ).action(
    ctx.run(async (opts: AdminKeyOpts & DryRun, cmd: Command) => {
      const g = ctx.globals(cmd);
      const signer = await resolveAdminKeypair(ctx, opts, g);
      const session = await adminSession(ctx, g);
      const config = await session.config();
      requireAdmin(config, signer.keypair, signer.source);
      if (await session.reader.connection.getAccountInfo(session.ix.accumulatorAddress)) {
        const a = await session.reader.readAccumulator();
        throw refused(`the Accumulator ${a.address} exists already (${a.size} leaves from batch ${a.startIndex}): init-accumulator runs once, on a deployment that predates it`);
      }
      const r = await session.execute(signer.keypair, session.ix.initAccumulator(signer.keypair.publicKey), "init_accumulator", opts.dryRun);
      ctx.out.result({ ok: true, ...executed(r), accumulator: session.ix.accumulatorAddress.toBase58(), startIndex: config.nextIndex });
      ctx.out.say(`the Accumulator ${session.ix.accumulatorAddress.toBase58()} ${r.dryRun ? "would be" : "is"} created: its leaf 0 is batch ${config.nextIndex}, the next one to land`);
      sayExecuted(ctx, r, "init_accumulator");
    }),
  );
}
