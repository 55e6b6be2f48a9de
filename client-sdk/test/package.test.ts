/**
 * The SDK as a stranger installs it: `scripts/build-sdk.ts` builds `client-sdk/dist/`, `npm pack`
 * packs it, and an empty project outside the repository installs the tarball (from the warm npm
 * cache: `--prefer-offline`). There, plain `node` (no tsx, no TypeScript sources, no checkout)
 * imports `@provenance/client-sdk` and `@provenance/client-sdk/node`, verifies a real bundle of
 * test-vectors/batch-test.json against its trusted root, refuses a tampered one, and checks the
 * batch's real Groth16 proof with the verifying key shipped in the package; `tsc` type-checks a
 * consumer against the shipped `.d.ts`.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { FAKE_ANCHOR, bundlesFor, loadVector } from "./helpers/bundles.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const DIST = path.join(ROOT, "client-sdk", "dist");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `@scope/name` or `name` of a bare import specifier. */
export function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

function expectOk(r: Run, what: string): void {
  expect(r.code, `${what} failed:\n${r.stderr}\n${r.stdout}`).to.equal(0);
}

/**
 * npm in the temporary project: the outer npm's settings (its prefix, workspace, lifecycle) must
 * not leak in, but where it fetches from (cache, registry, proxy, CA) should.
 */
const NPM_CONNECTIVITY = /^npm_config_(cache|userconfig|globalconfig|registry|.*:registry|proxy|https_proxy|noproxy|strict_ssl|cafile|ca|fetch_.*)$/i;
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || NPM_CONNECTIVITY.test(k)) env[k] = v;
  return env;
}

const CONSUMER_JS = `
import { readFileSync } from "node:fs";
import { verifyBundle, VERIFYING_KEYS } from "@provenance/client-sdk";
import { verifyBatchTxProof, releaseSnarkjs } from "@provenance/client-sdk/node";

const input = JSON.parse(readFileSync("input.json", "utf8"));
const brief = (r) => ({ ok: r.ok, failure: r.failure });
const good = await verifyBundle(input.bundle, { trustedRoot: input.trustedRoot });
const tampered = await verifyBundle(input.tampered, { trustedRoot: input.trustedRoot });
const shipped = VERIFYING_KEYS[input.circuit];
const proof = await verifyBatchTxProof(shipped.key, input.statement);
const wrongStatement = await verifyBatchTxProof(shipped.key, { ...input.statement, count: input.statement.count - 1 });
await releaseSnarkjs();
process.stdout.write(JSON.stringify({
  good: brief(good),
  tampered: brief(tampered),
  proof,
  wrongStatement,
  keys: Object.fromEntries(Object.entries(VERIFYING_KEYS).map(([k, v]) => [k, v.sha256])),
  resolved: import.meta.resolve("@provenance/client-sdk"),
}));
`;

const CONSUMER_TS = `
import { verifyBundle, VERIFYING_KEYS, type VerifyResult } from "@provenance/client-sdk";
import type { AuditOptions } from "@provenance/client-sdk/node";
import { ChainReader } from "@provenance/client-sdk/chain";

export const result: Promise<VerifyResult> = verifyBundle({}, { trustedRoot: "00".repeat(32) });
export const nPublic: number = VERIFYING_KEYS["test"]!.key.nPublic;
export const concurrency: AuditOptions["concurrency"] = 4;
export const reader: typeof ChainReader = ChainReader;
// @ts-expect-error not an option of verifyBundle: the shipped types are real, not \`any\`
export const typo = verifyBundle({}, { trustedRot: "00" });
`;

