/** @provenance/prover — witness generation and Groth16 proving of batches, in a pool of prover processes. */
export * from "./artifacts.js";
export * from "./input.js";
export * from "./groth16.js";
export * from "./pool.js";
export * from "./prover.js";
export * from "./family.js";
export * from "./native.js";
export * from "./witness.js";
export * from "./solana-layout.js";
export * from "./data-dir.js";
export * from "./logger.js";
