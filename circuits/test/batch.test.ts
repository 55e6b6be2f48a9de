/**
 * Witness tests of the batch circuit (the `test` configuration: B = 4, R = 4). Expected values
 * come from the SDK; each failing case asserts *which* constraint refused it, by template and
 * source line, so a test cannot pass because of an unrelated failure.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import * as snarkjs from "snarkjs";
import { FixedMerkleTree, publicHash, type BatchStatement } from "@provenance/client-sdk";
import { CIRCUITS_DIR, circuitConfig, compileCircuit, type CompiledCircuit } from "@provenance/circuits";
import { buildCircuitInput, fieldInverse, type CircuitInput } from "@provenance/prover";
import { registryOf, testBatch, testNode, testRecord } from "../../tests/support/fixtures.js";

const SOURCE = readFileSync(path.join(CIRCUITS_DIR, "src", "batch.circom"), "utf8").split("\n");

/** 1-based line of the unique source line containing `snippet`. */
function lineOf(snippet: string): number {
  const lines = SOURCE.flatMap((l, i) => (l.includes(snippet) ? [i + 1] : []));
  if (lines.length !== 1) throw new Error(`snippet ${JSON.stringify(snippet)} found ${lines.length} times`);
  return lines[0]!;
}

const REFUSED_BY = {
  signature: /EdDSAPoseidonVerifier_\d+/,
  membership: new RegExp(`RecordSlot_\\d+ line: ${lineOf("memberCheck.in[1] <== registryRoot;")}\\b`),
  afterMin: new RegExp(`RecordSlot_\\d+ line: ${lineOf("(1 - afterMin.out) * enabled === 0;")}\\b`),
  beforeMax: new RegExp(`RecordSlot_\\d+ line: ${lineOf("(1 - beforeMax.out) * enabled === 0;")}\\b`),
  distinct: new RegExp(`Batch_\\d+ line: ${lineOf("* distinctInv[pair] === enabled[j];")}\\b`),
  root: new RegExp(`Batch_\\d+ line: ${lineOf("tree.root === batchRoot;")}\\b`),
  count: new RegExp(`Batch_\\d+ line: ${lineOf("total === count;")}\\b`),
  prefix: new RegExp(`Batch_\\d+ line: ${lineOf("enabled[i] * (1 - enabled[i - 1]) === 0;")}\\b`),
  firstEnabled: new RegExp(`Batch_\\d+ line: ${lineOf("enabled[0] === 1;")}\\b`),
  statement: new RegExp(`Batch_\\d+ line: ${lineOf("statement.out === publicHash;")}\\b`),
};

const config = circuitConfig("test");
const B = 2 ** config.batchLevels;
const nodes = [testNode("a"), testNode("b"), testNode("c")];
let circuit: CompiledCircuit;

async function witness(input: CircuitInput): Promise<{ type: "mem"; data?: Uint8Array }> {
  const wtns = { type: "mem" as const };
  // The witness generator prints failed assertions to stderr before throwing; keep test output clean.
  const error = console.error;
  console.error = () => {};
  try {
    await snarkjs.wtns.calculate(input, circuit.wasm, wtns);
  } finally {
    console.error = error;
  }
  return wtns;
}

async function expectAccepted(input: CircuitInput): Promise<void> {
  const wtns = await witness(input);
  expect(await snarkjs.wtns.check(circuit.r1cs, wtns)).to.equal(true);
}

async function expectRefused(input: CircuitInput, by: RegExp): Promise<void> {
  let message = "";
  try {
    await witness(input);
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message, "witness generation should fail").to.match(/Assert Failed/);
  expect(message).to.match(by);
}

function statementOf(input: CircuitInput): BatchStatement {
  return {
    registryRoot: BigInt(input.registryRoot as string),
    batchRoot: BigInt(input.batchRoot as string),
    count: Number(input.count),
    minTs: Number(input.minTs),
    maxTs: Number(input.maxTs),
  };
}

/** Re-derives the public hash after a test changed a statement parameter. */
function restate(input: CircuitInput, change: Partial<BatchStatement>): CircuitInput {
  const statement = { ...statementOf(input), ...change };
  return {
    ...input,
    registryRoot: statement.registryRoot.toString(),
    batchRoot: statement.batchRoot.toString(),
    count: String(statement.count),
    minTs: String(statement.minTs),
    maxTs: String(statement.maxTs),
    publicHash: publicHash(statement).toString(),
  };
}

function clone(input: CircuitInput): CircuitInput {
  return JSON.parse(JSON.stringify(input)) as CircuitInput;
}

function set(input: CircuitInput, signal: string, index: number, value: string | string[]): void {
  (input[signal] as Array<string | string[]>)[index] = value;
}

