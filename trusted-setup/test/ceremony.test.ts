/**
 * The production path, end to end on a tiny circuit: a real (random) phase-1 ptau made here
 * with snarkjs, phase-2 init, two contributions, a beacon, transcript verification against the
 * circuit and the ptau, verifying-key export, and a proof; plus the errors for wrong inputs,
 * and what export refuses (security review M1): a transcript with no real contribution, and
 * any ptau made by the insecure dev setup (each detection method on its own).
 */
import { expect } from "chai";
import { copyFile, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import * as snarkjs from "snarkjs";
import type { Groth16Proof } from "snarkjs";
import { ProvenanceError } from "@provenance/client-sdk/errors";
import { checkAttestedKey } from "../src/attestation.js";
import { ceremonyBeacon, ceremonyCheckInstallable, ceremonyContribute, ceremonyExportVk, ceremonyInit, ceremonyVerify } from "../src/ceremony.js";
import { DEV_SEED, ensureDevPtau, terminateSnarkjsCurve } from "../src/dev-setup.js";
import { DEV_PTAU_CONTRIBUTION_NAME, writeDevPtau } from "../src/dev-ptau.js";
import { readPtauContributions, readZkeyContributions } from "../src/transcript.js";
import { chainOutput, compileChain, runScript, tempDir } from "./helpers.js";
import type { CompiledTestCircuit } from "./helpers.js";
import { expectRefusal } from "../../tests/support/expect.js";


function runCeremony(args: string[], env: Record<string, string | undefined> = process.env): Promise<{ code: number; out: string }> {
  return runScript("ceremony.ts", args, env);
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
    expect(res.refusal).to.equal(undefined);
    // the zkey's own contribution list (section 10), read here, not by snarkjs
    expect(res.contributions.map((c) => [c.type, c.name])).to.deep.equal([[0, "Alice"], [0, "Bob"], [1, "final beacon"]]);
    expect(res.contributions.map((c) => c.hash).slice(0, 2)).to.deep.equal([h1, h2]);
    expect(res.contributions[2]!.beaconHash).to.equal("0123456789abcdef".repeat(4));
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

  it("export refuses a transcript with no contribution other than a beacon, or with none at all", async () => {
    await ceremonyInit({ r1cs: circuit.r1cs, ptau, out: f("b_0000.zkey") });
    await ceremonyBeacon({ input: f("b_0000.zkey"), out: f("b_final.zkey"), name: "only a beacon", beaconHex: "ab".repeat(32), iterationsExp: 10 });
    const onlyBeacon = /refusing to export: zkey .*b_final\.zkey has no phase-2 contribution other than beacons: its 1 contribution\(s\) \(#1 "only a beacon"\) are all public random beacons, so delta is public/;
    // snarkjs alone accepts it (the finding); ours does not
    expect(await snarkjs.zKey.verifyFromR1cs(circuit.r1cs, ptau, f("b_final.zkey"))).to.equal(true);
    const v = await ceremonyVerify({ r1cs: circuit.r1cs, ptau, zkey: f("b_final.zkey") });
    expect(v.ok).to.equal(false);
    expect(v.refusal).to.match(/no phase-2 contribution other than beacons/);
    await expectRefusal(() => ceremonyExportVk({ zkey: f("b_final.zkey") }), "INVALID_SETUP", onlyBeacon);
    await expectRefusal(() => ceremonyExportVk({ zkey: f("b_final.zkey"), ptau }), "INVALID_SETUP", onlyBeacon);
    // no contribution at all (the output of init): verify says so, export refuses
    const v0 = await ceremonyVerify({ r1cs: circuit.r1cs, ptau, zkey: f("b_0000.zkey") });
    expect(v0.ok).to.equal(true);
    expect(v0.refusal).to.match(/has no phase-2 contribution at all/);
    await expectRefusal(() => ceremonyExportVk({ zkey: f("b_0000.zkey") }), "INVALID_SETUP", /refusing to export: zkey .*b_0000\.zkey has no phase-2 contribution at all \(the initial key/);
    // the CLI: install refuses and writes nothing; verify exits 1
    const keys = f("keys-beacon");
    const inst = await runCeremony(["export", "--zkey", f("b_final.zkey"), "--circuit", "chain", "--r1cs", circuit.r1cs, "--ptau", ptau, "--keys-dir", keys]);
    expect(inst.code, inst.out).to.equal(1);
    expect(inst.out).to.match(/error \(INVALID_SETUP\): refusing to export: .* no phase-2 contribution other than beacons/);
    await expectRefusal(() => readFile(path.join(keys, "chain.vk.json")).catch(() => { throw new ProvenanceError("INVALID_SETUP", "absent"); }), "INVALID_SETUP", /absent/);
    const ver = await runCeremony(["verify", "--r1cs", circuit.r1cs, "--ptau", ptau, "--zkey", f("b_final.zkey")]);
    expect(ver.code, ver.out).to.equal(1);
    expect(ver.out).to.contain("VERIFICATION FAILED: zkey");
  });

  it("a transcript built on the dev ptau is refused (marker, dev beacon, cached file hash, beacon-only phase 1)", async () => {
    const devPtau = f("dev-6.ptau");
    await writeDevPtau(devPtau, { power: 6, seed: DEV_SEED });
    expect((await readPtauContributions(devPtau)).map((c) => [c.type, c.name])).to.deep.equal([[1, DEV_PTAU_CONTRIBUTION_NAME]]);
    // init refuses it; a coordinator going around init (snarkjs directly) still gets no key
    await expectRefusal(() => ceremonyInit({ r1cs: circuit.r1cs, ptau: devPtau, out: f("d_0000.zkey") }), "INVALID_SETUP", /refusing to start a ceremony: powers of tau .*dev-6\.ptau was made by the project's INSECURE dev setup/);
    expect(await snarkjs.zKey.newZKey(circuit.r1cs, devPtau, f("d_0000.zkey"))).to.not.equal(-1);
    await ceremonyContribute({ input: f("d_0000.zkey"), out: f("d_0001.zkey"), name: "Carol", entropy: "a genuine contribution" });
    expect(await snarkjs.zKey.verifyFromR1cs(circuit.r1cs, devPtau, f("d_0001.zkey"))).to.equal(true);
    const v = await ceremonyVerify({ r1cs: circuit.r1cs, ptau: devPtau, zkey: f("d_0001.zkey") });
    expect(v.ok).to.equal(false);
    const byMarker = /refusing to export: powers of tau .*dev-6\.ptau was made by the project's INSECURE dev setup: contribution #1 "INSECURE DEV SETUP: tau is public, anyone can forge proofs" carries its marker/;
    await expectRefusal(() => ceremonyExportVk({ zkey: f("d_0001.zkey"), ptau: devPtau }), "INVALID_SETUP", byMarker);
    const keys = f("keys-dev");
    const inst = await runCeremony(["export", "--zkey", f("d_0001.zkey"), "--circuit", "chain", "--r1cs", circuit.r1cs, "--ptau", devPtau, "--keys-dir", keys]);
    expect(inst.code, inst.out).to.equal(1);
    expect(inst.out).to.contain("was made by the project's INSECURE dev setup");
    await expectRefusal(() => readFile(path.join(keys, "chain.ceremony.json")).catch(() => { throw new ProvenanceError("INVALID_SETUP", "absent"); }), "INVALID_SETUP", /absent/);

    // The name is not covered by any hash: renamed, the dev beacon hash still gives it away.
    const renamed = f("dev-6-renamed.ptau");
    const bytes = Buffer.from(await readFile(devPtau));
    const at = bytes.indexOf(Buffer.from(DEV_PTAU_CONTRIBUTION_NAME, "utf8"));
    expect(at).to.be.greaterThan(0);
    Buffer.from("A".repeat(DEV_PTAU_CONTRIBUTION_NAME.length), "utf8").copy(bytes, at);
    await writeFile(renamed, bytes);
    await expectRefusal(() => ceremonyCheckInstallable({ zkey: f("d_0001.zkey"), ptau: renamed }), "INVALID_SETUP", /dev-6-renamed\.ptau was made by the project's INSECURE dev setup: contribution #1 "A+" is a beacon with the dev setup's public beacon hash [0-9a-f]{64}/);

    // The cached dev ptau, by its SHA-256 (checked first, before the contribution records).
    const cache = f("cache");
    const cached = await ensureDevPtau(6, DEV_SEED, { env: { PROVENANCE_CACHE_DIR: cache } });
    const copy = f("downloaded.ptau");
    await copyFile(cached.file, copy);
    await expectRefusal(() => ceremonyCheckInstallable({ zkey: f("d_0001.zkey"), ptau: copy, env: { PROVENANCE_CACHE_DIR: cache } }), "INVALID_SETUP", /downloaded\.ptau is the project's cached INSECURE dev ptau \(.*insecure-dev-06-[0-9a-f]{16}\.ptau, same SHA-256 [0-9a-f]{64}\)/);

    // Any phase 1 made only of beacons (another seed, or snarkjs's own beacon): tau is public too.
    const b0 = f("pb_0.ptau");
    const curve = await snarkjs.curves.getCurveFromName("bn128");
    await snarkjs.powersOfTau.newAccumulator(curve, 6, b0);
    await snarkjs.powersOfTau.beacon(b0, f("pb_1.ptau"), "a public beacon", "cd".repeat(32), 10);
    await snarkjs.powersOfTau.preparePhase2(f("pb_1.ptau"), f("pb_final.ptau"));
    await expectRefusal(() => ceremonyCheckInstallable({ zkey: f("d_0001.zkey"), ptau: f("pb_final.ptau") }), "INVALID_SETUP", /pb_final\.ptau has no phase-1 contribution made with private randomness: its 1 contribution\(s\) \(#1 "a public beacon"\) are all public beacons/);
    // ...while the genuine phase 1 (one random contribution) passes
    expect((await ceremonyCheckInstallable({ zkey: f("d_0001.zkey"), ptau })).map((c) => c.name)).to.deep.equal(["Carol"]);
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
    // a genuine transcript is accepted, and its attestation is the schema gen-onchain checks
    const att = checkAttestedKey({ circuit: "chain", vkFile: path.join(keys, "chain.vk.json"), attestationFile: path.join(keys, "chain.ceremony.json") });
    expect(att.kind).to.equal("ceremony");
    expect(att.zkeySha256).to.match(/^[0-9a-f]{64}$/);
    const zc = await readZkeyContributions(f("c_final.zkey"));
    expect(att.contributions).to.deep.equal(zc.map((c) => ({ type: c.type === 0 ? "contribution" : "beacon", name: c.name, hash: c.hash })));
    expect(att.beacon).to.deep.equal({ name: "final beacon", hash: "0123456789abcdef".repeat(4), iterationsExp: 10 });
    const installed = JSON.parse(await readFile(path.join(keys, "chain.vk.json"), "utf8")) as Record<string, unknown>;
    expect(installed.vk_delta_2).to.deep.equal((vk as unknown as Record<string, unknown>).vk_delta_2);
    // and the dev setup refuses to overwrite a ceremony key
    const setup = await runScript("setup.ts", ["--circuit", "chain", "--r1cs", circuit.r1cs, "--keys-dir", keys], { ...process.env, PROVENANCE_CACHE_DIR: f("cache") });
    expect(setup.code, setup.out).to.equal(2);
    expect(setup.out).to.contain("ceremony key");
    const usage = await runCeremony(["contribute", "--in", f("c_0000.zkey")]);
    expect(usage.code).to.equal(2);
    expect(usage.out).to.contain("missing --out, --name");
  });
});
