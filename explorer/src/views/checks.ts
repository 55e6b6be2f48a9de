/** The result of a verification: every named check, the failing one highlighted with its message. */
import { h } from "../dom.js";
import type { PageVerification } from "../verification.js";

let runs = 0;

export function resultView(v: PageVerification): HTMLElement {
  runs++;
  const failed = v.failure?.check ?? null;
  return h(
    "section",
    { id: "verify-result", class: v.ok ? "verdict pass" : "verdict fail", "data-ok": String(v.ok), "data-run": runs, "data-failed-check": failed ?? "" },
    h("h3", {}, v.ok ? "✓ VALID: every check passed" : `✗ INVALID: the ${failed} check failed`),
    v.failure ? h("p", { class: "failure" }, h("strong", {}, `${v.failure.code}: `), v.failure.message) : null,
    h(
      "table",
      { class: "checks" },
      h("thead", {}, h("tr", {}, h("th", {}, "check"), h("th", {}, ""), h("th", {}, "detail"))),
      h(
        "tbody",
        {},
        v.checks.map((c) =>
          h(
            "tr",
            { class: c.ok ? (c.warning ? "warn" : "pass") : "fail", "data-check": c.name, "data-ok": String(c.ok) },
            h("td", { class: "mono" }, c.name),
            h("td", {}, c.ok ? (c.warning ? "⚠" : "✓") : "✗"),
            h("td", {}, c.detail),
          ),
        ),
      ),
    ),
    h(
      "p",
      { class: "small" },
      `Computed in this page in ${v.elapsedMs} ms: the record, signature and Merkle path with the SDK, the root against ${v.rpcUrl} (the program's accounts${v.checks.some((c) => c.name === "transaction") ? " and its submit_batch transaction" : ""}). The sequencer was not asked.`,
      v.sdk?.rootSource ? ` Root checked through: ${v.sdk.rootSource}.` : "",
    ),
  );
}

export function runningView(): HTMLElement {
  return h("section", { id: "verify-result", class: "verdict", "data-ok": "running" }, h("p", {}, "verifying in this page…"));
}
