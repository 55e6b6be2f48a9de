/**
 * Integration: the local chain (`localnet/`) through stock @solana/web3.js and
 * @coral-xyz/anchor, exactly as the sequencer, SDK and CLI talk to devnet or mainnet.
 * The program runs natively in Agave's runtime with the INSECURE `test` verifying key; the
 * batch is the real proof in test-vectors/batch-test.json.
 */
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import anchor from "@coral-xyz/anchor";
import {
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  SendTransactionError,
  SystemProgram,
  Transaction,
  sendAndConfirmTransaction,
} from "@solana/web3.js";
import { sha256 } from "@noble/hashes/sha2";
import { expect } from "chai";

import { PROVENANCE_IDL, type Provenance } from "@provenance/client-sdk/idl";
import { confirmationError, programErrorOf, submitBatchMethodArgs } from "@provenance/client-sdk/chain";
import { startLocalnet, type Localnet } from "@provenance/localnet";
import { loadVector, type BatchVector } from "./support/vectors.js";

const { AnchorProvider, Program, Wallet, AnchorError, EventParser } = anchor;


const vector = loadVector();

const hexBytes = (hex: string): number[] => Array.from(Buffer.from(hex, "hex"));
const toHex = (bytes: ArrayLike<number>): string => Buffer.from(Uint8Array.from(bytes)).toString("hex");

/** The chain rule of docs/on-chain.md, computed independently. */
function nextChainHead(prev: Uint8Array, index: bigint, v: BatchVector): string {
  const buf = Buffer.alloc(19 + 32 + 8 + 32 + 32 + 4 + 8 + 8);
  let o = buf.write("provenance.batch.v1", 0, "ascii");
  Buffer.from(prev).copy(buf, o);
  o += 32;
  o = buf.writeBigUInt64BE(index, o);
  Buffer.from(v.batchRoot, "hex").copy(buf, o);
  o += 32;
  Buffer.from(v.registryRoot, "hex").copy(buf, o);
  o += 32;
  o = buf.writeUInt32BE(v.count, o);
  o = buf.writeBigUInt64BE(BigInt(v.minTs), o);
  buf.writeBigUInt64BE(BigInt(v.maxTs), o);
  return toHex(sha256(buf));
}

async function rpc(url: string, body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return { status: res.status, json: await res.json() };
}

function loadWallet(file: string): Keypair {
  return Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(file, "utf8")) as number[]));
}

