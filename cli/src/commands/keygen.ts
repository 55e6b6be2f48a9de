/** `provenance keygen`: a node signing key in a file. */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { ProvenanceError } from "@provenance/client-sdk/errors";
import type { CliContext } from "../context.js";
import { UsageError } from "../output.js";

export function registerKeygen(program: Command, ctx: CliContext): void {
  ctx.addExitHelp(
    program
      .command("keygen")
      .description("make a node signing key (EdDSA-Poseidon on BabyJubJub) and write it to a file (mode 0600, never overwritten unless --force)")
      .option("-o, --out <file>", "key file to write", "node-key.json")
      .option("--force", "replace an existing key file (its node identity is lost)", false)
      .action(
        ctx.run(async (opts: { out: string; force: boolean }, cmd: Command) => {
          ctx.globals(cmd);
          const { NodeKey, saveNodeKey } = await import("@provenance/client-sdk/node");
          const file = ctx.resolvePath(opts.out);
          const key = NodeKey.generate();
          try {
            mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
          } catch (e) {
            throw new ProvenanceError("IO_ERROR", `cannot create the directory of ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
          }
          try {
            saveNodeKey(file, key, { overwrite: opts.force });
          } catch (e) {
            if (/already exists/.test((e as Error).message)) throw new UsageError(`${(e as Error).message} (pass --force to replace it, or --out another file)`);
            throw e;
          }
          ctx.out.result({ ok: true, file, publicKey: key.publicKeyHex, nodeId: key.nodeIdHex });
          ctx.out.say(`wrote ${file} (mode 0600)`);
          ctx.out.say(`  publicKey  ${key.publicKeyHex}`);
          ctx.out.say(`  nodeId     ${key.nodeIdHex}`);
          ctx.out.say(`next: register it with the sequencer's admin: provenance nodes add --key ${opts.out}`);
        }),
      ),
  );
}
