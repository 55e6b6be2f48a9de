/**
 * `provenance verify MANIFEST` at dataset scale, as a process: trusted roots per batch from a
 * file (`--roots`), a bundle of a batch without one (UNTRUSTED_BATCH), a roots file that is not
 * one (usage error naming the line); the worker pool and the single-thread path (`--workers 0`)
 * giving the same report; the notice when the native addon is off, and the failure instead under
 * PROVENANCE_REQUIRE_NATIVE=1; the progress bar with its ETA on a terminal (a pseudo-terminal).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { InclusionBundle } from "@provenance/client-sdk";
import { FAKE_ANCHOR, bundlesFor, loadVector } from "../client-sdk/test/helpers/bundles.js";
import { BASE_TS, testNode, testRecord } from "./support/fixtures.js";
import { BIN, cli, cliBin, expectExit } from "./support/cli.js";

describe("provenance verify: datasets over several batches", function () {
  this.timeout(600_000);
  let work: string;
  const vector = loadVector();
  // Batch 0: the test vector's records; batches 1 and 2: records of another node.
  const batch0 = bundlesFor(vector.records, vector.batchLevels, vector, FAKE_ANCHOR);
  const node = testNode("cli-dataset");
  const statement = { registryRoot: "0".repeat(64), minTs: BASE_TS, maxTs: BASE_TS + 100_000_000 };
  const batch1 = bundlesFor(Array.from({ length: 5 }, (_, i) => testRecord(node, i).record), 3, statement, { ...FAKE_ANCHOR, batchIndex: 1 });
  const batch2 = bundlesFor(Array.from({ length: 2 }, (_, i) => testRecord(node, 10 + i).record), 1, statement, { ...FAKE_ANCHOR, batchIndex: 2 });
  const all: InclusionBundle[] = [...batch0, ...batch1, ...batch2];
  const rootLine = (batch: number, root: string) => JSON.stringify({ batch, root });

  before(function () {
    cliBin();
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-cli-dataset-"));
    writeFileSync(path.join(work, "dataset.jsonl"), all.map((b) => JSON.stringify(b)).join("\n") + "\n");
    writeFileSync(path.join(work, "roots.jsonl"), ["# batch roots the buyer trusts", rootLine(0, vector.batchRoot), rootLine(1, batch1[0]!.batch.batchRoot), rootLine(2, batch2[0]!.batch.batchRoot)].join("\n") + "\n");
    // Batch 1's root wrong, batch 2 missing.
    writeFileSync(path.join(work, "roots-bad.jsonl"), [rootLine(0, vector.batchRoot), rootLine(1, "1".repeat(64))].join("\n") + "\n");
  });
  after(function () {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("--roots: every batch against its own trusted root", async function () {
    const run = await cli(["verify", "dataset.jsonl", "--roots", "roots.jsonl"], { cwd: work });
    expectExit(run, 0, "verify --roots");
    expect(run.stdout).to.contain(`dataset.jsonl: ${all.length}/${all.length} bundles valid across 3 batch(es)`);
  });

  it("--roots with one root wrong and one batch missing: ROOT_MISMATCH and UNTRUSTED_BATCH by line; the same report on one thread (--workers 0)", async function () {
    const pool = await cli(["verify", "dataset.jsonl", "--roots", "roots-bad.jsonl", "--json", "--max-failures", "100", "--workers", "2"], { cwd: work });
    expectExit(pool, 1, "verify --roots (bad)");
    const report = pool.json as { total: number; passed: number; failed: number; byCode: Record<string, number>; failures: { line: number; code: string; check: string; batchIndex: number; message: string }[]; elapsedMs?: number };
    expect(report).to.include({ ok: false, total: all.length, passed: batch0.length, failed: batch1.length + batch2.length });
    expect(report.byCode).to.deep.equal({ ROOT_MISMATCH: batch1.length, UNTRUSTED_BATCH: batch2.length });
    expect(report.failures.map((f) => f.line)).to.deep.equal(Array.from({ length: batch1.length + batch2.length }, (_, i) => batch0.length + 1 + i));
    const untrusted = report.failures.at(-1)!;
    expect(untrusted).to.include({ code: "UNTRUSTED_BATCH", check: "trusted-root", batchIndex: 2 });
    expect(untrusted.message).to.equal("batch 2 has no trusted root: the 2 trusted root(s) given are for other batches (add this batch's root to the list, or verify against the chain)");

    const single = await cli(["verify", "dataset.jsonl", "--roots", "roots-bad.jsonl", "--json", "--max-failures", "100", "--workers", "0"], { cwd: work });
    expectExit(single, 1, "verify --roots --workers 0");
    const { elapsedMs: _a, ...a } = report;
    const { elapsedMs: _b, ...b } = single.json as typeof report;
    expect(b).to.deep.equal(a);

    const human = await cli(["verify", "dataset.jsonl", "--roots", "roots-bad.jsonl"], { cwd: work });
    expectExit(human, 1, "verify --roots (bad), for people");
    expect(human.stdout).to.match(new RegExp(` {5}${batch1.length} {2}ROOT_MISMATCH`)).and.match(new RegExp(` {5}${batch2.length} {2}UNTRUSTED_BATCH`));
    expect(human.stdout).to.contain(`line ${all.length} (`);
  });

  it("a roots file that is not one is a usage error naming the file and line; an unreadable one exits 3", async function () {
    const bad: [string, string][] = [
      ['{"batch": 0}', 'missing field "root"'],
      ['{"batch": -1, "root": "' + "0".repeat(64) + '"}', '"batch" must be a non-negative integer'],
      ['{"batch": 0, "root": "' + "0".repeat(63) + '"}', '"root" must be 64 lowercase hex characters'],
      ['{"batch": 0, "root": "' + "f".repeat(64) + '"}', '"root" is not below the BN254 field modulus'],
      ['{"batch": 0, "root": "' + "0".repeat(64) + '", "note": 1}', 'unknown field "note"'],
      ["[0]", "not a JSON object (an array)"],
      ["{oops", "not JSON"],
    ];
    for (const [line, why] of bad) {
      writeFileSync(path.join(work, "roots-broken.jsonl"), `${rootLine(0, vector.batchRoot)}\n${line}\n`);
      const run = await cli(["verify", "dataset.jsonl", "--roots", "roots-broken.jsonl"], { cwd: work });
      expectExit(run, 2, `roots file line ${line}`);
      expect(run.stderr).to.contain(`roots-broken.jsonl line 2: ${why}`);
    }
    writeFileSync(path.join(work, "roots-twice.jsonl"), `${rootLine(0, vector.batchRoot)}\n${rootLine(0, "2".repeat(64))}\n`);
    const twice = await cli(["verify", "dataset.jsonl", "--roots", "roots-twice.jsonl"], { cwd: work });
    expectExit(twice, 2, "two roots for one batch");
    expect(twice.stderr).to.contain("roots-twice.jsonl line 2: batch 0 is given root 2222").and.contain("roots-twice.jsonl line 1 gave it");
    writeFileSync(path.join(work, "roots-empty.jsonl"), "# nothing\n\n");
    const empty = await cli(["verify", "dataset.jsonl", "--roots", "roots-empty.jsonl"], { cwd: work });
    expectExit(empty, 2, "an empty roots file");
    expect(empty.stderr).to.contain("holds no trusted roots");
    const missing = await cli(["verify", "dataset.jsonl", "--roots", "no-such-file.jsonl"], { cwd: work });
    expectExit(missing, 3, "a missing roots file");
    expect(missing.stderr).to.contain("cannot read").and.contain("no-such-file.jsonl: ENOENT");
    const both = await cli(["verify", "dataset.jsonl", "--roots", "roots.jsonl", "--root", vector.batchRoot], { cwd: work });
    expectExit(both, 2, "--root with --roots");
    const workers = await cli(["verify", "dataset.jsonl", "--roots", "roots.jsonl", "--workers", "two"], { cwd: work });
    expectExit(workers, 2, "--workers two");
    expect(workers.stderr).to.contain("--workers must be a non-negative integer");
  });

  it("without the native addon: a notice and the same report; under PROVENANCE_REQUIRE_NATIVE=1 a failure instead", async function () {
    const off = await cli(["verify", "dataset.jsonl", "--roots", "roots-bad.jsonl", "--json", "--workers", "1"], { cwd: work, env: { PROVENANCE_EDDSA_NATIVE: "0", PROVENANCE_REQUIRE_NATIVE: "0" } }); // CI sets it to 1
    expectExit(off, 1, "verify without the addon");
    expect(off.stderr).to.contain("notice: native bundle verification is unavailable (disabled by PROVENANCE_EDDSA_NATIVE=0)").and.contain("same results, slower");
    const on = await cli(["verify", "dataset.jsonl", "--roots", "roots-bad.jsonl", "--json", "--workers", "2"], { cwd: work });
    const strip = (r: Record<string, unknown> | undefined) => ({ ...r, elapsedMs: 0 });
    expect(strip(off.json)).to.deep.equal(strip(on.json));
    const required = await cli(["verify", "dataset.jsonl", "--roots", "roots.jsonl", "--workers", "2"], { cwd: work, env: { PROVENANCE_EDDSA_NATIVE: "0", PROVENANCE_REQUIRE_NATIVE: "1" } });
    expect(required.code, required.stderr).to.not.equal(0);
    expect(required.stderr).to.contain("PROVENANCE_REQUIRE_NATIVE=1");
    expect(required.stdout).to.not.contain("bundles valid");
  });

  it("on a terminal: a progress bar with an ETA while it runs, the final count at the end", function () {
    // A pseudo-terminal (util-linux `script`): stderr is a TTY, as for a person at a shell.
    const probe = spawnSync("script", ["--version"], { encoding: "utf8" });
    if (probe.status !== 0) this.skip();
    // Over 512 KiB: the worker pool by default.
    const lines = Array.from({ length: 400 }, () => all).flat();
    writeFileSync(path.join(work, "many.jsonl"), lines.map((b) => JSON.stringify(b)).join("\n") + "\n");
    const command = `${BIN} verify many.jsonl --roots roots.jsonl`;
    const run = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: work, encoding: "utf8", timeout: 300_000, env: { ...process.env, COLUMNS: "120" } });
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.match(/verifying \[[#-]+\] 1\/\d+ {2}0 failed {2}\d+\/s {2}ETA /);
    expect(run.stdout).to.contain(`${lines.length}/${lines.length}  0 failed`);
    expect(run.stdout).to.contain(`many.jsonl: ${lines.length}/${lines.length} bundles valid across 3 batch(es)`);
    expect(statSync(path.join(work, "many.jsonl")).size).to.be.greaterThan(512 * 1024);
  });
});
