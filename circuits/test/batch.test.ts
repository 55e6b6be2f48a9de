/**
 * Witness tests of the batch circuit v2, in both shapes of the `test` family: `test-single`
 * (B = 4, R = 4, single shape: one v1 record per region, K = 4) and `test` (B = 4, R = 4, chunk
 * shape: C = 2, so G = 2 regions, K = 2). Expected values come from the SDK; each failing case
 * asserts *which* constraint refused it, by template and source line, so a test cannot pass
 * because of an unrelated failure.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import * as snarkjs from "snarkjs";
import {
  BASE8,
  DOMAIN_RECORD_V1,
  FIELD_MODULUS,
  FixedMerkleTree,
  NodeRegistry,
  SUBGROUP_ORDER,
  buildBatch,
  buildShapedBatch,
  chunkDigest,
  chunkPath,
  computeNodeId,
  poseidon,
  recordMessage,
  signPoseidon,
  type Batch,
  type ParsedRecord,
  type Point,
} from "@provenance/client-sdk";
import { CIRCUITS_DIR, circuitConfig, compileCircuit, type CircuitConfig, type CompiledCircuit } from "@provenance/circuits";
import { buildCircuitInput, fieldInverse, type CircuitInput } from "@provenance/prover";
import { registryOf, testNode, testRecord, type TestNode } from "../../tests/support/fixtures.js";

const SOURCE = readFileSync(path.join(CIRCUITS_DIR, "src", "batch.circom"), "utf8").split("\n");
const EDDSA_SOURCE = readFileSync(path.join(CIRCUITS_DIR, "..", "node_modules", "circomlib", "circuits", "eddsaposeidon.circom"), "utf8").split("\n");

/** 1-based line of the unique source line containing `snippet`. */
function lineOf(snippet: string, source = SOURCE): number {
  const lines = source.flatMap((l, i) => (l.includes(snippet) ? [i + 1] : []));
  if (lines.length !== 1) throw new Error(`snippet ${JSON.stringify(snippet)} found ${lines.length} times`);
  return lines[0]!;
}

const at = (template: string, snippet: string, source = SOURCE) => new RegExp(`${template}_\\d+ line: ${lineOf(snippet, source)}\\b`);

const REFUSED_BY = {
  /** The verification equation S·B8 = R8 + 8·h·A (circomlib). */
  signature: at("EdDSAPoseidonVerifier", "eqCheckX.in[1] <== addRight.xout;", EDDSA_SOURCE),
  /** circomlib: S below the subgroup order. */
  sBelowOrder: at("EdDSAPoseidonVerifier", "compConstant.out*enabled === 0;", EDDSA_SOURCE),
  /** circomlib: 8·A is not the identity. */
  smallOrder: at("EdDSAPoseidonVerifier", "isZero.out*enabled === 0;", EDDSA_SOURCE),
  membership: at("SignerSlot", "memberCheck.in[1] <== registryRoot;"),
  keyOnCurve: at("SignerSlot", "keyOnCurve.y <== Ay;"),
  r8OnCurve: at("RegionSignature", "r8OnCurve.y <== R8y;"),
  selBits: at("SignerSelect", "sel[k] * (1 - sel[k]) === 0;"),
  selEnabled: at("SignerSelect", "sel[k] * (1 - signerEnabled[k]) === 0;"),
  selCount: at("SignerSelect", "picked === enabled;"),
  v1Alone: at("RegionSignature", "isV1 * (n - 1) === 0;"),
  v1Bit: at("RegionSignature", "isV1 * (1 - isV1) === 0;"),
  sinceMin: at("RecordSlot", "sinceMinBits.in <== sinceMin;"),
  untilMax: at("RecordSlot", "untilMaxBits.in <== untilMax;"),
  minBits: at("Batch", "minBits.in <== minTs;"),
  maxBits: at("Batch", "maxBits.in <== maxTs;"),
  distinct: at("Batch", "* distinctInv[pair] === enabled[j];"),
  root: at("Batch", "tree.root === batchRoot;"),
  count: at("Batch", "total === count;"),
  prefix: at("Batch", "enabled[i] * (1 - enabled[i - 1]) === 0;"),
  firstEnabled: at("Batch", "enabled[0] === 1;"),
  statement: at("Batch", "statement.out === publicHash;"),
};

