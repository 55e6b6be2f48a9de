/**
 * The chain submitter: the Anchor client of the `provenance` program, through stock
 * `@solana/web3.js` and `@coral-xyz/anchor` (the same code path for the local chain, devnet or
 * mainnet).
 *
 * Sending a transaction (`send`):
 * - a compute budget instruction (unit limit, optional priority fee) before the program's;
 * - preflight on the first send, so a refusal comes back at once with the program's logs and
 *   its Anchor error (`ChainError` carries the error name and number);
 * - confirmation by polling `getSignatureStatuses`, rebroadcasting the same signed bytes every
 *   `rebroadcastMs`, until the status is `confirmed` or the blockhash's last valid block height
 *   passes — then a fresh blockhash and a new attempt, up to `maxAttempts`.
 *
 * Idempotent by batch index: before the first send of batch `i` its signature is written to a
 * journal in the data directory (fsynced). If the process dies with the transaction in flight,
 * the next `submitBatch(i)` finds the chain already past `i`, checks that the root at `i` is
 * the batch's own, and recovers the landed transaction from the journal instead of sending a
 * second one. A different root at `i` is a conflict an operator must look at: it is never
 * papered over.
 *
 * The cluster's identity (genesis hash + program id) is pinned in the same directory on first
 * use: pointing a sequencer that has anchored batches at another chain (a wiped local chain, a
 * different cluster) is refused with a message saying so.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import anchor from "@coral-xyz/anchor";
import {
  ComputeBudgetProgram,
  Connection,
  Keypair,
  PublicKey,
  SYSVAR_CLOCK_PUBKEY,
  Transaction,
  type TransactionInstruction,
} from "@solana/web3.js";
import type { Logger } from "pino";
import { BATCH_LOG_CAPACITY, KNOWN_CLUSTERS, PROVENANCE_IDL, isLoopbackHost, REGISTRY_ROOT_GRACE_SECS, type Provenance } from "@provenance/client-sdk";
import { ChainReader, acceptedRegistryRoots, programErrorOf, submitBatchMethodArgs } from "@provenance/client-sdk/chain";
import { AdminInstructions, programRefusal } from "@provenance/client-sdk/node";
import type { SequencerConfig } from "./config.js";
import type { BatchMeta, StoredAnchor } from "./store.js";
import type { ChainHealth, ChainIdentity, ChainState, ChainSubmitter } from "./submitter.js";
import { SequencerError } from "./errors.js";
import { readSecret } from "./secrets.js";
import { SHAPE_FAMILY_OF_ONE } from "./shapes.js";

const { AnchorProvider, Program, Wallet, utils } = anchor;

/** The program's `REGISTRY_ROOT_GRACE_SECS` (programs/provenance/src/constants.rs), from its IDL. */
export { REGISTRY_ROOT_GRACE_SECS };
/** A superseded root this close to the end of its grace period is treated as expired. */
const GRACE_MARGIN_SECS = 120;

export interface ChainSubmitterOptions {
  rpcUrl: string;
  /** Signs `submit_batch` (must be Config.sequencer). Never the admin. */
  wallet: Keypair;
  /**
   * The admin's key (`Config.admin`), held only on the local chain (PROVENANCE_ADMIN_KEYPAIR):
   * signs `initialize` and `set_registry_root`. Refused on any other cluster.
   */
  admin?: Keypair;
  /** The admin the Config must name (PROVENANCE_ADMIN_PUBKEY); required off the local chain. */
  adminPubkey?: string;
  /** Directory for the cluster pin and the in-flight journal (created, 0700). */
  stateDir: string;
  /** Stored in each anchor and bundle: "localnet", "devnet", "mainnet-beta" or the RPC URL. */
  cluster: string;
  computeUnitLimit: number;
  priorityFeeMicroLamports: number;
  logger: Logger;
  pollIntervalMs?: number;
  rebroadcastMs?: number;
  /** Fresh-blockhash attempts per `send` before giving up (the pipeline retries later). */
  maxAttempts?: number;
  /** Per-request timeout of the RPC client (ms). */
  rpcTimeoutMs?: number;
  /**
   * False: hold the admin key (local chain) for `initialize` only and leave every registry
   * change to the admin, as off the local chain (tests of that path). Default true.
   */
  canSetRegistry?: boolean;
}

interface Journal {
  index: number;
  batchRoot: string;
  signatures: string[];
}

interface ClusterPin {
  genesisHash: string;
  programId: string;
  rpcUrl: string;
}


