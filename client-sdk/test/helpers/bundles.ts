/**
 * Real inclusion bundles for tests: built from real signed records with the SDK's own tree, in
 * the exact shape `GET /v1/records/:id/proof` serves; plus the real proven batch of
 * test-vectors/batch-test.json anchored on a real local chain.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import anchor from "@coral-xyz/anchor";
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, SystemProgram } from "@solana/web3.js";
import {
  BATCH_LOG_SEED,
  CONFIG_SEED,
  FixedMerkleTree,
  PROVENANCE_IDL,
  buildBundle,
  fieldToHex,
  parseRecord,
  recordSlots,
  type Batch,
  type InclusionBundle,
  type Provenance,
  type RecordV1,
} from "../../src/index.js";
import { submitBatchMethodArgs } from "../../src/chain.js";
import type { Localnet } from "@provenance/localnet";
import { loadVector, type BatchVector } from "../../../tests/support/vectors.js";

const { AnchorProvider, Program, Wallet } = anchor;

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export { loadVector, type BatchVector };

export interface AnchorInfo {
  batchIndex: number;
  programId: string;
  cluster: string;
  txSignature: string;
  slot: number;
}

/** Bundles for every record of a batch, built as the sequencer builds them. */
export function bundlesFor(records: readonly RecordV1[], levels: number, statement: { registryRoot: string; minTs: number; maxTs: number }, anchorInfo: AnchorInfo): InclusionBundle[] {
  const leaves = records.map((r) => parseRecord(r).leaf);
  const tree = new FixedMerkleTree(levels, leaves);
  const batch = {
    index: anchorInfo.batchIndex,
    batchRoot: fieldToHex(tree.root),
    count: records.length,
    minTs: statement.minTs,
    maxTs: statement.maxTs,
    registryRoot: statement.registryRoot,
  };
  return records.map((record, i) => buildBundle(record, tree.proof(i), batch, anchorInfo));
}

/**
 * Bundles for every record of a shaped batch (`buildShapedBatch`: chunks and records signed
 * alone, holes between regions), in slot order: each record's leaf index is its slot.
 */
export function shapedBundlesFor(batch: Batch, anchorInfo: AnchorInfo): InclusionBundle[] {
  const s = batch.statement;
  const meta = { index: anchorInfo.batchIndex, batchRoot: fieldToHex(s.batchRoot), count: s.count, minTs: s.minTs, maxTs: s.maxTs, registryRoot: fieldToHex(s.registryRoot) };
  return recordSlots(batch).map((slot) => buildBundle(batch.slots[slot]!.record, batch.tree.proof(slot), meta, anchorInfo));
}

/** A plausible anchor for offline tests (nothing checks it offline). */
export const FAKE_ANCHOR: AnchorInfo = {
  batchIndex: 0,
  programId: PROVENANCE_IDL.address,
  cluster: "localnet",
  txSignature: "5".repeat(87),
  slot: 42,
};

/** web3.js reconnects its websocket forever once opened; close it before stopping a chain. */
export function disconnect(c: Connection | undefined): void {
  const ws = (c as unknown as { _rpcWebSocket?: { setAutoReconnect(on: boolean): void; close(): void } } | undefined)?._rpcWebSocket;
  ws?.setAutoReconnect(false);
  ws?.close();
}

export interface AnchoredVector {
  vector: BatchVector;
  connection: Connection;
  admin: Keypair;
  sequencer: Keypair;
  info: AnchorInfo;
  bundles: InclusionBundle[];
}

const hexBytes = (hex: string): number[] => Array.from(Buffer.from(hex, "hex"));

/**
 * Initializes the program on a fresh local chain (test circuit) and submits the real proven
 * batch of the test vector as batch 0, as tests/localnet.test.ts does. Returns its bundles.
 */
export async function anchorVector(chain: Localnet, opts: { initialRoot?: string } = {}): Promise<AnchoredVector> {
  const vector = loadVector();
  const connection = new Connection(chain.rpcUrl, "confirmed");
  const admin = Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(chain.wallet, "utf8")) as number[]));
  const sequencer = Keypair.generate();
  const programId = new PublicKey(chain.programId);
  const config = PublicKey.findProgramAddressSync([CONFIG_SEED], programId)[0];
  const batchLog = PublicKey.findProgramAddressSync([BATCH_LOG_SEED], programId)[0];
  const adminProgram = new Program<Provenance>(PROVENANCE_IDL, new AnchorProvider(connection, new Wallet(admin), { commitment: "confirmed" }));
  await adminProgram.methods
    .initialize({ test: {} }, sequencer.publicKey, hexBytes(opts.initialRoot ?? vector.registryRoot))
    .accountsPartial({ admin: admin.publicKey, config, batchLog, systemProgram: SystemProgram.programId })
    .rpc();
  if (opts.initialRoot !== undefined) {
    // Initialized with another root: stage the batch's, which its landing then makes current.
    await adminProgram.methods
      .setRegistryRoot(hexBytes(vector.registryRoot), new anchor.BN(1), false)
      .accountsPartial({ admin: admin.publicKey, config })
      .rpc();
  }
  const drop = await connection.requestAirdrop(sequencer.publicKey, 10 * LAMPORTS_PER_SOL);
  await connection.confirmTransaction({ signature: drop, ...(await connection.getLatestBlockhash()) });
  const seqProgram = new Program<Provenance>(PROVENANCE_IDL, new AnchorProvider(connection, new Wallet(sequencer), { commitment: "confirmed" }));
  const txSignature = await seqProgram.methods
    .submitBatch(...submitBatchMethodArgs({ index: 0, ...vector, ...vector.solana }))
    .accountsPartial({ sequencer: sequencer.publicKey, config, batchLog })
    .rpc();
  const tx = await connection.getTransaction(txSignature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
  if (!tx) throw new Error("submitted batch transaction not found");
  const info: AnchorInfo = { batchIndex: 0, programId: chain.programId, cluster: "localnet", txSignature, slot: tx.slot };
  const bundles = bundlesFor(vector.records, vector.batchLevels, vector, info);
  if (bundles[0]!.batch.batchRoot !== vector.batchRoot) throw new Error("test vector root does not match the SDK's tree");
  return { vector, connection, admin, sequencer, info, bundles };
}

/**
 * Every one-byte change of a compact JSON text, each changed to a byte of the same kind where
 * one exists (a hex digit to another hex digit, a digit to another digit, a letter to another
 * letter), so the change stays well formed and must be caught by a check, not by the parser.
 */
export function* oneByteChanges(text: string): Generator<{ at: number; text: string; from: string; to: string }> {
  for (let at = 0; at < text.length; at++) {
    const c = text[at]!;
    let to: string;
    if (/[0-9]/.test(c)) to = String((Number(c) + 1) % 10);
    else if (/[a-f]/.test(c)) to = c === "f" ? "a" : String.fromCharCode(c.charCodeAt(0) + 1);
    else if (/[g-zA-Z]/.test(c)) to = c === "z" ? "g" : c === "Z" ? "A" : String.fromCharCode(c.charCodeAt(0) + 1);
    else to = c === "x" ? "y" : "x";
    // Base58 has no 0, O, I or l: keep a changed base58 character inside the alphabet.
    if (to === "0") to = "1";
    if (to === "O") to = "P";
    if (to === "I") to = "J";
    if (to === "l") to = "m";
    if (to === c) continue;
    yield { at, text: text.slice(0, at) + to + text.slice(at + 1), from: c, to };
  }
}
