/**
 * The JSON Schemas of the sequencer's answers (docs/protocol.md#http, docs/openapi.json): one
 * schema per type of `wire.ts`, written once. The sequencer registers them as the response
 * schemas of its routes, from which fast-json-stringify serializes every answer and
 * `@fastify/swagger` writes the OpenAPI document; the SDK's types in `wire.ts` are checked
 * against them (`client-sdk/test/wire-schema.test.ts`: `FromSchema` of each schema and the
 * type must be assignable both ways), so a field added on one side only is a type error.
 *
 * Each object schema lists its properties in the order the sequencer writes them: the schema
 * serializer writes them in schema order, and the answers stay byte for byte what
 * `JSON.stringify` wrote before there were schemas. Object schemas leave `additionalProperties`
 * unset, as OpenAPI readers expect; the serializer drops any property not listed, and the
 * sequencer's tests check every answer with no other property allowed.
 *
 * Browser-safe: plain constants, no imports.
 */

// --- scalars ----------------------------------------------------------------------------------

const hex64 = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;
const hex128 = { type: "string", pattern: "^[0-9a-f]{128}$" } as const;
/** A base58 program id, genesis hash or transaction signature. */
const base58 = { type: "string", pattern: "^[1-9A-HJ-NP-Za-km-z]+$" } as const;
const count = { type: "integer", minimum: 0 } as const;
/** ms since the epoch. */
const millis = { type: "integer", minimum: 0 } as const;
const nullableCount = { type: ["integer", "null"], minimum: 0 } as const;
const nullableMillis = { type: ["integer", "null"], minimum: 0 } as const;
const hexList = { type: "array", items: hex64 } as const;

// --- errors -----------------------------------------------------------------------------------

export const WireErrorSchema = {
  type: "object",
  description: "What went wrong: a stable code (docs/protocol.md#http-errors) and words for a person.",
  properties: {
    code: { type: "string", description: "The sequencer's code (e.g. NODE_NOT_REGISTERED) or the SDK's (e.g. BAD_SIGNATURE)." },
    message: { type: "string" },
    index: { type: "integer", minimum: 0, description: "Position of the offending record in a multi-record request." },
  },
  required: ["code", "message"],
} as const;

export const ErrorEnvelopeSchema = {
  type: "object",
  description: "The body of every error answer.",
  properties: { error: WireErrorSchema },
  required: ["error"],
} as const;

// --- records ----------------------------------------------------------------------------------

export const RecordV1Schema = {
  type: "object",
  description: "A record signed alone (docs/protocol.md#record).",
  properties: {
    v: { type: "integer", const: 1 },
    url: { type: "string" },
    timestamp: millis,
    contentHash: hex64,
    nodeId: hex64,
    publicKey: hex64,
    signature: hex128,
  },
  required: ["v", "url", "timestamp", "contentHash", "nodeId", "publicKey", "signature"],
} as const;

export const ChunkRefSchema = {
  type: "object",
  description: "A chunk-signed record's place in its chunk: the chunk's size, the record's index, the siblings of its message in the chunk tree (leaf level first) and the chunk's signature.",
  properties: {
    size: { type: "integer", minimum: 1 },
    index: count,
    path: hexList,
    signature: hex128,
  },
  required: ["size", "index", "path", "signature"],
} as const;

export const ChunkRecordV1Schema = {
  type: "object",
  description: "A record signed as part of a chunk (docs/circuit-v2.md): a v1 record with `chunk` in place of `signature`.",
  properties: {
    v: { type: "integer", const: 1 },
    url: { type: "string" },
    timestamp: millis,
    contentHash: hex64,
    nodeId: hex64,
    publicKey: hex64,
    chunk: ChunkRefSchema,
  },
  required: ["v", "url", "timestamp", "contentHash", "nodeId", "publicKey", "chunk"],
} as const;

export const AnyRecordSchema = { oneOf: [RecordV1Schema, ChunkRecordV1Schema] } as const;

export const ReceiptV1Schema = {
  type: "object",
  description: "A receipt of a sequencer without a chain (docs/protocol.md#receipt): binds id, seq and receivedAt.",
  properties: {
    v: { type: "integer", const: 1 },
    id: hex64,
    seq: count,
    receivedAt: millis,
    sequencerKey: hex64,
    signature: hex128,
  },
  required: ["v", "id", "seq", "receivedAt", "sequencerKey", "signature"],
} as const;

