/**
 * Verification in the page: the SDK's `verifyBundle` with a `ChainReader` on the chain RPC the
 * reader chose, so every on-chain check is this browser's own reads of the program's accounts
 * and transaction; the sequencer that served the page and the bundle is not asked anything.
 * With the fetched file, the SDK's `content` check (`VerifyOptions.content`, the same one
 * `provenance verify --content` runs): its SHA-256 (WebCrypto) must be the record's
 * `contentHash`, once every other check passed.
 */
import { verifyBundle, type VerifyResult } from "@provenance/client-sdk";
import { ChainReader } from "@provenance/client-sdk/chain";

export interface PageCheck {
  name: string;
  ok: boolean;
  detail: string;
  warning?: boolean;
}

export interface PageVerification {
  ok: boolean;
  /** Every check that ran, in order: the SDK's (`content` last, when a file was given). */
  checks: PageCheck[];
  /** The first failure. */
  failure: { check: string; code: string; message: string } | null;
  sdk: VerifyResult | null;
  rpcUrl: string;
  elapsedMs: number;
}

export interface VerifyInput {
  /** The bundle file's text. */
  bundleText: string;
  /** The fetched content, when the reader has it: its bytes, or the picked File (streamed when large). */
  content?: Uint8Array | Blob;
  rpcUrl: string;
  programId: string;
  /** Also fetch and check the `submit_batch` transaction (default true). */
  checkTransaction?: boolean;
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
  const sdk = await verifyBundle(json, { chain, checkTransaction: input.checkTransaction ?? true, ...(input.content !== undefined ? { content: input.content } : {}) });
  const checks: PageCheck[] = sdk.checks.map((c) => ({ name: c.name, ok: c.ok, detail: c.detail, ...(c.warning ? { warning: true } : {}) }));
  const failure: PageVerification["failure"] = sdk.failure ? { check: sdk.failure.check, code: sdk.failure.code, message: sdk.failure.message } : null;
  return done({ ok: failure === null, checks, failure, sdk });
}
