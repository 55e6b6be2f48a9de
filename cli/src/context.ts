/**
 * What every verb shares: the I/O streams, the output (human or `--json`), the global options,
 * and the clients they build. Heavy modules (Poseidon's WebAssembly, web3.js, Anchor, snarkjs)
 * are imported by the verb that needs them, so `--help` and usage errors answer at once.
 */
import path from "node:path";
import type { Command } from "commander";
import type { ChainReader } from "@provenance/client-sdk/chain";
import type { SequencerClient } from "@provenance/client-sdk";
import { EXIT, EXIT_CODES_HELP, Output, type Io } from "./output.js";

export const DEFAULT_RPC_URL = "http://127.0.0.1:8899";
export const DEFAULT_SEQUENCER_URL = "http://127.0.0.1:8080";

export interface GlobalOptions {
  sequencer: string;
  rpc: string;
  programId: string;
  /** Commitment of every chain read (ChainReader). */
  commitment: "confirmed" | "finalized";
  json: boolean;
}

/** A SequencerHttpError, recognised without importing the client. */
export const isHttpError = (e: unknown): e is Error & { status: number; serverCode: string | null; code: string } =>
  (e as { name?: string })?.name === "SequencerHttpError";

export class CliContext {
  /** Replaced once the verb's own `--json` is known (see `globals`). */
  out: Output;
  /** The exit code the last action decided. */
  exitCode: number = EXIT.OK;

  constructor(readonly io: Io, json: boolean) {
    this.out = new Output(io, json);
  }

  resolvePath(p: string): string {
    return path.resolve(this.io.cwd, p);
  }

  /** The global options as seen from `cmd`; sets the output mode. */
  globals(cmd: Command): GlobalOptions {
    const g = cmd.optsWithGlobals() as GlobalOptions;
    this.out = new Output(this.io, g.json === true);
    return g;
  }

  async sequencerClient(g: GlobalOptions, extra: { adminToken?: string; receiptKey?: string } = {}): Promise<SequencerClient> {
    const { SequencerClient } = await import("@provenance/client-sdk");
    return new SequencerClient({
      url: g.sequencer,
      ...extra,
      onRetry: ({ attempt, waitMs, reason }) => this.out.note(`sequencer: ${reason}; retry ${attempt} in ${(waitMs / 1000).toFixed(1)} s`),
    });
  }

  async chainReader(g: GlobalOptions): Promise<ChainReader> {
    const { ChainReader } = await import("@provenance/client-sdk/chain");
    return new ChainReader({ connection: g.rpc, programId: g.programId, commitment: g.commitment });
  }

  /** Wraps an action: its return value (default 0) or the error it throws decides the exit code. */
  run<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
    return async (...args: A): Promise<void> => {
      try {
        this.exitCode = (await fn(...args)) ?? EXIT.OK;
      } catch (e) {
        this.exitCode = this.out.error(e);
      }
    };
  }

  addExitHelp(cmd: Command): Command {
    return cmd.addHelpText("after", `\n${EXIT_CODES_HELP}`);
  }
}
