/**
 * Offline verification of a dataset spanning several batches against the buyer's own trusted
 * roots: `readTrustedRoots` (JSON lines of {"batch", "root"}), `trustedRoots` in
 * `verifyBundle` / `verifyManifest`, a batch with no trusted root failing UNTRUSTED_BATCH.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ProvenanceError, parseTrustedRootLine, verifyBundle } from "../src/index.js";
import { readTrustedRoots, verifyManifest } from "../src/node/index.js";
import { BASE_TS, testNode, testRecord } from "../../tests/support/fixtures.js";
import { FAKE_ANCHOR, bundlesFor } from "./helpers/bundles.js";

const node = testNode("trusted-roots");
const statement = { registryRoot: "0".repeat(64), minTs: BASE_TS, maxTs: BASE_TS + 100_000_000 };
const batches = [0, 1, 2].map((index) => bundlesFor(Array.from({ length: 3 }, (_, i) => testRecord(node, 10 * index + i).record), 2, statement, { ...FAKE_ANCHOR, batchIndex: index }));
const rootOf = (i: number): string => batches[i]![0]!.batch.batchRoot;

async function rejection(p: Promise<unknown>): Promise<ProvenanceError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(ProvenanceError);
    return e as ProvenanceError;
  }
  throw new Error("expected a rejection");
}

describe("trusted roots per batch (offline datasets)", function () {
  this.timeout(120_000);
  let dir: string;
  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "provenance-trusted-roots-"));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("a bundle of a batch with no trusted root fails UNTRUSTED_BATCH at the trusted-root check", async function () {
    const r = await verifyBundle(batches[2]![0], { trustedRoots: new Map([[0, rootOf(0)]]) });
    expect(r.ok).to.equal(false);
    expect(r.failure).to.deep.equal({ code: "UNTRUSTED_BATCH", check: "trusted-root", message: "batch 2 has no trusted root: the 1 trusted root(s) given are for other batches (add this batch's root to the list, or verify against the chain)" });
    expect(r.checks.map((c) => c.name)).to.deep.equal(["format", "signature", "leaf", "path", "window", "trusted-root"]);
    expect((await verifyBundle(batches[2]![0], { trustedRoots: new Map([[2, rootOf(2)]]) })).ok).to.equal(true);
  });

  it("reads a roots file (comments, blank lines, the same root twice) and verifies a manifest over three batches, one root wrong, one missing", async function () {
    const roots = path.join(dir, "roots.jsonl");
    writeFileSync(roots, `# the buyer's list\n${JSON.stringify({ batch: 0, root: rootOf(0) })}\n\n${JSON.stringify({ batch: 1, root: "1".repeat(64) })}\r\n${JSON.stringify({ batch: 0, root: rootOf(0) })}\n`);
    const trusted = await readTrustedRoots(roots);
    expect([...trusted]).to.deep.equal([
      [0, rootOf(0)],
      [1, "1".repeat(64)],
    ]);
    const manifest = path.join(dir, "dataset.jsonl");
    writeFileSync(manifest, batches.flat().map((b) => JSON.stringify(b)).join("\n") + "\n");
    const report = await verifyManifest(manifest, { trustedRoots: trusted });
    expect(report).to.include({ total: 9, passed: 3, failed: 6, batches: 3 });
    expect(report.byCode).to.deep.equal({ ROOT_MISMATCH: 3, UNTRUSTED_BATCH: 3 });
    expect(report.failures.map((f) => [f.line, f.batchIndex, f.code])).to.deep.equal([
      [4, 1, "ROOT_MISMATCH"],
      [5, 1, "ROOT_MISMATCH"],
      [6, 1, "ROOT_MISMATCH"],
      [7, 2, "UNTRUSTED_BATCH"],
      [8, 2, "UNTRUSTED_BATCH"],
      [9, 2, "UNTRUSTED_BATCH"],
    ]);
  });

  it("refuses a roots file that is not one, naming the line: bad JSON, fields, batch, root, contradictions, nothing at all", async function () {
    const cases: [string, string][] = [
      ["{", "line 2: not JSON"],
      ["[]", "line 2: not a JSON object (an array)"],
      [JSON.stringify({ batch: 1 }), 'line 2: missing field "root"'],
      [JSON.stringify({ root: rootOf(1) }), 'line 2: missing field "batch"'],
      [JSON.stringify({ batch: 1, root: rootOf(1), index: 1 }), 'line 2: unknown field "index"'],
      [JSON.stringify({ batch: 1.5, root: rootOf(1) }), 'line 2: "batch" must be a non-negative integer (a batch index), got 1.5'],
      [JSON.stringify({ batch: "1", root: rootOf(1) }), 'line 2: "batch" must be a non-negative integer (a batch index), got "1"'],
      [JSON.stringify({ batch: 1, root: rootOf(1).toUpperCase() }), 'line 2: "root" must be 64 lowercase hex characters'],
      [JSON.stringify({ batch: 1, root: "f".repeat(64) }), 'line 2: "root" is not below the BN254 field modulus'],
      [JSON.stringify({ batch: 0, root: rootOf(1) }), `line 2: batch 0 is given root ${rootOf(1)}, but`],
    ];
    for (const [line, message] of cases) {
      const file = path.join(dir, "bad.jsonl");
      writeFileSync(file, `${JSON.stringify({ batch: 0, root: rootOf(0) })}\n${line}\n`);
      const err = await rejection(readTrustedRoots(file));
      expect(err.code, line).to.equal("INVALID_CONFIG");
      expect(err.message, line).to.contain(`${file} ${message}`);
    }
    writeFileSync(path.join(dir, "empty.jsonl"), "# none\n");
    expect((await rejection(readTrustedRoots(path.join(dir, "empty.jsonl")))).message).to.contain("holds no trusted roots");
    expect((await rejection(readTrustedRoots(path.join(dir, "absent.jsonl")))).code).to.equal("IO_ERROR");
    expect(parseTrustedRootLine("  # a comment", "x")).to.equal(null);
  });
});