const single = circuitConfig("test-single");
const chunked = circuitConfig("test");
const B = 2 ** single.batchLevels;
const nodes = [testNode("a"), testNode("b"), testNode("c")];
const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
const circuits = new Map<string, CompiledCircuit>();

async function witness(input: CircuitInput, config: CircuitConfig): Promise<{ type: "mem"; data?: Uint8Array }> {
  const wtns = { type: "mem" as const };
  // The witness generator prints failed assertions to stderr before throwing; keep test output clean.
  const error = console.error;
  console.error = () => {};
  try {
    await snarkjs.wtns.calculate(input, circuits.get(config.name)!.wasm, wtns);
  } finally {
    console.error = error;
  }
  return wtns;
}

async function expectAccepted(input: CircuitInput, config: CircuitConfig): Promise<void> {
  const wtns = await witness(input, config);
  expect(await snarkjs.wtns.check(circuits.get(config.name)!.r1cs, wtns)).to.equal(true);
}

async function expectRefused(input: CircuitInput, config: CircuitConfig, by: RegExp): Promise<void> {
  let message = "";
  try {
    await witness(input, config);
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message, "witness generation should fail").to.match(/Assert Failed/);
  expect(message).to.match(by, message);
}

const clone = (input: CircuitInput): CircuitInput => JSON.parse(JSON.stringify(input)) as CircuitInput;
const list = (input: CircuitInput, signal: string) => input[signal] as string[];
const rows = (input: CircuitInput, signal: string) => input[signal] as string[][];

/**
 * Re-derives everything the honest prover derives from the per-slot, per-region and
 * per-signer signals: leaves (with the node id each region selects), batchRoot, count,
 * distinctInv and publicHash, keeping registryRoot, minTs and maxTs (given as bigints when a
 * test needs values outside the SDK's safe-integer statement). After a test changes a signal,
 * this leaves only the constraint under test to refuse it.
 */
