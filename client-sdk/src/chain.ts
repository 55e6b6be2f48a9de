/**
 * On-chain reads for buyers and auditors: the program's `Config` and `BatchLog` accounts and
 * its `submit_batch` transactions, through a stock `@solana/web3.js` Connection, decoded with
 * Anchor's Borsh coders and the program's IDL (docs/on-chain.md).
 *
 * - Every account read checks the account is owned by the expected program (a look-alike
 *   account under another owner at the same address is refused).
 * - `BatchLog` holds the roots of the last 256 batches. `batchRoot(i)` reads it once and
 *   answers every later batch index it covers from that one read (a dataset of many records
 *   costs one account read); a batch newer than the snapshot triggers one fresh read.
 * - `submitBatchTx(sig)` fetches and decodes a transaction once per signature.
 *
 * Browser-safe: web3.js and Anchor's browser builds, no Node-only imports.
 */
import * as anchorModule from "@coral-xyz/anchor";
import { Connection, PublicKey, type Commitment, type VersionedTransactionResponse } from "@solana/web3.js";
import { Buffer } from "buffer";
import { fail, ProvenanceError } from "./errors.js";
import { bytesToHex } from "./field.js";
import { PROVENANCE_IDL, PROVENANCE_PROGRAM_ID } from "./idl/index.js";
import { ACCUMULATOR_ROOT_HISTORY, ACCUMULATOR_SEED, BATCH_LOG_SEED, CONFIG_SEED, type CircuitName } from "./idl/constants.js";
import { BATCH_LOG_CAPACITY, type SubmitBatchArgs } from "./chainlog.js";

export * from "./chainlog.js";

// Node loads Anchor's CommonJS build (its exports on `default`), browsers its ESM build.
const anchor = ((anchorModule as unknown as { default?: typeof anchorModule }).default ?? anchorModule) as typeof anchorModule;
const { BorshAccountsCoder, BorshInstructionCoder } = anchor;

/** The program's `Circuit` enum, lower-case (from its IDL). */
export type { CircuitName };

/**
 * Circuits whose verifying keys come from the deterministic INSECURE dev setup (a public seed:
 * anyone can forge their proofs). A program on one of them anchors nothing a stranger can trust.
 */
export const INSECURE_CIRCUITS: readonly CircuitName[] = ["test", "dev"];

/** `Config`, decoded; byte arrays as hex. */
export interface ChainConfig {
  address: string;
  admin: string;
  sequencer: string;
  circuit: CircuitName;
  batchCapacity: number;
  registryRoot: string;
  /** Version of `registryRoot` in the registry's history; only increases. */
  registryVersion: number;
  recentRegistryRoots: { root: string; replacedAt: number }[];
  /**
   * The root the admin staged (`set_registry_root` without `retire_previous`): it becomes
   * current with the first batch proven against it. `null` when nothing is staged.
   */
  stagedRegistryRoot: string | null;
  /** Its version (0 when nothing is staged). */
  stagedRegistryVersion: number;
  /** When it was staged (cluster unix seconds; 0 when nothing is staged). */
  stagedAt: number;
  /** The admin's proposed successor (`propose_admin`), `null` when none. */
  pendingAdmin: string | null;
  chainHead: string;
  nextIndex: number;
  totalRecords: number;
  paused: boolean;
}

function staged(c: Record<string, unknown>): Pick<ChainConfig, "stagedRegistryRoot" | "stagedRegistryVersion" | "stagedAt"> {
  const stagedAt = toNumber(c.staged_at, "staged_at");
  if (stagedAt === 0) return { stagedRegistryRoot: null, stagedRegistryVersion: 0, stagedAt: 0 };
  return { stagedRegistryRoot: hex(c.staged_registry_root as number[]), stagedRegistryVersion: toNumber(c.staged_registry_version, "staged_registry_version"), stagedAt };
}

/**
 * The registry roots a `submit_batch` may use at cluster time `nowSecs`, as the program decides
 * (`Config::accepts_registry_root`): the current root, the staged one, and superseded ones
 * within `graceSecs` of their replacement (the program's `REGISTRY_ROOT_GRACE_SECS`; a caller
 * that must land before the end may pass less).
 */
