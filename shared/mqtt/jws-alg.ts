/**
 * The JWS algorithms of the contract (RFC 7518 §3.1, RFC 8037 §3.1) and how each maps onto
 * node:crypto: ES256/ES384 (signature = r || s, fixed width, RFC 7518 §3.4), RS256 (PKCS#1
 * v1.5), PS256 (PSS, MGF1-SHA-256, salt 32), EdDSA (Ed25519). Pure computation.
 */
import { constants, type KeyObject } from 'node:crypto';
import type { CommandJwsAlg } from './commands.js';

/** True when `key` is the kind of key `alg` needs (RSA at least 2048 bits). */
export function keyFitsAlg(alg: CommandJwsAlg, key: KeyObject): boolean {
  const t = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  switch (alg) {
    case 'ES256':
      return t === 'ec' && curve === 'prime256v1';
    case 'ES384':
      return t === 'ec' && curve === 'secp384r1';
    case 'RS256':
    case 'PS256':
      return (
        (t === 'rsa' || t === 'rsa-pss') && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048
      );
    case 'EdDSA':
      return t === 'ed25519';
  }
}

/** The hash and node:crypto options of `alg`. */
export function algParams(alg: CommandJwsAlg): { hash: string | null; opts: object } {
  switch (alg) {
    case 'ES256':
      return { hash: 'sha256', opts: { dsaEncoding: 'ieee-p1363' } };
    case 'ES384':
      return { hash: 'sha384', opts: { dsaEncoding: 'ieee-p1363' } };
    case 'RS256':
      return { hash: 'sha256', opts: { padding: constants.RSA_PKCS1_PADDING } };
    case 'PS256':
      return {
        hash: 'sha256',
        opts: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      };
    case 'EdDSA':
      return { hash: null, opts: {} };
  }
}

/** The JWS algorithm that fits a private key (ES256 for P-256, EdDSA for Ed25519, ...). */
export function algForKey(key: KeyObject): CommandJwsAlg {
  const t = key.asymmetricKeyType;
  if (t === 'ed25519') return 'EdDSA';
  if (t === 'ec') return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'ES384' : 'ES256';
  if (t === 'rsa-pss') return 'PS256';
  return 'RS256';
}
