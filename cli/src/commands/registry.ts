/**
 * `provenance registry push [--emergency]`: puts the sequencer's node registry on-chain, signed
 * by the admin. The sequencer changes its registry (`nodes add|revoke`) in its store; off the
 * local chain it does not hold the admin key, so those changes reach the chain only through
 * this verb. The root is recomputed from the node list the sequencer serves and refused when it
 * does not match the root it serves.
 */
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { adminKeyOptions, dryRunOption, printPush, pushRegistry, resolveAdminKeypair, type AdminKeyOpts } from "../admin.js";

export function registerRegistry(program: Command, ctx: CliContext): void {
  const registry = program.command("registry").description("the on-chain node registry root (signed by the admin's keypair)");
  ctx.addExitHelp(
    dryRunOption(adminKeyOptions(
      registry
        .command("push")
        .description(
          "stage the sequencer's registry root on-chain (it becomes current when the first batch proven against it lands); " +
            "--emergency makes it current at once and retires every other root (a compromised node)",
        )
        .option("--emergency", "set_registry_root with retire_previous: no grace period for batches proven against older roots", false),
    )),
  ).action(
    ctx.run(async (opts: AdminKeyOpts & { emergency: boolean; dryRun: boolean }, cmd: Command) => {
      const g = ctx.globals(cmd);
      const signer = await resolveAdminKeypair(ctx, opts, g);
      printPush(ctx, await pushRegistry(ctx, g, signer, opts.emergency, opts.dryRun));
    }),
  );
}
