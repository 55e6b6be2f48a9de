/**
 * The verification path runs in a browser: esbuild bundles the SDK's lean entry and its chain
 * reader for `platform: "browser"`, and the test fails on any `node:` import and on any Node
 * built-in module reached from live code.
 *
 * Two built-ins are reached only through dead code of circomlibjs 0.1.7, whose one entry point
 * re-exports everything: `assert` (its reference Poseidon builds, never called: the SDK uses
 * its WebAssembly Poseidon) and `events` (via blake-hash's streams, under circomlibjs's EdDSA,
 * never called: the SDK has its own). They are bundled as empty modules; a browser app does the
 * same (webpack: `resolve.fallback: { assert: false, events: false }`). The test pins exactly
 * which files import them, so a new Node dependency anywhere else fails it.
 */
import path from "node:path";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith("_")));
/** Dead-code imports of Node built-ins that get an empty module, by importing package. */
const DEAD_CODE: Record<string, RegExp> = {
  assert: /node_modules\/circomlibjs\/src\/poseidon_(reference|opt)\.js$/,
  events: /node_modules\/readable-stream\/lib\/(_stream_readable\.js|internal\/streams\/stream-browser\.js)$/,
};

describe("browser bundle of the verification path", function () {
  this.timeout(120_000);

  it("bundles for the browser with no node: import and no live Node built-in", async function () {
    const nodeImports: string[] = [];
    const stubbed: string[] = [];
    const result = await esbuild.build({
      stdin: {
        contents: [
          'export * from "./client-sdk/src/index.ts";',
          'export { ChainReader } from "./client-sdk/src/chain.ts";',
        ].join("\n"),
        resolveDir: ROOT,
        loader: "ts",
      },
      bundle: true,
      platform: "browser",
      format: "esm",
      target: "es2022",
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [
        {
          name: "node-builtins",
          setup(build) {
            build.onResolve({ filter: /.*/ }, (args) => {
              const bare = args.path.replace(/^node:/, "").split("/")[0]!;
              if (args.path.startsWith("node:")) {
                nodeImports.push(`${args.path} imported by ${path.relative(ROOT, args.importer)}`);
                return { path: args.path, external: true };
              }
              if (!BUILTINS.has(bare) || args.path !== bare) return undefined;
              const allowed = DEAD_CODE[bare];
              const importer = args.importer.split(path.sep).join("/");
              if (allowed && allowed.test(importer)) {
                stubbed.push(`${bare} <- ${path.relative(ROOT, args.importer)}`);
                return { path: bare, namespace: "empty" };
              }
              return undefined; // left to esbuild: the browser field of the package, or an error below
            });
            build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export default {};", loader: "js" }));
          },
        },
      ],
    });
    expect(nodeImports, "node: imports in the browser bundle").to.deep.equal([]);
    const inputs = Object.keys(result.metafile.inputs);
    // Everything of the SDK that verification needs is in the bundle.
    for (const f of ["client-sdk/src/verify.ts", "client-sdk/src/bundle.ts", "client-sdk/src/chain.ts", "client-sdk/src/receipt.ts", "client-sdk/src/client.ts", "client-sdk/src/record.ts"]) {
      expect(inputs, f).to.include(f);
    }
    // Nothing Node-only of the SDK is.
    expect(inputs.filter((f) => f.startsWith("client-sdk/src/node/"))).to.deep.equal([]);
    expect(new Set(stubbed.map((s) => s.split(" ")[0]))).to.deep.equal(new Set(["assert", "events"]));
    const size = result.outputFiles[0]!.contents.length;
    expect(size).to.be.greaterThan(100_000);
    console.warn(`      bundle: ${(size / 1024).toFixed(0)} KiB, ${inputs.length} modules; empty modules for dead code: ${stubbed.join(", ")}`);
  });
});
