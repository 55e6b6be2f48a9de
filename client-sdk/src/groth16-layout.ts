/**
 * The Groth16 byte layout of `submit_batch`, both directions: snarkjs Groth16 proofs, public
 * signals and verifying keys (BN254) to the byte layout of `groth16-solana`, which the on-chain
 * program verifies with the alt_bn128 syscalls (the prover and `scripts/gen-onchain.ts` pack),
 * and back (the auditor unpacks a transaction's proof to verify it off-chain with snarkjs).
 * Pure functions; browser-safe (no Node-only imports).
 *
 * - Every coordinate is 32 bytes, big-endian.
 * - G1 point: `x || y` (64 bytes). G2 point: `x.c1 || x.c0 || y.c1 || y.c0` (128 bytes) —
 *   snarkjs lists each Fq2 coordinate as `[c0, c1]`, the syscall wants the imaginary part first.
 * - `proof_a` is sent NEGATED (`y -> q - y` in the base field q): the program checks
 *   `e(-A, B) · e(vk_x, γ) · e(C, δ) · e(α, β) = 1` as one multi-pairing.
 * - Public inputs: each field element as 32 bytes big-endian, below the scalar modulus r.
 *
 * Getting any of this wrong surfaces on-chain only as "proof verification failed", so every
 * input is checked here with a precise message.
 */
import { fail } from "./errors.js";
import { bigIntToBytesBE, bytesToBigIntBE, bytesToHex, FIELD_MODULUS } from "./field.js";

/** Order of the BN254 base field q (coordinates of curve points live here). */
export const BASE_FIELD_MODULUS =
  21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** snarkjs proof JSON (`proof.json`). */
export interface SnarkjsProof {
  pi_a: readonly string[];
  pi_b: readonly (readonly string[])[];
  pi_c: readonly string[];
  protocol?: string;
  curve?: string;
}

/** snarkjs verifying key JSON (`verification_key.json`). */
export interface SnarkjsVerifyingKey {
  protocol: string;
  curve: string;
  nPublic: number;
  vk_alpha_1: readonly string[];
  vk_beta_2: readonly (readonly string[])[];
  vk_gamma_2: readonly (readonly string[])[];
  vk_delta_2: readonly (readonly string[])[];
  IC: readonly (readonly string[])[];
}

export interface SolanaProof {
  /** 64 bytes: A negated. */
  proofA: Uint8Array;
  /** 128 bytes. */
  proofB: Uint8Array;
  /** 64 bytes. */
  proofC: Uint8Array;
}

export interface SolanaVerifyingKey {
  nPublic: number;
  alphaG1: Uint8Array;
  betaG2: Uint8Array;
  gammaG2: Uint8Array;
  deltaG2: Uint8Array;
  /** nPublic + 1 G1 points of 64 bytes. */
  ic: Uint8Array[];
}

// --- packing: snarkjs JSON -> groth16-solana bytes ------------------------------------------

/** Converts a snarkjs Groth16 proof to the `proof_a`, `proof_b`, `proof_c` of `submit_batch`. */
export function proofToSolana(proof: SnarkjsProof): SolanaProof {
  if (typeof proof !== "object" || proof === null) fail("INVALID_GROTH16_ENCODING", "proof must be an object");
  checkProtocol(proof.protocol, proof.curve, "proof", true);
  const a = g1(proof.pi_a, "proof.pi_a");
  return {
    proofA: concat([coordinate(a.x), coordinate(a.y === 0n ? 0n : BASE_FIELD_MODULUS - a.y)]),
    proofB: g2Bytes(proof.pi_b, "proof.pi_b"),
    proofC: g1Bytes(proof.pi_c, "proof.pi_c"),
  };
}

/** Converts snarkjs public signals (decimal strings) to 32-byte big-endian field elements. */
export function publicSignalsToSolana(signals: readonly string[]): Uint8Array[] {
  if (!Array.isArray(signals)) fail("INVALID_GROTH16_ENCODING", "publicSignals must be an array");
  return signals.map((s, i) => {
    const x = decimal(s, `publicSignals[${i}]`);
    if (x >= FIELD_MODULUS) {
      fail("INVALID_GROTH16_ENCODING", `publicSignals[${i}] must be below the BN254 scalar modulus`);
    }
    return bigIntToBytesBE(x, 32);
  });
}