export const ReceiptV2Schema = {
  type: "object",
  description: "A receipt of an anchoring sequencer: also binds the program id and the cluster's genesis hash.",
  properties: {
    v: { type: "integer", const: 2 },
    id: hex64,
    seq: count,
    receivedAt: millis,
    programId: base58,
    genesisHash: base58,
    sequencerKey: hex64,
    signature: hex128,
  },
  required: ["v", "id", "seq", "receivedAt", "programId", "genesisHash", "sequencerKey", "signature"],
} as const;

export const ReceiptSchema = { oneOf: [ReceiptV1Schema, ReceiptV2Schema] } as const;

const recordStatus = { type: "string", enum: ["pending", "batched", "proven", "anchored", "dropped"] } as const;
const batchState = { type: "string", enum: ["batched", "proven", "anchored"] } as const;

export const SubmitAnswerSchema = {
  type: "object",
  description: "One record's answer to a submission.",
  properties: {
    id: hex64,
    seq: count,
    status: recordStatus,
    duplicate: { type: "boolean", description: "True when the sequencer had the record already (the receipt is the original one)." },
    receipt: ReceiptSchema,
  },
  required: ["id", "seq", "status", "duplicate", "receipt"],
} as const;

export const SubmitManyAnswerSchema = {
  type: "object",
  description: "One answer per record, in request (or chunk) order.",
  properties: { records: { type: "array", items: SubmitAnswerSchema } },
  required: ["records"],
} as const;

export const SubmitRecordsAnswerSchema = {
  description: "A single record's answer, or `{ records }` for a request of `{ records: [...] }`.",
  oneOf: [SubmitAnswerSchema, SubmitManyAnswerSchema],
} as const;

export const DroppedNoticeSchema = {
  type: "object",
  description: "The sequencer's signed word that a record will never be anchored (docs/protocol.md#dropped-notice).",
  properties: {
    v: { type: "integer", const: 1 },
    id: hex64,
    seq: count,
    batch: count,
    reason: { type: "string", enum: ["NODE_REVOKED"] },
    droppedAt: millis,
    programId: base58,
    genesisHash: base58,
    sequencerKey: hex64,
    signature: hex128,
  },
  required: ["v", "id", "seq", "batch", "reason", "droppedAt", "programId", "genesisHash", "sequencerKey", "signature"],
} as const;

export const RecordViewSchema = {
  type: "object",
  description: "A stored record, its status and where it is.",
  properties: {
    id: hex64,
    seq: count,
    status: recordStatus,
    batch: { ...nullableCount, description: "The record's batch once sealed (for a dropped record: the batch it was taken from)." },
    leafIndex: { ...nullableCount, description: "The record's slot in its batch tree." },
    receivedAt: millis,
    record: AnyRecordSchema,
    receipt: ReceiptSchema,
    reason: { type: "string", description: "Status `dropped` only: why, in words." },
    notice: DroppedNoticeSchema,
  },
  required: ["id", "seq", "status", "batch", "leafIndex", "receivedAt", "record", "receipt"],
} as const;

export const RecordPageSchema = {
  type: "object",
  description: "A page of a search, in seq order.",
  properties: {
    records: { type: "array", items: RecordViewSchema },
    next: { type: ["string", "null"], description: "The `after` of the next page; null once the index is done." },
  },
  required: ["records", "next"],
} as const;

// --- bundles ----------------------------------------------------------------------------------

export const InclusionProofJsonSchema = {
  type: "object",
  description: "A Merkle path: the leaf, its index and the siblings, leaf level first.",
  properties: { leaf: hex64, index: count, siblings: hexList },
  required: ["leaf", "index", "siblings"],
} as const;

export const BundleBatchSchema = {
  type: "object",
  properties: { index: count, batchRoot: hex64, count, minTs: millis, maxTs: millis, registryRoot: hex64 },
  required: ["index", "batchRoot", "count", "minTs", "maxTs", "registryRoot"],
} as const;

export const BundleAccumulatorPathSchema = {
  type: "object",
  description: "The path from the batch's accumulator leaf to an accumulator root.",
  properties: { position: count, size: { type: "integer", minimum: 1 }, root: hex64, siblings: hexList },
  required: ["position", "size", "root", "siblings"],
} as const;

export const InclusionBundleSchema = {
  type: "object",
  description: "An inclusion proof bundle (docs/protocol.md#bundle): version 2 carries `accumulator`.",
  properties: {
    v: { type: "integer", enum: [1, 2] },
    record: AnyRecordSchema,
    id: hex64,
    leafIndex: count,
    inclusionProof: InclusionProofJsonSchema,
    batch: BundleBatchSchema,
    programId: base58,
    cluster: { type: "string", description: "A cluster name such as `localnet` or `devnet`, or a genesis hash." },
    txSignature: base58,
    slot: count,
    accumulator: BundleAccumulatorPathSchema,
  },
  required: ["v", "record", "id", "leafIndex", "inclusionProof", "batch", "programId", "cluster", "txSignature", "slot"],
} as const;

