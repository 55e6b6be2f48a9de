/**
 * Node.js-only parts of the SDK: key files, dataset manifests and the auditor. (The fast ingest
 * paths the sequencer uses, native and in worker threads, are `@provenance/ingest-engine`.)
 */
export * from "./keys.js";
export * from "./manifest.js";
export * from "./audit.js";
export * from "./admin.js";
export * from "./content.js";
