/**
 * `provenance verify` and `provenance proof --refresh` on a bundle whose accumulator root has
 * aged out of the on-chain ring (ACCUMULATOR_STALE), as a buyer runs them: a real local chain
 * holding more batches than the Accumulator's ring of roots, the CLI spawned as a process, the
 * batch statements taken from the chain alone (--from-chain), no sequencer.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import anchor from "@coral-xyz/anchor";
import { expect } from "chai";
import { ACCUMULATOR_ROOT_HISTORY, AccumulatorTree, PROVENANCE_IDL, accumulatorLeaf, withAccumulatorPath, type Provenance } from "@provenance/client-sdk";
import { submitBatchMethodArgs } from "@provenance/client-sdk/chain";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { anchorVector, disconnect, type AnchoredVector } from "../client-sdk/test/helpers/bundles.js";
import { cli, expectExit } from "./support/cli.js";

const { AnchorProvider, Program, Wallet } = anchor;

describe("provenance CLI: a stale accumulator path (local chain, chain-only refresh)", function () {
  this.timeout(900_000);
  const N = ACCUMULATOR_ROOT_HISTORY + 3;
  let work: string;
  let chain: Localnet;
  let anchored: AnchoredVector;
  let env: Record<string, string>;

  before(async function () {
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-cli-refresh-"));
    chain = await startLocalnet({ dataDir: path.join(work, "chain") });
    anchored = await anchorVector(chain);
    // The same real proof as batches 1..N-1 (the proof does not bind the index).
    const seq = new Program<Provenance>(PROVENANCE_IDL, new AnchorProvider(anchored.connection, new Wallet(anchored.sequencer), { commitment: "confirmed" }));
    for (let index = 1; index < N; index++) {
      await seq.methods
        .submitBatch(...submitBatchMethodArgs({ index, ...anchored.vector, ...anchored.vector.solana }))
        .accountsPartial({ sequencer: anchored.sequencer.publicKey })
        .rpc();
    }
    // Batch 0's bundle with its path to the accumulator's first root (size 1): long aged out.
    const v = anchored.vector;
    const first = new AccumulatorTree([accumulatorLeaf({ index: 0, batchRoot: v.batchRoot, registryRoot: v.registryRoot, count: v.count, minTs: v.minTs, maxTs: v.maxTs })]);
    const stale = withAccumulatorPath(anchored.bundles[0]!, { position: 0, size: 1, root: first.root, siblings: first.path(0) });
    writeFileSync(path.join(work, "stale.json"), `${JSON.stringify(stale, null, 2)}\n`);
    // No sequencer anywhere: a --refresh without --from-chain has nowhere to go.
    env = { PROVENANCE_RPC_URL: chain.rpcUrl, PROVENANCE_SEQUENCER_URL: "http://127.0.0.1:9" };
  });

  after(async function () {
    disconnect(anchored?.connection);
    await chain?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("verify says a refresh is needed, naming the accumulator check and how to refresh", async function () {
    const run = await cli(["verify", "stale.json"], { cwd: work, env });
    expectExit(run, 1, "verify a stale bundle");
    expect(run.stdout).to.contain("REFRESH NEEDED").and.contain("--refresh").and.contain("provenance proof --refresh stale.json");
    const json = await cli(["verify", "stale.json", "--json"], { cwd: work, env });
    expectExit(json, 1, "verify --json a stale bundle");
    expect(json.json!.failure).to.include({ check: "accumulator", code: "ACCUMULATOR_STALE" });
  });

  it("verify --refresh --from-chain refreshes it from the chain alone and passes", async function () {
    const run = await cli(["verify", "stale.json", "--refresh", "--from-chain", "--json"], { cwd: work, env });
    expectExit(run, 0, "verify --refresh --from-chain");
    expect(run.json).to.include({ ok: true, rootSource: "accumulator" });
    expect((run.json!.refreshed as { accumulator: { size: number } }).accumulator.size).to.equal(N);
    const text = await cli(["verify", "stale.json", "--refresh", "--from-chain"], { cwd: work, env });
    expect(text.stdout).to.contain("refreshed: the bundle's accumulator root had aged out");
    // Verify does not rewrite the file.
    expect((JSON.parse(readFileSync(path.join(work, "stale.json"), "utf8")) as { accumulator: { size: number } }).accumulator.size).to.equal(1);
    // --from-chain alone, or --refresh with a trusted root: usage errors.
    expectExit(await cli(["verify", "stale.json", "--from-chain"], { cwd: work, env }), 2, "verify --from-chain without --refresh");
  });

  it("proof --refresh --from-chain rewrites the file in place; it then verifies with no refresh", async function () {
    const run = await cli(["proof", "--refresh", "stale.json", "--from-chain", "--json"], { cwd: work, env });
    expectExit(run, 0, "proof --refresh --from-chain");
    expect(run.json).to.include({ ok: true, batch: 0, file: path.join(work, "stale.json") });
    const fresh = JSON.parse(readFileSync(path.join(work, "stale.json"), "utf8")) as { v: number; accumulator: { position: number; size: number } };
    expect(fresh).to.include({ v: 2 });
    expect(fresh.accumulator).to.include({ position: 0, size: N });
    const verify = await cli(["verify", "stale.json", "--json"], { cwd: work, env });
    expectExit(verify, 0, "verify the refreshed bundle");
    expect(verify.json).to.include({ ok: true, rootSource: "accumulator" });
    // Without --from-chain the statements come from the sequencer, which is not there: unavailable, not invalid.
    const noSeq = await cli(["proof", "--refresh", "stale.json"], { cwd: work, env });
    expectExit(noSeq, 3, "proof --refresh with no sequencer");
  });
});
