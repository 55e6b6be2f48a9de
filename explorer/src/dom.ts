/**
 * A tiny DOM builder: every text goes in as a text node, never as HTML, because most of what
 * the page shows (URLs, receipts, bundles) comes from a sequencer or a file it does not trust.
 */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

export type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === "object" ? (c as Node) : document.createTextNode(String(c)));
  }
}

/** Replaces everything in `el`. */
export function render(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A link inside the page (hash route). */
export function link(route: string, ...children: Child[]): HTMLAnchorElement {
  return h("a", { href: `#${route}` }, ...children);
}

/** `abcdef…1234` for a long hex or base58 string, the whole value in the tooltip. */
export function short(value: string, keep = 10): HTMLSpanElement {
  const text = value.length > 2 * keep + 1 ? `${value.slice(0, keep)}…${value.slice(-4)}` : value;
  return h("span", { class: "mono", title: value }, text);
}

export function time(ms: number | null): string {
  return ms === null ? "—" : new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** A definition list from label/value pairs. */
export function facts(rows: [string, Child][]): HTMLDListElement {
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

export function errorBox(message: string): HTMLDivElement {
  return h("div", { class: "error", role: "alert" }, message);
}
