/**
 * Signature algorithms the station accepts, and signature checks with node:crypto.
 *
 * RFC 4055 / RFC 8017 (PKCS#1 v1.5): sha256WithRSAEncryption 1.2.840.113549.1.1.11,
 *   sha384WithRSAEncryption .12, sha512WithRSAEncryption .13; parameters NULL (or absent).
 * RFC 5758 §3.2 (ECDSA): ecdsa-with-SHA256 1.2.840.10045.4.3.2, -SHA384 .3, -SHA512 .4;
 *   parameters absent; signature is DER Ecdsa-Sig-Value. Curves P-256 and P-384 (RFC 5480).
 */
import { createPublicKey, createVerify, verify, type KeyObject } from 'node:crypto';
import { contents, DerReader, readOid, Tag, type Tlv } from './der.js';
import { DerError } from './errors.js';

/** A supported signature algorithm. */
export interface SignatureAlgorithm {
  oid: string;
  name: string;
  hash: 'sha256' | 'sha384' | 'sha512';
  keyType: 'rsa' | 'ec';
}

const ALGORITHMS: Record<string, SignatureAlgorithm> = {
  '1.2.840.113549.1.1.11': {
    oid: '1.2.840.113549.1.1.11',
    name: 'sha256WithRSAEncryption',
    hash: 'sha256',
    keyType: 'rsa',
  },
  '1.2.840.113549.1.1.12': {
    oid: '1.2.840.113549.1.1.12',
    name: 'sha384WithRSAEncryption',
    hash: 'sha384',
    keyType: 'rsa',
  },
  '1.2.840.113549.1.1.13': {
    oid: '1.2.840.113549.1.1.13',
    name: 'sha512WithRSAEncryption',
    hash: 'sha512',
    keyType: 'rsa',
  },
  '1.2.840.10045.4.3.2': {
    oid: '1.2.840.10045.4.3.2',
    name: 'ecdsa-with-SHA256',
    hash: 'sha256',
    keyType: 'ec',
  },
  '1.2.840.10045.4.3.3': {
    oid: '1.2.840.10045.4.3.3',
    name: 'ecdsa-with-SHA384',
    hash: 'sha384',
    keyType: 'ec',
  },
  '1.2.840.10045.4.3.4': {
    oid: '1.2.840.10045.4.3.4',
    name: 'ecdsa-with-SHA512',
    hash: 'sha512',
    keyType: 'ec',
  },
};

/** Curves accepted for ECDSA keys (node names). */
const CURVES = new Set(['prime256v1', 'secp384r1']);
/** Smallest RSA modulus accepted. */
export const MIN_RSA_BITS = 2048;

/**
 * AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }.
 * Returns the algorithm, or undefined when it is not one the station accepts.
 */
export function readSignatureAlgorithm(buf: Uint8Array, tlv: Tlv): SignatureAlgorithm | undefined {
  const r = DerReader.inside(buf, tlv);
  const oid = readOid(r, 'algorithm');
  const alg = ALGORITHMS[oid];
  if (r.hasMore) {
    const p = r.next(undefined, 'parameters');
    if (alg?.keyType === 'ec' || p.tag !== Tag.Null || p.length !== 0)
      throw new DerError('bad_value', `unexpected parameters for ${alg?.name ?? oid}`, p.start);
  }
  r.finish('AlgorithmIdentifier');
  return alg;
}

/** Why a public key cannot be used. */
export type KeyProblem = 'unsupported_algorithm' | 'malformed';

/** Imports a SubjectPublicKeyInfo; returns a problem for unsupported or broken keys. */
export function importPublicKey(spki: Uint8Array): KeyObject | KeyProblem {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    return 'malformed';
  }
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    if ((d.modulusLength ?? 0) < MIN_RSA_BITS) return 'unsupported_algorithm';
  } else if (key.asymmetricKeyType === 'ec') {
    if (!CURVES.has(d.namedCurve ?? '')) return 'unsupported_algorithm';
  } else return 'unsupported_algorithm';
  return key;
}

/** True when the key's type fits the algorithm. */
export function keyFits(alg: SignatureAlgorithm, key: KeyObject): boolean {
  return key.asymmetricKeyType === alg.keyType;
}

/** Verifies `signature` over `data` (one shot). False on any mismatch, never throws. */
export function verifySignature(
  alg: SignatureAlgorithm,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!keyFits(alg, key)) return false;
  try {
    return verify(alg.hash, data, key, signature);
  } catch {
    return false;
  }
}

/** A signature check fed in pieces (for CRLs streamed from disk or the network). */
export class StreamingVerifier {
  readonly #v;
  constructor(readonly alg: SignatureAlgorithm) {
    this.#v = createVerify(alg.hash);
  }
  update(chunk: Uint8Array): void {
    this.#v.update(chunk);
  }
  /** Final check; a verifier can be used once. */
  verify(key: KeyObject, signature: Uint8Array): boolean {
    if (!keyFits(this.alg, key)) return false;
    try {
      return this.#v.verify(key, signature);
    } catch {
      return false;
    }
  }
}

export { contents };
