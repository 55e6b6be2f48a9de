/**
 * Agreement with circomlibjs on random signatures (issue 3). Our signer and verifier run on
 * every case; circomlibjs (about 30–100 ms per call here) on a subset. Sizes:
 *   EDDSA_AGREEMENT_COUNT   random signatures checked by our verifier (default 2000)
 *   EDDSA_CIRCOMLIB_COUNT   of those, how many circomlibjs also signs and verifies (default 20)
 */
import { expect } from "chai";
import {
  PublicKey,
  derivePublicKey,
  packPublicKey,
  packSignature,
  signPoseidon,
  unpackSignature,
  verifyPacked,
  verifyPoseidon,
} from "../src/eddsa.js";
import { circomlib, hex, randomField, rng, toC } from "./eddsa-helpers.js";

function envCount(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

const COUNT = envCount("EDDSA_AGREEMENT_COUNT", 2000);
const CIRCOMLIB_COUNT = Math.min(COUNT, envCount("EDDSA_CIRCOMLIB_COUNT", 20));

describe(`eddsa: agreement with circomlibjs (${COUNT} random signatures, ${CIRCOMLIB_COUNT} through circomlibjs)`, function () {
  this.timeout(Math.max(60_000, COUNT * 50 + CIRCOMLIB_COUNT * 2_000));

  it("accepts every valid signature and refuses every tampered one, as circomlibjs does", async () => {
    const e = await circomlib();
    const rand = rng(0xc0ffee);
    const every = CIRCOMLIB_COUNT === 0 ? Infinity : Math.floor(COUNT / CIRCOMLIB_COUNT);
    let crossChecked = 0;
    // Keys: 100 distinct ones (tampered keys add misses to the key cache).
    const keys: { priv: Uint8Array; key: PublicKey }[] = [];
    for (let i = 0; i < Math.min(COUNT, 100); i++) {
      const priv = rand(32);
      keys.push({ priv, key: PublicKey.fromPoint(derivePublicKey(priv)) });
    }
    for (let i = 0; i < COUNT; i++) {
      const { priv, key } = keys[i % keys.length]!;
      const m = randomField(rand);
      const sig = signPoseidon(priv, m);
      const packed = packSignature(sig);
      // One random bit flipped anywhere in signature or key, or a different message.
      const flip = rand(2);
      const bit = (flip[0]! | (flip[1]! << 8)) % (96 * 8 + 1);
      const tSig = packed.slice();
      const tKey = packPublicKey(key.point);
      let tMsg = m;
      if (bit === 96 * 8) tMsg = (m + 1n) % e.babyJub.p;
      else if (bit < 512) tSig[bit >> 3] = tSig[bit >> 3]! ^ (1 << (bit & 7));
      else tKey[(bit - 512) >> 3] = tKey[(bit - 512) >> 3]! ^ (1 << (bit & 7));

      expect(verifyPoseidon(m, sig, key.point), `valid #${i}`).to.equal(true);
      expect(verifyPacked(m, packed, key), `valid packed #${i}`).to.equal(true);
      expect(verifyPacked(tMsg, tSig, tKey), `tampered #${i} (bit ${bit})`).to.equal(false);

      if (i % every === 0 && crossChecked < CIRCOMLIB_COUNT) {
        crossChecked++;
        const theirs = e.signPoseidon(priv, e.F.e(m));
        expect(hex(e.packSignature(theirs)), `signature bytes #${i}`).to.equal(hex(packed));
        expect(e.verifyPoseidon(e.F.e(m), theirs, toC(e, key.point)), `circomlibjs valid #${i}`).to.equal(true);
        // circomlibjs on the tampered bytes: decode as it would (null when not a point).
        const R8 = e.babyJub.unpackPoint(tSig.slice(0, 32));
        const Ak = e.babyJub.unpackPoint(tKey.slice());
        const theirVerdict =
          R8 !== null && Ak !== null && e.verifyPoseidon(e.F.e(tMsg), { R8, S: unpackS(tSig) }, Ak);
        expect(theirVerdict, `circomlibjs tampered #${i} (bit ${bit})`).to.equal(false);
        // And our decoder agrees with circomlibjs's on the valid bytes.
        expect(unpackSignature(packed).R8).to.deep.equal({
          x: e.F.toObject(theirs.R8[0]),
          y: e.F.toObject(theirs.R8[1]),
        });
      }
    }
    expect(crossChecked).to.equal(CIRCOMLIB_COUNT);
  });
});

function unpackS(bytes: Uint8Array): bigint {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(bytes[i]!);
  return s;
}
