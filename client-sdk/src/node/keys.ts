/**
 * Node key files (Node.js only): a node's EdDSA-Poseidon private key on disk, written with
 * mode 0600 and refused on load when others can read it (as ssh does), so a node's signing
 * key does not leak through a shared machine.
 *
 * File format (JSON):
 *   { "type": "provenance-node-key", "version": 1,
 *     "privateKey": "<64 hex>", "publicKey": "<64 hex>", "nodeId": "<64 hex>" }
 * `publicKey` and `nodeId` are derived from `privateKey` and checked on load.
 */
import { chmodSync, closeSync, fstatSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { ProvenanceError } from "../errors.js";
import { bytesToHex, fieldToHex, parseHex } from "../field.js";
import { derivePublicKey, generatePrivateKey, packPublicKey, type Point, type PrivateKey } from "../eddsa.js";
import { computeNodeId, signRecord, type Observation, type RecordV1 } from "../record.js";
import { signChunk, type SignedChunkV1 } from "../signed-chunk.js";

export const KEY_FILE_TYPE = "provenance-node-key";

export class NodeKey {
  readonly privateKey: PrivateKey;
  readonly publicKey: Point;
  readonly nodeId: bigint;

  constructor(privateKey: PrivateKey) {
    if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) {
      throw new ProvenanceError("INVALID_PRIVATE_KEY", "a node private key is 32 bytes");
    }
    this.privateKey = Uint8Array.from(privateKey);
    this.publicKey = derivePublicKey(this.privateKey);
    this.nodeId = computeNodeId(this.publicKey);
  }

  static generate(): NodeKey {
    return new NodeKey(generatePrivateKey());
  }

  get publicKeyHex(): string {
    return bytesToHex(packPublicKey(this.publicKey));
  }

  get nodeIdHex(): string {
    return fieldToHex(this.nodeId);
  }

  sign(observation: Observation): RecordV1 {
    return signRecord(observation, this.privateKey);
  }

  /** Signs 1..16 observations (in this order) as one chunk: one signature for all (`POST /v1/chunks`). */
  signChunk(observations: readonly Observation[]): SignedChunkV1 {
    return signChunk(observations, this.privateKey);
  }

  toJSON(): Record<string, unknown> {
    return {
      type: KEY_FILE_TYPE,
      version: 1,
      privateKey: bytesToHex(this.privateKey),
      publicKey: this.publicKeyHex,
      nodeId: this.nodeIdHex,
    };
  }

  static fromJSON(json: unknown, source = "key file"): NodeKey {
    const err = (msg: string) => new ProvenanceError("KEY_FILE", `${source}: ${msg}`);
    if (typeof json !== "object" || json === null) throw err("not a JSON object");
    const o = json as Record<string, unknown>;
    if (o.type !== KEY_FILE_TYPE) throw err(`"type" must be "${KEY_FILE_TYPE}"`);
    if (o.version !== 1) throw err(`unsupported version ${JSON.stringify(o.version)}; expected 1`);
    let key: NodeKey;
    try {
      key = new NodeKey(parseHex(o.privateKey, 32, "privateKey"));
    } catch (e) {
      throw err((e as Error).message);
    }
    if (o.publicKey !== key.publicKeyHex) throw err("publicKey does not match privateKey (file corrupted or edited)");
    if (o.nodeId !== key.nodeIdHex) throw err("nodeId does not match privateKey (file corrupted or edited)");
    return key;
  }
}

/**
 * Writes a key file with mode 0600, atomically (temp file + rename). Refuses to replace an
 * existing file unless `overwrite` is set: losing a node key loses the node's identity.
 */
export function saveNodeKey(file: string, key: NodeKey, options: { overwrite?: boolean } = {}): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  let fd: number;
  try {
    fd = openSync(tmp, "wx", 0o600);
  } catch (e) {
    throw new ProvenanceError("KEY_FILE", `cannot create ${tmp}: ${(e as Error).message}`);
  }
  try {
    writeSync(fd, JSON.stringify(key.toJSON(), null, 2) + "\n");
    closeSync(fd);
    chmodSync(tmp, 0o600); // in case the umask or filesystem changed it
    if (options.overwrite) {
      renameSync(tmp, file);
    } else {
      // link() fails if the target exists: an atomic "create only".
      try {
        linkSync(tmp, file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new ProvenanceError(
          "KEY_FILE",
          code === "EEXIST" ? `${file} already exists; refusing to overwrite a node key` : `cannot write ${file}: ${code}`,
        );
      }
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Reads a secret file (`what` names it in errors, e.g. "key file"), refusing one that group or
 * others can read or write. The mode is checked on the open descriptor, so the file read is
 * the file checked. Errors are KEY_FILE: "cannot open …" or "… too open; run chmod 600 …".
 */
export function readPrivateFile(file: string, what: string): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw new ProvenanceError("KEY_FILE", `cannot open ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      throw new ProvenanceError("KEY_FILE", `${what} ${file} has permissions ${mode.toString(8).padStart(4, "0")}: too open; run chmod 600 ${file}`);
    }
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/** Loads a key file, refusing files that group or others can read or write. */
export function loadNodeKey(file: string): NodeKey {
  const text = readPrivateFile(file, "key file");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProvenanceError("KEY_FILE", `key file ${file} is not valid JSON`);
  }
  return NodeKey.fromJSON(json, file);
}
