import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { validateRecord } from "../src/index.js";
import { NodeKey, loadNodeKey, saveNodeKey } from "../src/node/index.js";

describe("node key files", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "provenance-keys-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("saves with mode 0600, loads the same key, and signs records that verify", () => {
    const key = NodeKey.generate();
    const file = path.join(dir, "node.json");
    saveNodeKey(file, key);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const loaded = loadNodeKey(file);
    expect(loaded.nodeIdHex).to.equal(key.nodeIdHex);
    expect(loaded.publicKeyHex).to.equal(key.publicKeyHex);
    const record = loaded.sign({ url: "https://example.com", timestamp: 1, contentHash: "ab".repeat(32) });
    expect(validateRecord(record).nodeId).to.equal(key.nodeId);
  });

  it("refuses to overwrite an existing key unless asked", () => {
    const file = path.join(dir, "node.json");
    const first = NodeKey.generate();
    saveNodeKey(file, first);
    expect(() => saveNodeKey(file, NodeKey.generate())).to.throw(`${file} already exists; refusing to overwrite a node key`);
    expect(loadNodeKey(file).nodeIdHex).to.equal(first.nodeIdHex);
    const second = NodeKey.generate();
    saveNodeKey(file, second, { overwrite: true });
    expect(loadNodeKey(file).nodeIdHex).to.equal(second.nodeIdHex);
  });

  it("refuses a key file others can read", () => {
    const file = path.join(dir, "node.json");
    saveNodeKey(file, NodeKey.generate());
    chmodSync(file, 0o644);
    expect(() => loadNodeKey(file)).to.throw(`key file ${file} has permissions 0644: too open; run chmod 600 ${file}`);
  });

  it("refuses missing, malformed and edited key files with what is wrong", () => {
    const file = path.join(dir, "node.json");
    expect(() => loadNodeKey(file)).to.throw(`cannot open key file ${file}: ENOENT`);
    const write = (text: string) => {
      writeFileSync(file, text, { mode: 0o600 });
      chmodSync(file, 0o600);
    };
    write("{not json");
    expect(() => loadNodeKey(file)).to.throw(`key file ${file} is not valid JSON`);
    const good = NodeKey.generate().toJSON();
    write(JSON.stringify({ ...good, type: "other" }));
    expect(() => loadNodeKey(file)).to.throw(`${file}: "type" must be "provenance-node-key"`);
    write(JSON.stringify({ ...good, version: 2 }));
    expect(() => loadNodeKey(file)).to.throw(`${file}: unsupported version 2; expected 1`);
    write(JSON.stringify({ ...good, privateKey: "00" }));
    expect(() => loadNodeKey(file)).to.throw(`${file}: privateKey must be 64 hex characters (32 bytes), got 2`);
    write(JSON.stringify({ ...good, publicKey: NodeKey.generate().publicKeyHex }));
    expect(() => loadNodeKey(file)).to.throw(`${file}: publicKey does not match privateKey (file corrupted or edited)`);
    write(JSON.stringify({ ...good, nodeId: NodeKey.generate().nodeIdHex }));
    expect(() => loadNodeKey(file)).to.throw(`${file}: nodeId does not match privateKey (file corrupted or edited)`);
    expect(JSON.parse(readFileSync(file, "utf8")).type).to.equal("provenance-node-key");
  });
});
