/**
 * `AbortSignal` on the SDK's long calls: an aborted call rejects promptly with the signal's
 * reason (an "AbortError" DOMException by default), whether it is waiting on a request that
 * never answers, on a retry's backoff, on `waitForAnchored`'s polling, on a chain RPC that
 * hangs (a bundle's verification, an audit), or in the middle of a dataset.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { ChainReader } from "../src/chain.js";
import { SequencerClient, verifyBundle, verifyBundles } from "../src/index.js";
import { audit } from "../src/node/index.js";
import { FAKE_ANCHOR, bundlesFor, loadVector } from "./helpers/bundles.js";

const PROMPT_MS = 1000;

/** Awaits `call`, aborting `controller` after `afterMs`; returns the rejection and how long it took. */
async function abortedAfter(afterMs: number, call: (signal: AbortSignal) => Promise<unknown>, reason?: unknown): Promise<{ error: unknown; ms: number }> {
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(reason), afterMs);
  try {
    await call(controller.signal);
  } catch (error) {
    return { error, ms: Date.now() - started - afterMs };
  }
  throw new Error("the call resolved although it was aborted");
}

function expectAbortError(error: unknown): void {
  expect(error).to.be.instanceOf(Error);
  expect((error as Error).name).to.equal("AbortError");
}

const never = () => new Promise<Response>(() => {});
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("AbortSignal on long calls", function () {
  const vector = loadVector();
  const bundles = bundlesFor(vector.records, vector.batchLevels, vector, FAKE_ANCHOR);

  describe("SequencerClient", function () {
    it("an already aborted signal rejects before any request", async function () {
      let calls = 0;
      const client = new SequencerClient({ fetch: () => (calls++, never()) });
      const controller = new AbortController();
      controller.abort();
      const { error } = await abortedAfter(0, () => client.record("0".repeat(64), { signal: controller.signal }));
      expectAbortError(error);
      expect(calls).to.equal(0);
    });

    it("a request that never answers", async function () {
      const client = new SequencerClient({ fetch: never });
      const { error, ms } = await abortedAfter(50, (signal) => client.proof("0".repeat(64), { signal }));
      expectAbortError(error);
      expect(ms).to.be.below(PROMPT_MS);
    });

    it("the fetch sees the signal too (the request itself is cancelled)", async function () {
      let seen: AbortSignal | undefined;
      const client = new SequencerClient({ fetch: (_url, init) => ((seen = init?.signal ?? undefined), never()) });
      await abortedAfter(20, (signal) => client.batches(0, 10, { signal }));
      expect(seen?.aborted).to.equal(true);
    });

    it("a retry's backoff (a 503 asking for 30 s)", async function () {
      const client = new SequencerClient({ fetch: async () => json(503, { error: { code: "OVERLOADED", message: "busy" } }, { "retry-after": "30" }) });
      const { error, ms } = await abortedAfter(50, (signal) => client.batch(0, { signal }));
      expectAbortError(error);
      expect(ms).to.be.below(PROMPT_MS);
    });

    it("waitForAnchored's polling, with the signal's own reason", async function () {
      const id = "0".repeat(64);
      const client = new SequencerClient({ fetch: async () => json(200, { id, seq: 1, status: "pending", batch: null, leafIndex: null }) });
      const reason = new Error("the buyer closed the tab");
      const { error, ms } = await abortedAfter(50, (signal) => client.waitForAnchored(id, { pollMs: 10_000, signal }), reason);
      expect(error).to.equal(reason);
      expect(ms).to.be.below(PROMPT_MS);
    });
  });

  describe("verification", function () {
    let server: Server;
    let rpcUrl: string;

    before(async function () {
      // A Solana RPC that accepts connections and never answers.
      server = createServer(() => {});
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      rpcUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(function () {
      server.closeAllConnections();
      server.close();
    });

    it("verifyBundle against a chain whose RPC hangs rejects, rather than reporting a failed bundle", async function () {
      const chain = new ChainReader({ connection: rpcUrl });
      const { error, ms } = await abortedAfter(100, (signal) => verifyBundle(bundles[0], { chain, signal }));
      expectAbortError(error);
      expect(ms).to.be.below(PROMPT_MS);
      chain.close();
    });

    it("audit against a chain whose RPC hangs", async function () {
      const chain = new ChainReader({ connection: rpcUrl });
      const { error, ms } = await abortedAfter(100, (signal) => audit({ chain, sequencer: new SequencerClient({ fetch: never }), signal }));
      expectAbortError(error);
      expect(ms).to.be.below(PROMPT_MS);
      chain.close();
    });

    it("verifyBundles stops in the middle of a dataset", async function () {
      let served = 0;
      async function* slow() {
        for (let line = 1; ; line++) {
          await new Promise((r) => setTimeout(r, 10));
          served++;
          yield { line, json: bundles[line % bundles.length] };
        }
      }
      const { error, ms } = await abortedAfter(150, (signal) => verifyBundles(slow(), { trustedRoot: vector.batchRoot, concurrency: 2, signal }));
      expectAbortError(error);
      expect(ms).to.be.below(PROMPT_MS);
      expect(served).to.be.above(0);
    });
  });
});
