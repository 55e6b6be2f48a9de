/**
 * The explorer's build: one static folder (`dist/`) the sequencer serves at /explorer/, with
 * every script and style bundled in (nothing is loaded from another origin at run time).
 *
 * Two Node built-ins are reached only through dead code of circomlibjs 0.1.7 (see
 * client-sdk/test/browser-bundle.test.ts, which pins exactly which files import them): they get
 * an empty module here, as that test does.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const empty = fileURLToPath(new URL("./src/empty-module.ts", import.meta.url));

export default defineConfig({
  base: "/explorer/",
  resolve: {
    alias: [
      { find: /^assert$/, replacement: empty },
      { find: /^events$/, replacement: empty },
    ],
  },
  // `npm run dev -w explorer`: the API of the sequencer on :8080 behind the dev server, so the
  // page reads it from its own origin as it does when the sequencer serves it.
  server: {
    proxy: Object.fromEntries(["/v1", "/healthz", "/.well-known"].map((p) => [p, process.env["PROVENANCE_SEQUENCER_URL"] ?? "http://127.0.0.1:8080"])),
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 8192,
    rolldownOptions: {
      onLog(level, log, handler) {
        // chain.ts reads Anchor's `default` export on purpose (Node's CommonJS build has one, the browser build not).
        if (log.code === "IMPORT_IS_UNDEFINED" && log.message.includes("@coral-xyz/anchor")) return;
        handler(level, log);
      },
    },
  },
});
