/**
 * Test PKI: keys and certificates built in code (RFC 5280 §4.1 layout), including broken
 * ones. For tests and benchmarks only.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  bitString,
  bool,
  explicit,
  implicitPrim,
  integer,
  name,
  namedBits,
  nullValue,
  octets,
  oid,
  seq,
  time,
  tlv,
} from './der-writer.js';

/** Key kinds the tests use. */
export type KeyKind = 'rsa2048' | 'rsa1024' | 'p256' | 'p384' | 'p521' | 'ed25519';
/** Signature algorithm names used by the writers. */
export type SigAlg =
  'rsa-sha256' | 'rsa-sha384' | 'rsa-sha512' | 'ecdsa-sha256' | 'ecdsa-sha384' | 'rsa-sha1';

/** A key pair and its SubjectPublicKeyInfo. */
export interface TestKey {
  kind: KeyKind;
  privateKey: KeyObject;
  publicKey: KeyObject;
  spki: Uint8Array;
}

/** Generates a key pair. */
export function makeKey(kind: KeyKind = 'rsa2048'): TestKey {
  const pair =
    kind === 'rsa2048' || kind === 'rsa1024'
      ? generateKeyPairSync('rsa', { modulusLength: kind === 'rsa2048' ? 2048 : 1024 })
      : kind === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', {
            namedCurve: kind === 'p256' ? 'P-256' : kind === 'p384' ? 'P-384' : 'P-521',
          });
  return {
    kind,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    spki: new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' })),
  };
}

const ALG: Record<SigAlg, { oid: string; hash: string; params: boolean }> = {
  'rsa-sha256': { oid: '1.2.840.113549.1.1.11', hash: 'sha256', params: true },
  'rsa-sha384': { oid: '1.2.840.113549.1.1.12', hash: 'sha384', params: true },
  'rsa-sha512': { oid: '1.2.840.113549.1.1.13', hash: 'sha512', params: true },
  'rsa-sha1': { oid: '1.2.840.113549.1.1.5', hash: 'sha1', params: true },
  'ecdsa-sha256': { oid: '1.2.840.10045.4.3.2', hash: 'sha256', params: false },
  'ecdsa-sha384': { oid: '1.2.840.10045.4.3.3', hash: 'sha384', params: false },
};

/** Default algorithm for a signing key. */
export function defaultAlg(key: TestKey): SigAlg {
  if (key.kind === 'p384') return 'ecdsa-sha384';
  if (key.kind === 'p256' || key.kind === 'p521') return 'ecdsa-sha256';
  return 'rsa-sha256';
}

/** AlgorithmIdentifier encoding. */
export function algorithmIdentifier(alg: SigAlg): Uint8Array {
  const a = ALG[alg];
  return a.params ? seq(oid(a.oid), nullValue()) : seq(oid(a.oid));
}

/** Signs `data` the way `alg` says. */
export function signBytes(alg: SigAlg, key: KeyObject, data: Uint8Array): Uint8Array {
  return new Uint8Array(sign(ALG[alg].hash, data, key));
}

/** One extension. */
export function extension(oidText: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oid(oidText), bool(true), octets(value)) : seq(oid(oidText), octets(value));
}

/** Key identifier as in RFC 5280 §4.2.1.2 method (1)-like: sha1 of the key (sha256 truncated). */
export function keyId(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(spki).digest().subarray(0, 20));
}