export function acceptedRegistryRoots(config: ChainConfig, nowSecs: number, graceSecs: number): string[] {
  const accepted = [config.registryRoot];
  if (config.stagedRegistryRoot !== null) accepted.push(config.stagedRegistryRoot);
  for (const r of config.recentRegistryRoots) {
    if (r.replacedAt !== 0 && nowSecs - r.replacedAt <= graceSecs) accepted.push(r.root);
  }
  return accepted;
}

/** One top-level instruction of the program, decoded (`ChainReader.programTransaction`). */
export interface ProgramInstruction {
  /** The IDL name, snake_case (`set_registry_root`); "unknown" when it does not decode. */
  name: string;
  args: Record<string, unknown>;
  accounts: string[];
}

/** A transaction that called the program, with its instructions of the program. */
export interface ProgramTransaction {
  signature: string;
  slot: number;
  blockTime: number | null;
  /** The transaction's error; null when it succeeded. */
  err: unknown;
  instructions: ProgramInstruction[];
}

/** `BatchLog`, decoded: `roots[i % 256]` is batch i's root while `nextIndex - 256 <= i < nextIndex`. */
export interface BatchLogSnapshot {
  address: string;
  nextIndex: number;
  roots: string[];
}

/** `Accumulator`, decoded (docs/on-chain.md#accumulator). */
export interface AccumulatorSnapshot {
  address: string;
  /** Leaves appended: batches `startIndex .. startIndex + size - 1`. */
  size: number;
  /** Batch index of leaf 0 (0 unless the deployment was migrated with init_accumulator). */
  startIndex: number;
  root: string;
  /** The last `ACCUMULATOR_ROOT_HISTORY` roots with their sizes (empty slots left out). */
  recent: { root: string; size: number }[];
}

/** Whether `root` at `size` leaves is the accumulator's current root or one of its recent ones. */
export function accumulatorKnowsRoot(acc: AccumulatorSnapshot, root: string, size: number): boolean {
  if (size < 1 || size > acc.size || size + ACCUMULATOR_ROOT_HISTORY <= acc.size) return false;
  return acc.recent.some((r) => r.size === size && r.root === root);
}

/** A `submit_batch` transaction as the chain reports it. */
export interface SubmitBatchTx extends SubmitBatchArgs {
  signature: string;
  slot: number;
  blockTime: number | null;
  /** The fee payer / first signer. */
  signer: string;
  /** Accounts the instruction named: sequencer, config, batch_log. */
  accounts: string[];
}

/** Where a batch root was found on chain. */
export interface ChainRoot {
  index: number;
  root: string;
  source: "batch-log" | "transaction";
  /** The transaction, when the source is a transaction. */
  tx?: SubmitBatchTx;
}

function hex(bytes: ArrayLike<number>): string {
  return bytesToHex(Uint8Array.from(bytes));
}

function toNumber(x: unknown, what: string): number {
  const n = typeof x === "number" ? x : Number((x as { toString(): string }).toString());
  if (!Number.isSafeInteger(n)) fail("RPC_ERROR", `${what} does not fit a JavaScript safe integer`);
  return n;
}

const hexArray = (h: string): number[] => Array.from(Buffer.from(h, "hex"));

/**
 * The arguments of the program's `submit_batch`, in order, as `program.methods.submitBatch(...)`
 * takes them (the inverse of `ChainReader.decodeSubmitBatch`).
 */
export function submitBatchMethodArgs(a: SubmitBatchArgs) {
  return [
    new anchor.BN(a.index),
    hexArray(a.registryRoot),
    hexArray(a.batchRoot),
    a.count,
    new anchor.BN(a.minTs),
    new anchor.BN(a.maxTs),
    hexArray(a.proofA),
    hexArray(a.proofB),
    hexArray(a.proofC),
    a.shape,
  ] as const;
}

/** Wraps a web3.js / fetch failure in a ProvenanceError that names the RPC and what was asked. */
export function rpcError(e: unknown, rpcUrl: string, what: string): ProvenanceError {
  if (e instanceof ProvenanceError) return e;
  const msg = e instanceof Error ? `${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ""}` : String(e);
  const unreachable = /fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|network|socket/i.test(msg);
  return new ProvenanceError(
    unreachable ? "UNREACHABLE" : "RPC_ERROR",
    unreachable
      ? `cannot reach the Solana RPC at ${rpcUrl} (${what}): ${msg}. Is the chain running, and is this its URL?`
      : `Solana RPC ${rpcUrl} failed on ${what}: ${msg}`,
    { cause: e },
  );
}

