/**
 * The BN254 scalar field, its canonical hex form, and circomlib's Poseidon.
 *
 * Poseidon comes from circomlibjs's WASM build, loaded once at module load (top-level await)
 * so every hashing function in the SDK is synchronous.
 */
import { buildPoseidon } from "circomlibjs";
import { fail } from "./errors.js";

/** Order of the BN254 scalar field: the field every circuit signal lives in. */
export const FIELD_MODULUS =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

const poseidonWasm = await buildPoseidon();

/** circomlib Poseidon over 1..16 field elements. Inputs must already be reduced. */
export function poseidon(inputs: readonly bigint[]): bigint {
  if (inputs.length < 1 || inputs.length > 16) {
    fail("INVALID_FIELD_ELEMENT", `poseidon takes 1 to 16 inputs, got ${inputs.length}`);
  }
  for (const x of inputs) assertFieldElement(x, "poseidon input");
  return poseidonWasm.F.toObject(poseidonWasm(inputs as bigint[]));
}

/** Poseidon(left, right): the node hash of every Merkle tree in the protocol. */
export function poseidon2(left: bigint, right: bigint): bigint {
  return poseidon([left, right]);
}

export function isFieldElement(x: unknown): x is bigint {
  return typeof x === "bigint" && x >= 0n && x < FIELD_MODULUS;
}

export function assertFieldElement(x: unknown, what: string): asserts x is bigint {
  if (typeof x !== "bigint") fail("INVALID_FIELD_ELEMENT", `${what} must be a bigint, got ${typeof x}`);
  if (x < 0n || x >= FIELD_MODULUS) {
    fail("INVALID_FIELD_ELEMENT", `${what} must be in [0, field modulus), got ${x}`);
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Parses exactly `2 * bytes` lowercase hex characters. */
export function parseHex(value: unknown, bytes: number, what: string): Uint8Array {
  if (typeof value !== "string") fail("INVALID_HEX", `${what} must be a hex string, got ${describe(value)}`);
  if (value.length !== bytes * 2) {
    fail("INVALID_HEX", `${what} must be ${bytes * 2} hex characters (${bytes} bytes), got ${value.length}`);
  }
  if (!/^[0-9a-f]*$/.test(value)) {
    fail("INVALID_HEX", `${what} must be lowercase hex (0-9, a-f)`);
  }
  return hexToBytes(value);
}

/** A field element as 64 lowercase hex characters, big-endian (the protocol's JSON form). */
export function fieldToHex(x: bigint): string {
  assertFieldElement(x, "field element");
  return x.toString(16).padStart(64, "0");
}

/** Parses the protocol's JSON form of a field element: 64 lowercase hex chars, < modulus. */
export function hexToField(value: unknown, what: string): bigint {
  if (typeof value !== "string") fail("INVALID_HEX", `${what} must be a hex string, got ${describe(value)}`);
  if (!HEX64.test(value)) {
    fail("INVALID_HEX", `${what} must be 64 lowercase hex characters, got ${JSON.stringify(value.slice(0, 80))}`);
  }
  const x = BigInt("0x" + value);
  if (x >= FIELD_MODULUS) fail("INVALID_FIELD_ELEMENT", `${what} is not below the BN254 field modulus`);
  return x;
}

export function bytesToBigIntBE(bytes: Uint8Array): bigint {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  return x;
}

export function bigIntToBytesBE(x: bigint, length: number): Uint8Array {
  if (x < 0n || x >= 1n << BigInt(8 * length)) {
    fail("INVALID_FIELD_ELEMENT", `value does not fit in ${length} bytes`);
  }
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) fail("INVALID_HEX", "not an even-length hex string");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `a string of length ${value.length}`;
  return typeof value;
}
