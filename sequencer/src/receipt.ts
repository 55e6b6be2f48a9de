/**
 * Signed receipts: the sequencer's promise to include a record in a batch. The layouts, the
 * Receipt types and verification are the SDK's (client-sdk/src/receipt.ts, docs/protocol.md#receipt),
 * shared with every client; only the signer lives here.
 *
 * A sequencer that anchors to a chain signs v2 receipts (133 bytes: domain
 * `provenance.receipt.v2` ‖ id ‖ seq ‖ receivedAt ‖ program id ‖ genesis hash), which bind the
 * deployment; one without a chain signs v1 (69 bytes: `provenance.receipt.v1` ‖ id ‖ seq ‖
 * receivedAt). Signed with ed25519 (RFC 8032, pure) by the key in `<dataDir>/receipt-key.pem`,
 * whose raw 32-byte public key is served at `GET /.well-known/provenance/receipt-key`.
 */
import { createPublicKey, sign, type KeyObject } from "node:crypto";
import {
  RECEIPT_DOMAIN,
  RECEIPT_DOMAIN_V2,
  RECEIPT_MESSAGE_BYTES,
  RECEIPT_V2_MESSAGE_BYTES,
  receiptMessage as sdkReceiptMessage,
  receiptMessageV2 as sdkReceiptMessageV2,
  verifyReceipt,
  type Receipt,
  type ReceiptDeployment,
} from "@provenance/client-sdk";

export { RECEIPT_DOMAIN, RECEIPT_DOMAIN_V2, RECEIPT_MESSAGE_BYTES, RECEIPT_V2_MESSAGE_BYTES, verifyReceipt, type Receipt, type ReceiptDeployment };

/** The 69 signed bytes of a v1 receipt, as a Buffer. */
export function receiptMessage(id: string, seq: number, receivedAt: number): Buffer {
  return Buffer.from(sdkReceiptMessage(id, seq, receivedAt));
}

/** The 133 signed bytes of a v2 receipt, as a Buffer. */
export function receiptMessageV2(id: string, seq: number, receivedAt: number, deployment: ReceiptDeployment): Buffer {
  return Buffer.from(sdkReceiptMessageV2(id, seq, receivedAt, deployment));
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
  /** The deployment v2 receipts bind; null: this signer issues v1 receipts. */
  readonly deployment: ReceiptDeployment | null;

  constructor(privateKey: KeyObject, deployment: ReceiptDeployment | null = null) {
    this.key = privateKey;
    this.publicKeyHex = rawPublicKey(privateKey).toString("hex");
    this.deployment = deployment ? { programId: deployment.programId, genesisHash: deployment.genesisHash } : null;
    // Refuses a deployment that is not base58 of 32 bytes now, not at the first receipt.
    if (this.deployment) receiptMessageV2("0".repeat(64), 0, 0, this.deployment);
  }

  /** The receipt version this signer issues. */
  get version(): 1 | 2 {
    return this.deployment ? 2 : 1;
  }

  private message(id: string, seq: number, receivedAt: number): Buffer {
    return this.deployment ? receiptMessageV2(id, seq, receivedAt, this.deployment) : receiptMessage(id, seq, receivedAt);
  }

  private receipt(id: string, seq: number, receivedAt: number, signature: Buffer): Receipt {
    const sequencerKey = this.publicKeyHex;
    const sig = signature.toString("hex");
    return this.deployment
      ? { v: 2, id, seq, receivedAt, programId: this.deployment.programId, genesisHash: this.deployment.genesisHash, sequencerKey, signature: sig }
      : { v: 1, id, seq, receivedAt, sequencerKey, signature: sig };
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
            sign(null, this.message(id, seq, receivedAt), this.key, (err, signature) => {
              if (err) reject(err);
              else resolve(this.receipt(id, seq, receivedAt, signature));
            });
          }),
      ),
    );
  }

  sign(id: string, seq: number, receivedAt: number): Receipt {
    return this.receipt(id, seq, receivedAt, sign(null, this.message(id, seq, receivedAt), this.key));
  }
}