describe("the SDK as a package (npm pack, installed into an empty project)", function () {
  this.timeout(240_000);
  let tmp: string;
  /** The consumer project, once the tarball is installed there. */
  let installedProject: string | null = null;

  before(function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), "provenance-sdk-pack-"));
  });
  after(function () {
    rmSync(tmp, { recursive: true, force: true });
  });

  it("builds, packs, installs and verifies a bundle from there with plain node", async function () {
    const t0 = Date.now();
    const lap = (what: string, since: number) => `${what} ${((Date.now() - since) / 1000).toFixed(1)} s`;
    const laps: string[] = [];

    let t = Date.now();
    expectOk(await run(process.execPath, ["--import", "tsx", "scripts/build-sdk.ts"], ROOT), "build");
    laps.push(lap("build", t));

    t = Date.now();
    const pack = await run("npm", ["pack", DIST, "--pack-destination", tmp, "--json"], tmp, npmEnv());
    expectOk(pack, "npm pack");
    const packed = (JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[])[0]!;
    const files = packed.files.map((f) => f.path);
    expect(files).to.include.members(["package.json", "index.js", "index.d.ts", "node/index.js", "verifying-keys.js", "idl/provenance.json", "LICENSE", "README.md"]);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")), "no TypeScript sources ship").to.deep.equal([]);
    laps.push(lap("pack", t));

    const project = path.join(tmp, "consumer");
    rmSync(project, { recursive: true, force: true });
    mkdirSync(project);
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    t = Date.now();
    const install = await run("npm", ["install", path.join(tmp, packed.filename), "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"], project, npmEnv());
    expectOk(install, "npm install <tarball>");
    laps.push(lap("install", t));
    installedProject = project;

    // Nothing in the installed package reaches back into a checkout: every relative import is a
    // file of the package, every bare one a Node built-in or a declared dependency.
    const installed = path.join(project, "node_modules", "@provenance", "client-sdk");
    const manifest = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(manifest).to.not.have.any.keys("devDependencies", "scripts", "publishManifest");
    const js = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? js(path.join(dir, e.name)) : e.name.endsWith(".js") ? [path.join(dir, e.name)] : []));
    for (const f of js(installed)) {
      for (const [, spec] of readFileSync(f, "utf8").matchAll(/(?:^|\s)(?:from|import)\s*\(?\s*["']([^"']+)["']/gm)) {
        const where = `${path.relative(installed, f)} imports ${spec}`;
        if (spec!.startsWith(".")) {
          const target = path.resolve(path.dirname(f), spec!);
          expect(target.startsWith(installed + path.sep) && existsSync(target), where).to.equal(true);
        } else if (!spec!.startsWith("node:")) {
          expect(manifest.dependencies, where).to.have.property(packageName(spec!));
        }
      }
    }

    // The bundle and its tampered copy, built from the shared test vector as the sequencer builds them.
    const vector = loadVector();
    const bundle = bundlesFor(vector.records, vector.batchLevels, vector, FAKE_ANCHOR)[1]!;
    const tampered = structuredClone(bundle);
    tampered.record.url = `${tampered.record.url}#tampered`;
    const statement = { index: 0, registryRoot: vector.registryRoot, batchRoot: vector.batchRoot, count: vector.count, minTs: vector.minTs, maxTs: vector.maxTs, ...vector.solana };
    writeFileSync(path.join(project, "input.json"), JSON.stringify({ bundle, tampered, trustedRoot: vector.batchRoot, circuit: vector.circuit, statement }));
    writeFileSync(path.join(project, "consumer.mjs"), CONSUMER_JS);

    t = Date.now();
    const consumer = await run(process.execPath, ["consumer.mjs"], project, { PATH: process.env.PATH ?? "" });
    expectOk(consumer, "node consumer.mjs");
    laps.push(lap("verify", t));
    const out = JSON.parse(consumer.stdout) as {
      good: { ok: boolean; failure: unknown };
      tampered: { ok: boolean; failure: { code: string; check: string } | null };
      proof: boolean;
      wrongStatement: boolean;
      keys: Record<string, string>;
      resolved: string;
    };
    expect(out.good, "the real bundle verifies").to.deep.equal({ ok: true, failure: null });
    expect(out.tampered.ok, "the tampered bundle is refused").to.equal(false);
    expect(out.tampered.failure!.code).to.equal("BAD_SIGNATURE");
    expect(out.proof, "the batch's Groth16 proof checks with the shipped key").to.equal(true);
    expect(out.wrongStatement, "and not for another statement").to.equal(false);
    const testKey = readFileSync(path.join(ROOT, "circuits", "keys", `${vector.circuit}.vk.json`));
    expect(out.keys[vector.circuit]).to.equal(createHash("sha256").update(testKey).digest("hex"));
    expect(fileURLToPath(out.resolved)).to.equal(path.join(installed, "index.js"));

    // The shipped declarations, as a TypeScript consumer (NodeNext) sees them.
    writeFileSync(path.join(project, "consumer.ts"), CONSUMER_TS);
    writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ["consumer.ts"] }),
    );
    t = Date.now();
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    expectOk(await run(process.execPath, [tsc, "-p", "tsconfig.json"], project), "tsc on a consumer of the shipped types");
    laps.push(lap("tsc", t));
    console.warn(`      package test: ${laps.join(", ")}; ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
  });

  it("the installed package bundles for the browser, and its ./node entry is not exported there", async function () {
    if (installedProject === null) this.skip();
    const project = installedProject;
    const esbuild = await import("esbuild");
    const nodeImports: string[] = [];
    const result = await esbuild.build({
      stdin: { contents: 'export * from "@provenance/client-sdk";\nexport { ChainReader } from "@provenance/client-sdk/chain";\n', resolveDir: project, loader: "js" },
      absWorkingDir: project,
      bundle: true,
      platform: "browser",
      format: "esm",
      target: "es2022",
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [
        {
          // As client-sdk/test/browser-bundle.test.ts: circomlibjs's dead code reaches `assert` and `events`.
          name: "node-builtins",
          setup(build) {
            build.onResolve({ filter: /^(node:.*|assert|events)$/ }, (args) => {
              if (args.path.startsWith("node:")) {
                nodeImports.push(`${args.path} <- ${args.importer}`);
                return { path: args.path, external: true };
              }
              return { path: args.path, namespace: "empty" };
            });
            build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export default {};", loader: "js" }));
          },
        },
      ],
    });
    expect(nodeImports, "node: imports in the browser bundle").to.deep.equal([]);
    const sdk = Object.keys(result.metafile.inputs).filter((f) => f.includes("node_modules/@provenance/client-sdk/"));
    expect(sdk, "the bundle is made of the installed package's JavaScript").to.include.members(["node_modules/@provenance/client-sdk/verify.js", "node_modules/@provenance/client-sdk/chain.js"]);
    expect(sdk.filter((f) => f.includes("/client-sdk/node/")), "nothing Node-only").to.deep.equal([]);
    const refused = await esbuild
      .build({ stdin: { contents: 'import "@provenance/client-sdk/node";', resolveDir: project, loader: "js" }, bundle: true, platform: "browser", write: false, logLevel: "silent" })
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(refused?.message, "a browser build may not import ./node").to.match(/@provenance\/client-sdk\/node/);
  });
});
