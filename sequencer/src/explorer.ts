/**
 * The explorer page (`explorer/`, a static folder built by `npm run build -w explorer`, which
 * `npm install` runs) at /explorer/, and `/` redirected to it. Served only when the folder holds
 * an index.html: a sequencer without it (a production image that skips the page, a checkout
 * not yet built) says so in one log line and serves the API as before.
 *
 * The page is static: it reads the API like any client and verifies bundles itself against the
 * chain's RPC (docs/explorer.md). Nothing of the sequencer's state goes into the files.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";

export const EXPLORER_PREFIX = "/explorer/";

/** Whether `dir` holds a built page. */
export function explorerBuilt(dir: string | null | undefined): dir is string {
  return !!dir && existsSync(path.join(dir, "index.html"));
}

/** Registers the page's routes when `dir` holds a built page; returns whether it did. */
export async function serveExplorer(app: FastifyInstance, dir: string | null | undefined, logger: Logger): Promise<boolean> {
  if (!dir) return false;
  if (!explorerBuilt(dir)) {
    logger.info({ explorerDir: dir }, "explorer page not built (npm run build -w explorer): not served");
    return false;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: EXPLORER_PREFIX,
    redirect: true,
    decorateReply: false,
    // Built assets have content hashes in their names; the page itself must never be stale.
    setHeaders: (reply, file) => {
      void reply.header("cache-control", file.endsWith(".html") ? "no-cache" : "public, max-age=31536000, immutable");
    },
  });
  // The page's routes serve files, not the API: they are left out of the OpenAPI document.
  app.get("/", { schema: { hide: true, response: { 302: { description: `Redirect to ${EXPLORER_PREFIX}`, type: "null" } } } }, (_request, reply) => reply.redirect(EXPLORER_PREFIX));
  logger.info({ explorerDir: dir, route: EXPLORER_PREFIX }, "explorer page served");
  return true;
}
