// Types for the part of blake-hash 2.0.0 the SDK uses (circomlibjs's key derivation hash).
declare module "blake-hash" {
  interface BlakeHash {
    update(data: Uint8Array): BlakeHash;
    digest(): Uint8Array;
  }
  export default function createBlakeHash(algorithm: "blake224" | "blake256" | "blake384" | "blake512"): BlakeHash;
}
