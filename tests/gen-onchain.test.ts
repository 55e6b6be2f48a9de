/**
 * Which verifying keys a cluster build of the program may carry (security review M1 (c), L9):
 * scripts/onchain-keys.ts, the generator of programs/provenance/src/verifying_key.rs, compiles a
 * key in unconditionally only from a ceremony attestation it has checked, and refuses a forged
 * attestation, a hash mismatch and a key marked insecure; the generated file refuses the
 * insecure keys in an SBF build without `devnet-demo`; and the cargo feature resolution that
 * guard is for. No snarkjs, no circuit: the checked-in keys and hand-made attestations.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sha256Hex, type CeremonyAttestation } from "@provenance/trusted-setup/attestation";
import { SBF_GUARD, SBF_GUARD_CFG, verifyingKeyRust } from "../scripts/onchain-keys.js";
import { expectRefusal } from "./support/expect.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const KEYS = path.join(ROOT, "circuits", "keys");
const VK_RS = path.join(ROOT, "programs", "provenance", "src", "verifying_key.rs");
const GATE = '#[cfg(feature = "insecure-dev-keys")]';

/** A verifying key as `ceremony.ts export` writes it: the test key's points, marked "ceremony". */
function ceremonyVkText(): string {
  const vk = JSON.parse(readFileSync(path.join(KEYS, "test.vk.json"), "utf8")) as Record<string, unknown>;
  vk.provenance_setup = { kind: "ceremony", description: 'phase-2 ceremony for circuit "test"' };
  return JSON.stringify(vk, null, 2) + "\n";
}

function attestation(vkText: string, over: Partial<CeremonyAttestation> = {}): CeremonyAttestation {
  const h = (c: string): string => c.repeat(64);
  return {
    kind: "ceremony",
    schema: 1,
    circuit: "test",
    vkSha256: sha256Hex(vkText),
    r1csSha256: h("1"),
    ptauSha256: h("2"),
    zkeySha256: h("3"),
    contributions: [
      { type: "contribution", name: "Alice", hash: h("a").repeat(2) },
      { type: "beacon", name: "final beacon", hash: h("b").repeat(2) },
    ],
    beacon: { name: "final beacon", hash: "0123456789abcdef".repeat(4), iterationsExp: 10 },
    verifiedWith: "snarkjs 0.7.6 zKey.verifyFromR1cs",
    report: ["ZKey Ok!"],
    ...over,
  };
}

