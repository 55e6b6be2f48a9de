/**
 * The admin verbs that complete the program's instruction set, against a real local chain and
 * the `provenance` CLI as spawned by a user: `admin show` (read only), `--dry-run` (every check,
 * then the cluster's simulation; nothing sent), `admin set-registry-root` (set_registry_root by
 * hand) and `admin init-accumulator`; and the program's own refusal of a simulation named with
 * its error code (simulateAdminTransaction).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Keypair, LAMPORTS_PER_SOL } from "@solana/web3.js";
import { expect } from "chai";
import { NodeRegistry, fieldToHex } from "@provenance/client-sdk";
import { ChainReader } from "@provenance/client-sdk/chain";
import { AdminInstructions, AdminTransactionError, simulateAdminTransaction } from "@provenance/client-sdk/node";
import { circuitConfig } from "@provenance/circuits";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { cli, expectExit } from "./support/cli.js";

const EMPTY = fieldToHex(new NodeRegistry(circuitConfig("test").registryLevels).root);
const ROOT_A = `${"0".repeat(62)}a1`;
const ROOT_B = `${"0".repeat(62)}b2`;

describe("provenance admin show, --dry-run, set-registry-root, init-accumulator (local chain)", function () {
  this.timeout(600_000);
  let work: string;
  let chain: Localnet;
  let reader: ChainReader;
  let env: Record<string, string>;
  const sequencer = Keypair.generate().publicKey.toBase58();
  const run = (args: string[]) => cli(args, { cwd: work, env });
  const admin = () => ["--admin-keypair", chain.wallet];

  before(async function () {
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-admin-verbs-"));
    chain = await startLocalnet({ dataDir: path.join(work, "chain") });
    reader = new ChainReader({ connection: chain.rpcUrl });
    env = { PROVENANCE_RPC_URL: chain.rpcUrl, PROVENANCE_SEQUENCER_URL: "http://127.0.0.1:9" };
  });

  after(async function () {
    await chain?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("admin show before initialize: deployed, the upgrade authority, not initialized", async function () {
    const show = await run(["admin", "show", "--json"]);
    expectExit(show, 0, "admin show");
    expect(show.json).to.deep.equal({ ok: true, programId: chain.programId, deployed: true, upgradeAuthority: chain.walletPubkey, initialized: false, config: null, accumulator: null });
    const human = await run(["admin", "show"]);
    expectExit(human, 0, "admin show (human)");
    expect(human.stdout).to.contain(`upgrade authority   ${chain.walletPubkey}`).and.contain("not initialized: the upgrade authority runs `provenance admin init`");
    // Another program id: nothing deployed there, and it says so.
    const other = Keypair.generate().publicKey.toBase58();
    const missing = await run(["--program-id", other, "admin", "show", "--json"]);
    expectExit(missing, 0, "admin show of a program id with nothing deployed");
    expect(missing.json).to.include({ programId: other, deployed: false, initialized: false });
    expect((await run(["--program-id", other, "admin", "show"])).stdout).to.contain("not deployed here: deploy it first");
  });

  it("admin init --dry-run passes every check and the simulation, sends nothing; then init for real", async function () {
    const args = ["admin", "init", "--sequencer-pubkey", sequencer, "--circuit", "test", "--registry-root", EMPTY, ...admin()];
    const dry = await run([...args, "--dry-run", "--json"]);
    expectExit(dry, 0, "admin init --dry-run");
    expect(dry.json).to.include({ ok: true, dryRun: true, signature: null, circuit: "test" });
    expect(dry.json!.unitsConsumed).to.be.a("number").above(0);
    expect(await reader.connection.getAccountInfo(reader.configAddress)).to.equal(null);
    const human = await run([...args, "--dry-run"]);
    expect(human.stdout).to.contain("would initialize program").and.contain("dry run: initialize signed by this key passes every check and the cluster's simulation").and.contain("nothing was sent");

    const ok = await run([...args, "--json"]);
    expectExit(ok, 0, "admin init");
    expect(ok.json!.signature).to.be.a("string");
    const show = await run(["admin", "show", "--json"]);
    const config = show.json!.config as Record<string, unknown>;
    expect(config).to.include({ admin: chain.walletPubkey, sequencer, circuit: "test", paused: false, registryRoot: EMPTY, registryVersion: 0, nextIndex: 0, pendingAdmin: null });
    expect(show.json!.accumulator).to.deep.include({ startIndex: 0, size: 0 });
    const shown = await run(["admin", "show"]);
    expect(shown.stdout).to.contain(`admin               ${chain.walletPubkey}`).and.contain("submit_batch        running").and.contain("accumulator         0 leaves from batch 0");
  });

  it("pause --dry-run changes nothing; pause and unpause do; a stranger is refused before anything is signed", async function () {
    const dry = await run(["admin", "pause", "--dry-run", ...admin(), "--json"]);
    expectExit(dry, 0, "admin pause --dry-run");
    expect(dry.json).to.include({ ok: true, dryRun: true, paused: true, signature: null });
    expect((await reader.config()).paused).to.equal(false);
    expectExit(await run(["admin", "pause", ...admin()]), 0, "admin pause");
    expect((await reader.config()).paused).to.equal(true);
    expect((await run(["admin", "show"])).stdout).to.contain("submit_batch        PAUSED (provenance admin unpause)");
    expectExit(await run(["admin", "unpause", ...admin()]), 0, "admin unpause");
    expect((await reader.config()).paused).to.equal(false);
    const strangerFile = path.join(work, "stranger.json");
    const stranger = Keypair.generate();
    writeFileSync(strangerFile, JSON.stringify(Array.from(stranger.secretKey)), { mode: 0o600 });
    const refused = await run(["admin", "pause", "--dry-run", "--admin-keypair", strangerFile]);
    expectExit(refused, 1, "admin pause --dry-run by a stranger");
    expect(refused.stderr).to.contain(`the program's admin is ${chain.walletPubkey}, but ${strangerFile} holds ${stranger.publicKey.toBase58()}`);
  });

  it("a simulation the program refuses comes back with the program's error name and code", async function () {
    const stranger = Keypair.generate();
    const sig = await reader.connection.requestAirdrop(stranger.publicKey, LAMPORTS_PER_SOL);
    for (;;) {
      const st = (await reader.connection.getSignatureStatuses([sig])).value[0];
      if (st?.confirmationStatus) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const ix = new AdminInstructions(reader.connection, reader.programId);
    let err: unknown;
    try {
      await simulateAdminTransaction(reader.connection, stranger, [await ix.setPaused(stranger.publicKey, true)], "set_paused");
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(AdminTransactionError);
    expect((err as AdminTransactionError).programError).to.equal("Unauthorized");
    expect((err as Error).message).to.contain("set_paused would be refused by the program: Unauthorized (6000): only the admin recorded in Config may do this");
    expect((await reader.config()).paused).to.equal(false);
  });

  it("set-registry-root: bad roots and versions refused precisely; staged, then set at once with --retire-previous", async function () {
    const noncanonical = await run(["admin", "set-registry-root", "f".repeat(64), "--registry-version", "1", ...admin()]);
    expectExit(noncanonical, 2, "a root above the field modulus");
    expect(noncanonical.stderr).to.contain("is not below the BN254 scalar modulus");
    const upper = await run(["admin", "set-registry-root", "A".repeat(64), "--registry-version", "1", ...admin()]);
    expectExit(upper, 2, "a root in upper case");
    expect(upper.stderr).to.contain("the registry root must be 64 lowercase hex characters");
    const zero = await run(["admin", "set-registry-root", ROOT_A, "--registry-version", "0", ...admin()]);
    expectExit(zero, 2, "version 0");
    expect(zero.stderr).to.contain("--registry-version must be an integer in 1..");
    const same = await run(["admin", "set-registry-root", EMPTY, "--registry-version", "1", ...admin()]);
    expectExit(same, 1, "the current root");
    expect(same.stderr).to.contain("is already the current registry root (version 0)");

    const dry = await run(["admin", "set-registry-root", ROOT_A, "--registry-version", "1", "--dry-run", ...admin(), "--json"]);
    expectExit(dry, 0, "set-registry-root --dry-run");
    expect(dry.json).to.include({ ok: true, dryRun: true, action: "staged", registryRoot: ROOT_A, registryVersion: 1, signature: null });
    expect((await reader.config()).stagedRegistryRoot).to.equal(null);

    const staged = await run(["admin", "set-registry-root", ROOT_A, "--registry-version", "1", ...admin()]);
    expectExit(staged, 0, "set-registry-root");
    expect(staged.stdout).to.contain(`registry version 1 (root ${ROOT_A}) is staged on-chain`);
    let c = await reader.config();
    expect([c.registryRoot, c.stagedRegistryRoot, c.stagedRegistryVersion]).to.deep.equal([EMPTY, ROOT_A, 1]);

    const stale = await run(["admin", "set-registry-root", ROOT_B, "--registry-version", "1", ...admin()]);
    expectExit(stale, 1, "a version not above the staged one");
    expect(stale.stderr).to.contain("--registry-version 1 is not newer than the chain's version 0 and its staged version 1: give at least 2");

    const set = await run(["admin", "set-registry-root", ROOT_B, "--registry-version", "2", "--retire-previous", ...admin(), "--json"]);
    expectExit(set, 0, "set-registry-root --retire-previous");
    expect(set.json).to.include({ ok: true, dryRun: false, action: "set", registryRoot: ROOT_B, registryVersion: 2 });
    c = await reader.config();
    // Every other root retired: no superseded root kept.
    expect([c.registryRoot, c.registryVersion, c.stagedRegistryRoot, c.recentRegistryRoots.filter((r) => r.replacedAt !== 0).length]).to.deep.equal([ROOT_B, 2, null, 0]);
    expect((await run(["admin", "show"])).stdout).to.contain(`registry            version 2, root ${ROOT_B}`).and.contain("superseded roots    0");

    const help = await run(["admin", "set-registry-root", "--help"]);
    expect(help.stdout).to.contain("Examples:").and.contain("--retire-previous");
  });

  it("init-accumulator: refused where the Accumulator exists (initialize made it), with and without --dry-run", async function () {
    for (const extra of [[], ["--dry-run"]]) {
      const r = await run(["admin", "init-accumulator", ...extra, ...admin()]);
      expectExit(r, 1, `init-accumulator ${extra.join(" ")}`);
      expect(r.stderr).to.contain("exists already (0 leaves from batch 0): init-accumulator runs once, on a deployment that predates it");
    }
    const stranger = path.join(work, "nope.json");
    const none = await cli(["admin", "init-accumulator", "--admin-keypair", stranger], { cwd: work, env });
    expectExit(none, 3, "a keypair file that does not exist");
  });
});