/** What to put in a certificate. */
export interface CertSpec {
  subject: string;
  /** Issuer name; default: the issuer certificate's subject, or the subject (self-signed). */
  issuerName?: string;
  key: TestKey;
  /** Signing key; default: `key` (self-signed). */
  issuerKey?: TestKey;
  /** The issuer (for name and authorityKeyIdentifier). */
  issuer?: TestCert;
  serial?: bigint | number | Uint8Array;
  /** serialNumber contents exactly as given (negative or non-minimal serials). */
  rawSerial?: Uint8Array;
  notBefore?: Date;
  notAfter?: Date;
  /** The clock the default validity is measured from (default: the real time). */
  now?: Date;
  alg?: SigAlg;
  /** basicConstraints; undefined: none. */
  ca?: boolean;
  pathLen?: number;
  /** keyUsage bits (numbers, see KeyUsageBit); undefined: no extension. */
  keyUsage?: number[];
  eku?: string[];
  /** cRLDistributionPoints fullName: a directory name. */
  crlDpName?: string;
  /** Skip subject/authority key identifiers. */
  noKeyIds?: boolean;
  /** Extra raw extensions (already encoded with `extension`). */
  extra?: Uint8Array[];
  /** Flip a bit of the signature. */
  corruptSignature?: boolean;
  /** Use a different algorithm identifier in the outer signatureAlgorithm. */
  outerAlg?: SigAlg;
}

/** A test certificate: its DER and what built it. */
export interface TestCert {
  der: Uint8Array;
  spec: CertSpec;
  key: TestKey;
  subject: string;
}

/** DistributionPointName fullName with one directoryName. */
export function dpFullName(dirName: string): Uint8Array {
  // DistributionPointName ::= CHOICE { fullName [0] GeneralNames }; GeneralName directoryName [4] EXPLICIT Name.
  return explicit(0, explicit(4, name(dirName)));
}

/** Builds (and signs) a certificate. */
export function makeCert(spec: CertSpec): TestCert {
  const signer = spec.issuerKey ?? spec.issuer?.key ?? spec.key;
  const alg = spec.alg ?? defaultAlg(signer);
  const now = (spec.now ?? new Date()).getTime();
  const exts: Uint8Array[] = [];
  if (spec.ca !== undefined || spec.pathLen !== undefined) {
    const parts: Uint8Array[] = [];
    if (spec.ca) parts.push(bool(true));
    if (spec.pathLen !== undefined) parts.push(integer(spec.pathLen));
    exts.push(extension('2.5.29.19', true, seq(...parts)));
  }
  if (spec.keyUsage) exts.push(extension('2.5.29.15', true, namedBits(spec.keyUsage)));
  if (spec.eku) exts.push(extension('2.5.29.37', false, seq(...spec.eku.map(oid))));
  if (!spec.noKeyIds) {
    exts.push(extension('2.5.29.14', false, octets(keyId(spec.key.spki))));
    const issuerSpki = (spec.issuer?.key ?? spec.issuerKey ?? spec.key).spki;
    exts.push(extension('2.5.29.35', false, seq(implicitPrim(0, keyId(issuerSpki)))));
  }
  if (spec.crlDpName)
    exts.push(extension('2.5.29.31', false, seq(seq(explicit(0, dpFullName(spec.crlDpName))))));
  exts.push(...(spec.extra ?? []));
  const tbs = seq(
    explicit(0, integer(2)),
    spec.rawSerial
      ? tlv(0x02, spec.rawSerial)
      : integer(spec.serial ?? BigInt(now) * 1000n + BigInt(Math.floor(Math.random() * 1000))),
    algorithmIdentifier(alg),
    name(spec.issuerName ?? spec.issuer?.subject ?? spec.subject),
    seq(
      time(spec.notBefore ?? new Date(now - 86400_000)),
      time(spec.notAfter ?? new Date(now + 365 * 86400_000)),
    ),
    name(spec.subject),
    spec.key.spki,
    ...(exts.length ? [explicit(3, seq(...exts))] : []),
  );
  const sig = signBytes(alg, signer.privateKey, tbs);
  if (spec.corruptSignature) sig[sig.length - 1]! ^= 0x01;
  const der = seq(tbs, algorithmIdentifier(spec.outerAlg ?? alg), bitString(sig));
  return { der, spec, key: spec.key, subject: spec.subject };
}

/** keyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KU = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

/** A self-signed CA (root) certificate. */
export function makeRoot(
  subject: string,
  key = makeKey(),
  extra: Partial<CertSpec> = {},
): TestCert {
  return makeCert({ subject, key, ca: true, keyUsage: [KU.keyCertSign, KU.cRLSign], ...extra });
}

/** PEM text of a DER certificate. */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

export { tlv };
