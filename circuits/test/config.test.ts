/** circuits.json validation (parseCircuitConfigs) and the families it declares. */
import { expect } from "chai";
import { circuitConfig, familyConfigs, loadCircuitConfigs, parseCircuitConfigs } from "@provenance/circuits";

const base = { batchLevels: 2, registryLevels: 4, chunkLevels: 1, signerSlots: 2 };

describe("circuit configurations (circuits.json)", () => {
  it("declares the test, dev and prod families with a chunk and a single shape each", () => {
    for (const family of ["test", "dev", "prod"]) {
      const [chunk, single] = familyConfigs(family);
      expect(chunk!.name).to.equal(family);
      expect(chunk!.shape).to.equal(0);
      expect(single!.name).to.equal(`${family}-single`);
      expect(single!.shape).to.equal(1);
      expect(single!.chunkLevels).to.equal(0);
      expect(single!.batchLevels).to.equal(chunk!.batchLevels);
    }
    expect(circuitConfig("prod")).to.include({ batchLevels: 6, registryLevels: 20, chunkLevels: 4, signerSlots: 4 });
    expect(circuitConfig("prod-single")).to.include({ chunkLevels: 0, signerSlots: 8 });
    expect(familyConfigs("bench-b16").map((c) => c.shape)).to.deep.equal([1]);
    expect(() => familyConfigs("nope")).to.throw(/unknown circuit family "nope"; known: test, dev, prod, bench-b16/);
    expect(Object.keys(loadCircuitConfigs())).to.include("test-single");
  });

  it("defaults family to the name and shape to the chunk size", () => {
    const c = parseCircuitConfigs({ x: base, y: { ...base, chunkLevels: 0 } });
    expect(c.x).to.include({ family: "x", shape: 0, purpose: "" });
    expect(c.y).to.include({ family: "y", shape: 1 });
  });

  it("refuses bad fields with precise errors", () => {
    const bad = (value: Record<string, unknown>) => () => parseCircuitConfigs({ x: { ...base, ...value } });
    expect(bad({ chunkLevels: 5 })).to.throw("circuits.json: x.chunkLevels must be an integer in 0..4, got 5");
    expect(bad({ chunkLevels: undefined })).to.throw("circuits.json: x.chunkLevels must be an integer in 0..4, got undefined");
    expect(bad({ chunkLevels: 3 })).to.throw("circuits.json: x.chunkLevels (3) must not exceed batchLevels (2)");
    expect(bad({ signerSlots: 5 })).to.throw("circuits.json: x.signerSlots must be an integer in 1..4, got 5");
    expect(bad({ signerSlots: 0 })).to.throw("circuits.json: x.signerSlots must be an integer in 1..4, got 0");
    expect(bad({ shape: 2 })).to.throw("circuits.json: x.shape must be an integer in 0..1, got 2");
    expect(bad({ shape: 1 })).to.throw("circuits.json: x.shape is 1 but chunkLevels is 1");
    expect(bad({ family: "" })).to.throw('circuits.json: x.family must be a non-empty string, got ""');
  });

  it("refuses families whose shapes disagree or repeat", () => {
    expect(() => parseCircuitConfigs({ x: base, y: { ...base, chunkLevels: 0, registryLevels: 5, family: "x" } })).to.throw(
      'circuits.json: family "x": y.registryLevels is 5 but x.registryLevels is 4; the shapes of a family share batchLevels and registryLevels',
    );
    expect(() => parseCircuitConfigs({ x: base, y: { ...base, batchLevels: 3, chunkLevels: 0, family: "x" } })).to.throw(/y.batchLevels is 3 but x.batchLevels is 2/);
    expect(() => parseCircuitConfigs({ x: base, y: { ...base, family: "x" } })).to.throw('circuits.json: family "x" has two configurations of shape 0: x and y');
  });
});