/** What a `ChainReader` reads: the RPC, the program, the commitment. */
export interface ChainReaderOptions {
  /** A Connection, or an RPC URL to make one. */
  connection: Connection | string;
  /** The program whose log to read; default the IDL's address. */
  programId?: string;
  /** Commitment of every read (default "confirmed"). */
  commitment?: Commitment;
}

/**
 * Reads the program's state from one RPC endpoint, with caches sized for verifying datasets.
 * Not a long-lived mirror: make a new one to see state newer than its snapshots.
 */
export class ChainReader {
  readonly connection: Connection;
  readonly programId: PublicKey;
  readonly configAddress: PublicKey;
  readonly batchLogAddress: PublicKey;
  readonly accumulatorAddress: PublicKey;
  readonly rpcUrl: string;
  private readonly commitment: Commitment;
  private readonly accounts = new BorshAccountsCoder(PROVENANCE_IDL);
  private readonly instructions = new BorshInstructionCoder(PROVENANCE_IDL);
  private logRead: Promise<BatchLogSnapshot> | null = null;
  private accRead: Promise<AccumulatorSnapshot> | null = null;
  private txCache = new Map<string, Promise<SubmitBatchTx[] | null>>();
  private genesis: Promise<string> | null = null;
  private deploymentRead: Promise<ChainConfig> | null = null;
  /** Counters, for benchmarks and reports. */
  readonly stats = { accountReads: 0, transactionReads: 0 };

  constructor(opts: ChainReaderOptions) {
    this.commitment = opts.commitment ?? "confirmed";
    this.connection = typeof opts.connection === "string" ? new Connection(opts.connection, { commitment: this.commitment, disableRetryOnRateLimit: false }) : opts.connection;
    this.rpcUrl = this.connection.rpcEndpoint;
    try {
      this.programId = new PublicKey(opts.programId ?? PROVENANCE_PROGRAM_ID);
    } catch {
      fail("INVALID_CONFIG", `program id ${JSON.stringify(opts.programId)} is not a base58 public key`);
    }
    this.configAddress = PublicKey.findProgramAddressSync([CONFIG_SEED], this.programId)[0];
    this.batchLogAddress = PublicKey.findProgramAddressSync([BATCH_LOG_SEED], this.programId)[0];
    this.accumulatorAddress = PublicKey.findProgramAddressSync([ACCUMULATOR_SEED], this.programId)[0];
  }

  /** Reads an account of the program, refusing a missing one or one owned by anything else. */
  private async programAccount(address: PublicKey, name: "Config" | "BatchLog" | "Accumulator"): Promise<Uint8Array> {
    return (await this.programAccountAt(address, name)).data;
  }

  /** `programAccount` with the slot the RPC read it at (its response context). */
  private async programAccountAt(address: PublicKey, name: "Config" | "BatchLog" | "Accumulator"): Promise<{ data: Uint8Array; slot: number }> {
    let info;
    let slot: number;
    try {
      this.stats.accountReads++;
      const answer = await this.connection.getAccountInfoAndContext(address, this.commitment);
      info = answer.value;
      slot = answer.context.slot;
    } catch (e) {
      throw rpcError(e, this.rpcUrl, `reading ${name} ${address.toBase58()}`);
    }
    if (!info) {
      fail("ACCOUNT_MISSING", `${name} account ${address.toBase58()} of program ${this.programId.toBase58()} does not exist on ${this.rpcUrl}: wrong cluster or RPC URL, wrong program id, or the program was never initialized`);
    }
    if (!info.owner.equals(this.programId)) {
      fail("ACCOUNT_OWNER", `${name} account ${address.toBase58()} is owned by ${info.owner.toBase58()}, not by the program ${this.programId.toBase58()}`);
    }
    return { data: info.data, slot };
  }

  /**
   * The program's Config, read once per reader (for checks of the deployment itself, which
   * does not change between the bundles of a dataset); `config()` reads it fresh.
   */
  deployment(): Promise<ChainConfig> {
    this.deploymentRead ??= this.config().catch((e: unknown) => {
      this.deploymentRead = null;
      throw e;
    });
    return this.deploymentRead;
  }

  /** The program's Config account, read now (no cache); refuses a missing or foreign account. */
  async config(): Promise<ChainConfig> {
    return (await this.configAt()).config;
  }

