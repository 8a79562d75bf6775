/**
 * Collection receipts (shared/mqtt/receipt.ts): made at the kiosk when the card signs the
 * challenge, checked offline by `jpki-locker receipt verify`.
 *
 * Broken input (not JSON, wrong shape, a certificate that does not parse) and a signature
 * that does not verify are both results with a reason, never exceptions: a verifier in the
 * back office reads files it did not write.
 */
import { X509Certificate } from 'node:crypto';
import { spkiSha256, verifyNonceSignature } from '../domain/identity.js';
import {
  receiptChallengeBytes,
  type Receipt,
  type ReceiptChallenge,
} from '../../shared/mqtt/receipt.js';
import { completeReceipt, draftReceipt } from '../flows/receipt.js';
import { validateReceipt } from '../../shared/mqtt/validate.js';

/** Why a receipt is not valid. */
export type ReceiptProblem =
  'not_json' | 'malformed' | 'bad_certificate' | 'bad_signature_encoding' | 'bad_signature';

/** What checking a receipt found. */
export type ReceiptCheck =
  | {
      valid: true;
      station: string;
      deliveryIds: string[];
      at: string;
      /** SHA-256 (hex) of the certificate's SubjectPublicKeyInfo. */
      holderSpkiSha256: string;
    }
  | {
      valid: false;
      reason: ReceiptProblem;
      /** What is wrong, for a person (no personal data from the certificate). */
      detail: string;
      /** What the receipt claims, when its shape could be read. */
      claims?: { station: string; deliveryIds: string[]; at: string; holderSpkiSha256?: string };
    };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** SHA-256 (hex) of a certificate's DER SubjectPublicKeyInfo (the one rule: domain/identity). */
export function certificateSpkiSha256(cert: X509Certificate): string {
  return spkiSha256(new Uint8Array(cert.raw));
}

/**
 * Makes a receipt: builds the challenge, has the card sign its canonical bytes (`sign` gets
 * the bytes to hash and sign, as JpkiClient.signNonce does) and assembles the object.
 */
export async function makeReceipt(parts: {
  station: string;
  deliveryIds: readonly string[];
  at: Date;
  nonce: Uint8Array;
  certificateDer: Uint8Array;
  sign: (message: Uint8Array) => Promise<Uint8Array>;
}): Promise<Receipt> {
  const draft = draftReceipt(parts.station, parts.deliveryIds, parts.at, parts.nonce);
  return completeReceipt(draft, parts.certificateDer, await parts.sign(draft.bytes));
}

/**
 * Checks a receipt given as JSON text: the receipt object itself, or an event (or its
 * `data`) that carries it as `receipt`.
 */
export function checkReceiptText(text: string): ReceiptCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { valid: false, reason: 'not_json', detail: `not JSON: ${(err as Error).message}` };
  }
  return checkReceipt(unwrap(value));
}

function unwrap(value: unknown): unknown {
  const o = value as { data?: { receipt?: unknown }; receipt?: unknown } | null;
  if (o && typeof o === 'object') {
    if (o.data && typeof o.data === 'object' && 'receipt' in o.data) return o.data.receipt;
    if ('receipt' in o && !('challenge' in o)) return o.receipt;
  }
  return value;
}

/** Checks a decoded receipt: its shape, its certificate and the signature over the challenge. */
export function checkReceipt(value: unknown): ReceiptCheck {
  const shape = validateReceipt(value);
  if (!shape.ok)
    return {
      valid: false,
      reason: 'malformed',
      detail: `not a receipt: ${shape.errors.join('; ')}`,
    };
  const r = shape.value;
  const claims = claimsOf(r.challenge);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(r.certificate);
  } catch (err) {
    return {
      valid: false,
      reason: 'bad_certificate',
      detail: `the certificate cannot be read: ${(err as Error).message}`,
      claims,
    };
  }
  const holderSpkiSha256 = certificateSpkiSha256(cert);
  const withHolder = { ...claims, holderSpkiSha256 };
  const signature = Buffer.from(r.signature, 'base64');
  if (!BASE64.test(r.signature) || signature.toString('base64') !== r.signature) {
    return {
      valid: false,
      reason: 'bad_signature_encoding',
      detail: 'the signature is not canonical base64',
      claims: withHolder,
    };
  }
  const ok = verifyNonceSignature(
    new Uint8Array(cert.raw),
    receiptChallengeBytes(r.challenge),
    signature,
  );
  if (!ok) {
    return {
      valid: false,
      reason: 'bad_signature',
      detail: "the signature does not verify over the challenge with the certificate's key",
      claims: withHolder,
    };
  }
  return { valid: true, ...withHolder };
}

function claimsOf(c: ReceiptChallenge) {
  return { station: c.station, deliveryIds: [...c.deliveryIds], at: c.at };
}
