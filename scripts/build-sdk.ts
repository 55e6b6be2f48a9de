/**
 * Builds `@provenance/client-sdk` for publishing (`npm run build -w @provenance/client-sdk`):
 * `client-sdk/dist/` becomes the package as published, with ESM JavaScript and `.d.ts` from
 * `tsc -p client-sdk/tsconfig.build.json`, the README, the LICENSE, and a `package.json`
 * generated from `client-sdk/package.json`: its `publishManifest` fields (conditional `exports`
 * on the built files, `files`, `sideEffects`) replace the source-level ones, and what only the
 * workspace needs (devDependencies, scripts) is left out. Why the repository keeps resolving the
 * TypeScript sources and publishes from `dist/`: docs/sdk.md#the-published-package.
 *
 *   npx tsx scripts/build-sdk.ts                 build client-sdk/dist/
 *   npm pack ./client-sdk/dist                   the tarball (client-sdk/test/package.test.ts)
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SDK = path.join(ROOT, "client-sdk");
const DIST = path.join(SDK, "dist");

type Exports = Record<string, string | Record<string, string | null>>;
interface SourceManifest {
  name: string;
  version: string;
  exports: Record<string, string>;
  publishManifest: { exports: Exports; files: string[]; sideEffects: boolean };
  [field: string]: unknown;
}

function die(message: string): never {
  console.error(`build-sdk: ${message}`);
  process.exit(1);
}

/** The published manifest: the source one with `publishManifest` applied and workspace-only fields removed. */
export function publishedManifest(source: SourceManifest): Record<string, unknown> {
  const { publishManifest, devDependencies: _dev, scripts: _scripts, private: _private, ...rest } = source;
  const sourceKeys = Object.keys(source.exports).sort();
  const publishedKeys = Object.keys(publishManifest.exports).filter((k) => k !== "./package.json").sort();
  if (JSON.stringify(sourceKeys) !== JSON.stringify(publishedKeys)) {
    die(`client-sdk/package.json: "exports" (${sourceKeys.join(", ")}) and "publishManifest.exports" (${publishedKeys.join(", ")}) must name the same entry points`);
  }
  return { ...rest, exports: publishManifest.exports, files: publishManifest.files, sideEffects: publishManifest.sideEffects };
}

/** Every file an export condition names must be in the build (a typo would ship a broken entry). */
function checkTargets(exports: Exports): void {
  for (const [entry, target] of Object.entries(exports)) {
    if (entry === "./package.json") continue;
    const targets = typeof target === "string" ? [target] : Object.values(target).filter((t): t is string => t !== null);
    for (const t of targets) if (!existsSync(path.join(DIST, t))) die(`export ${entry} names ${t}, which the build did not write`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  rmSync(DIST, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", path.join(SDK, "tsconfig.build.json")], { cwd: ROOT, stdio: "inherit" });
  if (run.status !== 0) die("tsc failed");
  const source = JSON.parse(readFileSync(path.join(SDK, "package.json"), "utf8")) as SourceManifest;
  const manifest = publishedManifest(source);
  checkTargets(manifest.exports as Exports);
  writeFileSync(path.join(DIST, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  copyFileSync(path.join(SDK, "README.md"), path.join(DIST, "README.md"));
  copyFileSync(path.join(ROOT, "LICENSE"), path.join(DIST, "LICENSE"));
  console.log(`build-sdk: ${source.name}@${source.version} built into ${path.relative(ROOT, DIST)}/ in ${((Date.now() - started) / 1000).toFixed(1)} s (npm pack ./${path.relative(ROOT, DIST)})`);
}
