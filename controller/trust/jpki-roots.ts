/**
 * The real JPKI user-authentication roots, shipped in controller/trust/roots/ and selectable
 * by name in the configuration (`trust.authAnchors: [jpki-auth-2023]`). Each is pinned by the
 * SHA-256 of its DER: a shipped file that does not match its pin is refused, so a swapped
 * file cannot become a trust anchor.
 *
 * Both generations carry the same subject (C=JP, O=JPKI, OU=JPKI for user authentication,
 * OU=Japan Agency for Local Authority Information Systems) and a directoryName CRL
 * distribution point (their own name); they differ in key and serial
 * (/work/shared/reference/jpki-roots/README.md).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCertificates, type Certificate } from './certificate.js';
import { CertificateError } from './errors.js';

/** One shipped root. */
export interface JpkiRoot {
  name: string;
  /** The generation (the year the root was issued). */
  generation: number;
  /** File under controller/trust/roots/. */
  file: string;
  /** SHA-256 of the certificate's DER (hex). */
  sha256: string;
  /** What it anchors. */
  purpose: 'auth';
}

/** The shipped roots by configuration name. */
export const JPKI_ROOTS: Readonly<Record<string, JpkiRoot>> = Object.freeze({
  'jpki-auth-2015': {
    name: 'jpki-auth-2015',
    generation: 2015,
    file: 'jpki-auth-ca-2015.pem',
    sha256: '4dcfc4ca0aaf9fb2a3081b3f0c991c320b3acc008667a341eeaec5af1d58ca7d',
    purpose: 'auth',
  },
  'jpki-auth-2023': {
    name: 'jpki-auth-2023',
    generation: 2023,
    file: 'jpki-auth-ca-2023.pem',
    sha256: '64114f29620c24ed2631d46476a040e7ee740d956089c00b036a6a8118c322b5',
    purpose: 'auth',
  },
});

/** Names accepted in trust.*Anchors besides file paths. */
export const JPKI_ROOT_NAMES: readonly string[] = Object.keys(JPKI_ROOTS);

/** True when a trust.*Anchors entry names a shipped root rather than a file. */
export function isJpkiRootName(entry: string): boolean {
  return Object.hasOwn(JPKI_ROOTS, entry);
}

/** The shipped root whose DER has this SHA-256, if any (tells a configured file's generation). */
export function jpkiRootByDer(der: Uint8Array): JpkiRoot | undefined {
  const h = createHash('sha256').update(der).digest('hex');
  return Object.values(JPKI_ROOTS).find((r) => r.sha256 === h);
}

/**
 * Loads a shipped root by name and checks it against its pin.
 * @throws CertificateError when the file is missing, broken or does not match the pin.
 */
export function loadJpkiRoot(
  name: string,
  read: (file: string) => Uint8Array = (f) => new Uint8Array(readFileSync(f)),
): Certificate {
  const root = JPKI_ROOTS[name];
  if (!root) throw new CertificateError('empty', `${name} is not a shipped JPKI root`);
  const file = fileURLToPath(new URL(`./roots/${root.file}`, import.meta.url));
  let bytes: Uint8Array;
  try {
    bytes = read(file);
  } catch (err) {
    throw new CertificateError('empty', `${name}: cannot read ${file}: ${(err as Error).message}`);
  }
  const certs = loadCertificates(bytes, name);
  if (certs.length !== 1 || jpkiRootByDer(certs[0]!.der)?.name !== name)
    throw new CertificateError(
      'malformed',
      `${name}: ${file} does not match the SHA-256 pinned in the code (${root.sha256})`,
    );
  return certs[0]!;
}
