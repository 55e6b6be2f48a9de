/**
 * The registry-root history of a deployment, rebuilt from the chain alone (security review L1,
 * L5): every transaction of the program (`getSignaturesForAddress`), oldest first, replayed
 * through the program's rules for registry roots (docs/on-chain.md):
 *
 * - `initialize(…, registry_root)` makes the first current root, version 0;
 * - `set_registry_root(root, version, false)` stages a root (replacing an unused stage);
 * - `set_registry_root(root, version, true)` (emergency) makes it current at once and forgets
 *   every superseded and staged root;
 * - a `submit_batch` proven against the staged root promotes it; the previous current root then
 *   stays acceptable for `REGISTRY_ROOT_GRACE_SECS`.
 *
 * The replay must end where `Config` is (current root and version, staged root and version):
 * like the hash chain of batches, that shows no change was missed. Along the way it reports what
 * an auditor wants to see: a superseded root published again (the version does not bind the
 * root, so the admin can undo a revocation that way), batches anchored under a superseded root
 * in its grace period, emergency changes, and a batch whose root the history does not accept.
 *
 * Browser-safe; needs an RPC that serves the program's whole history (an archive RPC on a
 * public cluster; the local chain keeps it all).
 */
import type { ChainConfig, ChainReader, ProgramInstruction, SubmitBatchTx } from "./chain.js";
import { bytesToHex } from "./field.js";
import { REGISTRY_ROOT_GRACE_SECS } from "./idl/constants.js";

export type RegistryFindingCode =
  | "REGISTRY_HISTORY_UNAVAILABLE"
  | "REGISTRY_HISTORY_MISMATCH"
  | "REGISTRY_ROOT_RESTORED"
  | "REGISTRY_EMERGENCY_CHANGE"
  | "REGISTRY_GRACE_ROOT_USED";

export interface RegistryFinding {
  severity: "error" | "warning";
  code: RegistryFindingCode;
  batch?: number;
  message: string;
}

/** One change of the registry roots, in chain order. */
export interface RegistryChange {
  kind: "initialize" | "staged" | "emergency" | "promoted";
  root: string;
  version: number;
  signature: string;
  slot: number;
  blockTime: number | null;
  /** For `promoted`: the batch whose landing made the staged root current. */
  batch?: number;
}

export interface RegistryHistory {
  changes: RegistryChange[];
  /** Batches anchored under a superseded root within its grace period. */
  graceBatches: number;
  findings: RegistryFinding[];
}

interface State {
  current: { root: string; version: number } | null;
  staged: { root: string; version: number } | null;
  /** Superseded roots still in the program's ring, with when they were replaced (unix s). */
  recent: { root: string; replacedAt: number }[];
  /** Every root that was current once and was replaced since, with the version it had. */
  superseded: Map<string, number>;
}

const RING = 8;

function rootArg(args: Record<string, unknown>, snake: string, camel: string): string {
  const v = (args[snake] ?? args[camel]) as ArrayLike<number> | undefined;
  return v ? bytesToHex(Uint8Array.from(v)) : "";
}

function numArg(args: Record<string, unknown>, snake: string, camel: string): number {
  const v = args[snake] ?? args[camel];
  if (typeof v === "number") return v;
  if (v && typeof (v as { toString(): string }).toString === "function") return Number((v as { toString(): string }).toString());
  return NaN;
}

/** The replay's state between two transactions, as JSON (an audit checkpoint holds it). */
export interface RegistryReplayState {
  current: { root: string; version: number } | null;
  staged: { root: string; version: number } | null;
  recent: { root: string; replacedAt: number }[];
  superseded: [root: string, version: number][];
  changes: RegistryChange[];
  graceBatches: number;
  findings: RegistryFinding[];
  /** Successful transactions replayed so far. */
  transactions: number;
}

/**
 * The registry-root rules of the program, replayed one transaction at a time, oldest first
 * (`registryHistory` drives it over the whole history; the auditor drives it as it walks the
 * log and saves `state()` in its checkpoint to go on from there).
 */
export class RegistryReplay {
  private readonly s: State;
  readonly changes: RegistryChange[];
  readonly findings: RegistryFinding[];
  graceBatches: number;
  transactions: number;

