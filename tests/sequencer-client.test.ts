/**
 * SequencerClient against a real sequencer (started without a chain client), through a small
 * HTTP proxy that injects what the network and an overloaded or dishonest sequencer do: 503 with
 * Retry-After, a dropped connection, an altered receipt, a different receipt key.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { ProvenanceError, SequencerClient, SequencerHttpError, parseRetryAfter, verifyReceipt } from "@provenance/client-sdk";
import { loadConfig } from "@provenance/sequencer";
import { Sequencer } from "@provenance/sequencer";
import { publicKeyHex, quietLogger, recentRecord, tempDir, testNode } from "../sequencer/test/helpers.js";
import { ensureSetup } from "./support/circuit-setup.js";

type Rewrite = (path: string, status: number, body: string) => { status: number; body: string; headers?: Record<string, string> } | "drop" | null;

/** Forwards to `target`; `before` may answer instead, `after` may rewrite the answer. */
function proxy(target: string, hooks: { before?: (req: http.IncomingMessage) => { status: number; headers?: Record<string, string>; body: string } | "drop" | null; after?: Rewrite }) {
  const server = http.createServer(async (req, res) => {
    const early = hooks.before?.(req) ?? null;
    if (early === "drop") return req.socket.destroy();
    if (early) {
      res.writeHead(early.status, { "content-type": "application/json", ...early.headers });
      return res.end(early.body);
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers: { "content-type": req.headers["content-type"] ?? "application/json", ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) },
      ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
    });
    let status = upstream.status;
    let body = await upstream.text();
    const rewritten = hooks.after?.(req.url ?? "", status, body) ?? null;
    if (rewritten === "drop") return req.socket.destroy();
    if (rewritten) ({ status, body } = rewritten);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(body);
  });
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) }),
    ),
  );
}

