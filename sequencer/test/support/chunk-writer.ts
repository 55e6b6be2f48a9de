/**
 * Child process of the chunk crash test (sequencer/test/chunk-crash.test.ts): opens the store
 * in `argv[2]` (B = 16, a chunk shape of C = 16), registers the test node, then appends signed
 * chunks of 1..16 records, four in flight at a time, forever, printing one JSON line per
 * acknowledged chunk (`{ ids, seqs }`) once its append resolved (it is durable then). The test
 * kills it with SIGKILL.
 */
import { generateKeyPairSync } from "node:crypto";
import path from "node:path";
import { parseChunk, recordId, signChunk } from "@provenance/client-sdk";
import { pino } from "pino";
import { ReceiptSigner } from "../../src/receipt.js";
import { SHAPE_CHUNK, SHAPE_SINGLE, withChunkShape } from "../../src/shapes.js";
import { Store } from "../../src/store.js";
import { testNode } from "../../../tests/support/fixtures.js";

const dir = process.argv[2]!;
const node = testNode("chunk-crash");
const shapes = withChunkShape(
  { code: SHAPE_SINGLE, circuit: "crash", batchLevels: 4, chunkLevels: 0, signerSlots: 16, cost: 2 },
  { code: SHAPE_CHUNK, circuit: "crash-chunk", batchLevels: 4, chunkLevels: 4, signerSlots: 1, cost: 1 },
);
const store = await Store.open({ dir: path.join(dir, "db"), batchLevels: 4, registryLevels: 4, signer: new ReceiptSigner(generateKeyPairSync("ed25519").privateKey), logger: pino({ level: "silent" }), shapes });
if (!store.currentRegistry.isActive(node.nodeId)) await store.addNode(node.nodeId);

let n = 0;
async function writer(w: number): Promise<never> {
  for (let k = 0; ; k++) {
    const size = 1 + ((k * 7 + w) % 16);
    const obs = Array.from({ length: size }, () => {
      const i = n++;
      return { url: `https://example.com/crash/${process.pid}/${i}`, timestamp: 1764300000000 + i, contentHash: i.toString(16).padStart(64, "0") };
    });
    const parsed = parseChunk(signChunk(obs, node.privateKey)).records;
    const results = await store.append(parsed.map((p) => ({ id: recordId(p), nodeId: p.nodeId, record: p.record })), { chunk: true });
    process.stdout.write(`${JSON.stringify({ ids: results.map((r) => r.id), seqs: results.map((r) => r.seq) })}\n`);
  }
}
process.stdout.write("ready\n");
await Promise.all([0, 1, 2, 3].map(writer));
