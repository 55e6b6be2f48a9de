/**
 * The sequencer and the program's admin key (security review H2, H3), on the real local chain:
 * it never initializes without the admin key and signs `initialize` with the admin (the local
 * chain's wallet, the program's upgrade authority), never with its own key; it refuses a Config
 * whose admin is not the configured one even when that Config names it as sequencer (a
 * front-run `initialize`); without the admin key it cannot touch the registry root and says
 * what to do; with it, it stages roots (or sets them at once, retiring the others); and the
 * admin keypair is refused off the local chain, when too open, or when it is the sequencer's.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Keypair, LAMPORTS_PER_SOL } from "@solana/web3.js";
import { expect } from "chai";
import { NodeRegistry, fieldToHex } from "@provenance/client-sdk";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { circuitConfig } from "@provenance/circuits";
import { ChainError, adminProblems, createChainSubmitter, type AnchorChainSubmitter } from "../src/chain.js";
import { loadConfig } from "../src/config.js";
import { DEV_ADMIN_FILE, connectChain } from "../src/service.js";
import { quietLogger, tempDir } from "./helpers.js";

const EMPTY = fieldToHex(new NodeRegistry(circuitConfig("test").registryLevels).root);

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection, but it resolved");
}

describe("sequencer and the admin key (H2, H3) on the local chain", function () {
  this.timeout(300_000);
  let chain: Localnet;
  let chainDir: ReturnType<typeof tempDir>;
  let seqDir: ReturnType<typeof tempDir>;
  const open: AnchorChainSubmitter[] = [];
  const submitter = (overrides: Parameters<typeof loadConfig>[1] = {}): AnchorChainSubmitter => {
    const s = createChainSubmitter(loadConfig({}, { dataDir: seqDir.dir, circuit: "test", rpcUrl: chain.rpcUrl, ...overrides }), quietLogger(), { pollIntervalMs: 100 });
    open.push(s);
    return s;
  };

  before(async () => {
    chainDir = tempDir("admin-chain");
    seqDir = tempDir("admin-seq");
    chain = await startLocalnet({ dataDir: chainDir.dir });
  });
  after(async () => {
    for (const s of open) await s.close();
    await chain?.stop();
    chainDir?.remove();
    seqDir?.remove();
  });

  it("the local chain's wallet, the admin there, is 0600", () => {
    expect(statMode(chain.wallet)).to.equal(0o600);
  });

  it("never initializes the program without the admin key, and says how the admin does it", async () => {
    const s = submitter();
    await s.airdrop(10 * LAMPORTS_PER_SOL);
    const err = await rejection(s.ensureInitialized("test", EMPTY));
    expect(err).to.be.instanceOf(ChainError);
    expect(err.message).to.contain("is not initialized, and this sequencer never initializes it without the admin key");
    expect(err.message).to.contain(`provenance admin init --admin-keypair FILE --circuit test --sequencer-pubkey ${s.walletPublicKey.toBase58()}`);
    expect(await rejection(s.chainState())).to.have.property("message").that.contains("does not exist");
  });

  it("refuses an admin keypair that is too open, or that is the sequencer's own key", async () => {
    const loose = path.join(seqDir.dir, "loose-admin.json");
    writeFileSync(loose, readFileSync(chain.wallet));
    chmodSync(loose, 0o644);
    expect(() => submitter({ adminKeypair: loose })).to.throw(/loose-admin\.json is readable by others \(mode 644\); chmod 600 it/);
    const own = path.join(seqDir.dir, "solana-keypair.json");
    expect(() => submitter({ adminKeypair: own })).to.throw(ChainError, /the admin keypair and the sequencer keypair are the same key/);
    const s = submitter();
    expect(() => submitter({ adminPubkey: s.walletPublicKey.toBase58() })).to.throw(ChainError, /PROVENANCE_ADMIN_PUBKEY is this sequencer's own key/);
  });

  it("refuses the admin keypair off the local chain even past the configuration check", () => {
    const config = { ...loadConfig({}, { dataDir: seqDir.dir, circuit: "test", rpcUrl: chain.rpcUrl }), rpcUrl: "http://10.1.2.3:8899", adminKeypair: chain.wallet };
    expect(() => createChainSubmitter(config, quietLogger())).to.throw(ChainError, /PROVENANCE_ADMIN_KEYPAIR is accepted only on the local chain, and the RPC is 10\.1\.2\.3:8899/);
    const noAdmin = { ...config, adminKeypair: undefined };
    expect(() => createChainSubmitter(noAdmin, quietLogger())).to.throw(ChainError, /PROVENANCE_ADMIN_PUBKEY is required off the local chain \(10\.1\.2\.3:8899\)/);
  });

  it("initializes signed by the admin (the local wallet), never as admin itself, and records the admin for the CLI", async () => {
    const cfg = loadConfig({}, { dataDir: seqDir.dir, circuit: "test", rpcUrl: chain.rpcUrl, adminKeypair: chain.wallet });
    const s = await connectChain(cfg, chain.rpcUrl, quietLogger());
    open.push(s);
    const state = await s.chainState();
    expect(state.admin).to.equal(chain.walletPubkey);
    expect(state.sequencer).to.equal(s.walletPublicKey.toBase58());
    expect(state.admin).to.not.equal(state.sequencer);
    expect(s.canSetRegistry).to.equal(true);
    expect(s.registryNote).to.equal(null);
    const dev = JSON.parse(readFileSync(path.join(seqDir.dir, DEV_ADMIN_FILE), "utf8")) as Record<string, string>;
    expect(dev).to.deep.equal({ adminKeypair: chain.wallet, adminPubkey: chain.walletPubkey, rpcUrl: chain.rpcUrl, programId: s.programId.toBase58() });
    expect(statMode(path.join(seqDir.dir, DEV_ADMIN_FILE))).to.equal(0o600);
    const health = await s.health();
    expect(health.ok, health.detail).to.equal(true);
  });

  it("refuses a Config whose admin is not the configured one, even one that names it as sequencer (front-run initialize)", async () => {
    const stranger = Keypair.generate().publicKey.toBase58();
    const s = submitter({ adminPubkey: stranger });
    const err = await rejection(s.ensureInitialized("test", EMPTY));
    expect(err).to.be.instanceOf(ChainError);
    expect(err.message).to.equal(
      `the program's admin (Config.admin) is ${chain.walletPubkey}, but this sequencer is configured for the admin ${stranger} (PROVENANCE_ADMIN_PUBKEY): ` +
        "someone else initialized this program (or the admin was handed over): do not run on it; if the hand-over was yours, set PROVENANCE_ADMIN_PUBKEY to the new admin",
    );
    const health = await s.health();
    expect(health.ok).to.equal(false);
    expect(health.detail).to.contain(`ADMIN CHANGED: the program's admin is ${chain.walletPubkey}, not the configured ${stranger}`);
    // The configured admin passes.
    expect(await submitter({ adminPubkey: chain.walletPubkey }).ensureInitialized("test", EMPTY)).to.equal(false);
  });

  it("without the admin key it cannot set the registry root, and says the admin stages it", async () => {
    const s = submitter({ adminPubkey: chain.walletPubkey });
    expect(s.canSetRegistry).to.equal(false);
    expect(s.registryNote).to.contain("registry changes (POST/DELETE /v1/nodes) stay in its store until the admin stages them on-chain with `provenance registry push");
    const before = await s.chainState();
    const registry = new NodeRegistry(circuitConfig("test").registryLevels);
    registry.add(12345n);
    const root = fieldToHex(registry.root);
    const err = await rejection(s.setRegistryRoot(root, 1, false));
    expect(err).to.be.instanceOf(ChainError);
    expect((err as ChainError).programError).to.equal("NotAdmin");
    expect(err.message).to.contain("only the admin");
    expect(err.message).to.contain("this sequencer does not hold the admin key: the admin stages it with `provenance registry push --admin-keypair FILE`");
    const after = await s.chainState();
    expect([after.registryRoot, after.registryVersion, after.stagedRegistryRoot]).to.deep.equal([before.registryRoot, before.registryVersion, before.stagedRegistryRoot]);
    expect((await s.health()).detail).to.contain("this sequencer does not hold the admin key");
  });

  it("with the admin key it stages a root (accepted for batches, not yet current), or sets one at once retiring the others", async () => {
    const s = submitter({ adminKeypair: chain.wallet });
    const registry = new NodeRegistry(circuitConfig("test").registryLevels);
    registry.add(12345n);
    const v1 = fieldToHex(registry.root);
    expect(await s.setRegistryRoot(v1, 1, false)).to.not.equal("");
    let state = await s.chainState();
    expect([state.registryRoot, state.registryVersion]).to.deep.equal([EMPTY, 0]);
    expect([state.stagedRegistryRoot, state.stagedRegistryVersion]).to.deep.equal([v1, 1]);
    expect(state.acceptedRegistryRoots).to.include(v1).and.include(EMPTY);
    expect(await s.setRegistryRoot(v1, 1, false)).to.equal(""); // already staged: nothing sent
    const older = await rejection(s.setRegistryRoot(EMPTY, 1, false));
    expect((older as ChainError).programError).to.equal("RegistryVersionNotNewer");
    expect(older.message).to.contain("(version 1 staged)");

    registry.add(67890n);
    const v2 = fieldToHex(registry.root);
    await s.setRegistryRoot(v2, 2, true);
    state = await s.chainState();
    expect([state.registryRoot, state.registryVersion, state.stagedRegistryRoot]).to.deep.equal([v2, 2, null]);
    expect(state.acceptedRegistryRoots).to.deep.equal([v2]);
  });

  it("/healthz's check: the admin being the sequencer's key is degraded off the local chain only", () => {
    const key = Keypair.generate().publicKey.toBase58();
    const off = adminProblems({ admin: key, sequencer: key }, { localChain: false, cluster: "devnet", expectedAdmin: null });
    expect(off).to.have.length(1);
    expect(off[0]).to.match(/^ADMIN IS SEQUENCER: the program's admin is the sequencer's hot key \w+ on devnet, so whoever steals it can change the registry/);
    expect(adminProblems({ admin: key, sequencer: key }, { localChain: true, cluster: "localnet", expectedAdmin: null })).to.deep.equal([]);
    const other = Keypair.generate().publicKey.toBase58();
    expect(adminProblems({ admin: other, sequencer: key }, { localChain: false, cluster: "devnet", expectedAdmin: other })).to.deep.equal([]);
  });
});

function statMode(file: string): number {
  expect(existsSync(file), file).to.equal(true);
  return statSync(file).mode & 0o777;
}
