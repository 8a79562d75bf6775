/**
 * A card profile: everything a virtual JPKI card holds, as one directory on disk.
 *
 * ```
 * DIR/profile.json      { format, label, token, atr, authPin, signPassword, authPinTries?,
 *                         signPasswordTries?, efPaddingBytes? }
 * DIR/auth-cert.der     user-authentication certificate (EF 000A)
 * DIR/auth-ca.der       its CA certificate              (EF 000B)
 * DIR/auth-key.pem      authentication private key, PKCS#8 PEM (EF 0017)
 * DIR/sign-cert.der     signature certificate           (EF 0001)
 * DIR/sign-ca.der       its CA certificate              (EF 0002)
 * DIR/sign-key.pem      signature private key, PKCS#8 PEM (EF 001A)
 * ```
 * Written by `jpki-locker pki make-test`, read by `jpki-locker card emulate --profile DIR`.
 * Test data only: the PIN and the keys sit in clear in the directory.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  JpkiAtr,
  JpkiToken,
  AUTH_PIN_MAX_TRIES,
  SIGN_PASSWORD_MAX_TRIES,
} from '../../shared/apdu/jpki.js';
import { fromHex, toHex } from '../../shared/apdu/apdu.js';
import { JpkiLockerError } from '../../shared/errors.js';

/** Version of the on-disk format. */
export const CARD_PROFILE_FORMAT = 1;

/** What a virtual JPKI card holds. */
export interface CardProfile {
  label: string;
  /** Token in EF 0006 (padded with spaces to 32 bytes on the card). */
  token: string;
  atr: Uint8Array;
  authPin: string;
  signPassword: string;
  /** Tries left now (default 3 and 5). */
  authPinTries: number;
  signPasswordTries: number;
  authCertificate: Uint8Array;
  authCaCertificate: Uint8Array;
  authKey: KeyObject;
  signCertificate: Uint8Array;
  signCaCertificate: Uint8Array;
  signKey: KeyObject;
  /** Bytes of padding after each certificate in its EF (the EF is longer than the cert). */
  efPaddingBytes: number;
}

/** A profile directory is missing, unreadable or inconsistent. */
export class CardProfileError extends JpkiLockerError {
  constructor(
    readonly dir: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('card_profile_invalid', `card profile ${dir}: ${message}`, options);
  }
}

interface ProfileJson {
  format: number;
  label: string;
  token?: string;
  atr?: string;
  authPin: string;
  signPassword: string;
  authPinTries?: number;
  signPasswordTries?: number;
  efPaddingBytes?: number;
}

const FILES = {
  authCertificate: 'auth-cert.der',
  authCaCertificate: 'auth-ca.der',
  authKey: 'auth-key.pem',
  signCertificate: 'sign-cert.der',
  signCaCertificate: 'sign-ca.der',
  signKey: 'sign-key.pem',
} as const;

/** Reads a profile directory. @throws CardProfileError. */
export function loadCardProfile(dir: string): CardProfile {
  let json: ProfileJson;
  try {
    json = JSON.parse(readFileSync(path.join(dir, 'profile.json'), 'utf8')) as ProfileJson;
  } catch (err) {
    throw new CardProfileError(dir, 'profile.json missing or not JSON', { cause: err });
  }
  if (json.format !== CARD_PROFILE_FORMAT)
    throw new CardProfileError(dir, `unknown format ${String(json.format)}`);
  if (typeof json.authPin !== 'string' || typeof json.signPassword !== 'string')
    throw new CardProfileError(dir, 'authPin and signPassword must be strings');
  const read = (f: string): Buffer => {
    try {
      return readFileSync(path.join(dir, f));
    } catch (err) {
      throw new CardProfileError(dir, `${f} missing`, { cause: err });
    }
  };
  const key = (f: string): KeyObject => {
    try {
      return createPrivateKey(read(f));
    } catch (err) {
      if (err instanceof CardProfileError) throw err;
      throw new CardProfileError(dir, `${f} is not a private key`, { cause: err });
    }
  };
  let atr: Uint8Array;
  try {
    atr = fromHex(json.atr ?? JpkiAtr.contact);
  } catch (err) {
    throw new CardProfileError(dir, 'atr is not hex', { cause: err });
  }
  return {
    label: String(json.label ?? path.basename(dir)),
    token: json.token ?? JpkiToken.myNumberCard,
    atr,
    authPin: json.authPin,
    signPassword: json.signPassword,
    authPinTries: json.authPinTries ?? AUTH_PIN_MAX_TRIES,
    signPasswordTries: json.signPasswordTries ?? SIGN_PASSWORD_MAX_TRIES,
    authCertificate: new Uint8Array(read(FILES.authCertificate)),
    authCaCertificate: new Uint8Array(read(FILES.authCaCertificate)),
    authKey: key(FILES.authKey),
    signCertificate: new Uint8Array(read(FILES.signCertificate)),
    signCaCertificate: new Uint8Array(read(FILES.signCaCertificate)),
    signKey: key(FILES.signKey),
    efPaddingBytes: json.efPaddingBytes ?? 512,
  };
}

/** Writes a profile directory (created if needed). Keys go out as PKCS#8 PEM, mode 0600. */
export function writeCardProfile(dir: string, p: CardProfile): void {
  mkdirSync(dir, { recursive: true });
  const json: ProfileJson = {
    format: CARD_PROFILE_FORMAT,
    label: p.label,
    token: p.token,
    atr: toHex(p.atr).toUpperCase(),
    authPin: p.authPin,
    signPassword: p.signPassword,
    authPinTries: p.authPinTries,
    signPasswordTries: p.signPasswordTries,
    efPaddingBytes: p.efPaddingBytes,
  };
  writeFileSync(path.join(dir, 'profile.json'), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(path.join(dir, FILES.authCertificate), p.authCertificate);
  writeFileSync(path.join(dir, FILES.authCaCertificate), p.authCaCertificate);
  writeFileSync(path.join(dir, FILES.signCertificate), p.signCertificate);
  writeFileSync(path.join(dir, FILES.signCaCertificate), p.signCaCertificate);
  const pem = (k: KeyObject): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(path.join(dir, FILES.authKey), pem(p.authKey), { mode: 0o600 });
  writeFileSync(path.join(dir, FILES.signKey), pem(p.signKey), { mode: 0o600 });
}
