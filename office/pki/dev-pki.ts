/**
 * Development PKI for the municipal link: an ECDSA P-256 CA and the certificates issued by
 * it — broker server certificates, per-station MQTT client certificates, and back-office
 * command signers (keyUsage digitalSignature, extendedKeyUsage codeSigning, as the trust
 * engine's purpose `command` expects). Used by the tests, the demo and
 * `jpki-locker office make-signer`; a real deployment uses the municipality's CA.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, randomBytes } from 'node:crypto';

x509.cryptoProvider.set(globalThis.crypto);

const EC: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

/** A key pair and certificate, in the forms callers need. */
export interface DevCredential {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  certPem: string;
  keyPem: string;
  certDer: Uint8Array;
  privateKey: KeyObject;
}

function serial(): string {
  const b = randomBytes(12);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

async function finish(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<DevCredential> {
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const b64 = pkcs8
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return {
    cert,
    keys,
    certPem: cert.toString('pem') + '\n',
    keyPem: `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`,
    certDer: new Uint8Array(cert.rawData),
    privateKey: KeyObject.from(keys.privateKey),
  };
}

/** Validity options (default: from a day before `now` for ten years). */
export interface DevValidity {
  notBefore?: Date;
  notAfter?: Date;
  /** The clock the validity is measured from (default: the real time). */
  now?: () => Date;
}

/** A self-signed CA. */
export async function createDevCa(commonName: string, v: DevValidity = {}): Promise<DevCredential> {
  const keys = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = (v.now ?? (() => new Date()))().getTime();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}, O=jpki-locker development`,
    notBefore: v.notBefore ?? new Date(now - DAY_MS),
    notAfter: v.notAfter ?? new Date(now + 3650 * DAY_MS),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return finish(cert, keys);
}

/** What a certificate is for. */
export type DevUsage = 'server' | 'client' | 'command';

/** Issues an end-entity certificate from `ca`. */
export async function issueDevCert(
  ca: DevCredential,
  options: {
    commonName: string;
    usage: DevUsage;
    sanIps?: string[];
    sanDns?: string[];
  } & DevValidity,
): Promise<DevCredential> {
  const keys = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = (options.now ?? (() => new Date()))().getTime();
  const eku = {
    server: [x509.ExtendedKeyUsage.serverAuth],
    client: [x509.ExtendedKeyUsage.clientAuth],
    command: [x509.ExtendedKeyUsage.codeSigning],
  }[options.usage];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(eku, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  const san = [
    ...(options.sanIps ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(options.sanDns ?? []).map((value) => ({ type: 'dns' as const, value })),
  ];
  if (san.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(san, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${options.commonName}, O=jpki-locker development`,
    issuer: ca.cert.subject,
    notBefore: options.notBefore ?? new Date(now - DAY_MS),
    notAfter: options.notAfter ?? new Date(now + 825 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGNING,
    extensions,
  });
  return finish(cert, keys);
}

/** Reads a CA (or any) credential back from its PEM certificate and PKCS #8 PEM key. */
export async function loadDevCredential(certPem: string, keyPem: string): Promise<DevCredential> {
  const cert = new x509.X509Certificate(certPem);
  const body = keyPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const privateKey = await crypto.subtle.importKey('pkcs8', Buffer.from(body, 'base64'), EC, true, [
    'sign',
  ]);
  const publicKey = await cert.publicKey.export(EC, ['verify']);
  return finish(cert, { privateKey, publicKey });
}

/** RFC 5280 CRLReason names (`office command-crl --reason`). */
export const CRL_REASON_NAMES = Object.keys(x509.X509CrlReason).filter((k) =>
  Number.isNaN(Number(k)),
) as (keyof typeof x509.X509CrlReason)[];

/** One revoked certificate on a CRL. */
export interface DevRevocation {
  /** Serial number, hex. */
  serial: string;
  /** ISO 8601. */
  revokedAt: string;
  /** RFC 5280 CRLReason name (default keyCompromise). */
  reason?: keyof typeof x509.X509CrlReason;
}

/** RFC 5280 §5.2.3 cRLNumber (non-critical INTEGER), which every CRL carries. */
function crlNumber(n: bigint): x509.Extension {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex[0]!, 16) >= 8) hex = `00${hex}`;
  const der = Buffer.concat([Buffer.from([0x02, hex.length / 2]), Buffer.from(hex, 'hex')]);
  return new x509.Extension('2.5.29.20', false, der);
}

/**
 * A CRL signed by `ca`: thisUpdate `now`, nextUpdate `now + validDays`, the given revocations
 * (RFC 5280 §5: authorityKeyIdentifier, cRLNumber). Returns DER and PEM.
 */
export async function issueDevCrl(
  ca: DevCredential,
  options: {
    revoked: readonly DevRevocation[];
    crlNumber: bigint;
    validDays: number;
    now?: () => Date;
  },
): Promise<{ der: Uint8Array; pem: string }> {
  const now = (options.now ?? (() => new Date()))();
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.cert.subjectName,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + options.validDays * DAY_MS),
    signingAlgorithm: SIGNING,
    signingKey: ca.keys.privateKey,
    extensions: [
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
      crlNumber(options.crlNumber),
    ],
    entries: options.revoked.map((r) => ({
      serialNumber: r.serial,
      revocationDate: new Date(r.revokedAt),
      reason: x509.X509CrlReason[r.reason ?? 'keyCompromise'],
    })),
  });
  return { der: new Uint8Array(crl.rawData), pem: crl.toString('pem') + '\n' };
}
