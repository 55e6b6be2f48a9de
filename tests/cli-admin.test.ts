/**
 * The admin verbs end to end (security review H2, H3), as an operator with a separate admin
 * runs them: a real local chain, a sequencer that does NOT hold the admin key (as off the local
 * chain) and proves and anchors, and the `provenance` CLI spawned for every step:
 * `admin init` (only by the upgrade authority, never with the sequencer as admin), `registry
 * push` (stages the root the sequencer's node list hashes to; records of a new node anchor
 * once it is there), `nodes revoke --emergency`, `admin pause|unpause|set-sequencer`, the
 * two-step hand-over (`admin propose`, `admin accept`), and the dev stack's admin found by itself.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Keypair, LAMPORTS_PER_SOL } from "@solana/web3.js";
import { expect } from "chai";
import { NodeRegistry, fieldToHex } from "@provenance/client-sdk";
import { ChainReader } from "@provenance/client-sdk/chain";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { circuitConfig } from "@provenance/circuits";
import { createChainSubmitter, loadConfig, Sequencer, type AnchorChainSubmitter, type SequencerConfig } from "@provenance/sequencer";
import { connectChain } from "@provenance/sequencer/service";
import { quietLogger } from "../sequencer/test/helpers.js";
import { ensureSetup } from "./support/circuit-setup.js";
import { cli, expectExit } from "./support/cli.js";

const ADMIN_TOKEN = "cli-admin-admin-token-0123456789";
const EMPTY = fieldToHex(new NodeRegistry(circuitConfig("test").registryLevels).root);

describe("provenance admin, registry push (local chain, a sequencer without the admin key)", function () {
  this.timeout(900_000);
  let work: string;
  let chain: Localnet;
  let config: SequencerConfig;
  let submitter: AnchorChainSubmitter;
  let seq: Sequencer | null = null;
  let env: Record<string, string>;
  let reader: ChainReader;
  let nodeId: string;
  const onChain = () => reader.config();
  const keyFile = (name: string, kp: Keypair, mode = 0o600): string => {
    const file = path.join(work, name);
    writeFileSync(file, JSON.stringify(Array.from(kp.secretKey)), { mode });
    chmodSync(file, mode);
    return file;
  };

  before(async function () {
    await ensureSetup("test");
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-cli-admin-"));
    chain = await startLocalnet({ dataDir: path.join(work, "chain") });
    // As off the local chain: the sequencer knows the admin's public key, not its keypair.
    config = loadConfig({}, { dataDir: path.join(work, "sequencer"), circuit: "test", listen: "127.0.0.1:0", adminToken: ADMIN_TOKEN, rpcUrl: chain.rpcUrl, adminPubkey: chain.walletPubkey, batchMaxAgeMs: 300, verifyWorkers: 1 });
    submitter = createChainSubmitter(config, quietLogger(), { pollIntervalMs: 100 });
    await submitter.airdrop(10 * LAMPORTS_PER_SOL);
    reader = new ChainReader({ connection: chain.rpcUrl });
    env = { PROVENANCE_RPC_URL: chain.rpcUrl, PROVENANCE_SEQUENCER_URL: "http://127.0.0.1:9" };
  });

  after(async function () {
    await seq?.stop();
    await submitter?.close();
    await chain?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("admin init: only the upgrade authority, never the sequencer as admin, every refusal precise", async function () {
    const sequencerPk = submitter.walletPublicKey.toBase58();
    const base = ["admin", "init", "--sequencer-pubkey", sequencerPk, "--circuit", "test", "--registry-root", EMPTY, "--data-dir", "no-such-dir"];

    const none = await cli(base, { cwd: work, env });
    expectExit(none, 2, "admin init without a keypair");
    expect(none.stderr).to.contain("this needs the admin keypair: pass --admin-keypair FILE (solana-keygen JSON, mode 0600) or set PROVENANCE_ADMIN_KEYPAIR");

    const loose = keyFile("loose.json", Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(chain.wallet, "utf8")) as number[])), 0o644);
    const open = await cli([...base, "--admin-keypair", loose], { cwd: work, env });
    expectExit(open, 2, "admin init with a 0644 keypair");
    expect(open.stderr).to.contain(`the admin keypair ${loose} has permissions 0644: too open; run chmod 600`);

    const stranger = keyFile("stranger.json", Keypair.generate());
    const notAuthority = await cli([...base, "--admin-keypair", stranger, "--json"], { cwd: work, env });
    expectExit(notAuthority, 1, "admin init by a key that is not the upgrade authority");
    expect((notAuthority.json!.error as { message: string }).message).to.contain(`only the program's upgrade authority may initialize it, and that is ${chain.walletPubkey}`);

    const same = await cli(["admin", "init", "--sequencer-pubkey", chain.walletPubkey, "--circuit", "test", "--registry-root", EMPTY, "--admin-keypair", chain.wallet], { cwd: work, env });
    expectExit(same, 1, "admin init with the sequencer as admin");
    expect(same.stderr).to.contain(`is the sequencer key ${chain.walletPubkey}: the admin must be another key`);

    const noCircuit = await cli(["admin", "init", "--sequencer-pubkey", sequencerPk, "--admin-keypair", chain.wallet], { cwd: work, env });
    expectExit(noCircuit, 2, "admin init without --circuit and no sequencer");
    expect(noCircuit.stderr).to.contain("give --circuit: the circuit could not be read from the sequencer at http://127.0.0.1:9");

    // Nothing of the above reached the chain.
    expect(await reader.connection.getAccountInfo(reader.configAddress)).to.equal(null);
    const ok = await cli([...base, "--admin-keypair", chain.wallet, "--json"], { cwd: work, env });
    expectExit(ok, 0, "admin init");
    expect(ok.json).to.include({ ok: true, admin: chain.walletPubkey, sequencer: sequencerPk, circuit: "test", registryRoot: EMPTY });
    const c = await onChain();
    expect([c.admin, c.sequencer, c.circuit, c.registryRoot]).to.deep.equal([chain.walletPubkey, sequencerPk, "test", EMPTY]);

    const again = await cli([...base, "--admin-keypair", chain.wallet], { cwd: work, env });
    expectExit(again, 1, "admin init twice");
    expect(again.stderr).to.contain("is already initialized (admin");

    // The sequencer accepts this Config (its admin is the configured one) and starts; it cannot set the registry.
    await connectChain(config, chain.rpcUrl, quietLogger()).then((s) => s.close());
    seq = await Sequencer.start(config, { logger: quietLogger(), submitter, retryBaseMs: 200, defaultMetrics: false });
    env = { ...env, PROVENANCE_SEQUENCER_URL: seq.url };
    expect(submitter.canSetRegistry).to.equal(false);
  });

  it("registry push stages the root the sequencer's node list hashes to; the new node's records anchor once it is there", async function () {
    const keygen = await cli(["keygen", "--json"], { cwd: work, env });
    expectExit(keygen, 0, "keygen");
    nodeId = keygen.json!.nodeId as string;
    expectExit(await cli(["nodes", "add", "--key", "node-key.json"], { cwd: work, env: { ...env, PROVENANCE_ADMIN_TOKEN: ADMIN_TOKEN } }), 0, "nodes add");
    const list = (await (await fetch(`${seq!.url}/v1/nodes`)).json()) as { registryRoot: string; registryVersion: number; registryLevels: number };
    expect(list.registryLevels).to.equal(circuitConfig("test").registryLevels);
    // The sequencer cannot put it on-chain itself, and says so.
    const health = (await (await fetch(`${seq!.url}/healthz`)).json()) as { chain: { detail: string } };
    expect(health.chain.detail).to.contain("this sequencer does not hold the admin key: registry changes (POST/DELETE /v1/nodes) stay in its store");

    // --dry-run: every check and the cluster's simulation, nothing staged.
    const dry = await cli(["registry", "push", "--admin-keypair", chain.wallet, "--dry-run", "--json"], { cwd: work, env });
    expectExit(dry, 0, "registry push --dry-run");
    expect(dry.json).to.include({ ok: true, dryRun: true, action: "staged", registryRoot: list.registryRoot, registryVersion: 1, signature: null });
    expect((await onChain()).stagedRegistryRoot).to.equal(null);
    const push = await cli(["registry", "push", "--admin-keypair", chain.wallet, "--json"], { cwd: work, env });
    expectExit(push, 0, "registry push");
    expect(push.json).to.include({ ok: true, action: "staged", registryRoot: list.registryRoot, registryVersion: 1, emergency: false });
    let c = await onChain();
    expect([c.stagedRegistryRoot, c.stagedRegistryVersion, c.registryRoot]).to.deep.equal([list.registryRoot, 1, EMPTY]);
    const again = await cli(["registry", "push", "--admin-keypair", chain.wallet], { cwd: work, env });
    expectExit(again, 0, "registry push again");
    expect(again.stdout).to.contain("is already staged on-chain: nothing sent");

    const submit = await cli(["submit", "--key", "node-key.json", "--url", "https://example.com/admin", "--content", "node-key.json", "--wait", "--timeout", "300", "--json"], { cwd: work, env, timeoutMs: 400_000 });
    expectExit(submit, 0, "submit --wait");
    expect((submit.json!.records as { status: string }[]).map((r) => r.status)).to.deep.equal(["anchored"]);
    // The batch proven against the staged root made it current.
    c = await onChain();
    expect([c.registryRoot, c.registryVersion, c.stagedRegistryRoot]).to.deep.equal([list.registryRoot, 1, null]);
  });

  it("nodes revoke --emergency revokes in the sequencer, then retires every other root at once; nothing happens without the admin keypair", async function () {
    const tokenEnv = { ...env, PROVENANCE_ADMIN_TOKEN: ADMIN_TOKEN };
    const noKey = await cli(["nodes", "revoke", nodeId, "--emergency", "--data-dir", "no-such-dir"], { cwd: work, env: tokenEnv });
    expectExit(noKey, 2, "nodes revoke --emergency without the admin keypair");
    expect(noKey.stderr).to.contain("this needs the admin keypair");
    expect(((await (await fetch(`${seq!.url}/v1/nodes/${nodeId}`)).json()) as { status: string }).status).to.equal("active");

    const revoke = await cli(["nodes", "revoke", nodeId, "--emergency", "--admin-keypair", chain.wallet, "--json"], { cwd: work, env: tokenEnv });
    expectExit(revoke, 0, "nodes revoke --emergency");
    expect(revoke.json).to.include({ ok: true, nodeId, status: "revoked", registryVersion: 2 });
    expect(revoke.json!.push).to.include({ action: "set", registryVersion: 2, emergency: true });
    const c = await onChain();
    expect([c.registryRoot, c.registryVersion, c.stagedRegistryRoot]).to.deep.equal([revoke.json!.registryRoot, 2, null]);
    expect(c.recentRegistryRoots.every((r) => r.replacedAt === 0)).to.equal(true);
  });

  it("pause, unpause and set-sequencer: signed by the admin only, refusing the admin as sequencer", async function () {
    const stranger = path.join(work, "stranger.json");
    const notAdmin = await cli(["admin", "pause", "--admin-keypair", stranger], { cwd: work, env });
    expectExit(notAdmin, 1, "pause by a stranger");
    expect(notAdmin.stderr).to.contain(`the program's admin is ${chain.walletPubkey}, but ${stranger} holds`);

    expectExit(await cli(["admin", "pause", "--admin-keypair", chain.wallet], { cwd: work, env }), 0, "pause");
    expect((await onChain()).paused).to.equal(true);
    const twice = await cli(["admin", "pause", "--admin-keypair", chain.wallet], { cwd: work, env });
    expectExit(twice, 0, "pause twice");
    expect(twice.stdout).to.contain("already paused: nothing sent");
    expectExit(await cli(["admin", "unpause", "--admin-keypair", chain.wallet], { cwd: work, env }), 0, "unpause");
    expect((await onChain()).paused).to.equal(false);

    const self = await cli(["admin", "set-sequencer", chain.walletPubkey, "--admin-keypair", chain.wallet], { cwd: work, env });
    expectExit(self, 1, "set-sequencer to the admin");
    expect(self.stderr).to.contain("is the admin: the sequencer must be another key");
    const bad = await cli(["admin", "set-sequencer", "not-a-key", "--admin-keypair", chain.wallet], { cwd: work, env });
    expectExit(bad, 2, "set-sequencer with a bad key");
    expect(bad.stderr).to.contain('the new sequencer must be a base58 Solana public key (32 bytes), got "not-a-key"');
  });

  it("hands the admin over in two steps; the sequencer then reports the admin changed", async function () {
    const next = Keypair.generate();
    const nextFile = keyFile("next-admin.json", next);
    await reader.connection.requestAirdrop(next.publicKey, LAMPORTS_PER_SOL).then(async (sig) => {
      for (let i = 0; i < 100 && !(await reader.connection.getSignatureStatuses([sig])).value[0]?.confirmationStatus; i++) await new Promise((r) => setTimeout(r, 100));
    });
    const toSequencer = await cli(["admin", "propose", submitter.walletPublicKey.toBase58(), "--admin-keypair", chain.wallet], { cwd: work, env });
    expectExit(toSequencer, 1, "propose the sequencer as admin");
    expect(toSequencer.stderr).to.contain("is the sequencer key: the admin must be another key");
    const nothing = await cli(["admin", "accept", "--admin-keypair", nextFile], { cwd: work, env });
    expectExit(nothing, 1, "accept with nothing proposed");
    expect(nothing.stderr).to.contain("no admin hand-over is pending");

    const propose = await cli(["admin", "propose", next.publicKey.toBase58(), "--admin-keypair", chain.wallet, "--json"], { cwd: work, env });
    expectExit(propose, 0, "propose");
    expect((await onChain()).pendingAdmin).to.equal(next.publicKey.toBase58());
    const wrong = await cli(["admin", "accept", "--admin-keypair", chain.wallet], { cwd: work, env });
    expectExit(wrong, 1, "accept by the current admin");
    expect(wrong.stderr).to.contain(`the proposed admin is ${next.publicKey.toBase58()}, but ${chain.wallet} holds ${chain.walletPubkey}`);
    const accept = await cli(["admin", "accept", "--admin-keypair", nextFile, "--json"], { cwd: work, env });
    expectExit(accept, 0, "accept");
    const c = await onChain();
    expect([c.admin, c.pendingAdmin]).to.deep.equal([next.publicKey.toBase58(), null]);

    const old = await cli(["registry", "push", "--emergency", "--admin-keypair", chain.wallet], { cwd: work, env });
    // Nothing to push (the registry is current), so it answers before asking for the admin:
    expectExit(old, 0, "registry push with nothing to push");
    const oldPause = await cli(["admin", "pause", "--admin-keypair", chain.wallet], { cwd: work, env });
    expectExit(oldPause, 1, "pause by the former admin");
    expect(oldPause.stderr).to.contain(`the program's admin is ${next.publicKey.toBase58()}`);

    const res = await fetch(`${seq!.url}/healthz`);
    const health = (await res.json()) as { status: string; chain: { ok: boolean; detail: string } };
    expect(res.status).to.equal(503);
    expect(health.chain.detail).to.contain(`ADMIN CHANGED: the program's admin is ${next.publicKey.toBase58()}, not the configured ${chain.walletPubkey}`);
  });
});

describe("the dev stack's admin key, found by the CLI by itself", function () {
  this.timeout(300_000);
  let work: string;
  let chain: Localnet;

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-cli-devadmin-"));
    chain = await startLocalnet({ dataDir: path.join(work, "chain") });
  });
  after(async () => {
    await chain?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("admin verbs use <data-dir>/dev-admin.json on that local chain only", async () => {
    // As `npm start` does: the sequencer on the local chain holds the local wallet as admin.
    const config = loadConfig({}, { dataDir: path.join(work, ".provenance"), circuit: "test", rpcUrl: chain.rpcUrl, adminKeypair: chain.wallet });
    const s = await connectChain(config, chain.rpcUrl, quietLogger());
    await s.close();
    const env = { PROVENANCE_RPC_URL: chain.rpcUrl };
    const pause = await cli(["admin", "pause", "--json"], { cwd: work, env });
    expectExit(pause, 0, "admin pause with the dev stack's admin");
    expect(pause.json).to.include({ ok: true, paused: true });
    const elsewhere = await cli(["admin", "unpause", "--rpc", "http://127.0.0.1:1"], { cwd: work, env });
    expectExit(elsewhere, 2, "admin unpause on another chain");
    expect(elsewhere.stderr).to.contain(`is the admin of the local chain at ${chain.rpcUrl}, not of 127.0.0.1:1: pass --admin-keypair FILE`);
    expectExit(await cli(["admin", "unpause"], { cwd: work, env }), 0, "admin unpause");
  });
});
