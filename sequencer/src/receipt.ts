/**
 * Signed receipts: the sequencer's promise to include a record in a batch.
 *
 * The signed message is exactly 69 bytes:
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 21 | ASCII `provenance.receipt.v1` (domain separation) |
 * | 21 | 32 | record id (the leaf), big-endian |
 * | 53 | 8 | seq, unsigned big-endian |
 * | 61 | 8 | receivedAt (ms since epoch, sequencer clock), unsigned big-endian |
 *
 * signed with ed25519 (RFC 8032, pure) by the key in `<dataDir>/receipt-key.pem`, whose raw
 * 32-byte public key is served at `GET /.well-known/provenance/receipt-key`.
 * Receipt JSON: `{ v: 1, id, seq, receivedAt, sequencerKey, signature }`, with `id` 64 hex,
 * `sequencerKey` 64 hex (raw public key), `signature` 128 hex.
 */
import { createPublicKey, sign, type KeyObject } from "node:crypto";
import { RECEIPT_DOMAIN, RECEIPT_MESSAGE_BYTES, receiptMessage as sdkReceiptMessage, verifyReceipt, type Receipt } from "@provenance/client-sdk";

// The message layout, the Receipt type and verification are the SDK's (client-sdk/src/receipt.ts),
// shared with every client; only the signer lives here.
export { RECEIPT_DOMAIN, RECEIPT_MESSAGE_BYTES, verifyReceipt, type Receipt };

/** The 69 signed bytes of a receipt (see the table above), as a Buffer. */
export function receiptMessage(id: string, seq: number, receivedAt: number): Buffer {
  return Buffer.from(sdkReceiptMessage(id, seq, receivedAt));
}

/** Raw 32-byte ed25519 public key of a (private or public) KeyObject. */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const der = pub.export({ type: "spki", format: "der" });
  return der.subarray(der.length - 32);
}

export class ReceiptSigner {
  readonly publicKeyHex: string;
  private readonly key: KeyObject;

  constructor(privateKey: KeyObject) {
    this.key = privateKey;
    this.publicKeyHex = rawPublicKey(privateKey).toString("hex");
  }

  /**
   * Signs many receipts on libuv's thread pool (node:crypto's asynchronous `sign`): the main
   * thread only builds the messages, so it can serve requests while a group is signed.
   */
  signMany(items: ReadonlyArray<{ id: string; seq: number; receivedAt: number }>): Promise<Receipt[]> {
    return Promise.all(
      items.map(
        ({ id, seq, receivedAt }) =>
          new Promise<Receipt>((resolve, reject) => {
            sign(null, receiptMessage(id, seq, receivedAt), this.key, (err, signature) => {
              if (err) reject(err);
              else resolve({ v: 1, id, seq, receivedAt, sequencerKey: this.publicKeyHex, signature: signature.toString("hex") });
            });
          }),
      ),
    );
  }

  sign(id: string, seq: number, receivedAt: number): Receipt {
    const signature = sign(null, receiptMessage(id, seq, receivedAt), this.key).toString("hex");
    return { v: 1, id, seq, receivedAt, sequencerKey: this.publicKeyHex, signature };
  }
}
