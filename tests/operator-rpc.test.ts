/**
 * `npm start -- --rpc URL` against a chain started apart (here our own local chain, as a
 * `solana-test-validator` would be): npm start starts no chain of its own, checks the program is
 * deployed there, refuses to go on with an uninitialized program when it does not hold the
 * upgrade authority (saying how to initialize it), initializes it when PROVENANCE_ADMIN_KEYPAIR
 * is that authority, then runs the whole stack on it: a node's record is anchored on that chain.
 * The logs are pretty (forced, stdout being a pipe here): no JSON line anywhere in the output.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { NodeRegistry, fieldToHex } from "@provenance/client-sdk";
import { ChainReader } from "@provenance/client-sdk/chain";
import { circuitConfig } from "@provenance/circuits";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { cacheRoot } from "@provenance/prover";
import { ensureSetup } from "./support/circuit-setup.js";
import { REPO, cli, expectExit } from "./support/cli.js";

interface Stack {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with stderr once it contains `text`; rejects if the process exits first. */
  waitFor(text: string): Promise<string>;
  exited: Promise<number | null>;
}

function startStack(args: string[], env: Record<string, string | undefined>): Stack {
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "dev.ts"), ...args], { cwd: REPO, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const waiters: { text: string; resolve: (s: string) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (!err.includes(w.text)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(err);
    }
  };
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    check();
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (text) =>
      new Promise((resolve, reject) => {
        waiters.push({ text, resolve });
        check();
        void exited.then((code) => reject(new Error(`npm start exited (${code}) before printing ${JSON.stringify(text)}\nstdout: ${out.slice(-3000)}\nstderr: ${err.slice(-3000)}`)));
      }),
  };
}

/** Every line of `text` that parses as a JSON object. */
const jsonLines = (text: string): string[] =>
  text.split("\n").filter((l) => {
    try {
      return typeof JSON.parse(l) === "object" && l.trim().startsWith("{");
    } catch {
      return false;
    }
  });

