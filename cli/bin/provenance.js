#!/usr/bin/env node
// The `provenance` CLI. The CLI is ESM TypeScript run by tsx (no build step): register tsx's
// loader, then run the TypeScript entry point.
/* global process */
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
const code = await main(process.argv.slice(2));
// Exit once stdout is flushed, even if a library left a handle open (a websocket, a worker).
process.stdout.write("", () => process.exit(code));
