/**
 * The verify panel: drop (or pick) a bundle, and optionally the fetched file; the page verifies
 * them itself (verification.ts) and shows every check. Nothing here talks to the sequencer.
 */
import type { ViewContext } from "../context.js";
import { h, render } from "../dom.js";
import { verifyInPage } from "../verification.js";
import { resultView, runningView } from "./checks.js";

/** Larger than any bundle: a dropped file this big is content. */
const MAX_BUNDLE_BYTES = 1 << 20;

/** A file that parses as a JSON object with a record is a bundle; anything else is content. */
function looksLikeBundle(text: string): boolean {
  try {
    const j = JSON.parse(text) as unknown;
    return typeof j === "object" && j !== null && "record" in j && "inclusionProof" in j;
  } catch {
    return false;
  }
}

export function verifyView(root: HTMLElement, ctx: ViewContext): void {
  let bundle: { name: string; text: string } | null = null;
  let content: { name: string; file: File } | null = null;
  const bundleInput = h("input", { type: "file", id: "bundle-file", accept: ".json,application/json" });
  const contentInput = h("input", { type: "file", id: "content-file" });
  const withTx = h("input", { type: "checkbox", id: "check-tx", checked: true });
  const chosen = h("p", { class: "small", id: "verify-files" }, "No bundle yet.");
  const out = h("div", { id: "verify-out" });

  // Only the latest run shows its result: a file picked while another run is in flight wins.
  let latest = 0;
  const run = async (): Promise<void> => {
    const mine = ++latest;
    render(chosen, bundle ? `bundle: ${bundle.name}` : "No bundle yet.", content ? ` · content: ${content.name} (${content.file.size} bytes)` : "");
    if (!bundle) return;
    render(out, runningView());
    const v = await verifyInPage({
      bundleText: bundle.text,
      ...(content ? { content: content.file } : {}),
      rpcUrl: ctx.settings.rpcUrl,
      programId: ctx.settings.programId,
      checkTransaction: withTx.checked,
    });
    if (mine === latest && ctx.current()) render(out, resultView(v));
  };

  const take = async (files: FileList | null, as?: "bundle" | "content"): Promise<void> => {
    for (const f of Array.from(files ?? [])) {
      // Content is handed to the SDK as the File itself (hashed as a stream when large); only a
      // file that may be a bundle (a few KiB) is read as text.
      if (as === "content" || (as === undefined && f.size > MAX_BUNDLE_BYTES)) {
        content = { name: f.name, file: f };
        continue;
      }
      const text = await f.text();
      if (as === "bundle" || looksLikeBundle(text)) bundle = { name: f.name, text };
      else content = { name: f.name, file: f };
    }
    await run();
  };
  bundleInput.addEventListener("change", () => void take(bundleInput.files, "bundle"));
  contentInput.addEventListener("change", () => void take(contentInput.files, "content"));
  withTx.addEventListener("change", () => void run());

  const zone = h(
    "div",
    { id: "drop-zone", class: "drop" },
    h("p", {}, "Drop a bundle (JSON from ", h("span", { class: "mono" }, "GET /v1/records/:id/proof"), " or ", h("span", { class: "mono" }, "provenance proof"), ") here, and optionally the fetched file itself."),
    h("p", {}, h("label", {}, "Bundle ", bundleInput), " ", h("label", {}, "Content (optional) ", contentInput)),
    h("p", {}, h("label", {}, withTx, " also check the submit_batch transaction")),
  );
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    void take(e.dataTransfer?.files ?? null);
  });

  render(
    root,
    h("h2", {}, "Verify a bundle"),
    h("p", {}, "Every check runs in this browser: the SDK's record, signature and Merkle checks, then the root against the chain RPC above, read directly (", h("span", { class: "mono" }, ctx.settings.rpcUrl), "). With the file, its SHA-256 must be the record's contentHash."),
    zone,
    chosen,
    out,
  );
}
