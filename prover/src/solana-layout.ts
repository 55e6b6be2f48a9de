/**
 * The Groth16 byte layout of `submit_batch` (snarkjs proofs and verifying keys to the bytes of
 * `groth16-solana`, and back) is the SDK's, in one browser-safe file with both directions:
 * client-sdk/src/groth16-layout.ts. Re-exported here for the prover, its scripts and tests.
 */
export {
  BASE_FIELD_MODULUS,
  proofFromSolana,
  proofToSolana,
  publicSignalsFromSolana,
  publicSignalsToSolana,
  verifyingKeyFromSolana,
  verifyingKeyToSolana,
  type SnarkjsProof,
  type SnarkjsProofJson,
  type SnarkjsVerifyingKey,
  type SolanaProof,
  type SolanaVerifyingKey,
} from "@provenance/client-sdk";
