/**
 * The "Examples:" section of every verb's `--help`: real command lines, kept in one table so
 * every verb has them (tests/cli.test.ts checks each registered verb); `submit` writes its own,
 * with the observations file's form. `<…>` stands for a value
 * the user has (an id `provenance submit` or `search` printed, a key, a root).
 */
import type { Command } from "commander";

export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  keygen: ["provenance keygen                                  # node-key.json, mode 0600", "provenance keygen --out keys/node-2.json"],
  nodes: ["provenance nodes add --key node-key.json", "provenance nodes list"],
  "nodes add": ["provenance nodes add --key node-key.json           # admin token from ./.provenance/admin-token", "provenance nodes add <publicKey> --admin-token-file /run/secrets/admin-token"],
  "nodes revoke": ["provenance nodes revoke --key node-key.json", "provenance nodes revoke <nodeId> --emergency --admin-keypair admin.json"],
  "nodes get": ["provenance nodes get --key node-key.json", "provenance nodes get <nodeId> --json"],
  "nodes list": ["provenance nodes list", "provenance nodes list --json"],
  registry: ["provenance registry push --admin-keypair admin.json"],
  "registry push": ["provenance registry push --admin-keypair admin.json", "provenance registry push --emergency --admin-keypair admin.json"],
  admin: ["provenance admin init --sequencer-pubkey <base58> --admin-keypair admin.json", "provenance admin pause --admin-keypair admin.json"],
  "admin init": ["provenance admin init --sequencer-pubkey <base58>                   # on the dev stack: its admin key", "provenance admin init --sequencer-pubkey <base58> --circuit prod --admin-keypair admin.json"],
  "admin propose": ["provenance admin propose <new admin pubkey> --admin-keypair admin.json", "provenance admin propose --cancel --admin-keypair admin.json"],
  "admin accept": ["provenance admin accept --admin-keypair new-admin.json"],
  "admin pause": ["provenance admin pause --admin-keypair admin.json"],
  "admin unpause": ["provenance admin unpause --admin-keypair admin.json"],
  "admin set-sequencer": ["provenance admin set-sequencer <new sequencer pubkey> --admin-keypair admin.json"],
  status: ["provenance status <id>", "provenance status <id> --wait --timeout 300", "provenance status <id> --json > record.json   # then: provenance info record.json"],
  proof: ["provenance proof <id> --out bundle.json", "provenance proof <id> --wait --out bundle.json", "provenance proof --refresh bundle.json --from-chain"],
  verify: [
    "provenance verify bundle.json",
    "provenance verify bundle.json --content page.html     # and the fetched file against the record's contentHash",
    "provenance verify dataset.jsonl --concurrency 32",
    "provenance verify bundle.json --root <batch root>     # offline, against a root you trust",
  ],
  search: [
    "provenance search --url https://example.com/hello",
    "provenance search --content page.html                 # records of this file's SHA-256",
    "provenance search --node <nodeId> --all --jsonl > records.jsonl",
    "provenance search --url https://example.com/hello --ids | provenance manifest --ids - --out dataset.jsonl",
  ],
  manifest: [
    "provenance manifest <id> <id> --out dataset.jsonl",
    "provenance manifest --ids ids.txt --out dataset.jsonl --strict",
    "provenance manifest --url https://example.com/hello --out dataset.jsonl",
    "provenance search --node <nodeId> --all --ids | provenance manifest --ids - > dataset.jsonl",
    "provenance verify dataset.jsonl",
  ],
  batches: ["provenance batches                                  # the latest 20", "provenance batches --from 0 --limit 100", "provenance batches --all --jsonl > batches.jsonl"],
  batch: ["provenance batch 3", "provenance batch 3 --json", "provenance batch 3 --records --ids | provenance manifest --ids - --out batch-3.jsonl"],
  info: ["provenance info bundle.json", "provenance info bundle.json --json", "provenance info dataset.jsonl --line 3                # one bundle of a manifest", "provenance info bundle.json --receipts receipts.jsonl --receipt-key <key submit printed>"],
  audit: [
    "provenance audit",
    "provenance audit --receipts receipts.jsonl --receipt-key <key submit printed>",
    "provenance audit --skip-proofs --json > audit.json",
    "provenance audit --chain-only --checkpoint audit.ckpt    # e.g. daily from cron: only the batches since the last run",
  ],
  localnet: ["provenance localnet", "provenance localnet --port 18899 --data-dir /tmp/chain"],
};

/** A command's path below the program, e.g. "nodes add". */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Every command below `program`, depth first. */
export function allCommands(program: Command): Command[] {
  return program.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** Adds each verb's examples to its help, after its own text. */
export function addExamplesToHelp(program: Command): void {
  for (const cmd of allCommands(program)) {
    const lines = EXAMPLES[commandPath(cmd)];
    if (lines) cmd.addHelpText("after", `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}`);
  }
}
