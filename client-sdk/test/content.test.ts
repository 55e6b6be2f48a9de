/**
 * The `content` check (`VerifyOptions.content`): the fetched bytes against the record's
 * contentHash, in every form a caller holds them (bytes, a Blob, a web stream, a Node stream,
 * a digest from `sha256File`), on the real bundles of test-vectors/batch-test.json (record i
 * is the SHA-256 of "page i", tests/support/fixtures.ts).
 */
import { createHash } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { expect } from "chai";
import { ProvenanceError, contentCheck, digestContent, verifyBundle, verifyBundles, type ContentInput } from "../src/index.js";
import { sha256File } from "../src/node/index.js";
import { FAKE_ANCHOR, bundlesFor, loadVector } from "./helpers/bundles.js";

const vector = loadVector();
const bundles = bundlesFor(vector.records, vector.batchLevels, vector, FAKE_ANCHOR);
const ROOT = vector.batchRoot;
const bytes = (s: string) => new TextEncoder().encode(s);

describe("the content check", function () {
  let dir: string;
  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "provenance-content-"));
  });
  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("passes as the last check for the record's content, in every form of it", async function () {
    const b = bundles[2]!;
    writeFileSync(path.join(dir, "page-2"), "page 2");
    const forms: [string, () => ContentInput][] = [
      ["bytes", () => bytes("page 2")],
      ["Blob", () => new Blob([bytes("page "), bytes("2")])],
      ["web ReadableStream", () => new Blob([bytes("page 2")]).stream()],
      ["Node stream", () => createReadStream(path.join(dir, "page-2"), { highWaterMark: 2 })],
      ["async iterable", () => (async function* () { yield bytes("pa"); yield bytes("ge 2"); })()],
      ["digest", () => ({ sha256: b.record.contentHash, bytes: 6 })],
      ["sha256File", () => sha256File(path.join(dir, "page-2"))],
    ];
    for (const [name, content] of forms) {
      const r = await verifyBundle(b, { trustedRoot: ROOT, content: content() });
      expect(r.ok, `${name}: ${JSON.stringify(r.failure)}`).to.equal(true);
      expect(r.checks.map((c) => c.name), name).to.deep.equal(["format", "signature", "leaf", "path", "window", "trusted-root", "content"]);
      expect(r.content, name).to.deep.equal({ sha256: b.record.contentHash, bytes: 6 });
    }
  });

  it("fails CONTENT_MISMATCH with both hashes for other content; the record's other checks passed", async function () {
    const b = bundles[2]!;
    const other = createHash("sha256").update("page 3").digest("hex");
    const r = await verifyBundle(b, { trustedRoot: ROOT, content: bytes("page 3") });
    expect(r.ok).to.equal(false);
    expect(r.failure).to.deep.equal({ code: "CONTENT_MISMATCH", check: "content", message: `SHA-256 of the content (6 bytes) is ${other}, but the record's contentHash is ${b.record.contentHash}: this is not the content the node signed` });
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).to.deep.equal(["content"]);
    expect(r.content).to.deep.equal({ sha256: other, bytes: 6 });
    // One byte more is other content too.
    expect((await verifyBundle(b, { trustedRoot: ROOT, content: bytes("page 2\n") })).failure?.code).to.equal("CONTENT_MISMATCH");
  });

  it("is not run when an earlier check failed (the first failure stops verification)", async function () {
    const r = await verifyBundle(bundles[2]!, { trustedRoot: "0".repeat(64), content: bytes("page 3") });
    expect(r.failure).to.include({ check: "trusted-root", code: "ROOT_MISMATCH" });
    expect(r.checks.map((c) => c.name)).to.not.include("content");
  });

  it("content that cannot be read rejects the call (it says nothing about the bundle); a digest of the wrong form is INVALID_CONFIG", async function () {
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error("disk on fire"), { code: "EIO" }));
      },
    });
    const err = await verifyBundle(bundles[0]!, { trustedRoot: ROOT, content: failing }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as Error | null)?.message).to.equal("disk on fire");
    const missing = await verifyBundle(bundles[0]!, { trustedRoot: ROOT, content: sha256File(path.join(dir, "nope")) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(missing).to.be.instanceOf(ProvenanceError);
    expect((missing as ProvenanceError).code).to.equal("IO_ERROR");
    expect((missing as Error).message).to.equal(`cannot read the content file ${path.join(dir, "nope")}: ENOENT`);
    const dirErr = await sha256File(dir).catch((e: unknown) => e);
    expect((dirErr as Error).message).to.contain("it is a directory");
    const bad = await verifyBundle(bundles[0]!, { trustedRoot: ROOT, content: { sha256: "XYZ", bytes: 1 } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((bad as ProvenanceError | null)?.code).to.equal("INVALID_CONFIG");
  });

  it("is for one bundle: verifyBundles refuses it", async function () {
    const err = await verifyBundles(bundles.map((json, i) => ({ line: i + 1, json })), { trustedRoot: ROOT, content: bytes("page 0") }).catch((e: unknown) => e);
    expect((err as ProvenanceError).code).to.equal("INVALID_CONFIG");
  });

  it("hashes a file of many chunks in bounded pieces: digestContent, sha256File and node:crypto agree", async function () {
    const big = Buffer.alloc(5 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i += 97) big[i] = i & 0xff;
    const file = path.join(dir, "big");
    writeFileSync(file, big);
    const expected = createHash("sha256").update(big).digest("hex");
    expect(await sha256File(file)).to.deep.equal({ sha256: expected, bytes: big.length });
    expect(await digestContent(createReadStream(file, { highWaterMark: 64 * 1024 }))).to.deep.equal({ sha256: expected, bytes: big.length });
    expect(await digestContent(new Uint8Array(big))).to.deep.equal({ sha256: expected, bytes: big.length });
    expect(contentCheck(expected, { sha256: expected, bytes: big.length }).ok).to.equal(true);
  });
});
