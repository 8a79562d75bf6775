/**
 * The fields of tbsCertList before the revoked list (RFC 5280 §5.1.2.1-§5.1.2.5):
 *
 *   TBSCertList ::= SEQUENCE {
 *        version              Version OPTIONAL, -- if present, MUST be v2
 *        signature            AlgorithmIdentifier,
 *        issuer               Name,
 *        thisUpdate           Time,
 *        nextUpdate           Time OPTIONAL,
 *        ...
 */
import { readSignatureAlgorithm, type SignatureAlgorithm } from './algorithms.js';
import type { CrlTrailer } from './crl-extensions.js';
import { DerReader, encoding, readSmallInt, readTimeMs, Tag, tryReadHeader } from './der.js';
import { DerError } from './errors.js';
import { nameKey, nameToString } from './names.js';

/** The fields before the revoked list. */
export interface CrlHeader {
  version: number;
  /** undefined when the algorithm is not supported. */
  signatureAlgorithm: SignatureAlgorithm | undefined;
  signatureAlgorithmDer: Uint8Array;
  issuerDer: Uint8Array;
  issuer: string;
  issuerKey: string;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
}

/** Everything about a CRL except its entries. */
export interface CrlInfo extends CrlHeader, CrlTrailer {
  /** Entries read (before de-duplication). */
  entriesRead: number;
  /** Entries whose revocationDate is after thisUpdate. */
  futureDated: number;
  /** Total DER length. */
  byteLength: number;
}

/**
 * Decodes the header fields from `buf[start..)` (`limit`: end of tbsCertList relative to buf;
 * `base`: absolute offset of buf[0], for error positions). Returns the header and where the
 * fields end (at revokedCertificates, crlExtensions or the end of tbsCertList), or undefined
 * while they have not all arrived.
 */
export function readCrlHeader(
  buf: Uint8Array,
  start: number,
  limit: number,
  base: number,
): { header: CrlHeader; end: number } | undefined {
  // Find where the fixed fields end without consuming: each must be complete; stop at the
  // header of revokedCertificates (a SEQUENCE after the times) or crlExtensions [0].
  let p = start;
  let count = 0;
  for (;;) {
    if (p >= limit) break;
    const h = tryReadHeader(buf, p, limit);
    if (!h) return undefined;
    if (count >= 3 && (h.tag === Tag.Sequence || h.tag === 0xa0)) break;
    if (h.end > buf.length) return undefined;
    p = h.end;
    if (++count > 5)
      throw new DerError('bad_value', 'unexpected fields in tbsCertList', base + h.start);
  }
  const r = new DerReader(buf, start, p);
  let version = 1;
  const v = r.optional(Tag.Integer);
  if (v) {
    version = readSmallInt(buf, v, 'version') + 1;
    if (version !== 2)
      throw new DerError('bad_value', 'CRL version must be v2 when present', v.start);
  }
  const alg = r.next(Tag.Sequence, 'signature');
  const signatureAlgorithm = readSignatureAlgorithm(buf, alg);
  const issuer = r.next(Tag.Sequence, 'issuer');
  const thisUpdateMs = readTimeMs(buf, r.next(undefined, 'thisUpdate'), true);
  let nextUpdate: Date | undefined;
  const nt = r.peekTag();
  if (nt === Tag.UtcTime || nt === Tag.GeneralizedTime)
    nextUpdate = new Date(readTimeMs(buf, r.next(), true));
  r.finish('tbsCertList header');
  const issuerDer = encoding(buf, issuer).slice();
  return {
    header: {
      version,
      signatureAlgorithm,
      signatureAlgorithmDer: encoding(buf, alg).slice(),
      issuerDer,
      issuer: nameToString(issuerDer),
      issuerKey: nameKey(issuerDer),
      thisUpdate: new Date(thisUpdateMs),
      nextUpdate,
    },
    end: p,
  };
}
