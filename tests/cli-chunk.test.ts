/**
 * The `provenance` CLI on bundles of chunk-signed records, as a process: `verify --root` prints
 * the `chunk-signature` check (human and --json), names it when a chunk bundle is tampered
 * with, and verifies a manifest mixing both record forms; `proof` describes a chunk bundle.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { buildShapedBatch, fieldToHex, parseRecord, signChunk, signRecord, validateChunk, type ChunkRecordV1, type InclusionBundle } from "@provenance/client-sdk";
import { FAKE_ANCHOR, shapedBundlesFor } from "../client-sdk/test/helpers/bundles.js";
import { chunkOf, describeBundle } from "@provenance/cli/output";
import { BASE_TS, contentHashOf, testNode } from "./support/fixtures.js";
import { cli, cliBin, expectExit } from "./support/cli.js";

const observation = (label: string, i: number) => ({ url: `https://example.com/${label}/${i}`, timestamp: BASE_TS + i, contentHash: contentHashOf(`${label} ${i}`) });

describe("provenance CLI: chunk-signed records", function () {
  this.timeout(300_000);
  let work: string;
  // Shape {2, 1, 2}: a record signed alone at slot 0, a hole at 1, a 2-record chunk at slots 2 and 3.
  const chunk = validateChunk(signChunk([observation("cli-chunk", 0), observation("cli-chunk", 1)], testNode("cli-chunk-a").privateKey)).records;
  const alone = parseRecord(signRecord(observation("cli-alone", 0), testNode("cli-chunk-b").privateKey));
  const batch = buildShapedBatch([[alone], chunk], { batchLevels: 2, chunkLevels: 1, signerSlots: 2 }, 9n);
  const bundles = shapedBundlesFor(batch, FAKE_ANCHOR);
  const root = fieldToHex(batch.statement.batchRoot);

  before(function () {
    cliBin();
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-cli-chunk-"));
    bundles.forEach((b, i) => writeFileSync(path.join(work, `bundle-${i}.json`), JSON.stringify(b, null, 2) + "\n"));
  });
  after(function () {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("verify --root: a chunk-signed bundle passes offline with its chunk-signature check, in text and in --json", async function () {
    const [text, json] = await Promise.all([cli(["verify", "bundle-2.json", "--root", root], { cwd: work }), cli(["verify", "bundle-2.json", "--root", root, "--json"], { cwd: work })]);
    expectExit(text, 0, "verify a chunk bundle");
    for (const check of ["format", "chunk-signature", "leaf", "path", "window", "trusted-root"]) expect(text.stdout).to.match(new RegExp(`ok {3}${check} `));
    expect(text.stdout).to.not.match(/ok {3}signature /);
    expect(text.stdout).to.contain("chunk signature by node").and.contain("for this record at index 1 of a chunk of 2");
    expect(text.stdout).to.contain(`VALID: record ${bundles[2]!.id} (chunk-signed: index 1 of a chunk of 2) is in batch 0`);

    expectExit(json, 0, "verify a chunk bundle --json");
    expect(json.json).to.deep.include({ ok: true, rootSource: "trusted-root", chunk: { size: 2, index: 1 } });
    const checks = json.json!.checks as { name: string; ok: boolean }[];
    expect(checks.map((c) => c.name)).to.deep.equal(["format", "chunk-signature", "leaf", "path", "window", "trusted-root"]);

    // The record signed alone in the same batch: its own signature check, no chunk.
    const v1 = await cli(["verify", "bundle-0.json", "--root", root, "--json"], { cwd: work });
    expectExit(v1, 0, "verify the record signed alone");
    expect((v1.json!.checks as { name: string }[]).map((c) => c.name)).to.include("signature").and.not.include("chunk-signature");
    expect(v1.json).to.not.have.property("chunk");
  });

  it("verify --root: a tampered chunk bundle fails, naming the chunk-signature check", async function () {
    const moved = JSON.parse(readFileSync(path.join(work, "bundle-2.json"), "utf8")) as InclusionBundle;
    (moved.record as ChunkRecordV1).chunk.index = 0;
    writeFileSync(path.join(work, "moved.json"), JSON.stringify(moved, null, 2));
    const other = JSON.parse(readFileSync(path.join(work, "bundle-2.json"), "utf8")) as InclusionBundle;
    // Another chunk's signature, by the same node.
    (other.record as ChunkRecordV1).chunk.signature = signChunk([observation("cli-other", 0), observation("cli-other", 1)], testNode("cli-chunk-a").privateKey).signature;
    writeFileSync(path.join(work, "resigned.json"), JSON.stringify(other));
    const [text, json] = await Promise.all([cli(["verify", "moved.json", "--root", root], { cwd: work }), cli(["verify", "moved.json", "--root", root, "--json"], { cwd: work })]);
    expectExit(text, 1, "verify a moved chunk record");
    expect(text.stdout).to.match(/FAIL chunk-signature +the chunk signature does not verify for this record at index 0 of a chunk of 2/);
    expect(text.stdout).to.contain("INVALID (BAD_SIGNATURE, chunk-signature check): the chunk signature does not verify for this record at index 0 of a chunk of 2");
    expectExit(json, 1, "verify a moved chunk record --json");
    expect(json.json).to.deep.include({ ok: false, chunk: { size: 2, index: 0 } });
    expect(json.json!.failure).to.include({ code: "BAD_SIGNATURE", check: "chunk-signature" });
    const resigned = await cli(["verify", "resigned.json", "--root", root, "--json"], { cwd: work });
    expectExit(resigned, 1, "verify a chunk record with a changed signature");
    expect(resigned.json!.failure).to.include({ code: "BAD_SIGNATURE", check: "chunk-signature" });
  });

  it("verify on a manifest mixing records signed alone and chunk-signed: all valid; a tampered chunk line named", async function () {
    const lines = bundles.map((b) => JSON.stringify(b));
    writeFileSync(path.join(work, "mixed.jsonl"), lines.join("\n") + "\n");
    const ok = await cli(["verify", "mixed.jsonl", "--root", root, "--json"], { cwd: work });
    expectExit(ok, 0, "verify a mixed manifest");
    expect(ok.json).to.include({ ok: true, total: 3, passed: 3 });
    const grown = JSON.parse(lines[1]!) as InclusionBundle;
    (grown.record as ChunkRecordV1).chunk.size = 3;
    writeFileSync(path.join(work, "mixed-bad.jsonl"), [lines[0], JSON.stringify(grown), lines[2]].join("\n") + "\n");
    const bad = await cli(["verify", "mixed-bad.jsonl", "--root", root], { cwd: work });
    expectExit(bad, 1, "verify a mixed manifest with a resized chunk record");
    expect(bad.stdout).to.contain("mixed-bad.jsonl: 2/3 bundles valid");
    expect(bad.stdout).to.match(/line 2 \([0-9a-f]{16}…\): BAD_SIGNATURE: the chunk signature does not verify for this record at index 0 of a chunk of 3/);
  });

  it("proof describes a chunk bundle: its leaf and its place in the chunk", function () {
    expect(chunkOf(bundles[2]!)).to.deep.equal({ size: 2, index: 1 });
    expect(chunkOf(bundles[0]!)).to.equal(null);
    expect(describeBundle(bundles[2]!)).to.equal(`record ${bundles[2]!.id} at leaf 3 of batch 0, chunk-signed: index 1 of a chunk of 2 (transaction ${FAKE_ANCHOR.txSignature})`);
    expect(describeBundle(bundles[0]!)).to.equal(`record ${bundles[0]!.id} at leaf 0 of batch 0 (transaction ${FAKE_ANCHOR.txSignature})`);
  });
});
