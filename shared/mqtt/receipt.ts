/**
 * The collection receipt (交付記録): what the resident's card signs when documents are handed
 * over, carried by `delivery.collected` as `data.receipt` so the back office can check offline
 * who took what, where and when.
 *
 * ```
 * Receipt   = { "certificate": PEM of the holder's user-authentication certificate,
 *               "challenge":   ReceiptChallenge,
 *               "signature":   base64 (RFC 4648 §4) of the card's signature }
 * signature = RSASSA-PKCS1-v1_5 (RFC 8017 §8.2) with SHA-256 over receiptChallengeBytes(challenge)
 *             (the JPKI card signs a SHA-256 DigestInfo; for other key types the usual
 *             signature of SHA-256 over the same bytes)
 * ```
 * The signed bytes are the UTF-8 of {@link canonicalReceiptChallenge}: the challenge's members
 * in a fixed order, as JSON without spaces. The leading `type` keeps a receipt signature apart
 * from anything else the card signs (the kiosk's proof of presence signs 32 random bytes,
 * which can never start with `{"v":1,"type":"jpki-locker-receipt"`).
 * Pure contract: no I/O, no crypto; controller/receipt verifies.
 */

/** The `type` member of every receipt challenge. */
export const RECEIPT_CHALLENGE_TYPE = 'jpki-locker-receipt';
/** Pattern of a receipt nonce: 32 random bytes, base64url without padding (RFC 4648 §5). */
export const RECEIPT_NONCE_PATTERN = '^[A-Za-z0-9_-]{43}$';

/** What the card signs at collection. */
export interface ReceiptChallenge {
  /** Receipt format version: 1. */
  v: 1;
  type: typeof RECEIPT_CHALLENGE_TYPE;
  /** The station id (as in the MQTT topics). */
  station: string;
  /** The deliveries handed over in this collection, in the order the station listed them. */
  deliveryIds: string[];
  /** ISO 8601 instant (station clock) of the collection. */
  at: string;
  /** A fresh nonce from the station ({@link RECEIPT_NONCE_PATTERN}). */
  nonce: string;
}

/** `data.receipt` of `delivery.collected`. */
export interface Receipt {
  /** The holder's user-authentication certificate, PEM. */
  certificate: string;
  challenge: ReceiptChallenge;
  /** Base64 of the signature over {@link receiptChallengeBytes}. */
  signature: string;
}

/**
 * The canonical text of a challenge: `{"v":1,"type":…,"station":…,"deliveryIds":[…],"at":…,"nonce":…}`
 * with exactly these members in this order, each string JSON-escaped (JSON.stringify), no
 * white space. Members not in the list are not part of it (a verifier refuses them).
 */
export function canonicalReceiptChallenge(c: ReceiptChallenge): string {
  const s = (x: string) => JSON.stringify(String(x));
  return (
    `{"v":${Number(c.v)},"type":${s(c.type)},"station":${s(c.station)},` +
    `"deliveryIds":[${c.deliveryIds.map(s).join(',')}],"at":${s(c.at)},"nonce":${s(c.nonce)}}`
  );
}

/** The bytes the card signs: UTF-8 of {@link canonicalReceiptChallenge}. */
export function receiptChallengeBytes(c: ReceiptChallenge): Uint8Array {
  return new TextEncoder().encode(canonicalReceiptChallenge(c));
}

/** Base64url (no padding) of a 32-byte nonce, for {@link ReceiptChallenge.nonce}. */
export function receiptNonce(bytes: Uint8Array): string {
  if (bytes.length !== 32) throw new RangeError('a receipt nonce is 32 bytes');
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Builds the challenge for one collection. */
export function receiptChallenge(parts: {
  station: string;
  deliveryIds: readonly string[];
  at: Date;
  nonce: Uint8Array;
}): ReceiptChallenge {
  return {
    v: 1,
    type: RECEIPT_CHALLENGE_TYPE,
    station: parts.station,
    deliveryIds: [...parts.deliveryIds],
    at: parts.at.toISOString(),
    nonce: receiptNonce(parts.nonce),
  };
}
