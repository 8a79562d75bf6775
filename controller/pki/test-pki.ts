/**
 * The test PKI behind `jpki-locker pki make-test --out DIR [--holders N]`: a JPKI-shaped
 * hierarchy with keys, a CRL per root, and one virtual-card profile per holder.
 *
 * ```
 * DIR/manifest.json                 what was made (paths relative to DIR, no PINs of real people)
 * DIR/roots/auth-root.{pem,der}     "JPKI for user authentication" root, self-signed RSA-2048
 * DIR/roots/sign-root.{pem,der}     "JPKI for digital signature" root
 * DIR/roots/{auth,sign}-root-key.pem
 * DIR/crl/{auth,sign}-root.crl      DER CRLs signed by each root (auth lists the revoked holder)
 * DIR/profiles/holder-NN/           genuine cards (PIN 1234, signature password JPKITEST1)
 * DIR/profiles/forged-01/           holder-01's certificates copied onto a card with another key
 * DIR/profiles/revoked-01/          a genuine card whose auth certificate is on the auth CRL
 * ```
 * Certificate shapes follow /work/shared/reference/jpki-card.md: the user-authentication
 * certificate's subject is only `C=JP, CN=<opaque id>` with policy 1.2.392.200149.8.5.1.3.30; the
 * signature certificate carries name / sex / date of birth / address as subjectAltName
 * otherName values under 1.2.392.200149.8.5.5 with policy 1.2.392.200149.8.5.1.1.20.
 * All personal data is invented.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JpkiAtr, JpkiOid, JpkiToken } from '../../shared/apdu/jpki.js';
import { fromHex } from '../../shared/apdu/apdu.js';
import { writeCardProfile, type CardProfile } from '../../firmware-host/jpki-card/profile.js';
import { otherNameSan } from './der-encode.js';

x509.cryptoProvider.set(globalThis.crypto);

const RSA: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};
const SIGNING: Algorithm = { name: 'RSASSA-PKCS1-v1_5' };
const DAY_MS = 86_400_000;

/** Subject of the authentication root (JSON form keeps the RDN order). */
export const AUTH_ROOT_NAME: x509.JsonName = [
  { C: ['JP'] },
  { O: ['JPKI'] },
  { OU: ['JPKI for user authentication'] },
  { OU: ['Japan Agency for Local Authority Information Systems'] },
];
/** Subject of the signature root. */
export const SIGN_ROOT_NAME: x509.JsonName = [
  { C: ['JP'] },
  { O: ['JPKI'] },
  { OU: ['JPKI for digital signature'] },
  { OU: ['Japan Agency for Local Authority Information Systems'] },
];

/** Test PIN of every generated card. */
export const TEST_AUTH_PIN = '1234';
/** Test signature password of every generated card. */
export const TEST_SIGN_PASSWORD = 'JPKITEST1';

export interface MakeTestPkiOptions {
  outDir: string;
  /** Genuine holders (default 2). */
  holders?: number;
  now?: () => Date;
}

/** One generated card profile. */
export interface TestPkiProfile {
  kind: 'genuine' | 'forged' | 'revoked';
  label: string;
  /** Directory relative to the output directory. */
  dir: string;
  /** Hex serial of the authentication certificate. */
  authSerial: string;
  authSubjectCn: string;
}

/** Contents of manifest.json. */
export interface TestPkiManifest {
  format: 1;
  createdAt: string;
  roots: { auth: string; sign: string };
  rootKeys: { auth: string; sign: string };
  crls: { auth: string; sign: string };
  profiles: TestPkiProfile[];
  /**
   * A back-office command-signing CA (the station's `trust.commandAnchors`) and a signer
   * issued by it (keyUsage digitalSignature, extendedKeyUsage codeSigning), for the demo's
   * simulated back office. Absent in manifests written before it existed.
   */
  command?: {
    anchor: string;
    signerCert: string;
    signerKey: string;
    /** The command root's CRL (nothing revoked; valid ten years: a development PKI). */
    crl?: string;
  };
}

interface Pair {
  keys: CryptoKeyPair;
  privateKey: KeyObject;
}

