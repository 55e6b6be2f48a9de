/**
 * The registry-root history replayed from the chain alone (registry-history.ts), on a real local
 * chain: initialize under one root, stage the test vector's root and land its real batch (which
 * promotes it), stage another, make a third current in an emergency, then stage the first root
 * again (a restore the version does not prevent). The replay ends where Config is; a Config it
 * does not end at, or a history missing a change, is an error.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import anchor from "@coral-xyz/anchor";
import { PublicKey } from "@solana/web3.js";
import { expect } from "chai";
import { PROVENANCE_IDL, type Provenance } from "../src/index.js";
import { CONFIG_SEED } from "../src/idl/constants.js";
import { ChainReader, registryHistory } from "../src/chain.js";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { anchorVector, disconnect, type AnchoredVector } from "./helpers/bundles.js";

const flip = (hex: string, nibble: number): string => hex.slice(0, nibble) + ((parseInt(hex[nibble]!, 16) ^ 1).toString(16)) + hex.slice(nibble + 1);
const bytes = (hex: string): number[] => Array.from(Buffer.from(hex, "hex"));

describe("registry-root history from the chain alone", function () {
  this.timeout(600_000);
  let dataDir: string;
  let chain: Localnet;
  let anchored: AnchoredVector;
  let reader: ChainReader;
  let r0: string;
  let r2: string;
  let r3: string;

  before(async function () {
    dataDir = mkdtempSync(path.join(os.tmpdir(), "provenance-registry-history-"));
    chain = await startLocalnet({ dataDir });
    const root = (await import("./helpers/bundles.js")).loadVector().registryRoot;
    r0 = flip(root, 63);
    r2 = flip(root, 62);
    r3 = flip(root, 61);
    anchored = await anchorVector(chain, { initialRoot: r0 });
    const program = new anchor.Program<Provenance>(PROVENANCE_IDL, new anchor.AnchorProvider(anchored.connection, new anchor.Wallet(anchored.admin), { commitment: "confirmed" }));
    const config = PublicKey.findProgramAddressSync([CONFIG_SEED], new PublicKey(chain.programId))[0];
    const set = (r: string, version: number, emergency: boolean) =>
      program.methods.setRegistryRoot(bytes(r), new anchor.BN(version), emergency).accountsPartial({ admin: anchored.admin.publicKey, config }).rpc();
    await set(r2, 2, false);
    await set(r3, 3, true);
    await set(r0, 4, false);
  });

  after(async function () {
    reader?.close();
    disconnect(anchored?.connection);
    await chain?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(function () {
    reader?.close();
    reader = new ChainReader({ connection: chain.rpcUrl, programId: chain.programId });
  });

  it("replays every change, the promotion by the batch included, and ends at Config", async function () {
    const config = await reader.config();
    expect(config).to.include({ registryRoot: r3, registryVersion: 3, stagedRegistryRoot: r0, stagedRegistryVersion: 4 });
    const [batch] = (await reader.submitBatchTx(anchored.info.txSignature))!;
    const history = await registryHistory(reader, config, [batch!]);
    expect(history.changes.map((c) => [c.kind, c.root, c.version, c.batch])).to.deep.equal([
      ["initialize", r0, 0, undefined],
      ["staged", anchored.vector.registryRoot, 1, undefined],
      ["promoted", anchored.vector.registryRoot, 1, 0],
      ["staged", r2, 2, undefined],
      ["emergency", r3, 3, undefined],
      ["staged", r0, 4, undefined],
    ]);
    expect(history.findings.filter((f) => f.severity === "error")).to.deep.equal([]);
    const codes = history.findings.map((f) => f.code);
    expect(codes).to.include("REGISTRY_EMERGENCY_CHANGE");
    const restored = history.findings.find((f) => f.code === "REGISTRY_ROOT_RESTORED");
    expect(restored?.message).to.contain(r0).and.contain("version 4");
  });

  it("fetches the batch's transaction itself when not given it, with the same result", async function () {
    const config = await reader.config();
    const history = await registryHistory(reader, config);
    expect(history.changes.find((c) => c.kind === "promoted")).to.include({ batch: 0, version: 1 });
    expect(history.findings.filter((f) => f.severity === "error")).to.deep.equal([]);
  });

  it("reports a Config the history does not end at", async function () {
    const config = await reader.config();
    for (const altered of [{ ...config, registryVersion: 5 }, { ...config, stagedRegistryRoot: null, stagedRegistryVersion: 0, stagedAt: 0 }, { ...config, registryRoot: r2 }]) {
      const history = await registryHistory(reader, altered);
      const mismatch = history.findings.find((f) => f.code === "REGISTRY_HISTORY_MISMATCH");
      expect(mismatch?.severity).to.equal("error");
      expect(mismatch?.message).to.contain("Config holds");
    }
  });

  it("reports a batch whose root the history does not accept", async function () {
    const config = await reader.config();
    const [batch] = (await reader.submitBatchTx(anchored.info.txSignature))!;
    const history = await registryHistory(reader, config, [{ ...batch!, registryRoot: r2 }]);
    const mismatch = history.findings.find((f) => f.code === "REGISTRY_HISTORY_MISMATCH" && f.batch === 0);
    expect(mismatch?.message).to.contain("does not accept");
  });
});
