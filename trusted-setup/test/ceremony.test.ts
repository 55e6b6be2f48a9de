/**
 * The production path, end to end on a tiny circuit: a real (random) phase-1 ptau made here
 * with snarkjs, phase-2 init, two contributions, a beacon, transcript verification against the
 * circuit and the ptau, verifying-key export, and a proof; plus the errors for wrong inputs.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import * as snarkjs from "snarkjs";
import type { Groth16Proof } from "snarkjs";
import { ProvenanceError } from "@provenance/client-sdk/errors";
import { ceremonyBeacon, ceremonyContribute, ceremonyExportVk, ceremonyInit, ceremonyVerify } from "../src/ceremony.js";
import { terminateSnarkjsCurve } from "../src/dev-setup.js";
import { writeDevPtau } from "../src/dev-ptau.js";
import { chainOutput, compileChain, tempDir } from "./helpers.js";
import type { CompiledTestCircuit } from "./helpers.js";
import { expectRefusal } from "../../tests/support/expect.js";

const REPO = path.resolve(import.meta.dirname, "..", "..");

function runCeremony(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "ceremony.ts"), ...args], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, out }));
  });
}

describe("phase-2 ceremony", function () {
  this.timeout(180_000);
  let work: string;
  let circuit: CompiledTestCircuit;
  let other: CompiledTestCircuit;
  let big: CompiledTestCircuit;
  let ptau: string;
  let rawPtau: string;
  const f = (name: string): string => path.join(work, name);

  before(async () => {
    work = await tempDir("ceremony");
    circuit = await compileChain(40, 0, work);
    other = await compileChain(40, 1, work);
    big = await compileChain(200, 0, work);
    // A real phase 1 at 2^6 with a random contribution (stands in for a downloaded file).
    const curve = await snarkjs.curves.getCurveFromName("bn128");
    await snarkjs.powersOfTau.newAccumulator(curve, 6, f("pot_0.ptau"));
    await snarkjs.powersOfTau.contribute(f("pot_0.ptau"), f("pot_1.ptau"), "phase 1 test contributor", "some entropy");
    rawPtau = f("pot_1.ptau");
    await snarkjs.powersOfTau.preparePhase2(rawPtau, f("pot_final.ptau"));
    ptau = f("pot_final.ptau");
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
    await terminateSnarkjsCurve();
  });

  it("init, two contributions, beacon, verify, export: the final key proves and verifies", async () => {
    await ceremonyInit({ r1cs: circuit.r1cs, ptau, out: f("c_0000.zkey") });
    const h1 = await ceremonyContribute({ input: f("c_0000.zkey"), out: f("c_0001.zkey"), name: "Alice", entropy: "alice's dice rolls" });
    const h2 = await ceremonyContribute({ input: f("c_0001.zkey"), out: f("c_0002.zkey"), name: "Bob" }); // OS entropy only
    expect(h1).to.match(/^[0-9a-f]{128}$/);
    expect(h2).to.not.equal(h1);
    await ceremonyBeacon({ input: f("c_0002.zkey"), out: f("c_final.zkey"), name: "final beacon", beaconHex: "0123456789abcdef".repeat(4), iterationsExp: 10 });

    const res = await ceremonyVerify({ r1cs: circuit.r1cs, ptau, zkey: f("c_final.zkey") });
    expect(res.ok, res.report.join("\n")).to.equal(true);
    const report = res.report.join("\n");
    expect(report).to.contain("Alice");
    expect(report).to.contain("Bob");
    expect(report).to.contain("final beacon");
    // the published contribution hashes are found in the verified transcript
    const compact = report.replace(/\s+/g, "");
    expect(compact).to.contain(h1);
    expect(compact).to.contain(h2);

    const { vk, text } = await ceremonyExportVk({ zkey: f("c_final.zkey") });
    expect((vk.provenance_setup as { kind: string }).kind).to.equal("ceremony");
    expect(JSON.parse(text)).to.deep.equal(vk);
    const { proof, publicSignals } = await snarkjs.groth16.fullProve({ x: "5", k: "11" }, circuit.wasm, f("c_final.zkey"));
    expect(publicSignals[0]).to.equal(chainOutput(40, 5n, 11n).toString());
    expect(await snarkjs.groth16.verify(vk, publicSignals, proof)).to.equal(true);
    const bad = { ...proof, pi_a: proof.pi_c } as Groth16Proof;
    expect(await snarkjs.groth16.verify(vk, publicSignals, bad)).to.equal(false);
    expect(await snarkjs.groth16.verify(vk, [publicSignals[0]!, "6"], proof)).to.equal(false);
    // each contribution changes the key: the initial key's vk differs
    const vk0 = await snarkjs.zKey.exportVerificationKey(f("c_0000.zkey"));
    expect(vk0.vk_delta_2).to.not.deep.equal(vk.vk_delta_2);
  });

  it("verify rejects a transcript for another circuit, over another ptau, or tampered with", async () => {
    const wrongCircuit = await ceremonyVerify({ r1cs: other.r1cs, ptau, zkey: f("c_final.zkey") });
    expect(wrongCircuit.ok).to.equal(false);
    const dev = f("dev6.ptau");
    await writeDevPtau(dev, { power: 6, seed: "not the ceremony's" });
    const wrongPtau = await ceremonyVerify({ r1cs: circuit.r1cs, ptau: dev, zkey: f("c_final.zkey") });
    expect(wrongPtau.ok).to.equal(false);
    // tamper: flip one byte near the end (inside the contributions / points)
    const bytes = Buffer.from(await readFile(f("c_final.zkey")));
    const at = Math.floor(bytes.length / 2);
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0x01, at);
    await writeFile(f("c_tampered.zkey"), bytes);
    let tamperedOk: boolean;
    try {
      tamperedOk = (await ceremonyVerify({ r1cs: circuit.r1cs, ptau, zkey: f("c_tampered.zkey") })).ok;
    } catch {
      tamperedOk = false; // snarkjs may also throw on a point that is not on the curve
    }
    expect(tamperedOk).to.equal(false);
  });

  it("clear errors: missing files, wrong file types, unprepared or too small ptau, bad beacon", async () => {
    await expectRefusal(() => ceremonyInit({ r1cs: f("nope.r1cs"), ptau, out: f("x.zkey") }), "INVALID_SETUP", /circuit .*nope\.r1cs not found/);
    await expectRefusal(() => ceremonyInit({ r1cs: circuit.r1cs, ptau: f("nope.ptau"), out: f("x.zkey") }), "INVALID_SETUP", /powers of tau .*nope\.ptau not found/);
    await expectRefusal(() => ceremonyInit({ r1cs: circuit.r1cs, ptau: rawPtau, out: f("x.zkey") }), "INVALID_SETUP", /not prepared for phase 2/);
    await expectRefusal(() => ceremonyInit({ r1cs: big.r1cs, ptau, out: f("x.zkey") }), "INVALID_SETUP", /needs a powers of tau of at least 2\^8; .* is 2\^6/);
    await expectRefusal(() => ceremonyInit({ r1cs: ptau, ptau, out: f("x.zkey") }), "INVALID_SETUP", /is not a \.r1cs file/);
    await expectRefusal(() => ceremonyContribute({ input: circuit.r1cs, out: f("x.zkey"), name: "Eve" }), "INVALID_SETUP", /is not a \.zkey file/);
    await expectRefusal(() => ceremonyContribute({ input: f("c_0000.zkey"), out: f("x.zkey"), name: " " }), "INVALID_SETUP", /needs a name/);
    await expectRefusal(() => ceremonyBeacon({ input: f("c_0002.zkey"), out: f("x.zkey"), name: "b", beaconHex: "xyz", iterationsExp: 10 }), "INVALID_SETUP", /beacon must be 1\.\.255 bytes of hex/);
    await expectRefusal(() => ceremonyVerify({ r1cs: circuit.r1cs, ptau, zkey: f("missing.zkey") }), "INVALID_SETUP", /zkey .*missing\.zkey not found/);
    // failed steps leave no output file behind
    await expectRefusal(() => ceremonyInit({ r1cs: big.r1cs, ptau, out: f("x.zkey") }), "INVALID_SETUP", /needs/);
    await expectRefusal(() => readFile(f("x.zkey")).catch(() => { throw new ProvenanceError("INVALID_SETUP", "absent"); }), "INVALID_SETUP", /absent/);
  });

  it("scripts/ceremony.ts: verify exits 0 on a good transcript and 1 on a wrong circuit; export writes the key", async () => {
    const good = await runCeremony(["verify", "--r1cs", circuit.r1cs, "--ptau", ptau, "--zkey", f("c_final.zkey")]);
    expect(good.code, good.out).to.equal(0);
    expect(good.out).to.contain("transcript ok");
    const wrong = await runCeremony(["verify", "--r1cs", other.r1cs, "--ptau", ptau, "--zkey", f("c_final.zkey")]);
    expect(wrong.code).to.equal(1);
    expect(wrong.out).to.contain("VERIFICATION FAILED");
    const exp = await runCeremony(["export", "--zkey", f("c_final.zkey"), "--out", f("vk.json")]);
    expect(exp.code, exp.out).to.equal(0);
    const vk = JSON.parse(await readFile(f("vk.json"), "utf8")) as { protocol: string; nPublic: number };
    expect(vk.protocol).to.equal("groth16");
    expect(vk.nPublic).to.equal(2);
    // install: verified first; a wrong circuit installs nothing
    const keys = f("keys");
    const refused = await runCeremony(["export", "--zkey", f("c_final.zkey"), "--circuit", "chain", "--r1cs", other.r1cs, "--ptau", ptau, "--keys-dir", keys]);
    expect(refused.code).to.equal(1);
    await expectRefusal(() => readFile(path.join(keys, "chain.vk.json")).catch(() => { throw new ProvenanceError("INVALID_SETUP", "absent"); }), "INVALID_SETUP", /absent/);
    const inst = await runCeremony(["export", "--zkey", f("c_final.zkey"), "--circuit", "chain", "--r1cs", circuit.r1cs, "--ptau", ptau, "--keys-dir", keys]);
    expect(inst.code, inst.out).to.equal(0);
    const att = JSON.parse(await readFile(path.join(keys, "chain.ceremony.json"), "utf8")) as { kind: string; zkeySha256: string };
    expect(att.kind).to.equal("ceremony");
    expect(att.zkeySha256).to.match(/^[0-9a-f]{64}$/);
    const installed = JSON.parse(await readFile(path.join(keys, "chain.vk.json"), "utf8")) as Record<string, unknown>;
    expect(installed.vk_delta_2).to.deep.equal((vk as unknown as Record<string, unknown>).vk_delta_2);
    // and the dev setup refuses to overwrite a ceremony key
    const setup = await new Promise<{ code: number; out: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "setup.ts"), "--circuit", "chain", "--r1cs", circuit.r1cs, "--keys-dir", keys], {
        cwd: REPO,
        env: { ...process.env, PROVENANCE_CACHE_DIR: f("cache") },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code: code ?? -1, out }));
    });
    expect(setup.code, setup.out).to.equal(2);
    expect(setup.out).to.contain("ceremony key");
    const usage = await runCeremony(["contribute", "--in", f("c_0000.zkey")]);
    expect(usage.code).to.equal(2);
    expect(usage.out).to.contain("missing --out, --name");
  });
});
