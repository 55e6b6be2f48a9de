/**
 * The SDK's wire types (src/wire.ts and the record, receipt, notice and bundle types) against
 * the JSON Schemas the sequencer serializes its answers with (src/wire-schema.ts):
 *
 * - at compile time (`npm run check`): the type `FromSchema` derives from each schema, with no
 *   other property allowed, and the SDK's type are assignable both ways, so a field added to
 *   one and not the other is a type error;
 * - at run time: each object schema requires only properties it lists (the sequencer's tests
 *   compile them under Ajv's strict mode and check every answer against them).
 */
import { expect } from "chai";
import type { FromSchema } from "json-schema-to-ts";
import {
  WIRE_SCHEMAS,
  type AnyRecord,
  type BatchAnchor,
  type BatchDetail,
  type BatchPage,
  type BatchProofView,
  type BatchRecords,
  type BatchSummary,
  type ChunkRecordV1,
  type DroppedNotice,
  type ErrorEnvelope,
  type HealthAnswer,
  type InclusionBundle,
  type NodeAdded,
  type NodeEntry,
  type NodeList,
  type NodeRevoked,
  type NodeView,
  type Receipt,
  type ReceiptKeyAnswer,
  type RecordPage,
  type RecordV1,
  type RecordView,
  type SignedChunkV1,
  type SubmitAnswer,
  type SubmitManyAnswer,
  type SubmitRecordsAnswer,
} from "../src/index.js";

// --- compile time -----------------------------------------------------------------------------

/** A schema with no other property allowed in any object (as the sequencer's tests check answers). */
type Closed<S> = S extends readonly unknown[]
  ? { [I in keyof S]: Closed<S[I]> }
  : S extends { type: "object" }
    ? { [K in keyof S | "additionalProperties"]: K extends "additionalProperties" ? false : K extends "properties" ? { [P in keyof S[K]]: Closed<S[K][P]> } : K extends keyof S ? Closed<S[K]> : never }
    : S extends object
      ? { [K in keyof S]: K extends "enum" | "const" | "required" ? S[K] : Closed<S[K]> }
      : S;

type Deep<T> = T extends readonly (infer U)[] ? readonly Deep<U>[] : T extends object ? { readonly [K in keyof T]: Deep<T[K]> } : T;
/** Every optional property made required: a type without an optional field is then not the same. */
type Keys<T> = T extends readonly (infer U)[] ? readonly Keys<U>[] : T extends object ? { readonly [K in keyof T]-?: Keys<T[K]> } : T;
type Both<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** True when A and B are assignable both ways (readonly set aside), optional properties included. */
type Same<A, B> = Both<Deep<A>, Deep<B>> extends true ? Both<Keys<A>, Keys<B>> : false;
type Of<N extends keyof typeof WIRE_SCHEMAS> = FromSchema<Closed<(typeof WIRE_SCHEMAS)[N]>>;

/** Each line fails to compile when the schema and the type disagree. */
const agree = <T extends true>(_: T): void => undefined;
agree<Same<Of<"ErrorEnvelope">, ErrorEnvelope>>(true);
agree<Same<Of<"RecordV1">, RecordV1>>(true);
agree<Same<Of<"ChunkRecordV1">, ChunkRecordV1>>(true);
agree<Same<Of<"AnyRecord">, AnyRecord>>(true);
agree<Same<Of<"Receipt">, Receipt>>(true);
agree<Same<Of<"SubmitAnswer">, SubmitAnswer>>(true);
agree<Same<Of<"SubmitManyAnswer">, SubmitManyAnswer>>(true);
agree<Same<Of<"SubmitRecordsAnswer">, SubmitRecordsAnswer>>(true);
agree<Same<Of<"DroppedNotice">, DroppedNotice>>(true);
agree<Same<Of<"RecordView">, RecordView>>(true);
agree<Same<Of<"RecordPage">, RecordPage>>(true);
agree<Same<Of<"InclusionBundle">, InclusionBundle>>(true);
agree<Same<Of<"BatchSummary">, BatchSummary>>(true);
agree<Same<Of<"BatchPage">, BatchPage>>(true);
agree<Same<Of<"BatchProofView">, BatchProofView>>(true);
agree<Same<Of<"BatchAnchor">, BatchAnchor>>(true);
agree<Same<Of<"BatchDetail">, BatchDetail>>(true);
agree<Same<Of<"BatchRecords">, BatchRecords>>(true);
agree<Same<Of<"NodeEntry">, NodeEntry>>(true);
agree<Same<Of<"NodeView">, NodeView>>(true);
agree<Same<Of<"NodeAdded">, NodeAdded>>(true);
agree<Same<Of<"NodeRevoked">, NodeRevoked>>(true);
agree<Same<Of<"NodeList">, NodeList>>(true);
agree<Same<Of<"ReceiptKeyAnswer">, ReceiptKeyAnswer>>(true);
agree<Same<Of<"HealthAnswer">, HealthAnswer>>(true);
agree<Same<Of<"SignedChunkV1">, SignedChunkV1>>(true);
// The check can fail: a type with one more field is not the schema's.
agree<Same<Of<"NodeEntry">, NodeEntry & { extra: number }> extends false ? true : false>(true);
agree<Same<Of<"RecordView">, Omit<RecordView, "notice">> extends false ? true : false>(true);

// --- run time ---------------------------------------------------------------------------------

/** Every object schema inside `schema`, with where it is. */
function objectSchemas(schema: unknown, at: string): Array<{ at: string; properties: Record<string, unknown>; required: readonly string[] }> {
  if (Array.isArray(schema)) return schema.flatMap((s, i) => objectSchemas(s, `${at}[${i}]`));
  if (schema === null || typeof schema !== "object") return [];
  const o = schema as { properties?: Record<string, unknown>; required?: readonly string[] };
  const here = o.properties ? [{ at, properties: o.properties, required: o.required ?? [] }] : [];
  return [...here, ...Object.entries(schema).flatMap(([k, v]) => (k === "enum" || k === "const" ? [] : objectSchemas(v, `${at}.${k}`)))];
}

describe("wire schemas (client-sdk/src/wire-schema.ts)", () => {
  it("require only properties they list, each once", () => {
    let checked = 0;
    for (const [name, schema] of Object.entries(WIRE_SCHEMAS)) {
      for (const o of objectSchemas(schema, name)) {
        for (const r of o.required) expect(Object.keys(o.properties), `${o.at} requires ${r}`).to.include(r);
        expect(new Set(o.required).size, `${o.at}: required has no repeat`).to.equal(o.required.length);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(Object.keys(WIRE_SCHEMAS).length);
  });
});
