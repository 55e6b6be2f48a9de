/**
 * The response check (PROVENANCE_CHECK_RESPONSES=1, on in every test run; `tests/support/mocha-setup.ts`):
 * proves that every answer is what its response schema (and so the OpenAPI document) says, field
 * for field. Fastify's default serializer, fast-json-stringify, silently drops any property the
 * schema does not list and coerces values to its types; the sequencer serializes with
 * JSON.stringify instead (api.ts), and this check holds either way. For every answer of a route:
 *
 *   1. the route has a response schema for the status it answers;
 *   2. the value the handler (or the error handler) returned is valid under that schema with no
 *      other property allowed anywhere (Ajv, strict copies of the wire schemas): a field added to
 *      a handler but not to its schema fails here;
 *   3. the bytes sent are `JSON.stringify` of that value, as before there were schemas: nothing
 *      dropped, added, coerced or reordered (fast-json-stringify would write an object's
 *      required properties first).
 *
 * A failed check answers 500 INTERNAL naming the route, the status and what differs (and logs
 * it), so the test that made the request fails with the reason.
 */
import { Ajv, type ValidateFunction } from "ajv";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { wireSchemaDefinitions } from "./http-schemas.js";

/** Whether the process asks for the check (the test suites set it). */
export function responseCheckRequested(env: Record<string, string | undefined> = process.env): boolean {
  return env["PROVENANCE_CHECK_RESPONSES"] === "1";
}

/**
 * `schema` with `additionalProperties: false` on every object schema that says nothing about
 * other properties: what the check validates against.
 */
export function strictSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (schema === null || typeof schema !== "object") return schema;
  const o = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    // Property names and enum values are data, not schemas.
    if (k === "properties" && v && typeof v === "object") out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, strictSchema(s)]));
    else if (k === "enum" || k === "const" || k === "required" || k === "headers") out[k] = v;
    else out[k] = strictSchema(v);
  }
  const isObject = o["type"] === "object" || (Array.isArray(o["type"]) && o["type"].includes("object")) || "properties" in o;
  if (isObject && !("additionalProperties" in o) && !("patternProperties" in o)) out["additionalProperties"] = false;
  return out;
}

/** The first difference between two JSON values, as a path and what each side has. */
export function firstDifference(sent: unknown, expected: unknown, at = ""): string | null {
  if (typeof sent !== typeof expected || Array.isArray(sent) !== Array.isArray(expected) || (sent === null) !== (expected === null)) {
    return `${at || "/"}: sent ${JSON.stringify(sent)}, the handler returned ${JSON.stringify(expected)}`;
  }
  if (sent !== null && typeof sent === "object") {
    const a = sent as Record<string, unknown>;
    const b = expected as Record<string, unknown>;
    for (const k of Object.keys(b)) if (!(k in a)) return `${at}/${k}: dropped by the serializer (not in the response schema)`;
    for (const k of Object.keys(a)) if (!(k in b)) return `${at}/${k}: sent but not returned by the handler`;
    for (const k of Object.keys(b)) {
      const d = firstDifference(a[k], b[k], `${at}/${k}`);
      if (d) return d;
    }
    return null;
  }
  return sent === expected ? null : `${at || "/"}: sent ${JSON.stringify(sent)}, the handler returned ${JSON.stringify(expected)}`;
}

interface Pending {
  payload: unknown;
  violation: string | null;
}

/** Installs the check on `app` (before its routes are registered, after the wire schemas are). */
export function installResponseCheck(app: FastifyInstance): void {
  const ajv = new Ajv({ strict: false, allErrors: false, coerceTypes: false, useDefaults: false, removeAdditional: false });
  for (const s of wireSchemaDefinitions()) ajv.addSchema(strictSchema(s) as object);
  // By route and status, compiled as the routes are registered, so no request pays for it (the
  // first answers of a route would otherwise be late by the compile).
  const validators = new Map<string, ValidateFunction>();
  const key = (method: string, url: string, status: number | string) => `${method} ${url} ${status}`;
  app.addHook("onRoute", (route) => {
    const schemas = (route.schema as { response?: Record<string, unknown> } | undefined)?.response;
    for (const method of [route.method].flat()) {
      for (const [status, s] of Object.entries(schemas ?? {})) if (s && typeof s === "object") validators.set(key(method, route.url, status), ajv.compile(strictSchema(s) as object));
    }
  });
  const pending = new WeakMap<FastifyRequest, Pending>();
  const where = (request: FastifyRequest, reply: FastifyReply) => `${request.method} ${request.routeOptions.url ?? request.url} (${reply.statusCode})`;

  app.addHook("preSerialization", async (request, reply, payload) => {
    if (request.is404 && request.routeOptions.url === undefined) return payload;
    const validate = validators.get(key(request.method, request.routeOptions.url ?? "", reply.statusCode));
    let violation: string | null = null;
    if (!validate) {
      violation = `${where(request, reply)}: no response schema for status ${reply.statusCode}`;
    } else {
      if (!validate(payload)) {
        const e = validate.errors?.[0];
        violation = `${where(request, reply)}: the answer does not match its schema: ${e?.instancePath || "/"} ${e?.message ?? ""}${e?.params && "additionalProperty" in e.params ? ` (${String(e.params["additionalProperty"])})` : ""}`;
      }
    }
    pending.set(request, { payload, violation });
    return payload;
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const p = pending.get(request);
    if (!p) return payload;
    pending.delete(request);
    let violation = p.violation;
    if (violation === null) {
      const expected = JSON.stringify(p.payload);
      if (typeof payload !== "string") violation = `${where(request, reply)}: the serialized answer is not a string`;
      else if (payload !== expected) {
        let detail: string | null;
        try {
          detail = firstDifference(JSON.parse(payload), JSON.parse(expected));
        } catch {
          detail = "the serializer wrote invalid JSON";
        }
        violation = `${where(request, reply)}: the bytes sent are not JSON.stringify of the answer: ${detail ?? "the same members in another order"}`;
      }
    }
    if (violation === null) return payload;
    request.log.error({ violation }, "response check failed");
    void reply.code(500).header("content-type", "application/json; charset=utf-8");
    return JSON.stringify({ error: { code: "INTERNAL", message: `response check: ${violation}` } });
  });
}
