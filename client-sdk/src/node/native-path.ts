import { fileURLToPath } from "node:url";

/** Where client-sdk/native/build.ts installs the native EdDSA verifier. */
export function nativeAddonPath(): string {
  return fileURLToPath(new URL("../../native/provenance_eddsa.node", import.meta.url));
}
