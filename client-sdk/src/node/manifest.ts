/**
 * Dataset manifests (Node.js): a file of inclusion bundles, one JSON bundle per line (JSON
 * lines; blank lines and lines starting with `#` are skipped), read as a stream so a dataset of
 * any size verifies in bounded memory; a progress bar on a terminal.
 *
 * `readBundleFile` also takes a single bundle as served by `GET /v1/records/:id/proof`
 * (pretty-printed or not): a file whose whole text is one JSON object is one bundle.
 */
import { createReadStream, readFileSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { ProvenanceError } from "../errors.js";
import { verifyBundles, type DatasetOptions, type DatasetReport } from "../verify.js";
import { addTrustedRoot, manifestLineError, parseTrustedRootLine, type DatasetItem } from "../offline.js";

/** One line of a manifest: its 1-based line number and its parsed bundle, or why it did not parse. */
export interface ManifestItem {
  line: number;
  json: unknown;
  parseError?: string;
}

/**
 * Lines of a manifest as bundles; a line that is not JSON becomes an item with `parseError`.
 * `{ parse: false }`: the lines' text instead, for a `BundleChecker` to parse where it checks.
 */
export function readManifest(file: string): AsyncGenerator<ManifestItem>;
export function readManifest(file: string, options: { parse: false }): AsyncGenerator<DatasetItem>;
export async function* readManifest(file: string, options: { parse?: boolean } = {}): AsyncGenerator<ManifestItem | DatasetItem> {
  let stream;
  try {
    statSync(file);
    stream = createReadStream(file, { encoding: "utf8" });
  } catch (e) {
    throw new ProvenanceError("IO_ERROR", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    const t = text.trim();
    if (t.length === 0 || t.startsWith("#")) continue;
    if (options.parse === false) {
      yield { line, text: t };
      continue;
    }
    try {
      yield { line, json: JSON.parse(t) };
    } catch (e) {
      yield { line, json: null, parseError: manifestLineError(line, e) };
    }
  }
}

/** What a file holds: one bundle (a JSON object spanning the file) or a manifest of bundles. */
export function sniffBundleFile(file: string): { kind: "bundle"; json: unknown } | { kind: "manifest" } | { kind: "invalid"; message: string } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new ProvenanceError("IO_ERROR", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // A bundle is a few KiB; anything large is a manifest (never read whole).
  if (size > 1 << 20) return { kind: "manifest" };
  const text = readFileSync(file, "utf8");
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json === "object" && json !== null && !Array.isArray(json)) return { kind: "bundle", json };
    return { kind: "invalid", message: `${file} holds JSON that is not a bundle object (${Array.isArray(json) ? "an array" : typeof json}); a manifest has one bundle per line` };
  } catch (e) {
    const lines = text.split("\n").filter((l) => l.trim().length > 0 && !l.trim().startsWith("#"));
    // A manifest's lines are JSON each; a file whose first line is not is one (damaged) bundle.
    const firstLineParses = (() => {
      try {
        JSON.parse(lines[0] ?? "");
        return true;
      } catch {
        return false;
      }
    })();
    if (lines.length > 1 && firstLineParses) return { kind: "manifest" };
    return { kind: "invalid", message: `${file} is not JSON (${(e as Error).message}): expected a bundle as served by GET /v1/records/:id/proof, or one bundle per line` };
  }
}

/**
 * A one-line progress bar on a TTY stream (stderr by default); nothing on anything else, so
 * logs and pipes stay clean. Redraws at most 10 times a second.
 */
export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;
  private last = 0;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number | null,
    options: { stream?: NodeJS.WriteStream; enabled?: boolean } = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = options.enabled ?? this.stream.isTTY === true;
  }

  /** Redraws the bar (at most 10 times a second unless `force`). */
  update(done: number, failed: number, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const rate = done / Math.max(0.001, (now - this.started) / 1000);
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - 60));
    const filled = this.total ? Math.round((Math.min(done, this.total) / this.total) * width) : 0;
    const bar = this.total ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${this.total}` : `${done}`;
    const eta = this.total && done > 0 && done < this.total ? `  ETA ${formatDuration((this.total - done) / rate)}` : "";
    this.stream.write(`\r${this.label} ${bar}  ${failed} failed  ${rate.toFixed(0)}/s${eta}\x1b[K`);
  }

  /** Draws the final state and ends the line. */
  finish(done: number, failed: number): void {
    if (!this.enabled) return;
    this.update(done, failed, true);
    this.stream.write("\n");
  }
}

/** A duration for people: "42 s", "3 min 05 s", "2 h 10 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** Counts the non-empty lines of a file (for the progress bar's total), in a stream. */
export async function countManifestLines(file: string): Promise<number> {
  let n = 0;
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  for await (const text of lines) {
    const t = text.trim();
    if (t.length > 0 && !t.startsWith("#")) n++;
  }
  return n;
}

/**
 * Verifies every bundle of a manifest file (see `verifyBundles`; with `options.checker` the
 * lines go to it unparsed, so parsing runs where the checks run). Writes nothing unless asked:
 * `progress: true` draws a `ProgressBar` on stderr when it is a terminal; `onProgress` reports
 * to the caller.
 */
export async function verifyManifest(file: string, options: DatasetOptions & { progress?: boolean }): Promise<DatasetReport> {
  const showProgress = options.progress === true && process.stderr.isTTY === true;
  const bar = showProgress ? new ProgressBar("verifying", await countManifestLines(file)) : null;
  let done = 0;
  let failed = 0;
  const report = await verifyBundles(options.checker ? readManifest(file, { parse: false }) : readManifest(file), {
    ...options,
    onProgress: (d, f) => {
      done = d;
      failed = f;
      bar?.update(d, f);
      options.onProgress?.(d, f);
    },
  });
  bar?.finish(done, failed);
  return report;
}

/**
 * Reads a trusted-roots file (docs/protocol.md#trusted-roots): JSON lines of
 * `{"batch": N, "root": "<64 hex>"}`, streamed, into the map `trustedRoots` takes. Throws
 * IO_ERROR when the file cannot be read, INVALID_CONFIG (naming the line) for a line that is not
 * such an object, two different roots for one batch, or a file with no root at all.
 */
export async function readTrustedRoots(file: string): Promise<Map<number, string>> {
  let stream;
  try {
    statSync(file);
    stream = createReadStream(file, { encoding: "utf8" });
  } catch (e) {
    throw new ProvenanceError("IO_ERROR", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const roots = new Map<number, string>();
  const places = new Map<number, string>();
  let line = 0;
  try {
    for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
      line++;
      const where = `${file} line ${line}`;
      const entry = parseTrustedRootLine(text, where);
      if (entry) addTrustedRoot(roots, places, entry, where);
    }
  } catch (e) {
    if (e instanceof ProvenanceError) throw e;
    throw new ProvenanceError("IO_ERROR", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (roots.size === 0) throw new ProvenanceError("INVALID_CONFIG", `${file} holds no trusted roots: expected one {"batch": N, "root": "<64 hex>"} per line`);
  return roots;
}
