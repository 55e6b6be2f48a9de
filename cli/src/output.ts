/**
 * CLI plumbing: exit codes, output (human or `--json`), and turning every error into a message
 * a person can act on.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ProvenanceError, type ErrorCode } from "@provenance/client-sdk/errors";
import { isLoopbackHost } from "@provenance/client-sdk/hosts";
import type { ChunkRecordV1, InclusionBundle } from "@provenance/client-sdk";

/** Exit codes, documented in `provenance --help` and docs/sdk.md. */
export const EXIT = {
  OK: 0,
  /** A verification or audit found a problem, or the sequencer refused the request. */
  FAILED: 1,
  /** Bad flags or arguments, or an input file that is not what the verb takes. */
  USAGE: 2,
  /** A service (sequencer, Solana RPC) could not be reached or failed, or a file could not be read or written. */
  UNAVAILABLE: 3,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  verification or audit failed, or the sequencer refused the request
  2  usage error (bad flags or arguments, input that is not what the verb takes)
  3  a service could not be reached or failed (sequencer, Solana RPC), or a file could not be read or written`;

/** A usage error: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** An error the CLI has already reported (its exit code decided). */
export class ExitError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

const UNAVAILABLE: readonly ErrorCode[] = ["UNREACHABLE", "RPC_ERROR", "TIMEOUT", "IO_ERROR"];
const USAGE: readonly ErrorCode[] = ["INVALID_CONFIG", "INVALID_HEX", "INVALID_FIELD_ELEMENT", "INVALID_URL", "INVALID_TIMESTAMP", "INVALID_RECORD", "INVALID_PUBLIC_KEY", "CHECKPOINT_INVALID", "CHECKPOINT_FOREIGN"];

/**
 * What to do about an SDK error, in the CLI's own terms: the SDK's messages name its options and
 * URLs, never flags; the flags and environment variables that fix each error are named here.
 * Null when the message says enough.
 */
export function cliHint(code: string, message: string): string | null {
  const unreachable = code === "UNREACHABLE" || code === "TIMEOUT";
  if (unreachable && message.startsWith("cannot reach the sequencer")) return "pass --sequencer URL or set PROVENANCE_SEQUENCER_URL";
  if (unreachable && message.includes("Solana RPC")) return "pass --rpc URL or set PROVENANCE_RPC_URL";
  switch (code) {
    case "CLUSTER_MISMATCH":
      return "point --rpc (PROVENANCE_RPC_URL) at the bundle's cluster";
    case "PROGRAM_MISMATCH":
      return "pass --program-id (PROVENANCE_PROGRAM_ID) to trust another program";
    case "ACCOUNT_MISSING":
      return "check --rpc and --program-id";
    case "INSECURE_DEPLOYMENT":
      return "--allow-insecure accepts it knowingly";
    case "INVALID_CONFIG":
      return message.startsWith("no verifying key for circuit") ? "pass --vk FILE" : null;
    default:
      return null;
  }
}

/** The exit code of an error. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof ExitError) return err.exitCode;
  if (err instanceof UsageError) return EXIT.USAGE;
  if (err instanceof ProvenanceError) {
    if (UNAVAILABLE.includes(err.code)) return EXIT.UNAVAILABLE;
    const status = (err as ProvenanceError & { status?: number }).status;
    if (err.code === "SEQUENCER_ERROR" && status !== undefined && (status === 0 || status >= 500)) return EXIT.UNAVAILABLE;
    if (err.code === "KEY_FILE" && /already exists/.test(err.message)) return EXIT.USAGE;
    if (err.code === "KEY_FILE" && /cannot (open|create|write)/.test(err.message)) return EXIT.UNAVAILABLE;
    if (USAGE.includes(err.code)) return EXIT.USAGE;
    return EXIT.FAILED;
  }
  const errno = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof errno === "string" && /^E[A-Z]+$/.test(errno)) return EXIT.UNAVAILABLE;
  return EXIT.UNAVAILABLE;
}

export interface Io {
  /** Where `-` reads from (`manifest --ids -`); default process.stdin. */
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

export class Output {
  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {}

  /** A line for people (stdout); nothing in --json mode. */
  say(line = ""): void {
    if (!this.json) this.io.stdout.write(`${line}\n`);
  }

  /** Progress and hints for people (stderr), shown in both modes. */
  note(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  /** The result object: printed as JSON in --json mode. */
  result(value: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  error(err: unknown): number {
    const code = exitCodeOf(err);
    const message = err instanceof Error ? err.message : String(err);
    const kind = err instanceof ProvenanceError ? err.code : err instanceof UsageError ? "USAGE" : ((err as NodeJS.ErrnoException)?.code ?? "ERROR");
    const hint = err instanceof ProvenanceError ? cliHint(err.code, message) : null;
    if (this.json) {
      const extra = err as { status?: number; serverCode?: string | null };
      this.io.stdout.write(
        `${JSON.stringify({ ok: false, error: { code: kind, message, ...(hint ? { hint } : {}), ...(extra.status !== undefined ? { status: extra.status } : {}), ...(extra.serverCode ? { serverCode: extra.serverCode } : {}) }, exitCode: code }, null, 2)}\n`,
      );
    } else {
      this.io.stderr.write(`error: ${message}${kind && !message.includes(kind) ? ` [${kind}]` : ""}\n${hint ? `hint: ${hint}\n` : ""}`);
    }
    return code;
  }
}

/** Reads a text file, with an error that says which file and why. */
export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new ProvenanceError("IO_ERROR", `cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function parseJsonFile(file: string, what: string): unknown {
  const text = readText(file, what);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} ${file} is not JSON: ${(e as Error).message}`);
  }
}

/** The admin token: the flag, else PROVENANCE_ADMIN_TOKEN, else `<dataDir>/admin-token`. */
/**
 * The admin token, never from the command line (argv is visible to every user in `ps`): from
 * `--admin-token-file FILE`, else `PROVENANCE_ADMIN_TOKEN`, else `<dataDir>/admin-token`. A
 * token file that group or others can read is refused.
 */
export async function resolveAdminToken(file: string | undefined, env: Io["env"], dataDir: string): Promise<string> {
  // Loaded here, not at the top: the SDK's Node part brings Poseidon's WebAssembly with it.
  const { readPrivateFile } = await import("@provenance/client-sdk/node");
  const fromFile = (f: string): string => {
    let token: string;
    try {
      token = readPrivateFile(f, "the admin token file").trim();
    } catch (e) {
      // A file too open is the caller's to fix (exit 2); one that cannot be opened, exit 3.
      if (e instanceof ProvenanceError && /too open/.test(e.message)) throw new UsageError(e.message);
      throw e;
    }
    if (!token) throw new UsageError(`the admin token file ${f} is empty`);
    return token;
  };
  if (file) return fromFile(file);
  if (env.PROVENANCE_ADMIN_TOKEN) return env.PROVENANCE_ADMIN_TOKEN;
  const dflt = path.join(dataDir, "admin-token");
  if (existsSync(dflt)) return fromFile(dflt);
  throw new UsageError(
    "this needs the sequencer's admin token: set PROVENANCE_ADMIN_TOKEN, pass --admin-token-file FILE, or run where <data dir>/admin-token is readable (--data-dir, default ./.provenance)",
  );
}

/** A warning to print before a secret goes over plain HTTP to a host other than this machine; null when the URL is https or loopback. */
export function plainHttpWarning(url: string, what: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== "http:" || isLoopbackHost(u.hostname)) return null;
  return `warning: sending ${what} over plain HTTP to ${u.host}: anyone on the path can read it; use an https:// sequencer URL`;
}

