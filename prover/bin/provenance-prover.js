#!/usr/bin/env node
// A prover worker (docs/operations.md#prover-workers): proof jobs from the sequencer's queue on
// Redis, proven natively. ESM TypeScript run by tsx (no build step).
import { register } from "tsx/esm/api";

register();
await import("../src/worker-main.ts");