describe("npm start -- --rpc URL: a chain started apart", function () {
  this.timeout(900_000);
  let work: string;
  let chain: Localnet;
  let reader: ChainReader;
  let stack: Stack | null = null;
  const baseEnv = (dataDir: string): Record<string, string | undefined> => ({
    ...process.env,
    PROVENANCE_DATA_DIR: dataDir,
    // The setup keys ensureSetup made stay where they are (PROVENANCE_DATA_DIR would move the cache).
    PROVENANCE_CACHE_DIR: cacheRoot(),
    PROVENANCE_CIRCUIT: "test",
    PROVENANCE_LISTEN: "127.0.0.1:0",
    PROVENANCE_BATCH_MAX_AGE_MS: "300",
    PROVENANCE_VERIFY_WORKERS: "1",
    PROVENANCE_LOG_FORMAT: "pretty",
    PROVENANCE_RPC_URL: undefined,
    PROVENANCE_ADMIN_KEYPAIR: undefined,
    PROVENANCE_ADMIN_PUBKEY: undefined,
  });

  before(async function () {
    await ensureSetup("test");
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-operator-rpc-"));
    chain = await startLocalnet({ dataDir: path.join(work, "chain") });
    reader = new ChainReader({ connection: chain.rpcUrl });
  });

  after(async function () {
    if (stack && stack.proc.exitCode === null) {
      stack.proc.kill("SIGKILL");
      await stack.exited;
    }
    await chain?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("an uninitialized program and no admin keypair: stops, saying how the admin initializes it; nothing sent (stdout and stderr one file: human lines only)", async function () {
    // As `npm start > out.log 2>&1`, the format left to auto: the logs are human lines too.
    const file = path.join(work, "no-admin.log");
    const fd = openSync(file, "w");
    const proc = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "dev.ts"), "--rpc", chain.rpcUrl], {
      cwd: REPO,
      env: { ...baseEnv(path.join(work, "no-admin")), PROVENANCE_LOG_FORMAT: undefined } as NodeJS.ProcessEnv,
      stdio: ["ignore", fd, fd],
    });
    const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
    closeSync(fd);
    const out = readFileSync(file, "utf8");
    expect(code, out).to.equal(1);
    expect(out).to.contain(`the program ${chain.programId} on localnet is not initialized, and this sequencer never initializes it without the admin key`);
    expect(out).to.contain("`provenance admin init --admin-keypair FILE --circuit test --sequencer-pubkey ");
    expect(out).to.not.contain("Starting the local chain");
    expect(out).to.match(/INFO \(sequencer\): pinned the cluster this sequencer anchors to/);
    expect(jsonLines(out)).to.deep.equal([]);
    expect(await reader.connection.getAccountInfo(reader.configAddress)).to.equal(null);
  });

  it("with PROVENANCE_ADMIN_KEYPAIR the upgrade authority: initializes the program there and runs the stack on that chain", async function () {
    const dataDir = path.join(work, "stack");
    stack = startStack(["--rpc", chain.rpcUrl], { ...baseEnv(dataDir), PROVENANCE_ADMIN_KEYPAIR: chain.wallet });
    const banner = await stack.waitFor("Ctrl-C stops it");
    expect(banner).to.contain(`Solana RPC      ${chain.rpcUrl} (your chain (--rpc))`);
    expect(banner).to.not.contain("Starting the local chain");
    const url = /sequencer API +(http:\/\/\S+)/.exec(banner)![1]!;
    const c = await reader.config();
    expect([c.admin, c.circuit, c.registryRoot]).to.deep.equal([chain.walletPubkey, "test", fieldToHex(new NodeRegistry(circuitConfig("test").registryLevels).root)]);
    expect(c.sequencer).to.not.equal(chain.walletPubkey);

    // A node's record lands on that chain.
    const env = { PROVENANCE_SEQUENCER_URL: url, PROVENANCE_RPC_URL: chain.rpcUrl, PROVENANCE_DATA_DIR: dataDir };
    expectExit(await cli(["keygen", "--out", path.join(work, "node-key.json")], { cwd: work, env }), 0, "keygen");
    expectExit(await cli(["nodes", "add", "--key", path.join(work, "node-key.json")], { cwd: work, env }), 0, "nodes add (admin token from $PROVENANCE_DATA_DIR)");
    const submit = await cli(["submit", "--key", path.join(work, "node-key.json"), "--url", "https://example.com/rpc", "--content", path.join(work, "node-key.json"), "--wait", "--timeout", "400", "--json"], {
      cwd: work,
      env,
      timeoutMs: 500_000,
    });
    expectExit(submit, 0, "submit --wait");
    expect((submit.json!.records as { status: string }[]).map((r) => r.status)).to.deep.equal(["anchored"]);
    expect((await reader.config()).nextIndex).to.be.at.least(1);

    const show = await cli(["admin", "show", "--json"], { cwd: work, env });
    expectExit(show, 0, "admin show");
    expect(show.json).to.deep.include({ ok: true, deployed: true, initialized: true, upgradeAuthority: chain.walletPubkey });
    // The admin verbs find the admin key through $PROVENANCE_DATA_DIR/dev-admin.json (no --admin-keypair, no --data-dir).
    const pause = await cli(["admin", "pause", "--dry-run", "--json"], { cwd: work, env });
    expectExit(pause, 0, "admin pause --dry-run");
    expect(pause.json).to.include({ ok: true, dryRun: true, paused: true, signature: null });
    expect((await reader.config()).paused).to.equal(false);

    stack.proc.kill("SIGINT");
    expect(await stack.exited).to.equal(0);
    // The chain it used is not its own: still running.
    expect(await reader.connection.getGenesisHash()).to.equal(chain.genesisHash);
    // Pretty logs only: one human line per event on stdout, none of them JSON, and none on stderr.
    expect(stack.stdout()).to.match(/INFO \(sequencer\): /);
    expect(jsonLines(stack.stdout()).concat(jsonLines(stack.stderr()))).to.deep.equal([]);
  });
});
