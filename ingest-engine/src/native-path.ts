import { fileURLToPath } from "node:url";

/** Where ingest-engine/native/build.ts installs the native addon (EdDSA verifier, Poseidon tree). */
export function nativeAddonPath(): string {
  return fileURLToPath(new URL("../native/provenance_eddsa.node", import.meta.url));
}
