/**
 * The OpenAPI document of the HTTP API, as a sequencer serves it at GET /v1/openapi.json: written
 * by `@fastify/swagger` from the routes' schemas (api.ts, http-schemas.ts). The checked-in copy,
 * docs/openapi.json, is this function's output (`sequencer/scripts/gen-openapi.ts`, checked by
 * `npm run gen:check`). The document does not depend on the configuration: it is made by a
 * sequencer started in a temporary directory with no chain and no prover, which answers nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import type { BatchProving } from "@provenance/prover";
import { loadConfig } from "./config.js";
import { Sequencer } from "./sequencer.js";

/** The document's file in the repository. */
export const OPENAPI_FILE = fileURLToPath(new URL("../../docs/openapi.json", import.meta.url));

/** The file's bytes for a document: 2-space JSON and a final newline. */
export function openApiText(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Never asked to prove: the sequencer that writes the document holds no record. */
const noProver: BatchProving = {
  backend: "native",
  capacity: 1,
  workers: 0,
  prove: () => Promise.reject(new Error("the OpenAPI document's sequencer proves nothing")),
  close: async () => {},
};

export async function openApiDocument(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "provenance-openapi-"));
  try {
    const config = loadConfig({}, { dataDir: dir, host: "127.0.0.1", port: 0, anchoring: false, verifyWorkers: 0, explorerDir: null, logLevel: "silent" });
    const seq = await Sequencer.start(config, { logger: pino({ level: "silent" }), defaultMetrics: false, batchProver: noProver, checkResponses: false });
    try {
      return seq.app.swagger() as unknown as Record<string, unknown>;
    } finally {
      await seq.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
