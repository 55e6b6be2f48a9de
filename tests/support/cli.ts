/** Runs the `provenance` CLI as a user would: the bin npm linked into node_modules/.bin. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = path.join(REPO, "node_modules", ".bin", "provenance");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (with --json), else undefined. */
  json: Record<string, unknown> | undefined;
}

export function cliBin(): string {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm install at the repository root (it links the cli bin)`);
  return BIN;
}

export function cli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; /** Written to its stdin (else stdin is closed). */ input?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env };
    // A test never reaches a developer's running services by accident.
    for (const k of ["PROVENANCE_SEQUENCER_URL", "PROVENANCE_RPC_URL", "PROVENANCE_ADMIN_TOKEN", "PROVENANCE_PROGRAM_ID"]) if (!(k in (options.env ?? {}))) delete env[k];
    const child = spawn(cliBin(), args, { cwd: options.cwd ?? REPO, env: env as NodeJS.ProcessEnv, stdio: [options.input !== undefined ? "pipe" : "ignore", "pipe", "pipe"] });
    if (options.input !== undefined) child.stdin!.end(options.input);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`provenance ${args.join(" ")} did not finish within ${options.timeoutMs ?? 120_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

/** The run exited with `code`; on failure the message shows both streams. */
export function expectExit(run: CliRun, code: number, what: string): void {
  expect(run.code, `${what}: exit ${run.code}\nstdout: ${run.stdout.slice(0, 3000)}\nstderr: ${run.stderr.slice(0, 3000)}`).to.equal(code);
}
