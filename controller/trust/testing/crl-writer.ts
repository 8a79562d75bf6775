/**
 * A fast CRL writer for tests and benchmarks: writes the DER of RFC 5280 §5.1 itself and signs
 * tbsCertList with node:crypto, so a 1,000,000-entry CRL takes well under a second.
 *
 *   CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm, signatureValue }
 *   TBSCertList ::= SEQUENCE { version Version OPTIONAL, signature AlgorithmIdentifier,
 *        issuer Name, thisUpdate Time, nextUpdate Time OPTIONAL,
 *        revokedCertificates SEQUENCE OF SEQUENCE { userCertificate CertificateSerialNumber,
 *             revocationDate Time, crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
 *        crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 */
import {
  bitString,
  bool,
  enumerated,
  explicit,
  implicitPrim,
  integer,
  lengthOctets,
  name,
  seq,
  time,
  tlv,
} from './der-writer.js';
import {
  algorithmIdentifier,
  defaultAlg,
  extension,
  keyId,
  signBytes,
  type SigAlg,
  type TestKey,
} from './pki.js';

/** One revoked certificate. */
export interface CrlEntrySpec {
  serial: bigint | number | Uint8Array;
  /** userCertificate contents exactly as given (e.g. `ff`: -1), instead of `serial`. */
  rawSerial?: Uint8Array;
  date?: Date;
  /** CRLReason code; undefined: no reasonCode extension. */
  reason?: number;
  /** Extra raw entry extensions. */
  extensions?: Uint8Array[];
}

/** issuingDistributionPoint fields (RFC 5280 §5.2.5). */
export interface IdpSpec {
  /** DistributionPointName encoding (see dpFullName). */
  distributionPoint?: Uint8Array;
  onlyUser?: boolean;
  onlyCa?: boolean;
  onlySomeReasons?: boolean;
  indirect?: boolean;
}

/** What to put in a CRL. */
export interface CrlSpec {
  issuerName: string;
  /** Signing key. */
  key: TestKey;
  alg?: SigAlg;
  thisUpdate?: Date;
  /** The clock the default thisUpdate/nextUpdate are measured from (default: the real time). */
  now?: Date;
  /** null: omit nextUpdate. */
  nextUpdate?: Date | null;
  entries?: CrlEntrySpec[];
  /** Generated entries: serialFor(start .. start+count-1), all with `bulkReason`. */
  bulk?: { count: number; start?: number; reason?: number; date?: Date };
  /** Default: thisUpdate in seconds (increasing, as RFC 5280 §5.2.3 asks); null: omit. */
  crlNumber?: bigint | number | null;
  /** Makes it a delta CRL (deltaCRLIndicator with this BaseCRLNumber). */
  deltaBase?: bigint | number;
  idp?: IdpSpec;
  /** authorityKeyIdentifier from this key (default: `key`); false: none. */
  akiKey?: TestKey | false;
  extraExtensions?: Uint8Array[];
  corruptSignature?: boolean;
  /** Omit the version field (v1 CRL: then no extensions may appear). */
  v1?: boolean;
  /** Encode thisUpdate and nextUpdate as GeneralizedTime whatever the year. */
  generalizedTime?: boolean;
}

/** 8-byte positive serial for index i: hashed high half (so order is not sorted), i low half. */
export function serialFor(i: number): Uint8Array {
  let h = Math.imul(i ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca77) >>> 0;
  return Uint8Array.of(
    0x40 | ((h >>> 24) & 0x3f),
    (h >>> 16) & 255,
    (h >>> 8) & 255,
    h & 255,
    i >>> 24,
    (i >>> 16) & 255,
    (i >>> 8) & 255,
    i & 255,
  );
}

/** The reasonCode entry extension. */
export function reasonExtension(code: number): Uint8Array {
  return extension('2.5.29.21', false, enumerated(code));
}

function entry(e: CrlEntrySpec, defaultDate: Date): Uint8Array {
  const exts = [
    ...(e.reason !== undefined ? [reasonExtension(e.reason)] : []),
    ...(e.extensions ?? []),
  ];
  return seq(
    e.rawSerial ? tlv(0x02, e.rawSerial) : integer(e.serial),
    time(e.date ?? defaultDate),
    ...(exts.length ? [seq(...exts)] : []),
  );
}

