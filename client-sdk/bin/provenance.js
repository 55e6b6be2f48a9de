#!/usr/bin/env node
// The `provenance` CLI. The SDK is ESM TypeScript run by tsx (no build step): register tsx's
// loader, then run the TypeScript entry point.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
