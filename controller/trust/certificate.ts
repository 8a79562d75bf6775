/**
 * X.509 v3 certificates (RFC 5280 §4.1), parsed with the bounds-checked DER reader. Only the
 * fields and extensions that path validation uses are decoded; the rest stay as bytes.
 *
 *   Certificate ::= SEQUENCE { tbsCertificate TBSCertificate,
 *        signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
 *   TBSCertificate ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
 *        serialNumber CertificateSerialNumber, signature AlgorithmIdentifier, issuer Name,
 *        validity Validity, subject Name, subjectPublicKeyInfo SubjectPublicKeyInfo,
 *        issuerUniqueID [1] IMPLICIT UniqueIdentifier OPTIONAL,
 *        subjectUniqueID [2] IMPLICIT UniqueIdentifier OPTIONAL,
 *        extensions [3] EXPLICIT Extensions OPTIONAL }
 */
import { createHash, type KeyObject } from 'node:crypto';
import {
  readSignatureAlgorithm,
  importPublicKey,
  type KeyProblem,
  type SignatureAlgorithm,
} from './algorithms.js';
import {
  bitStringBytes,
  bytesEqual,
  contents,
  DerReader,
  encoding,
  canonicalInteger,
  readHeader,
  readOid,
  readSmallInt,
  readTime,
  Tag,
} from './der.js';
import { parseCrlDistributionPoints, type DistributionPoint } from './distribution-points.js';
import { CertificateError, DerError } from './errors.js';
import { parseGeneralNamesValue, type GeneralName } from './general-names.js';
import { parseNameConstraints, type NameConstraints } from './name-constraints.js';
import { nameKey, nameToString, readNameDer } from './names.js';
import {
  parseCertificatePolicies,
  parseInhibitAnyPolicy,
  parsePolicyConstraints,
  parsePolicyMappings,
  type CertPolicies,
} from './policy.js';

/** Extension OIDs (RFC 5280 §4.2). */
export const ExtOid = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  freshestCrl: '2.5.29.46',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
  subjectDirectoryAttributes: '2.5.29.9',
  nameConstraints: '2.5.29.30',
  policyMappings: '2.5.29.33',
  policyConstraints: '2.5.29.36',
  inhibitAnyPolicy: '2.5.29.54',
} as const;

/**
 * Certificate extensions this validator processes (or may safely ignore) when critical
 * (RFC 5280 §6.1.4 (o): any other critical extension makes the path invalid).
 */
const KNOWN_CERT_EXTENSIONS = new Set<string>([
  ExtOid.subjectKeyIdentifier,
  ExtOid.keyUsage,
  ExtOid.subjectAltName,
  ExtOid.issuerAltName,
  ExtOid.basicConstraints,
  ExtOid.crlDistributionPoints,
  ExtOid.certificatePolicies,
  ExtOid.authorityKeyIdentifier,
  ExtOid.extKeyUsage,
  ExtOid.authorityInfoAccess,
  ExtOid.subjectInfoAccess,
  ExtOid.subjectDirectoryAttributes,
  ExtOid.freshestCrl,
  ExtOid.nameConstraints,
  ExtOid.policyMappings,
  ExtOid.policyConstraints,
  ExtOid.inhibitAnyPolicy,
]);

/** KeyUsage bits (RFC 5280 §4.2.1.3). */
export const KeyUsageBit = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

/** One extension: OID, criticality and the extnValue contents. */
export interface Extension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

