/**
 * Conformance: the local chain driven by @solana/kit (web3.js v2's successor) alone — its RPC
 * and subscription clients, its transaction builders, its confirmation strategies (kit's
 * block-height strategy subscribes to `slotNotifications`, its signature strategy to
 * `signatureNotifications`). Instruction data is encoded by hand here (Anchor's layout), so the
 * suite needs no other unit. Raw answers are also checked field by field, so a served method
 * that changed its answer's shape fails here (the Rust suite, localnet/tests/conformance.rs,
 * checks every answer against Agave's own types).
 *
 * No timing races: every subscription is acknowledged (kit's `subscribe()` resolves on the
 * server's subscription id) before the transaction it watches is sent, and every wait for a
 * notification is bounded.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import {
  AccountRole,
  address,
  airdropFactory,
  appendTransactionMessageInstructions,
  createKeyPairSignerFromBytes,
  createSolanaRpc,
  createSolanaRpcSubscriptions,
  createTransactionMessage,
  devnet,
  generateKeyPairSigner,
  getAddressEncoder,
  getProgramDerivedAddress,
  getSignatureFromTransaction,
  lamports,
  pipe,
  sendAndConfirmTransactionFactory,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type Address,
  type Instruction,
  type KeyPairSigner,
  type Signature,
} from "@solana/kit";
import { expect } from "chai";

import { startLocalnet, type Localnet } from "@provenance/localnet";
import { loadVector } from "../../tests/support/vectors.js";

const SYSTEM_PROGRAM = address("11111111111111111111111111111111");
const TOKEN_PROGRAM = address("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
const LOADER = address("BPFLoaderUpgradeab1e11111111111111111111111");
const WAIT_MS = 10_000;

const vector = loadVector();

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
/** Anchor's 8-byte discriminators: sha256("global:<ix>") / sha256("event:<Event>"). */
const discriminator = (preimage: string): Uint8Array => createHash("sha256").update(preimage).digest().subarray(0, 8);
const u32 = (n: number): Uint8Array => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: bigint | number): Uint8Array => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

function transfer(from: KeyPairSigner, to: Address, amount: bigint): Instruction {
  return {
    programAddress: SYSTEM_PROGRAM,
    accounts: [
      { address: from.address, role: AccountRole.WRITABLE_SIGNER, signer: from } as never,
      { address: to, role: AccountRole.WRITABLE },
    ],
    data: concat(u32(2), u64(amount)),
  };
}

/**
 * Starts consuming a subscription at once: kit's iterables drop what is published before an
 * iterator exists, so the watch begins before the transaction it is for is sent. `first` then
 * waits (bounded) for a notification it accepts; `stop` unsubscribes.
 */
