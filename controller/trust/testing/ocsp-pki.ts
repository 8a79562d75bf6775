/**
 * A test PKI in the shape of the real JPKI user-authentication roots for OCSP tests: two
 * generations with the same subject name and a directoryName CRL distribution point (their
 * own name), a delegated OCSP responder certificate (id-kp-OCSPSigning) issued by the current
 * generation, and leaves with authorityInfoAccess pointing at a responder URL.
 * For tests and benchmarks only. Dates are taken from the injected `now`.
 */
import { implicitPrim, oid, seq } from './der-writer.js';
import { extension, KU, makeCert, makeKey, makeRoot, type TestCert, type TestKey } from './pki.js';

/** The real roots' subject (both generations carry it). */
export const JPKI_AUTH_ROOT_NAME =
  'C=JP, O=JPKI, OU=JPKI for user authentication, OU=Japan Agency for Local Authority Information Systems';
/** id-kp-OCSPSigning. */
export const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
/** id-kp-clientAuth. */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 86_400_000;

/** authorityInfoAccess with one id-ad-ocsp uniformResourceIdentifier. */
export function aiaExtension(url: string): Uint8Array {
  return extension(
    '1.3.6.1.5.5.7.1.1',
    false,
    seq(
      seq(oid('1.3.6.1.5.5.7.48.1'), implicitPrim(6, new Uint8Array(Buffer.from(url, 'latin1')))),
    ),
  );
}

/** A root in the real roots' shape (same name for every generation, directoryName DP). */
export function makeJpkiShapedRoot(now: Date, key: TestKey = makeKey()): TestCert {
  return makeRoot(JPKI_AUTH_ROOT_NAME, key, {
    notBefore: new Date(+now - 30 * DAY_MS),
    notAfter: new Date(+now + 3650 * DAY_MS),
    crlDpName: JPKI_AUTH_ROOT_NAME,
  });
}

/** The material of one OCSP test. */
export interface OcspTestPki {
  root: TestCert;
  /** Another generation: same name, another key (signs "wrong key" responses). */
  otherGeneration: TestCert;
  /** Delegated responder issued by `root`, id-kp-OCSPSigning. */
  responder: TestCert;
  /** A responder certificate without id-kp-OCSPSigning (not authorized). */
  notOcspSigner: TestCert;
  /** Makes a user-authentication leaf under `root` (optionally with an AIA OCSP URL). */
  leaf(serial: number, aiaUrl?: string): TestCert;
}

/** Generates the PKI (RSA-2048 roots; P-256 leaves to keep it quick). */
export function makeOcspTestPki(now: Date): OcspTestPki {
  const root = makeJpkiShapedRoot(now);
  const otherGeneration = makeJpkiShapedRoot(now);
  const responderCert = (eku: string[]) =>
    makeCert({
      subject: 'C=JP, O=JPKI, CN=Test OCSP Responder',
      key: makeKey('p256'),
      issuer: root,
      notBefore: new Date(+now - DAY_MS),
      notAfter: new Date(+now + 365 * DAY_MS),
      keyUsage: [KU.digitalSignature],
      eku,
    });
  return {
    root,
    otherGeneration,
    responder: responderCert([OCSP_SIGNING]),
    notOcspSigner: responderCert([CLIENT_AUTH]),
    leaf: (serial, aiaUrl) =>
      makeCert({
        subject: `C=JP, CN=ocsp-leaf-${serial}`,
        key: makeKey('p256'),
        issuer: root,
        serial,
        notBefore: new Date(+now - DAY_MS),
        notAfter: new Date(+now + 365 * DAY_MS),
        keyUsage: [KU.digitalSignature],
        crlDpName: JPKI_AUTH_ROOT_NAME,
        ...(aiaUrl ? { extra: [aiaExtension(aiaUrl)] } : {}),
      }),
  };
}
