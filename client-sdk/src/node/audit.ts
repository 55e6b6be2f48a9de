/**
 * The auditor (Node.js): walks the program's on-chain log from genesis (or from a checkpoint)
 * and checks it end to end. The chain is the source of the log; the sequencer is needed only
 * for data availability, its own report and receipts.
 *
 * 1. Hash chain, from the chain alone. The program's transactions are listed with
 *    `getSignaturesForAddress` (paged, newest first, replayed oldest first) up to the slot
 *    `Config` was read at; each successful one is read once with `getTransaction` and its
 *    `submit_batch` arguments decoded from the transaction itself (failed ones changed
 *    nothing). The chain rule is recomputed from the genesis head (or the checkpoint's) over
 *    them and must end at `Config.chain_head` after exactly `Config.next_index` batches: a
 *    missing (BATCH_MISSING), doubled (BATCH_DUPLICATE), altered or reordered batch cannot pass.
 *    The same walk replays the registry-root history (registry-history.ts) and recomputes the
 *    Accumulator; `BatchLog` must agree with the roots it still holds.
 * 2. Proofs. Each batch's Groth16 proof, from the transaction's bytes, is verified off-chain
 *    (snarkjs, or the `verifyProof` given) against the circuit's verifying key, on the public hash
 *    Poseidon(registryRoot, batchRoot, count, minTs, maxTs) of the transaction's arguments.
 * 3. Data availability (needs the sequencer). Each batch's records (`GET /v1/batches/:i/records`)
 *    are re-validated (format, signature, time window) and their Merkle root recomputed: it must
 *    be the root on chain, over exactly `count` records (each at its `leafIndex` in a batch with
 *    holes). A chunk-signed record is checked with its chunk's signature, and every chunk must be
 *    in the batch whole and in place (`checkBatchRecords`). A record anchored in more than one
 *    batch is reported (DUPLICATE_RECORD, naming the id and both batches): neither the circuit
 *    (distinct leaves within a batch only) nor the program prevents it, and it inflates
 *    `total_records`. With no sequencer, or one that cannot be reached, the chain part runs in
 *    full and DATA_UNCHECKED (a warning) says data availability was not checked; the report's
 *    `complete` is then false unless that was asked for (no sequencer given, `skipData`).
 * 4. The sequencer's list, as a cross-check: a batch the chain holds that it does not list
 *    (BATCH_NOT_LISTED), one it calls anchored that the chain lacks (NOT_ON_CHAIN), and batch
 *    metadata or a transaction that differs from the chain's (SEQUENCER_MISREPORTS).
 * 5. Receipts a node collected, checked against a receipt key the auditor pinned (never the one
 *    the audited sequencer serves now: it could serve another key and turn its own promises into
 *    "invalid" receipts): each must carry that key's valid signature, a v2 receipt must name
 *    this deployment (the audited program id and the RPC's genesis hash), name a record the
 *    sequencer still has with the same seq, and (after a grace period) be anchored, inside the
 *    audited batch it claims — or be `dropped` with the sequencer's valid signed notice
 *    for this program and cluster (its own finding, RECEIPT_DROPPED: a promise broken openly, for
 *    a stated reason, not silent censorship); a notice that does not check is an error.
 *
 * Checkpoints (`checkpoint`, `saveCheckpoint`; audit-checkpoint.ts): after each prefix of batches
 * that passed every check, the state needed to go on is handed to `saveCheckpoint`; an audit given
 * that checkpoint lists only the program's transactions since its last batch and checks only the
 * batches after it, with the same verdict as an audit from genesis over the chain (the
 * sequencer's data and list are then checked for the new batches only).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Groth16Proof, VerificationKey } from "snarkjs";
import { abortable, type AbortOptions } from "../abort.js";
import { ACCUMULATOR_DEPTH, ACCUMULATOR_ZEROS, accumulatorLeaf, accumulatorNode } from "../accumulator.js";
import { publicHash } from "../batch.js";
import { INSECURE_CIRCUITS, RegistryReplay, type ChainConfig, type ChainReader, type ProgramTransaction, type RegistryFindingCode, type RegistryHistory, type SubmitBatchTx } from "../chain.js";
import { BATCH_LOG_CAPACITY, GENESIS_HEAD, KNOWN_CLUSTERS, nextChainHead } from "../chainlog.js";
import { SequencerHttpError, type BatchRecords, type BatchSummary, type SequencerClient } from "../client.js";
import { ProvenanceError } from "../errors.js";
import { proofFromSolana } from "../groth16-layout.js";
import { fieldToHex, hexToField } from "../field.js";
import { FixedMerkleTree } from "../merkle.js";
import { checkReceipt, type Receipt } from "../receipt.js";
import { checkDroppedNotice } from "../notice.js";
import { isChunkRecord, parseRecord, validateRecord, verifyRecordSignature, type ParsedRecord } from "../record.js";
import { VERIFYING_KEYS } from "../verifying-keys.js";
import { AUDIT_CHECKPOINT_KIND, CHECKPOINT_ID_ENTRY, sealAuditCheckpoint, type AuditCheckpoint } from "./audit-checkpoint.js";

export * from "./audit-checkpoint.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** What an audit finding is about: a stable code per kind of problem. */
export type FindingCode =
  | RegistryFindingCode
  | "CONFIG"
  | "INSECURE_KEYS"
  | "ADMIN_IS_SEQUENCER"
  | "BATCH_NOT_LISTED"
  | "TX_NOT_FOUND"
  | "TX_FAILED"
  | "TX_MISMATCH"
  | "CHAIN_HEAD_MISMATCH"
  | "BATCH_LOG_MISMATCH"
  | "PROOF_INVALID"
  | "DATA_UNAVAILABLE"
  | "DATA_MISMATCH"
  | "SEQUENCER_MISREPORTS"
  | "NOT_ON_CHAIN"
  | "RECEIPT_INVALID"
  | "RECEIPT_RECORD_MISSING"
  | "RECEIPT_NOT_ANCHORED"
  | "RECEIPT_PENDING"
  | "RECEIPT_NOT_IN_BATCH"
  /** A receipted record the sequencer dropped, with a valid signed notice saying why. */
  | "RECEIPT_DROPPED"
  /** A receipted record the sequencer calls dropped, but its notice does not check. */
  | "DROPPED_NOTICE_INVALID"

  | "DUPLICATE_RECORD"
  /** A chunk-signed record whose chunk signature does not verify for its message and place in the chunk. */
  | "BAD_CHUNK_SIGNATURE"
  /** A batch holding part of a chunk: an index of 0..size-1 missing, or one served twice. */
  | "CHUNK_INCOMPLETE"
  /** A whole chunk not at consecutive leaves in chunk order (or, with `chunkRegionSlots`, not in one region). */
  | "CHUNK_MISPLACED"
  /** The on-chain Accumulator's size or root is not the one recomputed from the log's batches. */
  | "ACCUMULATOR_MISMATCH"
  /** Config counts a batch the program's transaction history (as the RPC serves it) does not hold. */
  | "BATCH_MISSING"
  /** Two successful transactions in the history submit the same batch index. */
  | "BATCH_DUPLICATE"
  /** Data availability was not checked (no sequencer, one that could not be reached, or skipped): a warning. */
  | "DATA_UNCHECKED"
  /** Receipts checked only for signature and deployment: the sequencer, needed for the rest, could not be reached. */
  | "RECEIPTS_UNCHECKED";

/** One problem (or caveat) the audit found. */
export interface Finding {
  /** `error`: the log or the sequencer is wrong; `warning`: not (yet) wrong, but look. */
  severity: "error" | "warning";
  code: FindingCode;
  batch?: number;
  message: string;
}

