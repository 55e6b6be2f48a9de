/**
 * The sequencer against the local chain (Agave's runtime, `localnet/`) with the real prover on
 * the `test` circuit: POST -> pending -> batched -> proven -> anchored, the inclusion proof
 * bundle checked against the on-chain log, the registry root kept in step with the chain, and
 * SIGKILL while a `submit_batch` transaction is in flight: after a restart every acknowledged
 * record is anchored exactly once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { LAMPORTS_PER_SOL, PublicKey } from "@solana/web3.js";
import anchor from "@coral-xyz/anchor";
import { expect } from "chai";
import {
  BATCH_LOG_CAPACITY,
  BATCH_LOG_SEED,
  CONFIG_SEED,
  GENESIS_HEAD,
  checkReceipt,
  NodeRegistry,
  nextChainHead,
  PROVENANCE_IDL,
  fieldToHex,
  hexToField,
  inclusionProofFromJson,
  parseRecord,
  recordId,
  SequencerClient,
  verifyBundle,
  verifyInclusion,
  type InclusionBundle,
  type Provenance,
  type Receipt,
  type RecordV1,
} from "@provenance/client-sdk";
import { ChainReader } from "@provenance/client-sdk/chain";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { circuitConfig } from "@provenance/circuits";
import { cacheRoot } from "@provenance/prover/artifacts";
import { ensureSetup } from "../../tests/support/circuit-setup.js";
import { AnchorChainSubmitter, createChainSubmitter } from "../src/chain.js";
import { loadConfig } from "../src/config.js";
import { Sequencer } from "../src/sequencer.js";
import { publicKeyHex, quietLogger, recentRecord, tempDir, testNode, waitFor } from "./helpers.js";

const { AnchorProvider, Program, Wallet } = anchor;
const ADMIN = "anchor-test-admin-token-0123";
const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const REPO = path.resolve(path.dirname(MAIN), "..", "..");

const programId = new PublicKey(PROVENANCE_IDL.address);
const configPda = PublicKey.findProgramAddressSync([CONFIG_SEED], programId)[0];
const batchLogPda = PublicKey.findProgramAddressSync([BATCH_LOG_SEED], programId)[0];
const toHex = (bytes: ArrayLike<number>): string => Buffer.from(Uint8Array.from(bytes)).toString("hex");

/** A read-only Anchor client of the program (no signing). */
function reader(rpcUrl: string): InstanceType<typeof Program<Provenance>> {
  const submitterLike = new AnchorChainSubmitter({
    rpcUrl,
    wallet: anchor.web3.Keypair.generate(),
    stateDir: tempDir("reader").dir,
    cluster: "localnet",
    computeUnitLimit: 400_000,
    priorityFeeMicroLamports: 0,
    logger: quietLogger(),
  });
  return new Program<Provenance>(PROVENANCE_IDL, new AnchorProvider(submitterLike.connection, new Wallet(anchor.web3.Keypair.generate()), {}));
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface BatchView {
  index: number;
  state: string;
  batchRoot: string;
  registryRoot: string;
  count: number;
  minTs: number;
  maxTs: number;
  txSignature: string | null;
}

async function allBatches(url: string): Promise<BatchView[]> {
  return (await getJson<{ batches: BatchView[] }>(`${url}/v1/batches?limit=1000`)).batches;
}

/** Checks the chain against the sequencer's batches: same roots, same hash chain, same totals. */
async function expectChainMatches(rpcUrl: string, batches: BatchView[]): Promise<void> {
  const program = reader(rpcUrl);
  const config = await program.account.config.fetch(configPda);
  const log = await program.account.batchLog.fetch(batchLogPda);
  expect(config.nextIndex.toNumber(), "on-chain batch count").to.equal(batches.length);
  expect(config.totalRecords.toNumber()).to.equal(batches.reduce((n, b) => n + b.count, 0));
  let head = GENESIS_HEAD;
  for (const b of batches) {
    expect(b.state).to.equal("anchored");
    expect(toHex(log.roots[b.index % BATCH_LOG_CAPACITY] ?? [])).to.equal(b.batchRoot);
    head = nextChainHead(head, b);
  }
  expect(toHex(config.chainHead)).to.equal(head);
}

describe("sequencer -> local chain: anchoring", function () {
  this.timeout(900_000);
  const node = testNode("anchor");
  let chain: Localnet;
  let chainDir: ReturnType<typeof tempDir>;

  before(async () => {
    await ensureSetup("test");
    chainDir = tempDir("anchor-chain");
    chain = await startLocalnet({ dataDir: chainDir.dir });
  });
  after(async () => {
    await chain?.stop();
    chainDir?.remove();
  });

  describe("in process", () => {
    let t: ReturnType<typeof tempDir>;
    let seq: Sequencer;
    let submitter: AnchorChainSubmitter;
    let anchoredIds: string[] = [];

    before(async () => {
      t = tempDir("anchor");
      const config = loadConfig(
        {},
        // The admin is the local chain's wallet (the program's upgrade authority), never the sequencer's key.
        { dataDir: t.dir, circuit: "test", listen: "127.0.0.1:0", adminToken: ADMIN, rpcUrl: chain.rpcUrl, adminKeypair: chain.wallet, batchMaxAgeMs: 300, verifyWorkers: 1 },
      );
      const logger = quietLogger();
      submitter = createChainSubmitter(config, logger, { pollIntervalMs: 100 });
      await submitter.airdrop(10 * LAMPORTS_PER_SOL);
      const empty = fieldToHex(new NodeRegistry(circuitConfig("test").registryLevels).root);
      expect(await submitter.ensureInitialized("test", empty)).to.equal(true);
      expect(await submitter.ensureInitialized("test", empty)).to.equal(false);
      seq = await Sequencer.start(config, { logger, submitter, retryBaseMs: 200, defaultMetrics: false });
    });
    after(async () => {
      await seq?.stop();
      t?.remove();
    });

    it("anchors posted records; each bundle verifies against the on-chain root", async () => {
      expect((await post(`${seq.url}/v1/nodes`, { publicKey: publicKeyHex(node) }, { authorization: `Bearer ${ADMIN}` })).status).to.equal(201);
      const records: RecordV1[] = [0, 1, 2, 3, 4, 5].map((n) => recentRecord(node, n));
      const answer = await post(`${seq.url}/v1/records`, { records });
      expect(answer.status).to.equal(201);
      const ids = (answer.body.records as Array<{ id: string }>).map((r) => r.id);
      // Anchoring: every receipt is v2, bound to this program on this chain (its genesis hash).
      const deployment = { programId: programId.toBase58(), genesisHash: await submitter.connection.getGenesisHash() };
      expect(seq.receiptDeployment).to.deep.equal(deployment);
      for (const a of answer.body.records as Array<{ receipt: Receipt }>) {
        expect(a.receipt).to.include({ v: 2, ...deployment });
        expect(checkReceipt(a.receipt, seq.receiptKey, { deployment }).v).to.equal(2);
      }
      const keyAnswer = await getJson<{ receipt: { version: number; domain: string; messageBytes: number; programId: string; genesisHash: string } }>(`${seq.url}/.well-known/provenance/receipt-key`);
      expect(keyAnswer.receipt).to.include({ version: 2, domain: "provenance.receipt.v2", messageBytes: 133, ...deployment });

      const batches = await waitFor("two anchored batches", async () => {
        const list = await allBatches(seq.url);
        return list.length === 2 && list.every((b) => b.state === "anchored") ? list : undefined;
      });
      await expectChainMatches(chain.rpcUrl, batches);
      anchoredIds = ids;

      const program = reader(chain.rpcUrl);
      const log = await program.account.batchLog.fetch(batchLogPda);
      for (const [i, id] of ids.entries()) {
        const rec = await getJson<{ status: string; batch: number }>(`${seq.url}/v1/records/${id}`);
        expect(rec.status).to.equal("anchored");
        const bundle = await getJson<{
          record: RecordV1;
          id: string;
          leafIndex: number;
          inclusionProof: unknown;
          batch: { index: number; batchRoot: string };
          programId: string;
          cluster: string;
          txSignature: string;
        }>(`${seq.url}/v1/records/${id}/proof`);
        expect(bundle.programId).to.equal(programId.toBase58());
        expect(bundle.cluster).to.equal("localnet");
        expect(recordId(parseRecord(bundle.record))).to.equal(id);
        expect(bundle.record).to.deep.equal(records[i]);
        const onChainRoot = hexToField(toHex(log.roots[bundle.batch.index % BATCH_LOG_CAPACITY] ?? []), "on-chain root");
        const path = inclusionProofFromJson(bundle.inclusionProof);
        expect(path.leaf).to.equal(hexToField(id, "id"));
        expect(path.index).to.equal(bundle.leafIndex);
        expect(verifyInclusion(path, onChainRoot)).to.equal(true);
        // The transaction named in the bundle is the one that landed the batch.
        const tx = await submitter.connection.getTransaction(bundle.txSignature, { maxSupportedTransactionVersion: 0, commitment: "confirmed" });
        expect(tx?.meta?.err).to.equal(null);
        expect(tx?.meta?.logMessages).to.include("Program log: Instruction: SubmitBatch");
      }

      const health = await getJson<{ chain: { ok: boolean; detail: string } }>(`${seq.url}/healthz`);
      expect(health.chain.ok).to.equal(true);
      expect(health.chain.detail).to.contain("next batch 2");
    });

    it("serves v2 bundles (accumulator path to the root at its anchored size), and v1 on ?version=1", async () => {
      expect(anchoredIds).to.have.length(6);
      const batches = await allBatches(seq.url);
      const client = new SequencerClient({ url: seq.url });
      const chainReader = new ChainReader({ connection: chain.rpcUrl });
      const acc = await chainReader.accumulator({ refresh: true });
      expect(acc.startIndex).to.equal(0);
      expect(acc.size).to.equal(batches.length);
      for (const id of anchoredIds) {
        const served = await getJson<InclusionBundle>(`${seq.url}/v1/records/${id}/proof`);
        expect(served.v).to.equal(2);
        expect(Object.keys(served)).to.deep.equal(["v", "record", "id", "leafIndex", "inclusionProof", "batch", "programId", "cluster", "txSignature", "slot", "accumulator"]);
        expect(served.accumulator).to.include({ position: served.batch.index, size: acc.size, root: acc.root });
        expect(await client.proof(id)).to.deep.equal(served);

        // Verified with one read of the Accumulator account (and the deployment's Config), no BatchLog.
        const reader = new ChainReader({ connection: chain.rpcUrl });
        const result = await verifyBundle(served, { chain: reader });
        expect(result.failure).to.equal(null);
        expect(result).to.include({ ok: true, rootSource: "accumulator" });
        expect(result.checks.filter((c) => c.name.startsWith("accumulator")).map((c) => [c.name, c.ok])).to.deep.equal([
          ["accumulator-path", true],
          ["accumulator", true],
        ]);
        expect(result.checks.some((c) => c.name === "batch-log")).to.equal(false);
        expect(reader.stats.accountReads).to.equal(2);

        // ?version=1: the v1 bundle as before (no accumulator), checked against the BatchLog.
        const v1 = await getJson<InclusionBundle>(`${seq.url}/v1/records/${id}/proof?version=1`);
        expect(v1.v).to.equal(1);
        expect(v1).to.not.have.property("accumulator");
        const { accumulator: _a, v: _v, ...rest } = served;
        expect(v1).to.deep.equal({ v: 1, ...rest });
        expect(await client.proof(id, { version: 1 })).to.deep.equal(v1);
        const r1 = await verifyBundle(v1, { chain: new ChainReader({ connection: chain.rpcUrl }) });
        expect(r1).to.include({ ok: true, rootSource: "batch-log" });
        expect(await getJson<InclusionBundle>(`${seq.url}/v1/records/${id}/proof?version=2`)).to.deep.equal(served);
      }
      const bad = await fetch(`${seq.url}/v1/records/${anchoredIds[0]}/proof?version=3`);
      expect(bad.status).to.equal(400);
    });

    it("rides out a chain outage: batches wait, then land in order when it is back", async () => {
      const port = Number(new URL(chain.rpcUrl).port);
      await chain.stop();
      const before = (await allBatches(seq.url)).length;
      const answer = await post(`${seq.url}/v1/records`, { records: [10, 11, 12, 13, 14].map((n) => recentRecord(node, n)) });
      expect(answer.status).to.equal(201); // ingest does not depend on the chain
      await waitFor("a failed submission", async () => (seq.pipeline.lastSubmitError ? true : undefined));
      const down = await getJson<{ chain: { ok: boolean; lastError: string } }>(`${seq.url}/healthz`).catch(() => null);
      expect(down).to.equal(null); // /healthz answers 503 while the chain is unreachable
      const res = await fetch(`${seq.url}/healthz`);
      expect(res.status).to.equal(503);
      expect(((await res.json()) as { chain: { ok: boolean } }).chain.ok).to.equal(false);

      chain = await startLocalnet({ dataDir: chainDir.dir, port });
      const batches = await waitFor("the waiting batches anchored", async () => {
        const list = await allBatches(seq.url);
        return list.length === before + 2 && list.every((b) => b.state === "anchored") ? list : undefined;
      });
      await expectChainMatches(chain.rpcUrl, batches);
      expect(seq.pipeline.lastSubmitError).to.equal(null);
    });

    it("stages the sequencer's registry root on-chain when no batch needs an older one", async () => {
      const other = testNode("anchor-other");
      expect((await post(`${seq.url}/v1/nodes`, { publicKey: publicKeyHex(other) }, { authorization: `Bearer ${ADMIN}` })).status).to.equal(201);
      const want = fieldToHex(seq.store.currentRegistry.root);
      // Staged (it becomes current when a batch proven against it lands), or current.
      await waitFor("the registry root on-chain", async () => {
        const state = await submitter.chainState();
        const [root, version] = state.stagedRegistryRoot !== null ? [state.stagedRegistryRoot, state.stagedRegistryVersion] : [state.registryRoot, state.registryVersion];
        return root === want && version === seq.store.currentRegistryVersion ? true : undefined;
      }, 30_000);
      expect(seq.store.currentRegistryVersion).to.equal(2);
    });
  });

  describe("killed (SIGKILL) with a submit_batch transaction in flight", () => {
    let t: ReturnType<typeof tempDir>;
    let secondChain: Localnet;
    let secondDir: ReturnType<typeof tempDir>;

    before(async () => {
      t = tempDir("anchor-crash");
      // A chain of its own: the in-process sequencer above initialized the first one.
      secondDir = tempDir("anchor-chain2");
      secondChain = await startLocalnet({ dataDir: secondDir.dir });
    });
    after(async () => {
      await secondChain?.stop();
      secondDir?.remove();
      t?.remove();
    });

    interface Child {
      proc: ChildProcess;
      url: Promise<string>;
      exited: Promise<void>;
      /** Resolves at the first log line whose msg is `msg` (and that `match` accepts). */
      on(msg: string, match?: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
    }

    function startChild(): Child {
      const proc = spawn(process.execPath, ["--import", "tsx", MAIN], {
        cwd: REPO,
        env: {
          ...process.env,
          PROVENANCE_DATA_DIR: t.dir,
          // The setup keys stay where the suite made them (PROVENANCE_DATA_DIR would move the cache).
          PROVENANCE_CACHE_DIR: cacheRoot(),
          PROVENANCE_CIRCUIT: "test",
          PROVENANCE_LISTEN: "127.0.0.1:0",
          PROVENANCE_ADMIN_TOKEN: ADMIN,
          PROVENANCE_VERIFY_WORKERS: "1",
          PROVENANCE_RPC_URL: secondChain.rpcUrl,
          PROVENANCE_ADMIN_KEYPAIR: secondChain.wallet,
          PROVENANCE_BATCH_MAX_AGE_MS: "200",
          PROVENANCE_LOG_LEVEL: "info",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const waiters: Array<{ msg: string; match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }> = [];
      const lines = createInterface({ input: proc.stdout! });
      let stderr = "";
      proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      lines.on("line", (line) => {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        for (const w of waiters.filter((w) => w.msg === entry.msg && w.match(entry))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(entry);
        }
      });
      const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
      const on = (msg: string, match: (e: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> =>
        new Promise((resolve) => waiters.push({ msg, match, resolve }));
      const url = Promise.race([
        on("sequencer started").then((e) => e.url as string),
        exited.then(() => {
          throw new Error(`the sequencer exited before starting:\n${stderr}`);
        }),
      ]);
      return { proc, url, exited, on };
    }

    it("anchors every acknowledged record exactly once after restarts", async () => {
      let child = startChild();
      let url = await child.url;
      expect((await post(`${url}/v1/nodes`, { publicKey: publicKeyHex(node) }, { authorization: `Bearer ${ADMIN}` })).status).to.equal(201);
      const acked = new Set<string>();
      const postRecords = async (from: number, n: number): Promise<void> => {
        const answer = await post(`${url}/v1/records`, { records: Array.from({ length: n }, (_, i) => recentRecord(node, from + i)) });
        expect(answer.status).to.equal(201);
        for (const r of answer.body.records as Array<{ id: string }>) acked.add(r.id);
      };

      // 1. Killed the moment batch 0's transaction is sent (before the store marks it anchored).
      const sent = child.on("transaction sent", (e) => e.what === "submit_batch 0");
      await postRecords(100, 3);
      const entry = await sent;
      child.proc.kill("SIGKILL");
      await child.exited;
      expect(entry.what).to.equal("submit_batch 0");

      // 2. Restart: batch 0 is found on-chain through the journal, not sent again. Then killed
      //    when batch 1 is proven, before its submission.
      child = startChild();
      url = await child.url;
      const recovered = child.on("batch was already on chain (resubmission after a restart)");
      const proven = child.on("batch proven");
      await postRecords(200, 4);
      expect((await recovered).batch).to.equal(0);
      await proven;
      child.proc.kill("SIGKILL");
      await child.exited;

      // 3. Restart again: everything lands, each batch once.
      child = startChild();
      url = await child.url;
      await postRecords(300, 2);
      const batches = await waitFor("every batch anchored", async () => {
        const list = await allBatches(url);
        const count = list.reduce((n, b) => n + b.count, 0);
        return count === acked.size && list.every((b) => b.state === "anchored") ? list : undefined;
      });
      await expectChainMatches(secondChain.rpcUrl, batches);
      const seen = new Map<string, number>();
      for (const b of batches) {
        const contents = await getJson<{ records: Array<{ id: string }> }>(`${url}/v1/batches/${b.index}/records`);
        for (const r of contents.records) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
      }
      expect([...seen.keys()].sort()).to.deep.equal([...acked].sort());
      expect([...seen.values()].every((n) => n === 1)).to.equal(true);
      child.proc.kill("SIGTERM");
      await child.exited;
    });

    it("refuses to continue its log on a different chain", async () => {
      const fresh = tempDir("anchor-chain3");
      const other = await startLocalnet({ dataDir: fresh.dir });
      try {
        const config = loadConfig({}, { dataDir: t.dir, circuit: "test", rpcUrl: other.rpcUrl });
        const submitter = createChainSubmitter(config, quietLogger());
        const err = await submitter.chainState().catch((e: unknown) => e as Error);
        expect(err).to.be.instanceOf(Error);
        expect((err as Error).message).to.contain("A wiped or different chain cannot continue this log");
      } finally {
        await other.stop();
        fresh.remove();
      }
    });
  });
});
