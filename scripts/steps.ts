/**
 * The long steps of `npm start`, for a person watching: each step's name, its elapsed time while
 * it runs, and what it took. On a terminal (stderr a TTY) one status line is redrawn every
 * second (`⠹ Compiling the "dev" circuit ... 1 min 12 s`) and the step's own messages print
 * above it; elsewhere the step prints a start line, a line a minute while it runs, and its end,
 * so a log file still shows where the time went.
 */
import { formatDuration } from "@provenance/client-sdk/node";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface StepStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Step {
  /** A message of the step, printed on its own line (above the status line on a terminal). */
  note(line: string): void;
}

export async function runStep<T>(label: string, fn: (step: Step) => Promise<T> | T, stream: StepStream = process.stderr, now: () => number = Date.now): Promise<T> {
  const tty = stream.isTTY === true;
  const started = now();
  const elapsed = () => formatDuration((now() - started) / 1000);
  let frame = 0;
  const draw = () => void stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label} ... ${elapsed()}\x1b[K`);
  const clear = () => void stream.write("\r\x1b[K");
  let timer: NodeJS.Timeout;
  if (tty) {
    draw();
    timer = setInterval(draw, 1000);
  } else {
    stream.write(`${label} ...\n`);
    timer = setInterval(() => void stream.write(`  ${label}: still running (${elapsed()})\n`), 60_000);
  }
  timer.unref();
  const step: Step = {
    note(line) {
      if (tty) clear();
      stream.write(`  ${line}\n`);
      if (tty) draw();
    },
  };
  try {
    const value = await fn(step);
    clearInterval(timer);
    if (tty) clear();
    stream.write(`${tty ? "✔ " : ""}${label}: done in ${elapsed()}\n`);
    return value;
  } catch (err) {
    clearInterval(timer);
    if (tty) clear();
    stream.write(`${tty ? "✖ " : ""}${label}: failed after ${elapsed()}\n`);
    throw err;
  }
}