describe("SequencerClient against a real sequencer", function () {
  this.timeout(120_000);
  const ADMIN = "client-test-admin-token-012345";
  const node = testNode("client");
  let t: ReturnType<typeof tempDir>;
  let seq: Sequencer;

  before(async function () {
    // The sequencer's prover needs the compiled `test` circuit and its setup: on a fresh clone
    // this suite may be the first to ask for them (minutes, then cached).
    this.timeout(1_800_000);
    await ensureSetup("test");
    t = tempDir("client");
    const config = loadConfig({}, { dataDir: t.dir, circuit: "test", listen: "127.0.0.1:0", adminToken: ADMIN, verifyWorkers: 0 });
    seq = await Sequencer.start(config, { logger: quietLogger(), submitter: null, defaultMetrics: false });
    await new SequencerClient({ url: seq.url, adminToken: ADMIN }).addNode(publicKeyHex(node));
  });
  after(async function () {
    await seq?.stop();
    t?.remove();
  });

  it("submits one and many records; every receipt is checked against the pinned key", async function () {
    const client = new SequencerClient({ url: seq.url });
    const one = await client.submit(recentRecord(node, 1));
    expect(one.status).to.equal("pending");
    expect(await client.receiptKey()).to.equal(seq.receiptKey);
    expect(verifyReceipt(one.receipt, seq.receiptKey)).to.equal(true);
    const many = await client.submitMany([2, 3, 4, 5, 6].map((n) => recentRecord(node, n)), { chunk: 2 });
    expect(many.map((r) => r.seq)).to.deep.equal([1, 2, 3, 4, 5]);
    const dup = await client.submit(recentRecord(node, 1));
    expect(dup).to.include({ duplicate: true, seq: one.seq });
    const view = await client.record(one.id);
    expect(view.receipt).to.deep.equal(one.receipt);
  });

  it("retries 503 honouring Retry-After, and a dropped connection, then succeeds", async function () {
    let refusals = 0;
    let drops = 0;
    const p = await proxy(seq.url, {
      before: (req) => {
        if (req.method !== "POST") return null;
        if (refusals < 2) {
          refusals++;
          return { status: 503, headers: { "retry-after": "1" }, body: JSON.stringify({ error: { code: "OVERLOADED", message: "busy" } }) };
        }
        if (drops < 1) {
          drops++;
          return "drop";
        }
        return null;
      },
    });
    try {
      const waits: number[] = [];
      const client = new SequencerClient({ url: p.url, retry: { baseMs: 10 }, onRetry: ({ waitMs }) => waits.push(waitMs) });
      const t0 = Date.now();
      const r = await client.submit(recentRecord(node, 7));
      expect(r.status).to.equal("pending");
      expect(waits).to.have.length(3);
      expect(waits[0]).to.be.at.least(1000);
      expect(waits[1]).to.be.at.least(1000);
      expect(waits[2]).to.be.below(1000);
      expect(Date.now() - t0).to.be.at.least(2000);
    } finally {
      await p.close();
    }
  });

  it("gives up after its attempts, and does not retry a refusal", async function () {
    const p = await proxy(seq.url, { before: () => ({ status: 503, headers: { "retry-after": "0" }, body: "{}" }) });
    try {
      const client = new SequencerClient({ url: p.url, retry: { attempts: 3, baseMs: 1 } });
      const err = await client.submit(recentRecord(node, 8)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(SequencerHttpError);
      expect((err as SequencerHttpError).status).to.equal(503);
      expect((err as Error).message).to.contain("after 3 attempt(s)");
    } finally {
      await p.close();
    }
    const stranger = testNode("stranger");
    const err = await new SequencerClient({ url: seq.url }).submit(recentRecord(stranger, 1)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(SequencerHttpError);
    expect(err).to.include({ status: 403, serverCode: "NODE_NOT_REGISTERED" });
    const dead = await new SequencerClient({ url: "http://127.0.0.1:9", retry: { attempts: 2, baseMs: 1 } }).record("0".repeat(64)).catch((e: unknown) => e);
    expect(dead).to.include({ code: "UNREACHABLE", status: 0 });
    expect((dead as Error).message).to.contain("cannot reach the sequencer at http://127.0.0.1:9");
  });

  it("refuses a receipt whose seq, id or signature was altered, or signed by another key", async function () {
    const alter = (f: (a: { seq: number; id: string; receipt: { seq: number; signature: string; receivedAt: number } }) => void): Rewrite => (path, status, body) => {
      if (path !== "/v1/records" || status >= 300) return null;
      const a = JSON.parse(body) as { seq: number; id: string; receipt: { seq: number; signature: string; receivedAt: number } };
      f(a);
      return { status, body: JSON.stringify(a) };
    };
    const cases: [string, Rewrite, RegExp][] = [
      ["answered seq", alter((a) => (a.seq += 1)), /receipt says seq \d+, but the sequencer answered seq \d+/],
      ["receipt seq", alter((a) => (a.receipt.seq += 1)), /receipt says seq \d+, but the sequencer answered seq/],
      ["both seqs", alter((a) => ((a.seq += 1), (a.receipt.seq += 1))), /receipt signature does not verify/],
      ["receivedAt", alter((a) => (a.receipt.receivedAt += 1)), /receipt signature does not verify/],
      ["id", alter((a) => (a.id = "0".repeat(64))), /sequencer answered id 0{64} for record 0/],
    ];
    let n = 20;
    for (const [what, after, message] of cases) {
      const p = await proxy(seq.url, { after });
      try {
        const err = await new SequencerClient({ url: p.url, receiptKey: seq.receiptKey }).submit(recentRecord(node, n++)).catch((e: unknown) => e);
        expect(err, what).to.be.instanceOf(ProvenanceError);
        expect((err as ProvenanceError).code, what).to.equal("BAD_RECEIPT");
        expect((err as Error).message, what).to.match(message);
      } finally {
        await p.close();
      }
    }
    // Pinned to another key: the sequencer's genuine receipts are refused.
    const other = "ab".repeat(32);
    const err = await new SequencerClient({ url: seq.url, receiptKey: other }).submit(recentRecord(node, n)).catch((e: unknown) => e);
    expect((err as ProvenanceError).code).to.equal("BAD_RECEIPT");
    expect((err as Error).message).to.contain("not the sequencer's pinned key");
  });

  it("parses Retry-After as seconds or an HTTP date", function () {
    expect(parseRetryAfter("3")).to.equal(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).to.be.within(3000, 5000);
    expect(parseRetryAfter("soon")).to.equal(null);
    expect(parseRetryAfter(null)).to.equal(null);
  });
});
