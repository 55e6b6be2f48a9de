/**
 * One record: its status, batch, leaf index and receipt as the sequencer reports them; once
 * anchored, its bundle can be downloaded or verified in this page (fetched from the sequencer,
 * then checked against the chain like a dropped one).
 */
import { checkReceipt, type RecordView } from "@provenance/client-sdk";
import { ChainReader } from "@provenance/client-sdk/chain";
import type { ViewContext } from "../context.js";
import { errorBox, facts, h, link, render, short, time } from "../dom.js";
import { verifyInPage } from "../verification.js";
import { resultView, runningView } from "./checks.js";

export function recordView(root: HTMLElement, ctx: ViewContext, id: string): void {
  render(root, h("h2", {}, "Record"), h("p", {}, "loading…"));
  void (async () => {
    let r: RecordView;
    try {
      r = await ctx.sequencer.record(id);
    } catch (e) {
      if (ctx.current()) render(root, h("h2", {}, "Record"), errorBox((e as Error).message));
      return;
    }
    if (!ctx.current()) return;
    const out = h("div", { id: "verify-out" });
    const receiptCheck = h("span", { id: "receipt-check" }, "checking…");
    const proofUrl = `${ctx.settings.sequencerUrl}/v1/records/${r.id}/proof`;
    const verify = async (): Promise<void> => {
      render(out, runningView());
      let text: string;
      try {
        const res = await fetch(proofUrl);
        text = await res.text();
        if (!res.ok) throw new Error(`GET ${proofUrl}: ${res.status} ${text}`);
      } catch (e) {
        render(out, errorBox(`could not fetch the bundle: ${(e as Error).message}`));
        return;
      }
      const v = await verifyInPage({ bundleText: text, rpcUrl: ctx.settings.rpcUrl, programId: ctx.settings.programId });
      if (ctx.current()) render(out, resultView(v));
    };
    render(
      root,
      h("h2", {}, "Record ", h("span", { class: `state ${r.status}` }, r.status)),
      facts([
        ["id", h("span", { class: "mono", id: "record-id" }, r.id)],
        ["url", h("span", { class: "url" }, r.record.url)],
        ["fetched", time(r.record.timestamp)],
        ["content hash", h("span", { class: "mono" }, r.record.contentHash)],
        ["node", link(`/search?field=nodeId&q=${r.record.nodeId}`, short(r.record.nodeId, 16))],
        ["seq", r.seq],
        ["received", time(r.receivedAt)],
        ["batch", r.batch !== null ? link(`/batch/${r.batch}`, `#${r.batch}`) : "not batched yet"],
        ["leaf index", r.leafIndex ?? "—"],
        ...(r.status === "dropped" ? ([["dropped", r.reason ?? ""]] as [string, string][]) : []),
        ["receipt", h("pre", { class: "json" }, JSON.stringify(r.receipt, null, 2))],
        ["receipt check (this page)", receiptCheck],
      ]),
      r.status === "anchored"
        ? h(
            "p",
            {},
            h("button", { id: "verify-record", onclick: () => void verify() }, "Verify in this page"),
            " ",
            h("a", { href: proofUrl, download: `bundle-${r.id.slice(0, 12)}.json` }, "Download the bundle"),
          )
        : h("p", { class: "small" }, "Its bundle exists once its batch is anchored."),
      out,
    );
    // The receipt's ed25519 signature, for this record and seq and (v2) this program on the
    // chain the page reads, under the key the sequencer serves: its word for its own key (an
    // auditor pins the key instead: provenance audit --receipt-key).
    try {
      const key = await ctx.sequencer.receiptKey();
      const genesisHash = r.receipt.v === 2 ? await new ChainReader({ connection: ctx.settings.rpcUrl, programId: ctx.settings.programId }).genesisHash() : null;
      checkReceipt(r.receipt, key, { id: r.id, seq: r.seq, ...(genesisHash ? { deployment: { programId: ctx.settings.programId, genesisHash } } : {}) });
      if (ctx.current()) render(receiptCheck, h("span", { class: "pass" }, `✓ signed by the sequencer's receipt key ${key.slice(0, 16)}… (as it serves it) for this record and seq${genesisHash ? ", this program and this chain" : ""}`));
    } catch (e) {
      if (ctx.current()) render(receiptCheck, h("span", { class: "fail" }, `✗ ${(e as Error).message}`));
    }
  })();
}
