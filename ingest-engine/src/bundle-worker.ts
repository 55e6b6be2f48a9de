/**
 * Worker thread body for `BundlePool`: the offline checks of slices of bundles (`checkOffline`,
 * and `completeTrusted` when the slice comes with trusted roots), with the native `BundleMath`
 * when it loaded (and is allowed), else the SDK's own. Manifest lines arrive as text and are
 * parsed here. Every answer is what the SDK gives for the same bundle on the main thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { JS_BUNDLE_MATH } from "@provenance/client-sdk/bundle";
import { checkOffline, completeTrusted, itemJson, type DatasetItem, type OfflineCheck, type TrustedRoots } from "@provenance/client-sdk/offline";
import { nativeBundleMath } from "./bundle-math.js";

/** Trusted roots for the slices that follow (kept until replaced). */
export interface TrustMessage {
  kind: "trust";
  id: number;
  trust: TrustedRoots;
}

/** A slice of bundles; `trust` is the id of the last TrustMessage, or null (the root checks run elsewhere). */
export interface CheckMessage {
  kind: "check";
  id: number;
  items: DatasetItem[];
  trust: number | null;
}

export type CheckReply = { id: number; answers: OfflineCheck[] } | { id: number; failure: string };

const port = parentPort;
if (port === null) throw new Error("bundle-worker must run in a worker thread");

const allowed = (workerData as { native?: boolean } | null)?.native !== false;
const math = allowed && nativeBundleMath.math ? nativeBundleMath.math : JS_BUNDLE_MATH;
let trust: { id: number; roots: TrustedRoots } | null = null;

function answer(item: DatasetItem, roots: TrustedRoots | null): OfflineCheck {
  const parsed = itemJson(item);
  if ("result" in parsed) return parsed;
  const offline = checkOffline(parsed.json, math);
  return roots !== null && "pending" in offline ? { result: completeTrusted(offline.pending, roots) } : offline;
}

port.on("message", (msg: TrustMessage | CheckMessage | { close: true }) => {
  if ("close" in msg) {
    // Exit on our own, between slices (see verify-worker.ts: terminating a thread that runs
    // WebAssembly has crashed Node 20).
    port.close();
    return;
  }
  if (msg.kind === "trust") {
    trust = { id: msg.id, roots: msg.trust };
    return;
  }
  let reply: CheckReply;
  try {
    if (msg.trust !== null && trust?.id !== msg.trust) throw new Error(`trusted roots ${msg.trust} were never sent to this worker`);
    const roots = msg.trust === null ? null : trust!.roots;
    reply = { id: msg.id, answers: msg.items.map((item) => answer(item, roots)) };
  } catch (err) {
    reply = { id: msg.id, failure: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true, native: math !== JS_BUNDLE_MATH, reason: allowed ? nativeBundleMath.reason : "disabled (native: false)" });
