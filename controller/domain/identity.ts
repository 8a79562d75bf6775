/**
 * How people are named, and how a card proves it holds a certificate's key: the SHA-256 of
 * the certificate's DER SubjectPublicKeyInfo (the only personal reference that leaves the
 * card), and the RSASSA-PKCS1-v1_5 / SHA-256 check of a signed nonce. Pure computations.
 */
import { createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';

/** SHA-256 (hex) of the certificate's SubjectPublicKeyInfo. @throws on an unusable certificate. */
export function spkiSha256(certificate: Uint8Array): string {
  const spki = new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

/**
 * True when `signature` is a valid RSASSA-PKCS1-v1_5 / SHA-256 signature of `message` under
 * the certificate's public key (what the card computes over the DigestInfo). False for any
 * mismatch or an unusable certificate; never throws.
 */
export function verifyNonceSignature(
  certificate: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    const key = new X509Certificate(certificate).publicKey;
    return cryptoVerify('sha256', message, key, signature);
  } catch {
    return false;
  }
}

/** PEM text of a DER certificate (64-character base64 lines, RFC 7468 §2). */
export function certificatePem(der: Uint8Array): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}