describe("localnet: Solana JSON-RPC on Agave's runtime", function () {
  // The first run may have to compile the binary (minutes); later runs only check it is fresh.
  this.timeout(900_000);

  let dataDir: string;
  let chain: Localnet;
  let connection: Connection;
  let wallet: Keypair;
  let program: InstanceType<typeof Program<Provenance>>;
  const sequencer = Keypair.generate();
  const configPda = PublicKey.findProgramAddressSync([Buffer.from("config")], new PublicKey(PROVENANCE_IDL.address))[0];
  const batchLogPda = PublicKey.findProgramAddressSync([Buffer.from("batch_log")], new PublicKey(PROVENANCE_IDL.address))[0];
  const accumulatorPda = PublicKey.findProgramAddressSync([Buffer.from("accumulator")], new PublicKey(PROVENANCE_IDL.address))[0];
  let submitSignature = "";

  /**
   * web3.js reconnects its websocket forever (keeping mocha alive) when the server goes away;
   * turn that off and close it before stopping a chain.
   */
  function disconnect(c: Connection | undefined): void {
    const ws = (c as unknown as { _rpcWebSocket?: { setAutoReconnect(on: boolean): void; close(): void } } | undefined)
      ?._rpcWebSocket;
    ws?.setAutoReconnect(false);
    ws?.close();
  }

  function connect(): void {
    connection = new Connection(chain.rpcUrl, "confirmed");
    wallet = loadWallet(chain.wallet);
    const provider = new AnchorProvider(connection, new Wallet(wallet), { commitment: "confirmed" });
    program = new Program<Provenance>(PROVENANCE_IDL, provider);
  }

  before(async function () {
    dataDir = mkdtempSync(path.join(os.tmpdir(), "provenance-localnet-"));
    chain = await startLocalnet({ dataDir });
    connect();
  });

  after(async function () {
    disconnect(connection);
    await chain?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("prints where it listens, the program id and a funded wallet", async function () {
    expect(chain.fresh).to.equal(true);
    expect(chain.programId).to.equal(PROVENANCE_IDL.address);
    expect(chain.wsUrl).to.equal(chain.rpcUrl.replace("http://", "ws://").replace(/:(\d+)$/, (_, p: string) => `:${Number(p) + 1}`));
    expect(chain.output()).to.contain(`JSON-RPC   ${chain.rpcUrl}`);
    expect(await connection.getBalance(wallet.publicKey)).to.equal(1_000_000 * LAMPORTS_PER_SOL);
    expect(wallet.publicKey.toBase58()).to.equal(chain.walletPubkey);
    expect(await connection.getGenesisHash()).to.equal(chain.genesisHash);
    const version = await connection.getVersion();
    expect(version["solana-core"]).to.match(/^2\.3\.\d+/);
    expect(version["feature-set"]).to.be.a("number");
    const program = await connection.getAccountInfo(new PublicKey(chain.programId));
    expect(program?.executable).to.equal(true);
  });

  it("airdrops, sends a transfer with stock confirmation, and records it", async function () {
    const alice = Keypair.generate();
    const bob = Keypair.generate();
    const drop = await connection.requestAirdrop(alice.publicKey, 2 * LAMPORTS_PER_SOL);
    const latest = await connection.getLatestBlockhash();
    await connection.confirmTransaction({ signature: drop, ...latest }, "confirmed");
    expect(await connection.getBalance(alice.publicKey)).to.equal(2 * LAMPORTS_PER_SOL);

    const rent = await connection.getMinimumBalanceForRentExemption(0);
    const tx = new Transaction().add(SystemProgram.transfer({ fromPubkey: alice.publicKey, toPubkey: bob.publicKey, lamports: rent }));
    const sig = await sendAndConfirmTransaction(connection, tx, [alice]);
    expect(await connection.getBalance(bob.publicKey)).to.equal(rent);
    expect(await connection.getBalance(alice.publicKey)).to.equal(2 * LAMPORTS_PER_SOL - rent - 5000);

    const [status] = (await connection.getSignatureStatuses([sig])).value;
    expect(status?.err).to.equal(null);
    expect(status?.confirmationStatus).to.equal("finalized");
    const got = await connection.getTransaction(sig, { maxSupportedTransactionVersion: 0 });
    expect(got?.meta?.fee).to.equal(5000);
    expect(got?.meta?.logMessages).to.deep.equal([
      "Program 11111111111111111111111111111111 invoke [1]",
      "Program 11111111111111111111111111111111 success",
    ]);
    expect(got?.transaction.message.staticAccountKeys.map((k) => k.toBase58())).to.include(bob.publicKey.toBase58());
    expect(got?.meta?.postBalances).to.have.length(3);

    const [a, b, nobody] = await connection.getMultipleAccountsInfo([alice.publicKey, bob.publicKey, Keypair.generate().publicKey]);
    expect(a?.owner.toBase58()).to.equal(SystemProgram.programId.toBase58());
    expect(b?.lamports).to.equal(rent);
    expect(nobody).to.equal(null);
  });

  it("refuses a transaction with a bad signature without landing it", async function () {
    const alice = Keypair.generate();
    const latest = await connection.getLatestBlockhash();
    const tx = new Transaction({ feePayer: wallet.publicKey, ...latest }).add(
      SystemProgram.transfer({ fromPubkey: wallet.publicKey, toPubkey: alice.publicKey, lamports: 1 }),
    );
    tx.sign(wallet);
    const raw = tx.serialize();
    const last = raw.length - 1;
    raw[last] = (raw[last] ?? 0) ^ 1; // the message changes, the signature no longer matches
    const err = await connection.sendRawTransaction(raw).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Error);
    expect(String(err)).to.contain("signature verification failure");
  });

  it("answers malformed requests with JSON-RPC errors and stays up", async function () {
    const parse = await rpc(chain.rpcUrl, "{not json");
    expect(parse.json).to.deep.include({ jsonrpc: "2.0", id: null });
    expect((parse.json as { error: { code: number } }).error.code).to.equal(-32700);

    const unknown = await rpc(chain.rpcUrl, JSON.stringify({ jsonrpc: "2.0", id: 7, method: "getNothing", params: [] }));
    expect(unknown.json).to.deep.equal({ jsonrpc: "2.0", error: { code: -32601, message: "Method not found" }, id: 7 });

    const badParams = await rpc(chain.rpcUrl, JSON.stringify({ jsonrpc: "2.0", id: "x", method: "getBalance", params: ["not-a-key"] }));
    expect((badParams.json as { error: { code: number }; id: string }).error.code).to.equal(-32602);
    expect((badParams.json as { id: string }).id).to.equal("x");

    const notRequest = await rpc(chain.rpcUrl, JSON.stringify({ id: 1, method: "getSlot" }));
    expect((notRequest.json as { error: { code: number } }).error.code).to.equal(-32600);

    const badTx = await rpc(chain.rpcUrl, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "sendTransaction", params: ["AAAA", { encoding: "base64" }] }));
    expect((badTx.json as { error: { code: number } }).error.code).to.equal(-32602);

    const batch = await rpc(chain.rpcUrl, JSON.stringify([
      { jsonrpc: "2.0", id: 1, method: "getHealth" },
      { jsonrpc: "2.0", method: "getHealth" },
      { jsonrpc: "2.0", id: 2, method: "getGenesisHash" },
    ]));
    expect(batch.json).to.deep.equal([
      { jsonrpc: "2.0", result: "ok", id: 1 },
      { jsonrpc: "2.0", result: chain.genesisHash, id: 2 },
    ]);
    expect(await connection.getSlot()).to.be.a("number");
  });

  it("lets a page on any origin call it (CORS): a preflight, then the answer readable cross-origin", async function () {
    // As Chromium does before web3.js's POST from the explorer page (another origin).
    const preflight = await fetch(chain.rpcUrl, {
      method: "OPTIONS",
      headers: { origin: "http://127.0.0.1:8080", "access-control-request-method": "POST", "access-control-request-headers": "content-type,solana-client" },
    });
    expect(preflight.status).to.equal(204);
    expect(preflight.headers.get("access-control-allow-origin")).to.equal("*");
    expect(preflight.headers.get("access-control-allow-methods")).to.contain("POST");
    expect(preflight.headers.get("access-control-allow-headers")).to.equal("*");
    const res = await fetch(chain.rpcUrl, {
      method: "POST",
      headers: { origin: "http://127.0.0.1:8080", "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getGenesisHash" }),
    });
    expect(res.headers.get("access-control-allow-origin")).to.equal("*");
    expect(await res.json()).to.deep.equal({ jsonrpc: "2.0", result: chain.genesisHash, id: 1 });
    // The connection the preflight used stays usable (keep-alive), and so does the chain.
    expect(await connection.getSlot()).to.be.a("number");
  });

  it("keeps a blockhash valid while other transactions land", async function () {
    const early = await connection.getLatestBlockhash();
    for (let i = 0; i < 5; i++) {
      const drop = await connection.requestAirdrop(Keypair.generate().publicKey, LAMPORTS_PER_SOL);
      await connection.confirmTransaction({ signature: drop, ...(await connection.getLatestBlockhash()) });
    }
    await new Promise((r) => setTimeout(r, 1500)); // longer than program-test's ~1 s expiry
    expect((await connection.isBlockhashValid(early.blockhash)).value).to.equal(true);
    const tx = new Transaction({ feePayer: wallet.publicKey, ...early }).add(
      SystemProgram.transfer({ fromPubkey: wallet.publicKey, toPubkey: Keypair.generate().publicKey, lamports: LAMPORTS_PER_SOL }),
    );
    tx.sign(wallet);
    const sig = await connection.sendRawTransaction(tx.serialize());
    await connection.confirmTransaction({ signature: sig, ...early });
    expect((await connection.isBlockhashValid("11111111111111111111111111111111")).value).to.equal(false);
  });

  it("initializes the program with the test circuit through AnchorProvider", async function () {
    const sig = await program.methods
      .initialize({ test: {} }, sequencer.publicKey, hexBytes(vector.registryRoot))
      .accountsPartial({ admin: wallet.publicKey, config: configPda, batchLog: batchLogPda, accumulator: accumulatorPda, systemProgram: SystemProgram.programId })
      .rpc();
    const config = await program.account.config.fetch(configPda);
    expect(config.admin.toBase58()).to.equal(wallet.publicKey.toBase58());
    expect(config.sequencer.toBase58()).to.equal(sequencer.publicKey.toBase58());
    expect(config.circuit).to.deep.equal({ test: {} });
    expect(toHex(config.registryRoot)).to.equal(vector.registryRoot);
    expect(config.nextIndex.toNumber()).to.equal(0);

    // Program logs natively: msg! lines are captured into logMessages (see docs/localnet.md).
    const tx = await connection.getTransaction(sig, { maxSupportedTransactionVersion: 0 });
    const logs = tx?.meta?.logMessages ?? [];
    expect(logs[0]).to.equal(`Program ${chain.programId} invoke [1]`);
    expect(logs).to.include("Program log: Instruction: Initialize");
    expect(logs.at(-1)).to.equal(`Program ${chain.programId} success`);

    const drop = await connection.requestAirdrop(sequencer.publicKey, 10 * LAMPORTS_PER_SOL);
    await connection.confirmTransaction({ signature: drop, ...(await connection.getLatestBlockhash()) });
  });

  it("accepts the real proven batch, and reads it back", async function () {
    const sequencerProgram = new Program<Provenance>(
      PROVENANCE_IDL,
      new AnchorProvider(connection, new Wallet(sequencer), { commitment: "confirmed" }),
    );
    submitSignature = await sequencerProgram.methods
      .submitBatch(...submitBatchMethodArgs({ index: 0, ...vector, ...vector.solana }))
      .accountsPartial({ sequencer: sequencer.publicKey, config: configPda, batchLog: batchLogPda, accumulator: accumulatorPda })
      .rpc();

    const config = await program.account.config.fetch(configPda);
    expect(config.nextIndex.toNumber()).to.equal(1);
    expect(config.totalRecords.toNumber()).to.equal(vector.count);
    expect(toHex(config.chainHead)).to.equal(nextChainHead(new Uint8Array(32), 0n, vector));
    const log = await program.account.batchLog.fetch(batchLogPda);
    expect(log.nextIndex.toNumber()).to.equal(1);
    expect(toHex(log.roots[0] ?? [])).to.equal(vector.batchRoot);

    // The BatchSubmitted event, from the "Program data:" line in the logs.
    const tx = await connection.getTransaction(submitSignature, { maxSupportedTransactionVersion: 0 });
    const events = [...new EventParser(program.programId, program.coder).parseLogs(tx?.meta?.logMessages ?? [])];
    expect(events.map((e) => e.name)).to.deep.equal(["batchSubmitted", "accumulatorAppended"]);
    const data = events[0]?.data as { index: { toNumber(): number }; batchRoot: number[]; newHead: number[] };
    expect(data.index.toNumber()).to.equal(0);
    expect(toHex(data.batchRoot)).to.equal(vector.batchRoot);
    expect(toHex(data.newHead)).to.equal(toHex(config.chainHead));
  });

  it("finds program accounts with memcmp and dataSize filters", async function () {
    const configs = await program.account.config.all();
    expect(configs.map((c) => c.publicKey.toBase58())).to.deep.equal([configPda.toBase58()]);
    const logs = await program.account.batchLog.all();
    expect(logs.map((c) => c.publicKey.toBase58())).to.deep.equal([batchLogPda.toBase58()]);
    const bySize = await connection.getProgramAccounts(program.programId, { filters: [{ dataSize: 8208 }] });
    expect(bySize.map((a) => a.pubkey.toBase58())).to.deep.equal([batchLogPda.toBase58()]);
    const none = await connection.getProgramAccounts(program.programId, { filters: [{ dataSize: 1 }] });
    expect(none).to.deep.equal([]);
  });

  it("refuses a replayed batch: preflight logs and the Anchor error code", async function () {
    const replay = new Program<Provenance>(PROVENANCE_IDL, new AnchorProvider(connection, new Wallet(sequencer), { commitment: "confirmed" }))
      .methods.submitBatch(...submitBatchMethodArgs({ index: 0, ...vector, ...vector.solana }))
      .accountsPartial({ sequencer: sequencer.publicKey, config: configPda, batchLog: batchLogPda });

    const err = await replay.rpc().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AnchorError);
    const anchorErr = err as InstanceType<typeof AnchorError>;
    expect(anchorErr.error.errorCode).to.deep.equal({ code: "WrongBatchIndex", number: 6003 });
    expect(anchorErr.logs.some((l) => l.includes("AnchorError") && l.includes("WrongBatchIndex"))).to.equal(true);

    // Sent without preflight it lands as a failed transaction, whose logs carry the same error.
    // (Not through `rpc({ skipPreflight: true })`: anchor 0.31.1 then builds a
    // SendTransactionError with web3.js's old constructor, which web3.js 1.98 rejects.)
    const tx = await replay.transaction();
    const latest = await connection.getLatestBlockhash();
    tx.feePayer = sequencer.publicKey;
    tx.recentBlockhash = latest.blockhash;
    tx.sign(sequencer);
    const sig = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
    const landedErr = await confirmationError(connection.confirmTransaction({ signature: sig, ...latest }));
    expect(landedErr).to.deep.equal({ InstructionError: [0, { Custom: 6003 }] });
    expect(programErrorOf(landedErr)?.name).to.equal("WrongBatchIndex");
    const landed = await connection.getTransaction(sig, { maxSupportedTransactionVersion: 0 });
    const parsed = AnchorError.parse(landed?.meta?.logMessages ?? []);
    expect(parsed?.error.errorCode).to.deep.equal({ code: "WrongBatchIndex", number: 6003 });
    expect(await connection.getProgramAccounts(program.programId)).to.have.length(3);
    const config = await program.account.config.fetch(configPda);
    expect(config.nextIndex.toNumber()).to.equal(1);
  });

  it("shows a failed transaction's logs and custom error through getTransaction", async function () {
    const ix = await program.methods
      .setPaused(true)
      .accountsPartial({ admin: sequencer.publicKey, config: configPda })
      .instruction();
    const latest = await connection.getLatestBlockhash();
    const tx = new Transaction({ feePayer: sequencer.publicKey, ...latest }).add(ix);
    tx.sign(sequencer);
    // Preflight refuses it with the simulation's logs...
    const refused = await connection.sendRawTransaction(tx.serialize()).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(SendTransactionError);
    const logs = await (refused as SendTransactionError).getLogs(connection);
    expect(logs.some((l) => l.includes("Error Number: 6000"))).to.equal(true);
    // ...and without preflight it lands, failed.
    const sig = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
    // web3.js resolves with value.err or rejects with the bare error, whichever path answers first.
    const err = await confirmationError(connection.confirmTransaction({ signature: sig, ...latest }));
    expect(err).to.deep.equal({ InstructionError: [0, { Custom: 6000 }] });
    expect(programErrorOf(err)).to.deep.equal({ name: "Unauthorized", number: 6000, msg: "only the admin recorded in Config may do this" });
    const got = await connection.getTransaction(sig, { maxSupportedTransactionVersion: 0 });
    expect(got?.meta?.err).to.deep.equal({ InstructionError: [0, { Custom: 6000 }] });
    expect(got?.meta?.logMessages).to.include(`Program ${chain.programId} failed: custom program error: 0x1770`);

    // Both of confirmTransaction's sources, each on its own (no race): the websocket notification
    // of a signature that has already landed, and the status lookup.
    const notified = await new Promise<unknown>((resolve) => connection.onSignature(sig, (result) => resolve(result.err), "confirmed"));
    expect(notified).to.deep.equal({ InstructionError: [0, { Custom: 6000 }] });
    const status = await connection.getSignatureStatus(sig);
    expect(status.value?.err).to.deep.equal({ InstructionError: [0, { Custom: 6000 }] });
    // A confirmation that starts after the status is known: whichever path wins, the same error.
    expect(await confirmationError(connection.confirmTransaction({ signature: sig, ...latest }))).to.deep.equal({
      InstructionError: [0, { Custom: 6000 }],
    });
  });

  it("restarts with every account, the history and the chain identity", async function () {
    const before = await program.account.config.fetch(configPda);
    const slotBefore = await connection.getSlot();
    disconnect(connection);
    expect(await chain.stop()).to.equal(0);
    chain = await startLocalnet({ dataDir });
    connect();
    expect(chain.fresh).to.equal(false);
    expect(await connection.getGenesisHash()).to.equal(chain.genesisHash);
    expect(await connection.getSlot()).to.equal(slotBefore);
    const after = await program.account.config.fetch(configPda);
    expect(toHex(after.chainHead)).to.equal(toHex(before.chainHead));
    expect(after.nextIndex.toNumber()).to.equal(1);
    const [status] = (await connection.getSignatureStatuses([submitSignature], { searchTransactionHistory: true })).value;
    expect(status?.err).to.equal(null);
    // The restored program state is live: the next batch index is still enforced.
    const paused = await program.methods.setPaused(true).accountsPartial({ admin: wallet.publicKey, config: configPda }).rpc();
    expect((await connection.getSignatureStatuses([paused])).value[0]?.err).to.equal(null);
    expect((await program.account.config.fetch(configPda)).paused).to.equal(true);
  });

  it("a fresh data directory is a fresh chain", async function () {
    const otherDir = mkdtempSync(path.join(os.tmpdir(), "provenance-localnet-"));
    const other = await startLocalnet({ dataDir: otherDir });
    let c: Connection | undefined;
    try {
      expect(other.fresh).to.equal(true);
      expect(other.genesisHash).to.not.equal(chain.genesisHash);
      c = new Connection(other.rpcUrl, "confirmed");
      expect(await c.getAccountInfo(configPda)).to.equal(null);
    } finally {
      disconnect(c);
      await other.stop();
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