/** Converts a snarkjs verifying key to the fields of `groth16_solana::Groth16Verifyingkey`. */
export function verifyingKeyToSolana(vk: SnarkjsVerifyingKey): SolanaVerifyingKey {
  if (typeof vk !== "object" || vk === null) fail("INVALID_GROTH16_ENCODING", "verifying key must be an object");
  checkProtocol(vk.protocol, vk.curve, "verifying key", false);
  if (!Number.isSafeInteger(vk.nPublic) || vk.nPublic < 0) {
    fail("INVALID_GROTH16_ENCODING", `verifying key nPublic must be a non-negative integer, got ${String(vk.nPublic)}`);
  }
  if (!Array.isArray(vk.IC) || vk.IC.length !== vk.nPublic + 1) {
    fail(
      "INVALID_GROTH16_ENCODING",
      `verifying key IC must hold nPublic + 1 = ${vk.nPublic + 1} points, got ${Array.isArray(vk.IC) ? vk.IC.length : "none"}`,
    );
  }
  return {
    nPublic: vk.nPublic,
    alphaG1: g1Bytes(vk.vk_alpha_1, "vk_alpha_1"),
    betaG2: g2Bytes(vk.vk_beta_2, "vk_beta_2"),
    gammaG2: g2Bytes(vk.vk_gamma_2, "vk_gamma_2"),
    deltaG2: g2Bytes(vk.vk_delta_2, "vk_delta_2"),
    ic: vk.IC.map((p, i) => g1Bytes(p, `IC[${i}]`)),
  };
}

// --- unpacking: groth16-solana bytes -> snarkjs JSON ----------------------------------------

/** A snarkjs proof JSON as `proofFromSolana` rebuilds it (affine, z = 1). */
export interface SnarkjsProofJson {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: "groth16";
  curve: "bn128";
}

function decimalOfHex(hex: string): string {
  return BigInt("0x" + hex).toString();
}

const asHex = (v: string | Uint8Array): string => (typeof v === "string" ? v : bytesToHex(v));

/**
 * The snarkjs proof JSON of groth16-solana's bytes (the inverse of `proofToSolana`): A is sent
 * negated, G2 coordinates imaginary part first. Takes hex (as `submit_batch` transactions and
 * the sequencer's API carry them) or bytes.
 */
