import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToBigIntBE, bytesToHex, FIELD_MODULUS } from "@provenance/client-sdk";
import {
  BASE_FIELD_MODULUS,
  proofFromSolana,
  proofToSolana,
  publicSignalsFromSolana,
  publicSignalsToSolana,
  type SnarkjsProof,
  type SnarkjsVerifyingKey,
  verifyingKeyFromSolana,
  verifyingKeyToSolana,
} from "../src/solana-layout.js";
import { expectRefusal } from "../../tests/support/expect.js";

const VECTOR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../test-vectors/batch-test.json");

/** The i-th 32-byte big-endian word of `bytes`, as an integer. */
function word(bytes: Uint8Array, i: number): bigint {
  return bytesToBigIntBE(bytes.subarray(32 * i, 32 * i + 32));
}

// The BN254 generators: G1 = (1, 2); G2 from EIP-197 (x = x0 + x1·i, y = y0 + y1·i).
const G1 = ["1", "2", "1"];
const G2 = [
  [
    "10857046999023057135944570762232829481370756359578518086990519993285655852781",
    "11559732032986387107991004021392285783925812861821192530917403151452391805634",
  ],
  [
    "8495653923123431417604973247489272438418190587263600148770280649306958101930",
    "4082367875863433681332203403145435568316851327593401208105741076214120093531",
  ],
  ["1", "0"],
];
const proof: SnarkjsProof = { pi_a: G1, pi_b: G2, pi_c: ["1", "2", "1"], protocol: "groth16", curve: "bn128" };

describe("solana-layout: snarkjs -> groth16-solana bytes", () => {
  it("negates proof_a in the base field and keeps x", () => {
    const { proofA } = proofToSolana(proof);
    expect(proofA.length).to.equal(64);
    expect(word(proofA, 0)).to.equal(1n);
    expect(word(proofA, 1)).to.equal(BASE_FIELD_MODULUS - 2n);
    // Negation is in q, not in the scalar field r: the classic mistake would give r - 2.
    expect(word(proofA, 1)).to.not.equal(FIELD_MODULUS - 2n);
  });

  it("lays out G2 as x.c1 || x.c0 || y.c1 || y.c0", () => {
    const { proofB } = proofToSolana(proof);
    expect(proofB.length).to.equal(128);
    const [x, y] = G2 as string[][];
    expect([0, 1, 2, 3].map((i) => word(proofB, i))).to.deep.equal(
      [x![1], x![0], y![1], y![0]].map((s) => BigInt(s!)),
    );
  });

  it("keeps proof_c as x || y", () => {
    const { proofC } = proofToSolana({ ...proof, pi_c: ["5", "7", "1"] });
    expect([word(proofC, 0), word(proofC, 1)]).to.deep.equal([5n, 7n]);
  });

  it("encodes public signals as 32-byte big-endian words", () => {
    const [a, b] = publicSignalsToSolana(["1", (FIELD_MODULUS - 1n).toString()]);
    expect(bytesToHex(a!)).to.equal("00".repeat(31) + "01");
    expect(bytesToBigIntBE(b!)).to.equal(FIELD_MODULUS - 1n);
  });

  it("converts a verifying key, one IC point per public input plus one", () => {
    const vk: SnarkjsVerifyingKey = {
      protocol: "groth16",
      curve: "bn128",
      nPublic: 1,
      vk_alpha_1: G1,
      vk_beta_2: G2,
      vk_gamma_2: G2,
      vk_delta_2: G2,
      IC: [G1, ["3", "4", "1"]],
    };
    const out = verifyingKeyToSolana(vk);
    expect(out.nPublic).to.equal(1);
    expect(bytesToHex(out.alphaG1)).to.equal(bytesToHex(proofToSolana({ ...proof, pi_c: G1 }).proofC));
    expect(bytesToHex(out.betaG2)).to.equal(bytesToHex(proofToSolana(proof).proofB));
    expect(out.ic.map((p) => [word(p, 0), word(p, 1)])).to.deep.equal([
      [1n, 2n],
      [3n, 4n],
    ]);
    expectRefusal(() => verifyingKeyToSolana({ ...vk, nPublic: 2 }), "INVALID_GROTH16_ENCODING", /IC must hold nPublic \+ 1 = 3 points, got 2/);
    expectRefusal(() => verifyingKeyToSolana({ ...vk, curve: "bls12381" }), "INVALID_GROTH16_ENCODING", /curve must be "bn128"/);
  });

  it("refuses what it cannot lay out, naming the field", () => {
    expectRefusal(() => proofToSolana({ ...proof, pi_a: ["1", "2", "3"] }), "INVALID_GROTH16_ENCODING", /proof\.pi_a must be affine/);
    expectRefusal(() => proofToSolana({ ...proof, pi_a: ["1", "2"] }), "INVALID_GROTH16_ENCODING", /proof\.pi_a must be a G1 point/);
    expectRefusal(() => proofToSolana({ ...proof, pi_c: [BASE_FIELD_MODULUS.toString(), "2", "1"] }), "INVALID_GROTH16_ENCODING", /proof\.pi_c\[0\] must be below the BN254 base field modulus/);
    expectRefusal(() => proofToSolana({ ...proof, pi_b: [G2[0]!, G2[1]!, ["0", "1"]] }), "INVALID_GROTH16_ENCODING", /proof\.pi_b must be affine/);
    expectRefusal(() => proofToSolana({ ...proof, pi_c: ["0x1", "2", "1"] }), "INVALID_GROTH16_ENCODING", /proof\.pi_c\[0\] must be a decimal/);
    expectRefusal(() => proofToSolana({ ...proof, protocol: "plonk" }), "INVALID_GROTH16_ENCODING", /protocol must be "groth16"/);
    expectRefusal(() => publicSignalsToSolana([FIELD_MODULUS.toString()]), "INVALID_GROTH16_ENCODING", /publicSignals\[0\] must be below the BN254 scalar modulus/);
  });

  it("produces the bytes of the shared test vector from its snarkjs proof", function () {
    // The Rust tests accept exactly these bytes on-chain (programs/provenance/tests/native.rs).
    const v = JSON.parse(readFileSync(VECTOR, "utf8")) as {
      proof: SnarkjsProof;
      publicSignals: string[];
      verifyingKey: SnarkjsVerifyingKey;
      solana: { proofA: string; proofB: string; proofC: string; publicInputs: string[] };
    };
    const out = proofToSolana(v.proof);
    expect(bytesToHex(out.proofA)).to.equal(v.solana.proofA);
    expect(bytesToHex(out.proofB)).to.equal(v.solana.proofB);
    expect(bytesToHex(out.proofC)).to.equal(v.solana.proofC);
    expect(publicSignalsToSolana(v.publicSignals).map(bytesToHex)).to.deep.equal(v.solana.publicInputs);
    expect(verifyingKeyToSolana(v.verifyingKey).ic.length).to.equal(2);
  });
});