// --- batches ----------------------------------------------------------------------------------

const batchSummaryProperties = {
  index: count,
  state: batchState,
  count,
  firstSeq: count,
  batchRoot: hex64,
  registryRoot: hex64,
  registryVersion: { ...count, description: "The sequencer's registry version whose root `registryRoot` is (absent from sequencers before it was served)." },
  minTs: millis,
  maxTs: millis,
  publicHash: hex64,
  sealedAt: millis,
  provenAt: nullableMillis,
  proveMs: { type: ["number", "null"], minimum: 0, description: "How long the proof took, ms." },
  anchoredAt: nullableMillis,
  txSignature: { type: ["string", "null"], pattern: "^[1-9A-HJ-NP-Za-km-z]+$" },
} as const;
const batchSummaryRequired = [
  "index",
  "state",
  "count",
  "firstSeq",
  "batchRoot",
  "registryRoot",
  "minTs",
  "maxTs",
  "publicHash",
  "sealedAt",
  "provenAt",
  "proveMs",
  "anchoredAt",
  "txSignature",
] as const;

export const BatchSummarySchema = {
  type: "object",
  description: "A batch's statement and progress (`provenAt`, `proveMs`, `anchoredAt`, `txSignature` null until reached).",
  properties: batchSummaryProperties,
  required: batchSummaryRequired,
} as const;

export const BatchPageSchema = {
  type: "object",
  properties: { batches: { type: "array", items: BatchSummarySchema }, total: { ...count, description: "Batches the sequencer has in all." } },
  required: ["batches", "total"],
} as const;

const decimalList = { type: "array", items: { type: "string", pattern: "^[0-9]+$" } } as const;

export const SnarkjsProofSchema = {
  type: "object",
  description: "A Groth16 proof in snarkjs JSON (projective coordinates, decimal).",
  properties: {
    pi_a: decimalList,
    pi_b: { type: "array", items: decimalList },
    pi_c: decimalList,
    protocol: { type: "string" },
    curve: { type: "string" },
  },
  required: ["pi_a", "pi_b", "pi_c"],
} as const;

const hexBytes = { type: "string", pattern: "^([0-9a-f]{2})+$" } as const;

export const BatchProofViewSchema = {
  type: "object",
  description: "A batch's Groth16 proof: snarkjs JSON and the `submit_batch` byte layout (hex).",
  properties: {
    circuit: { type: "string" },
    shape: { type: "integer", minimum: 0, description: "The circuit's shape in its family (0 chunk shape, 1 single shape); absent from proofs stored before shapes: 0." },
    proof: SnarkjsProofSchema,
    publicSignals: decimalList,
    solana: {
      type: "object",
      properties: { proofA: hexBytes, proofB: hexBytes, proofC: hexBytes },
      required: ["proofA", "proofB", "proofC"],
    },
  },
  required: ["circuit", "proof", "publicSignals", "solana"],
} as const;

export const BatchAnchorSchema = {
  type: "object",
  description: "Where a batch was anchored.",
  properties: { txSignature: base58, slot: count, anchoredAt: millis, programId: base58, cluster: { type: "string" } },
  required: ["txSignature", "slot", "anchoredAt", "programId", "cluster"],
} as const;

export const BatchDetailSchema = {
  type: "object",
  description: "A batch with its proof and anchor (null until proven, anchored).",
  properties: {
    ...batchSummaryProperties,
    proof: { oneOf: [BatchProofViewSchema, { type: "null" }] },
    anchor: { oneOf: [BatchAnchorSchema, { type: "null" }] },
  },
  required: [...batchSummaryRequired, "proof", "anchor"],
} as const;

export const BatchRecordsSchema = {
  type: "object",
  description: "A batch's records in leaf order; `leafIndex` (each record's slot) is given for a batch with holes between its regions.",
  properties: {
    index: count,
    state: batchState,
    batchRoot: hex64,
    records: {
      type: "array",
      items: {
        type: "object",
        properties: { id: hex64, seq: count, record: AnyRecordSchema, leafIndex: count },
        required: ["id", "seq", "record"],
      },
    },
  },
  required: ["index", "state", "batchRoot", "records"],
} as const;

// --- registry ---------------------------------------------------------------------------------

const nodeStatus = { type: "string", enum: ["active", "revoked"] } as const;

