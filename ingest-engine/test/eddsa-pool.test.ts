/**
 * The worker-thread verifier gives exactly the main thread's verdicts, job by job, and uses
 * more than one worker.
 */
import { expect } from "chai";
import { derivePublicKey, packPublicKey, packSignature, signPoseidon, verifyPacked } from "@provenance/client-sdk/eddsa";
import { FIELD_MODULUS } from "@provenance/client-sdk/field";
import { VerifyPool, type VerifyJob } from "../src/verify-pool.js";
import { randomField, rng, smallOrderPoints } from "../../client-sdk/test/eddsa-helpers.js";

describe("eddsa: worker-thread verify pool", function () {
  this.timeout(120_000);
  let pool: VerifyPool;

  before(async () => {
    pool = await VerifyPool.create({ workers: 2, chunkSize: 16 });
  });
  after(async () => {
    await pool.close();
  });

  it("returns the main thread's verdict for every job, valid or not", async () => {
    const rand = rng(77);
    const keys = Array.from({ length: 5 }, () => rand(32));
    const small = packPublicKey(smallOrderPoints()[8]);
    const jobs: VerifyJob[] = [];
    for (let i = 0; i < 200; i++) {
      const priv = keys[i % keys.length]!;
      const message = randomField(rand);
      const signature = packSignature(signPoseidon(priv, message));
      const publicKey = packPublicKey(derivePublicKey(priv));
      switch (i % 5) {
        case 0:
          jobs.push({ message, signature, publicKey });
          break;
        case 1:
          jobs.push({ message: (message + 1n) % FIELD_MODULUS, signature, publicKey });
          break;
        case 2: {
          const bad = signature.slice();
          bad[40] = bad[40]! ^ 1;
          jobs.push({ message, signature: bad, publicKey });
          break;
        }
        case 3:
          jobs.push({ message, signature, publicKey: small });
          break;
        default:
          jobs.push({ message: message + FIELD_MODULUS, signature, publicKey });
      }
    }
    jobs.push({ message: 1n, signature: new Uint8Array(10), publicKey: new Uint8Array(32) });
    jobs.push(null as unknown as VerifyJob);
    const got = await pool.verifyBatch(jobs);
    const expected = jobs.map((j) => (j === null ? false : verifyPacked(j.message, j.signature, j.publicKey)));
    expect(got).to.deep.equal(expected);
    expect(got.filter(Boolean)).to.have.length(40);
  });

  it("runs batches concurrently and keeps their results apart", async () => {
    const rand = rng(78);
    const priv = rand(32);
    const publicKey = packPublicKey(derivePublicKey(priv));
    const make = (valid: boolean): VerifyJob[] =>
      Array.from({ length: 40 }, () => {
        const message = randomField(rand);
        const signature = packSignature(signPoseidon(priv, message));
        return { message: valid ? message : (message + 1n) % FIELD_MODULUS, signature, publicKey };
      });
    const [a, b] = await Promise.all([pool.verifyBatch(make(true)), pool.verifyBatch(make(false))]);
    expect(a.every((x) => x)).to.equal(true);
    expect(b.some((x) => x)).to.equal(false);
    expect(pool.size).to.equal(2);
  });

  it("refuses work after close", async () => {
    await pool.close();
    let error: unknown;
    try {
      await pool.verifyBatch([]);
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.match(/closed/);
  });
});
