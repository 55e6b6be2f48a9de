/**
 * The explorer page: hash routes, one view at a time, each with its own polling that stops when
 * the reader leaves it.
 *
 *   #/                 the log: chain head and batches (log.ts)
 *   #/batch/N          one batch (batch.ts)
 *   #/search?field&q   record search (search.ts)
 *   #/record/ID        one record (record.ts)
 *   #/verify           the verify panel (verify.ts)
 */
import "./polyfills.js";
import "./style.css";
import { sequencerClient, type ViewContext } from "./context.js";
import { errorBox, h, render } from "./dom.js";
import { checkRpcUrl, initialSettings, saveSettings } from "./settings.js";
import { batchView } from "./views/batch.js";
import { logView } from "./views/log.js";
import { recordView } from "./views/record.js";
import { searchView } from "./views/search.js";
import { verifyView } from "./views/verify.js";

const settings = initialSettings();
const sequencer = sequencerClient(settings.sequencerUrl);
const app = document.getElementById("app")!;
const rpcInput = document.getElementById("rpc-url") as HTMLInputElement;
const programInput = document.getElementById("program-id") as HTMLInputElement;
rpcInput.value = settings.rpcUrl;
programInput.value = settings.programId;

let generation = 0;
let timers: number[] = [];

function show(): void {
  generation++;
  const mine = generation;
  for (const t of timers) clearTimeout(t);
  timers = [];
  const ctx: ViewContext = {
    settings,
    sequencer,
    current: () => generation === mine,
    every: (ms, tick) => {
      const loop = async (): Promise<void> => {
        if (generation !== mine) return;
        await tick().catch(() => {});
        if (generation === mine) timers.push(window.setTimeout(() => void loop(), ms));
      };
      void loop();
    },
  };
  const [path = "/", query = ""] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  for (const a of document.querySelectorAll("header nav a")) a.classList.toggle("active", a.getAttribute("href") === `#/${parts[0] ?? ""}`);
  if (parts.length === 0) logView(app, ctx);
  else if (parts[0] === "batch" && /^\d+$/.test(parts[1] ?? "")) batchView(app, ctx, Number(parts[1]));
  else if (parts[0] === "record" && /^[0-9a-f]{64}$/.test(parts[1] ?? "")) recordView(app, ctx, parts[1]!);
  else if (parts[0] === "search") searchView(app, ctx, new URLSearchParams(query));
  else if (parts[0] === "verify") verifyView(app, ctx);
  else render(app, errorBox(`no page ${location.hash}`));
}

document.getElementById("settings")!.addEventListener("submit", (e) => {
  e.preventDefault();
  const problem = checkRpcUrl(rpcInput.value.trim());
  if (problem) {
    render(status, errorBox(problem));
    return;
  }
  settings.rpcUrl = rpcInput.value.trim();
  settings.programId = programInput.value.trim();
  saveSettings(settings);
  show();
});

// The sequencer's own health, once: what it says about itself (the page checks the chain itself).
const status = document.getElementById("status")!;
sequencer.health().then(
  (hz) => {
    const chain = (hz.chain ?? {}) as { detail?: string; ok?: boolean };
    const prover = (hz.prover ?? {}) as { circuit?: string };
    render(status, h("span", { class: "small" }, `sequencer ${settings.sequencerUrl}: ${String(hz.status)}; circuit ${prover.circuit ?? "?"}; chain: ${chain.detail ?? "?"}`));
  },
  (e: unknown) => render(status, errorBox(`the sequencer at ${settings.sequencerUrl} did not answer /healthz: ${(e as Error).message}`)),
);

window.addEventListener("hashchange", show);
show();
