/**
 * No undeclared imports: every bare import in client-sdk/src (static, dynamic, type-only) is a
 * Node built-in or a package client-sdk/package.json declares in `dependencies` — not one that
 * only the root or another workspace installs, which the monorepo's hoisted node_modules would
 * hide until a stranger installs the package. (The package test checks the built files too.)
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import ts from "typescript";

const SDK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** `@scope/name` or `name` of a bare import specifier. */
function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith(".ts") ? [full] : [];
  });
}

/** Every bare import of the SDK's sources, as `file: specifier`, whose package is not declared. */
export function undeclaredImports(pkg = SDK): string[] {
  const manifest = JSON.parse(readFileSync(path.join(pkg, "package.json"), "utf8")) as { name: string; dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}), manifest.name]);
  const builtins = new Set(builtinModules);
  const out: string[] = [];
  for (const file of sources(path.join(pkg, "src"))) {
    for (const { fileName: spec } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
      if (spec.startsWith(".") || spec.startsWith("node:") || builtins.has(spec)) continue;
      if (!declared.has(packageName(spec))) out.push(`${path.relative(pkg, file)}: ${spec}`);
    }
  }
  return out;
}

describe("client-sdk imports only what it declares", function () {
  it("every bare import in src/ is a dependency of client-sdk/package.json", function () {
    expect(undeclaredImports(), "add these packages to client-sdk/package.json dependencies (not only the root's)").to.deep.equal([]);
  });

  it("reports an undeclared package, static, type-only or dynamic (the check itself works)", function () {
    const pkg = mkdtempSync(path.join(os.tmpdir(), "provenance-imports-"));
    try {
      mkdirSync(path.join(pkg, "src", "deep"), { recursive: true });
      writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "@x/pkg", dependencies: { chai: "*" } }));
      writeFileSync(path.join(pkg, "src", "a.ts"), 'import { expect } from "chai";\nimport path from "node:path";\nimport fs from "fs";\nimport x from "left-pad/x.js";\nexport * from "./deep/b.js";\n');
      writeFileSync(path.join(pkg, "src", "deep", "b.ts"), 'import type { Y } from "@scope/y";\nexport const z = () => import("zod");\nimport self from "@x/pkg/sub";\n');
      expect(undeclaredImports(pkg).sort()).to.deep.equal(["src/a.ts: left-pad/x.js", "src/deep/b.ts: @scope/y", "src/deep/b.ts: zod"]);
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });
});