describe("gen-onchain: verifying keys and ceremony attestations", () => {
  let dir: string;
  const vkFile = (): string => path.join(dir, "test.vk.json");
  const attFile = (): string => path.join(dir, "test.ceremony.json");
  const install = (vkText: string, att: unknown): void => {
    writeFileSync(vkFile(), vkText);
    writeFileSync(attFile(), typeof att === "string" ? att : JSON.stringify(att, null, 2) + "\n");
  };
  const generate = (): string => verifyingKeyRust(dir);

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "provenance-gen-onchain-"));
    for (const file of readdirSync(KEYS).filter((f) => f.endsWith(".vk.json"))) copyFileSync(path.join(KEYS, file), path.join(dir, file));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("the checked-in dev keys: every key behind insecure-dev-keys, the SBF guard present, and the file is what is checked in", () => {
    const rs = generate();
    expect(rs).to.equal(readFileSync(VK_RS, "utf8"));
    expect(rs).to.contain(SBF_GUARD);
    expect(rs).to.contain(`${SBF_GUARD_CFG}\ncompile_error!(`);
    expect(rs).to.contain(`${GATE}\nstatic TEST:`);
    expect(rs).to.contain(`${GATE}\nstatic DEV:`);
    expect(rs).to.contain(`        ${GATE}\n        (Circuit::Test, 0) => Some(&TEST),`);
  });

  it("a checked attestation compiles that key in unconditionally (the others stay gated)", () => {
    const text = ceremonyVkText();
    install(text, attestation(text));
    const rs = generate();
    expect(rs).to.match(/\n\nstatic TEST: CircuitKey/);
    expect(rs).to.match(/\n {8}\(Circuit::Test, 0\) => Some\(&TEST\),/);
    expect(rs).to.contain(`- test (family test, shape 0): batch capacity 4; key sha256(test.vk.json) = ${sha256Hex(text)} (ceremony).`);
    expect(rs).to.contain(`${GATE}\nstatic DEV:`);
    expect(rs).to.contain(SBF_GUARD);
  });

  it("refuses a forged attestation, naming the file", async () => {
    const text = ceremonyVkText();
    const cases: [unknown, RegExp][] = [
      ["", /not JSON/],
      [{}, /kind must be "ceremony", found undefined/],
      [[], /not a JSON object/],
      [{ kind: "insecure-dev" }, /kind must be "ceremony", found "insecure-dev"/],
      [{ kind: "ceremony" }, /schema must be 1/],
      [attestation(text, { circuit: "dev" }), /it attests circuit "dev", not "test"/],
      [{ ...attestation(text), vkSha256: undefined }, /vkSha256 must be 64 lowercase hex digits/],
      [attestation(text, { zkeySha256: "00" }), /zkeySha256 must be 64 lowercase hex digits/],
      [attestation(text, { contributions: [{ type: "beacon", name: "final beacon", hash: "b".repeat(128) }] }), /no phase-2 contribution other than beacons is attested/],
      [attestation(text, { contributions: [] }), /no phase-2 contribution other than beacons is attested/],
      [attestation(text, { beacon: null }), /the last contribution is a beacon but beacon is null/],
      [attestation(text, { beacon: { name: "other", hash: "00", iterationsExp: 10 } }), /beacon does not match the last contribution/],
    ];
    for (const [att, message] of cases) {
      install(text, att);
      const file = attFile().replace(/[.]/g, "\\.");
      await expectRefusal(() => generate(), "INVALID_SETUP", new RegExp(`^${file}: not a valid ceremony attestation: ${message.source}`));
    }
  });

  it("refuses an attestation whose vk hash is not the vk compiled", async () => {
    const text = ceremonyVkText();
    const edited = text.replace(/"(\d)(\d+)"/, (_m, a: string, b: string) => `"${(Number(a) + 1) % 10}${b}"`);
    expect(edited).to.not.equal(text);
    install(edited, attestation(text));
    await expectRefusal(() => generate(), "INVALID_SETUP", new RegExp(`test\\.ceremony\\.json attests a verifying key with sha256 ${sha256Hex(text)}, but .*test\\.vk\\.json has sha256 ${sha256Hex(edited)}`));
  });

  it("refuses a vk marked insecure-dev, even when an attestation has its right hash; and a vk not marked ceremony", async () => {
    const dev = readFileSync(path.join(KEYS, "test.vk.json"), "utf8");
    expect(dev).to.contain('"kind": "insecure-dev"');
    install(dev, attestation(dev));
    await expectRefusal(() => generate(), "INVALID_SETUP", /test\.vk\.json is marked provenance_setup\.kind "insecure-dev" \(public toxic waste\): refusing it although .*test\.ceremony\.json attests it/);
    const vk = JSON.parse(dev) as Record<string, unknown>;
    delete vk.provenance_setup;
    const unmarked = JSON.stringify(vk, null, 2) + "\n";
    install(unmarked, attestation(unmarked));
    await expectRefusal(() => generate(), "INVALID_SETUP", /test\.vk\.json is not marked provenance_setup\.kind "ceremony" \(found undefined\)/);
  });

  it("scripts/gen-onchain.ts fails (exit 1, the file named) on an attestation that does not check", () => {
    const text = ceremonyVkText();
    install(text, { kind: "ceremony" });
    const run = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "gen-onchain.ts"), "--keys-only", "--check", "--keys-dir", dir], { cwd: ROOT, encoding: "utf8" });
    expect(run.status, run.stdout + run.stderr).to.equal(1);
    expect(run.stderr).to.contain(`gen-onchain: ${attFile()}: not a valid ceremony attestation: schema must be 1`);
  });

  it("cargo features (L9): the program alone resolves without insecure-dev-keys; a workspace build unifies localnet's in, which the SBF guard refuses", function () {
    this.timeout(120_000);
    const tree = (...args: string[]): string => {
      const run = spawnSync("cargo", ["tree", "--locked", "-e", "features", "-i", "provenance", "--depth", "1", ...args], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, CARGO_TARGET_DIR: process.env.CARGO_TARGET_DIR || path.join(os.homedir(), ".cache", "provenance", "cargo-target") },
      });
      expect(run.status, run.stderr).to.equal(0);
      return run.stdout;
    };
    // what `anchor build` / `cargo build-sbf --manifest-path programs/provenance/Cargo.toml` resolve
    expect(tree("-p", "provenance")).to.not.contain('"insecure-dev-keys"');
    expect(tree("--manifest-path", path.join(ROOT, "programs", "provenance", "Cargo.toml"), "-p", "provenance")).to.not.contain('"insecure-dev-keys"');
    // a workspace build (localnet selected too) turns it on: the reason for the guard
    expect(tree("--workspace")).to.contain('provenance feature "insecure-dev-keys"');
    // devnet-demo is the deliberate switch and implies the keys
    const demo = tree("-p", "provenance", "--features", "devnet-demo");
    expect(demo).to.contain('provenance feature "insecure-dev-keys"');
    expect(readFileSync(VK_RS, "utf8")).to.contain(SBF_GUARD_CFG);
  });
});