  /**
   * The program's Config read now, with the slot the RPC read it at: every transaction of the
   * program up to that slot is reflected in it, none after (what the auditor replays).
   */
  async configAt(): Promise<{ config: ChainConfig; slot: number }> {
    const { data, slot } = await this.programAccountAt(this.configAddress, "Config");
    return { config: this.decodeConfig(data), slot };
  }

  private decodeConfig(data: Uint8Array): ChainConfig {
    let c: Record<string, unknown>;
    try {
      c = this.accounts.decode("Config", Buffer.from(data));
    } catch (e) {
      fail("RPC_ERROR", `Config account ${this.configAddress.toBase58()} does not decode with the program's IDL: ${(e as Error).message}`);
    }
    const circuit = Object.keys(c.circuit as object)[0]!.toLowerCase() as CircuitName;
    return {
      address: this.configAddress.toBase58(),
      admin: (c.admin as PublicKey).toBase58(),
      sequencer: (c.sequencer as PublicKey).toBase58(),
      circuit,
      batchCapacity: c.batch_capacity as number,
      registryRoot: hex(c.registry_root as number[]),
      registryVersion: toNumber(c.registry_version, "registry_version"),
      recentRegistryRoots: (c.recent_roots as { root: number[]; replaced_at: unknown }[]).map((r) => ({
        root: hex(r.root),
        replacedAt: toNumber(r.replaced_at, "replaced_at"),
      })),
      ...staged(c),
      pendingAdmin: (c.pending_admin as PublicKey).equals(PublicKey.default) ? null : (c.pending_admin as PublicKey).toBase58(),
      chainHead: hex(c.chain_head as number[]),
      nextIndex: toNumber(c.next_index, "next_index"),
      totalRecords: toNumber(c.total_records, "total_records"),
      paused: c.paused as boolean,
    };
  }

  /** Reads `BatchLog` now (no cache). */
  async readBatchLog(): Promise<BatchLogSnapshot> {
    const data = await this.programAccount(this.batchLogAddress, "BatchLog");
    let l: { next_index: unknown; roots: number[][] };
    try {
      l = this.accounts.decode("BatchLog", Buffer.from(data));
    } catch (e) {
      fail("RPC_ERROR", `BatchLog account ${this.batchLogAddress.toBase58()} does not decode with the program's IDL: ${(e as Error).message}`);
    }
    return { address: this.batchLogAddress.toBase58(), nextIndex: toNumber(l.next_index, "next_index"), roots: l.roots.map(hex) };
  }

  /** Reads `Accumulator` now (one account read, no cache). */
  async readAccumulator(): Promise<AccumulatorSnapshot> {
    const data = await this.programAccount(this.accumulatorAddress, "Accumulator");
    let a: { size: unknown; start_index: unknown; root: number[]; recent: { root: number[]; size: unknown }[] };
    try {
      a = this.accounts.decode("Accumulator", Buffer.from(data));
    } catch (e) {
      fail("RPC_ERROR", `Accumulator account ${this.accumulatorAddress.toBase58()} does not decode with the program's IDL: ${(e as Error).message}`);
    }
    return {
      address: this.accumulatorAddress.toBase58(),
      size: toNumber(a.size, "size"),
      startIndex: toNumber(a.start_index, "start_index"),
      root: hex(a.root),
      recent: a.recent.map((r) => ({ root: hex(r.root), size: toNumber(r.size, "size") })).filter((r) => r.size > 0),
    };
  }

  /** The cached `Accumulator` snapshot, read once per reader unless `refresh`. */
  async accumulator(options: { refresh?: boolean } = {}): Promise<AccumulatorSnapshot> {
    if (!this.accRead || options.refresh) {
      const read = this.readAccumulator();
      this.accRead = read;
      read.catch(() => {
        if (this.accRead === read) this.accRead = null;
      });
    }
    return this.accRead;
  }

  /** The cached `BatchLog` snapshot, read once (concurrent callers share the read). */
  async batchLog(options: { refresh?: boolean } = {}): Promise<BatchLogSnapshot> {
    if (!this.logRead || options.refresh) {
      const read = this.readBatchLog();
      this.logRead = read;
      read.catch(() => {
        if (this.logRead === read) this.logRead = null;
      });
    }
    return this.logRead;
  }