  constructor(from?: RegistryReplayState) {
    this.s = {
      current: from?.current ?? null,
      staged: from?.staged ?? null,
      recent: from ? from.recent.map((r) => ({ ...r })) : [],
      superseded: new Map(from?.superseded ?? []),
    };
    this.changes = from ? from.changes.map((c) => ({ ...c })) : [];
    this.findings = from ? from.findings.map((f) => ({ ...f })) : [];
    this.graceBatches = from?.graceBatches ?? 0;
    this.transactions = from?.transactions ?? 0;
  }

  /** A copy of the state, JSON-serializable. */
  state(): RegistryReplayState {
    return {
      current: this.s.current && { ...this.s.current },
      staged: this.s.staged && { ...this.s.staged },
      recent: this.s.recent.map((r) => ({ ...r })),
      superseded: [...this.s.superseded],
      changes: this.changes.map((c) => ({ ...c })),
      graceBatches: this.graceBatches,
      findings: this.findings.map((f) => ({ ...f })),
      transactions: this.transactions,
    };
  }

  /**
   * One successful transaction of the program: its instructions in order; `batches` its
   * submit_batch statements when the caller decoded them (else they come from the instructions).
   */
  transaction(tx: { signature: string; slot: number; blockTime: number | null; instructions: readonly ProgramInstruction[] }, batches?: readonly Pick<SubmitBatchTx, "index" | "registryRoot" | "signature" | "slot" | "blockTime">[]): void {
    this.transactions++;
    let b = 0;
    for (const ix of tx.instructions) {
      if (ix.name === "submit_batch") {
        const given = batches?.[b++];
        this.onBatch(given ?? { index: numArg(ix.args, "index", "index"), registryRoot: rootArg(ix.args, "registry_root", "registryRoot"), signature: tx.signature, slot: tx.slot, blockTime: tx.blockTime });
      } else {
        this.onInstruction(ix, tx);
      }
    }
  }

  /** After the last transaction: the replayed roots must be Config's. */
  finish(config: ChainConfig): void {
    const state = this.s;
    if (!state.current) {
      this.findings.push({ severity: "warning", code: "REGISTRY_HISTORY_UNAVAILABLE", message: "the program's history as the RPC serves it does not reach back to initialize: the registry-root history was not checked (use an archive RPC)" });
      return;
    }
    const replayed = `current ${state.current.root} v${state.current.version}, staged ${state.staged ? `${state.staged.root} v${state.staged.version}` : "none"}`;
    const onChain = `current ${config.registryRoot} v${config.registryVersion}, staged ${config.stagedRegistryRoot !== null ? `${config.stagedRegistryRoot} v${config.stagedRegistryVersion}` : "none"}`;
    if (replayed !== onChain) {
      this.findings.push({ severity: "error", code: "REGISTRY_HISTORY_MISMATCH", message: `replaying the program's ${this.transactions} transactions gives registry ${replayed}, but Config holds ${onChain}: the history the RPC serves is incomplete or inconsistent` });
    }
  }

  private supersede(at: number): void {
    const state = this.s;
    if (!state.current) return;
    state.superseded.set(state.current.root, state.current.version);
    state.recent.push({ root: state.current.root, replacedAt: at });
    if (state.recent.length > RING) state.recent.shift();
  }

  private restoredCheck(root: string, version: number, how: string): void {
    const was = this.s.superseded.get(root);
    if (was !== undefined && root !== this.s.current?.root) {
      this.findings.push({
        severity: "warning",
        code: "REGISTRY_ROOT_RESTORED",
        message: `registry root ${root}, superseded after version ${was}, was ${how} again as version ${version}: any node revoked since version ${was} is a member again (the version does not bind the root)`,
      });
    }
  }

