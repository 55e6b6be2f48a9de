/**
 * Record validation off the main thread (`VerifyPool.checkRecords`, `checkRecordBatch`, the
 * native `validateRecords`) gives exactly `parseRecord` + signature verification: the same
 * verdict, code and message for every input, the same id, nodeId and URL hash for every
 * accepted one, and the same first refusal (by index) for a list — natively, in TypeScript, in
 * one message or many, and for requests coalesced into one worker message.
 */
import { expect } from "chai";
import {
  PublicKey,
  ProvenanceError,
  bytesToHex,
  fieldToHex,
  packPublicKey,
  packSignature,
  parseRecord,
  recordMessage,
  sha256,
  signRecord,
  verifyRecordSignature,
  type RecordV1,
} from "@provenance/client-sdk";
import { hexToBytes, poseidon } from "@provenance/client-sdk/field";
import { checkRecordBatch, nativeEddsa, RECORD_RESULT_BYTES, NATIVE_REQUIRED } from "../src/native-eddsa.js";
import { VerifyPool, type RecordsCheck } from "../src/verify-pool.js";
import { contentHashOf, testNode } from "../../tests/support/fixtures.js";
import { P } from "@provenance/client-sdk/curve";
import { adversarialJobs, addPoints, rng, signForKey, smallOrderPoints } from "../../client-sdk/test/eddsa-helpers.js";

type Expected = { code: string; message: string } | { valid: boolean; id: string; nodeId: bigint; urlHash: string };

function reference(input: unknown): Expected {
  try {
    const p = parseRecord(input);
    return { valid: verifyRecordSignature(p), id: fieldToHex(p.leaf), nodeId: p.nodeId, urlHash: bytesToHex(p.urlHash) };
  } catch (err) {
    if (!(err instanceof ProvenanceError)) throw err;
    return { code: err.code, message: err.message };
  }
}

/** What `checkRecords` must answer for a list: the first refusal by index, or every record. */
function expectAgreement(inputs: unknown[], got: RecordsCheck, label: string): void {
  const expected = inputs.map(reference);
  const first = expected.findIndex((e) => "code" in e);
  if (first >= 0) {
    const e = expected[first] as { code: string; message: string };
    expect(got.ok, `${label}: refused`).to.equal(false);
    if (got.ok) return;
    expect({ index: got.index, code: got.error.code, message: got.error.message }, label).to.deep.equal({ index: first, ...e });
    expect(got.error).to.be.instanceOf(ProvenanceError);
    return;
  }
  expect(got.ok, `${label}: accepted`).to.equal(true);
  if (!got.ok) return;
  got.records.forEach((c, i) => {
    const e = expected[i] as { valid: boolean; id: string; nodeId: bigint; urlHash: string };
    expect({ valid: c.signatureValid, id: c.id, nodeId: c.nodeId, urlHash: c.urlHash }, `${label} #${i}`).to.deep.equal(e);
    expect(c.record, `${label} #${i} record`).to.deep.equal(parseRecord(inputs[i]).record);
  });
}

const nodes = ["rp-a", "rp-b", "rp-c"].map(testNode);
const base = 1764300000000;

function good(n: number): RecordV1 {
  return signRecord({ url: `https://example.com/rp/${n}?é=${"ü".repeat(n % 5)}`, timestamp: base + n, contentHash: contentHashOf(`rp ${n}`) }, nodes[n % nodes.length]!.privateKey);
}

