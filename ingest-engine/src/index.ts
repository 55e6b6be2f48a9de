/**
 * @provenance/ingest-engine — the sequencer's fast paths, each checked against the SDK's
 * reference implementation: the native addon (EdDSA-Poseidon verification, whole-record
 * checks, the Poseidon batch tree; Rust, `native/`) and the worker-thread pool that runs them
 * off the event loop, with the SDK's WebAssembly verifier as the fallback where the addon did
 * not build.
 */
export * from "./native-eddsa.js";
export * from "./verify-pool.js";
export * from "./chunk-check.js";
export * from "./bundle-math.js";
export * from "./bundle-pool.js";
