/**
 * @provenance/client-sdk — the protocol's math in one place, safe to run in a browser:
 * record format and hashing, EdDSA-Poseidon keys and signatures, Merkle trees, the node
 * registry, batches and their proven statement, receipts, bundles and their verification, the
 * wire contract of the sequencer's API and its client. Node-only helpers (key files, dataset
 * manifests, the auditor) live in `@provenance/client-sdk/node`; the sequencer's fast ingest
 * paths in `@provenance/ingest-engine`.
 */
export * from "./errors.js";
export * from "./field.js";
export * from "./eddsa.js";
export * from "./merkle.js";
export * from "./record.js";
export * from "./chunk.js";
export * from "./signed-chunk.js";
export * from "./registry.js";
export * from "./batch.js";
export * from "./idl/index.js";
export * from "./idl/constants.js";
export * from "./receipt.js";
export * from "./notice.js";
export * from "./bundle.js";
export * from "./accumulator.js";
export * from "./refresh.js";
export * from "./chainlog.js";
export * from "./groth16-layout.js";
export * from "./verify.js";
export * from "./offline.js";
export * from "./content.js";
export * from "./wire.js";
export * from "./wire-schema.js";
export * from "./client.js";
export * from "./verifying-keys.js";
export * from "./abort.js";
