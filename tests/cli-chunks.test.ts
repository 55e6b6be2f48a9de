/**
 * `provenance submit --observations FILE` against a real sequencer (LevelDB, worker verifier,
 * fastify; anchoring off) whose circuit family has a chunk shape (C = 2 on the `test`
 * capacity): the CLI reads the chunk size from /healthz, signs chunks with the node key,
 * submits them, checks each receipt and prints one line per record; the stored records carry
 * their chunk refs. A JSON array and JSON lines both work; `--alone` signs records one by one.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { fieldToHex, type ChunkRecordV1, type RecordView } from "@provenance/client-sdk";
import { Sequencer, loadConfig } from "@provenance/sequencer";
import { TEST_CHUNK_SHAPES, quietLogger } from "../sequencer/test/helpers.js";
import { ensureSetup } from "./support/circuit-setup.js";
import { cli, expectExit } from "./support/cli.js";

const ADMIN = "cli-chunks-admin-token-0123456789";

describe("provenance submit --observations (signed chunks)", function () {
  this.timeout(300_000);
  let work: string;
  let seq: Sequencer;
  let env: Record<string, string>;

  before(async () => {
    await ensureSetup("test");
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-cli-chunks-"));
    const config = loadConfig({}, { dataDir: path.join(work, "sequencer"), circuit: "test", listen: "127.0.0.1:0", adminToken: ADMIN, batchMaxAgeMs: 3_600_000, verifyWorkers: 1, anchoring: false });
    seq = await Sequencer.start(config, { logger: quietLogger(), submitter: null, defaultMetrics: false, retryBaseMs: 600_000, shapes: TEST_CHUNK_SHAPES });
    env = { PROVENANCE_SEQUENCER_URL: seq.url, PROVENANCE_ADMIN_TOKEN: ADMIN };
    expectExit(await cli(["keygen", "--json"], { cwd: work, env }), 0, "keygen");
    expectExit(await cli(["nodes", "add", "--key", "node-key.json"], { cwd: work, env }), 0, "nodes add");
  });

  after(async () => {
    await seq?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const pages = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({ url: `https://example.com/cli-chunk/${from + i}`, timestamp: Date.now() - 60_000 + from + i, contentHash: fieldToHex(BigInt(from + i + 1)) }));

  it("signs a JSON array in chunks of the deployment's size, one line per record, each a chunk record", async () => {
    writeFileSync(path.join(work, "pages.json"), JSON.stringify(pages(0, 5), null, 2));
    const run = await cli(["submit", "--key", "node-key.json", "--observations", "pages.json", "--receipts", "receipts.jsonl"], { cwd: work, env });
    expectExit(run, 0, "submit --observations pages.json");
    const lines = run.stdout.trim().split("\n");
    expect(lines.filter((l) => /^[0-9a-f]{64} {2}seq \d+ {2}pending$/.test(l))).to.have.length(5);
    expect(lines.at(-1)).to.match(/^5 record\(s\) accepted; receipts verified/);
    const ids = lines.slice(0, 5).map((l) => l.slice(0, 64));
    const sizes: number[] = [];
    for (const [i, id] of ids.entries()) {
      const view = (await (await fetch(`${seq.url}/v1/records/${id}`)).json()) as RecordView;
      const record = view.record as ChunkRecordV1;
      expect(record.url).to.equal(pages(0, 5)[i]!.url);
      expect(record.chunk.index).to.equal(i % 2);
      sizes.push(record.chunk.size);
    }
    // Chunks of 2, 2 and 1.
    expect(sizes).to.deep.equal([2, 2, 2, 2, 1]);
  });

  it("takes JSON lines too, answers a resubmitted chunk with its original receipts, and signs alone with --alone", async () => {
    writeFileSync(path.join(work, "pages.jsonl"), pages(100, 3).map((p) => JSON.stringify(p)).join("\n") + "\n");
    const first = await cli(["submit", "--key", "node-key.json", "--observations", "pages.jsonl", "--json"], { cwd: work, env });
    expectExit(first, 0, "submit --observations pages.jsonl");
    const records = first.json!.records as { id: string; seq: number; duplicate: boolean }[];
    expect(records).to.have.length(3);
    const again = await cli(["submit", "--key", "node-key.json", "--observations", "pages.jsonl", "--json"], { cwd: work, env });
    expectExit(again, 0, "resubmit");
    const replayed = again.json!.records as { id: string; seq: number; duplicate: boolean }[];
    expect(replayed.map((r) => [r.id, r.seq, r.duplicate])).to.deep.equal(records.map((r) => [r.id, r.seq, true]));

    writeFileSync(path.join(work, "alone.jsonl"), pages(200, 2).map((p) => JSON.stringify(p)).join("\n") + "\n");
    const alone = await cli(["submit", "--key", "node-key.json", "--observations", "alone.jsonl", "--alone", "--json"], { cwd: work, env });
    expectExit(alone, 0, "submit --alone");
    for (const r of alone.json!.records as { id: string }[]) {
      const view = (await (await fetch(`${seq.url}/v1/records/${r.id}`)).json()) as RecordView;
      expect(view.record).to.have.property("signature");
      expect(view.record).to.not.have.property("chunk");
    }
  });

  it("explains its input in --help, with an example", async () => {
    const help = await cli(["submit", "--help"], { cwd: work, env });
    expectExit(help, 0, "submit --help");
    expect(help.stdout).to.contain("--observations <file>").and.contain("--alone").and.contain("signed in chunks of the deployment's chunk size").and.contain("provenance submit --key node-key.json --observations pages.json");
  });
});