/** A parsed certificate. Byte fields are views into `der`. */
export interface Certificate {
  der: Uint8Array;
  /** The signed part (tbsCertificate encoding). */
  tbs: Uint8Array;
  version: number;
  /** Serial number magnitude without leading zero octets. */
  serial: Uint8Array;
  /** undefined when the algorithm is not supported (checked during validation). */
  signatureAlgorithm: SignatureAlgorithm | undefined;
  signature: Uint8Array;
  issuerDer: Uint8Array;
  subjectDer: Uint8Array;
  issuer: string;
  subject: string;
  /** Canonical names for chaining (see nameKey). */
  issuerKey: string;
  subjectKey: string;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  extensions: Extension[];
  /** basicConstraints (absent: not a CA). */
  isCa: boolean;
  pathLen: number | undefined;
  /** keyUsage bits, or undefined when the extension is absent. */
  keyUsage: Set<number> | undefined;
  /** extKeyUsage OIDs, or undefined when absent. */
  extKeyUsage: string[] | undefined;
  subjectKeyId: Uint8Array | undefined;
  authorityKeyId: Uint8Array | undefined;
  /** cRLDistributionPoints (empty when absent). */
  distributionPoints: DistributionPoint[];
  /** subjectAltName, or undefined when absent. */
  subjectAltNames: GeneralName[] | undefined;
  nameConstraints: NameConstraints | undefined;
  /** certificatePolicies, policyMappings, policyConstraints, inhibitAnyPolicy. */
  policies: CertPolicies;
  /** serialNumber contents as encoded (profile checks: sign and length). */
  serialEncoded: Uint8Array;
  /** True when the subject is an empty sequence. */
  subjectEmpty: boolean;
  /** OIDs of critical extensions this validator does not process. */
  unknownCritical: string[];
  /** sha256 of the SubjectPublicKeyInfo (hex), identifies the key across generations. */
  spkiSha256: string;
  /** The public key, imported on first use; a KeyProblem if unusable. */
  publicKey(): KeyObject | KeyProblem;
}

function parseExtensions(
  der: Uint8Array,
  tlv: { valueStart: number; end: number; start: number },
): Extension[] {
  const exts: Extension[] = [];
  const outer = new DerReader(der, tlv.valueStart, tlv.end);
  const seq = outer.next(Tag.Sequence, 'Extensions');
  outer.finish('extensions');
  const r = DerReader.inside(der, seq);
  const seen = new Set<string>();
  while (r.hasMore) {
    const e = r.next(Tag.Sequence, 'Extension');
    const er = DerReader.inside(der, e);
    const oid = readOid(er, 'extnID');
    let critical = false;
    const b = er.optional(Tag.Boolean);
    if (b) {
      if (b.length !== 1) throw new DerError('bad_value', 'bad BOOLEAN', b.start);
      critical = der[b.valueStart] !== 0;
    }
    const v = er.next(Tag.OctetString, 'extnValue');
    er.finish('Extension');
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    if (seen.has(oid)) throw new DerError('bad_value', `extension ${oid} appears twice`, e.start);
    seen.add(oid);
    exts.push({ oid, critical, value: contents(der, v) });
  }
  return exts;
}

/** Parses one extension value as a single element and returns a reader positioned inside it. */
function single(value: Uint8Array, tag: number, what: string): { r: DerReader; buf: Uint8Array } {
  const t = readHeader(value, 0);
  if (t.tag !== tag) throw new DerError('bad_tag', `${what} has the wrong type`, 0);
  if (t.end !== value.length)
    throw new DerError('trailing_data', `${what} has trailing data`, t.end);
  return { r: DerReader.inside(value, t), buf: value };
}

/** RFC 5280 §4.2.1.3 KeyUsage ::= BIT STRING. */
export function parseKeyUsage(value: Uint8Array): Set<number> {
  const t = readHeader(value, 0);
  if (t.tag !== Tag.BitString || t.end !== value.length)
    throw new DerError('bad_value', 'keyUsage must be a BIT STRING', 0);
  const { bytes } = bitStringBytes(value, t);
  const bits = new Set<number>();
  for (let i = 0; i < bytes.length * 8; i++) if (bytes[i >> 3]! & (0x80 >> (i & 7))) bits.add(i);
  return bits;
}

/** RFC 5280 §4.2.1.9 BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }. */
function parseBasicConstraints(value: Uint8Array): { ca: boolean; pathLen: number | undefined } {
  const { r, buf } = single(value, Tag.Sequence, 'basicConstraints');
  let ca = false;
  const b = r.optional(Tag.Boolean);
  if (b) ca = buf[b.valueStart] !== 0;
  const p = r.optional(Tag.Integer);
  r.finish('basicConstraints');
  return { ca, pathLen: p ? readSmallInt(buf, p, 'pathLenConstraint') : undefined };
}

