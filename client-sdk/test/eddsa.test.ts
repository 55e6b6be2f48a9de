/**
 * EdDSA-Poseidon keys and signatures: byte compatibility with circomlibjs, strict decoding,
 * and the adversarial cases where circomlibjs's own verifier is unsafe (see
 * shared research babyjub-verify.md). Each refusal test is built so that it fails if the
 * check it targets were removed: either the input would then verify, or a different error
 * message would be thrown.
 */
import { expect } from "chai";
import createBlakeHash from "blake-hash";
import {
  BASE8,
  PublicKey,
  SUBGROUP_ORDER,
  derivePublicKey,
  generatePrivateKey,
  isValidPublicKey,
  packPublicKey,
  packSignature,
  publicKeyFromHex,
  publicKeyToHex,
  signPoseidon,
  signatureFromHex,
  signatureToHex,
  unpackPublicKey,
  unpackSignature,
  verifyPacked,
  verifyPoseidon,
  type Point,
  type Signature,
} from "../src/eddsa.js";
import { FIELD_MODULUS } from "../src/field.js";
import { blake512 } from "../src/eddsa/blake512.js";
import { P, isOnCurve, multiply, recoverX, toAffine, toExtended } from "../src/eddsa/curve.js";
import {
  addPoints,
  circomlib,
  fromC,
  hex,
  randomField,
  rng,
  signForKey,
  smallOrderPoints,
  toC,
} from "./eddsa-helpers.js";
import { expectRefusal } from "../../tests/support/expect.js";

/** The packed form of a point with y replaced by y + p (same point for circomlibjs). */
function nonCanonical(packed: Uint8Array): Uint8Array {
  const sign = packed[31]! & 0x80;
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? packed[i]! & 0x7f : packed[i]!);
  let v = y + P;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  expect(out[31]! & 0x80).to.equal(0); // y + p < 2^255: the sign bit stays free
  out[31] = out[31]! | sign;
  return out;
}

const rand = rng(20261128);
const priv = rand(32);
const A = derivePublicKey(priv);
const key = PublicKey.fromPoint(A);
const message = 0x1234567890abcdefn;
const sig = signPoseidon(priv, message);
const packedSig = packSignature(sig);

describe("eddsa: BLAKE-512 (key derivation hash)", () => {
  it("matches blake-hash on every padding boundary", () => {
    for (const n of [0, 1, 31, 32, 64, 111, 112, 127, 128, 129, 239, 240, 256, 300]) {
      const data = rand(n);
      const expected = createBlakeHash("blake512").update(Buffer.from(data)).digest();
      expect(hex(blake512(data)), `length ${n}`).to.equal(hex(expected));
    }
  });
});

describe("eddsa: byte compatibility with circomlibjs", () => {
  it("derives, signs and packs exactly as circomlibjs", async () => {
    const e = await circomlib();
    for (let i = 0; i < 4; i++) {
      const k = rand(32);
      const m = randomField(rand);
      const ours = derivePublicKey(k);
      const theirs = e.prv2pub(k);
      expect(ours).to.deep.equal(fromC(e, theirs));
      expect(hex(packPublicKey(ours))).to.equal(hex(e.babyJub.packPoint(theirs)));
      const s = signPoseidon(k, m);
      const sc = e.signPoseidon(k, e.F.e(m));
      expect(hex(packSignature(s))).to.equal(hex(e.packSignature(sc)));
      expect(fromC(e, e.babyJub.unpackPoint(packPublicKey(ours))!)).to.deep.equal(ours);
    }
  });

  it("BASE8 and SUBGROUP_ORDER are circomlibjs's", async () => {
    const e = await circomlib();
    expect(BASE8).to.deep.equal(fromC(e, e.babyJub.Base8));
    expect(SUBGROUP_ORDER).to.equal(e.babyJub.subOrder);
  });

  it("round-trips keys and signatures through bytes and hex", () => {
    expect(unpackPublicKey(packPublicKey(A))).to.deep.equal(A);
    expect(publicKeyFromHex(publicKeyToHex(A))).to.deep.equal(A);
    expect(unpackSignature(packedSig)).to.deep.equal(sig);
    expect(signatureFromHex(signatureToHex(sig))).to.deep.equal(sig);
    expect(PublicKey.fromHex(key.toHex()).point).to.deep.equal(A);
  });

  it("decodes points exactly as the BigInt reference does, for both sign bits", () => {
    for (let i = 0; i < 50; i++) {
      const y = randomField(rand);
      for (const sign of [false, true]) {
        const bytes = new Uint8Array(32);
        let v = y;
        for (let j = 0; j < 32; j++) {
          bytes[j] = Number(v & 0xffn);
          v >>= 8n;
        }
        if (sign) bytes[31] = bytes[31]! | 0x80;
        const x = recoverX(y, sign);
        const sigBytes = new Uint8Array(64);
        sigBytes.set(bytes, 0);
        if (x === null) {
          expectRefusal(() => unpackSignature(sigBytes), "INVALID_SIGNATURE_ENCODING", /not on the BabyJubJub curve/);
        } else {
          expect(unpackSignature(sigBytes).R8).to.deep.equal({ x, y });
        }
      }
    }
  });
});