/** Bulk entries: a template copied count times with the serial patched in (41 bytes each with a reason). */
function bulkEntries(count: number, start: number, reason: number | undefined, date: Date): Buffer {
  const template = Buffer.from(entry({ serial: serialFor(0x01010101), reason }, date));
  // Layout: 30 LL 02 08 <serial 8> ...: serial at offset 4.
  if (template[2] !== 0x02 || template[3] !== 8) throw new Error('unexpected entry template');
  const size = template.length;
  const out = Buffer.allocUnsafe(size * count);
  for (let i = 0; i < count; i++) {
    const at = i * size;
    template.copy(out, at);
    const s = serialFor(start + i);
    for (let k = 0; k < 8; k++) out[at + 4 + k] = s[k]!;
  }
  return out;
}

/** IssuingDistributionPoint value. */
export function idpValue(s: IdpSpec): Uint8Array {
  const parts: Uint8Array[] = [];
  if (s.distributionPoint) parts.push(explicit(0, s.distributionPoint.subarray(0)));
  if (s.onlyUser) parts.push(implicitPrim(1, Uint8Array.of(0xff)));
  if (s.onlyCa) parts.push(implicitPrim(2, Uint8Array.of(0xff)));
  if (s.onlySomeReasons) parts.push(implicitPrim(3, Uint8Array.of(0x07, 0x80)));
  if (s.indirect) parts.push(implicitPrim(4, Uint8Array.of(0xff)));
  return seq(...parts);
}

/** Builds and signs a CRL; returns its DER. */
export function makeCrl(spec: CrlSpec): Uint8Array {
  const alg = spec.alg ?? defaultAlg(spec.key);
  const now = (spec.now ?? new Date()).getTime();
  const thisUpdate = spec.thisUpdate ?? new Date(now - 3600_000);
  const nextUpdate =
    spec.nextUpdate === undefined ? new Date(now + 7 * 86400_000) : spec.nextUpdate;
  const defaultDate = new Date(thisUpdate.getTime() - 86400_000);
  const parts: Buffer[] = [];
  const entries = (spec.entries ?? []).map((e) => entry(e, defaultDate));
  const bulk = spec.bulk
    ? bulkEntries(
        spec.bulk.count,
        spec.bulk.start ?? 0,
        spec.bulk.reason,
        spec.bulk.date ?? defaultDate,
      )
    : undefined;
  const revokedLength = entries.reduce((n, e) => n + e.length, 0) + (bulk?.length ?? 0);
  const exts: Uint8Array[] = [];
  const akiKey = spec.akiKey === undefined ? spec.key : spec.akiKey;
  if (akiKey) exts.push(extension('2.5.29.35', false, seq(implicitPrim(0, keyId(akiKey.spki)))));
  const crlNumber =
    spec.crlNumber === undefined ? Math.floor(thisUpdate.getTime() / 1000) : spec.crlNumber;
  if (crlNumber !== null) exts.push(extension('2.5.29.20', false, integer(crlNumber)));
  if (spec.deltaBase !== undefined)
    exts.push(extension('2.5.29.27', true, integer(spec.deltaBase)));
  if (spec.idp) exts.push(extension('2.5.29.28', true, idpValue(spec.idp)));
  exts.push(...(spec.extraExtensions ?? []));
  const head = Buffer.concat([
    ...(spec.v1 ? [] : [integer(1)]),
    algorithmIdentifier(alg),
    name(spec.issuerName),
    time(thisUpdate, spec.generalizedTime),
    ...(nextUpdate ? [time(nextUpdate, spec.generalizedTime)] : []),
  ]);
  parts.push(head);
  if (revokedLength > 0) {
    parts.push(
      Buffer.from([0x30]),
      Buffer.from(lengthOctets(revokedLength)),
      ...entries.map((e) => Buffer.from(e)),
    );
    if (bulk) parts.push(bulk);
  }
  if (exts.length) parts.push(Buffer.from(explicit(0, seq(...exts))));
  const bodyLength = parts.reduce((n, p) => n + p.length, 0);
  const tbs = Buffer.concat([Buffer.from([0x30]), Buffer.from(lengthOctets(bodyLength)), ...parts]);
  const sig = signBytes(alg, spec.key.privateKey, tbs);
  if (spec.corruptSignature) sig[sig.length - 1]! ^= 0x01;
  const tail = Buffer.concat([algorithmIdentifier(alg), bitString(sig)]);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x30]),
      Buffer.from(lengthOctets(tbs.length + tail.length)),
      tbs,
      tail,
    ]),
  );
}

export { bool };
