/**
 * The log format of every long-running process of the stack (the sequencer, `npm start`, the
 * prover worker): one line per event, either
 *
 * - `pretty`: a human line (pino-pretty: time, level, name, message, then the event's fields),
 *   the default when stdout is a terminal, or
 * - `json`: one pino JSON object per line, the default otherwise (a file, a pipe, journald, a
 *   log shipper).
 *
 * `PROVENANCE_LOG_FORMAT=json|pretty|auto` (or a process's `--log-format`) forces either; `auto`
 * (the default) is the terminal test above. A pretty line shows an error's type, code and
 * message; its stack is in the JSON form.
 */
import { fstatSync } from "node:fs";
import { pino, type Logger, type LevelWithSilent } from "pino";
import { PinoPretty } from "pino-pretty";

export const LOG_FORMATS = ["auto", "json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_FORMAT_ENV = "PROVENANCE_LOG_FORMAT";

/** A bad log format: names where it came from. */
export class LogFormatError extends Error {
  constructor(raw: string, source: string) {
    super(`${source} must be one of ${LOG_FORMATS.join(", ")}, got ${JSON.stringify(raw)}`);
    this.name = "LogFormatError";
  }
}

/** Parses a format setting (case-insensitive; empty is `auto`); throws LogFormatError naming `source`. */
export function parseLogFormat(raw: string | undefined, source: string = LOG_FORMAT_ENV): LogFormat {
  const v = (raw ?? "").trim().toLowerCase();
  if (v === "") return "auto";
  if (!(LOG_FORMATS as readonly string[]).includes(v)) throw new LogFormatError(raw!, source);
  return v as LogFormat;
}

/**
 * The format lines are written in: the flag, else the variable, else `auto`; `auto` is `pretty`
 * when the output is a terminal, `json` otherwise.
 */
export function resolveLogFormat(
  opts: { flag?: string | undefined; env?: Record<string, string | undefined>; isTTY?: boolean | undefined; humanBeside?: boolean | undefined } = {},
): "json" | "pretty" {
  const env = opts.env ?? process.env;
  const chosen = opts.flag !== undefined ? parseLogFormat(opts.flag, "--log-format") : parseLogFormat(env[LOG_FORMAT_ENV]);
  if (chosen !== "auto") return chosen;
  if (opts.humanBeside === true) return "pretty";
  return (opts.isTTY ?? process.stdout.isTTY) === true ? "pretty" : "json";
}

/**
 * Whether stdout and stderr are the same file or pipe (`2>&1`, `&> file`): the human lines a
 * process prints on stderr then land beside its log lines, so `auto` should not pick JSON.
 */
export function stdoutIsStderr(): boolean {
  try {
    const [a, b] = [fstatSync(1), fstatSync(2)];
    return a.dev === b.dev && a.ino === b.ino && a.rdev === b.rdev;
  } catch {
    return false;
  }
}

/** An error for one human line: `{ type, code?, message }`, the cause's message appended. */
function terseError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : "";
  return { type: err.name, ...(typeof code === "string" || typeof code === "number" ? { code } : {}), message: `${err.message}${cause}` };
}

export interface CreateLoggerOptions {
  name: string;
  level: LevelWithSilent | string;
  /** `--log-format`, when the process has one. */
  flag?: string | undefined;
  env?: Record<string, string | undefined>;
  /** Where lines go (default stdout); `isTTY` of it decides `auto`. */
  destination?: NodeJS.WritableStream & { isTTY?: boolean; fd?: number };
  /** Human lines go to the same place (`stdoutIsStderr()`): `auto` is then `pretty`. */
  humanBeside?: boolean;
}

/**
 * A pino logger in the resolved format. Pretty lines are written synchronously, so they stay in
 * order with the human lines a process prints itself (its banner, progress).
 */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const dest = opts.destination ?? process.stdout;
  const format = resolveLogFormat({ flag: opts.flag, env: opts.env, isTTY: dest.isTTY === true, humanBeside: opts.humanBeside });
  const base = { name: opts.name, level: opts.level };
  let logger: Logger;
  if (format === "pretty") {
    const env = opts.env ?? process.env;
    const colorize = dest.isTTY === true && !env.NO_COLOR;
    const stream = PinoPretty({
      colorize,
      sync: true,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
      singleLine: true,
      // An error is a field like any other (one line), not pino-pretty's multi-line block.
      errorLikeObjectKeys: [],
      destination: dest,
    });
    // On a terminal an error is its type, code and message on the event's line (pino-pretty
    // prints whatever sits under pino's error key as a block of lines); its stack is in the JSON form.
    logger = pino(
      {
        ...base,
        serializers: { error: terseError },
        formatters: {
          log: (obj) => {
            if (!("err" in obj)) return obj;
            const { err, ...rest } = obj;
            return { ...rest, error: terseError(err) };
          },
        },
      },
      stream,
    );
  } else {
    logger = dest === process.stdout ? pino(base) : pino(base, dest);
  }
  return logger;
}
