/**
 * The sequencer's secrets in its data directory: the receipt signing key and the admin token.
 * Each is created once (mode 0600, written to a temp file, fsynced, linked into place so an
 * existing file is never replaced) and read back on every later start.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { SequencerError } from "./errors.js";

export const RECEIPT_KEY_FILE = "receipt-key.pem";
export const ADMIN_TOKEN_FILE = "admin-token";

/** Creates `file` with `content` unless it exists; returns the file's content either way. */
function createOnce(file: string, content: string): string {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  const dirFd = openSync(path.dirname(file), "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return readSecret(file);
}

/** Reads a secret file, refusing one that group or others can read or write (every key file: receipt key, admin token, Solana keypair). */
export function readSecret(file: string): string {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new SequencerError("INTERNAL", `${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
  }
  return readFileSync(file, "utf8");
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** The ed25519 key that signs receipts: `<dataDir>/receipt-key.pem` (PKCS#8), made on first start. */
export function loadOrCreateReceiptKey(dataDir: string): KeyObject {
  const file = path.join(dataDir, RECEIPT_KEY_FILE);
  const pem = exists(file)
    ? readSecret(file)
    : createOnce(file, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString());
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== "ed25519") throw new SequencerError("INTERNAL", `${file} is not an ed25519 private key`);
  return key;
}

/**
 * The admin token: the configured one, else `<dataDir>/admin-token` (32 random bytes in hex,
 * made on first start). Returns the token and where it came from.
 */
export function loadOrCreateAdminToken(dataDir: string, configured: string | undefined): { token: string; file: string | null } {
  if (configured !== undefined) return { token: configured, file: null };
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  const token = (exists(file) ? readSecret(file) : createOnce(file, `${randomBytes(32).toString("hex")}\n`)).trim();
  if (token.length < 16) throw new SequencerError("INTERNAL", `${file} holds a token shorter than 16 characters`);
  return { token, file };
}
