/**
 * Where the page reads from. The sequencer is the page's own origin (it serves the page), or
 * `?sequencer=URL` (a page served elsewhere, e.g. Vite's dev server). The chain's RPC, which
 * the verification trusts, is chosen by the reader: `?rpc=URL`, else the last one used in this
 * browser, else the local chain's default port on the page's host. The sequencer does not name
 * it: bundles carry a cluster, not an RPC URL, and the point is not to take the sequencer's word.
 */
import { PROVENANCE_PROGRAM_ID } from "@provenance/client-sdk";

export interface Settings {
  sequencerUrl: string;
  rpcUrl: string;
  programId: string;
}

const STORE_KEY = "provenance-explorer.settings";

function stored(): Partial<Settings> {
  try {
    return JSON.parse(localStorage.getItem(STORE_KEY) ?? "{}") as Partial<Settings>;
  } catch {
    return {};
  }
}

export function initialSettings(loc: Location = window.location): Settings {
  const q = new URLSearchParams(loc.search);
  const saved = stored();
  return {
    sequencerUrl: (q.get("sequencer") ?? loc.origin).replace(/\/+$/, ""),
    rpcUrl: q.get("rpc") ?? saved.rpcUrl ?? `http://${loc.hostname || "127.0.0.1"}:8899`,
    programId: q.get("program") ?? saved.programId ?? PROVENANCE_PROGRAM_ID,
  };
}

export function saveSettings(s: Settings): void {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify({ rpcUrl: s.rpcUrl, programId: s.programId }));
  } catch {
    // storage disabled: the settings last for this page only
  }
}

/** An http(s) URL, or a message saying what is wrong with it. */
export function checkRpcUrl(text: string): string | null {
  try {
    const u = new URL(text);
    return u.protocol === "http:" || u.protocol === "https:" ? null : `the chain RPC must be an http(s) URL, not ${u.protocol}`;
  } catch {
    return `the chain RPC ${JSON.stringify(text)} is not a URL`;
  }
}
