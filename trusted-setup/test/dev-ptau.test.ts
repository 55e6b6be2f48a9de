/**
 * The fast dev ptau writer, checked the honest way:
 *  - byte for byte against snarkjs's own `powersoftau new` + `beacon` + `prepare phase2` run
 *    with the same public beacon (so the same tau, alpha, beta);
 *  - `snarkjs powersoftau verify` accepts it and reports the INSECURE beacon contribution;
 *  - its Lagrange sections satisfy the defining identities (sum_i w^(ij)·L_i(tau)·G = tau^j·G),
 *    checked with plain group arithmetic at a power where snarkjs's prepare is slow.
 */
import { expect } from "chai";
import { readFile, readdir, rm } from "node:fs/promises";
import path from "node:path";
import * as snarkjs from "snarkjs";
import { buildBn128 } from "ffjavascript";
import type { Bn128Curve, WasmElement } from "ffjavascript";
import {
  DEV_BEACON_ITERATIONS_EXP,
  DEV_PTAU_CONTRIBUTION_NAME,
  devPtauBeaconHash,
  writeDevPtau,
} from "../src/dev-ptau.js";
import { terminateSnarkjsCurve } from "../src/dev-setup.js";
import { readBinSections, tempDir } from "./helpers.js";

const SEED = "dev-ptau test seed";

