/** `provenance localnet`: the local Solana chain in the foreground. */
import { mkdirSync } from "node:fs";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { EXIT, positiveInt } from "../output.js";
import { stackPaths } from "@provenance/prover/data-dir";

export function registerLocalnet(program: Command, ctx: CliContext): void {
  ctx.addExitHelp(
    program
      .command("localnet")
      .description("run the local Solana chain (JSON-RPC on Agave's runtime with the program loaded) in the foreground; Ctrl-C stops it")
      .option("--port <n>", "JSON-RPC port (the websocket is port + 1)", "8899")
      .option("--data-dir <dir>", "chain state directory, kept across restarts (default: $PROVENANCE_LOCALNET_DIR, else $PROVENANCE_DATA_DIR/localnet, else ./.provenance/localnet)")
      .action(
        ctx.run(async (opts: { port: string; dataDir?: string }, cmd: Command) => {
          ctx.globals(cmd);
          const port = positiveInt(opts.port, "--port", 65534);
          const { startLocalnet } = await import("@provenance/localnet");
          const dataDir = opts.dataDir !== undefined ? ctx.resolvePath(opts.dataDir) : stackPaths(ctx.io.env, ctx.io.cwd).localnet;
          mkdirSync(dataDir, { recursive: true });
          if (!ctx.out.json) ctx.out.note("starting the local chain (the first run builds it with cargo: minutes)...");
          const chain = await startLocalnet({ dataDir, port, timeoutMs: 30 * 60_000 });
          const info = { ok: true, rpcUrl: chain.rpcUrl, wsUrl: chain.wsUrl, programId: chain.programId, wallet: chain.wallet, walletPubkey: chain.walletPubkey, genesisHash: chain.genesisHash, fresh: chain.fresh, dataDir: chain.dataDir };
          if (ctx.out.json) ctx.io.stdout.write(`${JSON.stringify(info)}\n`);
          else {
            ctx.out.say(`local chain ${chain.fresh ? "(fresh)" : "(restored)"} in ${dataDir}`);
            ctx.out.say(`  JSON-RPC   ${chain.rpcUrl}`);
            ctx.out.say(`  websocket  ${chain.wsUrl}`);
            ctx.out.say(`  program    ${chain.programId}`);
            ctx.out.say(`  wallet     ${chain.wallet} (${chain.walletPubkey}, funded)`);
            ctx.out.say(`  genesis    ${chain.genesisHash}`);
            ctx.out.say("Ctrl-C to stop.");
          }
          const code = await new Promise<number>((resolve) => {
            let stopping = false;
            const stop = (signal: string) => {
              if (stopping) return;
              stopping = true;
              if (!ctx.out.json) ctx.out.note(`${signal}: stopping the local chain...`);
              void chain.stop().then(() => resolve(EXIT.OK));
            };
            process.once("SIGINT", () => stop("SIGINT"));
            process.once("SIGTERM", () => stop("SIGTERM"));
            chain.process.once("exit", (c) => {
              if (!stopping) {
                ctx.out.note(`the local chain exited on its own (code ${c}):\n${chain.output().slice(-2000)}`);
                resolve(EXIT.UNAVAILABLE);
              }
            });
          });
          return code;
        }),
      ),
  );
}