  private onBatch(b: Pick<SubmitBatchTx, "index" | "registryRoot" | "signature" | "slot" | "blockTime">): void {
    const state = this.s;
    const at = b.blockTime ?? 0;
    if (!state.current) {
      this.findings.push({ severity: "error", code: "REGISTRY_HISTORY_MISMATCH", batch: b.index, message: `batch ${b.index} landed before any initialize in the program's history` });
      return;
    }
    if (state.staged && b.registryRoot === state.staged.root) {
      this.supersede(at);
      state.current = state.staged;
      state.staged = null;
      this.changes.push({ kind: "promoted", root: b.registryRoot, version: state.current.version, signature: b.signature, slot: b.slot, blockTime: b.blockTime, batch: b.index });
      return;
    }
    if (b.registryRoot === state.current.root) return;
    const recent = [...state.recent].reverse().find((r) => r.root === b.registryRoot);
    if (recent) {
      this.graceBatches++;
      const age = b.blockTime !== null ? `${at - recent.replacedAt} s` : "an unknown time";
      this.findings.push({
        severity: "warning",
        code: "REGISTRY_GRACE_ROOT_USED",
        batch: b.index,
        message: `batch ${b.index} was anchored under registry root ${b.registryRoot}, superseded ${age} before (grace period ${REGISTRY_ROOT_GRACE_SECS} s): nodes revoked in between may be in it`,
      });
      return;
    }
    this.findings.push({
      severity: "error",
      code: "REGISTRY_HISTORY_MISMATCH",
      batch: b.index,
      message: `batch ${b.index} landed under registry root ${b.registryRoot}, which the program's history does not accept at that point (current ${state.current.root}): transactions are missing from the history the RPC serves`,
    });
  }

  private onInstruction(ix: ProgramInstruction, tx: { signature: string; slot: number; blockTime: number | null }): void {
    const state = this.s;
    const at = { signature: tx.signature, slot: tx.slot, blockTime: tx.blockTime };
    if (ix.name === "initialize") {
      const root = rootArg(ix.args, "registry_root", "registryRoot");
      state.current = { root, version: 0 };
      this.changes.push({ kind: "initialize", root, version: 0, ...at });
    } else if (ix.name === "set_registry_root") {
      const root = rootArg(ix.args, "new_root", "newRoot");
      const version = numArg(ix.args, "registry_version", "registryVersion");
      const emergency = Boolean(ix.args.retire_previous ?? ix.args.retirePrevious);
      if (emergency) {
        this.restoredCheck(root, version, "made current");
        if (state.current && state.current.root !== root) state.superseded.set(state.current.root, state.current.version);
        state.current = { root, version };
        state.staged = null;
        state.recent = [];
        this.changes.push({ kind: "emergency", root, version, ...at });
        this.findings.push({ severity: "warning", code: "REGISTRY_EMERGENCY_CHANGE", message: `registry root ${root} (version ${version}) was made current at once in transaction ${tx.signature}, retiring every earlier root: batches proven against them could not land` });
      } else {
        this.restoredCheck(root, version, "staged");
        state.staged = { root, version };
        this.changes.push({ kind: "staged", root, version, ...at });
      }
    }
  }
}

/**
 * Rebuilds the registry history from the chain. `batches[i]` is batch i's decoded transaction
 * when the caller already has it; those are not fetched again.
 */
export async function registryHistory(chain: ChainReader, config: ChainConfig, batches: readonly (SubmitBatchTx | null)[] = []): Promise<RegistryHistory> {
  let listing: { signature: string; slot: number; err: unknown }[] = [];
  try {
    for await (const s of chain.programTransactions()) listing.push(s);
  } catch (e) {
    return {
      changes: [],
      graceBatches: 0,
      findings: [{ severity: "warning", code: "REGISTRY_HISTORY_UNAVAILABLE", message: `the program's transactions cannot be listed (${(e as Error).message}): the registry-root history was not checked` }],
    };
  }
  listing = listing.reverse(); // the RPC lists newest first
  const known = new Map<string, SubmitBatchTx[]>();
  for (const b of batches) {
    if (!b) continue;
    const list = known.get(b.signature) ?? [];
    list.push(b);
    known.set(b.signature, list);
  }
  const replay = new RegistryReplay();
  for (const entry of listing) {
    if (entry.err) continue; // a failed transaction changed nothing
    const batchTxs = known.get(entry.signature);
    if (batchTxs) {
      replay.transaction({ signature: entry.signature, slot: entry.slot, blockTime: batchTxs[0]!.blockTime, instructions: batchTxs.map(() => ({ name: "submit_batch", args: {}, accounts: [] })) }, batchTxs);
      continue;
    }
    const tx = await chain.programTransaction(entry.signature);
    if (!tx || tx.err) continue;
    replay.transaction(tx);
  }
  replay.finish(config);
  return { changes: replay.changes, graceBatches: replay.graceBatches, findings: replay.findings };
}