export function proofFromSolana(proofA: string | Uint8Array, proofB: string | Uint8Array, proofC: string | Uint8Array): SnarkjsProofJson {
  const [a, b, c] = [asHex(proofA), asHex(proofB), asHex(proofC)];
  if (!/^[0-9a-f]{128}$/.test(a) || !/^[0-9a-f]{256}$/.test(b) || !/^[0-9a-f]{128}$/.test(c)) {
    fail("INVALID_GROTH16_ENCODING", "proof bytes must be 64 + 128 + 64 bytes of hex");
  }
  const w = (h: string, i: number) => h.slice(64 * i, 64 * (i + 1));
  const negY = BigInt("0x" + w(a, 1));
  const y = negY === 0n ? 0n : BASE_FIELD_MODULUS - negY;
  return {
    pi_a: [decimalOfHex(w(a, 0)), y.toString(), "1"],
    pi_b: [
      [decimalOfHex(w(b, 1)), decimalOfHex(w(b, 0))],
      [decimalOfHex(w(b, 3)), decimalOfHex(w(b, 2))],
      ["1", "0"],
    ],
    pi_c: [decimalOfHex(w(c, 0)), decimalOfHex(w(c, 1)), "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}

/** The decimal strings of 32-byte big-endian public inputs (the inverse of `publicSignalsToSolana`). */
export function publicSignalsFromSolana(inputs: readonly Uint8Array[]): string[] {
  return inputs.map((bytes, i) => {
    if (!(bytes instanceof Uint8Array) || bytes.length !== 32) fail("INVALID_GROTH16_ENCODING", `public input ${i} must be 32 bytes`);
    const x = bytesToBigIntBE(bytes);
    if (x >= FIELD_MODULUS) fail("INVALID_GROTH16_ENCODING", `public input ${i} must be below the BN254 scalar modulus`);
    return x.toString();
  });
}

function unpackG1(bytes: Uint8Array, what: string): string[] {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 64) fail("INVALID_GROTH16_ENCODING", `${what} must be a G1 point of 64 bytes`);
  return [bytesToBigIntBE(bytes.subarray(0, 32)).toString(), bytesToBigIntBE(bytes.subarray(32, 64)).toString(), "1"];
}

function unpackG2(bytes: Uint8Array, what: string): string[][] {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 128) fail("INVALID_GROTH16_ENCODING", `${what} must be a G2 point of 128 bytes`);
  const w = (i: number) => bytesToBigIntBE(bytes.subarray(32 * i, 32 * (i + 1))).toString();
  return [[w(1), w(0)], [w(3), w(2)], ["1", "0"]];
}

/**
 * The snarkjs verifying key fields of a groth16-solana key (the inverse of
 * `verifyingKeyToSolana`; snarkjs's precomputed `vk_alphabeta_12` is not part of the layout).
 */
export function verifyingKeyFromSolana(vk: SolanaVerifyingKey): SnarkjsVerifyingKey {
  if (typeof vk !== "object" || vk === null) fail("INVALID_GROTH16_ENCODING", "verifying key must be an object");
  if (!Array.isArray(vk.ic) || vk.ic.length !== vk.nPublic + 1) {
    fail("INVALID_GROTH16_ENCODING", `verifying key ic must hold nPublic + 1 = ${vk.nPublic + 1} points, got ${Array.isArray(vk.ic) ? vk.ic.length : "none"}`);
  }
  return {
    protocol: "groth16",
    curve: "bn128",
    nPublic: vk.nPublic,
    vk_alpha_1: unpackG1(vk.alphaG1, "alphaG1"),
    vk_beta_2: unpackG2(vk.betaG2, "betaG2"),
    vk_gamma_2: unpackG2(vk.gammaG2, "gammaG2"),
    vk_delta_2: unpackG2(vk.deltaG2, "deltaG2"),
    IC: vk.ic.map((p, i) => unpackG1(p, `ic[${i}]`)),
  };
}

// --- checks and encodings ---------------------------------------------------------------------

function checkProtocol(protocol: unknown, curve: unknown, what: string, optional: boolean): void {
  if (!(optional && protocol === undefined) && protocol !== "groth16") {
    fail("INVALID_GROTH16_ENCODING", `${what} protocol must be "groth16", got ${JSON.stringify(protocol)}`);
  }
  if (!(optional && curve === undefined) && curve !== "bn128") {
    fail("INVALID_GROTH16_ENCODING", `${what} curve must be "bn128" (BN254), got ${JSON.stringify(curve)}`);
  }
}

function decimal(value: unknown, what: string): bigint {
  if (typeof value !== "string" || !/^(0|[1-9][0-9]*)$/.test(value)) {
    fail("INVALID_GROTH16_ENCODING", `${what} must be a decimal integer string, got ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

function baseFieldElement(value: unknown, what: string): bigint {
  const x = decimal(value, what);
  if (x >= BASE_FIELD_MODULUS) fail("INVALID_GROTH16_ENCODING", `${what} must be below the BN254 base field modulus`);
  return x;
}

function coordinate(x: bigint): Uint8Array {
  return bigIntToBytesBE(x, 32);
}

/** Affine G1 point from snarkjs's projective `[x, y, "1"]` (snarkjs always normalizes z to 1). */
function g1(point: unknown, what: string): { x: bigint; y: bigint } {
  if (!Array.isArray(point) || point.length !== 3) {
    fail("INVALID_GROTH16_ENCODING", `${what} must be a G1 point [x, y, z] of 3 decimal strings`);
  }
  if (point[2] !== "1") {
    fail("INVALID_GROTH16_ENCODING", `${what} must be affine (z = "1"), got z = ${JSON.stringify(point[2])}`);
  }
  return { x: baseFieldElement(point[0], `${what}[0]`), y: baseFieldElement(point[1], `${what}[1]`) };
}

function g1Bytes(point: unknown, what: string): Uint8Array {
  const { x, y } = g1(point, what);
  return concat([coordinate(x), coordinate(y)]);
}

/** `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]` -> `x.c1 || x.c0 || y.c1 || y.c0`. */
function g2Bytes(point: unknown, what: string): Uint8Array {
  const isPair = (p: unknown): p is unknown[] => Array.isArray(p) && p.length === 2;
  if (!Array.isArray(point) || point.length !== 3 || !point.every(isPair)) {
    fail("INVALID_GROTH16_ENCODING", `${what} must be a G2 point [[x0, x1], [y0, y1], [z0, z1]] of decimal strings`);
  }
  const [x, y, z] = point as unknown[][];
  if (z![0] !== "1" || z![1] !== "0") {
    fail("INVALID_GROTH16_ENCODING", `${what} must be affine (z = ["1", "0"]), got z = ${JSON.stringify(z)}`);
  }
  return concat([
    coordinate(baseFieldElement(x![1], `${what}[0][1]`)),
    coordinate(baseFieldElement(x![0], `${what}[0][0]`)),
    coordinate(baseFieldElement(y![1], `${what}[1][1]`)),
    coordinate(baseFieldElement(y![0], `${what}[1][0]`)),
  ]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
