/**
 * The auditor's checkpoint (`audit --checkpoint FILE`): what a resumed audit needs to go on
 * from the last batch an earlier audit verified instead of from genesis (docs/sdk.md#checkpoints).
 *
 * It names the deployment (program id, the cluster's genesis hash, the circuit) and the checks
 * its batches passed; holds the hash-chain head after its last batch (and the head before it,
 * with that batch's transaction, so the chain can be asked whether it still agrees), the
 * registry-root replay state and the Accumulator's frontier at that point, the last 256 batch
 * roots (for `BatchLog`'s ring), and, when data availability was checked, a 16-byte entry per
 * anchored record (8 bytes of its id, its batch, its leaf) so a record anchored again later is
 * still caught (DUPLICATE_RECORD). A SHA-256 digest over the rest catches a corrupted or edited
 * file; it is no signature: the file is the auditor's own, kept where the auditor trusts it.
 *
 * Written atomically (a temporary file in the same folder, fsynced, then renamed over the old).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "../field.js";
import { ProvenanceError } from "../errors.js";
import type { RegistryReplayState } from "../registry-history.js";

export const AUDIT_CHECKPOINT_KIND = "provenance-audit-checkpoint";

/** Bytes per record entry of `data.ids`: 8 bytes of the id, batch u32 BE, leaf u32 BE. */
export const CHECKPOINT_ID_ENTRY = 16;

/** What an audit's checkpoint holds (JSON). */
export interface AuditCheckpoint {
  kind: typeof AUDIT_CHECKPOINT_KIND;
  v: 1;
  programId: string;
  genesisHash: string;
  circuit: string;
  /** When it was written (ISO 8601). */
  writtenAt: string;
  /** Batches 0 .. verified − 1 passed every check in `checks`. */
  verified: number;
  /** The hash-chain head after batch verified − 1 (the genesis head when none). */
  head: string;
  /** The head before batch verified − 1 (the genesis head when none). */
  prevHead: string;
  /** Batch verified − 1's transaction; null when verified is 0. */
  last: { index: number; signature: string; slot: number } | null;
  /** The checks those batches passed: proofs re-verified, the registry history replayed, data availability. */
  checks: { proofs: boolean; registry: boolean; data: boolean };
  /** The registry-root replay after batch verified − 1's transaction; null without `checks.registry`. */
  registry: RegistryReplayState | null;
  /** The Accumulator's leaves so far (batches startIndex .. verified − 1) as a frontier; null when the deployment had none. */
  accumulator: { startIndex: number; size: number; frontier: string[] } | null;
  /** Roots of batches verified − recentRoots.length .. verified − 1 (at most 256: BatchLog's ring). */
  recentRoots: string[];
  /** With `checks.data`: the anchored records, `CHECKPOINT_ID_ENTRY` bytes each, base64. */
  data: { records: number; ids: string } | null;
  /** SHA-256 (hex) of this object's JSON without `digest`. */
  digest: string;
}

function digestOf(body: Omit<AuditCheckpoint, "digest">): string {
  return bytesToHex(sha256(new TextEncoder().encode(JSON.stringify(body))));
}