describe("dev ptau writer", function () {
  this.timeout(180_000);
  let dir: string;
  let curve: Bn128Curve;

  before(async () => {
    dir = await tempDir("dev-ptau");
    curve = await buildBn128(true);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await terminateSnarkjsCurve();
  });

  for (const power of [6, 7]) {
    it(`is byte-identical to snarkjs new + beacon + prepare phase2 at 2^${power}`, async () => {
      const mine = path.join(dir, `mine-${power}.ptau`);
      await writeDevPtau(mine, { power, seed: SEED });
      const snarkCurve = await snarkjs.curves.getCurveFromName("bn128");
      const p0 = path.join(dir, `p0-${power}.ptau`);
      const p1 = path.join(dir, `p1-${power}.ptau`);
      const ref = path.join(dir, `ref-${power}.ptau`);
      await snarkjs.powersOfTau.newAccumulator(snarkCurve, power, p0);
      const beaconHex = Buffer.from(devPtauBeaconHash(SEED)).toString("hex");
      const ok = await snarkjs.powersOfTau.beacon(p0, p1, DEV_PTAU_CONTRIBUTION_NAME, beaconHex, DEV_BEACON_ITERATIONS_EXP);
      expect(ok).to.not.equal(false);
      await snarkjs.powersOfTau.preparePhase2(p1, ref);
      const a = await readFile(mine);
      const b = await readFile(ref);
      expect(a.length).to.equal(b.length);
      // Compare section by section first, for a useful message.
      const sa = readBinSections(a, "ptau");
      const sb = readBinSections(b, "ptau");
      expect([...sa.keys()]).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]);
      expect([...sa.keys()]).to.deep.equal([...sb.keys()]);
      for (const id of sa.keys()) {
        expect(Buffer.from(sa.get(id)![0]!).equals(Buffer.from(sb.get(id)![0]!)), `section ${id}`).to.equal(true);
      }
      expect(a.equals(b)).to.equal(true);
      if (power === 6) {
        // Output does not depend on how points are batched: odd chunk sizes cross every
        // section, Lagrange block and hashing boundary (snarkjs hashes in 2^20-byte pieces).
        for (const chunkPoints of [7, 50]) {
          const odd = path.join(dir, `chunk-${chunkPoints}.ptau`);
          await writeDevPtau(odd, { power, seed: SEED, chunkPoints });
          expect((await readFile(odd)).equals(b), `chunkPoints ${chunkPoints}`).to.equal(true);
        }
      }
    });
  }

  it("passes snarkjs powersoftau verify, which reports the INSECURE beacon contribution", async () => {
    const file = path.join(dir, "verify-6.ptau");
    await writeDevPtau(file, { power: 6, seed: SEED });
    const lines: string[] = [];
    const logger = { debug: () => {}, info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    expect(await snarkjs.powersOfTau.verify(file, logger)).to.equal(true);
    const text = lines.join("\n");
    expect(text).to.contain(DEV_PTAU_CONTRIBUTION_NAME);
    expect(text).to.match(/Beacon generator/i);
    // A file with one flipped point must not verify.
    const data = await readFile(file);
    const secs = readBinSections(data, "ptau");
    const s2 = secs.get(2)![0]!;
    const bad = Buffer.from(data);
    const off = s2.byteOffset - data.byteOffset + 64 * 5; // tau^5·G1
    curve.G1.toRprLEM(bad, off, curve.G1.add(curve.G1.fromRprLEM(data, off), curve.G1.g));
    const badFile = path.join(dir, "verify-6-bad.ptau");
    await (await import("node:fs/promises")).writeFile(badFile, bad);
    expect(await snarkjs.powersOfTau.verify(badFile, logger)).to.equal(false);
  });

  it("is deterministic, and depends on the seed", async () => {
    const a = path.join(dir, "det-a.ptau");
    const b = path.join(dir, "det-b.ptau");
    const c = path.join(dir, "det-c.ptau");
    await writeDevPtau(a, { power: 5, seed: SEED });
    await writeDevPtau(b, { power: 5, seed: SEED });
    await writeDevPtau(c, { power: 5, seed: SEED + "!" });
    const [da, db, dc] = await Promise.all([readFile(a), readFile(b), readFile(c)]);
    expect(da.equals(db)).to.equal(true);
    const s2a = readBinSections(da, "ptau").get(2)![0]!;
    const s2c = readBinSections(dc, "ptau").get(2)![0]!;
    expect(Buffer.from(s2a.subarray(64, 128)).equals(Buffer.from(s2c.subarray(64, 128)))).to.equal(false);
    // No temporary files are left behind.
    expect((await readdir(dir)).filter((f) => f.includes(".tmp-"))).to.deep.equal([]);
  });

  it("Lagrange sections satisfy sum_i w^(ij)·L_i(tau)·G = tau^j·G at 2^9 (plain group arithmetic)", async () => {
    const power = 9;
    const file = path.join(dir, "lagrange-9.ptau");
    await writeDevPtau(file, { power, seed: SEED });
    const secs = readBinSections(await readFile(file), "ptau");
    const Fr = curve.Fr;
    const G1 = curve.G1;
    const G2 = curve.G2;
    const tauG1 = secs.get(2)![0]!;
    const tauG2 = secs.get(3)![0]!;
    const alphaG1 = secs.get(4)![0]!;
    const betaG1 = secs.get(5)![0]!;
    type Group = typeof G1;
    const point = (G: Group, buf: Uint8Array, i: number, size: number): WasmElement => G.fromRprLEM(buf, i * size);
    /** sum_i w^(i·j)·P_i over one block of a Lagrange section. */
    const weighted = (G: Group, block: Uint8Array, size: number, m: number, j: number): WasmElement => {
      const w = Fr.w[Math.log2(m)]!;
      const wj = Fr.exp(w, BigInt(j));
      let acc = G.zero;
      let f = Fr.one;
      for (let i = 0; i < m; i++) {
        acc = G.add(acc, G.timesFr(point(G, block, i, size), f));
        f = Fr.mul(f, wj);
      }
      return acc;
    };
    const check = (id: number, G: Group, size: number, powers: Uint8Array, checks: (m: number) => number[]): void => {
      const body = secs.get(id)![0]!;
      let off = 0;
      for (let p = 0; p <= power; p++) {
        const m = 2 ** p;
        const block = body.subarray(off, off + m * size);
        for (const j of checks(m)) {
          const got = weighted(G, block, size, m, j);
          expect(G.eq(got, point(G, powers, j, size)), `section ${id}, 2^${p}, j=${j}`).to.equal(true);
        }
        off += m * size;
      }
      if (id === 12) {
        // extra block: inverse FFT of tau^0..tau^(2n-2) with the last entry set to 0
        const m = 2 ** (power + 1);
        const block = body.subarray(off, off + m * size);
        expect(G.eq(weighted(G, block, size, m, 0), point(G, powers, 0, size))).to.equal(true);
        expect(G.eq(weighted(G, block, size, m, m - 2), point(G, powers, m - 2, size))).to.equal(true);
        expect(G.isZero(weighted(G, block, size, m, m - 1))).to.equal(true);
        off += m * size;
      }
      expect(off).to.equal(body.length);
    };
    const js = (m: number): number[] => [...new Set([0, 1, m - 1].filter((j) => j < m))];
    check(12, G1, 64, tauG1, js);
    check(13, G2, 128, tauG2, (m) => [...new Set([0, m - 1])]);
    check(14, G1, 64, alphaG1, (m) => [...new Set([0, m - 1])]);
    check(15, G1, 64, betaG1, (m) => [...new Set([0, m - 1])]);
    // and the powers really are powers of one tau: e(tau^i·G1, G2) = e(G1, tau^i·G2)
    for (const i of [1, 2, 300, 511]) {
      const ok = await curve.pairingEq(point(G1, tauG1, i, 64), G2.neg(G2.g), G1.g, point(G2, tauG2, i, 128));
      expect(ok, `pairing i=${i}`).to.equal(true);
    }
    // tau^(i+1)·G1 relates to tau^i·G1 by the same tau as section 3 entry 1
    const t1g2 = point(G2, tauG2, 1, 128);
    for (const i of [0, 700, 1021]) {
      const ok = await curve.pairingEq(point(G1, tauG1, i + 1, 64), G2.neg(G2.g), point(G1, tauG1, i, 64), t1g2);
      expect(ok, `pairing step i=${i}`).to.equal(true);
    }
  });
});
