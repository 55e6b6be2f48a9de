/**
 * What serializing the API's answers costs: fast-json-stringify from the routes' schemas (what
 * fastify does with a response schema) against JSON.stringify, for the submission answers
 * (unions: fast-json-stringify validates each value against the branches to pick one) and a
 * search page. Why the submission routes serialize with JSON.stringify (src/api.ts).
 *
 *   npx tsx sequencer/bench/serialize.ts
 */
import fjs from "fast-json-stringify";
import { RecordPageSchema, SubmitRecordsAnswerSchema } from "@provenance/client-sdk";
import { wireSchemaDefinitions, withRefs } from "../src/http-schemas.js";

type Schema = Parameters<typeof fjs>[0];
const external = Object.fromEntries(wireSchemaDefinitions().map((s) => [s.$id, s])) as unknown as Record<string, Schema>;
const compile = (schema: unknown) => fjs(withRefs(schema) as Schema, { schema: external });

const HEX = "ab".repeat(32);
const B58 = "11111111111111111111111111111111";
const receipt = { v: 2, id: HEX, seq: 7, receivedAt: 1_700_000_000_000, programId: B58, genesisHash: B58, sequencerKey: HEX, signature: "cd".repeat(64) };
const answer = { id: HEX, seq: 7, status: "pending", duplicate: false, receipt };
const many = { records: Array.from({ length: 1000 }, () => answer) };
const record = { v: 1, url: "https://example.com/", timestamp: 1_700_000_000_000, contentHash: HEX, nodeId: HEX, publicKey: HEX, signature: "ef".repeat(64) };
const view = { id: HEX, seq: 7, status: "pending", batch: null, leafIndex: null, receivedAt: 1, record, receipt };
const page = { records: Array.from({ length: 100 }, () => view), next: null };

function bench(name: string, f: () => string, n: number): number {
  for (let i = 0; i < Math.ceil(n / 10); i++) f();
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  return ((performance.now() - t) * 1000) / n;
}

const submit = compile(SubmitRecordsAnswerSchema);
const search = compile(RecordPageSchema);
const rows: Array<[string, unknown, (v: never) => string, number]> = [
  ["POST /v1/records, one record", answer, submit as (v: never) => string, 20_000],
  ["POST /v1/records, 1000 records", many, submit as (v: never) => string, 200],
  ["GET /v1/records, a page of 100", page, search as (v: never) => string, 1_000],
];
process.stdout.write("answer                              fast-json-stringify   JSON.stringify\n");
for (const [name, value, f, n] of rows) {
  const a = bench(name, () => f(value as never), n);
  const b = bench(name, () => JSON.stringify(value), n);
  process.stdout.write(`${name.padEnd(36)}${`${a.toFixed(1)} µs`.padStart(19)}${`${b.toFixed(1)} µs`.padStart(17)}\n`);
}
