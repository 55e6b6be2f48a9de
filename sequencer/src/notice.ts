/**
 * Signs "dropped" notices with the sequencer's receipt key (`<dataDir>/receipt-key.pem`,
 * secrets.ts): the auditable statement that a receipted record was taken out of its batch for
 * good, and why. The message layout, the DroppedNotice type and verification are the SDK's
 * (client-sdk/src/notice.ts, docs/protocol.md#dropped-notice); only the signer lives here.
 */
import { sign, type KeyObject } from "node:crypto";
import { droppedNoticeMessage, type DroppedNotice, type DroppedNoticeFields } from "@provenance/client-sdk";
import { rawPublicKey } from "./receipt.js";

export type { DroppedNotice, DroppedNoticeFields };

export class NoticeSigner {
  readonly publicKeyHex: string;
  private readonly key: KeyObject;

  /** `privateKey`: the receipt key (the same key signs receipts and notices; nodes pin it). */
  constructor(privateKey: KeyObject) {
    this.key = privateKey;
    this.publicKeyHex = rawPublicKey(privateKey).toString("hex");
  }

  sign(fields: DroppedNoticeFields): DroppedNotice {
    const signature = sign(null, Buffer.from(droppedNoticeMessage(fields)), this.key).toString("hex");
    return { v: 1, ...fields, sequencerKey: this.publicKeyHex, signature };
  }
}
