/**
 * The response schemas of the HTTP API's routes, from the SDK's wire schemas
 * (client-sdk/src/wire-schema.ts): every status a route answers, success and error, has one.
 * `@fastify/swagger` writes the OpenAPI document from them (GET /v1/openapi.json,
 * docs/openapi.json), and the tests check every answer against them (`response-check.ts`).
 * Answers are serialized with JSON.stringify (api.ts), so a schema that missed a field would
 * not lose it on the wire, only in the document, which the check refuses.
 *
 * The wire schemas are registered once each under their name (`$id`), and every route schema
 * refers to them by `$ref`, so the document names each type once (`components.schemas`).
 */
import type { FastifyInstance } from "fastify";
import { ErrorEnvelopeSchema, WIRE_SCHEMAS } from "@provenance/client-sdk";

const NAMES = new Map<unknown, string>(Object.entries(WIRE_SCHEMAS).map(([name, schema]) => [schema, name]));

/** `schema` with each named wire schema inside it (but `self`) replaced by a `$ref` to its registered copy. */
export function withRefs(schema: unknown, self?: unknown): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withRefs(s));
  if (schema !== null && typeof schema === "object") {
    const name = schema === self ? undefined : NAMES.get(schema);
    if (name !== undefined) return { $ref: `${name}#` };
    return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, withRefs(v)]));
  }
  return schema;
}

/** The registered copy of every wire schema, by `$id`. */
export function wireSchemaDefinitions(): Array<{ $id: string } & Record<string, unknown>> {
  return Object.entries(WIRE_SCHEMAS).map(([name, schema]) => ({ $id: name, ...(withRefs(schema, schema) as Record<string, unknown>) }));
}

export function registerWireSchemas(app: FastifyInstance): void {
  for (const s of wireSchemaDefinitions()) app.addSchema(s);
}

const RETRY_AFTER = { "retry-after": { type: "integer", minimum: 1, description: "Seconds to wait before trying again." } } as const;

/** What each error status means, as the OpenAPI document says it (docs/protocol.md#http-errors). */
const ERROR_STATUS: Record<number, { description: string; headers?: object }> = {
  400: { description: "Bad request: malformed JSON, parameters or envelope (INVALID_REQUEST), or a record or chunk failing a check (the SDK's code, e.g. BAD_SIGNATURE)." },
  401: { description: "UNAUTHORIZED: the admin token is missing or wrong (Authorization: Bearer <token>)." },
  403: { description: "NODE_NOT_REGISTERED: the record's node is not an active member of the registry." },
  404: { description: "NOT_FOUND (or UNKNOWN_NODE): no such record, batch or node." },
  409: { description: "Conflict." },
  413: { description: "PAYLOAD_TOO_LARGE: the body is over PROVENANCE_BODY_LIMIT_BYTES." },
  415: { description: "UNSUPPORTED_MEDIA_TYPE: send the body as application/json." },
  429: { description: "RATE_LIMITED: the client address or the node is over its limit (docs/operations.md#rate-limits).", headers: RETRY_AFTER },
  500: { description: "INTERNAL: an unexpected failure (no detail)." },
  502: { description: "CHAIN: the chain refused or failed a request." },
  503: { description: "OVERLOADED (pending work is past its bound) or SHUTTING_DOWN.", headers: RETRY_AFTER },
  507: { description: "TREE_FULL: the registry tree has no free slot." },
};

export type ErrorStatus = number | readonly [status: number, description: string];

/** A success answer: its schema and what it means. */
export interface Success {
  schema: unknown;
  description: string;
}

/**
 * A route's `response` map: the success statuses with their schemas, and each error status
 * with the shared error envelope (`[status, description]` to say what the status means on
 * this route). 500 is always there.
 */
export function responses(success: Record<number, Success>, errors: readonly ErrorStatus[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, s] of Object.entries(success)) out[status] = { description: s.description, ...(withRefs(s.schema) as object) };
  const all = [...errors.map((e) => (typeof e === "number" ? ([e, undefined] as const) : e)), [500, undefined] as const];
  for (const [status, description] of all) {
    const known = ERROR_STATUS[status];
    if (!known) throw new Error(`no description of error status ${status}`);
    out[String(status)] = { description: description ?? known.description, ...(known.headers ? { headers: known.headers } : {}), ...(withRefs(ErrorEnvelopeSchema) as object) };
  }
  return out;
}
