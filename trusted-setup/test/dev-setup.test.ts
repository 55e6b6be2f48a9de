/**
 * The dev setup end to end: tiny circuits at ptau powers 2^6, 2^8 and 2^10 get keys with
 * which a proof verifies and altered proofs or public inputs do not; the same inputs give
 * byte-identical keys; the cache is reused only when it is intact; scripts/setup.ts --check
 * fails when the checked-in key differs.
 */
import { expect } from "chai";
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import * as snarkjs from "snarkjs";
import type { Groth16Proof } from "snarkjs";
import { readR1csHeader, requiredPower, runDevSetup, terminateSnarkjsCurve, ensureDevPtau, DEV_SEED } from "../src/dev-setup.js";
import { setupDir } from "@provenance/prover/artifacts";
import { chainOutput, compileChain, runScript, tempDir } from "./helpers.js";
import type { CompiledTestCircuit } from "./helpers.js";


function runSetupScript(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return runScript("setup.ts", args, { ...process.env, ...env });
}

describe("dev setup", function () {
  this.timeout(240_000);
  let work: string;
  const circuits: Record<number, CompiledTestCircuit> = {};
  // Chain(n) has n constraints and 2 public signals: 40 -> 2^6, 200 -> 2^8, 700 -> 2^10.
  const sizes: Array<[number, number]> = [
    [40, 6],
    [200, 8],
    [700, 10],
  ];

  before(async () => {
    work = await tempDir("dev-setup");
    for (const [n] of sizes) circuits[n] = await compileChain(n, 0, work);
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
    await terminateSnarkjsCurve();
  });

  for (const [n, power] of sizes) {
    it(`Chain(${n}): power 2^${power}; a proof verifies, altered proofs and inputs do not`, async () => {
      const c = circuits[n]!;
      const header = await readR1csHeader(c.r1cs);
      expect(header.nConstraints).to.equal(n);
      expect(requiredPower(header)).to.equal(power);
      const env = { PROVENANCE_CACHE_DIR: path.join(work, `cache-${n}`) };
      const res = await runDevSetup({ name: "chain", r1csFile: c.r1cs, env });
      expect(res.power).to.equal(power);
      expect(res.reused).to.equal(false);
      expect(res.dir).to.equal(setupDir("chain", await readFile(c.r1cs), env));
      expect(res.vk.nPublic).to.equal(2);
      expect((res.vk.provenance_setup as { kind: string }).kind).to.equal("insecure-dev");
      expect(JSON.parse(await readFile(res.vkFile, "utf8"))).to.deep.equal(res.vk);

      const x = 7n;
      const k = 1234567n;
      const { proof, publicSignals } = await snarkjs.groth16.fullProve({ x: x.toString(), k: k.toString() }, c.wasm, res.zkey);
      expect(publicSignals).to.deep.equal([chainOutput(n, x, k).toString(), x.toString()]);
      expect(await snarkjs.groth16.verify(res.vk, publicSignals, proof)).to.equal(true);

      // altered public inputs
      expect(await snarkjs.groth16.verify(res.vk, [publicSignals[0]!, (x + 1n).toString()], proof)).to.equal(false);
      expect(await snarkjs.groth16.verify(res.vk, [(BigInt(publicSignals[0]!) + 1n).toString(), publicSignals[1]!], proof)).to.equal(false);
      // altered proof: each of A, B, C replaced by another valid point
      const other = (await snarkjs.groth16.fullProve({ x: x.toString(), k: (k + 1n).toString() }, c.wasm, res.zkey)).proof;
      for (const field of ["pi_a", "pi_b", "pi_c"] as const) {
        const bad = { ...proof, [field]: other[field] } as Groth16Proof;
        expect(await snarkjs.groth16.verify(res.vk, publicSignals, bad), field).to.equal(false);
      }
      // a proof for this circuit does not verify under another circuit's key of the same shape
      if (n === 40) {
        const variant = await compileChain(n, 1, work);
        const res2 = await runDevSetup({ name: "chain", r1csFile: variant.r1cs, env });
        expect(res2.dir).to.not.equal(res.dir);
        expect(await snarkjs.groth16.verify(res2.vk, publicSignals, proof)).to.equal(false);
      }
    });
  }

  it("snarkjs refuses the power below the one chosen (the choice is the smallest that fits)", async () => {
    const c = circuits[200]!;
    const env = { PROVENANCE_CACHE_DIR: path.join(work, "cache-small") };
    const ptau = await ensureDevPtau(7, DEV_SEED, { env });
    const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    expect(await snarkjs.zKey.newZKey(c.r1cs, ptau.file, path.join(work, "too-small.zkey"), silent)).to.equal(-1);
  });

  it("is deterministic: a fresh cache gives byte-identical zkey and verifying key", async () => {
    const c = circuits[40]!;
    const a = await runDevSetup({ name: "chain", r1csFile: c.r1cs, env: { PROVENANCE_CACHE_DIR: path.join(work, "det-a") } });
    const b = await runDevSetup({ name: "chain", r1csFile: c.r1cs, env: { PROVENANCE_CACHE_DIR: path.join(work, "det-b") } });
    expect(a.reused || b.reused).to.equal(false);
    expect((await readFile(a.zkey)).equals(await readFile(b.zkey))).to.equal(true);
    expect(a.vkText).to.equal(b.vkText);
    // another seed gives other keys
    const c2 = await runDevSetup({ name: "chain", r1csFile: c.r1cs, seed: "another seed", env: { PROVENANCE_CACHE_DIR: path.join(work, "det-a") } });
    expect(c2.reused).to.equal(false);
    expect(c2.vk.vk_delta_2).to.not.deep.equal(a.vk.vk_delta_2);
  });

  it("reuses an intact cache, rebuilds a damaged one, ignores leftover temporary files", async () => {
    const c = circuits[40]!;
    const env = { PROVENANCE_CACHE_DIR: path.join(work, "cache-reuse") };
    const first = await runDevSetup({ name: "chain", r1csFile: c.r1cs, env });
    const zkeyBytes = await readFile(first.zkey);
    const again = await runDevSetup({ name: "chain", r1csFile: c.r1cs, env });
    expect(again.reused).to.equal(true);
    expect(again.vkText).to.equal(first.vkText);

    // a damaged zkey (as if a write had been cut short) is not trusted
    await writeFile(first.zkey, zkeyBytes.subarray(0, zkeyBytes.length - 100));
    // a temporary left by a killed setup (its process is gone: pid 2^22 + 1 is above Linux's
    // pid_max) is removed when the setup rebuilds
    const stale = path.join(first.dir, `batch.zkey.tmp-${2 ** 22 + 1}-1`);
    await writeFile(stale, zkeyBytes.subarray(0, 1000));
    const rebuilt = await runDevSetup({ name: "chain", r1csFile: c.r1cs, env });
    expect(rebuilt.reused).to.equal(false);
    expect((await readFile(rebuilt.zkey)).equals(zkeyBytes)).to.equal(true);
    expect((await readdir(first.dir)).filter((f) => f.includes(".tmp-"))).to.deep.equal([]);

    // a damaged cached ptau is rewritten, not used
    const ptauDir = path.join(env.PROVENANCE_CACHE_DIR, "ptau");
    const ptauName = (await readdir(ptauDir)).find((f) => f.endsWith(".ptau"))!;
    const ptauFile = path.join(ptauDir, ptauName);
    const ptauBytes = await readFile(ptauFile);
    const damaged = Buffer.from(ptauBytes);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 1) ^ 1, damaged.length - 1);
    await writeFile(ptauFile, damaged);
    const re = await ensureDevPtau(6, DEV_SEED, { env });
    expect(re.reused).to.equal(false);
    expect((await readFile(ptauFile)).equals(ptauBytes)).to.equal(true);
  });

  it("scripts/setup.ts writes the verifying key, and --check fails when it differs", async () => {
    const c = circuits[40]!;
    const keys = path.join(work, "keys");
    const env = { PROVENANCE_CACHE_DIR: path.join(work, "cache-cli") };
    const args = ["--circuit", "chain", "--r1cs", c.r1cs, "--keys-dir", keys];
    const run1 = await runSetupScript(args, env);
    expect(run1.code, run1.out).to.equal(0);
    expect(run1.out).to.contain("INSECURE DEV SETUP");
    const vkFile = path.join(keys, "chain.vk.json");
    const vk = JSON.parse(await readFile(vkFile, "utf8")) as { provenance_setup: { kind: string } };
    expect(vk.provenance_setup.kind).to.equal("insecure-dev");

    const ok = await runSetupScript([...args, "--check"], env);
    expect(ok.code, ok.out).to.equal(0);
    expect(ok.out).to.contain("check ok");

    const text = await readFile(vkFile, "utf8");
    await writeFile(vkFile, text.replace(/"nPublic": 2/, '"nPublic": 3'));
    const bad = await runSetupScript([...args, "--check"], env);
    expect(bad.code).to.equal(1);
    expect(bad.out).to.contain("CHECK FAILED");

    const missing = await runSetupScript(["--circuit", "chain", "--r1cs", path.join(work, "nope.r1cs"), "--keys-dir", keys], env);
    expect(missing.code).to.equal(1);
    expect(missing.out).to.match(/cannot read R1CS .*nope\.r1cs/);

    const prod = await runSetupScript(["--circuit", "prod"], env);
    expect(prod.code).to.equal(2);
    expect(prod.out).to.contain("refusing");
  });
});