describe("solana-layout: groth16-solana bytes -> snarkjs (round trip)", () => {
  const v = JSON.parse(readFileSync(VECTOR, "utf8")) as {
    proof: SnarkjsProof;
    publicSignals: string[];
    verifyingKey: SnarkjsVerifyingKey & Record<string, unknown>;
    solana: { proofA: string; proofB: string; proofC: string; publicInputs: string[] };
  };

  it("unpacks the packed proof of the shared test vector to the original snarkjs proof", () => {
    const packed = proofToSolana(v.proof);
    const original = { pi_a: v.proof.pi_a, pi_b: v.proof.pi_b, pi_c: v.proof.pi_c, protocol: v.proof.protocol, curve: v.proof.curve };
    expect(proofFromSolana(packed.proofA, packed.proofB, packed.proofC)).to.deep.equal(original);
    // The same from the hex a submit_batch transaction carries.
    expect(proofFromSolana(v.solana.proofA, v.solana.proofB, v.solana.proofC)).to.deep.equal(original);
  });

  it("unpacks the packed public signals and verifying key of the shared test vector", () => {
    expect(publicSignalsFromSolana(publicSignalsToSolana(v.publicSignals))).to.deep.equal(v.publicSignals);
    const vk = v.verifyingKey;
    const { protocol, curve, nPublic, vk_alpha_1, vk_beta_2, vk_gamma_2, vk_delta_2, IC } = vk;
    expect(verifyingKeyFromSolana(verifyingKeyToSolana(vk))).to.deep.equal({ protocol, curve, nPublic, vk_alpha_1, vk_beta_2, vk_gamma_2, vk_delta_2, IC });
  });

  it("round-trips proof_a whose y is 0 or q - 1 (the negation's edges)", () => {
    for (const y of ["0", (BASE_FIELD_MODULUS - 1n).toString()]) {
      const p = { ...proof, pi_a: ["1", y, "1"] };
      const packed = proofToSolana(p);
      expect(proofFromSolana(packed.proofA, packed.proofB, packed.proofC).pi_a).to.deep.equal(p.pi_a);
    }
  });

  it("refuses bytes of the wrong length, naming them", () => {
    const packed = proofToSolana(proof);
    expectRefusal(() => proofFromSolana(packed.proofA.subarray(1), packed.proofB, packed.proofC), "INVALID_GROTH16_ENCODING", /proof bytes must be 64 \+ 128 \+ 64 bytes/);
    expectRefusal(() => proofFromSolana(v.solana.proofA.toUpperCase(), v.solana.proofB, v.solana.proofC), "INVALID_GROTH16_ENCODING", /proof bytes must be 64 \+ 128 \+ 64 bytes/);
    expectRefusal(() => publicSignalsFromSolana([new Uint8Array(31)]), "INVALID_GROTH16_ENCODING", /public input 0 must be 32 bytes/);
    expectRefusal(() => publicSignalsFromSolana([new Uint8Array(32).fill(255)]), "INVALID_GROTH16_ENCODING", /public input 0 must be below the BN254 scalar modulus/);
    const key = verifyingKeyToSolana(v.verifyingKey);
    expectRefusal(() => verifyingKeyFromSolana({ ...key, ic: key.ic.slice(1) }), "INVALID_GROTH16_ENCODING", /ic must hold nPublic \+ 1 = 2 points, got 1/);
    expectRefusal(() => verifyingKeyFromSolana({ ...key, betaG2: key.betaG2.subarray(0, 64) }), "INVALID_GROTH16_ENCODING", /betaG2 must be a G2 point of 128 bytes/);
  });
});