  /**
   * The root of batch `index` from `BatchLog`, or null when the ring no longer holds it (older
   * than the last 256 batches). Throws BATCH_NOT_ON_CHAIN when the batch is not on chain yet.
   * Reads the account at most once per snapshot; refreshes once for a batch newer than it.
   */
  async batchLogRoot(index: number): Promise<string | null> {
    let log = await this.batchLog();
    if (index >= log.nextIndex) log = await this.batchLog({ refresh: true });
    if (index >= log.nextIndex) {
      fail("BATCH_NOT_ON_CHAIN", `batch ${index} is not on chain: program ${this.programId.toBase58()} has ${log.nextIndex} batch(es) on ${this.rpcUrl}`);
    }
    if (index < log.nextIndex - BATCH_LOG_CAPACITY) return null;
    return log.roots[index % BATCH_LOG_CAPACITY]!;
  }

  /** The cluster's genesis hash (cached). */
  async genesisHash(): Promise<string> {
    if (!this.genesis) {
      this.genesis = this.connection.getGenesisHash().catch((e: unknown) => {
        this.genesis = null;
        throw rpcError(e, this.rpcUrl, "getGenesisHash");
      });
    }
    return this.genesis;
  }

  /**
   * Every transaction that names the program, newest first, from the chain alone
   * (`getSignaturesForAddress`, paged `pageSize` (default and at most 1000) at a time; the RPC
   * must keep that history): what an auditor walks without the sequencer's list. Failed
   * transactions are included, with `err`. `until`: stop before that signature (those older than
   * it are not listed), as a resumed audit lists only what landed since its checkpoint.
   */
  async *programTransactions(options: { until?: string; pageSize?: number } = {}): AsyncGenerator<{ signature: string; slot: number; err: unknown; blockTime: number | null }> {
    const limit = options.pageSize ?? 1000;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) fail("INVALID_CONFIG", `pageSize must be an integer in 1..1000, got ${limit}`);
    let before: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.connection.getSignaturesForAddress(
          this.programId,
          { limit, ...(before ? { before } : {}), ...(options.until ? { until: options.until } : {}) },
          this.commitment === "processed" ? "confirmed" : (this.commitment as "confirmed" | "finalized"),
        );
      } catch (e) {
        throw rpcError(e, this.rpcUrl, `getSignaturesForAddress ${this.programId.toBase58()}`);
      }
      for (const s of page) yield { signature: s.signature, slot: s.slot, err: s.err, blockTime: s.blockTime ?? null };
      if (page.length < limit) return;
      before = page[page.length - 1]!.signature;
    }
  }

  /**
   * One transaction of the program, read once and decoded both ways: every instruction of the
   * program (`instructions`, as `programTransaction`) and its `submit_batch` statements
   * (`batches`, as `submitBatchTx`, each with the accounts it named). Null when the RPC does
   * not know the signature. A failed transaction is returned with its `err` (and no batches).
   */
  async decodedTransaction(signature: string): Promise<{ tx: ProgramTransaction; batches: SubmitBatchTx[] } | null> {
    const raw = await this.getTransaction(signature);
    if (!raw) return null;
    const err = raw.meta?.err ?? null;
    const signer = raw.transaction.message.staticAccountKeys[0]?.toBase58() ?? "";
    const instructions: ProgramInstruction[] = [];
    const batches: SubmitBatchTx[] = [];
    for (const { data, accounts } of this.ownInstructions(raw)) {
      let d;
      try {
        d = this.instructions.decode(Buffer.from(data));
      } catch {
        d = null;
      }
      instructions.push({ name: d ? d.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : "unknown", args: (d?.data ?? {}) as Record<string, unknown>, accounts });
      const args = err ? null : this.decodeSubmitBatch(data);
      if (args) batches.push({ ...args, signature, slot: raw.slot, blockTime: raw.blockTime ?? null, signer, accounts });
    }
    return { tx: { signature, slot: raw.slot, blockTime: raw.blockTime ?? null, err, instructions }, batches };
  }

  /**
   * Every top-level instruction of this program in a transaction, decoded with the IDL
   * (`name` snake_case, `args` as Anchor's coder gives them, `accounts` base58). Null when the
   * RPC does not know the signature; `err` is the transaction's error (a failed transaction
   * changed nothing). For the auditor's registry history; `submitBatchTx` is the cached,
   * checked reader of batches.
   */
  async programTransaction(signature: string): Promise<ProgramTransaction | null> {
    const tx = await this.getTransaction(signature);
    if (!tx) return null;
    const instructions = this.ownInstructions(tx).map(({ data, accounts }): ProgramInstruction => {
      let d;
      try {
        d = this.instructions.decode(Buffer.from(data));
      } catch {
        d = null;
      }
      return { name: d ? d.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : "unknown", args: (d?.data ?? {}) as Record<string, unknown>, accounts };
    });
    return { signature, slot: tx.slot, blockTime: tx.blockTime ?? null, err: tx.meta?.err ?? null, instructions };
  }

  /** One getTransaction at the reader's commitment; a signature that cannot be looked up is TX_NOT_FOUND. */
  private async getTransaction(signature: string): Promise<VersionedTransactionResponse | null> {
    try {
      this.stats.transactionReads++;
      return await this.connection.getTransaction(signature, { commitment: this.commitment === "processed" ? "confirmed" : (this.commitment as "confirmed" | "finalized"), maxSupportedTransactionVersion: 0 });
    } catch (e) {
      const err = rpcError(e, this.rpcUrl, `getTransaction ${signature}`);
      // An invalid signature string is the caller's fault, not the RPC's.
      if (/invalid|WrongSize|decode/i.test(err.message) && err.code === "RPC_ERROR") fail("TX_NOT_FOUND", `transaction ${signature} cannot be looked up: ${err.message}`);
      throw err;
    }
  }

  /** The top-level instructions of this program in a transaction: their data and accounts (base58). */
  private ownInstructions(tx: VersionedTransactionResponse): { data: Uint8Array; accounts: string[] }[] {
    const message = tx.transaction.message;
    const keys = message.getAccountKeys({ accountKeysFromLookups: tx.meta?.loadedAddresses ?? null });
    const out: { data: Uint8Array; accounts: string[] }[] = [];
    for (const ix of message.compiledInstructions) {
      const program = keys.get(ix.programIdIndex);
      if (!program || !program.equals(this.programId)) continue;
      out.push({ data: ix.data, accounts: ix.accountKeyIndexes.map((i) => keys.get(i)?.toBase58() ?? "") });
    }
    return out;
  }

  /** Decodes `submit_batch` instruction data; null when it is another instruction. */
  decodeSubmitBatch(data: Uint8Array): SubmitBatchArgs | null {
    let d;
    try {
      d = this.instructions.decode(Buffer.from(data));
    } catch {
      return null;
    }
    if (!d || (d.name !== "submit_batch" && d.name !== "submitBatch")) return null;
    const a = d.data as Record<string, unknown>;
    const get = (snake: string, camel: string) => a[snake] ?? a[camel];
    return {
      index: toNumber(get("index", "index"), "index"),
      registryRoot: hex(get("registry_root", "registryRoot") as number[]),
      batchRoot: hex(get("batch_root", "batchRoot") as number[]),
      count: get("count", "count") as number,
      minTs: toNumber(get("min_ts", "minTs"), "min_ts"),
      maxTs: toNumber(get("max_ts", "maxTs"), "max_ts"),
      proofA: hex(get("proof_a", "proofA") as number[]),
      proofB: hex(get("proof_b", "proofB") as number[]),
      proofC: hex(get("proof_c", "proofC") as number[]),
      shape: get("shape", "shape") as number,
    };
  }

  /**
   * The `submit_batch` instructions of this program in a transaction. Null when the RPC does not
   * know the signature. Throws TX_FAILED when the transaction failed (it changed nothing).
   * Fetched once per signature.
   */
  async submitBatchTx(signature: string): Promise<SubmitBatchTx[] | null> {
    let hit = this.txCache.get(signature);
    if (!hit) {
      hit = this.fetchSubmitBatchTx(signature);
      this.txCache.set(signature, hit);
      hit.catch(() => this.txCache.delete(signature));
    }
    return hit;
  }

  private async fetchSubmitBatchTx(signature: string): Promise<SubmitBatchTx[] | null> {
    const tx = await this.getTransaction(signature);
    if (!tx) return null;
    if (tx.meta?.err) fail("TX_FAILED", `transaction ${signature} failed on chain (${JSON.stringify(tx.meta.err)}): it anchored nothing`);
    const signer = tx.transaction.message.staticAccountKeys[0]?.toBase58() ?? "";
    const out: SubmitBatchTx[] = [];
    for (const { data, accounts } of this.ownInstructions(tx)) {
      const args = this.decodeSubmitBatch(data);
      if (args) out.push({ ...args, signature, slot: tx.slot, blockTime: tx.blockTime ?? null, signer, accounts });
    }
    return out;
  }

  /**
   * Finds batch `index` with root `root` in transaction `signature`: it must exist, have
   * succeeded, and carry a `submit_batch` of this program for that index, naming this program's
   * Config and BatchLog. Returns the decoded instruction; throws TX_NOT_FOUND / TX_FAILED /
   * TX_MISMATCH with what differs.
   */
  async batchFromTransaction(signature: string, index: number): Promise<SubmitBatchTx> {
    const found = await this.submitBatchTx(signature);
    if (found === null) {
      fail("TX_NOT_FOUND", `transaction ${signature} is unknown to ${this.rpcUrl} (wrong cluster, or an RPC without that much history)`);
    }
    if (found.length === 0) fail("TX_MISMATCH", `transaction ${signature} has no submit_batch instruction of program ${this.programId.toBase58()}`);
    const ix = found.find((t) => t.index === index);
    if (!ix) fail("TX_MISMATCH", `transaction ${signature} submitted batch ${found.map((t) => t.index).join(", ")}, not batch ${index}`);
    if (ix.accounts[1] !== this.configAddress.toBase58() || ix.accounts[2] !== this.batchLogAddress.toBase58()) {
      fail("TX_MISMATCH", `transaction ${signature}'s submit_batch does not name the program's Config and BatchLog accounts`);
    }
    return ix;
  }

  /**
   * Batch `index`'s root from `BatchLog` when the ring still holds it, else from its
   * transaction (`txSignature`, needed then). Says which source answered.
   */
  async batchRoot(index: number, txSignature?: string): Promise<ChainRoot> {
    const root = await this.batchLogRoot(index);
    if (root !== null) return { index, root, source: "batch-log" };
    if (!txSignature) fail("TX_NOT_FOUND", `batch ${index} is older than the last ${BATCH_LOG_CAPACITY} batches; its transaction signature is needed to check it`);
    const tx = await this.batchFromTransaction(txSignature, index);
    return { index, root: tx.batchRoot, source: "transaction", tx };
  }

  /** Stops web3.js's websocket client (it reconnects forever otherwise, keeping a process alive). */
  close(): void {
    const ws = (this.connection as unknown as { _rpcWebSocket?: { setAutoReconnect(on: boolean): void; close(): void } })._rpcWebSocket;
    try {
      ws?.setAutoReconnect(false);
      ws?.close();
    } catch {
      // not connected
    }
  }
}

