/**
 * Liveness (security review H1, M4) against the local chain with the real prover (`test`
 * circuit) and LevelDB: one chain and one data directory, the sequencer restarted between
 * scenarios with the settings each needs. Submission is held back by pausing the program with
 * the admin key (the local chain's wallet), as an operator or an outage would.
 *
 * 1. A normal revocation with a backlog of unanchored batches: every record is anchored, none
 *    dropped, and a registry change while batches wait under the staged root does not replace it.
 * 2. An emergency revocation (`retire_previous = true`, sent by the test with the admin key)
 *    with a backlog holding the revoked node's records: a batch of only its records is removed
 *    (later ones renumbered), a mixed one re-sealed without them; the sequencer is stopped right
 *    after that re-seal, before the re-proof, and resumes; each dropped record answers
 *    `dropped` with a valid signed notice, every other record is anchored, and the auditor
 *    reports the receipted-but-dropped records as RECEIPT_DROPPED, not as censorship.
 * 3. M4: with the store two versions ahead of a batch and the chain one, the batch is proven
 *    again against the chain's version, not the store's newest.
 * 4. /healthz turns 503 with the reason once submission has waited for the admin longer than
 *    PROVENANCE_SUBMIT_UNHEALTHY_AFTER_MS (shrunk), and back to 200 once it moves.
 * 5. Backpressure counts proven-but-unanchored records.
 */
import { Writable } from "node:stream";
import anchor from "@coral-xyz/anchor";
import { LAMPORTS_PER_SOL, type Keypair } from "@solana/web3.js";
import { expect } from "chai";
import { pino, type Logger } from "pino";
import {
  ChainReader,
} from "@provenance/client-sdk/chain";
import {
  NodeRegistry,
  PROVENANCE_IDL,
  SequencerClient,
  checkDroppedNotice,
  fieldToHex,
  verifyBundle,
  type Provenance,
  type RecordV1,
  type RecordView,
} from "@provenance/client-sdk";
import { audit } from "@provenance/client-sdk/node";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { circuitConfig } from "@provenance/circuits";
import { ensureSetup } from "../../tests/support/circuit-setup.js";
import { createChainSubmitter, loadSolanaKeypair, type AnchorChainSubmitter } from "../src/chain.js";
import { loadConfig, type ConfigOverrides } from "../src/config.js";
import { Sequencer } from "../src/sequencer.js";
import { publicKeyHex, recentRecord, tempDir, testNode, waitFor } from "./helpers.js";

const { AnchorProvider, Program, Wallet } = anchor;
const ADMIN = "liveness-test-admin-token-0123";
const WAIT_MS = Number(process.env.LIVENESS_WAIT_MS ?? 120_000);

interface BatchView {
  index: number;
  state: string;
  count: number;
  batchRoot: string;
  registryRoot: string;
  firstSeq: number;
}

