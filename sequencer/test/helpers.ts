/** Test helpers: temporary data directories, quiet loggers, records posted as JSON. */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pino, type Logger } from "pino";
import { bytesToHex, packPublicKey, type RecordV1 } from "@provenance/client-sdk";
import { testNode, testRecord, type TestNode } from "../../tests/support/fixtures.js";
import { deploymentShapes, type DeploymentShapes } from "../src/shapes.js";

export function tempDir(label: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `provenance-seq-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function quietLogger(): Logger {
  return pino({ level: process.env["TEST_LOG_LEVEL"] ?? "silent" });
}

export function publicKeyHex(node: TestNode): string {
  return bytesToHex(packPublicKey(node.publicKey));
}

/** One base time per test run, an hour ago: the same (node, n) is the same record all run long. */
const RECENT_BASE = Date.now() - 3_600_000;

/** Record `n` of `node`, timestamped in the recent past (the sequencer refuses future ones). */
export function recentRecord(node: TestNode, n: number): RecordV1 {
  return testRecord(node, n, RECENT_BASE + n).record;
}

export { testNode };

/** Polls `fn` every 200 ms until it returns something other than undefined. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The `test` family's shapes as circuits/circuits.json declares them: `test` (chunk shape: B = 4,
 * C = 2, so G = 2 regions, K = 2 signers) and `test-single` (K = 4).
 */
export const TEST_CHUNK_SHAPES: DeploymentShapes = deploymentShapes("test");