async function keyPair(): Promise<Pair> {
  const keys = (await crypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
  return { keys, privateKey: KeyObject.from(keys.privateKey) };
}

function serial(): string {
  const b = randomBytes(12);
  b[0] = b[0]! & 0x7f; // positive INTEGER
  return b.toString('hex');
}

/**
 * RFC 5280 §5.2.3: every CRL carries a non-critical cRLNumber; the test CRLs use their
 * thisUpdate in seconds, so a later CRL always has a higher number.
 */
export function crlNumberExtension(n: number): x509.Extension {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex[0]!, 16) >= 8) hex = `00${hex}`;
  const len = (hex.length / 2).toString(16).padStart(2, '0');
  return new x509.Extension('2.5.29.20', false, Buffer.from(`02${len}${hex}`, 'hex'));
}

/** Writes the test PKI (see the module comment) and returns its manifest. */
export async function makeTestPki(options: MakeTestPkiOptions): Promise<TestPkiManifest> {
  const out = options.outDir;
  const holders = options.holders ?? 2;
  if (!Number.isInteger(holders) || holders < 1 || holders > 99)
    throw new RangeError('holders must be 1..99');
  const now = (options.now ?? (() => new Date()))();
  const notBefore = new Date(now.getTime() - DAY_MS);
  mkdirSync(path.join(out, 'roots'), { recursive: true });
  mkdirSync(path.join(out, 'crl'), { recursive: true });
  mkdirSync(path.join(out, 'profiles'), { recursive: true });

  const root = async (name: x509.JsonName): Promise<{ cert: x509.X509Certificate; pair: Pair }> => {
    const pair = await keyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name,
      notBefore,
      notAfter: new Date(now.getTime() + 10 * 365 * DAY_MS),
      keys: pair.keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(pair.keys.publicKey),
      ],
    });
    return { cert, pair };
  };
  const authRoot = await root(AUTH_ROOT_NAME);
  const signRoot = await root(SIGN_ROOT_NAME);
  const commandRoot = await root([{ C: ['JP'] }, { O: ['jpki-locker test back office'] }]);

  const leaf = async (
    ca: { cert: x509.X509Certificate; pair: Pair },
    pair: Pair,
    subject: x509.JsonName,
    extra: x509.Extension[],
  ): Promise<x509.X509Certificate> =>
    x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: ca.cert.subjectName,
      notBefore,
      notAfter: new Date(now.getTime() + 5 * 365 * DAY_MS),
      publicKey: pair.keys.publicKey,
      signingKey: ca.pair.keys.privateKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
        await x509.SubjectKeyIdentifierExtension.create(pair.keys.publicKey),
        ...extra,
      ],
    });

  const der = (c: x509.X509Certificate): Uint8Array => new Uint8Array(c.rawData);

  const makeCard = async (
    n: number,
    label: string,
  ): Promise<{ profile: CardProfile; auth: x509.X509Certificate }> => {
    const authPair = await keyPair();
    const signPair = await keyPair();
    const cn = `${randomBytes(8).toString('hex').toUpperCase()}TESTJPKI`;
    const auth = await leaf(
      authRoot,
      authPair,
      [{ C: ['JP'] }, { CN: [cn] }],
      [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.CertificatePolicyExtension([JpkiOid.authPolicy], true),
      ],
    );
    const sign = await leaf(
      signRoot,
      signPair,
      [{ C: ['JP'] }, { L: ['Testshi'] }, { CN: [cn] }],
      [
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
          true,
        ),
        new x509.CertificatePolicyExtension([JpkiOid.signPolicy], true),
        new x509.Extension(
          '2.5.29.17',
          false,
          new Uint8Array(
            otherNameSan([
              { oid: JpkiOid.name, value: `試験 太郎${n}` },
              { oid: JpkiOid.sex, value: '1' },
              { oid: JpkiOid.dateOfBirth, value: '19800101' },
              { oid: JpkiOid.address, value: `東京都千代田区試験町${n}番地` },
            ]),
          ),
        ),
      ],
    );
    return {
      auth,
      profile: {
        label,
        token: JpkiToken.myNumberCard,
        atr: fromHex(JpkiAtr.contact),
        authPin: TEST_AUTH_PIN,
        signPassword: TEST_SIGN_PASSWORD,
        authPinTries: 3,
        signPasswordTries: 5,
        authCertificate: der(auth),
        authCaCertificate: der(authRoot.cert),
        authKey: authPair.privateKey,
        signCertificate: der(sign),
        signCaCertificate: der(signRoot.cert),
        signKey: signPair.privateKey,
        efPaddingBytes: 512,
      },
    };
  };

  const profiles: TestPkiProfile[] = [];
  const save = (
    kind: TestPkiProfile['kind'],
    label: string,
    p: CardProfile,
    auth: x509.X509Certificate,
  ): void => {
    const dir = path.join('profiles', label);
    writeCardProfile(path.join(out, dir), p);
    const cn = auth.subjectName.getField('CN')[0] ?? '';
    profiles.push({ kind, label, dir, authSerial: auth.serialNumber, authSubjectCn: cn });
  };
  let first: { profile: CardProfile; auth: x509.X509Certificate } | undefined;
  for (let i = 1; i <= holders; i++) {
    const label = `holder-${String(i).padStart(2, '0')}`;
    const card = await makeCard(i, label);
    first ??= card;
    save('genuine', label, card.profile, card.auth);
  }
  // A card carrying holder-01's certificates over a key of its own: must fail the proof.
  const otherKey = await keyPair();
  save(
    'forged',
    'forged-01',
    { ...first!.profile, label: 'forged-01', authKey: otherKey.privateKey },
    first!.auth,
  );
  const revoked = await makeCard(holders + 1, 'revoked-01');
  save('revoked', 'revoked-01', revoked.profile, revoked.auth);

  const crl = async (
    ca: { cert: x509.X509Certificate; pair: Pair },
    entries: x509.X509CrlEntryParams[],
    validDays = 1,
  ): Promise<Uint8Array> =>
    new Uint8Array(
      (
        await x509.X509CrlGenerator.create({
          issuer: ca.cert.subjectName,
          thisUpdate: now,
          nextUpdate: new Date(now.getTime() + validDays * DAY_MS),
          signingAlgorithm: SIGNING,
          signingKey: ca.pair.keys.privateKey,
          extensions: [
            await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
            crlNumberExtension(Math.floor(now.getTime() / 1000)),
          ],
          entries,
        })
      ).rawData,
    );
  const commandSignerPair = await keyPair();
  const commandSigner = await leaf(
    commandRoot,
    commandSignerPair,
    [{ C: ['JP'] }, { CN: ['test back office'] }],
    [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning], false),
    ],
  );
  const write = (rel: string, data: string | Uint8Array, mode?: number): string => {
    writeFileSync(path.join(out, rel), data, mode ? { mode } : {});
    return rel;
  };
  const pemKey = (p: Pair): string =>
    p.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  write('roots/auth-root.der', der(authRoot.cert));
  write('roots/sign-root.der', der(signRoot.cert));
  const manifest: TestPkiManifest = {
    format: 1,
    createdAt: now.toISOString(),
    roots: {
      auth: write('roots/auth-root.pem', authRoot.cert.toString('pem') + '\n'),
      sign: write('roots/sign-root.pem', signRoot.cert.toString('pem') + '\n'),
    },
    rootKeys: {
      auth: write('roots/auth-root-key.pem', pemKey(authRoot.pair), 0o600),
      sign: write('roots/sign-root-key.pem', pemKey(signRoot.pair), 0o600),
    },
    crls: {
      auth: write(
        'crl/auth-root.crl',
        await crl(authRoot, [
          {
            serialNumber: revoked.auth.serialNumber,
            revocationDate: notBefore,
            reason: x509.X509CrlReason.affiliationChanged,
          },
        ]),
      ),
      sign: write('crl/sign-root.crl', await crl(signRoot, [])),
    },
    profiles,
    command: {
      anchor: write('roots/command-root.pem', commandRoot.cert.toString('pem') + '\n'),
      signerCert: write('roots/command-signer.pem', commandSigner.toString('pem') + '\n'),
      signerKey: write('roots/command-signer-key.pem', pemKey(commandSignerPair), 0o600),
      crl: write('crl/command-root.crl', await crl(commandRoot, [], 3650)),
    },
  };
  write('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
