#!/usr/bin/env node
// The sequencer service as an operator runs it (configuration from PROVENANCE_* variables,
// docs/operations.md#settings). The service is ESM TypeScript run by tsx (no build step).
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
