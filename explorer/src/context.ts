/** What every view gets: the sequencer client, the settings, and a way to schedule its own polling. */
import { SequencerClient } from "@provenance/client-sdk";
import type { Settings } from "./settings.js";

export interface ViewContext {
  settings: Settings;
  /** Reads of the sequencer's API (one attempt each: a view shows a failure and polls again). */
  sequencer: SequencerClient;
  /**
   * Runs `tick` now and every `ms` while this view is shown; stops when the reader navigates
   * away, so a view that does not poll (the verify panel) makes no request to the sequencer.
   */
  every(ms: number, tick: () => Promise<void>): void;
  /** True while this view is the one shown (an answer arriving later is dropped). */
  current(): boolean;
}

export function sequencerClient(url: string): SequencerClient {
  return new SequencerClient({ url, retry: { attempts: 1 }, timeoutMs: 15_000 });
}
