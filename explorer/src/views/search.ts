/** Record search by URL (exact), content hash or node (`GET /v1/records?…`), page by page. */
import type { RecordView } from "@provenance/client-sdk";
import type { ViewContext } from "../context.js";
import { errorBox, h, link, render, short, time } from "../dom.js";

export const SEARCH_FIELDS = ["url", "contentHash", "nodeId"] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

export function recordRow(r: RecordView): HTMLTableRowElement {
  return h(
    "tr",
    { "data-record": r.id },
    h("td", {}, link(`/record/${r.id}`, short(r.id))),
    h("td", {}, h("span", { class: `state ${r.status}` }, r.status)),
    h("td", {}, r.batch !== null ? link(`/batch/${r.batch}`, `#${r.batch}`) : "—"),
    h("td", { class: "url" }, r.record.url),
    h("td", {}, time(r.record.timestamp)),
    h("td", {}, short(r.record.nodeId, 6)),
  );
}

export function searchView(root: HTMLElement, ctx: ViewContext, query: URLSearchParams): void {
  const field = (SEARCH_FIELDS as readonly string[]).includes(query.get("field") ?? "") ? (query.get("field") as SearchField) : "url";
  const value = query.get("q") ?? "";
  const select = h("select", { name: "field", id: "search-field" }, SEARCH_FIELDS.map((f) => h("option", { value: f, selected: f === field }, f)));
  const input = h("input", { name: "q", id: "search-q", size: 70, spellcheck: "false", placeholder: "https://example.com/page, or 64 hex" });
  input.value = value;
  const results = h("div", { id: "search-results" });
  const form = h(
    "form",
    {
      class: "search",
      onsubmit: (e: Event) => {
        e.preventDefault();
        location.hash = `#/search?${new URLSearchParams({ field: select.value, q: input.value.trim() }).toString()}`;
      },
    },
    select,
    input,
    h("button", { type: "submit" }, "Search"),
  );
  render(root, h("h2", {}, "Search records"), form, results);
  if (value === "") return;

  const shown: RecordView[] = [];
  const more = async (after?: string): Promise<void> => {
    try {
      const page = await ctx.sequencer.search({ [field]: value }, { limit: 100, ...(after ? { after } : {}) });
      if (!ctx.current()) return;
      shown.push(...page.records);
      render(
        results,
        h("p", { class: "small" }, `${shown.length} record${shown.length === 1 ? "" : "s"} with ${field} = `, h("span", { class: "mono" }, value)),
        shown.length > 0
          ? h("table", {}, h("thead", {}, h("tr", {}, ["record", "status", "batch", "url", "fetched", "node"].map((c) => h("th", {}, c)))), h("tbody", {}, shown.map(recordRow)))
          : null,
        page.next !== null ? h("button", { onclick: () => void more(page.next!) }, "More") : null,
      );
    } catch (e) {
      if (ctx.current()) render(results, errorBox((e as Error).message));
    }
  };
  void more();
}