export const NodeEntrySchema = {
  type: "object",
  properties: { nodeId: hex64, slot: count, status: nodeStatus },
  required: ["nodeId", "slot", "status"],
} as const;

export const NodeViewSchema = {
  type: "object",
  description: "One registry entry and the current registry root.",
  properties: { nodeId: hex64, slot: count, status: nodeStatus, registryRoot: hex64, registryVersion: count },
  required: ["nodeId", "slot", "status", "registryRoot"],
} as const;

export const NodeAddedSchema = {
  type: "object",
  description: "The registered node and the registry it is now in.",
  properties: { nodeId: hex64, slot: count, status: { type: "string", const: "active" }, registryRoot: hex64, registryVersion: count },
  required: ["nodeId", "slot", "status", "registryRoot", "registryVersion"],
} as const;

export const NodeRevokedSchema = {
  type: "object",
  description: "The revoked node, the registry after it, and the pending batches sealed before the revocation.",
  properties: {
    nodeId: hex64,
    slot: count,
    status: { type: "string", const: "revoked" },
    registryRoot: hex64,
    registryVersion: count,
    sealedBatches: { type: "array", items: count },
  },
  required: ["nodeId", "slot", "status", "registryRoot", "registryVersion", "sealedBatches"],
} as const;

export const NodeListSchema = {
  type: "object",
  description: "Every registry entry, in slot order: with `registryLevels`, enough to recompute `registryRoot`.",
  properties: {
    registryRoot: hex64,
    registryVersion: count,
    registryLevels: { type: "integer", minimum: 1 },
    nodes: { type: "array", items: NodeEntrySchema },
  },
  required: ["registryRoot", "registryVersion", "registryLevels", "nodes"],
} as const;

// --- operations -------------------------------------------------------------------------------

export const ReceiptKeyAnswerSchema = {
  type: "object",
  description: "The sequencer's ed25519 receipt key and the receipts it issues now.",
  properties: {
    algorithm: { type: "string", const: "ed25519" },
    publicKey: hex64,
    receipt: {
      type: "object",
      properties: {
        version: { type: "integer", enum: [1, 2] },
        domain: { type: "string" },
        messageBytes: { type: "integer", minimum: 1 },
        layout: { type: "string" },
        programId: base58,
        genesisHash: base58,
      },
      required: ["domain", "messageBytes", "layout"],
    },
  },
  required: ["algorithm", "publicKey", "receipt"],
} as const;

const nullableText = { type: ["string", "null"] } as const;

export const HealthAnswerSchema = {
  type: "object",
  description: "Health: 200 with status `ok`, 503 with status `degraded`. Fields beyond `status` are not protocol (docs/protocol.md#versioning).",
  properties: {
    status: { type: "string", enum: ["ok", "degraded"] },
    records: {
      type: "object",
      properties: { total: count, pending: count, unproven: count, unanchored: count, inFlight: count },
      required: ["total", "pending", "unproven", "unanchored", "inFlight"],
    },
    batches: { type: "object", properties: { total: count }, required: ["total"] },
    ingest: {
      type: "object",
      description: "What a node needs to sign chunks for this deployment: `chunkSize` 0 means no chunks.",
      properties: { chunkSize: count, maxRecordsPerRequest: { type: "integer", minimum: 1 } },
      required: ["chunkSize", "maxRecordsPerRequest"],
    },
    registry: {
      type: "object",
      properties: { version: count, root: hex64, nodes: count },
      required: ["version", "root", "nodes"],
    },
    prover: {
      type: "object",
      properties: {
        ok: { type: "boolean" },
        circuit: { type: "string" },
        workers: count,
        backend: { type: "string" },
        batchesWaiting: count,
        lastError: nullableText,
        queue: {
          type: "object",
          description: "Proving through prover workers (PROVENANCE_PROVER_QUEUE): the queue and its workers.",
          properties: {
            url: { type: "string" },
            detail: { type: "string" },
            reachable: { type: "boolean" },
            error: nullableText,
            waiting: count,
            active: count,
            delayed: count,
            failed: count,
            workers: count,
            otherWorkers: count,
          },
          required: ["url", "detail", "reachable", "error", "waiting", "active", "delayed", "failed", "workers", "otherWorkers"],
        },
      },
      required: ["ok", "circuit", "workers", "batchesWaiting", "lastError"],
    },
    chain: {
      oneOf: [
        {
          type: "object",
          description: "Anchoring to a chain.",
          properties: {
            configured: { type: "boolean", const: true },
            description: { type: "string" },
            ok: { type: "boolean" },
            detail: { type: "string" },
            lastError: nullableText,
            submission: {
              type: "object",
              properties: {
                ok: { type: "boolean" },
                state: { type: "string", enum: ["moving", "failing", "waiting"] },
                since: millis,
                forMs: count,
                reason: { type: "string" },
                unhealthyAfterMs: count,
              },
              required: ["ok", "state", "unhealthyAfterMs"],
            },
            registry: { ...nullableText, description: "The registry sync's last report (e.g. a version the admin must push)." },
          },
          required: ["configured", "description", "ok", "detail", "lastError", "submission", "registry"],
        },
        {
          type: "object",
          description: "No chain client: batches stop at proven.",
          properties: { configured: { type: "boolean", const: false }, ok: { type: "boolean" }, detail: { type: "string" } },
          required: ["configured", "ok", "detail"],
        },
      ],
    },
  },
  required: ["status", "records", "batches", "ingest", "registry", "prover", "chain"],
} as const;