/** A program error carried by a transaction error: its IDL name, number and message. */
export interface ProgramErrorInfo {
  name: string;
  number: number;
  msg: string;
}

const PROGRAM_ERRORS = new Map<number, { name: string; msg: string }>(
  (PROVENANCE_IDL.errors ?? []).map((e) => [e.code, { name: e.name, msg: e.msg ?? "" }]),
);

/**
 * The program error inside a transaction error (`{ InstructionError: [i, { Custom: n }] }`),
 * named from the IDL; null for any other error. An unknown number is named `Custom(n)`.
 */
export function programErrorOf(err: unknown): ProgramErrorInfo | null {
  const ie = (err as { InstructionError?: [number, unknown] } | null)?.InstructionError;
  const custom = Array.isArray(ie) && typeof ie[1] === "object" && ie[1] !== null ? (ie[1] as { Custom?: unknown }).Custom : undefined;
  if (typeof custom !== "number") return null;
  const known = PROGRAM_ERRORS.get(custom);
  return { name: known?.name ?? `Custom(${custom})`, number: custom, msg: known?.msg ?? "" };
}

/**
 * The transaction error of a `Connection.confirmTransaction` call, or null if the transaction
 * succeeded, whichever of web3.js 1.x's two paths answers. When the websocket notification comes
 * first, `confirmTransaction` resolves with `value.err`; when its own `getSignatureStatus` check
 * (made once the subscription is set up) already finds the failed transaction, it rejects with
 * the bare error object. Which one wins depends on timing, so callers must accept both. A thrown
 * `Error` (timeout, expired blockhash, network) is rethrown.
 */
export async function confirmationError(confirmation: Promise<{ value: { err: unknown } }>): Promise<unknown> {
  try {
    return (await confirmation).value.err ?? null;
  } catch (e) {
    if (e instanceof Error || e === null || e === undefined) throw e;
    return e; // a TransactionError: an object such as { InstructionError: [...] } or a string such as "AccountInUse"
  }
}
export * from "./registry-history.js";