function watch<T>(iterable: AsyncIterable<T>, abort: AbortController) {
  const seen: T[] = [];
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const n of iterable) seen.push(n);
    } catch (e) {
      if (!abort.signal.aborted) failure = e;
    }
  })();
  return {
    async first(keep: (n: T) => boolean, what: string): Promise<T> {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const hit = seen.find(keep);
        if (hit !== undefined) return hit;
        if (failure !== undefined) throw failure;
        if (Date.now() > deadline) throw new Error(`no ${what} within ${WAIT_MS} ms (saw ${seen.length})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop(): Promise<void> {
      abort.abort();
      await done;
    },
  };
}

async function raw(url: string, method: string, params: unknown[] = []): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return (await res.json()) as Record<string, unknown>;
}

describe("localnet conformance: @solana/kit", function () {
  this.timeout(900_000); // the first run may build the binary

  let dataDir: string;
  let chain: Localnet;
  // Typed as devnet's clients: the local chain serves requestAirdrop, as devnet does.
  let rpc: ReturnType<typeof createSolanaRpc<ReturnType<typeof devnet>>>;
  let subs: ReturnType<typeof createSolanaRpcSubscriptions<ReturnType<typeof devnet>>>;
  let wallet: KeyPairSigner;
  // The program refuses a sequencer that is its admin (the wallet, its upgrade authority).
  let sequencer: KeyPairSigner;
  let program: Address;
  let configPda: Address;
  let batchLogPda: Address;
  let accumulatorPda: Address;
  let sendAndConfirm: ReturnType<typeof sendAndConfirmTransactionFactory>;
  const sent: { transfer?: Signature; initialize?: Signature; submit?: Signature } = {};

  async function send(instructions: Instruction[], payer: KeyPairSigner = wallet): Promise<Signature> {
    const { value: blockhash } = await rpc.getLatestBlockhash({ commitment: "confirmed" }).send();
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(payer, m),
      (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
      (m) => appendTransactionMessageInstructions(instructions, m),
    );
    const tx = await signTransactionMessageWithSigners(message);
    await sendAndConfirm(tx as Parameters<typeof sendAndConfirm>[0], { commitment: "confirmed" });
    return getSignatureFromTransaction(tx);
  }

  before(async function () {
    dataDir = mkdtempSync(path.join(os.tmpdir(), "provenance-localnet-kit-"));
    chain = await startLocalnet({ dataDir });
    rpc = createSolanaRpc(devnet(chain.rpcUrl));
    subs = createSolanaRpcSubscriptions(devnet(chain.wsUrl));
    sendAndConfirm = sendAndConfirmTransactionFactory({ rpc, rpcSubscriptions: subs });
    wallet = await createKeyPairSignerFromBytes(Uint8Array.from(JSON.parse(readFileSync(chain.wallet, "utf8")) as number[]));
    program = address(chain.programId);
    [configPda] = await getProgramDerivedAddress({ programAddress: program, seeds: ["config"] });
    [batchLogPda] = await getProgramDerivedAddress({ programAddress: program, seeds: ["batch_log"] });
    [accumulatorPda] = await getProgramDerivedAddress({ programAddress: program, seeds: ["accumulator"] });
  });

  after(async function () {
    await chain?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("reads: slot, block height and epoch info agree; balance, genesis hash, version", async function () {
    const [slot, height, info, schedule] = await Promise.all([
      rpc.getSlot().send(),
      rpc.getBlockHeight().send(),
      rpc.getEpochInfo().send(),
      rpc.getEpochSchedule().send(),
    ]);
    expect(info.absoluteSlot).to.equal(slot);
    expect(info.blockHeight).to.equal(height);
    expect(info.slotsInEpoch).to.equal(schedule.warmup ? 32n : schedule.slotsPerEpoch);
    expect(info.slotIndex).to.equal(slot); // epoch 0 of the warm-up schedule starts at slot 0
    expect(Object.keys(info).sort()).to.deep.equal(
      ["absoluteSlot", "blockHeight", "epoch", "slotIndex", "slotsInEpoch", "transactionCount"],
    );
    const { value: balance } = await rpc.getBalance(wallet.address).send();
    expect(balance).to.equal(1_000_000n * 1_000_000_000n);
    expect(await rpc.getGenesisHash().send()).to.equal(chain.genesisHash);
    expect((await rpc.getVersion().send())["solana-core"]).to.match(/^2\.3\./);
  });

  it("airdrops and confirms (signature subscription)", async function () {
    const someone = await generateKeyPairSigner();
    await airdropFactory({ rpc, rpcSubscriptions: subs })({
      recipientAddress: someone.address,
      lamports: lamports(2_000_000_000n),
      commitment: "confirmed",
    });
    expect((await rpc.getBalance(someone.address).send()).value).to.equal(2_000_000_000n);
  });

  it("sends and confirms a transfer (block-height strategy: slot subscription), and sees it in slot and account notifications", async function () {
    const to = (await generateKeyPairSigner()).address;
    const slotAbort = new AbortController();
    const accountAbort = new AbortController();
    const slots = watch(await subs.slotNotifications().subscribe({ abortSignal: slotAbort.signal }), slotAbort);
    const accounts = watch(
      await subs.accountNotifications(to, { commitment: "confirmed", encoding: "base64" }).subscribe({ abortSignal: accountAbort.signal }),
      accountAbort,
    );
    sent.transfer = await send([transfer(wallet, to, 3_000_000n)]);

    const { value: statuses } = await rpc.getSignatureStatuses([sent.transfer]).send();
    const landed = statuses[0];
    expect(landed?.err).to.equal(null);
    expect(landed?.confirmationStatus).to.equal("finalized");
    const slot = await slots.first((n) => n.slot === landed?.slot, "slotNotification");
    expect(slot.parent).to.equal(slot.slot - 1n);
    const account = await accounts.first(() => true, "accountNotification");
    await Promise.all([slots.stop(), accounts.stop()]);
    expect(account.context.slot).to.equal(landed?.slot);
    expect(account.value.lamports).to.equal(3_000_000n);
    expect(account.value.owner).to.equal(SYSTEM_PROGRAM);
    expect(account.value.data).to.deep.equal(["", "base64"]);

    const tx = await rpc.getTransaction(sent.transfer, { maxSupportedTransactionVersion: 0, encoding: "json" }).send();
    expect(tx?.slot).to.equal(landed?.slot);
    expect(tx?.meta?.err).to.equal(null);
    expect(tx?.version).to.equal(0);
  });

  it("shows the program as deployed by the upgradeable loader, upgrade authority the wallet", async function () {
    const { value: account } = await rpc.getAccountInfo(program, { encoding: "base64" }).send();
    expect(account?.owner).to.equal(LOADER);
    expect(account?.executable).to.equal(true);
    const data = Buffer.from(account?.data[0] ?? "", "base64");
    expect(data.readUInt32LE(0)).to.equal(2); // UpgradeableLoaderState::Program
    const [programData] = await getProgramDerivedAddress({
      programAddress: LOADER,
      seeds: [getAddressEncoder().encode(program)],
    });
    expect(Uint8Array.from(data.subarray(4))).to.deep.equal(Uint8Array.from(getAddressEncoder().encode(programData)));
    const { value: pd } = await rpc.getAccountInfo(programData, { encoding: "base64" }).send();
    const pdBytes = Buffer.from(pd?.data[0] ?? "", "base64");
    expect(pd?.owner).to.equal(LOADER);
    expect(pdBytes.readUInt32LE(0)).to.equal(3); // UpgradeableLoaderState::ProgramData
    expect(pdBytes[12]).to.equal(1); // Some(upgrade authority)
    expect(Uint8Array.from(pdBytes.subarray(13, 45))).to.deep.equal(Uint8Array.from(getAddressEncoder().encode(wallet.address)));
  });

  it("sends the program's instructions; its logs and its accounts notify, with the batch's event", async function () {
    const logsAbort = new AbortController();
    const programAbort = new AbortController();
    const logs = watch(
      await subs.logsNotifications({ mentions: [program] }, { commitment: "confirmed" }).subscribe({ abortSignal: logsAbort.signal }),
      logsAbort,
    );
    const owned = watch(
      await subs.programNotifications(program, { commitment: "confirmed", encoding: "base64" }).subscribe({ abortSignal: programAbort.signal }),
      programAbort,
    );

    // initialize(circuit Test, sequencer, registry root), signed by the upgrade authority
    sequencer = await generateKeyPairSigner();
    const [programData] = await getProgramDerivedAddress({
      programAddress: address("BPFLoaderUpgradeab1e11111111111111111111111"),
      seeds: [getAddressEncoder().encode(program)],
    });
    sent.initialize = await send([
      {
        programAddress: program,
        accounts: [
          { address: wallet.address, role: AccountRole.WRITABLE_SIGNER, signer: wallet } as never,
          { address: programData, role: AccountRole.READONLY },
          { address: configPda, role: AccountRole.WRITABLE },
          { address: batchLogPda, role: AccountRole.WRITABLE },
          { address: accumulatorPda, role: AccountRole.WRITABLE },
          { address: SYSTEM_PROGRAM, role: AccountRole.READONLY },
        ],
        data: concat(discriminator("global:initialize"), Uint8Array.of(0), getAddressEncoder().encode(sequencer.address) as Uint8Array, hex(vector.registryRoot)),
      },
    ]);
    const created = await owned.first((n) => n.value.pubkey === configPda, "programNotification (Config)");
    expect(created.value.account.owner).to.equal(program);

    // submit_batch(0, ...): the real proof of test-vectors/batch-test.json
    sent.submit = await send([
      {
        programAddress: program,
        accounts: [
          { address: sequencer.address, role: AccountRole.READONLY_SIGNER, signer: sequencer } as never,
          { address: configPda, role: AccountRole.WRITABLE },
          { address: batchLogPda, role: AccountRole.WRITABLE },
          { address: accumulatorPda, role: AccountRole.WRITABLE },
        ],
        data: concat(
          discriminator("global:submit_batch"),
          u64(0),
          hex(vector.registryRoot),
          hex(vector.batchRoot),
          u32(vector.count),
          u64(vector.minTs),
          u64(vector.maxTs),
          hex(vector.solana.proofA),
          hex(vector.solana.proofB),
          hex(vector.solana.proofC),
          Uint8Array.of(vector.shape),
        ),
      },
    ]);
    const note = await logs.first((n) => n.value.signature === sent.submit, "logsNotification of submit_batch");
    const updated = await owned.first((n) => n.value.pubkey === batchLogPda && n.context.slot === note.context.slot, "programNotification (BatchLog)");
    expect(updated.value.account.owner).to.equal(program);
    // Only the program's own transactions mention it: initialize, then submit_batch.
    const mentioned = await logs.first((n) => n.value.signature === sent.initialize, "logsNotification of initialize");
    expect(mentioned.context.slot < note.context.slot).to.equal(true);
    await Promise.all([logs.stop(), owned.stop()]);
    expect(note.value.err).to.equal(null);
    expect(note.value.logs[0]).to.equal(`Program ${program} invoke [1]`);
    const dataLine = note.value.logs.find((l) => l.startsWith("Program data: "));
    expect(dataLine, "the BatchSubmitted event").to.be.a("string");
    const event = Buffer.from((dataLine ?? "").slice("Program data: ".length), "base64");
    expect(toHex(event.subarray(0, 8))).to.equal(toHex(discriminator("event:BatchSubmitted")));
    expect(event.readBigUInt64LE(8)).to.equal(0n); // index
    expect(toHex(event.subarray(16, 48))).to.equal(vector.batchRoot);
  });

  it("lists the program's transactions from the chain alone: getSignaturesForAddress, newest first", async function () {
    const list = await rpc.getSignaturesForAddress(program).send();
    expect(list.map((s) => s.signature)).to.deep.equal([sent.submit, sent.initialize]);
    for (const s of list) {
      expect(s.err).to.equal(null);
      expect(s.memo).to.equal(null);
      expect(s.confirmationStatus).to.equal("finalized");
      expect(s.blockTime).to.be.a("bigint");
    }
    expect(list[0]!.slot > list[1]!.slot).to.equal(true);
    expect((await rpc.getSignaturesForAddress(program, { limit: 1 }).send()).map((s) => s.signature)).to.deep.equal([sent.submit]);
    expect((await rpc.getSignaturesForAddress(program, { before: sent.submit! }).send()).map((s) => s.signature)).to.deep.equal([sent.initialize]);
    expect((await rpc.getSignaturesForAddress(program, { until: sent.initialize! }).send()).map((s) => s.signature)).to.deep.equal([sent.submit]);

    // The wire shape, field by field.
    const answer = (await raw(chain.rpcUrl, "getSignaturesForAddress", [program, { limit: 1 }])).result as Record<string, unknown>[];
    expect(Object.keys(answer[0] ?? {}).sort()).to.deep.equal(["blockTime", "confirmationStatus", "err", "memo", "signature", "slot"]);
  });

  it("serves the transactions' blocks: getBlock, getBlocks, getBlockTime", async function () {
    const [latest] = await rpc.getSignaturesForAddress(program, { limit: 1 }).send();
    const slot = latest!.slot;
    const block = await rpc.getBlock(slot, { maxSupportedTransactionVersion: 0, transactionDetails: "signatures", rewards: false }).send();
    expect(block?.signatures).to.deep.equal([sent.submit]);
    expect(block?.blockHeight).to.equal(slot);
    expect(block?.parentSlot).to.equal(slot - 1n);
    expect(block?.blockTime).to.equal(latest!.blockTime);
    const full = await rpc.getBlock(slot, { maxSupportedTransactionVersion: 0, encoding: "base64" }).send();
    expect(full?.transactions).to.have.length(1);
    expect(full?.transactions[0]?.transaction[1]).to.equal("base64");
    const parent = await rpc.getBlock(slot - 1n, { maxSupportedTransactionVersion: 0, transactionDetails: "none", rewards: false }).send();
    expect(block?.previousBlockhash).to.equal(parent?.blockhash);
    expect(await rpc.getBlocks(slot - 1n, slot + 10n).send()).to.deep.equal([slot - 1n, slot]);
    expect(await rpc.getBlockTime(slot).send()).to.equal(latest!.blockTime);
    const rawBlock = (await raw(chain.rpcUrl, "getBlock", [Number(slot), { transactionDetails: "signatures", maxSupportedTransactionVersion: 0 }])).result as Record<string, unknown>;
    expect(Object.keys(rawBlock).sort()).to.deep.equal(
      ["blockHeight", "blockTime", "blockhash", "parentSlot", "previousBlockhash", "rewards", "signatures"],
    );
    const refused = await raw(chain.rpcUrl, "getBlock", [Number(slot), { commitment: "processed" }]);
    expect(refused.error).to.deep.equal({ code: -32602, message: "Method does not support commitment below `confirmed`" });
  });

  it("answers getRecentPrioritizationFees and getTokenAccountsByOwner (empty), and keeps the standard unknown-method error", async function () {
    const fees = await rpc.getRecentPrioritizationFees([configPda]).send();
    expect(fees.length).to.be.greaterThan(0);
    for (const f of fees) expect(f.prioritizationFee).to.equal(0n);
    const tokens = await rpc.getTokenAccountsByOwner(wallet.address, { programId: TOKEN_PROGRAM }, { encoding: "base64" }).send();
    expect(tokens.value).to.deep.equal([]);
    expect(tokens.context.slot).to.equal(await rpc.getSlot().send());
    const unknown = await raw(chain.rpcUrl, "getStakeMinimumDelegationOfTheMoon");
    expect(unknown.error).to.deep.equal({ code: -32601, message: "Method not found" });
  });
});
