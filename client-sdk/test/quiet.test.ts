/**
 * The library writes to no terminal unless asked: `verifyManifest` on a terminal draws its
 * progress bar only with `progress: true` (the CLI asks; a library caller gets `onProgress`).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { verifyManifest } from "../src/node/index.js";
import { FAKE_ANCHOR, bundlesFor, loadVector } from "./helpers/bundles.js";

describe("no terminal output unless asked", function () {
  const vector = loadVector();
  let dir: string;
  let file: string;

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "provenance-quiet-"));
    file = path.join(dir, "dataset.jsonl");
    writeFileSync(file, bundlesFor(vector.records, vector.batchLevels, vector, FAKE_ANCHOR).map((b) => JSON.stringify(b)).join("\n") + "\n");
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `fn` with stderr pretending to be a terminal; returns what was written to it. */
  async function stderrOf(fn: () => Promise<unknown>): Promise<string> {
    const stderr = process.stderr as NodeJS.WriteStream & { isTTY: boolean };
    const wasTTY = stderr.isTTY;
    const write = stderr.write;
    let written = "";
    stderr.isTTY = true;
    stderr.write = ((chunk: string | Uint8Array) => ((written += String(chunk)), true)) as typeof stderr.write;
    try {
      await fn();
    } finally {
      stderr.write = write;
      stderr.isTTY = wasTTY;
    }
    return written;
  }

  it("verifyManifest on a terminal writes nothing by default, and reports through onProgress", async function () {
    const seen: number[] = [];
    let report;
    const written = await stderrOf(async () => (report = await verifyManifest(file, { trustedRoot: vector.batchRoot, onProgress: (done) => seen.push(done) })));
    expect(written).to.equal("");
    expect(report!).to.include({ total: vector.records.length, passed: vector.records.length });
    expect(seen.at(-1)).to.equal(vector.records.length);
  });

  it("with progress: true it draws the bar on the terminal", async function () {
    const written = await stderrOf(() => verifyManifest(file, { trustedRoot: vector.batchRoot, progress: true }));
    expect(written).to.contain("verifying").and.contain(`${vector.records.length}/${vector.records.length}`);
  });
});