describe("batch circuit (test configuration)", function () {
  this.timeout(300_000);

  before(async () => {
    circuit = await compileCircuit("test");
  });

  const registry = registryOf(config.registryLevels, nodes);

  it("accepts a partly filled batch (count < B, zero padding)", async () => {
    const batch = testBatch(config.batchLevels, registry, nodes, 3);
    await expectAccepted(buildCircuitInput(batch, registry, config));
  });

  it("accepts a full batch and a batch of one", async () => {
    await expectAccepted(buildCircuitInput(testBatch(config.batchLevels, registry, nodes, B), registry, config));
    await expectAccepted(buildCircuitInput(testBatch(config.batchLevels, registry, nodes, 1), registry, config));
  });

  it("refuses a forged signature (S changed)", async () => {
    const input = buildCircuitInput(testBatch(config.batchLevels, registry, nodes, 3), registry, config);
    set(input, "S", 1, (BigInt((input.S as string[])[1]!) + 1n).toString());
    await expectRefused(input, REFUSED_BY.signature);
  });

  it("refuses a signature by another registered node's key", async () => {
    const input = buildCircuitInput(testBatch(config.batchLevels, registry, nodes, 3), registry, config);
    // Record 0's fields with node b's signature over a different message.
    const other = testRecord(nodes[1]!, 0);
    set(input, "S", 0, other.signature.S.toString());
    set(input, "R8x", 0, other.signature.R8.x.toString());
    set(input, "R8y", 0, other.signature.R8.y.toString());
    await expectRefused(input, REFUSED_BY.signature);
  });

  it("refuses a record signed by an unregistered node", async () => {
    const outsider = testNode("outsider");
    const withOutsider = registryOf(config.registryLevels, [...nodes, outsider]);
    const batch = testBatch(config.batchLevels, withOutsider, [outsider], 1);
    // A valid path in a registry that contains the node, checked against one that does not.
    const input = restate(buildCircuitInput(batch, withOutsider, config), { registryRoot: registry.root });
    await expectRefused(input, REFUSED_BY.membership);
  });

  it("refuses a record signed by a revoked node", async () => {
    const revoked = registryOf(config.registryLevels, nodes);
    const before = registryOf(config.registryLevels, nodes);
    revoked.revoke(nodes[1]!.nodeId);
    // Node b's path is unchanged by its own revocation (only its leaf became 0).
    const batch = testBatch(config.batchLevels, before, [nodes[1]!], 1);
    const input = restate(buildCircuitInput(batch, before, config), { registryRoot: revoked.root });
    await expectRefused(input, REFUSED_BY.membership);
  });

  it("refuses a record timestamped outside the window", async () => {
    const batch = testBatch(config.batchLevels, registry, nodes, 3);
    const input = buildCircuitInput(batch, registry, config);
    const { minTs, maxTs } = batch.statement;
    await expectRefused(restate(input, { maxTs: maxTs - 1 }), REFUSED_BY.beforeMax);
    await expectRefused(restate(input, { minTs: minTs + 1 }), REFUSED_BY.afterMin);
  });

  it("refuses a duplicate record", async () => {
    const batch = testBatch(config.batchLevels, registry, nodes, 2);
    const input = buildCircuitInput(batch, registry, config);
    // Slot 1 becomes a copy of slot 0; root and statement recomputed so only distinctness fails.
    for (const signal of ["urlHi", "urlLo", "contentHi", "contentLo", "timestamp", "Ax", "Ay", "S", "R8x", "R8y"]) {
      set(input, signal, 1, (input[signal] as string[])[0]!);
    }
    set(input, "registryPath", 1, (input.registryPath as string[][])[0]!);
    set(input, "registryIndices", 1, (input.registryIndices as string[][])[0]!);
    const leaf0 = batch.tree.leaf(0);
    (input.distinctInv as string[])[0] = "0"; // no inverse of 0 exists
    const root = new FixedMerkleTree(config.batchLevels, [leaf0, leaf0]).root;
    await expectRefused(restate(input, { batchRoot: root }), REFUSED_BY.distinct);
  });

  it("refuses a non-zero padding leaf", async () => {
    const full = testBatch(config.batchLevels, registry, nodes, B);
    const input = buildCircuitInput(full, registry, config);
    // Slot 3 keeps a valid record but is marked padding; the claimed root includes its leaf.
    set(input, "enabled", B - 1, "0");
    for (let i = 0; i < B - 1; i++) (input.distinctInv as string[])[pairIndex(i, B - 1)] = "0";
    await expectRefused(restate(input, { count: B - 1 }), REFUSED_BY.root);
  });

  it("refuses a count that disagrees with the records", async () => {
    const batch = testBatch(config.batchLevels, registry, nodes, 3);
    const input = buildCircuitInput(batch, registry, config);
    await expectRefused(restate(input, { count: 2 }), REFUSED_BY.count);
    await expectRefused(restate(input, { count: 4 }), REFUSED_BY.count);
  });

  it("refuses enabled slots that are not a prefix, and an empty batch", async () => {
    const batch = testBatch(config.batchLevels, registry, nodes, 3);
    const gap = clone(buildCircuitInput(batch, registry, config));
    set(gap, "enabled", 1, "0");
    await expectRefused(gap, REFUSED_BY.prefix);
    const empty = clone(buildCircuitInput(batch, registry, config));
    for (let i = 0; i < B; i++) set(empty, "enabled", i, "0");
    await expectRefused(restate(empty, { count: 0 }), REFUSED_BY.firstEnabled);
  });

  it("refuses a public hash that does not match the statement", async () => {
    const input = buildCircuitInput(testBatch(config.batchLevels, registry, nodes, 3), registry, config);
    input.publicHash = (BigInt(input.publicHash as string) + 1n).toString();
    await expectRefused(input, REFUSED_BY.statement);
  });

  it("the input builder computes distinctness inverses the circuit accepts", () => {
    const a = 12345n;
    expect((a * fieldInverse(a)) % 21888242871839275222246405745257275088548364400416034343698204186575808495617n).to.equal(1n);
  });
});

function pairIndex(i: number, j: number): number {
  let k = 0;
  for (let a = 0; a < B; a++) {
    for (let b = a + 1; b < B; b++) {
      if (a === i && b === j) return k;
      k++;
    }
  }
  throw new Error(`no pair (${i}, ${j})`);
}
