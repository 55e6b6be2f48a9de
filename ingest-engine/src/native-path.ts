import { fileURLToPath } from "node:url";

/** Where scripts/build-native.ts installs the native addon (EdDSA verifier, Poseidon tree). */
export function nativeAddonPath(): string {
  return fileURLToPath(new URL("../native/provenance_eddsa.node", import.meta.url));
}
