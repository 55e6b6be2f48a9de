/**
 * One batch: its statement, proof and anchor as the sequencer reports them, its records, and
 * the one thing this page checks itself: the root the program's BatchLog holds for the batch.
 */
import type { BatchDetail, BatchRecords } from "@provenance/client-sdk";
import { ChainReader } from "@provenance/client-sdk/chain";
import type { ViewContext } from "../context.js";
import { errorBox, facts, h, link, render, short, time } from "../dom.js";

export function batchView(root: HTMLElement, ctx: ViewContext, index: number): void {
  render(root, h("h2", {}, `Batch #${index}`), h("p", {}, "loading…"));
  void (async () => {
    let batch: BatchDetail;
    let records: BatchRecords | null;
    try {
      batch = await ctx.sequencer.batch(index);
      records = await ctx.sequencer.batchRecords(index).catch(() => null);
    } catch (e) {
      if (ctx.current()) render(root, h("h2", {}, `Batch #${index}`), errorBox((e as Error).message));
      return;
    }
    if (!ctx.current()) return;
    const onChain = h("span", { id: "batch-on-chain" }, batch.state === "anchored" ? "reading BatchLog…" : "not anchored yet");
    render(
      root,
      h("h2", {}, `Batch #${index} `, h("span", { class: `state ${batch.state}` }, batch.state)),
      facts([
        ["records", batch.count],
        ["batch root", short(batch.batchRoot, 32)],
        ["on chain (this page's read)", onChain],
        ["registry root", short(batch.registryRoot, 32)],
        ["window", `${time(batch.minTs)} … ${time(batch.maxTs)}`],
        ["sealed", time(batch.sealedAt)],
        ["proven", batch.provenAt !== null ? `${time(batch.provenAt)} (${((batch.proveMs ?? 0) / 1000).toFixed(1)} s)` : "not yet"],
        ["proof", batch.proof ? `Groth16 on the "${batch.proof.circuit}" circuit, ${batch.proof.publicSignals.length} public signal(s)` : "none yet"],
        ["anchored", batch.anchor ? `${time(batch.anchor.anchoredAt)} in slot ${batch.anchor.slot}` : "not yet"],
        ["transaction", batch.txSignature ? short(batch.txSignature, 44) : "—"],
        ["program", batch.anchor ? short(batch.anchor.programId, 44) : "—"],
        ["cluster", batch.anchor ? batch.anchor.cluster : "—"],
      ]),
      h("h3", {}, "Records"),
      records
        ? h(
            "table",
            { id: "batch-records" },
            h("thead", {}, h("tr", {}, ["leaf", "seq", "record", "url", "fetched"].map((c) => h("th", {}, c)))),
            h(
              "tbody",
              {},
              records.records.map((r, leaf) => h("tr", {}, h("td", { class: "num" }, leaf), h("td", { class: "num" }, r.seq), h("td", {}, link(`/record/${r.id}`, short(r.id))), h("td", { class: "url" }, r.record.url), h("td", {}, time(r.record.timestamp)))),
            ),
          )
        : errorBox("the sequencer did not list this batch's records"),
    );
    if (batch.state !== "anchored") return;
    try {
      const chain = new ChainReader({ connection: ctx.settings.rpcUrl, programId: ctx.settings.programId });
      const chainRoot = await chain.batchLogRoot(index);
      if (!ctx.current()) return;
      if (chainRoot === null) render(onChain, "older than the BatchLog ring (check a record's bundle: its transaction is read instead)");
      else if (chainRoot === batch.batchRoot) render(onChain, h("span", { class: "pass" }, "✓ BatchLog holds this root"));
      else render(onChain, h("span", { class: "fail" }, "✗ BatchLog holds another root: ", short(chainRoot, 32)));
    } catch (e) {
      if (ctx.current()) render(onChain, h("span", { class: "fail" }, `could not read the chain: ${(e as Error).message}`));
    }
  })();
}
