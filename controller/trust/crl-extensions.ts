/**
 * What follows a CRL's revoked list (RFC 5280 §5.1, §5.2): the CRL extensions, then
 * signatureAlgorithm and signatureValue. Decoded once the whole trailer is in memory.
 *
 *   crlExtensions        [0] EXPLICIT Extensions OPTIONAL -- if present, version MUST be v2 }
 *   signatureAlgorithm   AlgorithmIdentifier,
 *   signatureValue       BIT STRING }
 */
import { ExtOid, parseAuthorityKeyId } from './certificate.js';
import {
  distributionPointNameKeys,
  innerDistributionPointName,
  readReasonFlags,
} from './distribution-points.js';
import {
  bytesEqual,
  contents,
  DerReader,
  encoding,
  readHeader,
  readOid,
  Tag,
  type Tlv,
} from './der.js';
import { CrlError, DerError } from './errors.js';

/** RFC 5280 §5.2.5 IssuingDistributionPoint, as far as scope decisions need it. */
export interface IssuingDistributionPoint {
  /** Name keys (general-names.ts) of the distributionPoint; a relative name is resolved. */
  names: string[];
  onlyUser: boolean;
  onlyCa: boolean;
  onlyAttribute: boolean;
  onlySomeReasons: boolean;
  /** onlySomeReasons as a ReasonFlags mask (distribution-points.ts); undefined when absent. */
  reasons: number | undefined;
  indirect: boolean;
  /** Hex of the extension value: identifies the scope. */
  valueHex: string;
}

/** The facts of the trailer. */
export interface CrlTrailer {
  crlNumber: bigint | undefined;
  /** True when the cRLNumber extension is marked critical (RFC 5280 §5.2.3: MUST NOT). */
  crlNumberCritical: boolean;
  /** Critical extensions the profile requires to be non-critical (AKI, AIA). */
  wronglyCritical: string[];
  /** deltaCRLIndicator BaseCRLNumber: set for delta CRLs. */
  deltaBase: bigint | undefined;
  authorityKeyId: Uint8Array | undefined;
  idp: IssuingDistributionPoint | undefined;
  signature: Uint8Array;
}

/** CRL extensions recognised (processed or safe to ignore), RFC 5280 §5.2. */
const KNOWN_CRL_EXTENSIONS = new Set<string>([
  ExtOid.authorityKeyIdentifier,
  ExtOid.issuerAltName,
  ExtOid.crlNumber,
  ExtOid.deltaCrlIndicator,
  ExtOid.issuingDistributionPoint,
  ExtOid.freshestCrl,
  ExtOid.authorityInfoAccess,
]);

function readBigInt(buf: Uint8Array, tlv: Tlv, what: string): bigint {
  if (tlv.tag !== Tag.Integer || tlv.length === 0 || tlv.length > 20)
    throw new DerError('bad_value', `${what} must be an INTEGER of at most 20 octets`, tlv.start);
  if (buf[tlv.valueStart]! & 0x80)
    throw new DerError('bad_value', `${what} is negative`, tlv.start);
  return BigInt('0x' + Buffer.from(contents(buf, tlv)).toString('hex'));
}

/**
 * RFC 5280 §5.2.5:
 *   IssuingDistributionPoint ::= SEQUENCE {
 *        distributionPoint          [0] DistributionPointName OPTIONAL,
 *        onlyContainsUserCerts      [1] BOOLEAN DEFAULT FALSE,
 *        onlyContainsCACerts        [2] BOOLEAN DEFAULT FALSE,
 *        onlySomeReasons            [3] ReasonFlags OPTIONAL,
 *        indirectCRL                [4] BOOLEAN DEFAULT FALSE,
 *        onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
 */
export function parseIdp(value: Uint8Array, crlIssuerKey: string): IssuingDistributionPoint {
  const t = readHeader(value, 0);
  if (t.tag !== Tag.Sequence || t.end !== value.length)
    throw new DerError('bad_value', 'issuingDistributionPoint must be one SEQUENCE', 0);
  const r = DerReader.inside(value, t);
  const idp: IssuingDistributionPoint = {
    names: [],
    onlyUser: false,
    onlyCa: false,
    onlyAttribute: false,
    onlySomeReasons: false,
    reasons: undefined,
    indirect: false,
    valueHex: Buffer.from(value).toString('hex'),
  };
  const dp = r.optional(0xa0);
  if (dp)
    idp.names = distributionPointNameKeys(
      value,
      innerDistributionPointName(value, dp),
      crlIssuerKey,
    );
  const flag = (tag: number) => {
    const f = r.optional(tag);
    return f ? f.length === 1 && value[f.valueStart] !== 0 : false;
  };
  idp.onlyUser = flag(0x81);
  idp.onlyCa = flag(0x82);
  const reasons = r.optional(0x83);
  if (reasons) {
    idp.onlySomeReasons = true;
    idp.reasons = readReasonFlags(value, reasons);
  }
  idp.indirect = flag(0x84);
  idp.onlyAttribute = flag(0x85);
  r.finish('issuingDistributionPoint');
  return idp;
}

