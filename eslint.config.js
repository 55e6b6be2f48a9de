// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * The layering, enforced: each unit imports only the units below it (by package name), the
 * SDK's browser-safe core imports nothing Node-only, nothing but tests, benchmarks and the dev
 * launcher imports the sequencer, and a unit's tests never reach into another unit's `src`.
 *
 *   client-sdk  <-  ingest-engine, circuits, prover
 *   prover      <-  trusted-setup
 *   all of them <-  sequencer, cli;  sequencer <- scripts/dev.ts, tests/, bench/
 *   client-sdk  <-  explorer (a browser page: no Node built-in in its src)
 */
const UNITS = ["client-sdk", "ingest-engine", "circuits", "prover", "trusted-setup", "localnet", "sequencer", "cli", "explorer"];
/** What each unit's own code may import of the others. */
const ALLOWED = {
  "client-sdk": [],
  "ingest-engine": ["client-sdk"],
  circuits: ["client-sdk"],
  prover: ["client-sdk", "circuits"],
  "trusted-setup": ["client-sdk", "circuits", "prover"],
  localnet: [],
  sequencer: ["client-sdk", "ingest-engine", "circuits", "prover"],
  cli: ["client-sdk", "localnet", "prover"],
  explorer: ["client-sdk"],
};
// (`buffer` is absent on purpose: the npm package of that name is the browser polyfill.)
const NODE_BUILTINS = ["assert", "child_process", "crypto", "events", "fs", "fs/promises", "http", "https", "module", "net", "os", "path", "process", "stream", "url", "util", "worker_threads", "zlib"];

/** Another unit's `src`, reached by a relative path from `depth` folders below the root. */
const otherSrc = (unit, depth) =>
  UNITS.filter((u) => u !== unit).flatMap((u) => [1, 2, 3].filter((d) => d >= depth - 1).map((d) => `${"../".repeat(d)}${u}/src/**`));

const layering = UNITS.map((unit) => {
  const forbidden = UNITS.filter((u) => u !== unit && !ALLOWED[unit].includes(u)).map((u) => `@provenance/${u}`);
  return {
    files: [`${unit}/**/*.ts`],
    ignores: [`${unit}/test/**`, `${unit}/bench/**`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: forbidden.map((name) => ({ name, message: `${unit} does not depend on ${name} (see the layering at the top of eslint.config.js)` })),
          patterns: [
            { group: forbidden.map((n) => `${n}/*`), message: `${unit} does not depend on that unit (see the layering at the top of eslint.config.js)` },
            { group: otherSrc(unit, 2), message: "import another unit by its package name (@provenance/...), not through its src" },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  {
    ignores: ["**/node_modules/**", "**/build/**", "**/dist/**", "docs/api/**", "target/**", "**/target/**", "**/*.d.ts"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "no-console": ["error", { allow: ["warn", "error"] }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Command-line tools, scripts and benchmarks talk to a person on stdout.
    files: ["scripts/**", "bench/**", "**/bench/**", "cli/**", "**/bin/**", "ingest-engine/native/*.ts"],
    rules: { "no-console": "off" },
  },
  ...layering,
  {
    // The SDK is a library: it writes to no terminal unless asked (a logger, onProgress, ProgressBar).
    files: ["client-sdk/src/**/*.ts"],
    rules: { "no-console": "error" },
  },
  {
    // The SDK's browser-safe core: no Node built-ins (client-sdk/src/node/ is the Node-only part).
    files: ["client-sdk/src/**/*.ts"],
    ignores: ["client-sdk/src/node/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: NODE_BUILTINS.map((name) => ({ name, message: "the SDK's core runs in browsers: Node-only code goes in client-sdk/src/node/" })),
          patterns: [
            { group: ["node:*"], message: "the SDK's core runs in browsers: Node-only code goes in client-sdk/src/node/" },
            { group: ["@provenance/*"], message: "the SDK is the bottom unit: it imports no other workspace" },
            { group: ["./node/*", "../node/*"], message: "the browser-safe core does not import the Node-only part" },
          ],
        },
      ],
    },
  },
  {
    // The explorer page runs in browsers: no Node built-in, and only the SDK's browser-safe entries.
    files: ["explorer/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            ...NODE_BUILTINS.map((name) => ({ name, message: "the explorer runs in browsers" })),
            ...UNITS.filter((u) => u !== "client-sdk").map((u) => ({ name: `@provenance/${u}`, message: "the explorer depends on the SDK only" })),
          ],
          patterns: [
            { group: ["node:*"], message: "the explorer runs in browsers" },
            { group: ["@provenance/client-sdk/node", "@provenance/client-sdk/node/*"], message: "the SDK's Node-only part does not run in browsers" },
          ],
        },
      ],
    },
  },
  ...UNITS.map((unit) => ({
    // A unit's tests and benchmarks: its own src, other units by package name, tests/ support.
    files: [`${unit}/test/**/*.ts`, `${unit}/bench/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: otherSrc(unit, 3), message: `${unit}'s tests import other units by package name (@provenance/...), never their src` }] },
      ],
    },
  })),
  {
    // Cross-unit tests, benchmarks and scripts: every unit by its package name, the sequencer included.
    files: ["tests/**/*.ts", "bench/**/*.ts", "scripts/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: UNITS.flatMap((u) => [`../${u}/src/**`, `../../${u}/src/**`]), message: "import a unit by its package name (@provenance/...), not through its src" }] },
      ],
    },
  },
  {
    // Only tests, benchmarks and the dev launcher run the sequencer.
    files: ["scripts/**/*.ts"],
    ignores: ["scripts/dev.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "@provenance/sequencer", message: "scripts do not import the sequencer (only scripts/dev.ts, the dev launcher, runs it)" }],
          patterns: [
            { group: ["@provenance/sequencer/*"], message: "scripts do not import the sequencer (only scripts/dev.ts runs it)" },
            { group: UNITS.flatMap((u) => [`../${u}/src/**`]), message: "import a unit by its package name (@provenance/...), not through its src" },
          ],
        },
      ],
    },
  },
);
