/**
 * The program's admin instructions (`initialize`, `set_registry_root`, `propose_admin`,
 * `accept_admin`, `set_paused`, `set_sequencer`), built from the IDL and sent by a key the
 * caller holds: the CLI's `provenance admin …` and `provenance registry push`, and the
 * sequencer on the local chain. Also the Solana keypair file loader with the same mode check as
 * every other secret file (`readPrivateFile`).
 *
 * Off the local chain the admin key is not the sequencer's: it signs these few transactions
 * from the admin's machine (docs/operations.md, "A separate admin").
 */
import anchorModule from "@coral-xyz/anchor";
import { Connection, Keypair, PublicKey, SendTransactionError, SystemProgram, Transaction, type TransactionInstruction } from "@solana/web3.js";
import { ProvenanceError } from "../errors.js";
import { PROVENANCE_IDL, type Provenance } from "../idl/index.js";
import { ACCUMULATOR_SEED, BATCH_LOG_SEED, CONFIG_SEED, type CircuitName } from "../idl/constants.js";
import { programErrorOf } from "../chain.js";
import { readPrivateFile } from "./keys.js";

const anchor = ((anchorModule as unknown as { default?: typeof anchorModule }).default ?? anchorModule) as typeof anchorModule;
const { AnchorError, BN, Program } = anchor;

/** The BPF upgradeable loader, owner of every upgradeable program's ProgramData account. */
export const BPF_LOADER_UPGRADEABLE_ID = new PublicKey("BPFLoaderUpgradeab1e11111111111111111111111");

/** The program's ProgramData account (its upgrade authority decides who may `initialize`). */
export function programDataAddress(programId: PublicKey): PublicKey {
  return PublicKey.findProgramAddressSync([programId.toBuffer()], BPF_LOADER_UPGRADEABLE_ID)[0];
}

/**
 * Reads a solana-keygen keypair file (a JSON array of 64 bytes), refusing one that group or
 * others can read or write, like every secret file (`readPrivateFile`).
 */
export function loadSolanaKeypairFile(file: string, what = "Solana keypair file"): Keypair {
  const text = readPrivateFile(file, what);
  let bytes: unknown;
  try {
    bytes = JSON.parse(text);
  } catch {
    bytes = null;
  }
  if (!Array.isArray(bytes) || bytes.length !== 64 || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    throw new ProvenanceError("KEY_FILE", `${what} ${file} is not a Solana keypair file (a JSON array of 64 bytes, as solana-keygen writes)`);
  }
  try {
    return Keypair.fromSecretKey(Uint8Array.from(bytes as number[]));
  } catch (e) {
    throw new ProvenanceError("KEY_FILE", `${what} ${file} does not hold a valid ed25519 keypair: ${(e as Error).message}`);
  }
}

/** A base58 public key, or a ProvenanceError naming `what`. */
export function parsePublicKey(value: string, what: string): PublicKey {
  try {
    const key = new PublicKey(value);
    if (key.toBase58() !== value.trim()) throw new Error("not canonical");
    return key;
  } catch {
    throw new ProvenanceError("INVALID_PUBLIC_KEY", `${what} must be a base58 Solana public key (32 bytes), got ${JSON.stringify(value.slice(0, 80))}`);
  }
}

const hexBytes = (hex: string): number[] => {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new ProvenanceError("INVALID_HEX", `a registry root must be 64 lowercase hex characters, got ${JSON.stringify(hex.slice(0, 80))}`);
  return Array.from(Buffer.from(hex, "hex"));
};

type Builder = { accountsPartial(a: Record<string, PublicKey>): { instruction(): Promise<TransactionInstruction> } };

/** Builds the program's admin instructions (no signing, no RPC). */
export class AdminInstructions {
  readonly programId: PublicKey;
  readonly configAddress: PublicKey;
  readonly batchLogAddress: PublicKey;
  readonly accumulatorAddress: PublicKey;
  readonly programDataAddress: PublicKey;
  private readonly program: InstanceType<typeof Program<Provenance>>;

  constructor(connection: Connection, programId: PublicKey | string = PROVENANCE_IDL.address) {
    this.programId = typeof programId === "string" ? new PublicKey(programId) : programId;
    // Instructions only: the provider's wallet is never asked to sign.
    this.program = new Program<Provenance>({ ...PROVENANCE_IDL, address: this.programId.toBase58() }, { connection } as never);
    this.configAddress = PublicKey.findProgramAddressSync([CONFIG_SEED], this.programId)[0];
    this.batchLogAddress = PublicKey.findProgramAddressSync([BATCH_LOG_SEED], this.programId)[0];
    this.accumulatorAddress = PublicKey.findProgramAddressSync([ACCUMULATOR_SEED], this.programId)[0];
    this.programDataAddress = programDataAddress(this.programId);
  }