describe("eddsa: verification", () => {
  it("accepts a valid signature on every input form", () => {
    expect(verifyPoseidon(message, sig, A)).to.equal(true);
    expect(verifyPoseidon(message, sig, key)).to.equal(true);
    expect(verifyPoseidon(message, packedSig, A)).to.equal(true);
    expect(verifyPacked(message, packedSig, packPublicKey(A))).to.equal(true);
    expect(verifyPacked(message, packedSig, key)).to.equal(true);
    expect(key.verify(message, sig)).to.equal(true);
  });

  it("refuses a wrong message and a wrong key", () => {
    const other = derivePublicKey(rand(32));
    expect(verifyPoseidon(message + 1n, sig, A)).to.equal(false);
    expect(verifyPoseidon(message, sig, other)).to.equal(false);
    expect(verifyPacked(message + 1n, packedSig, key)).to.equal(false);
    expect(verifyPacked(message, packedSig, packPublicKey(other))).to.equal(false);
  });

  it("refuses S >= subgroup order (S + l would give the same point)", () => {
    const high: Signature = { R8: sig.R8, S: sig.S + SUBGROUP_ORDER };
    expect(verifyPoseidon(message, high, A)).to.equal(false);
    expect(verifyPoseidon(message, high, key)).to.equal(false);
    const bytes = packedSig.slice();
    let v = high.S;
    for (let i = 32; i < 64; i++) {
      bytes[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    expect(verifyPacked(message, bytes, key)).to.equal(false);
    expectRefusal(() => unpackSignature(bytes), "INVALID_SIGNATURE_ENCODING", /S is not below the subgroup order/);
    expectRefusal(() => packSignature(high), "INVALID_SIGNATURE_ENCODING", /subgroup order/);
  });

  it("refuses a negative S (circomlibjs never returns on one), without hanging", () => {
    // S - 2^256 has the same low 256 bits as S: a verifier that skipped the sign check and
    // wrote S as 256 bits would accept it.
    expect(verifyPoseidon(message, { R8: sig.R8, S: sig.S - (1n << 256n) }, A)).to.equal(false);
    expect(verifyPoseidon(message, { R8: sig.R8, S: -1n }, key)).to.equal(false);
  });

  it("refuses a message outside the field (circomlibjs reduces it and accepts)", async () => {
    expect(verifyPoseidon(message + FIELD_MODULUS, sig, A)).to.equal(false);
    expect(verifyPacked(message + FIELD_MODULUS, packedSig, key)).to.equal(false);
    expect(verifyPoseidon(-1n, sig, A)).to.equal(false);
    const e = await circomlib();
    expect(e.verifyPoseidon(e.F.e(message + FIELD_MODULUS), e.unpackSignature(packedSig), toC(e, A))).to.equal(true);
  });

  it("refuses R8 off the curve and R8 with x = 0", () => {
    const off = { x: sig.R8.x, y: (sig.R8.y + 1n) % P };
    expect(isOnCurve(off.x, off.y)).to.equal(false);
    expect(verifyPoseidon(message, { R8: off, S: sig.S }, A)).to.equal(false);
    expect(verifyPoseidon(message, { R8: { x: 0n, y: 1n }, S: sig.S }, A)).to.equal(false);
    expectRefusal(() => packSignature({ R8: off, S: sig.S }), "INVALID_SIGNATURE_ENCODING", /not on the BabyJubJub curve/);
    const idBytes = new Uint8Array(64);
    idBytes[0] = 1; // y = 1, sign 0: the identity
    expectRefusal(() => unpackSignature(idBytes), "INVALID_SIGNATURE_ENCODING", /x = 0/);
  });

  it("refuses a public key off the curve", () => {
    const off = { x: A.x, y: (A.y + 1n) % P };
    expect(verifyPoseidon(message, sig, off)).to.equal(false);
    expect(isValidPublicKey(off)).to.equal(false);
    expectRefusal(() => PublicKey.fromPoint(off), "INVALID_PUBLIC_KEY", /not on the BabyJubJub curve/);
    expectRefusal(() => packPublicKey(off), "INVALID_PUBLIC_KEY", /not on the BabyJubJub curve/);
    expectRefusal(() => PublicKey.fromPoint({ x: A.x + P, y: A.y }), "INVALID_PUBLIC_KEY", /coordinates must be in \[0, field modulus\)/,
    );
  });

  it("refuses small-order keys (orders 1, 2, 4, 8) that circomlibjs accepts as universal forgeries", async () => {
    const e = await circomlib();
    const small = smallOrderPoints();
    const S = 123456789n;
    const forgedR8 = derivePublicKeyFromScalar(S); // R8 = S·B8
    for (const order of [1, 2, 4, 8] as const) {
      const T = small[order];
      const forged: Signature = { R8: forgedR8, S };
      expect(verifyPoseidon(message, forged, T), `order ${order}`).to.equal(false);
      expect(verifyPoseidon(message + 7n, forged, T), `order ${order}`).to.equal(false);
      expect(isValidPublicKey(T)).to.equal(false);
      expectRefusal(() => PublicKey.fromPoint(T), "INVALID_PUBLIC_KEY", /small order/);
    }
    // The reference really accepts these forgeries, so the cases above are meaningful.
    for (const order of [4, 8] as const) {
      expect(e.verifyPoseidon(e.F.e(message), { R8: toC(e, forgedR8), S }, toC(e, small[order]))).to.equal(true);
    }
    // Packed small-order keys are refused at decoding (x = 0 ones as non-decodable).
    expectRefusal(() => unpackPublicKey(packPublicKey(small[4])), "INVALID_PUBLIC_KEY", /small order/);
    expectRefusal(() => unpackPublicKey(packPublicKey(small[8])), "INVALID_PUBLIC_KEY", /small order/);
    expectRefusal(() => unpackPublicKey(packPublicKey(small[1])), "INVALID_PUBLIC_KEY", /x = 0/);
    expectRefusal(() => unpackPublicKey(packPublicKey(small[2])), "INVALID_PUBLIC_KEY", /x = 0/);
    expect(verifyPacked(message, packSignature({ R8: forgedR8, S }), packPublicKey(small[8]))).to.equal(false);
  });

  it("refuses keys outside the prime-order subgroup even when circomlibjs and the circuit accept", async () => {
    const e = await circomlib();
    const small = smallOrderPoints();
    for (const order of [2, 4, 8] as const) {
      const torsioned = addPoints(A, small[order]);
      const s = signForKey(priv, message, torsioned, 987654321n);
      if (order === 8) {
        expect(e.verifyPoseidon(e.F.e(message), { R8: toC(e, s.R8), S: s.S }, toC(e, torsioned))).to.equal(true);
      }
      expect(verifyPoseidon(message, s, torsioned), `order ${order}`).to.equal(false);
      expect(isValidPublicKey(torsioned)).to.equal(false);
      expectRefusal(() => PublicKey.fromPoint(torsioned), "INVALID_PUBLIC_KEY", /not in the prime-order subgroup/);
      expectRefusal(() => unpackPublicKey(packPublicKey(torsioned)), "INVALID_PUBLIC_KEY", /prime-order subgroup/);
    }
    // The same construction with the real key verifies: the refusal above is the subgroup check.
    expect(verifyPoseidon(message, signForKey(priv, message, A, 987654321n), A)).to.equal(true);
  });

  it("refuses non-canonical encodings (y + p) that circomlibjs decodes to the same point", async () => {
    const e = await circomlib();
    const pk = packPublicKey(A);
    const badPk = nonCanonical(pk);
    expect(fromC(e, e.babyJub.unpackPoint(badPk.slice())!)).to.deep.equal(A);
    expectRefusal(() => unpackPublicKey(badPk), "INVALID_PUBLIC_KEY", /not canonical/);
    expect(verifyPacked(message, packedSig, badPk)).to.equal(false);

    const badSig = packedSig.slice();
    badSig.set(nonCanonical(packedSig.subarray(0, 32)), 0);
    expect(fromC(e, e.unpackSignature(badSig.slice()).R8)).to.deep.equal(sig.R8);
    expectRefusal(() => unpackSignature(badSig), "INVALID_SIGNATURE_ENCODING", /not canonical/);
    expect(verifyPacked(message, badSig, key)).to.equal(false);
    expect(verifyPacked(message, packedSig, key)).to.equal(true);
  });

  it("refuses the sign bit on x = 0 and y = p exactly", () => {
    const b = new Uint8Array(32);
    b[0] = 1;
    b[31] = 0x80;
    expectRefusal(() => unpackPublicKey(b), "INVALID_PUBLIC_KEY", /./);
    let v = P;
    const pBytes = new Uint8Array(32);
    for (let i = 0; i < 32; i++) {
      pBytes[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    expectRefusal(() => unpackPublicKey(pBytes), "INVALID_PUBLIC_KEY", /not canonical/);
  });

  it("refuses all-zero bytes", () => {
    // y = 0 is a point of order 4.
    expectRefusal(() => unpackPublicKey(new Uint8Array(32)), "INVALID_PUBLIC_KEY", /small order/);
    expect(verifyPacked(message, new Uint8Array(64), new Uint8Array(32))).to.equal(false);
    expect(verifyPacked(message, new Uint8Array(64), key)).to.equal(false);
    expect(verifyPacked(0n, new Uint8Array(64), key)).to.equal(false);
  });

  it("never throws and never hangs on malformed or random input", () => {
    const bad = [undefined, null, 1, "x", {}, { R8: null, S: 1n }, { R8: { x: 1, y: 2 }, S: 1n }];
    for (const b of bad) {
      expect(verifyPoseidon(message, b as unknown as Signature, A)).to.equal(false);
      expect(verifyPoseidon(message, sig, b as unknown as Point)).to.equal(false);
    }
    expect(verifyPoseidon("1" as unknown as bigint, sig, A)).to.equal(false);
    expect(verifyPacked(message, new Uint8Array(63), key)).to.equal(false);
    expect(verifyPacked(message, packedSig, new Uint8Array(31))).to.equal(false);
    // Random bytes: about half the y values have no point (the square root must not loop).
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      const s = rand(64);
      const k = rand(32);
      expect(verifyPacked(message, s, k)).to.equal(false);
      expect(verifyPacked(message, s, key)).to.equal(false);
      try {
        unpackSignature(s);
      } catch {
        refused++;
      }
    }
    expect(refused).to.be.greaterThan(50);
  });

  it("rejects malformed private keys and messages when signing", () => {
    expectRefusal(() => signPoseidon(new Uint8Array(31), 1n), "INVALID_PRIVATE_KEY", /32 bytes, got 31/);
    expectRefusal(() => derivePublicKey("k" as unknown as Uint8Array), "INVALID_PRIVATE_KEY", /Uint8Array/);
    expectRefusal(() => signPoseidon(priv, FIELD_MODULUS), "INVALID_FIELD_ELEMENT", /message/);
    expectRefusal(() => signPoseidon(priv, -1n), "INVALID_FIELD_ELEMENT", /message/);
    expect(generatePrivateKey()).to.have.length(32);
    expect(hex(generatePrivateKey())).to.not.equal(hex(generatePrivateKey()));
  });

  it("keeps verifying correctly when the key cache evicts and reuses tables", () => {
    // More keys than the cache holds (256): early keys lose their tables, whose memory is
    // reused by later keys; verifying with an early PublicKey must reload its own table.
    const keys: { priv: Uint8Array; key: PublicKey }[] = [];
    for (let i = 0; i < 300; i++) {
      const k = rand(32);
      keys.push({ priv: k, key: PublicKey.fromPoint(derivePublicKey(k)) });
    }
    for (const i of [0, 1, 150, 299]) {
      const { priv: k, key: pk } = keys[i]!;
      const s = signPoseidon(k, message);
      expect(pk.verify(message, s), `key ${i}`).to.equal(true);
      expect(keys[(i + 1) % 300]!.key.verify(message, s), `key ${i + 1}`).to.equal(false);
      expect(verifyPoseidon(message, s, pk.point)).to.equal(true);
    }
  });
});

/** s·B8 by the BigInt reference, independent of the verifier under test. */
function derivePublicKeyFromScalar(s: bigint): Point {
  return toAffine(multiply(toExtended(BASE8.x, BASE8.y), s));
}
