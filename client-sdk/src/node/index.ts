/**
 * Node.js-only helpers of the SDK: key files, the native signature verifier (when its addon
 * was built at install time) and the worker-thread batch verifier.
 */
export * from "./keys.js";
export * from "./native-eddsa.js";
export * from "./verify-pool.js";
export * from "./localnet.js";
export * from "./manifest.js";
export * from "./audit.js";
