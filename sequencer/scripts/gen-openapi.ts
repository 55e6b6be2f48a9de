/**
 * Writes docs/openapi.json, the OpenAPI document of the sequencer's HTTP API, from the routes'
 * schemas; with --check, writes nothing and exits 1 when the checked-in file differs (part of
 * `npm run gen:check`).
 *
 *   npx tsx sequencer/scripts/gen-openapi.ts [--check]
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { OPENAPI_FILE, openApiDocument, openApiText } from "../src/openapi.js";

const check = process.argv.includes("--check");
const text = openApiText(await openApiDocument());
const shown = path.relative(process.cwd(), OPENAPI_FILE);
if (check) {
  const current = existsSync(OPENAPI_FILE) ? readFileSync(OPENAPI_FILE, "utf8") : null;
  if (current !== text) {
    console.error(
      `${shown} ${current === null ? "is missing" : "differs from the document the routes' schemas make"}: run \`npx tsx sequencer/scripts/gen-openapi.ts\` and commit it`,
    );
    process.exit(1);
  }
  process.stdout.write(`${shown} matches the routes' schemas\n`);
} else {
  writeFileSync(OPENAPI_FILE, text);
  process.stdout.write(`wrote ${shown}\n`);
}
