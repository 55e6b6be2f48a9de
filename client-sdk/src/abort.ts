/**
 * Cancellation of the SDK's long calls with the platform's `AbortSignal` (Node >= 20, browsers).
 * An aborted call rejects with `signal.reason` (by default a `DOMException` named "AbortError",
 * as `fetch` does), never with a ProvenanceError: being cancelled is not a failure of the
 * service or of the thing verified. Browser-safe.
 */

/** Options of a call that can be cancelled. */
export interface AbortOptions {
  /** Aborting it rejects the call promptly with `signal.reason` (an "AbortError" DOMException unless given another). */
  signal?: AbortSignal;
}

/**
 * `work`, or a rejection with the signal's reason as soon as it aborts. The work itself may run
 * on (a web3.js request cannot be cancelled), its result ignored.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