/** Valid records, every format refusal of parseRecord, and adversarial keys and signatures. */
async function corpus(): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let n = 0; n < 12; n++) out.push(good(n));
  const r = good(100);
  const mutations: Array<(r: RecordV1) => unknown> = [
    () => "hello",
    () => null,
    () => [],
    (r) => ({ ...r, extra: 1 }),
    ({ signature: _s, ...r }) => r,
    (r) => ({ ...r, v: 2 }),
    (r) => ({ ...r, url: "" }),
    (r) => ({ ...r, url: "https://e.com/" + "a".repeat(2035) }),
    (r) => ({ ...r, url: 5 }),
    (r) => ({ ...r, url: "https://e.com/\ud800" }),
    (r) => ({ ...r, url: "https://e.com/\n" }),
    (r) => ({ ...r, timestamp: -1 }),
    (r) => ({ ...r, timestamp: -0 }),
    (r) => ({ ...r, timestamp: 1.5 }),
    (r) => ({ ...r, timestamp: 2 ** 53 }),
    (r) => ({ ...r, timestamp: "1764300000000" }),
    (r) => ({ ...r, contentHash: "ab" }),
    (r) => ({ ...r, contentHash: r.contentHash.toUpperCase() }),
    (r) => ({ ...r, nodeId: "zz" + r.nodeId.slice(2) }),
    (r) => ({ ...r, publicKey: r.publicKey.slice(1) }),
    (r) => ({ ...r, signature: r.signature.slice(1) }),
    (r) => ({ ...r, nodeId: testNode("other").nodeId.toString(16).padStart(64, "0") }),
    (r) => ({ ...r, nodeId: "f".repeat(64) }),
    (r) => ({ ...r, url: r.url + "x" }),
    (r) => ({ ...r, timestamp: r.timestamp + 1 }),
    (r) => ({ ...r, contentHash: "00" + r.contentHash.slice(2) }),
    (r) => ({ ...r, signature: good(101).signature }),
  ];
  for (const m of mutations) out.push(m(r));
  // Every single-bit change of the signature and of the key.
  const sig = hexToBytes(r.signature);
  for (let bit = 0; bit < 512; bit += 7) {
    const s = sig.slice();
    s[bit >> 3] = s[bit >> 3]! ^ (1 << (bit & 7));
    out.push({ ...r, signature: bytesToHex(s) });
  }
  const key = hexToBytes(r.publicKey);
  for (let bit = 0; bit < 256; bit += 5) {
    const k = key.slice();
    k[bit >> 3] = k[bit >> 3]! ^ (1 << (bit & 7));
    let nodeId = r.nodeId;
    try {
      nodeId = fieldToHex(poseidon([PublicKey.fromBytes(k).point.x, PublicKey.fromBytes(k).point.y]));
    } catch {
      // not a key: the record is refused before its nodeId is looked at
    }
    out.push({ ...r, publicKey: bytesToHex(k), nodeId });
  }
  // The EdDSA refusal rules, in records: small-order and torsioned keys, non-canonical and
  // off-curve encodings, S out of range, random bytes.
  for (const j of await adversarialJobs()) {
    let nodeId = r.nodeId;
    try {
      const A = PublicKey.fromBytes(j.publicKey).point;
      nodeId = fieldToHex(poseidon([A.x, A.y]));
    } catch {
      // refused key
    }
    out.push({ ...r, publicKey: bytesToHex(j.publicKey), signature: bytesToHex(j.signature), nodeId });
  }
  // A key with a torsion component, signed as circomlibjs and the circuit would accept, with
  // the nodeId of that key: refused for the key.
  const node = nodes[0]!;
  const small = smallOrderPoints();
  const message = recordMessage(sha256(new TextEncoder().encode(r.url)), hexToBytes(r.contentHash), BigInt(r.timestamp));
  for (const order of [2, 4, 8] as const) {
    const A = addPoints(node.publicKey, small[order]);
    const pk = new Uint8Array(32);
    let y = A.y;
    for (let i = 0; i < 32; i++) {
      pk[i] = Number(y & 0xffn);
      y >>= 8n;
    }
    if (A.x > (P - 1n) / 2n) pk[31] = pk[31]! | 0x80;
    out.push({
      ...r,
      publicKey: bytesToHex(pk),
      nodeId: fieldToHex(poseidon([A.x, A.y])),
      signature: bytesToHex(packSignature(signForKey(node.privateKey, message, A, 77n))),
    });
  }
  out.push({ ...r, publicKey: bytesToHex(packPublicKey(small[8])) });
  const rand = rng(7);
  for (let i = 0; i < 10; i++) out.push({ ...r, publicKey: bytesToHex(rand(32)), signature: bytesToHex(rand(64)) });
  return out;
}

