/**
 * The auditor (Node.js): walks the program's on-chain log from genesis and checks it end to end.
 *
 * 1. Hash chain. The list of batches (index, transaction signature) comes from the sequencer's
 *    `GET /v1/batches`, but nothing else is taken from it: each transaction is fetched from the
 *    chain, must have succeeded, and its `submit_batch` arguments are decoded from the
 *    transaction itself. The chain rule is recomputed from the genesis head over those
 *    arguments, and must end at `Config.chain_head` after exactly `Config.next_index` batches:
 *    that proves no batch is missing, extra, altered or reordered, even though the signatures
 *    came from the sequencer. (The local chain has no `getSignaturesForAddress`, so the
 *    sequencer's list is the index; the chain check makes it trustless.)
 * 2. Proofs. Each batch's Groth16 proof, from the transaction's bytes, is verified off-chain
 *    with snarkjs against the circuit's verifying key, on the public hash
 *    Poseidon(registryRoot, batchRoot, count, minTs, maxTs) of the transaction's arguments.
 * 3. Data availability. Each batch's records (`GET /v1/batches/:i/records`) are re-validated
 *    (format, signature, time window) and their Merkle root recomputed: it must be the root on
 *    chain, over exactly `count` records (each at its `leafIndex` in a batch with holes). A
 *    chunk-signed record is checked with its chunk's signature, and every chunk must be in the
 *    batch whole and in place (`checkBatchRecords`).
 *    A record anchored in more than one batch is reported (DUPLICATE_RECORD, naming the id and
 *    both batches): neither the circuit (distinct leaves within a batch only) nor the program
 *    prevents it, and it inflates `total_records`.
 * 4. The sequencer's own report: its batch metadata must match the chain, and a batch it calls
 *    anchored must be on chain.
 * 5. Receipts a node collected, checked against a receipt key the auditor pinned (never the one
 *    the audited sequencer serves now: it could serve another key and turn its own promises into
 *    "invalid" receipts): each must carry that key's valid signature, a v2 receipt must name
 *    this deployment (the audited program id and the RPC's genesis hash), name a record the
 *    sequencer still has with the same seq, and (after a grace period) be anchored, inside the
 *    audited batch it claims — or be `dropped` with the sequencer's valid signed notice
 *    for this program and cluster (its own finding, RECEIPT_DROPPED: a promise broken openly, for
 *    a stated reason, not silent censorship); a notice that does not check is an error.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Groth16Proof, VerificationKey } from "snarkjs";
import { AccumulatorTree, accumulatorLeaf } from "../accumulator.js";
import { publicHash } from "../batch.js";
import { INSECURE_CIRCUITS, registryHistory, type ChainConfig, type ChainReader, type RegistryFindingCode, type RegistryHistory, type SubmitBatchTx } from "../chain.js";
import { GENESIS_HEAD, KNOWN_CLUSTERS, nextChainHead } from "../chainlog.js";
import { SequencerHttpError, type BatchRecords, type BatchSummary, type SequencerClient } from "../client.js";
import { ProvenanceError } from "../errors.js";
import { proofFromSolana } from "../groth16-layout.js";
import { fieldToHex, hexToField } from "../field.js";
import { FixedMerkleTree } from "../merkle.js";
import { checkReceipt, type Receipt } from "../receipt.js";
import { checkDroppedNotice } from "../notice.js";
import { isChunkRecord, parseRecord, validateRecord, verifyRecordSignature, type ParsedRecord } from "../record.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

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
  | "ACCUMULATOR_MISMATCH";

export interface Finding {
  /** `error`: the log or the sequencer is wrong; `warning`: not (yet) wrong, but look. */
  severity: "error" | "warning";
  code: FindingCode;
  batch?: number;
  message: string;
}