/** Seals a checkpoint body with its digest. */
export function sealAuditCheckpoint(body: Omit<AuditCheckpoint, "digest">): AuditCheckpoint {
  const { digest: _, ...rest } = body as AuditCheckpoint;
  return { ...rest, digest: digestOf(rest) };
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Checks a parsed checkpoint's shape and digest. Throws CHECKPOINT_INVALID naming what is wrong
 * (`where` names the file in messages).
 */
export function parseAuditCheckpoint(json: unknown, where = "the checkpoint"): AuditCheckpoint {
  const bad = (why: string): never => {
    throw new ProvenanceError("CHECKPOINT_INVALID", `${where} is not a usable audit checkpoint: ${why}`);
  };
  if (typeof json !== "object" || json === null || Array.isArray(json)) bad("not a JSON object");
  const c = json as Partial<AuditCheckpoint>;
  if (c.kind !== AUDIT_CHECKPOINT_KIND) bad(`its "kind" is ${JSON.stringify(c.kind)}, not "${AUDIT_CHECKPOINT_KIND}"`);
  if (c.v !== 1) bad(`version ${JSON.stringify(c.v)} is not one this SDK reads (1)`);
  for (const k of ["programId", "genesisHash", "circuit", "writtenAt", "digest"] as const) {
    if (typeof c[k] !== "string") bad(`"${k}" is missing or not a string`);
  }
  if (!Number.isSafeInteger(c.verified) || c.verified! < 0) bad(`"verified" must be a count of batches, got ${JSON.stringify(c.verified)}`);
  if (!HEX64.test(String(c.head)) || !HEX64.test(String(c.prevHead))) bad(`"head" and "prevHead" must be 64 lowercase hex characters`);
  if (c.verified! > 0) {
    const l = c.last;
    if (!l || l.index !== c.verified! - 1 || typeof l.signature !== "string" || !Number.isSafeInteger(l.slot)) bad(`"last" must name batch ${c.verified! - 1}'s transaction (index, signature, slot)`);
  } else if (c.last !== null) bad(`"last" must be null when no batch is verified`);
  const ch = c.checks;
  if (!ch || typeof ch.proofs !== "boolean" || typeof ch.registry !== "boolean" || typeof ch.data !== "boolean") bad(`"checks" must say proofs, registry and data (booleans)`);
  if (ch!.registry !== (c.registry !== null && typeof c.registry === "object")) bad(`"registry" must be the replay state exactly when checks.registry`);
  if (!Array.isArray(c.recentRoots) || c.recentRoots.length > 256 || c.recentRoots.length > c.verified! || !c.recentRoots.every((r) => HEX64.test(String(r)))) bad(`"recentRoots" must be at most 256 roots (64 hex), no more than the batches verified`);
  const acc = c.accumulator;
  if (acc !== null && (typeof acc !== "object" || !Number.isSafeInteger(acc?.startIndex) || !Number.isSafeInteger(acc?.size) || !Array.isArray(acc?.frontier))) bad(`"accumulator" must be null or { startIndex, size, frontier }`);
  if (ch!.data) {
    const d = c.data;
    if (!d || !Number.isSafeInteger(d.records) || typeof d.ids !== "string" || Buffer.from(d.ids, "base64").length !== d.records * CHECKPOINT_ID_ENTRY) bad(`"data" must hold ${CHECKPOINT_ID_ENTRY} bytes per record (base64) when checks.data`);
  } else if (c.data !== null) bad(`"data" must be null without checks.data`);
  const { digest, ...body } = c as AuditCheckpoint;
  if (digestOf(body) !== digest) bad("its digest does not match its contents (the file was corrupted or edited)");
  return c as AuditCheckpoint;
}

/** Reads a checkpoint file; null when it does not exist. Throws IO_ERROR or CHECKPOINT_INVALID. */
export function readAuditCheckpoint(file: string): AuditCheckpoint | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ProvenanceError("IO_ERROR", `cannot read the audit checkpoint ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ProvenanceError("CHECKPOINT_INVALID", `the audit checkpoint ${file} is not JSON (${(e as Error).message})`);
  }
  return parseAuditCheckpoint(json, `the audit checkpoint ${file}`);
}

/** Writes a checkpoint atomically: a synced temporary file next to it, renamed over it. */
export function writeAuditCheckpoint(file: string, checkpoint: AuditCheckpoint): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, "w", 0o644);
    try {
      writeSync(fd, `${JSON.stringify(checkpoint, null, 1)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ProvenanceError("IO_ERROR", `cannot write the audit checkpoint ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const dir = openSync(path.dirname(file), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // not every file system syncs a directory; the rename itself is atomic
  }
}
