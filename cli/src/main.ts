/**
 * `provenance`: the command line of the provenance rollup for nodes, dataset buyers and
 * auditors (docs/protocol.md "CLI", docs/sdk.md). Run from the repository root as
 * `npx provenance <verb>`; one file per verb in `commands/`.
 *
 * Every verb has `--help`, prints JSON with `--json`, and exits 0 on success, 1 when a check
 * failed or the sequencer refused, 2 on a usage error, 3 when a service or file is unavailable.
 */
import { Command, CommanderError, Option } from "commander";
import { PROVENANCE_PROGRAM_ID } from "@provenance/client-sdk/idl";
import { CliContext, DEFAULT_RPC_URL, DEFAULT_SEQUENCER_URL } from "./context.js";
import { EXIT, EXIT_CODES_HELP, ExitError, type Io } from "./output.js";
import { registerAdmin } from "./commands/admin.js";
import { registerAudit } from "./commands/audit.js";
import { registerKeygen } from "./commands/keygen.js";
import { registerLocalnet } from "./commands/localnet.js";
import { registerNodes } from "./commands/nodes.js";
import { registerProof } from "./commands/proof.js";
import { registerRegistry } from "./commands/registry.js";
import { registerStatus } from "./commands/status.js";
import { registerSubmit } from "./commands/submit.js";
import { registerVerify } from "./commands/verify.js";
import { registerSearch } from "./commands/search.js";
import { registerManifest } from "./commands/manifest.js";
import { registerBatches } from "./commands/batches.js";
import { registerInfo } from "./commands/info.js";
import { addExamplesToHelp } from "./examples.js";

export { DEFAULT_RPC_URL, DEFAULT_SEQUENCER_URL, ExitError, CliContext };
export { allCommands, commandPath, EXAMPLES } from "./examples.js";

function defaultIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** The program and its global options, every verb registered. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("provenance");
  program
    .description("Provenance rollup: sign and submit scrape records (nodes), verify inclusion bundles (buyers), audit the on-chain log (auditors).")
    .addOption(new Option("--sequencer <url>", "sequencer base URL").env("PROVENANCE_SEQUENCER_URL").default(DEFAULT_SEQUENCER_URL))
    .addOption(new Option("--rpc <url>", "Solana JSON-RPC URL").env("PROVENANCE_RPC_URL").default(DEFAULT_RPC_URL))
    .addOption(new Option("--program-id <base58>", "the provenance program to trust").env("PROVENANCE_PROGRAM_ID").default(PROVENANCE_PROGRAM_ID))
    .addOption(
      new Option("--commitment <level>", "how settled the chain data verify and audit read must be: confirmed (supermajority voted, seconds) or finalized (rooted, cannot roll back, ~13 s later)")
        .choices(["confirmed", "finalized"])
        .env("PROVENANCE_COMMITMENT")
        .default("confirmed"),
    )
    .option("--json", "print the result as JSON on stdout", false)
    .option("-V, --version", "print the CLI's version and the protocol versions it speaks")
    .addHelpText("after", `\n${EXIT_CODES_HELP}\n\nRun \`provenance <verb> --help\` for each verb; docs/sdk.md has a walkthrough.`)
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      outputError: (s, write) => write(s),
    });
  registerKeygen(program, ctx);
  registerNodes(program, ctx);
  registerRegistry(program, ctx);
  registerAdmin(program, ctx);
  registerSubmit(program, ctx);
  registerStatus(program, ctx);
  registerProof(program, ctx);
  registerVerify(program, ctx);
  registerSearch(program, ctx);
  registerManifest(program, ctx);
  registerBatches(program, ctx);
  registerInfo(program, ctx);
  registerAudit(program, ctx);
  registerLocalnet(program, ctx);
  addExamplesToHelp(program);
  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const ctx = new CliContext(io, argv.includes("--json"));
  // `--version` (before any verb): answered without parsing a verb.
  if (argv.some((a) => a === "--version" || a === "-V") && argv.every((a) => a.startsWith("-"))) {
    const { versionInfo, versionText } = await import("./version.js");
    const v = await versionInfo();
    io.stdout.write(ctx.out.json ? `${JSON.stringify(v, null, 2)}\n` : versionText(v));
    return EXIT.OK;
  }
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.code === "commander.version") return EXIT.OK;
      if (e.code === "commander.executeSubCommandAsync") return EXIT.UNAVAILABLE;
      // commander printed the message (and the usage hint) already
      return EXIT.USAGE;
    }
    if (e instanceof ExitError) return e.exitCode;
    return ctx.out.error(e);
  }
  return ctx.exitCode;
}
