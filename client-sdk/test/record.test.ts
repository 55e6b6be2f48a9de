import { expect } from "chai";
import {
  DOMAIN_RECORD_V1,
  ProvenanceError,
  bytesToHex,
  computeNodeId,
  fieldToHex,
  packSignature,
  parseRecord,
  poseidon,
  recordLeaf,
  sha256,
  signRecord,
  splitDigest,
  unpackSignature,
  validateRecord,
  hexToBytes,
  type RecordV1,
} from "../src/index.js";
import { contentHashOf, testNode } from "../../tests/support/fixtures.js";

const node = testNode("record-tests");

function valid(): RecordV1 {
  return signRecord(
    { url: "https://example.com/a?b=c", timestamp: 1764300000000, contentHash: contentHashOf("hello") },
    node.privateKey,
  );
}

function refusal(input: unknown): { code: string; message: string } {
  try {
    validateRecord(input);
  } catch (err) {
    expect(err).to.be.instanceOf(ProvenanceError);
    return { code: (err as ProvenanceError).code, message: (err as Error).message };
  }
  throw new Error("record was accepted");
}

describe("record v1", () => {
  it("derives message, nodeId and leaf exactly as docs/protocol.md#record-id says", () => {
    const r = valid();
    const parsed = validateRecord(r);
    expect(DOMAIN_RECORD_V1).to.equal(BigInt("0x" + Buffer.from("provenance.record.v1").toString("hex")));
    const urlHash = sha256(new TextEncoder().encode(r.url));
    const [urlHi, urlLo] = splitDigest(urlHash);
    expect(urlHi).to.equal(BigInt("0x" + bytesToHex(urlHash).slice(0, 32)));
    expect(urlLo).to.equal(BigInt("0x" + bytesToHex(urlHash).slice(32)));
    const [contentHi, contentLo] = splitDigest(hexToBytes(r.contentHash));
    const message = poseidon([DOMAIN_RECORD_V1, urlHi, urlLo, contentHi, contentLo, BigInt(r.timestamp)]);
    expect(parsed.message).to.equal(message);
    expect(parsed.nodeId).to.equal(poseidon([node.publicKey.x, node.publicKey.y]));
    expect(r.nodeId).to.equal(fieldToHex(computeNodeId(node.publicKey)));
    expect(parsed.leaf).to.equal(recordLeaf(message, parsed.nodeId));
    expect(parsed.leaf).to.equal(poseidon([message, parsed.nodeId]));
  });

  it("keeps the URL exactly as given (no normalisation)", () => {
    const a = signRecord({ url: "https://Example.com/", timestamp: 1, contentHash: contentHashOf("x") }, node.privateKey);
    const b = signRecord({ url: "https://example.com/", timestamp: 1, contentHash: contentHashOf("x") }, node.privateKey);
    expect(validateRecord(a).record.url).to.equal("https://Example.com/");
    expect(validateRecord(a).leaf).to.not.equal(validateRecord(b).leaf);
  });

  it("accepts URLs of exactly 2048 UTF-8 bytes, multi-byte characters counted as bytes", () => {
    const url = "https://e.com/" + "é".repeat((2048 - 14) / 2);
    expect(new TextEncoder().encode(url).length).to.equal(2048);
    validateRecord(signRecord({ url, timestamp: 5, contentHash: contentHashOf("x") }, node.privateKey));
    expect(() => signRecord({ url: url + "a", timestamp: 5, contentHash: contentHashOf("x") }, node.privateKey)).to.throw(
      "url is 2049 bytes of UTF-8; the limit is 2048",
    );
  });

  const cases: Array<[string, (r: RecordV1) => unknown, string, string | RegExp]> = [
    ["not an object", () => "hello", "INVALID_RECORD", "record must be a JSON object, got a string of length 5"],
    ["null", () => null, "INVALID_RECORD", "record must be a JSON object, got null"],
    ["an array", () => [], "INVALID_RECORD", "record must be a JSON object, got an array"],
    ["an unknown field", (r) => ({ ...r, extra: 1 }), "INVALID_RECORD", 'record has unknown field "extra"'],
    ["a missing field", ({ signature: _s, ...r }) => r, "INVALID_RECORD", 'record is missing field "signature"'],
    ["version 2", (r) => ({ ...r, v: 2 }), "INVALID_VERSION", "unknown record version 2; expected 1"],
    ["version as a string", (r) => ({ ...r, v: "1" }), "INVALID_VERSION", 'unknown record version "1"; expected 1'],
    ["an empty URL", (r) => ({ ...r, url: "" }), "INVALID_URL", "url must not be empty"],
    ["a URL over 2048 bytes", (r) => ({ ...r, url: "https://e.com/" + "a".repeat(2035) }), "INVALID_URL", "url is 2049 bytes of UTF-8; the limit is 2048"],
    ["a URL that is not a string", (r) => ({ ...r, url: 5 }), "INVALID_URL", "url must be a string, got number"],
    ["a URL with a lone surrogate", (r) => ({ ...r, url: "https://e.com/\ud800" }), "INVALID_URL", "url contains a lone UTF-16 surrogate (not valid Unicode)"],
    ["a URL with a newline", (r) => ({ ...r, url: "https://e.com/\n" }), "INVALID_URL", "url contains a control character"],
    ["a negative timestamp", (r) => ({ ...r, timestamp: -1 }), "INVALID_TIMESTAMP", "timestamp must be a non-negative safe integer (ms since epoch), got -1"],
    ["a fractional timestamp", (r) => ({ ...r, timestamp: 1.5 }), "INVALID_TIMESTAMP", /got 1\.5$/],
    ["an unsafe timestamp", (r) => ({ ...r, timestamp: 2 ** 53 }), "INVALID_TIMESTAMP", /got 9007199254740992$/],
    ["a timestamp string", (r) => ({ ...r, timestamp: "1764300000000" }), "INVALID_TIMESTAMP", /got a string of length 13$/],
    ["a short contentHash", (r) => ({ ...r, contentHash: "ab" }), "INVALID_HEX", "contentHash must be 64 hex characters (32 bytes), got 2"],
    ["uppercase hex", (r) => ({ ...r, contentHash: r.contentHash.toUpperCase() }), "INVALID_HEX", "contentHash must be lowercase hex (0-9, a-f)"],
    ["non-hex characters", (r) => ({ ...r, nodeId: "zz" + r.nodeId.slice(2) }), "INVALID_HEX", "nodeId must be lowercase hex (0-9, a-f)"],
    ["a 63-char publicKey", (r) => ({ ...r, publicKey: r.publicKey.slice(1) }), "INVALID_HEX", "publicKey must be 64 hex characters (32 bytes), got 63"],
    ["a 127-char signature", (r) => ({ ...r, signature: r.signature.slice(1) }), "INVALID_HEX", "signature must be 128 hex characters (64 bytes), got 127"],
    ["a nodeId of another key", (r) => ({ ...r, nodeId: testNode("other").nodeId.toString(16).padStart(64, "0") }), "INVALID_RECORD", "nodeId is not Poseidon(publicKey): it must be derived from the record's own key"],
    ["a changed URL", (r) => ({ ...r, url: r.url + "x" }), "BAD_SIGNATURE", "signature does not verify for this record and publicKey"],
    ["a changed timestamp", (r) => ({ ...r, timestamp: r.timestamp + 1 }), "BAD_SIGNATURE", "signature does not verify for this record and publicKey"],
    ["a changed content hash", (r) => ({ ...r, contentHash: "00" + r.contentHash.slice(2) }), "BAD_SIGNATURE", "signature does not verify for this record and publicKey"],
  ];
  for (const [what, mutate, code, message] of cases) {
    it(`refuses ${what}`, () => {
      const got = refusal(mutate(valid()));
      expect(got.code).to.equal(code);
      if (typeof message === "string") expect(got.message).to.equal(message);
      else expect(got.message).to.match(message);
    });
  }

  it("refuses the signature of another key (record re-keyed)", () => {
    const other = testNode("other");
    const r = valid();
    const theirs = signRecord({ url: r.url, timestamp: r.timestamp, contentHash: r.contentHash }, other.privateKey);
    const forged = { ...r, publicKey: theirs.publicKey, nodeId: theirs.nodeId };
    expect(refusal(forged).code).to.equal("BAD_SIGNATURE");
  });

  it("refuses any single changed byte of the signature", () => {
    const r = valid();
    const sig = hexToBytes(r.signature);
    for (let i = 0; i < sig.length; i++) {
      const changed = Uint8Array.from(sig);
      changed[i] = changed[i]! ^ 0x01;
      const got = refusal({ ...r, signature: bytesToHex(changed) });
      expect(["BAD_SIGNATURE", "INVALID_SIGNATURE_ENCODING"]).to.include(got.code);
    }
  });

  it("round-trips a signature through its packed form", () => {
    const r = valid();
    expect(bytesToHex(packSignature(unpackSignature(hexToBytes(r.signature))))).to.equal(r.signature);
  });

  it("signRecord refuses bad observations with the same messages", () => {
    expect(() => signRecord({ url: "", timestamp: 1, contentHash: contentHashOf("x") }, node.privateKey)).to.throw("url must not be empty");
    expect(() => signRecord({ url: "https://e.com", timestamp: -5, contentHash: contentHashOf("x") }, node.privateKey)).to.throw(/timestamp must be/);
    expect(() => signRecord({ url: "https://e.com", timestamp: 1, contentHash: "xyz" }, node.privateKey)).to.throw(/contentHash must be 64 hex/);
    expect(() => signRecord({ url: "https://e.com", timestamp: 1, contentHash: new Uint8Array(31) }, node.privateKey)).to.throw("contentHash must be 32 bytes");
  });

  it("parseRecord returns a copy of exactly the record's fields", () => {
    const r = valid();
    const parsed = parseRecord(r);
    expect(parsed.record).to.deep.equal(r);
    expect(parsed.record).to.not.equal(r);
  });
});