  private method(name: string, ...args: unknown[]): Builder {
    const m = (this.program.methods as unknown as Record<string, ((...a: unknown[]) => Builder) | undefined>)[name];
    if (!m) throw new ProvenanceError("INVALID_CONFIG", `the program's IDL in this build has no ${name} instruction: update the SDK (npm run gen:onchain)`);
    return m(...args);
  }

  /** `initialize(circuit, sequencer, registry_root)`, signed by the admin (the program's upgrade authority). */
  initialize(admin: PublicKey, circuit: CircuitName, sequencer: PublicKey, registryRoot: string): Promise<TransactionInstruction> {
    return this.method("initialize", { [circuit]: {} }, sequencer, hexBytes(registryRoot))
      .accountsPartial({
        admin,
        config: this.configAddress,
        batchLog: this.batchLogAddress,
        accumulator: this.accumulatorAddress,
        programData: this.programDataAddress,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  /** `set_registry_root`: stages `root` (false), or makes it current at once and forgets every other (true). */
  setRegistryRoot(admin: PublicKey, root: string, version: number, retirePrevious: boolean): Promise<TransactionInstruction> {
    return this.method("setRegistryRoot", hexBytes(root), new BN(version), retirePrevious).accountsPartial({ admin, config: this.configAddress }).instruction();
  }

  /** `propose_admin(new_admin)`; `PublicKey.default` cancels a pending hand-over. */
  proposeAdmin(admin: PublicKey, newAdmin: PublicKey): Promise<TransactionInstruction> {
    return this.method("proposeAdmin", newAdmin).accountsPartial({ admin, config: this.configAddress }).instruction();
  }

  /** `accept_admin()`, signed by the pending admin. */
  acceptAdmin(newAdmin: PublicKey): Promise<TransactionInstruction> {
    return this.method("acceptAdmin").accountsPartial({ newAdmin, config: this.configAddress }).instruction();
  }

  setPaused(admin: PublicKey, paused: boolean): Promise<TransactionInstruction> {
    return this.method("setPaused", paused).accountsPartial({ admin, config: this.configAddress }).instruction();
  }

  setSequencer(admin: PublicKey, sequencer: PublicKey): Promise<TransactionInstruction> {
    return this.method("setSequencer", sequencer).accountsPartial({ admin, config: this.configAddress }).instruction();
  }

  /** `init_accumulator()`: creates the Accumulator of a deployment initialized before it existed; the admin pays its rent. */
  initAccumulator(admin: PublicKey): Promise<TransactionInstruction> {
    return this.method("initAccumulator")
      .accountsPartial({ admin, config: this.configAddress, accumulator: this.accumulatorAddress, systemProgram: SystemProgram.programId })
      .instruction();
  }
}

/**
 * Simulates `instructions` as `signer` would send them (signature checked, nothing sent): the
 * compute units used and the logs, or an AdminTransactionError naming the program's refusal, the
 * same as sending would. A dry run of an admin verb.
 */
export async function simulateAdminTransaction(
  connection: Connection,
  signer: Keypair,
  instructions: TransactionInstruction[],
  what: string,
): Promise<{ unitsConsumed: number | null; logs: string[] }> {
  const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash("confirmed");
  const tx = new Transaction({ feePayer: signer.publicKey, blockhash, lastValidBlockHeight }).add(...instructions);
  tx.sign(signer);
  let result;
  try {
    result = (await connection.simulateTransaction(tx)).value;
  } catch (err) {
    throw new ProvenanceError("RPC_ERROR", `${what} could not be simulated: ${(err as Error).message}`, { cause: err });
  }
  const logs = result.logs ?? [];
  if (result.err) {
    const parsed = AnchorError.parse(logs);
    if (parsed) {
      const { code, number } = parsed.error.errorCode;
      throw new AdminTransactionError(`${what} would be refused by the program: ${code} (${number}): ${parsed.error.errorMessage}`, code);
    }
    const pe = programErrorOf(result.err);
    if (pe) throw new AdminTransactionError(`${what} would be refused by the program: ${pe.name} (${pe.number}): ${pe.msg}`, pe.name);
    const text = JSON.stringify(result.err);
    if (/AccountNotFound|InsufficientFunds/.test(text)) throw new AdminTransactionError(`${what} would fail: the signing key cannot pay the fee (fund it): ${text}`, null);
    throw new AdminTransactionError(`${what} would fail: ${text}${logs.length ? `\n${logs.slice(-5).join("\n")}` : ""}`, null);
  }
  return { unitsConsumed: result.unitsConsumed ?? null, logs };
}

/** A program refusal or failed transaction: `programError` is the Anchor error name when there is one. */
export class AdminTransactionError extends ProvenanceError {
  constructor(
    message: string,
    readonly programError: string | null,
  ) {
    super("TX_FAILED", message);
    this.name = "AdminTransactionError";
  }
}

/**
 * Sends `instructions` signed (and paid) by `signer` and waits until `confirmed`: preflight
 * first, so a refusal comes back at once with the program's error name; then polling until the
 * blockhash expires (one fresh-blockhash retry).
 */
export async function sendAdminTransaction(
  connection: Connection,
  signer: Keypair,
  instructions: TransactionInstruction[],
  what: string,
  options: { pollMs?: number; attempts?: number } = {},
): Promise<{ signature: string; slot: number }> {
  const attempts = options.attempts ?? 2;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash("confirmed");
    const tx = new Transaction({ feePayer: signer.publicKey, blockhash, lastValidBlockHeight }).add(...instructions);
    tx.sign(signer);
    const raw = tx.serialize();
    let signature: string;
    try {
      signature = await connection.sendRawTransaction(raw, { skipPreflight: false, preflightCommitment: "confirmed", maxRetries: 0 });
    } catch (err) {
      throw await refusal(connection, err, what);
    }
    for (;;) {
      const st = (await connection.getSignatureStatuses([signature])).value[0];
      if (st?.err) {
        const pe = programErrorOf(st.err);
        throw new AdminTransactionError(`${what} failed on chain (${signature}): ${pe ? `${pe.name} (${pe.number}): ${pe.msg}` : JSON.stringify(st.err)}`, pe?.name ?? null);
      }
      if (st?.confirmationStatus === "confirmed" || st?.confirmationStatus === "finalized") return { signature, slot: st.slot };
      if (!st && (await connection.getBlockHeight("confirmed")) > lastValidBlockHeight) break;
      await new Promise((r) => setTimeout(r, options.pollMs ?? 300));
    }
  }
  throw new AdminTransactionError(`${what}: not confirmed after ${attempts} attempts (each until its blockhash expired)`, null);
}

/**
 * The program error a failed send carries (from its preflight logs, else from the
 * "custom program error: 0x…" in its message), named from the IDL: `{ name, message }`, or null
 * when the failure is not the program's. Shared by the admin verbs and the sequencer's submitter.
 */
export async function programRefusal(connection: Connection, err: unknown, what: string): Promise<{ name: string; message: string } | null> {
  let logs: string[] = [];
  if (err instanceof SendTransactionError) logs = (await err.getLogs(connection).catch(() => null)) ?? err.logs ?? [];
  const parsed = AnchorError.parse(logs);
  if (parsed) {
    const { code, number } = parsed.error.errorCode;
    return { name: code, message: `${what} refused by the program: ${code} (${number}): ${parsed.error.errorMessage}` };
  }
  const message = (err as Error).message ?? String(err);
  const custom = /custom program error: 0x([0-9a-f]+)/i.exec(message);
  if (custom) {
    const known = programErrorOf({ InstructionError: [0, { Custom: parseInt(custom[1]!, 16) }] })!;
    return { name: known.name, message: `${what} refused by the program: ${known.name}: ${known.msg || message}` };
  }
  return null;
}

async function refusal(connection: Connection, err: unknown, what: string): Promise<ProvenanceError> {
  const program = await programRefusal(connection, err, what);
  if (program) return new AdminTransactionError(program.message, program.name);
  const message = (err as Error).message ?? String(err);
  if (/insufficient (funds|lamports)|no record of a prior credit|AccountNotFound/i.test(message)) {
    return new AdminTransactionError(`${what}: the signing key cannot pay the fee (fund it): ${message}`, null);
  }
  return new ProvenanceError("RPC_ERROR", `${what} could not be sent: ${message}`, { cause: err });
}
