/**
 * `merkleRootFast` (the sequencer's batch sealing) gives exactly `FixedMerkleTree`'s root, with
 * the native addon when it is built and without it; and refuses what FixedMerkleTree refuses.
 */
import { expect } from "chai";
import { ProvenanceError } from "@provenance/client-sdk/errors";
import { FIELD_MODULUS } from "@provenance/client-sdk/field";
import { FixedMerkleTree } from "@provenance/client-sdk/merkle";
import { merkleRootFast, nativeEddsa, nativeMerkle, NATIVE_REQUIRED } from "../src/native-eddsa.js";
import { randomField, rng } from "../../client-sdk/test/eddsa-helpers.js";

describe("merkle: native batch root agrees with FixedMerkleTree", function () {
  this.timeout(120_000);

  it("uses the addon whenever it is loaded (a stale or failing addon falls back)", function () {
    // Skipped only where the optional addon is not built (`npm install` builds it when cargo is
    // present; without cargo the SDK runs on WebAssembly and there is nothing native to check).
    // The agreement tests in this file run either way.
    if (!nativeEddsa.available) {
      console.warn(`      native addon ${nativeEddsa.reason}: merkleRootFast runs FixedMerkleTree`);
      if (NATIVE_REQUIRED) throw new Error(`PROVENANCE_REQUIRE_NATIVE=1 but the native addon is ${nativeEddsa.reason}`);
      this.skip();
    }
    expect(nativeMerkle).to.equal(true);
  });

  it("on every depth 1..8 and fill, random and edge leaves", function () {
    const rand = rng(7);
    for (let levels = 1; levels <= 8; levels++) {
      const capacity = 2 ** levels;
      for (const n of new Set([0, 1, 2, capacity - 1, capacity, Math.floor(capacity / 2) + 1].filter((n) => n >= 0 && n <= capacity))) {
        const leaves = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? FIELD_MODULUS - 1n : i % 7 === 0 ? 0n : randomField(rand)));
        expect(merkleRootFast(levels, leaves), `levels ${levels}, ${n} leaves`).to.equal(new FixedMerkleTree(levels, leaves).root);
      }
    }
  });

  it("changes with any one leaf, and with the order of two leaves", function () {
    const leaves = [11n, 22n, 33n, 44n, 55n];
    const root = merkleRootFast(3, leaves);
    for (let i = 0; i < leaves.length; i++) {
      const changed = leaves.slice();
      changed[i] = changed[i]! + 1n;
      expect(merkleRootFast(3, changed)).to.not.equal(root);
    }
    expect(merkleRootFast(3, [22n, 11n, 33n, 44n, 55n])).to.not.equal(root);
  });

  it("refuses a leaf outside the field and too many leaves, as FixedMerkleTree does", function () {
    const refuse = (f: () => unknown, code: string): void => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ProvenanceError);
      expect((err as ProvenanceError).code).to.equal(code);
    };
    refuse(() => merkleRootFast(2, [1n, FIELD_MODULUS]), "INVALID_FIELD_ELEMENT");
    refuse(() => merkleRootFast(2, [1n, -1n]), "INVALID_FIELD_ELEMENT");
    refuse(() => merkleRootFast(1, [1n, 2n, 3n]), "TREE_FULL");
  });
});
