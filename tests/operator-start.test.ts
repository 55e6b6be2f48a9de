/**
 * The operator's first run, without a chain: the log format each process picks (a terminal gets
 * pino-pretty lines, anything else JSON lines, PROVENANCE_LOG_FORMAT / --log-format force
 * either), where every data path goes (specific setting > $PROVENANCE_DATA_DIR/<sub> > default),
 * and the prerequisite check that runs before `npm start`'s first long step (a PATH without
 * cargo is one clear message, and `npm start` itself stops with it at once).
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { expect } from "chai";
import { cacheRoot, cacheDir, createLogger, dataDir, parseLogFormat, resolveLogFormat, stackPaths } from "@provenance/prover";
import { loadConfig } from "@provenance/sequencer";
import { MIN_RUST, checkPrerequisites, findOnPath, versionAtLeast } from "../scripts/prereqs.js";
import { runStep } from "../scripts/steps.js";
import { REPO } from "./support/cli.js";

/** A stream that keeps what is written; `isTTY` as a terminal's would be. */
class Capture extends Writable {
  text = "";
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Runs `npm start` (scripts/dev.ts) as npm does, with `env` and `args`; resolves when it exits. */
function devScript(args: string[], env: Record<string, string | undefined>, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "dev.ts"), ...args], { cwd: REPO, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`npm start ${args.join(" ")} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("operator: log format, data directory, prerequisites", function () {
  this.timeout(180_000);
  let work: string;
  before(() => {
    work = mkdtempSync(path.join(os.tmpdir(), "provenance-operator-"));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  describe("log format", function () {
    it("auto is pretty on a terminal and JSON elsewhere; the variable and the flag force either, the flag first", function () {
      expect(resolveLogFormat({ env: {}, isTTY: true })).to.equal("pretty");
      expect(resolveLogFormat({ env: {}, isTTY: false })).to.equal("json");
      expect(resolveLogFormat({ env: { PROVENANCE_LOG_FORMAT: "auto" }, isTTY: true })).to.equal("pretty");
      expect(resolveLogFormat({ env: { PROVENANCE_LOG_FORMAT: "json" }, isTTY: true })).to.equal("json");
      expect(resolveLogFormat({ env: { PROVENANCE_LOG_FORMAT: "PRETTY" }, isTTY: false })).to.equal("pretty");
      expect(resolveLogFormat({ env: { PROVENANCE_LOG_FORMAT: "pretty" }, flag: "json", isTTY: true })).to.equal("json");
      // npm start with stdout and stderr in one file: auto keeps the output human; a forced json stays json.
      expect(resolveLogFormat({ env: {}, isTTY: false, humanBeside: true })).to.equal("pretty");
      expect(resolveLogFormat({ env: { PROVENANCE_LOG_FORMAT: "json" }, isTTY: false, humanBeside: true })).to.equal("json");
      expect(() => parseLogFormat("yaml")).to.throw('PROVENANCE_LOG_FORMAT must be one of auto, json, pretty, got "yaml"');
      expect(() => resolveLogFormat({ env: {}, flag: "text" })).to.throw('--log-format must be one of auto, json, pretty, got "text"');
    });

    it("a terminal gets one human line per event, fields included; anything else one JSON object per line", function () {
      const tty = new Capture(true);
      const pretty = createLogger({ name: "sequencer", level: "info", env: { NO_COLOR: "1" }, destination: tty as never });
      pretty.info({ batch: 7, state: "anchored" }, "batch anchored");
      pretty.debug("not at info");
      pretty.error({ err: Object.assign(new Error("RPC down", { cause: new Error("ECONNREFUSED") }), { code: "RPC_ERROR" }), batch: 7 }, "submit failed");
      const lines = tty.text.trimEnd().split("\n");
      expect(lines, tty.text).to.have.length(2);
      // An error stays on its event's line: type, code, message and cause, no stack.
      expect(lines[1]).to.match(/ ERROR \(sequencer\): submit failed /);
      expect(lines[1]).to.contain('"error":{"type":"Error","code":"RPC_ERROR","message":"RPC down (cause: ECONNREFUSED)"}');
      expect(lines[1]).to.not.contain("    at ");
      expect(lines[0]).to.match(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(sequencer\): batch anchored/);
      expect(lines[0]).to.contain('"batch":7').and.contain('"state":"anchored"');
      expect(() => JSON.parse(lines[0]!)).to.throw();

      const file = new Capture(false);
      const json = createLogger({ name: "prover-worker", level: "info", env: {}, destination: file as never });
      json.warn({ batch: 8 }, "slow");
      const entry = JSON.parse(file.text) as Record<string, unknown>;
      expect(entry).to.include({ level: 40, name: "prover-worker", batch: 8, msg: "slow" });

      const forced = new Capture(true);
      createLogger({ name: "x", level: "info", env: { PROVENANCE_LOG_FORMAT: "json" }, destination: forced as never }).info("forced");
      expect((JSON.parse(forced.text) as { msg: string }).msg).to.equal("forced");
    });
  });

  describe("long steps", function () {
    /** A clock the test moves: no real time involved. */
    const clock = (start = 1_000_000) => {
      let t = start;
      return { now: () => t, advance: (ms: number) => void (t += ms) };
    };

    it("on a terminal: a status line with the elapsed time, the step's messages above it, then its duration", async function () {
      const out = new Capture(true);
      const c = clock();
      const value = await runStep(
        'Compiling the "dev" circuit (first run only)',
        (step) => {
          step.note("compiling with circom2 --O2");
          c.advance(75_000);
          return 42;
        },
        out,
        c.now,
      );
      expect(value).to.equal(42);
      expect(out.text.startsWith('\r⠋ Compiling the "dev" circuit (first run only) ... 0 s\x1b[K')).to.equal(true);
      expect(out.text).to.contain("\r\x1b[K  compiling with circom2 --O2\n");
      expect(out.text.endsWith('\r\x1b[K✔ Compiling the "dev" circuit (first run only): done in 1 min 15 s\n')).to.equal(true);
    });

    it("elsewhere: plain lines (start, messages, end); a failure says after how long and rethrows", async function () {
      const out = new Capture(false);
      const c = clock();
      await runStep("Making the setup", (step) => (step.note("phase 2"), c.advance(5_000)), out, c.now);
      expect(out.text).to.equal("Making the setup ...\n  phase 2\nMaking the setup: done in 5 s\n");
      const failed = new Capture(false);
      let err: unknown;
      try {
        await runStep("Starting the local chain", () => (c.advance(2_000), Promise.reject(new Error("port taken"))), failed, c.now);
      } catch (e) {
        err = e;
      }
      expect((err as Error).message).to.equal("port taken");
      expect(failed.text).to.equal("Starting the local chain ...\nStarting the local chain: failed after 2 s\n");
    });
  });

  describe("data directory", function () {
    const home = "/home/op";
    it("every path: its own setting > $PROVENANCE_DATA_DIR/<sub> > the default", function () {
      const dflt = stackPaths({ HOME: home }, "/srv/checkout");
      expect(dflt).to.deep.equal({
        dataDir: "/srv/checkout/.provenance",
        store: "/srv/checkout/.provenance/db",
        chainState: "/srv/checkout/.provenance/chain",
        localnet: "/srv/checkout/.provenance/localnet",
        solanaKeypair: "/srv/checkout/.provenance/solana-keypair.json",
        receiptKey: "/srv/checkout/.provenance/receipt-key.pem",
        adminToken: "/srv/checkout/.provenance/admin-token",
        devAdmin: "/srv/checkout/.provenance/dev-admin.json",
        cache: "/home/op/.cache/provenance",
      });
      const data = stackPaths({ HOME: home, PROVENANCE_DATA_DIR: "/var/lib/provenance" }, "/srv/checkout");
      for (const [k, v] of Object.entries(data)) expect(v, k).to.match(/^\/var\/lib\/provenance(\/|$)/);
      expect(data.cache).to.equal("/var/lib/provenance/cache");
      expect(data.localnet).to.equal("/var/lib/provenance/localnet");
      const specific = stackPaths(
        { HOME: home, PROVENANCE_DATA_DIR: "/var/lib/provenance", PROVENANCE_CACHE_DIR: "/cache", PROVENANCE_LOCALNET_DIR: "chain", PROVENANCE_SOLANA_KEYPAIR: "/keys/seq.json" },
        "/srv/checkout",
      );
      expect([specific.cache, specific.localnet, specific.solanaKeypair, specific.store]).to.deep.equal(["/cache", "/srv/checkout/chain", "/keys/seq.json", "/var/lib/provenance/db"]);
      // The cache's own default without PROVENANCE_DATA_DIR: XDG, then ~/.cache.
      expect(cacheDir({ HOME: home, XDG_CACHE_HOME: "/xdg" })).to.equal("/xdg/provenance");
      expect(cacheRoot({ HOME: home, PROVENANCE_DATA_DIR: "/d" })).to.equal("/d/cache");
      expect(dataDir({ PROVENANCE_DATA_DIR: "  " }, "/w")).to.equal("/w/.provenance");
    });

    it("the sequencer's configuration follows the same rule", function () {
      const c = loadConfig({ PROVENANCE_DATA_DIR: path.join(work, "d"), PROVENANCE_ANCHORING: "off" });
      expect([c.dataDir, c.localnetDir, c.solanaKeypair]).to.deep.equal([path.join(work, "d"), path.join(work, "d", "localnet"), path.join(work, "d", "solana-keypair.json")]);
      const own = loadConfig({ PROVENANCE_DATA_DIR: path.join(work, "d"), PROVENANCE_LOCALNET_DIR: path.join(work, "ledger"), PROVENANCE_ANCHORING: "off" });
      expect(own.localnetDir).to.equal(path.join(work, "ledger"));
      expect(loadConfig({ PROVENANCE_ANCHORING: "off" }, { dataDir: path.join(work, "o") }).localnetDir).to.equal(path.join(work, "o", "localnet"));
    });
  });

  describe("prerequisites", function () {
    const toolsDir = (name: string, tools: Record<string, string>): string => {
      const dir = mkdtempSync(path.join(work, `${name}-`));
      for (const [tool, script] of Object.entries(tools)) {
        const file = path.join(dir, tool);
        writeFileSync(file, `#!/bin/sh\n${script}\n`);
        chmodSync(file, 0o755);
      }
      return dir;
    };

    it("versions compare part by part", function () {
      expect(versionAtLeast("1.95.0", MIN_RUST)).to.equal(true);
      expect(versionAtLeast("1.89", "1.89.0")).to.equal(true);
      expect(versionAtLeast("1.100.0", "1.89.0")).to.equal(true);
      expect(versionAtLeast("1.88.9", "1.89.0")).to.equal(false);
      expect(versionAtLeast("20.18.3", "20.19.0")).to.equal(false);
    });

    it("a PATH without cargo: one message saying what to install and how; with Rust there, nothing", function () {
      const empty = toolsDir("empty", {});
      const problems = checkPrerequisites({ env: { PATH: empty }, needRust: true });
      expect(problems).to.have.length(2);
      expect(problems[0]).to.contain("cargo (Rust's build tool) is not on PATH: the first `npm start` builds the local chain (localnet/, Rust) with it");
      expect(problems[0]).to.contain("install Rust with rustup (https://rustup.rs");
      expect(problems[0]).to.contain("npm start -- --rpc URL");
      expect(problems[1]).to.contain("rustc (the Rust compiler) is not on PATH");
      // Rust is not needed when the local chain is built already (or another chain is used).
      expect(checkPrerequisites({ env: { PATH: empty }, needRust: false })).to.deep.equal([]);
      // The real toolchain of this machine passes.
      expect(findOnPath("cargo", process.env.PATH)).to.be.a("string");
      expect(checkPrerequisites({ env: process.env, needRust: true })).to.deep.equal([]);
    });

    it("a Rust too old, a broken cargo, a Node.js too old: each named with its fix", function () {
      const old = toolsDir("old", { cargo: 'echo "cargo 1.75.0 (fake)"', rustc: 'echo "rustc 1.75.0 (fake)"' });
      const p = checkPrerequisites({ env: { PATH: old }, needRust: true });
      expect(p[0]).to.contain(`cargo 1.75.0 (${path.join(old, "cargo")}) is too old: the local chain needs Rust ${MIN_RUST} or newer; run \`rustup update stable\``);
      const broken = toolsDir("broken", { cargo: 'echo "error: no default toolchain configured" >&2; exit 1', rustc: 'echo "rustc 1.95.0"' });
      const b = checkPrerequisites({ env: { PATH: broken }, needRust: true });
      expect(b).to.have.length(1);
      expect(b[0]).to.contain(`${path.join(broken, "cargo")} --version failed (exit 1: error: no default toolchain configured)`);
      const n = checkPrerequisites({ env: {}, needRust: false, nodeVersion: "18.20.0" });
      expect(n[0]).to.contain("Node.js 18.20.0 is too old: this project needs Node.js 20.19.0 or newer");
    });

    it("npm start with the local chain to build and no cargo on PATH stops at once with that message, before any long step", async function () {
      const empty = toolsDir("nocargo", {});
      const run = await devScript([], {
        PATH: empty,
        HOME: process.env.HOME,
        // An empty target directory: the local chain must be built, so Rust is needed.
        CARGO_TARGET_DIR: path.join(work, "no-target"),
        PROVENANCE_DATA_DIR: path.join(work, "nocargo-data"),
        PROVENANCE_CIRCUIT: "test",
        PROVENANCE_LOG_FORMAT: "json",
      });
      expect(run.code, run.stderr).to.equal(1);
      expect(run.stderr).to.contain("npm start cannot run on this machine yet:");
      expect(run.stderr).to.contain("cargo (Rust's build tool) is not on PATH");
      // Nothing long started: no plan, no step, no data written.
      expect(run.stderr).to.not.contain("First run");
      expect(run.stderr).to.not.contain("Compiling");
      expect(run.stdout).to.equal("");
    });

    it("npm start's usage errors: a bad --log-format or PROVENANCE_LOG_FORMAT is exit 2 naming it; --help is exit 0", async function () {
      const env = { ...process.env, PROVENANCE_DATA_DIR: path.join(work, "usage"), PROVENANCE_CIRCUIT: "test" };
      const flag = await devScript(["--log-format", "xml"], env);
      expect(flag.code).to.equal(2);
      expect(flag.stderr).to.contain('npm start: --log-format must be one of auto, json, pretty, got "xml"');
      const variable = await devScript([], { ...env, PROVENANCE_LOG_FORMAT: "xml" });
      expect(variable.code).to.equal(2);
      expect(variable.stderr).to.contain('PROVENANCE_LOG_FORMAT must be one of auto, json, pretty, got "xml"');
      const unknown = await devScript(["--rcp", "http://x"], env);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.contain("Unknown option '--rcp'");
      const rpc = await devScript(["--rpc", "ftp://x"], env);
      expect(rpc.code).to.equal(2);
      expect(rpc.stderr).to.contain('--rpc must be an http(s) URL, got "ftp://x"');
      const help = await devScript(["--help"], env);
      expect(help.code).to.equal(0);
      expect(help.stdout).to.contain("--rpc URL").and.contain("--log-format F").and.contain("Examples:");
    });
  });
});