/** Anchor error names by number, from the IDL. */
/** A refusal or failure from the chain; `programError` is the Anchor error name when there is one. */
export class ChainError extends SequencerError {
  constructor(
    message: string,
    readonly programError: string | null = null,
  ) {
    super("CHAIN", message);
    this.name = "ChainError";
  }
}

function atomicWriteJson(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
  const fd = openSync(tmp, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dir = openSync(path.dirname(file), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** The program error in a transaction error (`{ InstructionError: [i, { Custom: n }] }`). */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class AnchorChainSubmitter implements ChainSubmitter {
  private clusterLabel: string;
  readonly description: string;
  readonly programId: PublicKey;
  readonly connection: Connection;
  private readonly program: InstanceType<typeof Program<Provenance>>;
  private readonly wallet: Keypair;
  /** Reads and decodes the program's accounts, checking their owner (the SDK's, as buyers use). */
  private readonly reader: ChainReader;
  private readonly journalFile: string;
  private readonly pinFile: string;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly rebroadcastMs: number;
  private readonly maxAttempts: number;
  private readonly admin: Keypair | null;
  private readonly adminIx: AdminInstructions;
  private pinChecked = false;
  private genesisHash: string | null = null;
  private closed = false;

  constructor(private readonly options: ChainSubmitterOptions) {
    this.wallet = options.wallet;
    this.admin = options.admin ?? null;
    this.logger = options.logger.child({ component: "chain" });
    if (!isLoopbackHost(new URL(options.rpcUrl).hostname)) {
      if (this.admin) throw new ChainError(adminKeyOffLocalChain(new URL(options.rpcUrl).host));
      if (!options.adminPubkey) {
        throw new ChainError(
          `PROVENANCE_ADMIN_PUBKEY is required off the local chain (${new URL(options.rpcUrl).host}): the sequencer refuses a Config whose admin it does not know`,
        );
      }
    }
    if (this.admin && this.admin.publicKey.equals(options.wallet.publicKey)) {
      throw new ChainError(
        `the admin keypair and the sequencer keypair are the same key ${options.wallet.publicKey.toBase58()}: the admin must be another key ` +
          "(on the local chain, the local chain's wallet)",
      );
    }
    if (options.adminPubkey) {
      if (options.adminPubkey === options.wallet.publicKey.toBase58()) {
        throw new ChainError(
          `PROVENANCE_ADMIN_PUBKEY is this sequencer's own key ${options.adminPubkey}: the admin must be a key the sequencer does not hold, ` +
            "or whoever steals the sequencer's hot key could change the registry, pause the program and replace the sequencer",
        );
      }
      if (this.admin && this.admin.publicKey.toBase58() !== options.adminPubkey) {
        throw new ChainError(
          `PROVENANCE_ADMIN_KEYPAIR holds ${this.admin.publicKey.toBase58()}, but PROVENANCE_ADMIN_PUBKEY is ${options.adminPubkey}: set one of them, or make them agree`,
        );
      }
    }
    this.connection = new Connection(options.rpcUrl, {
      commitment: "confirmed",
      // Confirmation is by polling (below): no websocket subscriptions are opened.
      disableRetryOnRateLimit: false,
      fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(options.rpcTimeoutMs ?? 15_000) }),
    });
    const provider = new AnchorProvider(this.connection, new Wallet(this.wallet), { commitment: "confirmed" });
    this.program = new Program<Provenance>(PROVENANCE_IDL, provider);
    this.programId = this.program.programId;
    this.reader = new ChainReader({ connection: this.connection, programId: this.programId.toBase58() });
    this.adminIx = new AdminInstructions(this.connection, this.programId);
    mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
    this.journalFile = path.join(options.stateDir, "inflight.json");
    this.pinFile = path.join(options.stateDir, "cluster.json");
    this.pollMs = options.pollIntervalMs ?? 400;
    this.rebroadcastMs = options.rebroadcastMs ?? 2000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.clusterLabel = options.cluster;
    // The RPC's host only: its path or query may carry an API key.
    this.description = `program ${this.programId.toBase58()} on ${options.cluster} (${new URL(options.rpcUrl).host}) as ${this.wallet.publicKey.toBase58()}`;
  }

  /** The cluster's name for anchors and bundles (`clusterName`): final once `checkCluster` has read the genesis hash. */
  get cluster(): string {
    return this.clusterLabel;
  }

  get walletPublicKey(): PublicKey {
    return this.wallet.publicKey;
  }

  /** The admin key this process holds (the local chain only), else null. */
  get adminPublicKey(): PublicKey | null {
    return this.admin?.publicKey ?? null;
  }

  /** The admin the Config must name: the held key's, else PROVENANCE_ADMIN_PUBKEY's, else null (a local chain without either). */
  get expectedAdmin(): string | null {
    return this.admin?.publicKey.toBase58() ?? this.options.adminPubkey ?? null;
  }

  /** True when this process holds the admin key, so it may set the registry root itself (the local chain only). */
  get canSetRegistry(): boolean {
    return this.admin !== null && this.options.canSetRegistry !== false;
  }

  /**
   * Why registry changes do not reach the chain by themselves, and what to do (null when this
   * process holds the admin key): for logs and /healthz.
   */
  get registryNote(): string | null {
    if (this.canSetRegistry) return null;
    return (
      "this sequencer does not hold the admin key: registry changes (POST/DELETE /v1/nodes) stay in its store until the admin " +
      "stages them on-chain with `provenance registry push --admin-keypair FILE` (batches of new nodes wait for that)"
    );
  }

  /**
   * Whether the chain is the local chain: an RPC on this machine (as `clusterName` says
   * `localnet`) that does not serve a public cluster's genesis (a tunnel to devnet is not local).
   * Before `checkCluster` only the RPC URL is known.
   */
  get localChain(): boolean {
    if (!isLoopbackHost(new URL(this.options.rpcUrl).hostname)) return false;
    return this.genesisHash === null || !Object.values(KNOWN_CLUSTERS).includes(this.genesisHash);
  }

  /**
   * Checks (once) that this is the chain the sequencer has been anchoring to: same genesis hash
   * and program id as pinned on first use. `firstUse` pins it when no pin exists yet.
   */
  async checkCluster(): Promise<void> {
    if (this.pinChecked) return;
    const genesisHash = await this.connection.getGenesisHash();
    this.genesisHash = genesisHash;
    if (!this.localChain && (this.admin || !this.options.adminPubkey)) {
      throw new ChainError(
        this.admin
          ? adminKeyOffLocalChain(`${new URL(this.options.rpcUrl).host}, which serves the public cluster ${clusterName("https://x", genesisHash)}`)
          : `${new URL(this.options.rpcUrl).host} serves the public cluster ${clusterName("https://x", genesisHash)}: PROVENANCE_ADMIN_PUBKEY is required there`,
      );
    }
    const pin = readJson<ClusterPin>(this.pinFile);
    const programId = this.programId.toBase58();
    if (!pin) {
      atomicWriteJson(this.pinFile, { genesisHash, programId, rpcUrl: this.options.rpcUrl } satisfies ClusterPin);
      this.logger.info({ genesisHash, programId }, "pinned the cluster this sequencer anchors to");
    } else if (pin.genesisHash !== genesisHash || pin.programId !== programId) {
      throw new ChainError(
        `this sequencer anchored its batches on the chain with genesis hash ${pin.genesisHash} (program ${pin.programId}), ` +
          `but ${this.options.rpcUrl} serves genesis ${genesisHash} (program ${programId}). A wiped or different chain cannot ` +
          `continue this log: point PROVENANCE_RPC_URL at the original cluster, or start with a fresh data directory.`,
      );
    }
    this.pinChecked = true;
    this.genesisHash = genesisHash;
    this.clusterLabel = clusterName(this.options.rpcUrl, genesisHash);
  }

  /**
   * The deployment this sequencer anchors to, for its v2 receipts: the program id and the
   * cluster's genesis hash as pinned (`checkCluster`). Read from the pin when there is one (no
   * RPC call: receipts can be signed while the chain is away; every submission still checks
   * the RPC against the pin), else asked of the RPC and pinned now.
   */
  async deployment(): Promise<ChainIdentity> {
    const programId = this.programId.toBase58();
    let pin = readJson<ClusterPin>(this.pinFile);
    if (!pin || pin.programId !== programId) {
      await this.checkCluster(); // pins on first use; refuses a pin of another program
      pin = readJson<ClusterPin>(this.pinFile);
      if (!pin) throw new ChainError(`the cluster pin ${this.pinFile} is missing after pinning`);
    }
    return { programId, genesisHash: pin.genesisHash };
  }

  /** `Accumulator.start_index`, read once (it never changes). */
  async accumulatorStart(): Promise<number> {
    this.accStart ??= (async () => {
      await this.checkCluster();
      return (await this.reader.accumulator({ refresh: true })).startIndex;
    })();
    this.accStart.catch(() => (this.accStart = null));
    return this.accStart;
  }
  private accStart: Promise<number> | null = null;

  /** Reads Config (through the SDK's ChainReader): next index, accepted registry roots, keys. */
  async chainState(): Promise<ChainState> {
    await this.checkCluster();
    const [config, clockInfo] = await Promise.all([this.reader.config(), this.connection.getAccountInfo(SYSVAR_CLOCK_PUBKEY)]);
    // Cluster time decides the grace period; fall back to ours when the sysvar is not served.
    const now = clockInfo && clockInfo.data.length >= 40 ? Number(clockInfo.data.readBigInt64LE(32)) : Math.floor(Date.now() / 1000);
    // The staged root is accepted too: the first batch proven against it promotes it (submit_batch).
    return { ...config, acceptedRegistryRoots: acceptedRegistryRoots(config, now, REGISTRY_ROOT_GRACE_SECS - GRACE_MARGIN_SECS) };
  }

  /**
   * `set_registry_root(root, version, retirePrevious)`, signed by the admin key (held on the
   * local chain only; refused with a ChainError otherwise). `retirePrevious` false stages the
   * root (current once a batch proven against it lands); true makes it current at once and
   * forgets every other. Returns "" when the chain already has it (current, or staged when
   * staging).
   */
  async setRegistryRoot(root: string, version: number, retirePrevious: boolean): Promise<string> {
    const state = await this.chainState();
    if (state.registryRoot === root && state.registryVersion === version) return "";
    if (!retirePrevious && state.stagedRegistryRoot === root && state.stagedRegistryVersion === version) return "";
    const floor = Math.max(state.registryVersion, state.stagedRegistryRoot !== null ? state.stagedRegistryVersion : 0);
    if (version <= floor) {
      throw new ChainError(
        `the on-chain registry is at version ${state.registryVersion}` +
          (state.stagedRegistryRoot !== null ? ` (version ${state.stagedRegistryVersion} staged)` : "") +
          `; root ${root} (version ${version}) cannot be set: versions only move forward`,
        "RegistryVersionNotNewer",
      );
    }
    if (!this.admin) {
      throw new ChainError(
        `the on-chain registry root must move to ${root} (version ${version}), but only the admin ${state.admin} may set it and this ` +
          "sequencer does not hold the admin key: the admin stages it with `provenance registry push --admin-keypair FILE`",
        "NotAdmin",
      );
    }
    if (state.admin !== this.admin.publicKey.toBase58()) {
      throw new ChainError(
        `the program's admin is ${state.admin}, but PROVENANCE_ADMIN_KEYPAIR holds ${this.admin.publicKey.toBase58()}: it cannot set the registry root`,
        "NotAdmin",
      );
    }
    const ix = await this.adminIx.setRegistryRoot(this.admin.publicKey, root, version, retirePrevious);
    const { signature, slot } = await this.send([ix], "set_registry_root", undefined, this.admin);
    this.logger.info({ registryRoot: root, registryVersion: version, retirePrevious, signature, slot }, retirePrevious ? "registry root set on-chain (emergency)" : "registry root staged on-chain");
    return signature;
  }

  async submitBatch(meta: BatchMeta): Promise<StoredAnchor> {
    const proof = meta.proof;
    if (!proof) throw new SequencerError("INTERNAL", `batch ${meta.index} has no proof`);
    const state = await this.chainState();
    if (state.nextIndex > meta.index) return this.recoverLanded(meta);
    if (state.nextIndex < meta.index) {
      throw new ChainError(
        `the chain expects batch ${state.nextIndex} next but the sequencer is at batch ${meta.index}: ` +
          `batches ${state.nextIndex}..${meta.index - 1} are anchored in the sequencer's store but not on this chain`,
      );
    }
    if (state.sequencer !== this.wallet.publicKey.toBase58()) {
      throw new ChainError(
        `the program accepts batches from ${state.sequencer}, but this sequencer signs as ${this.wallet.publicKey.toBase58()} ` +
          `(PROVENANCE_SOLANA_KEYPAIR): have the admin send set_sequencer, or use that key`,
        "NotSequencer",
      );
    }
    if (state.paused) throw new ChainError("the program is paused: the admin must unpause it (set_paused false)", "Paused");
    // THE SHAPE (docs/circuit-v2.md#program): the one place the batch's circuit shape reaches
    // `submit_batch` (0 = chunk shape, 1 = single; batches sealed before shapes are single).
    // The proof names the shape it was made for (FamilyProver); the sealed batch says which it needs.
    const args = { ...meta, ...proof.solana, shape: proof.shape ?? meta.shape ?? SHAPE_FAMILY_OF_ONE };
    const ix = await this.program.methods
      .submitBatch(...submitBatchMethodArgs(args))
      .accountsPartial({ sequencer: this.wallet.publicKey, config: this.reader.configAddress, batchLog: this.reader.batchLogAddress, accumulator: this.reader.accumulatorAddress })
      .instruction();
    try {
      const { signature, slot } = await this.send([ix], `submit_batch ${meta.index}`, (sig) => this.journal(meta, sig));
      return this.anchorOf(signature, slot);
    } catch (err) {
      // Refused as WrongBatchIndex: an earlier attempt of this very batch may have landed.
      if (err instanceof ChainError && err.programError === "WrongBatchIndex") {
        const now = await this.chainState();
        if (now.nextIndex > meta.index) return this.recoverLanded(meta);
      }
      throw err;
    }
  }

  private anchorOf(signature: string, slot: number): StoredAnchor {
    return { txSignature: signature, slot, anchoredAt: Date.now(), programId: this.programId.toBase58(), cluster: this.cluster };
  }

  /** Records a signature of batch `meta.index` before it is sent (durably). */
  private journal(meta: BatchMeta, signature: string): void {
    const prev = readJson<Journal>(this.journalFile);
    const signatures = prev && prev.index === meta.index && prev.batchRoot === meta.batchRoot ? prev.signatures : [];
    atomicWriteJson(this.journalFile, { index: meta.index, batchRoot: meta.batchRoot, signatures: [...signatures, signature] } satisfies Journal);
  }

  /** The chain is past `meta.index`: find our landed transaction for it, or report a conflict. */
  private async recoverLanded(meta: BatchMeta): Promise<StoredAnchor> {
    const log = await this.reader.readBatchLog();
    if (meta.index + BATCH_LOG_CAPACITY >= log.nextIndex) {
      const root = log.roots[meta.index % BATCH_LOG_CAPACITY];
      if (root !== meta.batchRoot) {
        throw new ChainError(
          `CONFLICT: the chain holds batch ${meta.index} with root ${root}, but the sequencer's batch ${meta.index} has root ` +
            `${meta.batchRoot}. The chain and this store disagree; stop and investigate (another sequencer key in use?).`,
        );
      }
    }
    const journal = readJson<Journal>(this.journalFile);
    const candidates = journal && journal.index === meta.index && journal.batchRoot === meta.batchRoot ? journal.signatures : [];
    if (candidates.length > 0) {
      const { value } = await this.connection.getSignatureStatuses(candidates, { searchTransactionHistory: true });
      for (let i = 0; i < candidates.length; i++) {
        const st = value[i];
        if (st && st.err === null && (st.confirmationStatus === "confirmed" || st.confirmationStatus === "finalized")) {
          this.logger.info({ batch: meta.index, signature: candidates[i], slot: st.slot }, "batch was already on chain (resubmission after a restart)");
          return this.anchorOf(candidates[i]!, st.slot);
        }
      }
    }
    throw new ChainError(
      `batch ${meta.index} is on chain with this root, but none of the transactions this sequencer journaled for it ` +
        `(${candidates.length}) is found: was it submitted with another data directory?`,
    );
  }

  /**
   * Sends `instructions` (after the compute budget ones) and waits for `confirmed`, as described
   * at the top of this file. `beforeSend` runs with each new signature before its first send.
   */
  private async send(
    instructions: TransactionInstruction[],
    what: string,
    beforeSend?: (signature: string) => void,
    signer: Keypair = this.wallet,
  ): Promise<{ signature: string; slot: number }> {
    const budget = [ComputeBudgetProgram.setComputeUnitLimit({ units: this.options.computeUnitLimit })];
    if (this.options.priorityFeeMicroLamports > 0) {
      budget.push(ComputeBudgetProgram.setComputeUnitPrice({ microLamports: this.options.priorityFeeMicroLamports }));
    }
    for (let attempt = 1; attempt <= this.maxAttempts && !this.closed; attempt++) {
      const { blockhash, lastValidBlockHeight } = await this.connection.getLatestBlockhash("confirmed");
      const tx = new Transaction({ feePayer: signer.publicKey, blockhash, lastValidBlockHeight }).add(...budget, ...instructions);
      tx.sign(signer);
      const raw = tx.serialize();
      const signature = utils.bytes.bs58.encode(tx.signature!);
      beforeSend?.(signature);
      try {
        await this.connection.sendRawTransaction(raw, { skipPreflight: false, preflightCommitment: "confirmed", maxRetries: 0 });
      } catch (err) {
        throw await this.refusal(err, what);
      }
      this.logger.info({ what, signature, attempt }, "transaction sent");
      const outcome = await this.confirm(signature, raw, lastValidBlockHeight);
      if (outcome.kind === "confirmed") return { signature, slot: outcome.slot };
      if (outcome.kind === "failed") {
        const pe = programErrorOf(outcome.err);
        throw new ChainError(
          `${what} failed on chain (${signature}): ${pe ? `${pe.name} (${pe.number}): ${pe.msg}` : JSON.stringify(outcome.err)}`,
          pe?.name ?? null,
        );
      }
      this.logger.warn({ what, signature, attempt }, "blockhash expired before confirmation; sending again with a fresh one");
    }
    throw new ChainError(`${what}: not confirmed after ${this.maxAttempts} attempts (each until its blockhash expired)`);
  }

  private async confirm(
    signature: string,
    raw: Buffer,
    lastValidBlockHeight: number,
  ): Promise<{ kind: "confirmed"; slot: number } | { kind: "failed"; err: unknown } | { kind: "expired" }> {
    let lastSend = Date.now();
    for (;;) {
      if (this.closed) throw new ChainError("the chain client is closing");
      const { value } = await this.connection.getSignatureStatuses([signature]);
      const st = value[0];
      if (st) {
        if (st.err) return { kind: "failed", err: st.err };
        if (st.confirmationStatus === "confirmed" || st.confirmationStatus === "finalized") return { kind: "confirmed", slot: st.slot };
      } else if ((await this.connection.getBlockHeight("confirmed")) > lastValidBlockHeight) {
        // One last look: it may have landed between the two reads.
        const again = (await this.connection.getSignatureStatuses([signature], { searchTransactionHistory: true })).value[0];
        if (again?.err) return { kind: "failed", err: again.err };
        if (again) return { kind: "confirmed", slot: again.slot };
        return { kind: "expired" };
      }
      if (Date.now() - lastSend >= this.rebroadcastMs) {
        lastSend = Date.now();
        await this.connection.sendRawTransaction(raw, { skipPreflight: true, maxRetries: 0 }).catch((err: unknown) => {
          this.logger.debug({ err, signature }, "rebroadcast refused");
        });
      }
      await sleep(this.pollMs);
    }
  }

  /** A preflight refusal as a ChainError naming the program error and its message. */
  private async refusal(err: unknown, what: string): Promise<ChainError> {
    const program = await programRefusal(this.connection, err, what);
    if (program) return new ChainError(program.message, program.name);
    return new ChainError(`${what} could not be sent: ${(err as Error).message ?? String(err)}`);
  }

  async health(): Promise<ChainHealth> {
    try {
      const state = await this.chainState();
      const balance = await this.connection.getBalance(this.wallet.publicKey);
      const low = balance < 10_000_000;
      const problems = adminProblems(state, { localChain: this.localChain, cluster: this.cluster, expectedAdmin: this.expectedAdmin });
      return {
        ok: !state.paused && !low && problems.length === 0,
        detail:
          `next batch ${state.nextIndex}, ${state.totalRecords} records anchored` +
          (state.paused ? "; program PAUSED" : "") +
          `; sequencer balance ${balance / 1e9} SOL${low ? " (LOW: fund it)" : ""}` +
          problems.map((p) => `; ${p}`).join("") +
          (state.stagedRegistryRoot !== null ? `; registry version ${state.stagedRegistryVersion} staged (current ${state.registryVersion})` : "") +
          (state.pendingAdmin !== null ? `; admin hand-over to ${state.pendingAdmin} pending (accept_admin)` : "") +
          (this.registryNote ? `; ${this.registryNote}` : ""),
      };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  /**
   * Checks the program's Config against this sequencer's configuration before any batch is
   * sent: same circuit, this wallet as sequencer, and the configured admin (H3: a Config
   * someone else initialized first is refused, even one that names this sequencer). When
   * Config does not exist, initializes it, signed by the admin key, which only the local chain
   * lets this process hold; off it the admin initializes (`provenance admin init`). Returns
   * whether it initialized.
   */
  async ensureInitialized(circuit: string, registryRoot: string): Promise<boolean> {
    await this.checkCluster();
    const info = await this.connection.getAccountInfo(this.reader.configAddress);
    const sequencer = this.wallet.publicKey.toBase58();
    if (!info) {
      if (!this.admin || !this.localChain) {
        throw new ChainError(
          `the program ${this.programId.toBase58()} on ${this.cluster} is not initialized, and this sequencer never initializes it without ` +
            "the admin key (which it holds only on the local chain, PROVENANCE_ADMIN_KEYPAIR): the admin initializes it with " +
            `\`provenance admin init --admin-keypair FILE --circuit ${circuit} --sequencer-pubkey ${sequencer}\`, then start the sequencer again`,
        );
      }
      const ix = await this.adminIx.initialize(this.admin.publicKey, circuit as never, this.wallet.publicKey, registryRoot);
      const { signature } = await this.send([ix], "initialize", undefined, this.admin);
      this.logger.info({ circuit, signature, admin: this.admin.publicKey.toBase58(), sequencer }, "program initialized");
      return true;
    }
    const state = await this.chainState();
    if (state.circuit !== circuit) {
      throw new ChainError(
        `the program on ${this.cluster} was initialized for the "${state.circuit}" circuit, but this sequencer proves with "${circuit}": ` +
          `set PROVENANCE_CIRCUIT=${state.circuit}, or use a fresh chain`,
      );
    }
    const expected = this.expectedAdmin;
    if (expected !== null && state.admin !== expected) {
      throw new ChainError(
        `the program's admin (Config.admin) is ${state.admin}, but this sequencer is configured for the admin ${expected} ` +
          `(${this.admin ? "PROVENANCE_ADMIN_KEYPAIR" : "PROVENANCE_ADMIN_PUBKEY"}): ` +
          (state.pendingAdmin === expected
            ? `the hand-over to ${expected} is proposed but not accepted yet (provenance admin accept, signed by the new admin)`
            : "someone else initialized this program (or the admin was handed over): do not run on it; if the hand-over was yours, set PROVENANCE_ADMIN_PUBKEY to the new admin"),
      );
    }
    if (state.admin === state.sequencer && !this.localChain) {
      throw new ChainError(
        `the program's admin is its sequencer key ${state.admin} on ${this.cluster}: whoever steals the sequencer's hot key could change the ` +
          "registry, pause the program or replace the sequencer. Hand the admin over to an offline key first (provenance admin propose / accept)",
      );
    }
    if (state.sequencer !== sequencer) {
      throw new ChainError(
        `the program accepts batches from ${state.sequencer}, but this sequencer signs as ${sequencer}: ` +
          `set PROVENANCE_SOLANA_KEYPAIR to that key, or have the admin (${state.admin}) send set_sequencer (provenance admin set-sequencer ${sequencer})`,
      );
    }
    if (state.pendingAdmin !== null) {
      this.logger.warn({ admin: state.admin, pendingAdmin: state.pendingAdmin }, "an admin hand-over is pending (accept_admin signed by the new admin completes it)");
    }
    return false;
  }

  /** Airdrops `lamports` to this key (a local chain, devnet) and waits until it is confirmed. */
  async airdrop(lamports: number, timeoutMs = 30_000): Promise<void> {
    const signature = await this.connection.requestAirdrop(this.wallet.publicKey, lamports);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = (await this.connection.getSignatureStatuses([signature])).value[0];
      if (st?.err) throw new ChainError(`airdrop ${signature} failed: ${JSON.stringify(st.err)}`);
      if (st?.confirmationStatus) return;
      if (Date.now() > deadline) throw new ChainError(`airdrop ${signature} not confirmed within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * What is wrong with the Config's keys, for /healthz (each makes it degraded): the admin is the
 * sequencer's hot key off the local chain (ADMIN IS SEQUENCER: security review H2), or the admin
 * is not the configured one (it changed since start: a hand-over, or worse).
 */
export function adminProblems(
  state: Pick<ChainState, "admin" | "sequencer">,
  where: { localChain: boolean; cluster: string; expectedAdmin: string | null },
): string[] {
  const out: string[] = [];
  if (state.admin === state.sequencer && !where.localChain) {
    out.push(
      `ADMIN IS SEQUENCER: the program's admin is the sequencer's hot key ${state.admin} on ${where.cluster}, so whoever steals it can ` +
        "change the registry, pause the program or replace the sequencer: hand the admin over to an offline key (provenance admin propose, then accept)",
    );
  }
  if (where.expectedAdmin !== null && state.admin !== where.expectedAdmin) {
    out.push(`ADMIN CHANGED: the program's admin is ${state.admin}, not the configured ${where.expectedAdmin} (PROVENANCE_ADMIN_PUBKEY)`);
  }
  return out;
}

/** Why PROVENANCE_ADMIN_KEYPAIR is refused on `where`. */
function adminKeyOffLocalChain(where: string): string {
  return (
    `PROVENANCE_ADMIN_KEYPAIR is accepted only on the local chain, and the RPC is ${where}: off the local chain the admin key must not ` +
    "be on the sequencer's machine, or a thief of it could change the registry, pause the program or replace the sequencer. Unset it, " +
    "set PROVENANCE_ADMIN_PUBKEY, and stage registry changes from the admin's machine (provenance registry push --admin-keypair FILE)"
  );
}


/**
 * The cluster as bundles and anchors name it: `localnet` for an RPC on this machine; else, once
 * the RPC's genesis hash is known, the public cluster it belongs to (mainnet-beta, devnet,
 * testnet) or the genesis hash itself. Never the RPC URL, which may carry an API key, and never
 * a guess from the host name. Before the genesis hash is known: the RPC's host, for messages.
 */
export function clusterName(rpcUrl: string, genesisHash?: string): string {
  const url = new URL(rpcUrl);
  if (isLoopbackHost(url.hostname)) return "localnet";
  if (genesisHash === undefined) return url.host;
  const known = Object.entries(KNOWN_CLUSTERS).find(([, g]) => g === genesisHash);
  return known ? known[0] : genesisHash;
}

/**
 * Loads a solana-keygen JSON keypair (64 numbers). When `create` is set and the file does not
 * exist, generates one (mode 0600, written atomically); otherwise a missing file is an error.
 */
export function loadSolanaKeypair(file: string, create: boolean, variable = "PROVENANCE_SOLANA_KEYPAIR"): { keypair: Keypair; created: boolean } {
  const text = (() => {
    try {
      // The key that pays for and signs every submit_batch: never readable by others.
      return readSecret(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      return null;
    }
  })();
  if (text === null) {
    if (!create) {
      throw new SequencerError(
        "INTERNAL",
        variable === "PROVENANCE_SOLANA_KEYPAIR"
          ? `no Solana keypair at ${file} (PROVENANCE_SOLANA_KEYPAIR): create one with solana-keygen, or unset it to use the data directory's`
          : `no Solana keypair at ${file} (${variable})`,
      );
    }
    const keypair = Keypair.generate();
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    atomicWriteJson(file, Array.from(keypair.secretKey));
    return { keypair, created: true };
  }
  let bytes: unknown;
  try {
    bytes = JSON.parse(text);
  } catch {
    bytes = null;
  }
  if (!Array.isArray(bytes) || bytes.length !== 64 || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    throw new SequencerError("INTERNAL", `${file} is not a Solana keypair file (a JSON array of 64 bytes, as solana-keygen writes)`);
  }
  return { keypair: Keypair.fromSecretKey(Uint8Array.from(bytes as number[])), created: false };
}

/**
 * The chain submitter for a sequencer configuration (keypair, admin, cluster, compute budget).
 * The admin keypair (PROVENANCE_ADMIN_KEYPAIR) is read only when the RPC is on this machine;
 * the submitter refuses it on any other cluster.
 */
export function createChainSubmitter(
  config: Pick<SequencerConfig, "rpcUrl" | "dataDir" | "solanaKeypair" | "computeUnitLimit" | "priorityFeeMicroLamports"> &
    Partial<Pick<SequencerConfig, "adminPubkey" | "adminKeypair">>,
  logger: Logger,
  extra: Partial<ChainSubmitterOptions> = {},
): AnchorChainSubmitter {
  const isDefaultKey = path.resolve(config.solanaKeypair) === path.resolve(config.dataDir, "solana-keypair.json");
  const { keypair, created } = loadSolanaKeypair(config.solanaKeypair, isDefaultKey);
  if (created) logger.info({ file: config.solanaKeypair, publicKey: keypair.publicKey.toBase58() }, "generated the sequencer's Solana keypair");
  let admin: Keypair | undefined;
  if (config.adminKeypair !== undefined) {
    const host = new URL(config.rpcUrl).host;
    if (!isLoopbackHost(new URL(config.rpcUrl).hostname)) throw new ChainError(adminKeyOffLocalChain(host));
    admin = loadSolanaKeypair(config.adminKeypair, false, "PROVENANCE_ADMIN_KEYPAIR").keypair;
  }
  return new AnchorChainSubmitter({
    rpcUrl: config.rpcUrl,
    wallet: keypair,
    ...(admin ? { admin } : {}),
    ...(config.adminPubkey !== undefined ? { adminPubkey: config.adminPubkey } : {}),
    stateDir: path.join(config.dataDir, "chain"),
    cluster: clusterName(config.rpcUrl),
    computeUnitLimit: config.computeUnitLimit,
    priorityFeeMicroLamports: config.priorityFeeMicroLamports,
    logger,
    ...extra,
  });
}
