/**
 * Trusted-setup tooling: the deterministic INSECURE dev setup (what `npm start` and the tests
 * use) and the phase-2 ceremony commands. See docs/trusted-setup.md.
 */
export * from "./dev-setup.js";
export * from "./ceremony.js";
export * from "./transcript.js";
export * from "./attestation.js";
