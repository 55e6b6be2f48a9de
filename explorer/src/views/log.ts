/**
 * The log: the chain's head as this page reads it from the program's Config (next batch index,
 * hash-chain head, accumulator size), and the sequencer's batches, newest first, polled every
 * few seconds (`GET /v1/batches`).
 */
import type { BatchSummary, NodeList } from "@provenance/client-sdk";
import { ChainReader, type AccumulatorSnapshot, type ChainConfig } from "@provenance/client-sdk/chain";
import type { ViewContext } from "../context.js";
import { errorBox, facts, h, link, render, short, time } from "../dom.js";

export const LOG_POLL_MS = 3_000;
/** Batches shown. */
const SHOWN = 50;

/** Registry roots whose version the page knows: the chain's current and staged, the sequencer's current. */
export function registryVersions(config: ChainConfig | null, nodes: NodeList | null): Map<string, number> {
  const known = new Map<string, number>();
  if (nodes) known.set(nodes.registryRoot, nodes.registryVersion);
  if (config) {
    known.set(config.registryRoot, config.registryVersion);
    if (config.stagedRegistryRoot !== null) known.set(config.stagedRegistryRoot, config.stagedRegistryVersion);
  }
  return known;
}

export function batchRow(b: BatchSummary, versions: Map<string, number>): HTMLTableRowElement {
  const version = versions.get(b.registryRoot);
  return h(
    "tr",
    { "data-batch": b.index, "data-state": b.state },
    h("td", {}, link(`/batch/${b.index}`, `#${b.index}`)),
    h("td", {}, h("span", { class: `state ${b.state}` }, b.state)),
    h("td", { class: "num" }, b.count),
    h("td", {}, short(b.batchRoot)),
    h("td", { class: "small" }, time(b.minTs), h("br"), time(b.maxTs)),
    h("td", {}, version !== undefined ? `v${version}` : short(b.registryRoot, 6)),
    h("td", {}, b.provenAt !== null ? `proven in ${((b.proveMs ?? 0) / 1000).toFixed(1)} s` : "proving…"),
    h("td", {}, b.txSignature ? short(b.txSignature, 8) : b.state === "anchored" ? "—" : "not yet"),
  );
}

export function logView(root: HTMLElement, ctx: ViewContext): void {
  const head = h("section", { id: "chain-head" }, h("h2", {}, "Chain head"), h("p", {}, "reading the program's accounts…"));
  const tbody = h("tbody");
  const summary = h("p", { id: "log-summary", class: "small" }, "loading…");
  const problem = h("div");
  render(
    root,
    head,
    h(
      "section",
      {},
      h("h2", {}, "Batches"),
      summary,
      problem,
      h(
        "table",
        { id: "batches" },
        h("thead", {}, h("tr", {}, ["batch", "state", "records", "root", "window", "registry", "proof", "transaction"].map((c) => h("th", {}, c)))),
        tbody,
      ),
    ),
  );

  let total = 0;
  let config: ChainConfig | null = null;
  let nodes: NodeList | null = null;
  ctx.every(LOG_POLL_MS, async () => {
    // The chain's view, from this browser (a fresh reader each time: new snapshots).
    const chain = new ChainReader({ connection: ctx.settings.rpcUrl, programId: ctx.settings.programId });
    const chainRead = Promise.all([chain.config(), chain.readAccumulator()]).then(
      ([c, a]) => ({ config: c, acc: a as AccumulatorSnapshot | null, error: null as string | null }),
      (e: unknown) => ({ config: null, acc: null, error: (e as Error).message }),
    );
    try {
      let page = await ctx.sequencer.batches(Math.max(0, total - SHOWN), 1000);
      // More than one page behind (a first look at a long log): jump to its end.
      const last = page.batches.at(-1);
      if (last !== undefined && last.index + 1 < page.total) page = await ctx.sequencer.batches(Math.max(0, page.total - SHOWN), SHOWN);
      total = page.total;
      nodes = await ctx.sequencer.nodes().catch(() => nodes);
      const onChain = await chainRead;
      if (!ctx.current()) return;
      config = onChain.config ?? config;
      renderHead(head, onChain.config, onChain.acc, onChain.error, ctx.settings.rpcUrl);
      const versions = registryVersions(config, nodes);
      const newest = page.batches.slice(-SHOWN).reverse();
      render(tbody, newest.map((b) => batchRow(b, versions)));
      const anchored = newest.filter((b) => b.state === "anchored").length;
      render(summary, `${total} batch${total === 1 ? "" : "es"} at the sequencer; the newest ${newest.length} shown (${anchored} anchored). Refreshed ${time(Date.now())}, every ${LOG_POLL_MS / 1000} s.`);
      render(problem);
    } catch (e) {
      if (ctx.current()) render(problem, errorBox(`the sequencer did not answer: ${(e as Error).message}`));
    }
  });
}

function renderHead(el: HTMLElement, config: ChainConfig | null, acc: AccumulatorSnapshot | null, error: string | null, rpcUrl: string): void {
  if (!config || !acc) {
    render(el, h("h2", {}, "Chain head"), errorBox(`could not read the program on ${rpcUrl}: ${error ?? "no answer"}`));
    return;
  }
  render(
    el,
    h("h2", {}, "Chain head ", h("span", { class: "small" }, `(read by this page from ${rpcUrl})`)),
    facts([
      ["batches on chain", h("span", { id: "chain-next-index" }, config.nextIndex)],
      ["records on chain", config.totalRecords],
      ["hash-chain head", short(config.chainHead, 16)],
      ["accumulator", [`${acc.size} leaves, root `, short(acc.root, 12)]],
      ["circuit", `${config.circuit}${config.circuit === "test" || config.circuit === "dev" ? " (INSECURE dev keys: proofs can be forged)" : ""}`],
      ["registry", [`v${config.registryVersion} `, short(config.registryRoot, 8), config.stagedRegistryRoot ? ` (v${config.stagedRegistryVersion} staged)` : ""]],
      ["paused", config.paused ? "yes" : "no"],
    ]),
  );
}