async function request(url: string, method: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), authorization: `Bearer ${ADMIN}` },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe("sequencer liveness: revocations, retired roots, stalls (local chain, real prover)", function () {
  this.timeout(900_000);
  const A = testNode("live-a");
  const B = testNode("live-b");
  const C = testNode("live-c");
  const E = testNode("live-e");
  const F = testNode("live-f");
  const G = testNode("live-g");
  let chain: Localnet;
  let chainDir: ReturnType<typeof tempDir>;
  let t: ReturnType<typeof tempDir>;
  let seq: Sequencer | null = null;
  let submitter: AnchorChainSubmitter;
  /** The admin's own client (it holds the local chain's wallet as admin key), for the test's admin actions. */
  let adminChain: AnchorChainSubmitter;
  let adminProgram: InstanceType<typeof Program<Provenance>>;
  let adminKey: Keypair;
  /** Called with every log entry of the running sequencer, synchronously. */
  let onLog: (entry: Record<string, unknown>) => void = () => {};
  const logger: Logger = pino(
    { level: "info" },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split("\n")) {
          if (!line) continue;
          try {
            onLog(JSON.parse(line) as Record<string, unknown>);
          } catch {
            /* not JSON */
          }
        }
        done();
      },
    }),
  );

  const url = (): string => seq!.url;
  const client = (): SequencerClient => new SequencerClient({ url: url() });

  async function start(overrides: ConfigOverrides & { canSetRegistry?: boolean } = {}): Promise<void> {
    const { canSetRegistry, ...config } = overrides;
    const cfg = loadConfig({}, { dataDir: t.dir, circuit: "test", listen: "127.0.0.1:0", adminToken: ADMIN, rpcUrl: chain.rpcUrl, adminKeypair: chain.wallet, batchMaxAgeMs: 300, verifyWorkers: 1, ...config });
    submitter = createChainSubmitter(cfg, logger, { pollIntervalMs: 100, canSetRegistry: canSetRegistry ?? true });
    seq = await Sequencer.start(cfg, { logger, submitter, retryBaseMs: 100, retryMaxMs: 500, registrySyncMs: 200, defaultMetrics: false });
  }
  async function stop(): Promise<void> {
    await seq?.stop();
    seq = null;
  }

  /** set_paused with the admin key, confirmed by polling (no websocket subscription left behind). */
  const setPaused = async (paused: boolean): Promise<void> => {
    const connection = adminChain.connection;
    const tx = await adminProgram.methods.setPaused(paused).accountsPartial({ admin: adminKey.publicKey }).transaction();
    tx.feePayer = adminKey.publicKey;
    tx.recentBlockhash = (await connection.getLatestBlockhash("confirmed")).blockhash;
    tx.sign(adminKey);
    const signature = await connection.sendRawTransaction(tx.serialize());
    await waitFor(`set_paused ${paused}`, async () => {
      const st = (await connection.getSignatureStatuses([signature])).value[0];
      if (st?.err) throw new Error(`set_paused failed: ${JSON.stringify(st.err)}`);
      return st?.confirmationStatus === "confirmed" || st?.confirmationStatus === "finalized" ? true : undefined;
    }, 30_000);
  };
  const addNode = async (node: ReturnType<typeof testNode>): Promise<number> => {
    const res = await request(`${url()}/v1/nodes`, "POST", { publicKey: publicKeyHex(node) });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.registryVersion as number;
  };
  const revokeNode = async (node: ReturnType<typeof testNode>): Promise<number> => {
    const res = await request(`${url()}/v1/nodes/${fieldToHex(node.nodeId)}`, "DELETE");
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.registryVersion as number;
  };
  const postRecords = async (records: RecordV1[]): Promise<Array<{ id: string; receipt: unknown }>> => {
    const res = await request(`${url()}/v1/records`, "POST", { records });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.records as Array<{ id: string; receipt: unknown }>;
  };
  const batches = async (): Promise<BatchView[]> => ((await request(`${url()}/v1/batches?limit=1000`, "GET")).body.batches as BatchView[]);
  const record = async (id: string): Promise<RecordView> => (await request(`${url()}/v1/records/${id}`, "GET")).body as unknown as RecordView;
  const batchDetail = async (index: number): Promise<{ registryRoot: string; state: string }> =>
    (await request(`${url()}/v1/batches/${index}`, "GET")).body as unknown as { registryRoot: string; state: string };
  /** The registry root of the store's version `v`, from the sequencer's log. */
  const rootAt = async (v: number): Promise<string> => fieldToHex((await seq!.store.registryAt(v)).root);
  const chainNewest = async (): Promise<number> => {
    const state = await adminChain.chainState();
    return state.stagedRegistryRoot !== null ? state.stagedRegistryVersion : state.registryVersion;
  };
  const allSettled = async (): Promise<BatchView[] | undefined> => {
    const list = await batches();
    return list.length > 0 && list.every((b) => b.state === "anchored") && seq!.store.pendingRecords === 0 ? list : undefined;
  };

  before(async () => {
    await ensureSetup("test");
    chainDir = tempDir("live-chain");
    chain = await startLocalnet({ dataDir: chainDir.dir });
    t = tempDir("live");
    // The admin is the local chain's wallet (the program's upgrade authority), not the sequencer's key.
    const cfg = loadConfig({}, { dataDir: t.dir, circuit: "test", rpcUrl: chain.rpcUrl, adminKeypair: chain.wallet });
    const first = createChainSubmitter(cfg, logger, { pollIntervalMs: 100 });
    await first.airdrop(10 * LAMPORTS_PER_SOL);
    await first.ensureInitialized("test", fieldToHex(new NodeRegistry(circuitConfig("test").registryLevels).root));
    adminKey = loadSolanaKeypair(chain.wallet, false).keypair;
    adminChain = createChainSubmitter({ ...cfg, dataDir: tempDir("live-admin").dir }, logger, { pollIntervalMs: 100 });
    adminProgram = new Program<Provenance>(PROVENANCE_IDL, new AnchorProvider(adminChain.connection, new Wallet(adminKey), { commitment: "confirmed" }));
  });
  afterEach(async () => {
    onLog = () => {};
    await stop();
  });
  after(async () => {
    onLog = () => {};
    await stop();
    await chain?.stop();
    chainDir?.remove();
    t?.remove();
  });

  it("a normal revocation with a backlog of unanchored batches: every record is anchored, none dropped", async () => {
    await start();
    await addNode(A);
    expect(await addNode(B)).to.equal(2);
    await waitFor("registry version 2 on-chain", async () => ((await chainNewest()) === 2 ? true : undefined), WAIT_MS);
    await setPaused(true);
    const backlog = await postRecords([0, 1, 2, 3, 4].flatMap((n) => [recentRecord(A, n), recentRecord(B, n)]));
    await waitFor("the backlog proven", async () => {
      const list = await batches();
      return list.length === 3 && list.every((b) => b.state === "proven") ? true : undefined;
    }, WAIT_MS);
    expect(await revokeNode(B)).to.equal(3);
    // Records after the revocation, sealed under version 3, then one more registry change (v4)
    // while that batch waits: the staged root (v3) must not be replaced under it.
    const after = await postRecords([recentRecord(A, 5), recentRecord(A, 6)]);
    await waitFor("batch 3 proven", async () => ((await batches())[3]?.state === "proven" ? true : undefined), WAIT_MS);
    expect(await addNode(C)).to.equal(4);
    await new Promise((r) => setTimeout(r, 1500)); // several registry syncs (200 ms) run while batch 3 waits
    await setPaused(false);
    const list = await waitFor("every batch anchored", allSettled, WAIT_MS);
    expect(list.map((b) => b.index)).to.deep.equal([0, 1, 2, 3]);
    for (const r of [...backlog, ...after]) expect((await record(r.id)).status, r.id).to.equal("anchored");
    for (const i of [0, 1, 2]) expect((await batchDetail(i)).registryRoot).to.equal(await rootAt(2));
    expect((await batchDetail(3)).registryRoot, "batch 3 is anchored as sealed, under version 3").to.equal(await rootAt(3));
    await waitFor("version 4 staged once nothing needs version 3", async () => ((await chainNewest()) === 4 ? true : undefined), WAIT_MS);
    await stop();
  });

  it("an emergency revocation (retire_previous): the revoked node's records are dropped with signed notices, the rest anchored; a stop after the re-seal resumes", async () => {
    await start({ canSetRegistry: false });
    const vE = await addNode(E);
    expect(vE).to.equal(5);
    await adminChain.setRegistryRoot(await rootAt(5), 5, false);
    await setPaused(true);
    const first = (await batches()).length; // 4
    // X: only E's records; Y: mixed; Z: A's only (partial).
    const posted = await postRecords([
      ...[0, 1, 2, 3].map((n) => recentRecord(E, n)),
      recentRecord(A, 10), recentRecord(E, 4), recentRecord(A, 11), recentRecord(E, 5),
      recentRecord(A, 12), recentRecord(A, 13),
    ]);
    const ids = posted.map((r) => r.id);
    const eIds = [0, 1, 2, 3, 5, 7].map((i) => ids[i]!);
    const aIds = [4, 6, 8, 9].map((i) => ids[i]!);
    await waitFor("the backlog proven", async () => {
      const list = await batches();
      return list.length === first + 3 && list.slice(first).every((b) => b.state === "proven") ? true : undefined;
    }, WAIT_MS);
    const v6 = await revokeNode(E);
    await adminChain.setRegistryRoot(await rootAt(v6), v6, true); // the emergency: E's roots retired at once

    // Stop right after the mixed batch is re-sealed, before it is proven again.
    let resealed: Record<string, unknown> | null = null;
    onLog = (entry) => {
      if (entry.msg === "batch re-sealed without dropped records" && !resealed) {
        resealed = entry;
        void seq!.pipeline.stop(); // synchronously marks it stopped: no proof starts
      }
    };
    await setPaused(false);
    await waitFor("the re-seal", async () => (resealed ? true : undefined), WAIT_MS);
    onLog = () => {};
    await stop();
    expect(resealed!.batch).to.equal(first); // Y, renumbered into X's index
    expect(resealed!.kept).to.equal(2);

    await start({ canSetRegistry: false });
    const y = (await batches())[first]!;
    expect(y.state, "the re-sealed batch resumes from batched").to.be.oneOf(["batched", "proven", "anchored"]);
    const list = await waitFor("every batch anchored", allSettled, WAIT_MS);
    expect(list.map((b) => b.index), "indexes stay gapless").to.deep.equal([...Array(first + 2).keys()]);
    expect(list[first]!.count).to.equal(2);
    expect(list[first + 1]!.count).to.equal(2);
    const reader = new ChainReader({ connection: chain.rpcUrl });
    for (const id of aIds) {
      const view = await record(id);
      expect(view.status, id).to.equal("anchored");
      const result = await verifyBundle(await client().proof(id), { chain: reader });
      expect(result.ok, JSON.stringify(result.failure)).to.equal(true);
    }
    const programId = PROVENANCE_IDL.address;
    const genesisHash = await adminChain.connection.getGenesisHash();
    for (const id of eIds) {
      const view = await record(id);
      expect(view.status, id).to.equal("dropped");
      expect(view.reason).to.contain("not an active member of the registry at version 6");
      const { notice } = await client().droppedNotice(id, { programId, genesisHash });
      expect(notice.reason).to.equal("NODE_REVOKED");
      expect([first, first + 1]).to.include(notice.batch);
      // Any altered field breaks it.
      expect(() => checkDroppedNotice({ ...notice, batch: notice.batch + 1 }, seq!.receiptKey)).to.throw(/signature does not verify/);
    }
    // The auditor: receipted-but-dropped with a valid notice is its own finding, not censorship.
    const report = await audit({ sequencer: client(), chain: reader, receipts: posted.map((p) => p.receipt), receiptKey: seq!.receiptKey, skipProofs: true, receiptGraceMs: 0 });
    expect(report.findings.filter((f) => f.severity === "error"), JSON.stringify(report.findings)).to.deep.equal([]);
    expect(report.findings.filter((f) => f.code === "RECEIPT_DROPPED")).to.have.length(eIds.length);
    expect(report.receipts).to.include({ checked: posted.length, anchored: aIds.length, dropped: eIds.length, failed: 0 });
    await stop();
  });

  it("M4: a batch whose root was retired is proven again against the chain's version, not the store's newest", async () => {
    await start({ canSetRegistry: false });
    await setPaused(true);
    const before = (await batches()).length;
    const posted = await postRecords([recentRecord(A, 20), recentRecord(A, 21)]);
    await waitFor("the batch proven", async () => ((await batches())[before]?.state === "proven" ? true : undefined), WAIT_MS);
    const sealedUnder = seq!.store.currentRegistryVersion; // 6
    const v7 = await addNode(F);
    const v8 = await addNode(G);
    expect([v7, v8]).to.deep.equal([sealedUnder + 1, sealedUnder + 2]);
    await adminChain.setRegistryRoot(await rootAt(v7), v7, true);
    await setPaused(false);
    await waitFor("the batch anchored, or proven against another version", async () => {
      const b = (await batches())[before]!;
      return b.state === "anchored" || b.registryRoot === (await rootAt(v8)) ? true : undefined;
    }, WAIT_MS);
    const b = (await batches())[before]!;
    expect(b.registryRoot, "the chain's version (7), not the store's newest (8)").to.equal(await rootAt(v7));
    expect(b.state).to.equal("anchored");
    for (const r of posted) expect((await record(r.id)).status).to.equal("anchored");
    await stop();
  });

  it("/healthz turns 503 with the reason when submission waits for the admin longer than the setting", async () => {
    await start({ canSetRegistry: false, submitUnhealthyAfterMs: 1500 });
    const healthy = await fetch(`${url()}/healthz`);
    expect(healthy.status).to.equal(200);
    const version = seq!.store.currentRegistryVersion; // 8, the chain's is 7
    const posted = await postRecords([recentRecord(A, 30)]);
    const reason = `registry version ${version} is not staged on-chain: the admin must run \`provenance registry push\``;
    const body = await waitFor("/healthz 503", async () => {
      const res = await fetch(`${url()}/healthz`);
      return res.status === 503 ? ((await res.json()) as { status: string; chain: { ok: boolean; submission: { reason: string; state: string } } }) : undefined;
    }, 30_000);
    expect(body.status).to.equal("degraded");
    expect(body.chain.ok).to.equal(false);
    expect(body.chain.submission.state).to.equal("waiting");
    expect(body.chain.submission.reason).to.contain(reason);
    await adminChain.setRegistryRoot(await rootAt(version), version, false);
    await waitFor("anchored", async () => ((await record(posted[0]!.id)).status === "anchored" ? true : undefined), WAIT_MS);
    await waitFor("/healthz 200 again", async () => ((await fetch(`${url()}/healthz`)).status === 200 ? true : undefined), WAIT_MS);
    await stop();
  });

  it("backpressure counts proven-but-unanchored records", async () => {
    await start({ maxBacklogRecords: 4 });
    await setPaused(true);
    const before = (await batches()).length;
    await postRecords([40, 41, 42, 43].map((n) => recentRecord(A, n)));
    await waitFor("the full batch proven", async () => ((await batches())[before]?.state === "proven" ? true : undefined), WAIT_MS);
    const refused = await request(`${url()}/v1/records`, "POST", recentRecord(A, 44));
    expect(refused.status, JSON.stringify(refused.body)).to.equal(503);
    expect((refused.body.error as { code: string }).code).to.equal("OVERLOADED");
    expect(refused.headers.get("retry-after")).to.equal("1");
    await setPaused(false);
    await waitFor("anchored", async () => ((await batches())[before]?.state === "anchored" ? true : undefined), WAIT_MS);
    expect((await request(`${url()}/v1/records`, "POST", recentRecord(A, 44))).status).to.equal(201);
    await stop();
  });
});
