/**
 * The optional native EdDSA-Poseidon verifier (client-sdk/native), for Node only. It is
 * loaded when `client-sdk/native/build.ts` has built it and it passes a self-check against
 * the TypeScript verifier; otherwise every function here falls back to `verifyPacked`, with
 * identical verdicts. Set PROVENANCE_EDDSA_NATIVE=0 to never load it.
 */
import { createRequire } from "node:module";
import { workerData } from "node:worker_threads";
import { derivePublicKey, packPublicKey, packSignature, signPoseidon, verifyPacked } from "../eddsa.js";
import { FIELD_MODULUS } from "../field.js";
import { nativeAddonPath } from "./native-path.js";

interface NativeAddon {
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
  /** Writes one byte per job into `results`; returns the number of jobs. */
  verifyBatch(messages: Uint8Array, signatures: Uint8Array, publicKeys: Uint8Array, results: Uint8Array): number;
}

function messageBytes(message: bigint, out: Buffer, offset: number): void {
  out.writeBigUInt64LE(BigInt.asUintN(64, message), offset);
  out.writeBigUInt64LE(BigInt.asUintN(64, message >> 64n), offset + 8);
  out.writeBigUInt64LE(BigInt.asUintN(64, message >> 128n), offset + 16);
  out.writeBigUInt64LE(BigInt.asUintN(64, message >> 192n), offset + 24);
}

function isFieldElement(m: unknown): m is bigint {
  return typeof m === "bigint" && m >= 0n && m < FIELD_MODULUS;
}

/** A valid signature, the same one altered, and a small-order key: the addon must agree. */
function selfCheck(addon: NativeAddon): boolean {
  const priv = new Uint8Array(32).fill(42);
  const message = 123456789n;
  const sig = Buffer.from(packSignature(signPoseidon(priv, message)));
  const key = Buffer.from(packPublicKey(derivePublicKey(priv)));
  const m = Buffer.alloc(32);
  messageBytes(message, m, 0);
  const bad = Buffer.from(sig);
  bad[40] = bad[40]! ^ 1;
  const zeroKey = Buffer.alloc(32); // y = 0: a point of order 4
  const results = Buffer.alloc(2);
  const n = addon.verifyBatch(Buffer.concat([m, m]), Buffer.concat([sig, bad]), Buffer.concat([key, key]), results);
  return (
    addon.verify(m, sig, key) === true &&
    addon.verify(m, bad, key) === false &&
    addon.verify(m, sig, zeroKey) === false &&
    n === 2 &&
    results[0] === 1 &&
    results[1] === 0 &&
    verifyPacked(message, sig, key) === true
  );
}

function load(): { addon: NativeAddon | null; reason: string } {
  if (process.env["PROVENANCE_EDDSA_NATIVE"] === "0") return { addon: null, reason: "disabled by PROVENANCE_EDDSA_NATIVE=0" };
  try {
    // In a pool worker this module runs from a bundle (a data: URL), so the addon's path
    // comes from the pool; on the main thread it is found beside the sources.
    const given = (workerData as { addonPath?: unknown } | null)?.addonPath;
    const path = typeof given === "string" ? given : nativeAddonPath();
    const addon = createRequire(path)(path) as NativeAddon;
    if (!selfCheck(addon)) return { addon: null, reason: "the addon failed its self-check" };
    return { addon, reason: "loaded" };
  } catch (err) {
    return { addon: null, reason: `not built or not loadable (${(err as Error).message.split("\n")[0]})` };
  }
}

const loaded = load();

/** Whether verification here runs natively, and why not if it does not. */
export const nativeEddsa: { readonly available: boolean; readonly reason: string } = Object.freeze({
  available: loaded.addon !== null,
  reason: loaded.reason,
});

/** `verifyPacked`, natively when the addon is loaded. Same verdicts, never throws. */
export function verifyPackedNative(message: bigint, signature: Uint8Array, publicKey: Uint8Array): boolean {
  const addon = loaded.addon;
  if (addon === null) return verifyPacked(message, signature, publicKey);
  if (!isFieldElement(message)) return false;
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  const m = Buffer.alloc(32);
  messageBytes(message, m, 0);
  try {
    return addon.verify(m, Buffer.from(signature.buffer, signature.byteOffset, 64), Buffer.from(publicKey.buffer, publicKey.byteOffset, 32));
  } catch {
    return false;
  }
}

/**
 * Verifies n jobs given as concatenated bytes (64 per signature, 32 per key) and messages
 * already checked to be field elements; returns one byte per job (1 = valid).
 */
export function verifyPackedBatch(messages: readonly bigint[], signatures: Uint8Array, publicKeys: Uint8Array): Uint8Array {
  const n = messages.length;
  const addon = loaded.addon;
  if (addon !== null) {
    const m = Buffer.alloc(32 * n);
    for (let i = 0; i < n; i++) messageBytes(messages[i]!, m, 32 * i);
    const out = Buffer.alloc(n);
    try {
      addon.verifyBatch(
        m,
        Buffer.from(signatures.buffer, signatures.byteOffset, 64 * n),
        Buffer.from(publicKeys.buffer, publicKeys.byteOffset, 32 * n),
        out,
      );
      return new Uint8Array(out.buffer, out.byteOffset, n);
    } catch {
      // fall through to the WebAssembly verifier
    }
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = verifyPacked(messages[i]!, signatures.subarray(64 * i, 64 * i + 64), publicKeys.subarray(32 * i, 32 * i + 32)) ? 1 : 0;
  }
  return out;
}
