/**
 * The response check (src/response-check.ts) on a real fastify app with the sequencer's wire
 * schemas, over HTTP: a field a handler returns but its schema lacks is exactly what
 * fast-json-stringify drops silently, and the check must turn it into a 500 that names it.
 */
import { expect } from "chai";
import { Ajv } from "ajv";
import Fastify, { type FastifyInstance } from "fastify";
import { NodeViewSchema, RecordViewSchema } from "@provenance/client-sdk";
import { registerWireSchemas, responses, wireSchemaDefinitions } from "../src/http-schemas.js";
import { installResponseCheck, strictSchema } from "../src/response-check.js";

const HEX = "ab".repeat(32);
const node = { nodeId: HEX, slot: 3, status: "active", registryRoot: HEX };
const receipt = { v: 1, id: HEX, seq: 7, receivedAt: 1_700_000_000_000, sequencerKey: HEX, signature: "cd".repeat(64) };
const record = { v: 1, url: "https://example.com/", timestamp: 1_700_000_000_000, contentHash: HEX, nodeId: HEX, publicKey: HEX, signature: "ef".repeat(64) };
const view = { id: HEX, seq: 7, status: "pending", batch: null, leafIndex: null, receivedAt: 1_700_000_000_000, record, receipt };

/** An app whose routes answer what `answers` says, with or without the check. */
async function app(check: boolean, answers: Record<string, { status: number; body: unknown }>): Promise<{ app: FastifyInstance; base: string }> {
  const a = Fastify();
  registerWireSchemas(a);
  if (check) installResponseCheck(a);
  for (const [url, answer] of Object.entries(answers)) {
    const schema = url.startsWith("/record") ? RecordViewSchema : NodeViewSchema;
    a.get(url, { schema: { response: responses({ 200: { schema, description: "ok" } }, [404]) } }, async (_request, reply) => {
      void reply.status(answer.status);
      return answer.body;
    });
  }
  const base = await a.listen({ host: "127.0.0.1", port: 0 });
  return { app: a, base };
}

async function get(base: string, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(base + path);
  return { status: res.status, text: await res.text() };
}

describe("response check (fastify, the wire schemas, HTTP)", () => {
  const answers = {
    "/node": { status: 200, body: node },
    "/node-extra": { status: 200, body: { ...node, addedLater: 1 } },
    "/node-coerced": { status: 200, body: { ...node, slot: "3" } },
    "/node-const": { status: 200, body: { ...node, status: "gone" } },
    "/node-202": { status: 202, body: node },
    "/node-404": { status: 404, body: { error: { code: "NOT_FOUND", message: "no such node" } } },
    "/node-404-extra": { status: 404, body: { error: { code: "NOT_FOUND", message: "no such node", hint: "x" } } },
    "/record": { status: 200, body: view },
    "/record-nested-extra": { status: 200, body: { ...view, receipt: { ...receipt, note: "x" } } },
    "/record-chunk-missing-field": { status: 200, body: { ...view, record: { ...record, signature: undefined, chunk: { size: 2, index: 0, path: [HEX], signature: "ef".repeat(64), digest: HEX } } } },
  };
  let checked: { app: FastifyInstance; base: string };
  let unchecked: { app: FastifyInstance; base: string };

  before(async () => {
    checked = await app(true, answers);
    unchecked = await app(false, answers);
  });
  after(async () => {
    await checked?.app.close();
    await unchecked?.app.close();
  });

  it("passes an answer its schema describes, as JSON.stringify writes it", async () => {
    for (const path of ["/node", "/record", "/node-404"]) {
      const r = await get(checked.base, path);
      expect(r.status, path).to.equal(path === "/node-404" ? 404 : 200);
      expect(r.text, path).to.equal(JSON.stringify(answers[path as keyof typeof answers].body));
    }
  });

  it("without the check, the serializer drops a field its schema lacks and coerces a wrong type (what the check is for)", async () => {
    const extra = await get(unchecked.base, "/node-extra");
    expect(extra.status).to.equal(200);
    expect(JSON.parse(extra.text)).to.not.have.property("addedLater");
    const coerced = await get(unchecked.base, "/node-coerced");
    expect(JSON.parse(coerced.text).slot).to.equal(3);
    const constant = await get(unchecked.base, "/node-const");
    expect(JSON.parse(constant.text).status).to.equal("gone");
  });

  it("answers 500 naming a field the handler returns and the schema lacks, at any depth", async () => {
    const top = await get(checked.base, "/node-extra");
    expect(top.status).to.equal(500);
    expect(JSON.parse(top.text).error.code).to.equal("INTERNAL");
    expect(JSON.parse(top.text).error.message).to.contain("GET /node-extra (200)").and.to.contain("addedLater");
    const nested = await get(checked.base, "/record-nested-extra");
    expect(nested.status).to.equal(500);
    expect(JSON.parse(nested.text).error.message).to.contain("/receipt").and.to.contain("note");
    const chunk = await get(checked.base, "/record-chunk-missing-field");
    expect(chunk.status).to.equal(500);
    expect(JSON.parse(chunk.text).error.message).to.contain("/record");
    const error = await get(checked.base, "/node-404-extra");
    expect(error.status).to.equal(500);
    expect(JSON.parse(error.text).error.message).to.contain("(404)").and.to.contain("hint");
  });

  it("answers 500 for a value of another type than its schema's, and for a status without a schema", async () => {
    const coerced = await get(checked.base, "/node-coerced");
    expect(coerced.status).to.equal(500);
    expect(JSON.parse(coerced.text).error.message).to.contain("/slot");
    const constant = await get(checked.base, "/node-const");
    expect(constant.status).to.equal(500);
    expect(JSON.parse(constant.text).error.message).to.contain("/status");
    const undeclared = await get(checked.base, "/node-202");
    expect(undeclared.status).to.equal(500);
    expect(JSON.parse(undeclared.text).error.message).to.contain("no response schema for status 202");
  });

  it("every wire schema compiles under Ajv's strict mode (no unknown keyword, no typo), open and closed", () => {
    for (const transform of [(s: unknown) => s, strictSchema]) {
      const ajv = new Ajv({ strict: true, allErrors: true });
      for (const s of wireSchemaDefinitions()) ajv.addSchema(transform(s) as object);
      for (const s of wireSchemaDefinitions()) expect(() => ajv.getSchema(s.$id), s.$id).to.not.throw();
    }
  });

  it("strictSchema closes every object schema, and leaves property names, enums and explicit additionalProperties alone", () => {
    const s = strictSchema({
      type: "object",
      properties: { type: { type: "object", properties: { a: { type: "string" } } }, e: { enum: [{ x: 1 }] }, open: { type: "object", additionalProperties: true } },
      required: ["type"],
    }) as Record<string, unknown> & { properties: Record<string, Record<string, unknown>> };
    expect(s["additionalProperties"]).to.equal(false);
    expect(s.properties["type"]!["additionalProperties"]).to.equal(false);
    expect(s.properties["e"]).to.deep.equal({ enum: [{ x: 1 }] });
    expect(s.properties["open"]!["additionalProperties"]).to.equal(true);
  });
});