/** Where the trailer lies in `buf`, and what the header said. */
export interface TrailerFrame {
  /** Start of the trailer, end of tbsCertList, end of the CRL (relative to buf). */
  start: number;
  tbsEnd: number;
  end: number;
  /** Absolute offset of buf[0] (error positions). */
  base: number;
  version: number;
  issuerKey: string;
  signatureAlgorithmDer: Uint8Array;
}

/** Decodes crlExtensions (when present), signatureAlgorithm and signatureValue. */
export function readCrlTrailer(buf: Uint8Array, f: TrailerFrame): CrlTrailer {
  const r = new DerReader(buf, f.start, f.end);
  const out: CrlTrailer = {
    crlNumber: undefined,
    crlNumberCritical: false,
    wronglyCritical: [],
    deltaBase: undefined,
    authorityKeyId: undefined,
    idp: undefined,
    signature: new Uint8Array(0),
  };
  if (f.start < f.tbsEnd) {
    const t = r.next(0xa0, 'crlExtensions');
    if (t.end !== f.tbsEnd)
      throw new DerError(
        'trailing_data',
        'data after crlExtensions in tbsCertList',
        t.end + f.base,
      );
    if (f.version !== 2)
      throw new DerError('bad_value', 'CRL extensions need a v2 CRL', t.start + f.base);
    const er = DerReader.inside(buf, DerReader.inside(buf, t).next(Tag.Sequence, 'Extensions'));
    const seen = new Set<string>();
    while (er.hasMore) readExtension(buf, er.next(Tag.Sequence, 'Extension'), f, seen, out);
  }
  const alg = r.next(Tag.Sequence, 'signatureAlgorithm');
  // RFC 5280 §5.1.1.2: signatureAlgorithm "MUST contain the same algorithm identifier as the
  // signature field in the sequence tbsCertList".
  if (!bytesEqual(encoding(buf, alg), f.signatureAlgorithmDer))
    throw new DerError(
      'bad_value',
      'signature algorithms inside and outside tbsCertList differ',
      alg.start + f.base,
    );
  const sig = r.next(Tag.BitString, 'signatureValue');
  if (sig.length < 2 || buf[sig.valueStart] !== 0)
    throw new DerError('bad_value', 'signatureValue must have no unused bits', sig.start + f.base);
  r.finish('CertificateList');
  out.signature = buf.slice(sig.valueStart + 1, sig.end);
  return out;
}

function readExtension(
  buf: Uint8Array,
  e: Tlv,
  f: TrailerFrame,
  seen: Set<string>,
  out: CrlTrailer,
): void {
  const x = DerReader.inside(buf, e);
  const oid = readOid(x, 'extnID');
  const b = x.optional(Tag.Boolean);
  const critical = b ? buf[b.valueStart] !== 0 : false;
  const value = contents(buf, x.next(Tag.OctetString, 'extnValue'));
  x.finish('Extension');
  if (seen.has(oid))
    throw new DerError('bad_value', `CRL extension ${oid} appears twice`, e.start + f.base);
  seen.add(oid);
  // RFC 5280 §5.2.1 / §4.2.2.1: authorityKeyIdentifier and authorityInfoAccess MUST be
  // non-critical.
  if (critical && (oid === ExtOid.authorityKeyIdentifier || oid === ExtOid.authorityInfoAccess))
    out.wronglyCritical.push(oid);
  switch (oid) {
    case ExtOid.crlNumber:
      out.crlNumber = readBigInt(value, readHeader(value, 0), 'cRLNumber');
      out.crlNumberCritical = critical;
      break;
    case ExtOid.deltaCrlIndicator:
      out.deltaBase = readBigInt(value, readHeader(value, 0), 'BaseCRLNumber');
      break;
    case ExtOid.authorityKeyIdentifier:
      out.authorityKeyId = parseAuthorityKeyId(value)?.slice();
      break;
    case ExtOid.issuingDistributionPoint:
      out.idp = parseIdp(value.slice(), f.issuerKey);
      break;
    default:
      // RFC 5280 §5.2: "If a CRL contains a critical extension that the application
      // cannot process, then the application MUST NOT use that CRL".
      if (critical && !KNOWN_CRL_EXTENSIONS.has(oid))
        throw new CrlError(
          'unknown_critical_extension',
          `CRL has an unknown critical extension ${oid}`,
        );
  }
}