/** The audit's result: `ok` unless an error finding; what was checked, and every finding. */
export interface AuditReport {
  ok: boolean;
  /**
   * Everything asked for was checked: false when data availability or receipts could not be
   * checked because the sequencer could not be reached (the CLI's exit code 3 when `ok`).
   */
  complete: boolean;
  programId: string;
  /** The RPC's cluster (its genesis hash). */
  genesisHash: string;
  rpcUrl: string;
  /** Null when no sequencer was given (chain only). */
  sequencerUrl: string | null;
  config: ChainConfig;
  /**
   * The log from the chain: `batches` in all (Config.next_index), `from` the first one this run
   * audited (a checkpoint's `verified`, else 0), `audited` = batches − from; the program's
   * transactions listed since (`transactions`), of them failed (`failedTransactions`).
   */
  chain: { batches: number; from: number; audited: number; transactions: number; failedTransactions: number; computedHead: string; onChainHead: string; headMatches: boolean };
  /** The registry-root history replayed from the chain (registry-history.ts); null when skipped. */
  registry: { changes: RegistryHistory["changes"]; graceBatches: number } | null;
  /**
   * The Accumulator recomputed from the log's submit_batch transactions (batches start_index ..
   * next_index - 1) against the account; null when the deployment has no Accumulator account.
   */
  accumulator: { startIndex: number; size: number; computedRoot: string | null; onChainRoot: string; matches: boolean } | null;
  /** Groth16 proofs re-verified off-chain, and by which verifier (native, snarkjs). */
  proofs: { checked: number; valid: number; verifier: string };
  /** Data availability: `checked`, `skipped` (asked), or `unavailable` (the sequencer not given, down, or it stopped answering: `reason`). */
  data: { status: "checked" | "skipped" | "unavailable"; reason: string | null; checked: number; matching: number; records: number };
  /** The sequencer: whether it answered (`error` when not), how many batches it lists. */
  sequencer: { available: boolean; error: string | null; listed: number; notYetAnchored: number };
  /** `unchecked`: receipts whose anchoring could not be asked (the sequencer unreachable). */
  receipts: { checked: number; anchored: number; pending: number; dropped: number; failed: number; unchecked: number };
  /** With a checkpoint given or saved: where this run started (`resumedFrom`, null from genesis), the batches verified now, whether one was saved. */
  checkpoint: { resumedFrom: number | null; verified: number; written: boolean } | null;
  findings: Finding[];
  elapsedMs: number;
}

/** `signal`: aborted, the audit rejects at once with its reason (an "AbortError"). */
export interface AuditOptions extends AbortOptions {
  /** The sequencer, for data availability, its list (a cross-check) and receipts; omitted: the chain-only audit. */
  sequencer?: SequencerClient | null;
  chain: ChainReader;
  /** A checkpoint an earlier audit saved (`readAuditCheckpoint`): go on from its last verified batch. */
  checkpoint?: AuditCheckpoint | null;
  /** Called with a new checkpoint after each verified prefix (at most every 2 s) and at the end (`writeAuditCheckpoint` writes one atomically). */
  saveCheckpoint?: (checkpoint: AuditCheckpoint) => void | Promise<void>;
  /** Signatures per getSignaturesForAddress page (1..1000, default 1000). */
  historyPageSize?: number;
  /** snarkjs verifying key JSON of the chunk shape (shape 0); default the key this SDK ships for `Config.circuit` (`VERIFYING_KEYS`). */
  verifyingKey?: unknown;
  /**
   * Verifying keys by circuit shape (0 chunk shape, 1 single shape; docs/circuit-v2.md), for
   * what `verifyingKey` does not give; default the keys this SDK ships for `<circuit>` (shape 0)
   * and `<circuit>-single` (shape 1).
   */
  verifyingKeys?: Readonly<Record<number, unknown>>;
  /**
   * The Groth16 check to use: `(vk, proof, publicSignals) => accepted`, e.g. the prover's
   * native verifier (`verifyNative` of @provenance/prover, about a millisecond a proof).
   * Default: snarkjs.
   */
  verifyProof?: ProofVerifier;
  /** Name of `verifyProof` for the report (default "custom", or "snarkjs" without one). */
  verifierName?: string;
  /** Report an insecure deployment (INSECURE keys, admin = sequencer) on a public cluster as a warning, not an error. */
  allowInsecure?: boolean;
  /** Skip the off-chain Groth16 checks (default false). */
  skipProofs?: boolean;
  /** Skip replaying the registry-root history from the program's transactions (default false). */
  skipRegistryHistory?: boolean;
  /** Skip fetching and re-hashing every batch's records (default false). */
  skipData?: boolean;
  /** Receipts a node collected; needs `receiptKey`. */
  receipts?: unknown[];
  /**
   * The sequencer's receipt key (64 hex) the receipts are checked against, pinned by the
   * auditor (e.g. the key the node pinned when it submitted). Required with `receipts`: the key
   * the audited sequencer serves is not evidence, since it could serve another one.
   */
  receiptKey?: string;
  /** A receipt younger than this may still be unanchored (default 15 min). */
  receiptGraceMs?: number;
  /**
   * The deployment's chunk size (slots per region of its chunk shape, 2^chunkLevels): when
   * given, a batch holding chunks must place every chunk and every record signed alone at the
   * start of a region. Without it chunks are checked whole and contiguous only.
   */
  chunkRegionSlots?: number;
  /** Batches fetched and checked at once (default 4). */
  concurrency?: number;
  /**
   * Called as each stage advances (`transactions`: the program's transactions read; `batches`:
   * batches whose proof and records were checked), with the error findings so far; the library
   * itself prints nothing.
   */
  onProgress?: (stage: "transactions" | "batches", done: number, total: number, problems: number) => void;
  /** The clock, in ms (tests); default `Date.now`. */
  now?: () => number;
}

/**
 * The configuration name of a circuit family's shape, as circuits/circuits.json names them:
 * `<family>` for shape 0 (the chunk shape), `<family>-single` for shape 1 (the single shape).
 */
export function shapeConfigName(circuit: string, shape: number): string {
  return shape === 1 ? `${circuit}-single` : circuit;
}

/**
 * Where a circuit's verifying key lives in a checkout of the repository
 * (`circuits/keys/<name>.vk.json`); meaningless in an installed package. The auditor's default
 * keys are the ones the SDK ships (`VERIFYING_KEYS`, generated from those files).
 */
export function defaultVerifyingKeyPath(circuit: string, shape = 0): string {
  return path.join(ROOT, "circuits", "keys", `${shapeConfigName(circuit, shape)}.vk.json`);
}

// The unpacking of groth16-solana's bytes is the SDK's layout file's (groth16-layout.ts); still
// exported here, where it always was.
export { proofFromSolana };

/** A Groth16 verifier: snarkjs verifying key, snarkjs proof JSON, public signals (decimal). */
export type ProofVerifier = (vk: never, proof: never, publicSignals: string[]) => boolean | Promise<boolean>;

/** Off-chain Groth16 check of a `submit_batch`'s proof on its own arguments (snarkjs unless `verify` is given). */
export async function verifyBatchTxProof(vk: unknown, tx: SubmitBatchTx, verify?: ProofVerifier): Promise<boolean> {
  const signal = publicHash({
    registryRoot: hexToField(tx.registryRoot, "registryRoot"),
    batchRoot: hexToField(tx.batchRoot, "batchRoot"),
    count: tx.count,
    minTs: tx.minTs,
    maxTs: tx.maxTs,
  });
  if (verify) {
    try {
      return await verify(vk as never, proofFromSolana(tx.proofA, tx.proofB, tx.proofC) as never, [signal.toString()]);
    } catch {
      return false;
    }
  }
  // Loaded on first use: snarkjs is heavy and only the auditor needs it.
  const snarkjs = await import("snarkjs");
  try {
    return await snarkjs.groth16.verify(vk as VerificationKey, [signal.toString()], proofFromSolana(tx.proofA, tx.proofB, tx.proofC) as unknown as Groth16Proof);
  } catch {
    return false;
  }
}