/** RFC 5280 §4.2.1.12 ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId. */
function parseExtKeyUsage(value: Uint8Array): string[] {
  const { r } = single(value, Tag.Sequence, 'extKeyUsage');
  const out: string[] = [];
  while (r.hasMore) out.push(readOid(r, 'KeyPurposeId'));
  // SIZE (1..MAX): an empty extKeyUsage allows nothing and is not a conforming encoding.
  if (out.length === 0) throw new DerError('bad_value', 'extKeyUsage is empty', 0);
  return out;
}

/** RFC 5280 §4.2.1.1 AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] KeyIdentifier OPTIONAL, ... }. */
export function parseAuthorityKeyId(value: Uint8Array): Uint8Array | undefined {
  const { r, buf } = single(value, Tag.Sequence, 'authorityKeyIdentifier');
  const k = r.optional(0x80);
  return k ? contents(buf, k) : undefined;
}

/** Parses a DER certificate. @throws DerError on broken input. */
export function parseCertificate(input: Uint8Array): Certificate {
  const der = input;
  const outer = readHeader(der, 0);
  if (outer.tag !== Tag.Sequence)
    throw new DerError('bad_tag', 'Certificate must be a SEQUENCE', 0);
  if (outer.end !== der.length)
    throw new DerError('trailing_data', 'data after the certificate', outer.end);
  const cr = DerReader.inside(der, outer);
  const tbsTlv = cr.next(Tag.Sequence, 'tbsCertificate');
  const outerAlgTlv = cr.next(Tag.Sequence, 'signatureAlgorithm');
  const sigTlv = cr.next(Tag.BitString, 'signatureValue');
  cr.finish('Certificate');

  const r = DerReader.inside(der, tbsTlv);
  let version = 1;
  const v = r.optional(0xa0);
  if (v) {
    const vi = new DerReader(der, v.valueStart, v.end);
    version = readSmallInt(der, vi.next(Tag.Integer, 'version'), 'version') + 1;
    vi.finish('version');
  }
  const serialTlv = r.next(Tag.Integer, 'serialNumber');
  if (serialTlv.length === 0)
    throw new DerError('bad_value', 'empty serialNumber', serialTlv.start);
  const innerAlgTlv = r.next(Tag.Sequence, 'signature');
  // RFC 5280 §4.1.1.2: signatureAlgorithm "MUST contain the same algorithm identifier as the
  // signature field in the sequence tbsCertificate".
  if (!bytesEqual(encoding(der, innerAlgTlv), encoding(der, outerAlgTlv)))
    throw new DerError(
      'bad_value',
      'signature algorithms inside and outside tbsCertificate differ',
      innerAlgTlv.start,
    );
  const signatureAlgorithm = readSignatureAlgorithm(der, innerAlgTlv);
  const issuerDer = readNameDer(r, 'issuer');
  const validity = r.next(Tag.Sequence, 'validity');
  const vr = DerReader.inside(der, validity);
  const notBefore = readTime(vr, 'notBefore');
  const notAfter = readTime(vr, 'notAfter');
  vr.finish('validity');
  const subjectDer = readNameDer(r, 'subject');
  const spkiTlv = r.next(Tag.Sequence, 'subjectPublicKeyInfo');
  r.optional(0x81);
  r.optional(0x82);
  const extTlv = r.optional(0xa3);
  r.finish('tbsCertificate');
  const extensions = extTlv ? parseExtensions(der, extTlv) : [];
  if (extTlv && version !== 3)
    throw new DerError('bad_value', 'extensions need a v3 certificate', extTlv.start);

  const cert: Certificate = {
    der,
    tbs: encoding(der, tbsTlv),
    version,
    serial: canonicalInteger(contents(der, serialTlv)),
    signatureAlgorithm,
    signature: bitStringBytes(der, sigTlv).bytes,
    issuerDer,
    subjectDer,
    issuer: nameToString(issuerDer),
    subject: nameToString(subjectDer),
    issuerKey: nameKey(issuerDer),
    subjectKey: nameKey(subjectDer),
    notBefore,
    notAfter,
    spki: encoding(der, spkiTlv),
    extensions,
    isCa: false,
    pathLen: undefined,
    keyUsage: undefined,
    extKeyUsage: undefined,
    subjectKeyId: undefined,
    authorityKeyId: undefined,
    distributionPoints: [],
    subjectAltNames: undefined,
    nameConstraints: undefined,
    policies: {
      policies: undefined,
      mappings: undefined,
      requireExplicitPolicy: undefined,
      inhibitPolicyMapping: undefined,
      inhibitAnyPolicy: undefined,
    },
    serialEncoded: contents(der, serialTlv),
    subjectEmpty: subjectDer.length === 2,
    unknownCritical: [],
    spkiSha256: createHash('sha256').update(encoding(der, spkiTlv)).digest('hex'),
    publicKey: () => 'malformed',
  };
  for (const e of extensions) {
    switch (e.oid) {
      case ExtOid.basicConstraints: {
        const bc = parseBasicConstraints(e.value);
        cert.isCa = bc.ca;
        cert.pathLen = bc.pathLen;
        break;
      }
      case ExtOid.keyUsage:
        cert.keyUsage = parseKeyUsage(e.value);
        break;
      case ExtOid.extKeyUsage:
        cert.extKeyUsage = parseExtKeyUsage(e.value);
        break;
      case ExtOid.subjectKeyIdentifier: {
        const t = readHeader(e.value, 0);
        if (t.tag !== Tag.OctetString)
          throw new DerError('bad_tag', 'subjectKeyIdentifier must be an OCTET STRING', 0);
        cert.subjectKeyId = contents(e.value, t);
        break;
      }
      case ExtOid.authorityKeyIdentifier:
        cert.authorityKeyId = parseAuthorityKeyId(e.value);
        break;
      case ExtOid.crlDistributionPoints:
        cert.distributionPoints = parseCrlDistributionPoints(e.value, cert.issuerKey);
        break;
      case ExtOid.subjectAltName:
        cert.subjectAltNames = parseGeneralNamesValue(e.value);
        break;
      case ExtOid.nameConstraints:
        cert.nameConstraints = parseNameConstraints(e.value);
        break;
      case ExtOid.certificatePolicies:
        cert.policies.policies = parseCertificatePolicies(e.value);
        break;
      case ExtOid.policyMappings:
        cert.policies.mappings = parsePolicyMappings(e.value);
        break;
      case ExtOid.policyConstraints:
        Object.assign(cert.policies, parsePolicyConstraints(e.value));
        break;
      case ExtOid.inhibitAnyPolicy:
        cert.policies.inhibitAnyPolicy = parseInhibitAnyPolicy(e.value);
        break;
      default:
        if (e.critical && !KNOWN_CERT_EXTENSIONS.has(e.oid)) cert.unknownCritical.push(e.oid);
    }
  }
  let key: KeyObject | KeyProblem | undefined;
  cert.publicKey = () => (key ??= importPublicKey(cert.spki));
  return cert;
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Splits PEM text into DER blocks with the given labels. */
export function pemBlocks(text: string, labels: readonly string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(PEM_RE)) {
    if (!labels.includes(m[1]!)) continue;
    out.push(new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

/** True when the bytes look like PEM text rather than DER. */
export function looksLikePem(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 2048)).toString('latin1');
  return head.includes('-----BEGIN ');
}

/**
 * Certificates in a file's bytes: one DER certificate, or any number of PEM
 * `CERTIFICATE` blocks. @throws CertificateError when none is found or one is broken.
 */
export function decodeCertificates(bytes: Uint8Array, source = 'input'): Uint8Array[] {
  let ders: Uint8Array[];
  if (looksLikePem(bytes)) {
    ders = pemBlocks(Buffer.from(bytes).toString('latin1'), ['CERTIFICATE', 'TRUSTED CERTIFICATE']);
    if (ders.length === 0)
      throw new CertificateError('empty', `${source}: no CERTIFICATE block in the PEM text`);
  } else ders = [bytes];
  return ders;
}

/** Decodes and parses certificates. @throws CertificateError. */
export function loadCertificates(bytes: Uint8Array, source = 'input'): Certificate[] {
  return decodeCertificates(bytes, source).map((d) => {
    try {
      return parseCertificate(d);
    } catch (err) {
      throw new CertificateError('malformed', `${source}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  });
}
