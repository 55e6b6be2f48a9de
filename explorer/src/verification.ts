/**
 * Verification in the page: the SDK's `verifyBundle` with a `ChainReader` on the chain RPC the
 * reader chose, so every on-chain check is this browser's own reads of the program's accounts
 * and transaction; the sequencer that served the page and the bundle is not asked anything.
 * With the fetched file, its SHA-256 (WebCrypto) must be the record's `contentHash`: the one
 * check the SDK cannot make, because a bundle carries the hash, not the bytes.
 */
import { verifyBundle, type VerifyResult } from "@provenance/client-sdk";
import { ChainReader } from "@provenance/client-sdk/chain";
import { sha256 } from "@noble/hashes/sha2";

export interface PageCheck {
  name: string;
  ok: boolean;
  detail: string;
  warning?: boolean;
}

export interface PageVerification {
  ok: boolean;
  /** Every check that ran, in order: the SDK's, then `content` when a file was given. */
  checks: PageCheck[];
  /** The first failure: the SDK's, else the content check's. */
  failure: { check: string; code: string; message: string } | null;
  sdk: VerifyResult | null;
  rpcUrl: string;
  elapsedMs: number;
}

export interface VerifyInput {
  /** The bundle file's text. */
  bundleText: string;
  /** The fetched content, when the reader has it. */
  content?: Uint8Array;
  rpcUrl: string;
  programId: string;
  /** Also fetch and check the `submit_batch` transaction (default true). */
  checkTransaction?: boolean;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** SHA-256 with WebCrypto; the same hash in JavaScript where the page is not a secure context (no crypto.subtle). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) return toHex(new Uint8Array(await subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
  return toHex(sha256(bytes));
}

function contentHashOf(json: unknown): string | null {
  const h = (json as { record?: { contentHash?: unknown } } | null)?.record?.contentHash;
  return typeof h === "string" ? h : null;
}

export async function verifyInPage(input: VerifyInput): Promise<PageVerification> {
  const t0 = performance.now();
  const done = (v: Omit<PageVerification, "elapsedMs" | "rpcUrl">): PageVerification => ({ ...v, rpcUrl: input.rpcUrl, elapsedMs: Math.round(performance.now() - t0) });
  let json: unknown;
  try {
    json = JSON.parse(input.bundleText);
  } catch (e) {
    const message = `the bundle file is not JSON: ${(e as Error).message}`;
    return done({ ok: false, checks: [{ name: "format", ok: false, detail: message }], failure: { check: "format", code: "INVALID_BUNDLE", message }, sdk: null });
  }
  const chain = new ChainReader({ connection: input.rpcUrl, programId: input.programId });
  const sdk = await verifyBundle(json, { chain, checkTransaction: input.checkTransaction ?? true });
  const checks: PageCheck[] = sdk.checks.map((c) => ({ name: c.name, ok: c.ok, detail: c.detail, ...(c.warning ? { warning: true } : {}) }));
  let failure: PageVerification["failure"] = sdk.failure ? { check: sdk.failure.check, code: sdk.failure.code, message: sdk.failure.message } : null;
  if (input.content !== undefined) {
    const expected = contentHashOf(json);
    const actual = await sha256Hex(input.content);
    if (expected === actual) {
      checks.push({ name: "content", ok: true, detail: `SHA-256 of the file (${input.content.length} bytes) is the record's contentHash ${actual}` });
    } else {
      const message = `SHA-256 of the file (${input.content.length} bytes) is ${actual}, but the record's contentHash is ${expected ?? "missing"}: this is not the content the node signed`;
      checks.push({ name: "content", ok: false, detail: message });
      failure ??= { check: "content", code: "CONTENT_MISMATCH", message };
    }
  }
  return done({ ok: failure === null, checks, failure, sdk });
}