export function positiveInt(value: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new UsageError(`${name} must be an integer in 1..${max}, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function hex64(value: string, name: string): string {
  if (!/^[0-9a-f]{64}$/.test(value)) throw new UsageError(`${name} must be 64 lowercase hex characters, got ${JSON.stringify(value.slice(0, 80))}`);
  return value;
}

/** One JSON value per line; blank lines and `#` comments skipped. */
export function jsonLines(text: string, file: string): unknown[] {
  const out: unknown[] = [];
  text.split("\n").forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith("#")) return;
    try {
      out.push(JSON.parse(t));
    } catch (e) {
      throw new UsageError(`${file} line ${i + 1} is not JSON (${(e as Error).message}): expected one JSON object per line`);
    }
  });
  return out;
}
/** The fetched bytes of a content file. */
export function readContent(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ProvenanceError("IO_ERROR", `cannot read the content file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A chunk-signed record's place in its chunk (size, index), else null. */
export function chunkOf(bundle: InclusionBundle): { size: number; index: number } | null {
  // Type-only SDK imports here: the CLI loads the SDK when a verb runs, not at start.
  const ref = (bundle.record as Partial<ChunkRecordV1>).chunk;
  return ref ? { size: ref.size, index: ref.index } : null;
}

/** One line saying what a bundle holds: the record, where it is, and how its node signed it. */
export function describeBundle(bundle: InclusionBundle): string {
  const chunk = chunkOf(bundle);
  const signed = chunk ? `, chunk-signed: index ${chunk.index} of a chunk of ${chunk.size}` : "";
  return `record ${bundle.id} at leaf ${bundle.leafIndex} of batch ${bundle.batch.index}${signed} (transaction ${bundle.txSignature})`;
}