function reseal(input: CircuitInput, config: CircuitConfig, change: { registryRoot?: bigint; minTs?: bigint; maxTs?: bigint } = {}): CircuitInput {
  const out = clone(input);
  const C = 2 ** config.chunkLevels;
  const nodeIds = list(out, "Ax").map((x, k) => poseidon([BigInt(x), BigInt(list(out, "Ay")[k]!)]));
  const leaves = list(out, "enabled").map((e, i) => {
    if (e !== "1") return 0n;
    const message = poseidon([DOMAIN_RECORD_V1, ...["urlHi", "urlLo", "contentHi", "contentLo", "timestamp"].map((s) => BigInt(list(out, s)[i]!))]);
    const sel = rows(out, "signerSel")[Math.floor(i / C)]!;
    const nodeId = sel.reduce((acc, s, k) => (acc + BigInt(s) * nodeIds[k]!) % FIELD_MODULUS, 0n);
    return poseidon([message, nodeId]);
  });
  const batchRoot = new FixedMerkleTree(config.batchLevels, leaves).root;
  const distinctInv: string[] = [];
  for (let i = 0; i < B; i++) {
    for (let j = i + 1; j < B; j++) {
      const d = (((leaves[i]! - leaves[j]!) % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS;
      distinctInv.push(list(out, "enabled")[j] === "1" && d !== 0n ? fieldInverse(d).toString() : "0");
    }
  }
  const registryRoot = change.registryRoot ?? BigInt(out.registryRoot as string);
  const minTs = change.minTs ?? BigInt(out.minTs as string);
  const maxTs = change.maxTs ?? BigInt(out.maxTs as string);
  const count = BigInt(list(out, "enabled").filter((e) => e === "1").length);
  return {
    ...out,
    registryRoot: registryRoot.toString(),
    batchRoot: batchRoot.toString(),
    count: count.toString(),
    minTs: minTs.toString(),
    maxTs: maxTs.toString(),
    distinctInv,
    publicHash: poseidon([registryRoot, batchRoot, count, minTs, maxTs]).toString(),
  };
}

/** The public hash recomputed for a statement a test changed (count, bounds), nothing else. */
function restate(input: CircuitInput, change: { count?: number; registryRoot?: bigint; minTs?: bigint; maxTs?: bigint }): CircuitInput {
  const out = clone(input);
  if (change.count !== undefined) out.count = String(change.count);
  if (change.registryRoot !== undefined) out.registryRoot = change.registryRoot.toString();
  if (change.minTs !== undefined) out.minTs = change.minTs.toString();
  if (change.maxTs !== undefined) out.maxTs = change.maxTs.toString();
  out.publicHash = poseidon(["registryRoot", "batchRoot", "count", "minTs", "maxTs"].map((k) => BigInt(out[k] as string))).toString();
  return out;
}

/** Records n.. of `node`, signed together as one chunk (the SDK's chunk digest). */
function chunkOf(node: TestNode, pages: number[]): ParsedRecord[] {
  const records = pages.map((n) => testRecord(node, n));
  const messages = records.map((r) => r.message);
  const digest = chunkDigest(messages);
  const signature = signPoseidon(node.privateKey, digest);
  return records.map((r, index) => ({ ...r, signature, chunk: { size: records.length, index, path: chunkPath(messages, index), digest } }));
}

function batchOf(groups: ParsedRecord[][], config: CircuitConfig, registry: NodeRegistry): Batch {
  return buildShapedBatch(groups, config, registry.root);
}

/**
 * `buildShapedBatch`'s layout without its checks: batches the SDK refuses to build, to show that
 * buildCircuitInput refuses them too (a caller may hand it any Batch).
 */
function layOutUnchecked(groups: ParsedRecord[][], config: CircuitConfig, registryRoot: bigint): Batch {
  const C = 2 ** config.chunkLevels;
  const slots: (ParsedRecord | null)[] = Array.from({ length: 2 ** config.batchLevels }, () => null);
  groups.forEach((g, i) => g.forEach((r, k) => (slots[i * C + k] = r)));
  const records = slots.filter((r): r is ParsedRecord => r !== null);
  const tree = new FixedMerkleTree(config.batchLevels, slots.map((r) => r?.leaf ?? 0n));
  const ts = records.map((r) => r.record.timestamp);
  return {
    levels: config.batchLevels,
    shape: { batchLevels: config.batchLevels, chunkLevels: config.chunkLevels, signerSlots: config.signerSlots },
    groups,
    slots,
    records,
    tree,
    statement: { registryRoot, batchRoot: tree.root, count: records.length, minTs: Math.min(...ts), maxTs: Math.max(...ts) },
  };
}

/** Single shape: records signed by `nodes` in turn, one region each. */
function singles(count: number, registry: NodeRegistry, signers: readonly TestNode[] = nodes): CircuitInput {
  const groups = Array.from({ length: count }, (_, i) => [testRecord(signers[i % signers.length]!, i)]);
  return buildCircuitInput(batchOf(groups, single, registry), registry, single);
}

/** A v1 record of `node` at page n with an arbitrary timestamp (bigint, beyond the SDK's record format), validly signed. */
function signedAt(node: TestNode, n: number, timestamp: bigint): { timestamp: string; S: string; R8x: string; R8y: string } {
  const r = testRecord(node, n);
  const sig = signPoseidon(node.privateKey, recordMessage(r.urlHash, r.contentHash, timestamp));
  return { timestamp: timestamp.toString(), S: sig.S.toString(), R8x: sig.R8.x.toString(), R8y: sig.R8.y.toString() };
}

/** Puts a v1 record with `timestamp` into slot/region 0 of a single-shape input. */
function withTimestamp(input: CircuitInput, timestamp: bigint): CircuitInput {
  const out = clone(input);
  const s = signedAt(a, 0, timestamp);
  list(out, "timestamp")[0] = s.timestamp;
  list(out, "S")[0] = s.S;
  list(out, "R8x")[0] = s.R8x;
  list(out, "R8y")[0] = s.R8y;
  return out;
}

/** Signer slot k of `input` takes key `A`, with its path in `registry`. */
function useKey(input: CircuitInput, k: number, A: Point, registry: NodeRegistry): CircuitInput {
  const out = clone(input);
  const proof = registry.membershipProof(computeNodeId(A));
  list(out, "Ax")[k] = A.x.toString();
  list(out, "Ay")[k] = A.y.toString();
  rows(out, "registryPath")[k] = proof.siblings.map(String);
  rows(out, "registryIndices")[k] = proof.siblings.map((_, h) => String((proof.index >> h) & 1));
  return reseal(out, single, { registryRoot: registry.root });
}

describe("batch circuit v2 (test family)", function () {
  this.timeout(600_000);

  before(async () => {
    for (const config of [single, chunked]) circuits.set(config.name, await compileCircuit(config.name));
  });

  const registry = registryOf(single.registryLevels, nodes);

  describe("single shape (test-single): v1 records, one signature each", () => {
    it("accepts a partly filled batch, a full batch and a batch of one", async () => {
      await expectAccepted(singles(3, registry), single);
      await expectAccepted(singles(B, registry), single);
      await expectAccepted(singles(1, registry), single);
    });

    it("accepts a batch whose records share signers (one signer slot each)", async () => {
      const input = singles(B, registry, [a, b]);
      expect(list(input, "signerEnabled")).to.deep.equal(["1", "1", "0", "0"]);
      await expectAccepted(input, single);
    });

    it("refuses a forged signature (S changed)", async () => {
      const input = singles(3, registry);
      list(input, "S")[1] = (BigInt(list(input, "S")[1]!) + 1n).toString();
      await expectRefused(input, single, REFUSED_BY.signature);
    });

    it("refuses a signature by another registered node's key", async () => {
      const input = singles(3, registry);
      // Record 0's fields with node b's signature over a different message.
      const other = testRecord(b, 0);
      list(input, "S")[0] = other.signature.S.toString();
      list(input, "R8x")[0] = other.signature.R8.x.toString();
      list(input, "R8y")[0] = other.signature.R8.y.toString();
      await expectRefused(input, single, REFUSED_BY.signature);
    });

    it("refuses a record bound to the wrong signer slot", async () => {
      // Region 1 holds b's record but selects a's slot: its leaf names a, and b's signature
      // does not verify under a's key.
      const input = singles(3, registry);
      rows(input, "signerSel")[1] = ["1", "0", "0", "0"];
      await expectRefused(reseal(input, single), single, REFUSED_BY.signature);
    });

    it("refuses a key in an unused (unchecked) signer slot", async () => {
      // An outsider's valid record, its key in signer slot 3 left disabled so the registry
      // check is skipped: the region must not select a disabled slot.
      const outsider = testNode("outsider");
      const input = singles(3, registry);
      const r = testRecord(outsider, 7);
      const withOutsider = buildCircuitInput(batchOf([[r]], single, registryOf(single.registryLevels, [outsider])), registryOf(single.registryLevels, [outsider]), single);
      for (const s of ["urlHi", "urlLo", "contentHi", "contentLo", "timestamp"]) list(input, s)[2] = list(withOutsider, s)[0]!;
      for (const s of ["S", "R8x", "R8y"]) list(input, s)[2] = list(withOutsider, s)[0]!;
      list(input, "Ax")[3] = outsider.publicKey.x.toString();
      list(input, "Ay")[3] = outsider.publicKey.y.toString();
      list(input, "signerEnabled")[3] = "0";
      rows(input, "signerSel")[2] = ["0", "0", "0", "1"];
      await expectRefused(reseal(input, single, { maxTs: r.timestamp }), single, REFUSED_BY.selEnabled);
    });

    it("refuses a region that selects two signer slots, or none", async () => {
      const input = singles(2, registry);
      rows(input, "signerSel")[1] = ["1", "1", "0", "0"];
      await expectRefused(reseal(input, single), single, REFUSED_BY.selCount);
      const none = singles(2, registry);
      rows(none, "signerSel")[1] = ["0", "0", "0", "0"];
      await expectRefused(reseal(none, single), single, REFUSED_BY.selCount);
    });

    it("refuses selection weights that are not bits (blending two slots' keys)", async () => {
      // Both slots hold a's key: weights (2, -1) sum to 1 and select a's key exactly; only the
      // bit constraint refuses.
      const input = singles(1, registry);
      for (const s of ["Ax", "Ay"]) list(input, s)[1] = list(input, s)[0]!;
      rows(input, "registryPath")[1] = rows(input, "registryPath")[0]!;
      rows(input, "registryIndices")[1] = rows(input, "registryIndices")[0]!;
      list(input, "signerEnabled")[1] = "1";
      rows(input, "signerSel")[0] = ["2", (FIELD_MODULUS - 1n).toString(), "0", "0"];
      await expectRefused(reseal(input, single), single, REFUSED_BY.selBits);
    });

    it("refuses a record signed by an unregistered node", async () => {
      const outsider = testNode("outsider");
      const withOutsider = registryOf(single.registryLevels, [...nodes, outsider]);
      const batch = batchOf([[testRecord(outsider, 0)]], single, withOutsider);
      // A valid path in a registry that contains the node, checked against one that does not.
      const input = restate(buildCircuitInput(batch, withOutsider, single), { registryRoot: registry.root });
      await expectRefused(input, single, REFUSED_BY.membership);
    });

    it("refuses a record signed by a revoked node (its registry leaf is 0)", async () => {
      const revoked = registryOf(single.registryLevels, nodes);
      const before = registryOf(single.registryLevels, nodes);
      revoked.revoke(b.nodeId);
      // Node b's path is unchanged by its own revocation (only its leaf became 0).
      const batch = batchOf([[testRecord(b, 0)]], single, before);
      const input = restate(buildCircuitInput(batch, before, single), { registryRoot: revoked.root });
      await expectRefused(input, single, REFUSED_BY.membership);
    });

    it("refuses a registered public key that is not on the curve", async () => {
      // (1, 2) is not on Baby Jubjub; its node id is put in the registry, so the registry
      // check passes and only the on-curve check stands in the way.
      const offCurve = { x: 1n, y: 2n };
      const reg = registryOf(single.registryLevels, nodes);
      reg.add(computeNodeId(offCurve));
      await expectRefused(useKey(singles(1, reg), 0, offCurve, reg), single, REFUSED_BY.keyOnCurve);
    });

    it("refuses a registered small-order key, whose 'signature' would verify for any message", async () => {
      // A = (0, -1) has order 2, so 8·A is the identity and S·B8 = R8 holds with S = 1,
      // R8 = B8 for every message: circomlib's 8·A check is what refuses it.
      const smallOrder = { x: 0n, y: FIELD_MODULUS - 1n };
      const reg = registryOf(single.registryLevels, nodes);
      reg.add(computeNodeId(smallOrder));
      const input = useKey(singles(1, reg), 0, smallOrder, reg);
      list(input, "S")[0] = "1";
      list(input, "R8x")[0] = BASE8.x.toString();
      list(input, "R8y")[0] = BASE8.y.toString();
      await expectRefused(input, single, REFUSED_BY.smallOrder);
    });

    it("refuses S + l (S not below the subgroup order)", async () => {
      const input = singles(2, registry);
      list(input, "S")[1] = (BigInt(list(input, "S")[1]!) + SUBGROUP_ORDER).toString();
      await expectRefused(input, single, REFUSED_BY.sBelowOrder);
    });

    it("refuses R8 off the curve", async () => {
      const input = singles(2, registry);
      list(input, "R8y")[1] = (BigInt(list(input, "R8y")[1]!) + 1n).toString();
      await expectRefused(input, single, REFUSED_BY.r8OnCurve);
    });

    it("refuses a record timestamped outside the window", async () => {
      const input = singles(3, registry);
      const minTs = BigInt(input.minTs as string);
      const maxTs = BigInt(input.maxTs as string);
      await expectRefused(restate(input, { maxTs: maxTs - 1n }), single, REFUSED_BY.untilMax);
      await expectRefused(restate(input, { minTs: minTs + 1n }), single, REFUSED_BY.sinceMin);
    });

    it("refuses timestamps at and beyond 2^64, and a wrap-around timestamp (p - 1)", async () => {
      const input = singles(1, registry);
      const minTs = BigInt(input.minTs as string);
      const top = 2n ** 64n - 1n;
      // Validly signed records with these timestamps; the window as wide as 64 bits allow.
      await expectAccepted(reseal(withTimestamp(input, top), single, { minTs, maxTs: top }), single);
      await expectRefused(reseal(withTimestamp(input, 2n ** 64n), single, { minTs, maxTs: top }), single, REFUSED_BY.untilMax);
      await expectRefused(reseal(withTimestamp(input, 2n ** 64n + 5n), single, { minTs, maxTs: top }), single, REFUSED_BY.untilMax);
      // p - 1 = -1: maxTs - ts = maxTs + 1 is small, ts - minTs is not.
      await expectRefused(reseal(withTimestamp(input, FIELD_MODULUS - 1n), single, { minTs, maxTs: top }), single, REFUSED_BY.sinceMin);
    });

    it("refuses window bounds at and beyond 2^64", async () => {
      const input = singles(1, registry);
      const ts = BigInt(list(input, "timestamp")[0]!);
      await expectRefused(reseal(withTimestamp(input, ts), single, { minTs: 0n, maxTs: 2n ** 64n }), single, REFUSED_BY.maxBits);
      await expectRefused(reseal(withTimestamp(input, ts), single, { minTs: 0n, maxTs: FIELD_MODULUS - 1n }), single, REFUSED_BY.maxBits);
      // A record at 2^64 in the window [2^64, 2^64]: the bound itself is refused.
      await expectRefused(reseal(withTimestamp(input, 2n ** 64n), single, { minTs: 2n ** 64n, maxTs: 2n ** 64n }), single, REFUSED_BY.minBits);
    });

    it("refuses a duplicate record", async () => {
      const input = singles(2, registry);
      // Slot 1 becomes a copy of slot 0 (same fields, same signer slot, same signature).
      for (const s of ["urlHi", "urlLo", "contentHi", "contentLo", "timestamp", "S", "R8x", "R8y"]) list(input, s)[1] = list(input, s)[0]!;
      rows(input, "signerSel")[1] = rows(input, "signerSel")[0]!;
      await expectRefused(reseal(input, single), single, REFUSED_BY.distinct);
    });

    it("refuses a non-zero padding leaf", async () => {
      const input = singles(B, registry);
      // Slot 3 keeps a valid record but is marked padding; the claimed root includes its leaf.
      list(input, "enabled")[B - 1] = "0";
      rows(input, "signerSel")[B - 1] = ["0", "0", "0", "0"];
      for (let i = 0; i < B - 1; i++) list(input, "distinctInv")[pairIndex(i, B - 1)] = "0";
      await expectRefused(restate(input, { count: B - 1 }), single, REFUSED_BY.root);
    });

    it("refuses a count that disagrees with the records", async () => {
      const input = singles(3, registry);
      await expectRefused(restate(input, { count: 2 }), single, REFUSED_BY.count);
      await expectRefused(restate(input, { count: 4 }), single, REFUSED_BY.count);
    });

    it("refuses an empty batch", async () => {
      const empty = clone(singles(3, registry));
      for (let i = 0; i < B; i++) list(empty, "enabled")[i] = "0";
      await expectRefused(restate(empty, { count: 0 }), single, REFUSED_BY.firstEnabled);
    });

    it("refuses a public hash that does not match the statement", async () => {
      const input = singles(3, registry);
      input.publicHash = (BigInt(input.publicHash as string) + 1n).toString();
      await expectRefused(input, single, REFUSED_BY.statement);
    });
  });

  describe("chunk shape (test): C = 2, two regions, two signer slots", () => {
    const chunkInput = (groups: ParsedRecord[][], reg = registry) => buildCircuitInput(batchOf(groups, chunked, reg), reg, chunked);

    it("accepts one chunk", async () => {
      await expectAccepted(chunkInput([chunkOf(a, [0, 1])]), chunked);
    });

    it("accepts a chunk and a v1 record, and two chunks of two nodes", async () => {
      const input = chunkInput([chunkOf(a, [0, 1]), [testRecord(b, 2)]]);
      expect(list(input, "isV1")).to.deep.equal(["0", "1"]);
      await expectAccepted(input, chunked);
      await expectAccepted(chunkInput([chunkOf(a, [0, 1]), chunkOf(b, [2, 3])]), chunked);
      await expectAccepted(chunkInput([[testRecord(c, 5)], chunkOf(c, [0, 1])]), chunked);
    });

    it("accepts a partial chunk (fewer records than the region has slots)", async () => {
      await expectAccepted(chunkInput([chunkOf(a, [0])]), chunked);
      await expectAccepted(chunkInput([chunkOf(a, [0, 1]), chunkOf(a, [2])]), chunked);
    });

    it("refuses a chunk signature over other records", async () => {
      const input = chunkInput([chunkOf(a, [0, 1])]);
      const other = chunkOf(a, [2, 3])[0]!.signature;
      list(input, "S")[0] = other.S.toString();
      list(input, "R8x")[0] = other.R8.x.toString();
      list(input, "R8y")[0] = other.R8.y.toString();
      await expectRefused(input, chunked, REFUSED_BY.signature);
    });

    it("refuses a record moved from one chunk to another", async () => {
      const input = chunkInput([chunkOf(a, [0, 1]), chunkOf(a, [2, 3])]);
      // Swap slot 1 (chunk 0's second record) with slot 2 (chunk 1's first).
      for (const s of ["urlHi", "urlLo", "contentHi", "contentLo", "timestamp"]) {
        const v = list(input, s);
        [v[1], v[2]] = [v[2]!, v[1]!];
      }
      await expectRefused(reseal(input, chunked), chunked, REFUSED_BY.signature);
    });

    it("refuses a chunk split: a prefix of a chunk presented as the chunk", async () => {
      const input = chunkInput([chunkOf(a, [0, 1])]);
      list(input, "enabled")[1] = "0";
      await expectRefused(reseal(input, chunked), chunked, REFUSED_BY.signature);
    });

    it("refuses padding inside a chunk (a record after an empty slot would go unsigned)", async () => {
      // Region 1: slot 2 empty, slot 3 a record. The region's signature is checked only when
      // its first slot holds a record, so without the prefix rule slot 3 would need none.
      const input = chunkInput([chunkOf(a, [0, 1]), chunkOf(a, [2])]);
      const unsigned = testRecord(b, 9);
      const donor = chunkInput([[unsigned]]);
      for (const s of ["urlHi", "urlLo", "contentHi", "contentLo", "timestamp"]) {
        list(input, s)[3] = list(donor, s)[0]!;
        list(input, s)[2] = "0";
      }
      list(input, "enabled")[2] = "0";
      list(input, "enabled")[3] = "1";
      rows(input, "signerSel")[1] = ["0", "0"];
      await expectRefused(reseal(input, chunked, { maxTs: unsigned.timestamp }), chunked, REFUSED_BY.prefix);
    });

    it("refuses unsigned records riding behind a v1 record in its region", async () => {
      // Region 0: a v1 record (its signature is over its own message) and a second record.
      const input = chunkInput([[testRecord(a, 0)]]);
      const extra = testRecord(a, 1);
      const donor = chunkInput([[extra]]);
      for (const s of ["urlHi", "urlLo", "contentHi", "contentLo", "timestamp"]) list(input, s)[1] = list(donor, s)[0]!;
      list(input, "enabled")[1] = "1";
      const window = { maxTs: extra.timestamp };
      await expectRefused(reseal(input, chunked, window), chunked, REFUSED_BY.v1Alone);
      const blended = clone(input);
      list(blended, "isV1")[0] = "2";
      await expectRefused(reseal(blended, chunked, window), chunked, REFUSED_BY.v1Bit);
    });

    it("refuses a chunk-signed region claimed as v1, and a v1 record claimed as a chunk", async () => {
      const chunk = chunkInput([chunkOf(a, [0])]);
      list(chunk, "isV1")[0] = "1";
      await expectRefused(chunk, chunked, REFUSED_BY.signature);
      const v1 = chunkInput([[testRecord(a, 0)]]);
      list(v1, "isV1")[0] = "0";
      await expectRefused(v1, chunked, REFUSED_BY.signature);
    });

    it("refuses a chunk record bound to the wrong signer slot", async () => {
      const input = chunkInput([chunkOf(a, [0, 1]), chunkOf(b, [2, 3])]);
      rows(input, "signerSel")[1] = ["1", "0"];
      await expectRefused(reseal(input, chunked), chunked, REFUSED_BY.signature);
    });

    it("refuses a chunk of an unregistered node", async () => {
      const outsider = testNode("outsider");
      const withOutsider = registryOf(chunked.registryLevels, [...nodes, outsider]);
      const input = restate(chunkInput([chunkOf(outsider, [0, 1])], withOutsider), { registryRoot: registry.root });
      await expectRefused(input, chunked, REFUSED_BY.membership);
    });

    it("refuses a duplicate record across two chunks", async () => {
      // The same record signed in two chunks of a (distinct signatures, equal leaves).
      const input = chunkInput([chunkOf(a, [0, 1]), chunkOf(a, [2])]);
      const again = chunkInput([chunkOf(a, [0])]);
      for (const s of ["urlHi", "urlLo", "contentHi", "contentLo", "timestamp"]) list(input, s)[2] = list(again, s)[0]!;
      for (const s of ["S", "R8x", "R8y"]) list(input, s)[1] = list(again, s)[0]!;
      await expectRefused(reseal(input, chunked), chunked, REFUSED_BY.distinct);
    });
  });

  describe("buildCircuitInput refuses what the circuit would refuse", () => {
    const refuses = (fn: () => unknown, message: RegExp) => {
      expect(fn).to.throw(message);
      try {
        fn();
      } catch (err) {
        expect((err as { code?: string }).code).to.equal("INVALID_BATCH");
      }
    };

    it("a batch laid out for another shape, and a chunk in a single shape", () => {
      const batch = batchOf([chunkOf(a, [0, 1])], chunked, registry);
      refuses(() => buildCircuitInput(batch, registry, single), /laid out for chunkLevels 1 but circuit "test-single" has chunkLevels 0/);
      const one = layOutUnchecked([chunkOf(a, [0])], single, registry.root);
      refuses(() => buildCircuitInput(one, registry, single), /a chunk-signed record, but circuit "test-single" is a single shape/);
      const prefix = buildBatch([testRecord(a, 0), testRecord(b, 1)], chunked.batchLevels, registry.root);
      refuses(() => buildCircuitInput(prefix, registry, chunked), /laid out for chunkLevels 0 but circuit "test" has chunkLevels 1/);
    });

    it("more signers than signer slots", () => {
      const batch = batchOf([[testRecord(a, 0)], [testRecord(b, 1)], [testRecord(c, 2)]], single, registry);
      refuses(() => buildCircuitInput(batch, registry, { ...single, signerSlots: 2 }), /more than 2 distinct signers .* has 2 signer slots/);
    });

    it("a group that is not one node's, and a v1 record sharing its region", () => {
      const mixed = chunkOf(a, [0, 1]);
      mixed[1] = { ...chunkOf(b, [1])[0]!, chunk: mixed[1]!.chunk };
      refuses(() => buildCircuitInput(layOutUnchecked([mixed], chunked, registry.root), registry, chunked), /a group is one node's records/);
      refuses(
        () => buildCircuitInput(layOutUnchecked([[testRecord(a, 0), testRecord(a, 1)]], chunked, registry.root), registry, chunked),
        /a v1 record is a group of its own/,
      );
    });

    it("a chunk split, padding inside a region, and nodes not active in the registry", () => {
      refuses(() => buildCircuitInput(layOutUnchecked([chunkOf(a, [0, 1]).slice(0, 1)], chunked, registry.root), registry, chunked), /a chunk is placed whole/);
      const gap = layOutUnchecked([chunkOf(a, [0]), [testRecord(b, 5)]], chunked, registry.root);
      gap.slots = [gap.slots[0]!, null, null, gap.slots[2]!];
      gap.tree = new FixedMerkleTree(chunked.batchLevels, gap.slots.map((r) => r?.leaf ?? 0n));
      gap.statement = { ...gap.statement, batchRoot: gap.tree.root };
      refuses(() => buildCircuitInput(gap, registry, chunked), /region 1: slot 2 is padding but slot 3 holds a record/);
      const outsider = testNode("outsider");
      const reg = registryOf(single.registryLevels, [outsider]);
      const batch = batchOf([[testRecord(outsider, 0)]], single, reg);
      reg.revoke(outsider.nodeId);
      refuses(() => buildCircuitInput({ ...batch, statement: { ...batch.statement, registryRoot: reg.root } }, reg, single), /is not an active member of the registry/);
    });
  });
});

function pairIndex(i: number, j: number): number {
  let k = 0;
  for (let x = 0; x < B; x++) {
    for (let y = x + 1; y < B; y++) {
      if (x === i && y === j) return k;
      k++;
    }
  }
  throw new Error(`no pair (${i}, ${j})`);
}
