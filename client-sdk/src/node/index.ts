/** Node.js-only helpers of the SDK: key files and the worker-thread signature verifier. */
export * from "./keys.js";
export * from "./verify-pool.js";