describe("records checked off the main thread agree with parseRecord", function () {
  this.timeout(300_000);
  let inputs: unknown[];
  let accepted: unknown[];

  before(async () => {
    inputs = await corpus();
    accepted = inputs.filter((x) => !("code" in reference(x)));
    const refused = inputs.length - accepted.length;
    expect(refused).to.be.greaterThan(100);
    expect(accepted.filter((x) => (reference(x) as { valid: boolean }).valid)).to.have.length(12);
  });

  for (const native of [true, false]) {
    it(`checkRecordBatch, one record at a time (${native ? "native when built" : "TypeScript"})`, () => {
      for (const [i, input] of inputs.entries()) {
        const { results, error } = checkRecordBatch([input], native);
        const e = reference(input);
        if ("code" in e) {
          expect(error, `#${i}`).to.deep.equal({ index: 0, code: e.code, message: e.message });
          continue;
        }
        expect(error, `#${i}`).to.equal(null);
        expect(results[0], `#${i} status`).to.equal(e.valid ? 1 : 2);
        expect(bytesToHex(results.subarray(1, 33)), `#${i} id`).to.equal(e.id);
        expect(BigInt("0x" + bytesToHex(results.subarray(33, 65))), `#${i} nodeId`).to.equal(e.nodeId);
        expect(bytesToHex(results.subarray(65, RECORD_RESULT_BYTES)), `#${i} urlHash`).to.equal(e.urlHash);
      }
    });
  }

  it("the native validator is in use when the addon is built", function () {
    // Skipped only where the optional addon is not built (`npm install` builds it when cargo is
    // present; without cargo the SDK runs on WebAssembly and there is nothing native to check).
    // The agreement tests in this file run either way.
    if (!nativeEddsa.available) {
      console.warn(`      native EdDSA verifier ${nativeEddsa.reason}: TypeScript path only`);
      if (NATIVE_REQUIRED) throw new Error(`PROVENANCE_REQUIRE_NATIVE=1 but the native addon is ${nativeEddsa.reason}`);
      this.skip();
    }
    expect(nativeEddsa.records).to.equal(true);
  });

  for (const native of [true, false]) {
    it(`VerifyPool.checkRecords: singles, lists across chunks, first refusal by index (${native ? "native" : "TypeScript"})`, async () => {
      const pool = await VerifyPool.create({ workers: 2, recordChunkSize: 5, native });
      try {
        // Each input alone, all at once (coalesced into shared worker messages).
        const singles = await Promise.all(inputs.map((x) => pool.checkRecords([x])));
        singles.forEach((got, i) => expectAgreement([inputs[i]], got, `single #${i}`));
        // All accepted ones in one request, across many chunks.
        expectAgreement(accepted, await pool.checkRecords(accepted), "accepted list");
        // A refused record at each position among accepted ones (the first refusal wins).
        const refused = inputs.filter((x) => "code" in reference(x));
        const lists: unknown[][] = [];
        for (let k = 0; k < refused.length; k += 3) {
          const at = k % (accepted.length + 1);
          lists.push([...accepted.slice(0, at), refused[k]!, ...accepted.slice(at, at + 4), refused[(k + 1) % refused.length]!]);
        }
        const answers = await Promise.all(lists.map((l) => pool.checkRecords(l)));
        answers.forEach((got, i) => expectAgreement(lists[i]!, got, `list #${i}`));
      } finally {
        await pool.close();
      }
    });
  }

  it("checks inputs that cannot cross to a worker on the calling thread, with the same errors", async () => {
    const pool = await VerifyPool.create({ workers: 1 });
    try {
      const r = good(3);
      const odd: unknown[] = [{ ...r, url: () => "x" }, { ...r, extra: Symbol("s") }];
      for (const x of odd) expectAgreement([good(4), x], await pool.checkRecords([good(4), x]), "uncloneable");
      expectAgreement([good(5)], await pool.checkRecords([good(5)]), "after");
    } finally {
      await pool.close();
    }
  });
});
