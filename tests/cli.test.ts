/**
 * The `provenance` CLI as a process, without an anchoring sequencer: --help on every verb, exit
 * codes (usage 2, unreachable 3, failed check 1), keygen, offline verification of real bundles
 * and manifests, the local chain in the foreground (stopped by Ctrl-C), and the registry verbs
 * against a real sequencer (started without a chain client).
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadConfig } from "@provenance/sequencer";
import { Sequencer } from "@provenance/sequencer";
import { quietLogger } from "../sequencer/test/helpers.js";
import { FAKE_ANCHOR, bundlesFor, loadVector } from "../client-sdk/test/helpers/bundles.js";
import { BIN, REPO, cli, cliBin, expectExit } from "./support/cli.js";
import { plainHttpWarning } from "@provenance/cli/output";
import { CliContext, allCommands, buildProgram, commandPath, main } from "@provenance/cli";
import type { Command } from "commander";

const VERBS = [["keygen"], ["submit"], ["status"], ["proof"], ["verify"], ["audit"], ["localnet"], ["nodes"], ["nodes", "add"], ["nodes", "revoke"], ["nodes", "list"], ["nodes", "get"]];

describe("provenance CLI: secrets over the wire", () => {
  it("warns before a token goes over plain HTTP to another machine, not to this one or over https", () => {
    expect(plainHttpWarning("http://sequencer.example.com:8080", "the admin token")).to.equal(
      "warning: sending the admin token over plain HTTP to sequencer.example.com:8080: anyone on the path can read it; use an https:// sequencer URL",
    );
    expect(plainHttpWarning("http://10.1.2.3", "the admin token")).to.match(/^warning: sending the admin token over plain HTTP to 10\.1\.2\.3/);
    for (const quiet of ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "https://sequencer.example.com"]) {
      expect(plainHttpWarning(quiet, "the admin token"), quiet).to.equal(null);
    }
  });
});

describe("provenance CLI", function () {
  this.timeout(300_000);
  let work: string;
  const vector = loadVector();
  const bundles = bundlesFor(vector.records, vector.batchLevels, vector, FAKE_ANCHOR);

  before(function () {
    cliBin();
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-cli-"));
    bundles.forEach((b, i) => writeFileSync(path.join(work, `bundle-${i}.json`), JSON.stringify(b, null, 2) + "\n"));
    writeFileSync(path.join(work, "two.jsonl"), bundles.slice(0, 2).map((b) => JSON.stringify(b)).join("\n") + "\n");
  });
  after(function () {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("is linked by npm install as node_modules/.bin/provenance", function () {
    expect(statSync(BIN).isFile()).to.equal(true);
    expect(readFileSync(BIN, "utf8")).to.contain("tsx/esm/api");
  });

  it("--help on the program and on every verb, with the exit codes", async function () {
    const top = await cli(["--help"]);
    expectExit(top, 0, "--help");
    for (const verb of ["keygen", "submit", "status", "proof", "verify", "audit", "nodes", "localnet"]) expect(top.stdout).to.contain(verb);
    expect(top.stdout).to.contain("Exit codes:").and.contain("PROVENANCE_SEQUENCER_URL");
    const runs = await Promise.all(VERBS.map((v) => cli([...v, "--help"])));
    runs.forEach((run, i) => {
      expectExit(run, 0, `${VERBS[i]!.join(" ")} --help`);
      expect(run.stdout, VERBS[i]!.join(" ")).to.contain(`Usage: provenance ${VERBS[i]!.join(" ")}`);
      if (VERBS[i]!.join(" ") !== "nodes") expect(run.stdout, VERBS[i]!.join(" ")).to.contain("Exit codes:");
    });
  });

  it("every registered verb's --help has Examples: real command lines, each naming registered verbs and their options", async function () {
    const io = () => {
      let text = "";
      const sink = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
      return { io: { stdout: sink, stderr: sink, env: {}, cwd: work }, text: () => text };
    };
    const program = buildProgram(new CliContext(io().io, false));
    const verbs = allCommands(program);
    // The buyer's verbs are among them (registered in main.ts), and the old ones.
    expect(verbs.map(commandPath)).to.include.members(["search", "manifest", "batches", "batch", "info", "verify", "proof", "submit", "audit", "nodes add", "admin init", "registry push"]);
    /** The command a line's `provenance a b …` names, and its flags, each checked to exist. */
    const checkLine = (line: string, where: string): string[] => {
      const named: string[] = [];
      for (const segment of line.replace(/#.*$/, "").split("|")) {
        const tokens = segment.replace(/^\s*[A-Z]+=\$\(/, "").replace(/\)\s*$/, "").trim().split(/\s+/);
        if (tokens[0] !== "provenance") throw new Error(`${where}: example segment ${JSON.stringify(segment)} does not start with provenance`);
        // Options (global ones before the verb too) must be the command's or the program's;
        // a word after the command's name is a subcommand while it has one of that name.
        let cmd: Command = program;
        let words = true;
        for (let i = 1; i < tokens.length; i++) {
          const t = tokens[i]!;
          if (t.startsWith("-") && t !== "-") {
            const flag = t.split("=")[0]!;
            const option = [...cmd.options, ...program.options].find((o) => o.long === flag || o.short === flag || o.long === flag.replace(/^--no-/, "--"));
            expect(option, `${where}: ${flag} is not an option of provenance ${commandPath(cmd) || "(the program)"} (${segment.trim()})`).to.not.equal(undefined);
            if ((option!.required || option!.optional) && !t.includes("=")) i++;
            continue;
          }
          const sub = words ? cmd.commands.find((c) => c.name() === t) : undefined;
          if (sub) cmd = sub;
          else words = false;
        }
        expect(cmd, `${where}: ${segment}`).to.not.equal(program);
        named.push(commandPath(cmd));
      }
      return named;
    };
    for (const verb of verbs) {
      const verbPath = commandPath(verb);
      const out = io();
      expect(await main([...verbPath.split(" "), "--help"], out.io), verbPath).to.equal(0);
      const help = out.text();
      expect(help, `${verbPath} --help`).to.contain(`Usage: provenance ${verbPath}`);
      const at = help.indexOf("\nExamples:\n");
      expect(at, `${verbPath} --help has no Examples: section`).to.be.greaterThan(-1);
      // One section: a verb that writes its own is left out of cli/src/examples.ts.
      expect(help.split("\nExamples:\n").length - 1, `${verbPath} --help has more than one Examples: section`).to.equal(1);
      const lines = help
        .slice(at + 11)
        .split("\n")
        .filter((l) => /^ {2}(provenance |[A-Z]+=\$\(provenance )/.test(l))
        .map((l) => l.trim());
      expect(lines.length, `${verbPath}: example lines`).to.be.greaterThan(0);
      const named = lines.flatMap((l) => checkLine(l, verbPath));
      // At least one example runs the verb itself (a group: one of its verbs).
      expect(named.some((n) => n === verbPath || n.startsWith(`${verbPath} `)), `${verbPath}: no example runs it (${named.join(", ")})`).to.equal(true);
    }
  });

  it("--version prints the CLI's version and the protocol's format versions", async function () {
    const pkg = JSON.parse(readFileSync(path.join(REPO, "cli", "package.json"), "utf8")) as { version: string };
    const run = await cli(["--version"]);
    expectExit(run, 0, "--version");
    expect(run.stdout).to.match(new RegExp(`^provenance ${pkg.version.replace(/\./g, "\\.")} \\(@provenance/cli; @provenance/client-sdk \\d+\\.\\d+\\.\\d+\\)\n`));
    expect(run.stdout).to.contain("record v1, bundle v1 and v2, receipts provenance.receipt.v1 and provenance.receipt.v2, batch chain provenance.batch.v1");
    const json = await cli(["--version", "--json"]);
    expectExit(json, 0, "--version --json");
    expect(json.json).to.deep.include({ cli: pkg.version, protocol: { record: 1, bundle: [1, 2], receipt: ["provenance.receipt.v1", "provenance.receipt.v2"], batchChain: "provenance.batch.v1" } });
    expectExit(await cli(["-V"]), 0, "-V");
  });

  it("info prints a bundle offline: record, id, batch, root, leaf, anchor; --json; a malformed file is refused", async function () {
    // Services that do not exist: info must not need them.
    const env = { PROVENANCE_SEQUENCER_URL: "http://127.0.0.1:9", PROVENANCE_RPC_URL: "http://127.0.0.1:9" };
    const b = bundles[1]!;
    const run = await cli(["info", "bundle-1.json"], { cwd: work, env });
    expectExit(run, 0, "info");
    expect(run.stdout).to.contain(`bundle v1 of record ${b.id}`);
    expect(run.stdout).to.contain(`url            ${b.record.url}`).and.contain(`content hash   ${b.record.contentHash}`).and.contain(`node           ${b.record.nodeId}`);
    expect(run.stdout).to.contain(`fetched        ${new Date(b.record.timestamp).toISOString()}`).and.contain("signed         alone");
    expect(run.stdout).to.contain(`batch          ${b.batch.index}: ${b.batch.count} record(s)`).and.contain(`batch root     ${b.batch.batchRoot}`).and.contain(`leaf index     ${b.leafIndex}`);
    expect(run.stdout).to.contain(`anchored       transaction ${b.txSignature}`).and.contain("not verified: `provenance verify bundle-1.json`");
    const json = await cli(["info", "bundle-1.json", "--json"], { cwd: work, env });
    expectExit(json, 0, "info --json");
    expect(json.json).to.deep.include({ ok: true, kind: "bundle", id: b.id, version: 1, record: b.record, batch: b.batch, leafIndex: b.leafIndex, anchor: { programId: b.programId, cluster: b.cluster, txSignature: b.txSignature, slot: b.slot } });
    writeFileSync(path.join(work, "not-a-bundle.json"), JSON.stringify({ ...b, v: 7 }));
    const bad = await cli(["info", "not-a-bundle.json"], { cwd: work, env });
    expectExit(bad, 1, "info on a malformed bundle");
    expect(bad.stderr).to.contain("not-a-bundle.json is not a well-formed bundle: bundle version must be 1 or 2, got 7").and.contain("[INVALID_BUNDLE]");
    writeFileSync(path.join(work, "array.json"), "[1, 2]");
    const array = await cli(["info", "array.json"], { cwd: work, env });
    expectExit(array, 2, "info on an array");
    expect(array.stderr).to.contain("array.json holds an array, not a bundle");
    // A manifest: one bundle picked by its line, as verify numbers them.
    const manifest = await cli(["info", "two.jsonl"], { cwd: work, env });
    expectExit(manifest, 2, "info on a manifest");
    expect(manifest.stderr).to.contain("two.jsonl is a manifest (one bundle per line): pick one with --line N");
    const line2 = await cli(["info", "two.jsonl", "--line", "2", "--json"], { cwd: work, env });
    expectExit(line2, 0, "info --line 2");
    expect(line2.json).to.deep.include({ id: b.id, batch: b.batch });
    expectExit(await cli(["info", "two.jsonl", "--line", "3"], { cwd: work, env }), 2, "info --line past the end");
    const missing = await cli(["info", "missing.json"], { cwd: work, env });
    expectExit(missing, 3, "info on a missing file");
    expect(missing.stderr).to.contain(`cannot read ${path.join(work, "missing.json")}: ENOENT`).and.contain("[IO_ERROR]");
  });

  it("verify --content re-hashes the fetched file: passes for the record's content, CONTENT_MISMATCH with both hashes for another", async function () {
    // The vector's record 1 is the SHA-256 of "page 1" (tests/support/fixtures.ts).
    writeFileSync(path.join(work, "page-1.html"), "page 1");
    writeFileSync(path.join(work, "page-2.html"), "page 2");
    const b = bundles[1]!;
    const ok = await cli(["verify", "bundle-1.json", "--root", vector.batchRoot, "--content", "page-1.html"], { cwd: work });
    expectExit(ok, 0, "verify --content with the right file");
    expect(ok.stdout).to.match(/ok {3}content {10}SHA-256 of the content \(6 bytes\) is the record's contentHash/);
    expect(ok.stdout).to.contain("content: the file's SHA-256 (6 bytes) is the record's contentHash");
    const json = await cli(["verify", "bundle-1.json", "--root", vector.batchRoot, "--content", "page-1.html", "--json"], { cwd: work });
    expect(json.json).to.deep.include({ ok: true, content: { sha256: b.record.contentHash, bytes: 6 } });
    expect((json.json!.checks as { name: string }[]).map((c) => c.name).at(-1)).to.equal("content");

    const other = await cli(["verify", "bundle-1.json", "--root", vector.batchRoot, "--content", "page-2.html", "--json"], { cwd: work });
    expectExit(other, 1, "verify --content with another file");
    const failure = other.json!.failure as { code: string; check: string; message: string };
    expect(failure).to.include({ code: "CONTENT_MISMATCH", check: "content" });
    const otherHash = (await import("node:crypto")).createHash("sha256").update("page 2").digest("hex");
    expect(failure.message).to.equal(`SHA-256 of the content (6 bytes) is ${otherHash}, but the record's contentHash is ${b.record.contentHash}: this is not the content the node signed`);
    const human = await cli(["verify", "bundle-1.json", "--root", vector.batchRoot, "--content", "page-2.html"], { cwd: work });
    expectExit(human, 1, "verify --content with another file (human)");
    expect(human.stdout).to.contain("INVALID (CONTENT_MISMATCH, content check)");

    // A file that cannot be read is no failed check: exit 3 (missing) or 2 (a directory), nothing verified.
    const missing = await cli(["verify", "bundle-1.json", "--root", vector.batchRoot, "--content", "nope.html"], { cwd: work });
    expectExit(missing, 3, "verify --content with a missing file");
    expect(missing.stderr).to.contain(`cannot read the content file ${path.join(work, "nope.html")}: ENOENT`);
    expect(missing.stdout).to.not.contain("ok   format");
    mkdirSync(path.join(work, "a-dir"), { recursive: true });
    const dir = await cli(["verify", "bundle-1.json", "--root", vector.batchRoot, "--content", "a-dir"], { cwd: work });
    expectExit(dir, 2, "verify --content with a directory");
    expect(dir.stderr).to.contain("is a directory: give the fetched file");
  });

  it("usage errors exit 2 and say what is wrong", async function () {
    const cases: [string[], RegExp][] = [
      [["bogus"], /unknown command 'bogus'/],
      [["verify"], /missing required argument 'file'/],
      [["status", "xyz"], /record id must be 64 lowercase hex characters/],
      [["submit", "--url", "https://x.test/"], /signing needs the node's key: --key FILE/],
      [["submit", "--url", "https://x.test/", "--records", "r.jsonl"], /exactly one of --url/],
      [["verify", "bundle-0.json", "--root", "nothex"], /--root must be 64 lowercase hex/],
      [["verify", "bundle-0.json", "--concurrency", "0"], /--concurrency must be an integer/],
      [["audit", "--grace", "soon"], /--grace must be a number of seconds/],
      [["verify", "bundle-0.json", "--commitment", "processed"], /argument 'processed' is invalid\. Allowed choices are confirmed, finalized/],
      // The key the audited sequencer serves is no evidence: the auditor pins it.
      [["audit", "--receipts", "receipts.jsonl"], /--receipts needs --receipt-key HEX.*it could serve another one/],
      [["search"], /give at least one filter: --url URL, --content-hash HEX, --content FILE or --node NODEID/],
      [["search", "--url", "https://x.test/", "--limit", "5", "--all"], /give --limit N or --all, not both/],
      [["search", "--content-hash", "XYZ"], /--content-hash must be 64 lowercase hex/],
      [["search", "--node", "ab"], /--node must be 64 lowercase hex/],
      [["search", "--url", "https://x.test/", "--jsonl", "--ids"], /give one output form: --json, --jsonl or --ids/],
      [["manifest"], /give the records one way: ids as arguments, --ids FILE/],
      [["manifest", "ab".repeat(32), "--url", "https://x.test/"], /give the records one way/],
      [["manifest", "xyz"], /record id must be 64 lowercase hex characters/],
      [["manifest", "ab".repeat(32), "--json"], /--json prints the report on stdout, where the manifest goes without --out: pass --out FILE/],
      [["batch", "x1"], /batch index must be a batch index \(an integer ≥ 0\)/],
      [["batches", "--all", "--from", "3"], /--all lists every batch: not with --from or --limit/],
      [["verify", "two.jsonl", "--content", "bundle-0.json"], /--content checks one bundle's content, and two.jsonl is a manifest/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args, { cwd: work })));
    runs.forEach((run, i) => {
      expectExit(run, 2, cases[i]![0].join(" "));
      // With --json the error is the JSON on stdout.
      const said = cases[i]![0].includes("--json") ? (run.json!.error as { message: string }).message : run.stderr;
      expect(said, cases[i]![0].join(" ")).to.match(cases[i]![1]);
    });
  });

  it("keygen writes a 0600 key file and refuses to overwrite it", async function () {
    const nested = await cli(["keygen", "--out", "keys/node.json", "--json"], { cwd: work });
    expectExit(nested, 0, "keygen into a new directory");
    expect(statSync(path.join(work, "keys")).mode & 0o777).to.equal(0o700);
    writeFileSync(path.join(work, "a-file"), "");
    const unwritable = await cli(["keygen", "--out", "a-file/node.json"], { cwd: work });
    expectExit(unwritable, 3, "keygen where nothing can be written");
    expect(unwritable.stderr).to.contain("cannot create the directory of").and.contain("[IO_ERROR]");
    const ok = await cli(["keygen", "--out", "node.json", "--json"], { cwd: work });
    expectExit(ok, 0, "keygen");
    expect(ok.json!.publicKey).to.match(/^[0-9a-f]{64}$/);
    expect(statSync(path.join(work, "node.json")).mode & 0o777).to.equal(0o600);
    const key = JSON.parse(readFileSync(path.join(work, "node.json"), "utf8")) as { nodeId: string };
    expect(key.nodeId).to.equal(ok.json!.nodeId);
    const again = await cli(["keygen", "--out", "node.json"], { cwd: work });
    expectExit(again, 2, "keygen over an existing key");
    expect(again.stderr).to.contain("refusing to overwrite a node key (pass --force");
  });

  it("verify --root: a real bundle passes offline; a changed one fails with the check that caught it", async function () {
    const ok = await cli(["verify", "bundle-1.json", "--root", vector.batchRoot], { cwd: work });
    expectExit(ok, 0, "verify --root");
    expect(ok.stdout).to.contain("VALID: record").and.contain("the trusted root");
    for (const check of ["format", "signature", "leaf", "path", "window", "trusted-root"]) expect(ok.stdout).to.match(new RegExp(`ok {3}${check}`));

    const wrongRoot = await cli(["verify", "bundle-1.json", "--root", "0".repeat(64), "--json"], { cwd: work });
    expectExit(wrongRoot, 1, "verify against another root");
    expect(wrongRoot.json).to.deep.include({ ok: false, failure: { code: "ROOT_MISMATCH", check: "trusted-root", message: `bundle's batchRoot ${vector.batchRoot} is not the trusted root ${"0".repeat(64)}` } });

    const text = readFileSync(path.join(work, "bundle-1.json"), "utf8");
    const at = text.indexOf('"url": "') + 10;
    writeFileSync(path.join(work, "changed.json"), text.slice(0, at) + "X" + text.slice(at + 1));
    const changed = await cli(["verify", "changed.json", "--root", vector.batchRoot], { cwd: work });
    expectExit(changed, 1, "verify a changed bundle");
    expect(changed.stdout).to.contain("INVALID (BAD_SIGNATURE, signature check): record signature does not verify");
  });

  it("verify on a manifest: a summary by reason, the failing lines, exit 1", async function () {
    const lines = bundles.map((b) => JSON.stringify(b));
    lines.push("{not json");
    lines.push(JSON.stringify({ ...bundles[0], leafIndex: 2 }));
    writeFileSync(path.join(work, "dataset.jsonl"), lines.join("\n") + "\n");
    const run = await cli(["verify", "dataset.jsonl", "--root", vector.batchRoot], { cwd: work });
    expectExit(run, 1, "verify manifest");
    expect(run.stdout).to.contain("dataset.jsonl: 3/5 bundles valid");
    expect(run.stdout).to.match(/1 {2}INVALID_BUNDLE/).and.match(/1 {2}INDEX_MISMATCH/);
    expect(run.stdout).to.contain("line 4: INVALID_BUNDLE: line 4 is not JSON");
    expect(run.stdout).to.contain("line 5 (");
    const good = lines.slice(0, 3).join("\n") + "\n";
    writeFileSync(path.join(work, "good.jsonl"), good);
    const pass = await cli(["verify", "good.jsonl", "--root", vector.batchRoot, "--json"], { cwd: work });
    expectExit(pass, 0, "verify good manifest");
    expect(pass.json).to.include({ ok: true, total: 3, passed: 3 });
  });

  it("unreachable services exit 3 with the URL and what to do", async function () {
    const rpc = await cli(["verify", "bundle-0.json", "--rpc", "http://127.0.0.1:9"], { cwd: work });
    expectExit(rpc, 3, "verify against a dead RPC");
    expect(rpc.stdout).to.contain("NOT CHECKED: cannot reach the Solana RPC at http://127.0.0.1:9").and.contain("hint: pass --rpc URL or set PROVENANCE_RPC_URL");
    const seq = await cli(["status", "0".repeat(64), "--sequencer", "http://127.0.0.1:9"], { cwd: work, timeoutMs: 120_000 });
    expectExit(seq, 3, "status against a dead sequencer");
    expect(seq.stderr).to.contain("cannot reach the sequencer at http://127.0.0.1:9").and.contain("hint: pass --sequencer URL or set PROVENANCE_SEQUENCER_URL");
    const missing = await cli(["verify", "nope.json"], { cwd: work });
    expectExit(missing, 3, "verify a missing file");
    expect(missing.stderr).to.contain("cannot read").and.contain("ENOENT");
  });

  describe("against a sequencer without a chain client", function () {
    let seq: Sequencer;
    const ADMIN = "cli-test-admin-token-0123456789";

    before(async function () {
      const config = loadConfig({}, { dataDir: path.join(work, "seq"), circuit: "test", listen: "127.0.0.1:0", adminToken: ADMIN, verifyWorkers: 0 });
      seq = await Sequencer.start(config, { logger: quietLogger(), submitter: null, defaultMetrics: false });
    });
    after(async function () {
      await seq?.stop();
    });

    it("nodes add (token from the environment), get, revoke; status and proof of an unanchored record", async function () {
      const env = { PROVENANCE_SEQUENCER_URL: seq.url, PROVENANCE_ADMIN_TOKEN: ADMIN };
      const add = await cli(["nodes", "add", "--key", "node.json", "--json"], { cwd: work, env });
      expectExit(add, 0, "nodes add");
      const nodeId = add.json!.nodeId as string;
      const dup = await cli(["nodes", "add", "--key", "node.json"], { cwd: work, env });
      expectExit(dup, 1, "nodes add twice");
      expect(dup.stderr).to.contain("409");

      const submit = await cli(["submit", "--key", "node.json", "--url", "https://example.com/cli", "--content-hash", "ab".repeat(32), "--timestamp", String(Date.now() - 5000), "--json"], { cwd: work, env });
      expectExit(submit, 0, "submit");
      const rec = (submit.json!.records as { id: string; seq: number; receipt: { sequencerKey: string } }[])[0]!;
      expect(rec.receipt.sequencerKey).to.equal(seq.receiptKey);

      const wrongKey = await cli(["submit", "--key", "node.json", "--url", "https://example.com/cli2", "--content-hash", "cd".repeat(32), "--receipt-key", "11".repeat(32)], { cwd: work, env });
      expectExit(wrongKey, 1, "submit with another pinned receipt key");
      expect(wrongKey.stderr).to.contain("not the sequencer's pinned key");

      const proof = await cli(["proof", rec.id], { cwd: work, env });
      expectExit(proof, 1, "proof of an unanchored record");
      expect(proof.stderr).to.match(/record [0-9a-f]{64} is (pending|batched|proven); its inclusion proof bundle exists once its batch is anchored; retry later or pass --wait/);

      const revoke = await cli(["nodes", "revoke", nodeId, "--json"], { cwd: work, env });
      expectExit(revoke, 0, "nodes revoke");
      expect(revoke.json).to.include({ nodeId, status: "revoked" });
      const get = await cli(["nodes", "get", nodeId, "--json"], { cwd: work, env });
      expect(get.json).to.include({ status: "revoked" });
      const list = await cli(["nodes", "list", "--json"], { cwd: work, env });
      expectExit(list, 0, "nodes list");
      expect(list.json!.nodes).to.deep.equal([{ nodeId, slot: 0, status: "revoked" }]);
      expect(list.json!.registryRoot).to.equal(get.json!.registryRoot);
    });
  });

  it("localnet runs in the foreground, prints where it listens, and stops cleanly on Ctrl-C", async function () {
    const dataDir = path.join(work, "chain");
    const child = spawn(cliBin(), ["localnet", "--port", "18899", "--data-dir", dataDir], { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", () => {});
    const deadline = Date.now() + 120_000;
    while (!stdout.includes("Ctrl-C to stop.") && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    expect(stdout).to.contain("JSON-RPC   http://127.0.0.1:18899").and.contain("program    ProvC2tA11BGUd9XuDU9h7KgHEc7j8wf2Rj6K2s843Q").and.contain("(fresh)");
    const res = await fetch("http://127.0.0.1:18899", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getHealth" }) });
    expect(((await res.json()) as { result: string }).result).to.equal("ok");
    const code = await new Promise<number | null>((resolve) => {
      child.once("exit", (c) => resolve(c));
      child.kill("SIGINT");
    });
    expect(code).to.equal(0);
    const refused = await fetch("http://127.0.0.1:18899").catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(Error);
  });
});