/** snarkjs keeps a BN254 curve with worker threads in a global: end it so the process can exit. */
export async function releaseSnarkjs(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  await g.curve_bn128?.terminate();
  g.curve_bn128 = null;
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
      while (next < items.length) {
        signal?.throwIfAborted();
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** Runs the audit. Throws only when the chain cannot be read at all, when `signal` aborts, or on a checkpoint that cannot be used. */
export async function audit(options: AuditOptions): Promise<AuditReport> {
  const signal = options.signal;
  signal?.throwIfAborted();
  return abortable(runAudit(options), signal);
}

/** Error findings about the deployment or the receipts: they do not stop a checkpoint (they are re-checked on every run). */
const RECHECKED_EACH_RUN: ReadonlySet<FindingCode> = new Set<FindingCode>([
  "INSECURE_KEYS",
  "ADMIN_IS_SEQUENCER",
  "RECEIPT_INVALID",
  "RECEIPT_RECORD_MISSING",
  "RECEIPT_NOT_ANCHORED",
  "RECEIPT_NOT_IN_BATCH",
  "DROPPED_NOTICE_INVALID",
  "NOT_ON_CHAIN",
]);

/** The Accumulator's leaves as a frontier (one pending left node per level): appends and a root, no stored tree. */
class AccumulatorFrontier {
  constructor(
    public size = 0,
    readonly nodes: string[] = [],
  ) {}

  clone(): AccumulatorFrontier {
    return new AccumulatorFrontier(this.size, [...this.nodes]);
  }

  append(leaf: string): void {
    let node = leaf;
    for (let l = 0; l < ACCUMULATOR_DEPTH; l++) {
      if (Math.floor(this.size / 2 ** l) % 2 === 0) {
        this.nodes[l] = node;
        break;
      }
      node = accumulatorNode(this.nodes[l]!, node);
    }
    this.size++;
  }

  get root(): string {
    let node = ACCUMULATOR_ZEROS[0]!;
    for (let l = 0; l < ACCUMULATOR_DEPTH; l++) {
      node = Math.floor(this.size / 2 ** l) % 2 === 1 ? accumulatorNode(this.nodes[l]!, node) : accumulatorNode(node, ACCUMULATOR_ZEROS[l]!);
    }
    return node;
  }
}

/** The root of the accumulator over these leaves, by the frontier (equal to `new AccumulatorTree(leaves).root`). */
export function accumulatorFrontierRoot(leaves: readonly string[]): string {
  const f = new AccumulatorFrontier();
  for (const l of leaves) f.append(l);
  return f.root;
}

const describeError = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function runAudit(options: AuditOptions): Promise<AuditReport> {
  const signal = options.signal;
  const t0 = Date.now();
  const now = options.now ?? Date.now;
  const { chain } = options;
  const sequencer = options.sequencer ?? null;
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  const progress = (stage: "transactions" | "batches", done: number, of: number) => options.onProgress?.(stage, done, of, findings.filter((f) => f.severity === "error").length);
  const concurrency = options.concurrency ?? 4;

  const receiptsGiven = options.receipts !== undefined && options.receipts.length > 0;
  if (receiptsGiven && options.receiptKey === undefined) {
    throw new ProvenanceError(
      "INVALID_CONFIG",
      "auditing receipts needs the sequencer's receipt key pinned by the auditor (the receiptKey option): the key the audited sequencer serves proves nothing, since it could serve another one and make its own receipts look forged",
    );
  }
  if (options.receiptKey !== undefined && !/^[0-9a-f]{64}$/.test(options.receiptKey)) {
    throw new ProvenanceError("INVALID_CONFIG", "receiptKey must be 64 lowercase hex characters (a raw ed25519 public key)");
  }

  // Config, and the slot it was read at: the program's transactions up to that slot are the log.
  const { config, slot: configSlot } = await chain.configAt();
  const total = config.nextIndex;
  const programId = chain.programId.toBase58();
  const genesisHash = await chain.genesisHash();
  const wants = { proofs: !options.skipProofs, registry: !options.skipRegistryHistory, data: !options.skipData && sequencer !== null };

  // A checkpoint: this deployment's, written with at least the checks asked for now, and still the chain's.
  const cp = options.checkpoint ?? null;
  if (cp) await checkCheckpoint(cp, { chain, config, programId, genesisHash, wants });
  const start = cp?.verified ?? 0;

  // 0. The deployment: proofs forgeable (INSECURE dev keys), or the hot key in charge. An error
  // on a public cluster unless allowed, a warning on any other chain (a local one).
  const publicCluster = Object.values(KNOWN_CLUSTERS).includes(genesisHash);
  const deploymentSeverity: Finding["severity"] = publicCluster && !options.allowInsecure ? "error" : "warning";
  if (INSECURE_CIRCUITS.includes(config.circuit)) {
    add({ severity: deploymentSeverity, code: "INSECURE_KEYS", message: `the program verifies proofs with the INSECURE "${config.circuit}" key, whose setup is public: anyone can forge its proofs, so this log proves nothing to a stranger` });
  }
  if (config.admin === config.sequencer) {
    add({ severity: deploymentSeverity, code: "ADMIN_IS_SEQUENCER", message: `the program's admin is its sequencer key ${config.admin}: whoever holds the sequencer's hot key can change the registry, pause, or replace the sequencer` });
  }

  // The sequencer's list (a cross-check only): index -> summary. Unreachable, the chain part still runs.
  const listed = new Map<number, BatchSummary>();
  let sequencerError: string | null = sequencer ? null : "no sequencer was given (chain only)";
  if (sequencer) {
    try {
      for await (const b of sequencer.allBatches(undefined, { signal })) listed.set(b.index, b);
    } catch (e) {
      if (signal?.aborted) throw e;
      sequencerError = describeError(e);
      listed.clear();
    }
  }
  const sequencerUp = sequencer !== null && sequencerError === null;

  // 1. The log from the chain alone: the program's transactions since the checkpoint (or ever),
  // oldest first, each read once; failed ones changed nothing.
  const listing: { signature: string; slot: number; err: unknown }[] = [];
  for await (const s of chain.programTransactions({ ...(cp?.last ? { until: cp.last.signature } : {}), ...(options.historyPageSize ? { pageSize: options.historyPageSize } : {}) })) {
    signal?.throwIfAborted();
    if (s.slot <= configSlot) listing.push(s);
  }
  listing.reverse();
  const failedTransactions = listing.filter((s) => s.err).length;
  const succeeded = listing.filter((s) => !s.err);
  const decoded: (Awaited<ReturnType<ChainReader["decodedTransaction"]>>)[] = new Array(succeeded.length).fill(null);
  let read = 0;
  await pool(
    succeeded,
    concurrency * 2,
    async (s, i) => {
      decoded[i] = await chain.decodedTransaction(s.signature);
      progress("transactions", ++read, succeeded.length);
    },
    signal,
  );

  const txs: (SubmitBatchTx | null)[] = new Array<SubmitBatchTx | null>(total).fill(null);
  /** Position in `ordered` of the transaction of each batch (for the checkpoint's registry state). */
  const positionOf = new Map<number, number>();
  const ordered: { tx: ProgramTransaction; batches: SubmitBatchTx[] }[] = [];
  for (let i = 0; i < succeeded.length; i++) {
    const d = decoded[i];
    const sig = succeeded[i]!.signature;
    if (!d) {
      add({ severity: "error", code: "TX_NOT_FOUND", message: `getSignaturesForAddress lists transaction ${sig} of the program, but getTransaction does not know it: the RPC's history is inconsistent` });
      continue;
    }
    if (d.tx.err) continue;
    ordered.push(d);
    for (const b of d.batches) {
      if (b.accounts[1] !== chain.configAddress.toBase58() || b.accounts[2] !== chain.batchLogAddress.toBase58()) {
        add({ severity: "error", code: "TX_MISMATCH", batch: b.index, message: `transaction ${sig}'s submit_batch of batch ${b.index} does not name the program's Config and BatchLog accounts` });
        continue;
      }
      if (b.index >= total) continue; // cannot be at or before Config's slot; ignored as landing after it
      const before = b.index < start ? `the checkpoint's batch ${b.index}` : txs[b.index] ? `transaction ${txs[b.index]!.signature}` : null;
      if (before) {
        add({ severity: "error", code: "BATCH_DUPLICATE", batch: b.index, message: `transaction ${sig} submits batch ${b.index}, which ${before} already submitted: the program accepts each index once, so the RPC's history is inconsistent` });
        continue;
      }
      txs[b.index] = b;
      positionOf.set(b.index, ordered.length - 1);
    }
  }
  for (let i = start; i < total; i++) {
    if (txs[i]) continue;
    const s = listed.get(i);
    add({
      severity: "error",
      code: "BATCH_MISSING",
      batch: i,
      message: `Config says the log holds ${total} batches, but the program's history as ${chain.rpcUrl} serves it has no successful submit_batch of batch ${i}${s?.txSignature ? ` (the sequencer lists transaction ${s.txSignature} for it)` : ""}: the RPC does not keep the program's whole history (use an archive RPC)`,
    });
  }

  // Re-chain from the genesis head (or the checkpoint's) over the transactions' own arguments.
  let head = cp?.head ?? GENESIS_HEAD;
  let linked = start;
  for (let i = start; i < total; i++) {
    const tx = txs[i];
    if (!tx) break;
    head = nextChainHead(head, tx);
    linked++;
  }
  const headMatches = linked === total && head === config.chainHead;
  if (linked === total && head !== config.chainHead) {
    add({ severity: "error", code: "CHAIN_HEAD_MISMATCH", message: `recomputing the hash chain over the ${total - start} submit_batch transactions ${start ? `after the checkpoint's batch ${start - 1}` : "from genesis"} gives head ${head}, but Config.chain_head is ${config.chainHead}: the transactions the RPC serves are not the chain's batches` });
  } else if (linked < total) {
    add({ severity: "error", code: "CHAIN_HEAD_MISMATCH", message: `the hash chain could be recomputed only up to batch ${linked} of ${total} (see the findings for batch ${linked})` });
  }

  // The registry-root history, replayed from the chain alone (from the checkpoint's state), ending at Config.
  let registry: AuditReport["registry"] = null;
  if (wants.registry) {
    const replay = new RegistryReplay(cp?.registry ?? undefined);
    for (const d of ordered) replay.transaction(d.tx, d.batches);
    replay.finish(config);
    for (const f of replay.findings) add(f);
    registry = { changes: replay.changes, graceBatches: replay.graceBatches };
  }

  // The BatchLog ring must agree with the transactions it still covers (the checkpoint's roots for earlier ones).
  const rootOf = (i: number): string | null => txs[i]?.batchRoot ?? (cp && i < start && i >= start - cp.recentRoots.length ? cp.recentRoots[i - (start - cp.recentRoots.length)]! : null);
  const log = await chain.readBatchLog();
  if (log.nextIndex !== config.nextIndex) add({ severity: "error", code: "BATCH_LOG_MISMATCH", message: `BatchLog.next_index ${log.nextIndex} differs from Config.next_index ${config.nextIndex}` });
  for (let i = Math.max(0, log.nextIndex - log.roots.length); i < Math.min(total, log.nextIndex); i++) {
    const root = rootOf(i);
    if (root !== null && log.roots[i % log.roots.length] !== root) {
      add({ severity: "error", code: "BATCH_LOG_MISMATCH", batch: i, message: `BatchLog holds root ${log.roots[i % log.roots.length]} for batch ${i}, but its transaction submitted ${root}` });
    }
  }

  // The Accumulator must hold exactly the log's batches from its start_index on, in order.
  const acc = await auditAccumulator(chain, total, start, txs, cp?.accumulator ?? null, add);

  // 4. The sequencer's list against the chain's (for the batches audited in this run).
  let notYetAnchored = 0;
  if (sequencerUp) {
    for (let i = start; i < total; i++) {
      const s = listed.get(i);
      const tx = txs[i];
      if (!tx) continue;
      if (!s) {
        add({ severity: "error", code: "BATCH_NOT_LISTED", batch: i, message: `the chain holds batch ${i} (transaction ${tx.signature}), but the sequencer does not list it` });
        continue;
      }
      const diffs: string[] = [];
      if (s.txSignature !== tx.signature) diffs.push(`transaction ${s.txSignature ?? "none"} (chain ${tx.signature})`);
      if (s.batchRoot !== tx.batchRoot) diffs.push(`batchRoot ${s.batchRoot} (chain ${tx.batchRoot})`);
      if (s.registryRoot !== tx.registryRoot) diffs.push(`registryRoot ${s.registryRoot} (chain ${tx.registryRoot})`);
      if (s.count !== tx.count) diffs.push(`count ${s.count} (chain ${tx.count})`);
      if (s.minTs !== tx.minTs || s.maxTs !== tx.maxTs) diffs.push(`window [${s.minTs}, ${s.maxTs}] (chain [${tx.minTs}, ${tx.maxTs}])`);
      if (s.state !== "anchored") diffs.push(`state ${s.state} (chain: anchored)`);
      if (diffs.length) add({ severity: "error", code: "SEQUENCER_MISREPORTS", batch: i, message: `the sequencer reports batch ${i} with ${diffs.join(", ")}` });
    }
    for (const [i, s] of listed) {
      if (i < total) continue;
      if (s.state === "anchored" || s.txSignature) {
        add({ severity: "error", code: "NOT_ON_CHAIN", batch: i, message: `the sequencer says batch ${i} is anchored (transaction ${s.txSignature ?? "none"}), but the chain has only ${total} batches` });
      } else {
        notYetAnchored++;
      }
    }
  }

  // The verifying key of each shape: given (verifyingKeys, or verifyingKey for shape 0), else
  // the one this SDK ships for the shape's configuration (`<circuit>`, `<circuit>-single`).
  const keys = new Map<number, unknown>();
  const keyOf = (shape: number): unknown => {
    if (!keys.has(shape)) {
      const name = shapeConfigName(config.circuit, shape);
      const vk = options.verifyingKeys?.[shape] ?? (shape === 0 ? options.verifyingKey : undefined) ?? VERIFYING_KEYS[name]?.key;
      if (vk === undefined) {
        throw new ProvenanceError(
          "INVALID_CONFIG",
          `no verifying key for shape ${shape} of circuit ${config.circuit} (${name}): this SDK ships keys for ${Object.keys(VERIFYING_KEYS).join(", ")}; give that shape's key in the verifyingKeys option`,
        );
      }
      keys.set(shape, vk);
    }
    return keys.get(shape);
  };

  // Checkpoints: batches verified in index order (no error finding about them, every check done).
  // A finding about the log as a whole (not a batch) stops them; so does a data check wanted but
  // impossible (the sequencer down: the checkpoint then does not claim data it did not see).
  const save = options.saveCheckpoint;
  const logWide = () => findings.some((f) => f.severity === "error" && (f.batch === undefined || f.batch < start) && !RECHECKED_EACH_RUN.has(f.code));
  const errorAt = new Set<number>();
  const noteErrors = () => {
    for (const f of findings) if (f.severity === "error" && f.batch !== undefined && !RECHECKED_EACH_RUN.has(f.code)) errorAt.add(f.batch);
  };
  const checks = { proofs: wants.proofs, registry: wants.registry, data: wants.data };
  const cpState = {
    verified: start,
    head: cp?.head ?? GENESIS_HEAD,
    prevHead: cp?.prevHead ?? GENESIS_HEAD,
    last: cp?.last ?? null,
    replay: wants.registry ? new RegistryReplay(cp?.registry ?? undefined) : null,
    replayed: 0,
    accumulator: acc.frontierAt,
    recentRoots: [...(cp?.recentRoots ?? [])],
    ids: cp?.data && checks.data ? [Buffer.from(cp.data.ids, "base64")] : ([] as Buffer[]),
    records: cp?.data && checks.data ? cp.data.records : 0,
    written: false,
    lastWrite: 0,
  };
  const canCheckpoint = save !== undefined && headMatches && (sequencerUp || !wants.data);
  const writeCheckpoint = async (force: boolean) => {
    if (!save || !canCheckpoint || logWide()) return;
    if (!force && Date.now() - cpState.lastWrite < 2000) return;
    cpState.lastWrite = Date.now();
    const ids = Buffer.concat(cpState.ids);
    cpState.ids = [ids];
    await save(
      sealAuditCheckpoint({
        kind: AUDIT_CHECKPOINT_KIND,
        v: 1,
        programId,
        genesisHash,
        circuit: config.circuit,
        writtenAt: new Date(now()).toISOString(),
        verified: cpState.verified,
        head: cpState.head,
        prevHead: cpState.prevHead,
        last: cpState.last,
        checks,
        registry: cpState.replay ? cpState.replay.state() : null,
        accumulator: cpState.accumulator ? { startIndex: cpState.accumulator.startIndex, size: cpState.accumulator.frontier.size, frontier: [...cpState.accumulator.frontier.nodes] } : null,
        recentRoots: cpState.recentRoots.slice(-BATCH_LOG_CAPACITY),
        data: checks.data ? { records: cpState.records, ids: ids.toString("base64") } : null,
      }),
    );
    cpState.written = true;
  };

  // Record ids seen, for DUPLICATE_RECORD: this run's in full, the checkpoint's by 8-byte prefix.
  const seen = new Map<string, { batch: number; leaf: number }>();
  const prefixSeen = new Map<string, { batch: number; leaf: number }>();
  const prefixAt = new Map<string, string>();
  if (cp?.data) {
    const blob = Buffer.from(cp.data.ids, "base64");
    for (let o = 0; o < blob.length; o += CHECKPOINT_ID_ENTRY) {
      const prefix = blob.subarray(o, o + 8).toString("hex");
      const batch = blob.readUInt32BE(o + 8);
      const leaf = blob.readUInt32BE(o + 12);
      if (!prefixSeen.has(prefix)) prefixSeen.set(prefix, { batch, leaf });
      prefixAt.set(`${batch}:${leaf}`, prefix);
    }
  }

  // 2 and 3. Each batch of this run: its proof, then its records (data availability).
  const proofs = { checked: 0, valid: 0, verifier: options.verifyProof ? (options.verifierName ?? "custom") : "snarkjs" };
  const data = { status: (options.skipData ? "skipped" : sequencerUp ? "checked" : "unavailable") as AuditReport["data"]["status"], checked: 0, matching: 0, records: 0 };
  let dataError = null as { batch: number; reason: string } | null;
  const membership = new Map<number, string[]>();
  const levels = Math.log2(config.batchCapacity);
  const done = new Array<boolean>(total).fill(false);
  let scanned = start;
  let batchesDone = 0;

  const proofOk = new Set<number>();
  /** In index order over finished batches: the duplicate check, then the verified prefix and its checkpoint (one at a time). */
  let advancing: Promise<void> = Promise.resolve();
  const advance = (): Promise<void> => (advancing = advancing.then(advanceNow));
  const advanceNow = async () => {
    while (scanned < total && done[scanned]) {
      const i = scanned++;
      const ids = membership.get(i);
      if (ids) {
        for (let leaf = 0; leaf < ids.length; leaf++) {
          const id = ids[leaf];
          if (id === undefined) continue;
          let earlier = seen.get(id);
          if (!earlier) {
            const p = prefixSeen.get(id.slice(0, 16));
            if (p && (await sameRecordAt(sequencer, p, id, signal))) earlier = p;
          }
          if (earlier) {
            add({
              severity: "error",
              code: "DUPLICATE_RECORD",
              batch: i,
              message: `record ${id} is anchored in batch ${earlier.batch} (leaf ${earlier.leaf}) and again in batch ${i} (leaf ${leaf}): the sequencer sequenced it twice, so Config.total_records counts it twice`,
            });
          } else {
            seen.set(id, { batch: i, leaf });
          }
        }
      }
    }
    noteErrors();
    if (!canCheckpoint || logWide()) return;
    let moved = false;
    while (cpState.verified < scanned && !errorAt.has(cpState.verified)) {
      const i = cpState.verified;
      const tx = txs[i]!;
      if ((checks.data && !membership.has(i)) || (checks.proofs && !proofOk.has(i))) break;
      cpState.prevHead = cpState.head;
      cpState.head = nextChainHead(cpState.head, tx);
      cpState.last = { index: i, signature: tx.signature, slot: tx.slot };
      if (cpState.replay) {
        const upTo = positionOf.get(i)!;
        for (; cpState.replayed <= upTo; cpState.replayed++) {
          const d = ordered[cpState.replayed]!;
          cpState.replay.transaction(d.tx, d.batches);
        }
      }
      if (cpState.accumulator && i >= cpState.accumulator.startIndex) cpState.accumulator.frontier.append(accumulatorLeaf(tx));
      cpState.recentRoots.push(tx.batchRoot);
      if (cpState.recentRoots.length > 2 * BATCH_LOG_CAPACITY) cpState.recentRoots.splice(0, cpState.recentRoots.length - BATCH_LOG_CAPACITY);
      const ids = membership.get(i);
      if (checks.data && ids) {
        const entries: Buffer[] = [];
        ids.forEach((id, leaf) => {
          const e = Buffer.alloc(CHECKPOINT_ID_ENTRY);
          Buffer.from(id.slice(0, 16), "hex").copy(e, 0);
          e.writeUInt32BE(i, 8);
          e.writeUInt32BE(leaf, 12);
          entries.push(e);
        });
        cpState.ids.push(...entries);
        cpState.records += entries.length;
      }
      cpState.verified++;
      moved = true;
    }
    if (moved) await writeCheckpoint(false);
  };

  try {
    const batches = Array.from({ length: total - start }, (_, k) => start + k).filter((i) => txs[i] !== null);
    await pool(
      batches,
      concurrency,
      async (i) => {
        const tx = txs[i]!;
        if (wants.proofs) {
          proofs.checked++;
          if (await verifyBatchTxProof(keyOf(tx.shape), tx, options.verifyProof)) {
            proofs.valid++;
            proofOk.add(i);
          } else {
            add({ severity: "error", code: "PROOF_INVALID", batch: i, message: `batch ${i}: the Groth16 proof in transaction ${tx.signature} does not verify off-chain against the ${config.circuit} verifying key of shape ${tx.shape} for its public inputs` });
          }
        }
        if (wants.data && sequencerUp && !dataError) {
          let got: BatchRecords | null = null;
          try {
            got = await sequencer.batchRecords(i, { signal });
          } catch (e) {
            if (signal?.aborted) throw e;
            if (e instanceof SequencerHttpError && (e.status === 0 || e.status >= 500)) {
              dataError ??= { batch: i, reason: describeError(e) };
            } else {
              data.checked++;
              add({ severity: "error", code: "DATA_UNAVAILABLE", batch: i, message: `batch ${i}: the sequencer does not serve its records: ${describeError(e)}` });
            }
          }
          if (got) {
            data.checked++;
            const checked = checkBatchRecords(i, got.records, tx, levels, options.chunkRegionSlots);
            for (const f of checked.findings) add(f);
            data.records += got.records.length;
            membership.set(i, checked.ids);
            if (checked.findings.length === 0) data.matching++;
          }
        }
        done[i] = true;
        progress("batches", ++batchesDone, batches.length);
        await advance();
      },
      signal,
    );
  } finally {
    if (wants.proofs) await releaseSnarkjs();
  }
  await advance();

  // Data availability not checked: said plainly, and why.
  const unchecked = (why: string) =>
    add({ severity: "warning", code: "DATA_UNCHECKED", message: `data availability was not checked (${why}): no batch's records were fetched and re-hashed, so nothing here shows the anchored roots are backed by records anyone can get` });
  let dataReason: string | null = null;
  if (options.skipData) {
    dataReason = "skipped (skipData)";
    unchecked(dataReason);
  } else if (!sequencer) {
    dataReason = "chain only: no sequencer was asked";
    unchecked(dataReason);
  } else if (!sequencerUp) {
    dataReason = `the sequencer could not be reached: ${sequencerError}`;
    unchecked(dataReason);
  } else if (dataError) {
    data.status = "unavailable";
    dataReason = `the sequencer stopped answering at batch ${dataError.batch}: ${dataError.reason}`;
    add({ severity: "warning", code: "DATA_UNCHECKED", batch: dataError.batch, message: `data availability was checked for ${data.checked} of ${total - start} batches: ${dataReason}` });
  }

  // 5. Receipts: the signature and deployment from the receipt alone; where and whether it is anchored, from the sequencer.
  const receipts = { checked: 0, anchored: 0, pending: 0, dropped: 0, failed: 0, unchecked: 0 };
  if (receiptsGiven) {
    const key = options.receiptKey!;
    const deployment = { programId, genesisHash };
    const grace = options.receiptGraceMs ?? 15 * 60_000;
    await pool(options.receipts!, concurrency * 2, async (raw, n) => {
      receipts.checked++;
      const where = `receipt ${n + 1}`;
      let r: Receipt;
      try {
        r = checkReceipt(raw, key, { deployment });
      } catch (e) {
        receipts.failed++;
        add({ severity: "error", code: "RECEIPT_INVALID", message: `${where}: ${(e as Error).message}` });
        return;
      }
      if (!sequencerUp) {
        receipts.unchecked++;
        return;
      }
      let view;
      try {
        view = await sequencer!.record(r.id, { signal });
      } catch (e) {
        if (e instanceof SequencerHttpError && e.status === 404) {
          receipts.failed++;
          add({ severity: "error", code: "RECEIPT_RECORD_MISSING", message: `${where}: the sequencer signed a receipt for record ${r.id} (seq ${r.seq}) but no longer has the record` });
          return;
        }
        if (e instanceof SequencerHttpError && (e.status === 0 || e.status >= 500)) {
          receipts.unchecked++;
          return;
        }
        throw e;
      }
      if (view.seq !== r.seq) {
        receipts.failed++;
        add({ severity: "error", code: "RECEIPT_RECORD_MISSING", message: `${where}: the sequencer signed seq ${r.seq} for record ${r.id}, but now holds it at seq ${view.seq}` });
        return;
      }
      if (view.status === "dropped") {
        try {
          const notice = checkDroppedNotice(view.notice, key, { id: r.id, seq: r.seq, programId, genesisHash });
          receipts.dropped++;
          add({ severity: "warning", code: "RECEIPT_DROPPED", batch: notice.batch, message: `${where}: record ${r.id} (seq ${r.seq}) was dropped from batch ${notice.batch} (${notice.reason}${view.reason ? `: ${view.reason}` : ""}); the sequencer's signed notice checks` });
        } catch (e) {
          receipts.failed++;
          add({ severity: "error", code: "DROPPED_NOTICE_INVALID", message: `${where}: the sequencer says record ${r.id} (seq ${r.seq}) was dropped, but its notice does not check: ${(e as Error).message}` });
        }
        return;
      }
      if (view.status !== "anchored" || view.batch === null || view.batch >= total) {
        const age = now() - r.receivedAt;
        if (age > grace) {
          receipts.failed++;
          add({ severity: "error", code: "RECEIPT_NOT_ANCHORED", batch: view.batch ?? undefined, message: `${where}: record ${r.id} (seq ${r.seq}) was promised ${Math.round(age / 60_000)} min ago and is ${view.status}${view.batch !== null ? ` in batch ${view.batch}` : ""}, not on chain` });
        } else {
          receipts.pending++;
          add({ severity: "warning", code: "RECEIPT_PENDING", message: `${where}: record ${r.id} is ${view.status}, received ${Math.round(age / 1000)} s ago (within the ${Math.round(grace / 1000)} s grace period)` });
        }
        return;
      }
      // The batch's records: this run's in full, a checkpoint's by id prefix; unknown when not checked.
      const ids = membership.get(view.batch);
      const prefix = view.batch < start && cp?.data ? (view.leafIndex === null ? undefined : prefixAt.get(`${view.batch}:${view.leafIndex}`)) : null;
      const misplaced = ids ? view.leafIndex === null || ids[view.leafIndex] !== r.id : prefix !== null ? prefix !== r.id.slice(0, 16) : false;
      if (misplaced) {
        receipts.failed++;
        add({ severity: "error", code: "RECEIPT_NOT_IN_BATCH", batch: view.batch, message: `${where}: the sequencer places record ${r.id} at leaf ${view.leafIndex} of batch ${view.batch}, but that batch's records do not hold it there` });
        return;
      }
      receipts.anchored++;
    }, signal);
    if (receipts.unchecked > 0) {
      add({ severity: "warning", code: "RECEIPTS_UNCHECKED", message: `${receipts.unchecked} of ${receipts.checked} receipt(s) were checked only for their signature and deployment: whether their records were anchored needs the sequencer, which could not be reached (${sequencerError ?? dataError?.reason ?? "it stopped answering"})` });
    }
  }

  await writeCheckpoint(true);

  const order = (f: Finding) => (f.batch ?? -1) * 100 + (f.severity === "error" ? 0 : 1);
  findings.sort((a, b) => order(a) - order(b));
  return {
    ok: !findings.some((f) => f.severity === "error"),
    complete: !((sequencer !== null && !options.skipData && dataReason !== null) || receipts.unchecked > 0),
    programId,
    genesisHash,
    rpcUrl: chain.rpcUrl,
    sequencerUrl: sequencer?.url ?? null,
    config,
    chain: { batches: total, from: start, audited: total - start, transactions: listing.length, failedTransactions, computedHead: head, onChainHead: config.chainHead, headMatches },
    registry,
    accumulator: acc.report,
    proofs,
    data: { ...data, reason: dataReason },
    sequencer: { available: sequencerUp, error: sequencer ? sequencerError : null, listed: listed.size, notYetAnchored },
    receipts,
    checkpoint: cp || save ? { resumedFrom: cp ? cp.verified : null, verified: cpState.verified, written: cpState.written } : null,
    findings,
    elapsedMs: Date.now() - t0,
  };
}

/** Whether the record at `at` (a checkpoint's batch and leaf) has this full id: asks the sequencer, else trusts the 8-byte prefix. */
async function sameRecordAt(sequencer: SequencerClient | null, at: { batch: number; leaf: number }, id: string, signal?: AbortSignal): Promise<boolean> {
  if (!sequencer) return true;
  try {
    const got = await sequencer.batchRecords(at.batch, { signal });
    const r = got.records.find((x, j) => (x.leafIndex ?? j) === at.leaf);
    return r === undefined || r.id === id;
  } catch {
    return true;
  }
}

/**
 * Refuses a checkpoint this audit cannot go on from: another deployment's (program, cluster,
 * circuit), one written with fewer checks than asked for now, or one the chain no longer agrees
 * with (more batches than the chain holds; its last batch's transaction missing, failed, or not
 * giving its head).
 */
async function checkCheckpoint(
  cp: AuditCheckpoint,
  ctx: { chain: ChainReader; config: ChainConfig; programId: string; genesisHash: string; wants: { proofs: boolean; registry: boolean; data: boolean } },
): Promise<void> {
  const { chain, config, programId, genesisHash, wants } = ctx;
  if (cp.programId !== programId) throw new ProvenanceError("CHECKPOINT_FOREIGN", `the checkpoint is of program ${cp.programId}, not of the program audited (${programId})`);
  if (cp.genesisHash !== genesisHash) {
    throw new ProvenanceError("CHECKPOINT_FOREIGN", `the checkpoint is of the cluster with genesis hash ${cp.genesisHash}, but ${chain.rpcUrl} serves the cluster with genesis hash ${genesisHash} (another cluster, or a local chain made anew)`);
  }
  if (cp.circuit !== config.circuit) throw new ProvenanceError("CHECKPOINT_FOREIGN", `the checkpoint was written for circuit ${cp.circuit}, but the program's Config names circuit ${config.circuit}`);
  const missing = (["proofs", "registry", "data"] as const).filter((k) => wants[k] && !cp.checks[k]);
  if (missing.length) {
    const what = { proofs: "re-verifying proofs (it was written with skipProofs)", registry: "replaying the registry history", data: "checking data availability (it was written chain-only, or with skipData)" };
    throw new ProvenanceError(
      "CHECKPOINT_INVALID",
      `the checkpoint's ${cp.verified} batch(es) were verified without ${missing.map((k) => what[k]).join(" and ")}: resuming would leave them unchecked. Resume with the same checks, or audit from genesis into a new checkpoint file`,
    );
  }
  if (cp.verified > config.nextIndex) {
    throw new ProvenanceError("CHECKPOINT_MISMATCH", `the checkpoint has verified ${cp.verified} batch(es), but the program's Config says the log holds ${config.nextIndex}: the chain is not the one the checkpoint was written from`);
  }
  if (!cp.last) return;
  const d = await chain.decodedTransaction(cp.last.signature);
  const at = `the checkpoint's last batch ${cp.last.index} (transaction ${cp.last.signature})`;
  if (!d) throw new ProvenanceError("CHECKPOINT_MISMATCH", `${at} is unknown to ${chain.rpcUrl}: the chain no longer holds the history the checkpoint verified`);
  if (d.tx.err) throw new ProvenanceError("CHECKPOINT_MISMATCH", `${at} failed on chain (${JSON.stringify(d.tx.err)}): it anchored nothing, so the checkpoint is not of this chain`);
  const b = d.batches.find((x) => x.index === cp.last!.index);
  if (!b) throw new ProvenanceError("CHECKPOINT_MISMATCH", `${at} does not submit batch ${cp.last.index}: the checkpoint is not of this chain`);
  const head = nextChainHead(cp.prevHead, b);
  if (head !== cp.head) {
    throw new ProvenanceError("CHECKPOINT_MISMATCH", `the chain head after batch ${cp.last.index} is ${head} by its transaction on chain, but the checkpoint says ${cp.head}: the checkpoint does not match the chain`);
  }
  if (cp.verified === config.nextIndex && cp.head !== config.chainHead) {
    throw new ProvenanceError("CHECKPOINT_MISMATCH", `the checkpoint's head ${cp.head} after batch ${cp.last.index} is not Config.chain_head ${config.chainHead}, though no batch has landed since: the checkpoint does not match the chain`);
  }
}

/** What `checkBatchRecords` found in one batch's served records. */
export interface BatchRecordsCheck {
  /** The served record ids by leaf index (a sparse array: holes are padding). */
  ids: string[];
  /** DATA_MISMATCH, BAD_CHUNK_SIGNATURE, CHUNK_INCOMPLETE, CHUNK_MISPLACED: at most one of each, for `batch`. */
  findings: Finding[];
}

/** At most three problems in one finding, and how many more. */
function summary(batch: number, problems: readonly string[]): string {
  return `batch ${batch}: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}`;
}

/**
 * The data-availability check of one batch: the records the sequencer serves for it
 * (`GET /v1/batches/:index/records`) against the batch's on-chain statement.
 *
 * Every record is re-validated: a record signed alone with its own signature (as always), a
 * chunk-signed one with its chunk's signature over the digest re-derived from its message and
 * place (else BAD_CHUNK_SIGNATURE); its id, its timestamp in the window; the leaves, each at its
 * slot (`leafIndex`, else its position), must hash to the on-chain root over exactly `count`
 * records (else DATA_MISMATCH).
 *
 * Chunks are anchored whole (docs/circuit-v2.md): the records of one chunk (one node, one
 * digest) must all be in the batch, each index 0..size-1 once (else CHUNK_INCOMPLETE: the
 * circuit signs a region with the digest of the records it holds, so a partial chunk means
 * the served records are not the ones proven, or the chunk was split), at consecutive slots in
 * chunk order (else CHUNK_MISPLACED); with `regionSlots` (the chunk shape's region size,
 * 2^chunkLevels) a batch holding a chunk must also start every chunk and every record signed
 * alone at a region boundary, and a chunk must fit its region.
 */
export function checkBatchRecords(
  batch: number,
  records: BatchRecords["records"],
  onChain: { batchRoot: string; count: number; minTs: number; maxTs: number },
  levels: number,
  regionSlots?: number,
): BatchRecordsCheck {
  const capacity = 2 ** levels;
  const problems: string[] = [];
  const badChunkSignatures: string[] = [];
  const ids: string[] = [];
  const leaves = new Map<number, bigint>();
  const slotted = records.some((r) => r.leafIndex !== undefined);
  const chunks = new Map<string, { node: string; size: number; members: { index: number; slot: number }[] }>();
  const alone: number[] = [];
  let previous = -1;
  records.forEach((r, j) => {
    // The v1 layout (no leafIndex): record j is leaf j.
    let slot = j;
    if (slotted) {
      const at = r.leafIndex;
      if (typeof at !== "number" || !Number.isSafeInteger(at) || at < 0 || at >= capacity) {
        problems.push(`record ${j} (${r.id}) is served at leaf ${JSON.stringify(at)}, not a leaf of a batch of ${capacity}`);
        return;
      }
      if (at <= previous) {
        problems.push(`record ${j} (${r.id}) is served at leaf ${at}, not after the previous record's leaf ${previous}`);
        return;
      }
      slot = previous = at;
    }
    const where = slotted ? `record ${j} at leaf ${slot}` : `record ${j}`;
    let parsed: ParsedRecord;
    try {
      parsed = isChunkRecord(r.record) ? parseRecord(r.record) : validateRecord(r.record);
    } catch (e) {
      problems.push(`${where} (${r.id}) is invalid: ${(e as Error).message}`);
      leaves.set(slot, 0n);
      ids[slot] = r.id;
      return;
    }
    if (parsed.chunk) {
      const c = parsed.chunk;
      if (!verifyRecordSignature(parsed)) {
        badChunkSignatures.push(`${where} (${r.id}): the chunk signature does not verify for its index ${c.index} of a chunk of ${c.size} (another chunk's signature or path, a moved record, a changed size or message)`);
      } else {
        const key = `${fieldToHex(parsed.nodeId)}:${fieldToHex(c.digest)}`;
        const group = chunks.get(key) ?? { node: r.record.nodeId, size: c.size, members: [] };
        group.members.push({ index: c.index, slot });
        chunks.set(key, group);
      }
    } else {
      alone.push(slot);
    }
    if (fieldToHex(parsed.leaf) !== r.id) problems.push(`${where} is listed with id ${r.id} but hashes to ${fieldToHex(parsed.leaf)}`);
    if (r.record.timestamp < onChain.minTs || r.record.timestamp > onChain.maxTs) problems.push(`${where}'s timestamp ${r.record.timestamp} is outside the on-chain window [${onChain.minTs}, ${onChain.maxTs}]`);
    leaves.set(slot, parsed.leaf);
    ids[slot] = r.id;
  });
  if (records.length !== onChain.count) problems.push(`the sequencer serves ${records.length} records, the chain says ${onChain.count}`);
  if (records.length <= capacity) {
    const root = fieldToHex(new FixedMerkleTree(levels, Array.from({ length: capacity }, (_, s) => leaves.get(s) ?? 0n)).root);
    if (root !== onChain.batchRoot) problems.push(`the records hash to root ${root}, the chain holds ${onChain.batchRoot}`);
  } else {
    problems.push(`${records.length} records do not fit a batch of ${capacity}`);
  }

  const incomplete: string[] = [];
  const misplaced: string[] = [];
  for (const { node, size, members } of chunks.values()) {
    const what = `the chunk of ${size} by node ${node.slice(0, 16)}… (first at leaf ${members[0]!.slot})`;
    const count = new Map<number, number>();
    for (const m of members) count.set(m.index, (count.get(m.index) ?? 0) + 1);
    const missing = Array.from({ length: size }, (_, k) => k).filter((k) => !count.has(k));
    const twice = [...count].filter(([, n]) => n > 1).map(([k]) => k);
    if (missing.length > 0 || twice.length > 0) {
      incomplete.push(
        `${what} has ${members.length} of its ${size} records in this batch` +
          (missing.length ? `: index ${missing.join(", ")} missing` : "") +
          (twice.length ? `${missing.length ? "," : ":"} index ${twice.join(", ")} served twice` : "") +
          " (a chunk is anchored whole, in one batch)",
      );
      continue;
    }
    const ordered = members.slice().sort((a, b) => a.index - b.index);
    const start = ordered[0]!.slot;
    if (ordered.some((m, k) => m.slot !== start + k)) {
      misplaced.push(`${what} is at leaves ${ordered.map((m) => m.slot).join(", ")} for its indexes 0..${size - 1}, not at consecutive leaves in chunk order`);
    } else if (regionSlots !== undefined && (start % regionSlots !== 0 || size > regionSlots)) {
      misplaced.push(`${what} is at leaves ${start}..${start + size - 1}, not one region of ${regionSlots} leaves from its first`);
    }
  }
  if (regionSlots !== undefined && chunks.size > 0) {
    for (const slot of alone) {
      if (slot % regionSlots !== 0) misplaced.push(`the record signed alone at leaf ${slot} does not start a region of ${regionSlots} leaves (in a batch of chunks each region holds one chunk or one record)`);
    }
  }

  const findings: Finding[] = [];
  if (problems.length) findings.push({ severity: "error", code: "DATA_MISMATCH", batch, message: summary(batch, problems) });
  if (badChunkSignatures.length) findings.push({ severity: "error", code: "BAD_CHUNK_SIGNATURE", batch, message: summary(batch, badChunkSignatures) });
  if (incomplete.length) findings.push({ severity: "error", code: "CHUNK_INCOMPLETE", batch, message: summary(batch, incomplete) });
  if (misplaced.length) findings.push({ severity: "error", code: "CHUNK_MISPLACED", batch, message: summary(batch, misplaced) });
  return { ids, findings };
}

/**
 * Recomputes the Accumulator from the log's batches (`start_index .. total - 1`, their
 * submit_batch transactions; those before `start`, a checkpoint's, by its frontier) and compares
 * size and root with the account: a difference is an ACCUMULATOR_MISMATCH error. A batch landing
 * between the Config read (`total`) and the Accumulator read is no difference: the recomputed
 * root must then be the ring's root at that size. Also returns the frontier at `start`, which the
 * next checkpoint advances.
 */
async function auditAccumulator(
  chain: ChainReader,
  total: number,
  start: number,
  txs: readonly (SubmitBatchTx | null)[],
  from: AuditCheckpoint["accumulator"],
  add: (f: Finding) => void,
): Promise<{ report: AuditReport["accumulator"]; frontierAt: { startIndex: number; frontier: AccumulatorFrontier } | null }> {
  let acc;
  try {
    acc = await chain.readAccumulator();
  } catch (e) {
    if ((e as ProvenanceError).code !== "ACCOUNT_MISSING") throw e;
    add({ severity: "warning", code: "ACCUMULATOR_MISMATCH", message: `the deployment has no Accumulator account (${chain.accumulatorAddress.toBase58()}): it predates the accumulator and its admin has not run init_accumulator, so version-2 bundles cannot verify against it` });
    return { report: null, frontierAt: null };
  }
  const expected = total - acc.startIndex;
  const report = { startIndex: acc.startIndex, size: acc.size, computedRoot: null as string | null, onChainRoot: acc.root, matches: false };
  // The frontier at `start`: empty when the accumulator starts there or later, else the checkpoint's.
  let base: AccumulatorFrontier | null = null;
  if (acc.startIndex >= start) base = new AccumulatorFrontier();
  else if (from && from.startIndex === acc.startIndex && from.size === start - acc.startIndex) base = new AccumulatorFrontier(from.size, [...from.frontier]);
  const frontierAt = base ? { startIndex: acc.startIndex, frontier: base.clone() } : null;
  if (expected < 0 || acc.size < expected) {
    add({ severity: "error", code: "ACCUMULATOR_MISMATCH", message: `the Accumulator holds ${acc.size} batches from batch ${acc.startIndex}, but Config says the log has ${total} batches: it should hold ${Math.max(0, expected)}` });
    return { report, frontierAt };
  }
  if (!base) {
    add({ severity: "warning", code: "ACCUMULATOR_MISMATCH", message: `the Accumulator (from batch ${acc.startIndex}) cannot be recomputed from the checkpoint, which holds no accumulator state from that batch (written before init_accumulator): audit from genesis to check it` });
    return { report, frontierAt };
  }
  const f = base.clone();
  for (let i = Math.max(start, acc.startIndex); i < total; i++) {
    const t = txs[i];
    if (!t) {
      add({ severity: "error", code: "ACCUMULATOR_MISMATCH", batch: i, message: `the Accumulator could not be recomputed: batch ${i}'s transaction is missing (see the findings for that batch)` });
      return { report, frontierAt };
    }
    f.append(accumulatorLeaf(t));
  }
  const computed = f.root;
  report.computedRoot = computed;
  let matches: boolean;
  let where: string;
  if (acc.size === expected) {
    matches = computed === acc.root;
    where = `root ${acc.root}`;
  } else {
    // Batches landed after Config was read: the root at `expected` leaves must be in the ring.
    const then = acc.recent.find((r) => r.size === expected);
    matches = expected === 0 || (then !== undefined && then.root === computed);
    where = then ? `root ${then.root} at size ${expected} (its ring of recent roots; ${acc.size} now)` : `no root at size ${expected} in its ring (${acc.size} now)`;
  }
  report.matches = matches;
  if (!matches) {
    add({ severity: "error", code: "ACCUMULATOR_MISMATCH", message: `recomputing the Accumulator over the ${expected} submit_batch transactions from batch ${acc.startIndex} gives root ${computed}, but the Accumulator account holds ${where}` });
  }
  return { report, frontierAt };
}

/** Reads a JSON-lines file of receipts (or of submit results carrying a `receipt`). */
export function readReceiptsFile(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ProvenanceError("IO_ERROR", `cannot read receipts file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out: unknown[] = [];
  text.split("\n").forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith("#")) return;
    let json: unknown;
    try {
      json = JSON.parse(t);
    } catch (e) {
      throw new ProvenanceError("INVALID_RECEIPT", `${file} line ${i + 1} is not JSON (${(e as Error).message}): expected one receipt per line`);
    }
    const inner = (json as { receipt?: unknown }).receipt;
    out.push(inner !== undefined ? inner : json);
  });
  return out;
}
