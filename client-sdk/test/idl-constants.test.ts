/**
 * The protocol constants the SDK reads from the generated IDL agree with the program's Rust
 * source (programs/provenance/src/constants.rs and the `Circuit` enum), parsed here on its own.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import {
  BATCH_CHAIN_DOMAIN,
  BATCH_LOG_CAPACITY,
  BATCH_LOG_SEED,
  CHAIN_DOMAIN,
  CIRCUIT_NAMES,
  CONFIG_SEED,
  MAX_CLOCK_SKEW_MS,
  PROVENANCE_IDL,
  REGISTRY_ROOT_GRACE_SECS,
  REGISTRY_ROOT_HISTORY,
  readProtocolConstants,
} from "../src/index.js";
import type { CircuitName } from "../src/chain.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const program = (file: string): string => readFileSync(path.join(ROOT, "programs", "provenance", "src", file), "utf8");

/** `pub const NAME: TYPE = VALUE;` of constants.rs. */
function rustConstant(name: string): string {
  const m = new RegExp(`pub const ${name}: [^=]+= ([^;]+);`).exec(program("constants.rs"));
  if (!m) throw new Error(`constants.rs has no ${name}`);
  return m[1]!.trim();
}
const rustInt = (name: string): number => Number(rustConstant(name).replace(/_/g, ""));
const rustBytes = (name: string): string => /^b"(.*)"$/.exec(rustConstant(name))![1]!;
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe("protocol constants from the IDL", () => {
  it("are the program's constants.rs values", () => {
    expect(text(CONFIG_SEED)).to.equal(rustBytes("CONFIG_SEED"));
    expect(text(BATCH_LOG_SEED)).to.equal(rustBytes("BATCH_LOG_SEED"));
    expect(text(BATCH_CHAIN_DOMAIN)).to.equal(rustBytes("BATCH_CHAIN_DOMAIN"));
    expect(CHAIN_DOMAIN).to.equal(rustBytes("BATCH_CHAIN_DOMAIN"));
    expect(BATCH_LOG_CAPACITY).to.equal(rustInt("BATCH_LOG_CAPACITY"));
    expect(REGISTRY_ROOT_HISTORY).to.equal(rustInt("REGISTRY_ROOT_HISTORY"));
    expect(REGISTRY_ROOT_GRACE_SECS).to.equal(rustInt("REGISTRY_ROOT_GRACE_SECS"));
    expect(MAX_CLOCK_SKEW_MS).to.equal(rustInt("MAX_CLOCK_SKEW_MS"));
  });

  it("name the program's circuits, lower-case", () => {
    const m = /pub enum Circuit \{([^}]*)\}/.exec(program("state/circuit.rs"));
    expect(m, "state/circuit.rs declares enum Circuit").to.not.equal(null);
    const variants = m![1]!
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => /^[A-Z]\w*,?$/.test(l))
      .map((l) => l.replace(",", "").toLowerCase());
    expect([...CIRCUIT_NAMES]).to.deep.equal(variants);
    const typed: CircuitName[] = ["test", "dev", "prod"];
    expect(typed).to.deep.equal([...CIRCUIT_NAMES]);
    // @ts-expect-error: not a circuit of the program
    const other: CircuitName = "staging";
    expect(CIRCUIT_NAMES).to.not.include(other);
  });

  it("refuse an IDL whose constant is missing, of the wrong type or out of range, naming it", () => {
    const idl = JSON.parse(JSON.stringify(PROVENANCE_IDL)) as { constants: { name: string; type: string; value: string }[]; types: { name: string }[] };
    const altered = (change: (c: typeof idl) => void) => {
      const copy = JSON.parse(JSON.stringify(idl)) as typeof idl;
      change(copy);
      return () => readProtocolConstants(copy);
    };
    const named = (c: typeof idl, name: string) => c.constants.find((k) => k.name === name)!;
    expect(readProtocolConstants(idl).batchLogCapacity).to.equal(BATCH_LOG_CAPACITY);
    expect(altered((c) => (c.constants = c.constants.filter((k) => k.name !== "CONFIG_SEED")))).to.throw(/has no constant CONFIG_SEED/);
    expect(altered((c) => (named(c, "BATCH_LOG_CAPACITY").type = "u32"))).to.throw(/constant BATCH_LOG_CAPACITY has type "u32", expected "u64"/);
    expect(altered((c) => (named(c, "REGISTRY_ROOT_HISTORY").value = "256"))).to.throw(/REGISTRY_ROOT_HISTORY = 256 is out of range for u8/);
    expect(altered((c) => (named(c, "MAX_CLOCK_SKEW_MS").value = "12e4"))).to.throw(/is not a decimal integer/);
    expect(altered((c) => (named(c, "BATCH_LOG_SEED").value = "[98, 300]"))).to.throw(/BATCH_LOG_SEED = .* is not a non-empty list of bytes/);
    expect(altered((c) => (c.types = c.types.filter((t) => t.name !== "Circuit")))).to.throw(/has no type Circuit/);
    expect(altered((c) => delete (c as { constants?: unknown }).constants)).to.throw(/has no "constants" array/);
  });
});
