/** @provenance/sequencer — the sequencer service (see README.md and docs/life-of-a-record.md). */
export * from "./config.js";
export * from "./errors.js";
export * from "./receipt.js";
export * from "./notice.js";
export * from "./store.js";
export * from "./ingest.js";
export * from "./pipeline.js";
export * from "./submitter.js";
export * from "./metrics.js";
export * from "./api.js";
export * from "./sequencer.js";
export * from "./chain.js";
export * from "./shapes.js";
export * from "./packing.js";
export * from "./explorer.js";