// --- request bodies ---------------------------------------------------------------------------

/**
 * What POST /v1/records takes, for the document only: the sequencer checks a record with the
 * SDK's `parseRecord` (its codes and messages), not with this schema.
 */
export const SubmitRecordsBodySchema = {
  description: "One record signed alone, or `{ records }` with 1..1000 of them (all or nothing).",
  oneOf: [
    RecordV1Schema,
    {
      type: "object",
      properties: { records: { type: "array", minItems: 1, maxItems: 1000, items: RecordV1Schema } },
      required: ["records"],
      additionalProperties: false,
    },
  ],
} as const;

export const ChunkObservationSchema = {
  type: "object",
  properties: { url: { type: "string" }, timestamp: millis, contentHash: hex64 },
  required: ["url", "timestamp", "contentHash"],
  additionalProperties: false,
} as const;

/** What POST /v1/chunks takes (docs/circuit-v2.md#wire-forms), for the document only: checked by the SDK's `parseChunk`. */
export const SignedChunkV1Schema = {
  type: "object",
  description: "A chunk of a node's records signed once: 1..C records, C the deployment's chunk size (GET /healthz: ingest.chunkSize).",
  properties: {
    v: { type: "integer", const: 1 },
    nodeId: hex64,
    publicKey: hex64,
    signature: hex128,
    records: { type: "array", minItems: 1, items: ChunkObservationSchema },
  },
  required: ["v", "nodeId", "publicKey", "signature", "records"],
  additionalProperties: false,
} as const;

/**
 * Every named schema, by the name the OpenAPI document gives it (`components.schemas`): the
 * sequencer refers to these objects themselves, so each is written once in the document.
 */
export const WIRE_SCHEMAS = {
  ErrorEnvelope: ErrorEnvelopeSchema,
  WireError: WireErrorSchema,
  RecordV1: RecordV1Schema,
  ChunkRef: ChunkRefSchema,
  ChunkRecordV1: ChunkRecordV1Schema,
  AnyRecord: AnyRecordSchema,
  ReceiptV1: ReceiptV1Schema,
  ReceiptV2: ReceiptV2Schema,
  Receipt: ReceiptSchema,
  SubmitAnswer: SubmitAnswerSchema,
  SubmitManyAnswer: SubmitManyAnswerSchema,
  SubmitRecordsAnswer: SubmitRecordsAnswerSchema,
  DroppedNotice: DroppedNoticeSchema,
  RecordView: RecordViewSchema,
  RecordPage: RecordPageSchema,
  InclusionProofJson: InclusionProofJsonSchema,
  BundleBatch: BundleBatchSchema,
  BundleAccumulatorPath: BundleAccumulatorPathSchema,
  InclusionBundle: InclusionBundleSchema,
  BatchSummary: BatchSummarySchema,
  BatchPage: BatchPageSchema,
  SnarkjsProof: SnarkjsProofSchema,
  BatchProofView: BatchProofViewSchema,
  BatchAnchor: BatchAnchorSchema,
  BatchDetail: BatchDetailSchema,
  BatchRecords: BatchRecordsSchema,
  NodeEntry: NodeEntrySchema,
  NodeView: NodeViewSchema,
  NodeAdded: NodeAddedSchema,
  NodeRevoked: NodeRevokedSchema,
  NodeList: NodeListSchema,
  ReceiptKeyAnswer: ReceiptKeyAnswerSchema,
  HealthAnswer: HealthAnswerSchema,
  SubmitRecordsBody: SubmitRecordsBodySchema,
  ChunkObservation: ChunkObservationSchema,
  SignedChunkV1: SignedChunkV1Schema,
} as const;

export type WireSchemaName = keyof typeof WIRE_SCHEMAS;
