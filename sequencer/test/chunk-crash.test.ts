/**
 * A chunk is stored atomically: a process appending signed chunks to the store (real
 * LevelDB, four appends in flight, group-committed) is killed with SIGKILL — no shutdown code
 * runs — and restarted twice. After each restart every acknowledged chunk is there whole
 * (consecutive seqs, chunk refs 0..n-1, its receipts), no chunk is there in part, the seqs
 * have no gap, and appends continue the sequence.
 */
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { isChunkRecord } from "@provenance/client-sdk";
import { ReceiptSigner } from "../src/receipt.js";
import { Store } from "../src/store.js";
import { quietLogger, tempDir } from "./helpers.js";

const WRITER = fileURLToPath(new URL("./support/chunk-writer.ts", import.meta.url));

/** Runs the writer until it acknowledged `acks` chunks (then a little longer), and kills it. */
async function runAndKill(dir: string, acks: number): Promise<Array<{ ids: string[]; seqs: number[] }>> {
  const proc = spawn(process.execPath, ["--import", "tsx", WRITER, dir], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const acked: Array<{ ids: string[]; seqs: number[] }> = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the chunk writer did not acknowledge enough chunks within 120 s")), 120_000);
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      if (line === "ready") return;
      acked.push(JSON.parse(line) as { ids: string[]; seqs: number[] });
      if (acked.length === acks) {
        clearTimeout(timer);
        // Killed while more appends are in flight.
        setTimeout(resolve, 15 + Math.floor(Math.random() * 30));
      }
    });
    proc.once("exit", (code) => code !== null && acked.length < acks && reject(new Error(`the chunk writer exited with ${code}`)));
  });
  proc.kill("SIGKILL");
  await exited;
  return acked;
}

describe("chunk durability (SIGKILL while appending chunks)", function () {
  this.timeout(300_000);

  it("keeps every acknowledged chunk whole and never a part of one, across two kills", async () => {
    const t = tempDir("chunk-crash");
    try {
      const acked: Array<{ ids: string[]; seqs: number[] }> = [];
      for (const round of [0, 1]) {
        acked.push(...(await runAndKill(t.dir, 20 + round * 10)));
        const store = await Store.open({ dir: path.join(t.dir, "db"), batchLevels: 4, registryLevels: 4, signer: new ReceiptSigner(generateKeyPairSync("ed25519").privateKey), logger: quietLogger() });
        try {
          for (const a of acked) {
            for (const [i, id] of a.ids.entries()) {
              const rec = await store.getRecord(id);
              expect(rec, `acknowledged record ${id}`).to.not.equal(undefined);
              expect(rec!.seq).to.equal(a.seqs[i]);
              expect(a.seqs[i]).to.equal(a.seqs[0]! + i);
            }
          }
          // Every stored record belongs to a whole chunk: its siblings are there, in order, under one signature.
          const total = store.recordCount;
          for (let seq = 0; seq < total; ) {
            const first = await store.getRecordBySeq(seq);
            expect(first, `record ${seq}`).to.not.equal(undefined);
            expect(isChunkRecord(first!.record)).to.equal(true);
            const ref = (first!.record as { chunk: { size: number; index: number; signature: string } }).chunk;
            expect(ref.index, `record ${seq} starts a chunk`).to.equal(0);
            for (let k = 1; k < ref.size; k++) {
              const next = await store.getRecordBySeq(seq + k);
              expect(next, `record ${k} of the chunk at ${seq}`).to.not.equal(undefined);
              expect((next!.record as { chunk: { index: number; signature: string } }).chunk).to.include({ index: k, signature: ref.signature });
            }
            seq += ref.size;
          }
          expect(await store.getRecordBySeq(total)).to.equal(undefined);
        } finally {
          await store.close();
        }
      }
    } finally {
      t.remove();
    }
  });
});
