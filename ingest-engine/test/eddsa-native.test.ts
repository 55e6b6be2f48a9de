/**
 * The optional native verifier (ingest-engine/native) gives exactly the TypeScript verifier's
 * verdicts: on every refusal rule, on random and tampered signatures, and through the worker
 * pool. Skipped, with the reason, when the addon is not built (run
 * `npx tsx scripts/build-native.ts ingest`).
 */
import { expect } from "chai";
import { derivePublicKey, packPublicKey, packSignature, signPoseidon, verifyPacked } from "@provenance/client-sdk/eddsa";
import { FIELD_MODULUS } from "@provenance/client-sdk/field";
import { nativeEddsa, verifyPackedBatch, verifyPackedNative, NATIVE_REQUIRED } from "../src/native-eddsa.js";
import { VerifyPool, type VerifyJob } from "../src/verify-pool.js";
import { adversarialJobs, randomField, rng } from "../../client-sdk/test/eddsa-helpers.js";

describe("eddsa: native addon agrees with the TypeScript verifier", function () {
  this.timeout(120_000);

  before(function () {
    // The addon is optional: `npm install` builds it only where cargo is present, and ingest
    // falls back to the WebAssembly verifier (never in CI: PROVENANCE_REQUIRE_NATIVE=1 fails).
    if (!nativeEddsa.available) {
      console.warn(`      native EdDSA verifier ${nativeEddsa.reason}: skipping`);
      if (NATIVE_REQUIRED) throw new Error(`PROVENANCE_REQUIRE_NATIVE=1 but the native addon is ${nativeEddsa.reason}`);
      this.skip();
    }
  });

  it("on every refusal rule and the valid cases", async () => {
    const jobs = await adversarialJobs();
    for (const j of jobs) {
      expect(verifyPacked(j.message, j.signature, j.publicKey), `TS: ${j.label}`).to.equal(j.valid);
      expect(verifyPackedNative(j.message, j.signature, j.publicKey), `native: ${j.label}`).to.equal(j.valid);
    }
    const inField = jobs.filter((j) => j.message < FIELD_MODULUS);
    const sigs = new Uint8Array(64 * inField.length);
    const keys = new Uint8Array(32 * inField.length);
    inField.forEach((j, i) => {
      sigs.set(j.signature, 64 * i);
      keys.set(j.publicKey, 32 * i);
    });
    const batch = verifyPackedBatch(
      inField.map((j) => j.message),
      sigs,
      keys,
    );
    expect(Array.from(batch)).to.deep.equal(inField.map((j) => (j.valid ? 1 : 0)));
  });

  it("on random signatures and one-bit tamperings", () => {
    const rand = rng(99);
    const privs = Array.from({ length: 30 }, () => rand(32));
    for (let i = 0; i < 600; i++) {
      const priv = privs[i % privs.length]!;
      const m = randomField(rand);
      const sig = packSignature(signPoseidon(priv, m));
      const key = packPublicKey(derivePublicKey(priv));
      expect(verifyPackedNative(m, sig, key), `valid #${i}`).to.equal(true);
      const bit = (rand(1)[0]! | (rand(1)[0]! << 8)) % 768;
      const tSig = sig.slice();
      const tKey = key.slice();
      if (bit < 512) tSig[bit >> 3] = tSig[bit >> 3]! ^ (1 << (bit & 7));
      else tKey[(bit - 512) >> 3] = tKey[(bit - 512) >> 3]! ^ (1 << (bit & 7));
      expect(verifyPackedNative(m, tSig, tKey), `tampered #${i}`).to.equal(verifyPacked(m, tSig, tKey));
      expect(verifyPackedNative(m, tSig, tKey), `tampered #${i}`).to.equal(false);
    }
  });

  it("through the worker pool, with and without the addon", async () => {
    const jobs: VerifyJob[] = await adversarialJobs();
    const nativePool = await VerifyPool.create({ workers: 1, chunkSize: 4 });
    const wasmPool = await VerifyPool.create({ workers: 1, native: false });
    try {
      expect(nativePool.native).to.equal(true);
      expect(wasmPool.native).to.equal(false);
      const [a, b] = await Promise.all([nativePool.verifyBatch(jobs), wasmPool.verifyBatch(jobs)]);
      expect(a).to.deep.equal(b);
      expect(a).to.deep.equal((jobs as Awaited<ReturnType<typeof adversarialJobs>>).map((j) => j.valid));
    } finally {
      await nativePool.close();
      await wasmPool.close();
    }
  });
});