export interface AuditReport {
  ok: boolean;
  programId: string;
  rpcUrl: string;
  sequencerUrl: string;
  config: ChainConfig;
  chain: { batches: number; computedHead: string; onChainHead: string; headMatches: boolean };
  /** The registry-root history replayed from the chain (registry-history.ts); null when skipped. */
  registry: { changes: RegistryHistory["changes"]; graceBatches: number } | null;
  /**
   * The Accumulator recomputed from the log's submit_batch transactions (batches start_index ..
   * next_index - 1) against the account; null when the deployment has no Accumulator account.
   */
  accumulator: { startIndex: number; size: number; computedRoot: string | null; onChainRoot: string; matches: boolean } | null;
  /** Groth16 proofs re-verified off-chain, and by which verifier (native, snarkjs). */
  proofs: { checked: number; valid: number; verifier: string };
  data: { checked: number; matching: number; records: number };
  sequencer: { listed: number; notYetAnchored: number };
  receipts: { checked: number; anchored: number; pending: number; dropped: number; failed: number };
  findings: Finding[];
  elapsedMs: number;
}

export interface AuditOptions {
  sequencer: SequencerClient;
  chain: ChainReader;
  /**
   * snarkjs verifying key JSON of the chunk shape (shape 0); default
   * `circuits/keys/<Config.circuit>.vk.json` of this checkout.
   */
  verifyingKey?: unknown;
  /**
   * Verifying keys by circuit shape (0 chunk shape, 1 single shape; docs/circuit-v2.md), for
   * what `verifyingKey` does not give; default `circuits/keys/<circuit>.vk.json` (shape 0) and
   * `circuits/keys/<circuit>-single.vk.json` (shape 1).
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
  onProgress?: (stage: string, done: number, total: number) => void;
  now?: () => number;
}

/**
 * The default verifying key of a circuit family's shape in this checkout:
 * `circuits/keys/<family>.vk.json` for shape 0 (the chunk shape), `<family>-single.vk.json` for
 * shape 1 (the single shape), as circuits/circuits.json names them.
 */
export function defaultVerifyingKeyPath(circuit: string, shape = 0): string {
  return path.join(ROOT, "circuits", "keys", `${shape === 1 ? `${circuit}-single` : circuit}.vk.json`);
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

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** Runs the audit. Throws only when the chain or the sequencer cannot be read at all. */
export async function audit(options: AuditOptions): Promise<AuditReport> {
  const t0 = Date.now();
  const now = options.now ?? Date.now;
  const { chain, sequencer } = options;
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  const progress = options.onProgress ?? (() => {});
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

  const config = await chain.config();
  const total = config.nextIndex;

  // 0. The deployment: proofs forgeable (INSECURE dev keys), or the hot key in charge. An error
  // on a public cluster unless allowed, a warning on any other chain (a local one).
  const publicCluster = Object.values(KNOWN_CLUSTERS).includes(await chain.genesisHash());
  const deploymentSeverity: Finding["severity"] = publicCluster && !options.allowInsecure ? "error" : "warning";
  if (INSECURE_CIRCUITS.includes(config.circuit)) {
    add({ severity: deploymentSeverity, code: "INSECURE_KEYS", message: `the program verifies proofs with the INSECURE "${config.circuit}" key, whose setup is public: anyone can forge its proofs, so this log proves nothing to a stranger` });
  }
  if (config.admin === config.sequencer) {
    add({ severity: deploymentSeverity, code: "ADMIN_IS_SEQUENCER", message: `the program's admin is its sequencer key ${config.admin}: whoever holds the sequencer's hot key can change the registry, pause, or replace the sequencer` });
  }

  // The sequencer's list: index -> summary.
  const listed = new Map<number, BatchSummary>();
  for await (const b of sequencer.allBatches()) listed.set(b.index, b);

  // 1. Every on-chain batch's transaction, decoded from the chain.
  const txs: (SubmitBatchTx | null)[] = new Array<SubmitBatchTx | null>(total).fill(null);
  let fetched = 0;
  await pool(
    Array.from({ length: total }, (_, i) => i),
    concurrency * 2,
    async (i) => {
      const s = listed.get(i);
      if (!s || !s.txSignature) {
        add({ severity: "error", code: "BATCH_NOT_LISTED", batch: i, message: `the chain holds batch ${i}, but the sequencer ${s ? `lists it as ${s.state} with no transaction` : "does not list it"}: its transaction cannot be found (the chain has ${total} batches)` });
        return;
      }
      try {
        txs[i] = await chain.batchFromTransaction(s.txSignature, i);
      } catch (e) {
        const err = e as ProvenanceError;
        if (err.code === "UNREACHABLE" || err.code === "RPC_ERROR") throw e;
        const code = err.code === "TX_FAILED" ? "TX_FAILED" : err.code === "TX_NOT_FOUND" ? "TX_NOT_FOUND" : "TX_MISMATCH";
        add({ severity: "error", code, batch: i, message: `batch ${i}: the sequencer's transaction ${s.txSignature}: ${err.message}` });
      }
      progress("transactions", ++fetched, total);
    },
  );

  // Recompute the hash chain in index order over the transactions' own arguments.
  let head = GENESIS_HEAD;
  let linked = 0;
  for (let i = 0; i < total; i++) {
    const tx = txs[i];
    if (!tx) break;
    head = nextChainHead(head, tx);
    linked++;
  }
  const headMatches = linked === total && head === config.chainHead;
  if (linked === total && head !== config.chainHead) {
    add({ severity: "error", code: "CHAIN_HEAD_MISMATCH", message: `recomputing the hash chain over the ${total} submit_batch transactions gives head ${head}, but Config.chain_head is ${config.chainHead}: the transactions the sequencer listed are not the chain's batches` });
  } else if (linked < total) {
    add({ severity: "error", code: "CHAIN_HEAD_MISMATCH", message: `the hash chain could be recomputed only up to batch ${linked} of ${total} (see the findings for batch ${linked})` });
  }

  // The registry-root history, from the chain alone: every root change replayed, ending at Config.
  let registry: AuditReport["registry"] = null;
  if (!options.skipRegistryHistory) {
    const history = await registryHistory(chain, config, txs);
    for (const f of history.findings) add(f);
    registry = { changes: history.changes, graceBatches: history.graceBatches };
  }

  // The BatchLog ring must agree with the transactions it still covers.
  const log = await chain.readBatchLog();
  if (log.nextIndex !== config.nextIndex) add({ severity: "error", code: "BATCH_LOG_MISMATCH", message: `BatchLog.next_index ${log.nextIndex} differs from Config.next_index ${config.nextIndex}` });
  for (let i = Math.max(0, log.nextIndex - log.roots.length); i < Math.min(total, log.nextIndex); i++) {
    const tx = txs[i];
    if (tx && log.roots[i % log.roots.length] !== tx.batchRoot) {
      add({ severity: "error", code: "BATCH_LOG_MISMATCH", batch: i, message: `BatchLog holds root ${log.roots[i % log.roots.length]} for batch ${i}, but its transaction submitted ${tx.batchRoot}` });
    }
  }

  // The Accumulator must hold exactly the log's batches from its start_index on, in order.
  const accumulatorReport = await auditAccumulator(chain, total, txs, add);

  // 4. The sequencer's metadata against the chain.
  for (let i = 0; i < total; i++) {
    const s = listed.get(i);
    const tx = txs[i];
    if (!s || !tx) continue;
    const diffs: string[] = [];
    if (s.batchRoot !== tx.batchRoot) diffs.push(`batchRoot ${s.batchRoot} (chain ${tx.batchRoot})`);
    if (s.registryRoot !== tx.registryRoot) diffs.push(`registryRoot ${s.registryRoot} (chain ${tx.registryRoot})`);
    if (s.count !== tx.count) diffs.push(`count ${s.count} (chain ${tx.count})`);
    if (s.minTs !== tx.minTs || s.maxTs !== tx.maxTs) diffs.push(`window [${s.minTs}, ${s.maxTs}] (chain [${tx.minTs}, ${tx.maxTs}])`);
    if (s.state !== "anchored") diffs.push(`state ${s.state} (chain: anchored)`);
    if (diffs.length) add({ severity: "error", code: "SEQUENCER_MISREPORTS", batch: i, message: `the sequencer reports batch ${i} with ${diffs.join(", ")}` });
  }
  let notYetAnchored = 0;
  for (const [i, s] of listed) {
    if (i < total) continue;
    if (s.state === "anchored" || s.txSignature) {
      add({ severity: "error", code: "NOT_ON_CHAIN", batch: i, message: `the sequencer says batch ${i} is anchored (transaction ${s.txSignature ?? "none"}), but the chain has only ${total} batches` });
    } else {
      notYetAnchored++;
    }
  }

  // 2. Proofs.
  const proofs = { checked: 0, valid: 0, verifier: options.verifyProof ? (options.verifierName ?? "custom") : "snarkjs" };
  if (!options.skipProofs && total > 0) {
    const keys = new Map<number, unknown>();
    const keyOf = (shape: number): unknown => {
      if (!keys.has(shape)) {
        let vk = options.verifyingKeys?.[shape] ?? (shape === 0 ? options.verifyingKey : undefined);
        if (vk === undefined) {
          const file = defaultVerifyingKeyPath(config.circuit, shape);
          if (!existsSync(file)) {
            throw new ProvenanceError("INVALID_CONFIG", `no verifying key for shape ${shape} of circuit ${config.circuit} at ${file}: give the verifying key of that shape`);
          }
          vk = JSON.parse(readFileSync(file, "utf8")) as unknown;
        }
        keys.set(shape, vk);
      }
      return keys.get(shape);
    };
    try {
      for (let i = 0; i < total; i++) {
        const tx = txs[i];
        if (!tx) continue;
        proofs.checked++;
        if (await verifyBatchTxProof(keyOf(tx.shape), tx, options.verifyProof)) proofs.valid++;
        else add({ severity: "error", code: "PROOF_INVALID", batch: i, message: `batch ${i}: the Groth16 proof in transaction ${tx.signature} does not verify off-chain against the ${config.circuit} verifying key of shape ${tx.shape} for its public inputs` });
        progress("proofs", proofs.checked, total);
      }
    } finally {
      await releaseSnarkjs();
    }
  }

  // 3. Data availability: every batch's records, re-validated and re-hashed.
  const data = { checked: 0, matching: 0, records: 0 };
  const membership = new Map<number, string[]>();
  if (!options.skipData) {
    const levels = Math.log2(config.batchCapacity);
    await pool(
      Array.from({ length: total }, (_, i) => i),
      concurrency,
      async (i) => {
        const tx = txs[i];
        if (!tx) return;
        data.checked++;
        let got;
        try {
          got = await sequencer.batchRecords(i);
        } catch (e) {
          if (e instanceof SequencerHttpError && e.status === 0) throw e;
          add({ severity: "error", code: "DATA_UNAVAILABLE", batch: i, message: `batch ${i}: the sequencer does not serve its records: ${(e as Error).message}` });
          return;
        }
        const checked = checkBatchRecords(i, got.records, tx, levels, options.chunkRegionSlots);
        for (const f of checked.findings) add(f);
        data.records += got.records.length;
        membership.set(i, checked.ids);
        if (checked.findings.length === 0) data.matching++;
        progress("data", data.checked, total);
      },
    );
  }

  // The same record anchored in more than one batch (or twice in one batch's served records).
  if (!options.skipData) {
    const first = new Map<string, { batch: number; leaf: number }>();
    for (const i of [...membership.keys()].sort((a, b) => a - b)) {
      membership.get(i)!.forEach((id, leaf) => {
        const seen = first.get(id);
        if (!seen) {
          first.set(id, { batch: i, leaf });
          return;
        }
        add({
          severity: "error",
          code: "DUPLICATE_RECORD",
          batch: i,
          message:
            `record ${id} is anchored in batch ${seen.batch} (leaf ${seen.leaf}) and again in batch ${i} (leaf ${leaf}): ` +
            `the sequencer sequenced it twice, so Config.total_records counts it twice`,
        });
      });
    }
  }

  // 5. Receipts.
  const receipts = { checked: 0, anchored: 0, pending: 0, dropped: 0, failed: 0 };
  if (receiptsGiven) {
    const key = options.receiptKey!;
    const deployment = { programId: chain.programId.toBase58(), genesisHash: await chain.genesisHash() };
    const { programId, genesisHash } = deployment;
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
      let view;
      try {
        view = await sequencer.record(r.id);
      } catch (e) {
        if (e instanceof SequencerHttpError && e.status === 404) {
          receipts.failed++;
          add({ severity: "error", code: "RECEIPT_RECORD_MISSING", message: `${where}: the sequencer signed a receipt for record ${r.id} (seq ${r.seq}) but no longer has the record` });
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
      const ids = membership.get(view.batch);
      if (ids && (view.leafIndex === null || ids[view.leafIndex] !== r.id)) {
        receipts.failed++;
        add({ severity: "error", code: "RECEIPT_NOT_IN_BATCH", batch: view.batch, message: `${where}: the sequencer places record ${r.id} at leaf ${view.leafIndex} of batch ${view.batch}, but that batch's records do not hold it there` });
        return;
      }
      receipts.anchored++;
    });
  }

  const order = (f: Finding) => (f.batch ?? -1) * 100 + (f.severity === "error" ? 0 : 1);
  findings.sort((a, b) => order(a) - order(b));
  return {
    ok: !findings.some((f) => f.severity === "error"),
    programId: chain.programId.toBase58(),
    rpcUrl: chain.rpcUrl,
    sequencerUrl: sequencer.url,
    config,
    chain: { batches: total, computedHead: head, onChainHead: config.chainHead, headMatches },
    registry,
    accumulator: accumulatorReport,
    proofs,
    data,
    sequencer: { listed: listed.size, notYetAnchored },
    receipts,
    findings,
    elapsedMs: Date.now() - t0,
  };
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

/** Reads a JSON-lines file of receipts (or of submit results carrying a `receipt`). */
/**
 * Recomputes the Accumulator from the log's batches (`start_index .. total - 1`, their
 * submit_batch transactions) and compares size and root with the account: a difference is an
 * ACCUMULATOR_MISMATCH error. A batch landing between the Config read (`total`) and the
 * Accumulator read is no difference: the recomputed root must then be the ring's root at that size.
 */
async function auditAccumulator(chain: ChainReader, total: number, txs: readonly (SubmitBatchTx | null)[], add: (f: Finding) => void): Promise<AuditReport["accumulator"]> {
  let acc;
  try {
    acc = await chain.readAccumulator();
  } catch (e) {
    if ((e as ProvenanceError).code !== "ACCOUNT_MISSING") throw e;
    add({ severity: "warning", code: "ACCUMULATOR_MISMATCH", message: `the deployment has no Accumulator account (${chain.accumulatorAddress.toBase58()}): it predates the accumulator and its admin has not run init_accumulator, so version-2 bundles cannot verify against it` });
    return null;
  }
  const expected = total - acc.startIndex;
  const report = { startIndex: acc.startIndex, size: acc.size, computedRoot: null as string | null, onChainRoot: acc.root, matches: false };
  if (expected < 0 || acc.size < expected) {
    add({ severity: "error", code: "ACCUMULATOR_MISMATCH", message: `the Accumulator holds ${acc.size} batches from batch ${acc.startIndex}, but Config says the log has ${total} batches: it should hold ${Math.max(0, expected)}` });
    return report;
  }
  const statements = txs.slice(acc.startIndex, total);
  const missing = statements.findIndex((t) => t === null);
  if (missing >= 0) {
    add({ severity: "error", code: "ACCUMULATOR_MISMATCH", batch: acc.startIndex + missing, message: `the Accumulator could not be recomputed: batch ${acc.startIndex + missing}'s transaction is missing (see the findings for that batch)` });
    return report;
  }
  const computed = new AccumulatorTree(statements.map((t) => accumulatorLeaf(t!))).root;
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
  return report;
}

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
