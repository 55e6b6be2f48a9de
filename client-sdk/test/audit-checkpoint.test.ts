/**
 * The auditor's checkpoint file (no chain): sealed with a digest over its contents, written
 * atomically, read back equal; a file that is not JSON, not a checkpoint, or edited is refused
 * with CHECKPOINT_INVALID naming what is wrong. And the accumulator frontier the checkpoint keeps
 * gives the same root as the whole tree, at every size.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { AccumulatorTree, accumulatorLeaf } from "../src/accumulator.js";
import { GENESIS_HEAD } from "../src/chainlog.js";
import { accumulatorFrontierRoot, readAuditCheckpoint, sealAuditCheckpoint, writeAuditCheckpoint, type AuditCheckpoint } from "../src/node/audit.js";

const body = (): Omit<AuditCheckpoint, "digest"> => ({
  kind: "provenance-audit-checkpoint",
  v: 1,
  programId: "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG",
  genesisHash: "4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY",
  circuit: "test",
  writtenAt: "2026-12-01T00:00:00.000Z",
  verified: 2,
  head: "ab".repeat(32),
  prevHead: GENESIS_HEAD,
  last: { index: 1, signature: "5".repeat(87), slot: 12 },
  checks: { proofs: true, registry: false, data: true },
  registry: null,
  accumulator: { startIndex: 0, size: 2, frontier: ["cd".repeat(32), "ef".repeat(32)] },
  recentRoots: ["01".repeat(32), "02".repeat(32)],
  data: { records: 1, ids: Buffer.alloc(16, 7).toString("base64") },
});

describe("audit checkpoint file", function () {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "audit-checkpoint-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is written atomically and read back equal; a missing file is null", function () {
    const file = path.join(dir, "audit.ckpt");
    expect(readAuditCheckpoint(file)).to.equal(null);
    const cp = sealAuditCheckpoint(body());
    writeAuditCheckpoint(file, cp);
    writeAuditCheckpoint(file, cp);
    expect(readdirSync(dir), "no temporary file left behind").to.deep.equal(["audit.ckpt"]);
    expect(readAuditCheckpoint(file)).to.deep.equal(cp);
    expect(cp.digest).to.match(/^[0-9a-f]{64}$/);
  });

  it("refuses what is not a checkpoint, or one edited, saying what is wrong", function () {
    const file = path.join(dir, "audit.ckpt");
    const refused = (text: string, why: RegExp) => {
      writeFileSync(file, text);
      let err: (Error & { code?: string }) | null = null;
      try {
        readAuditCheckpoint(file);
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err, text.slice(0, 80)).to.be.instanceOf(Error);
      expect(err!.code).to.equal("CHECKPOINT_INVALID");
      expect(err!.message).to.match(why);
    };
    refused("{ not json", /is not JSON/);
    refused("[]", /not a JSON object/);
    refused(JSON.stringify({ ...sealAuditCheckpoint(body()), kind: "manifest" }), /its "kind" is "manifest"/);
    refused(JSON.stringify({ ...sealAuditCheckpoint(body()), v: 2 }), /version 2 is not one this SDK reads/);
    const cp = sealAuditCheckpoint(body());
    refused(JSON.stringify({ ...cp, verified: 3 }), /"last" must name batch 2's transaction/);
    refused(JSON.stringify({ ...cp, head: "AB".repeat(32) }), /"head" and "prevHead" must be 64 lowercase hex/);
    refused(JSON.stringify({ ...cp, data: null }), /"data" must hold 16 bytes per record/);
    refused(JSON.stringify({ ...cp, recentRoots: [...cp.recentRoots, "03".repeat(32)] }), /"recentRoots" must be at most 256 roots/);
    // Well-formed but changed after sealing: the digest catches it.
    refused(JSON.stringify({ ...cp, head: "cd".repeat(32) }), /its digest does not match its contents \(the file was corrupted or edited\)/);
    // Resealed, it reads again.
    writeFileSync(file, JSON.stringify(sealAuditCheckpoint({ ...body(), head: "cd".repeat(32) })));
    expect(readAuditCheckpoint(file)?.head).to.equal("cd".repeat(32));
    expect(readFileSync(file, "utf8")).to.contain('"head":"cdcd');
  });

  it("keeps the Accumulator as a frontier with the tree's root at every size", function () {
    const leaves: string[] = [];
    for (let i = 0; i < 20; i++) {
      expect(accumulatorFrontierRoot(leaves), `${i} leaves`).to.equal(new AccumulatorTree(leaves).root);
      leaves.push(accumulatorLeaf({ index: i, batchRoot: i.toString(16).padStart(64, "0"), registryRoot: "00".repeat(32), count: i + 1, minTs: 1000 + i, maxTs: 2000 + i }));
    }
  });
});
