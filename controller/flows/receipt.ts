/**
 * The collection receipt at the kiosk (shared/mqtt/receipt.ts): the card proof signs the
 * receipt's challenge — this station, the deliveries about to be handed over, the time and a
 * fresh nonce — instead of a bare nonce, so one signature both proves the holder is present
 * and stays as evidence of who received what, where and when. Each `delivery.collected` of
 * the session then carries the receipt.
 */
import { randomBytes } from 'node:crypto';
import {
  receiptChallenge,
  receiptChallengeBytes,
  type Receipt,
  type ReceiptChallenge,
} from '../../shared/mqtt/receipt.js';
import { certificatePem } from '../domain/identity.js';

/** A challenge handed to the card, waiting for its signature. */
export interface ReceiptDraft {
  challenge: ReceiptChallenge;
  /** The bytes the card signs. */
  bytes: Uint8Array;
}

/** Builds the challenge for a collection. */
export function draftReceipt(
  station: string,
  deliveryIds: readonly string[],
  at: Date,
  nonce: Uint8Array = new Uint8Array(randomBytes(32)),
): ReceiptDraft {
  const challenge = receiptChallenge({ station, deliveryIds, at, nonce });
  return { challenge, bytes: receiptChallengeBytes(challenge) };
}

/** The receipt once the card signed the draft's bytes (checked by the proof already). */
export function completeReceipt(
  draft: ReceiptDraft,
  certificate: Uint8Array,
  signature: Uint8Array,
): Receipt {
  return {
    certificate: certificatePem(certificate),
    challenge: draft.challenge,
    signature: Buffer.from(signature).toString('base64'),
  };
}
