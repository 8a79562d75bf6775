/**
 * Constants of the JPKI application on the My Number card: application ID, file IDs, the
 * commands the station sends, status words, the SHA-256 DigestInfo prefix and known ATRs.
 *
 * Source: /work/shared/reference/jpki-card.md, which collects what OpenSC (`card-jpki.c`,
 * `jpki.h`), `jpki/myna`, `siketyan/jpki-rs`, `pyjpki` and `JPKIReader` agree on. J-LIS
 * publishes no open specification; values marked *uncertain* there are handled tolerantly.
 */
import { encodeCommand } from './apdu.js';

/** Application ID (DF name) of the JPKI AP: `D3 92 F0 00 26 01 00 00 00 01`. */
export const JPKI_AID = Uint8Array.from([
  0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
]);

/**
 * Elementary files of the JPKI AP.
 *
 * | FID    | content                                   | access                       |
 * |--------|-------------------------------------------|------------------------------|
 * | `0006` | 32-byte space-padded ASCII token           | free read                    |
 * | `000A` | user-authentication certificate (DER)      | free read                    |
 * | `000B` | CA certificate that issued `000A`          | free read                    |
 * | `0001` | signature certificate (personal data)      | after signature password     |
 * | `0002` | CA certificate that issued `0001`          | free read                    |
 * | `0017` | authentication private key                 | needs auth PIN               |
 * | `0018` | authentication PIN, 4 digits, 3 tries      |                              |
 * | `001A` | signature private key                      | needs signature password     |
 * | `001B` | signature password, 6-16 `[A-Z0-9]`, 5 tries |                            |
 */
export const JpkiFile = {
  token: 0x0006,
  authCertificate: 0x000a,
  authCaCertificate: 0x000b,
  signCertificate: 0x0001,
  signCaCertificate: 0x0002,
  authKey: 0x0017,
  authPin: 0x0018,
  signKey: 0x001a,
  signPin: 0x001b,
} as const;
export type JpkiFileId = (typeof JpkiFile)[keyof typeof JpkiFile];

/** Tokens found in EF `0006` (trailing spaces removed). */
export const JpkiToken = {
  /** My Number card. */
  myNumberCard: 'JPKIAPICCTOKEN2',
  /** Old Residents Basic Register card (signature certificate only, all expired by 2018). */
  residentsBasicRegisterCard: 'JPKIAPICCTOKEN',
  /** Android phone certificate. */
  phone: 'JPKIAPGPSETOKEN',
} as const;

/** Length of the token EF read with `00 B0 00 00 20`. */
export const JPKI_TOKEN_LENGTH = 0x20;

/** Instruction bytes the JPKI AP understands. */
export const Ins = {
  select: 0xa4,
  readBinary: 0xb0,
  verify: 0x20,
  changeReferenceData: 0x24,
  computeDigitalSignature: 0x2a,
  getResponse: 0xc0,
} as const;

/** Status words (SW1 SW2) used by the JPKI AP. */
export const Sw = {
  ok: 0x9000,
  /** `63 Cx`: wrong PIN, x tries left; also the answer to an empty VERIFY. Mask with 0xfff0. */
  verifyFailedBase: 0x63c0,
  wrongLength: 0x6700,
  /** Security status not satisfied (PIN not verified). */
  securityStatusNotSatisfied: 0x6982,
  /** Authentication method blocked (reported for a blocked PIN by some sources). */
  authenticationBlocked: 0x6983,
  /** Reference data not usable (reported for a blocked PIN by other sources). */
  referenceDataNotUsable: 0x6984,
  conditionsNotSatisfied: 0x6985,
  /** Command not allowed (no current EF). */
  noCurrentEf: 0x6986,
  wrongData: 0x6a80,
  fileNotFound: 0x6a82,
  incorrectP1P2: 0x6a86,
  /** Wrong parameters P1-P2 (offset outside the EF). */
  wrongP1P2: 0x6b00,
  insNotSupported: 0x6d00,
  claNotSupported: 0x6e00,
} as const;

/** True for `63 Cx`. */
export function isVerifyFailed(sw: number): boolean {
  return (sw & 0xfff0) === Sw.verifyFailedBase;
}

/** The x of `63 Cx`. */
export function triesFromSw(sw: number): number {
  return sw & 0x0f;
}

/** Both SWs that sources report for a blocked PIN: treat either as blocked. */
export function isPinBlockedSw(sw: number): boolean {
  return sw === Sw.authenticationBlocked || sw === Sw.referenceDataNotUsable;
}

/**
 * DER prefix of a SHA-256 DigestInfo; append the 32-byte hash.
 *
 * ```
 * DigestInfo ::= SEQUENCE {
 *   digestAlgorithm AlgorithmIdentifier,   -- sha256 (2.16.840.1.101.3.4.2.1), NULL params
 *   digest OCTET STRING }
 * ```
 * Source: RFC 8017 §9.2 note 1.
 */
export const SHA256_DIGEST_INFO_PREFIX = Uint8Array.from([
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
  0x00, 0x04, 0x20,
]);

/** Length of an RSA-2048 signature. */
export const RSA2048_SIGNATURE_LENGTH = 256;

/** Wraps a 32-byte SHA-256 hash in a DigestInfo. @throws RangeError for another length. */
export function sha256DigestInfo(hash: Uint8Array): Uint8Array {
  if (hash.length !== 32) throw new RangeError('a SHA-256 hash has 32 bytes');
  const out = new Uint8Array(SHA256_DIGEST_INFO_PREFIX.length + 32);
  out.set(SHA256_DIGEST_INFO_PREFIX, 0);
  out.set(hash, SHA256_DIGEST_INFO_PREFIX.length);
  return out;
}

/** ATRs seen in the wild: defaults for the virtual card, never used for detection. */
export const JpkiAtr = {
  contact: '3BDA13FF8131FB468012392F31C173C601C03B',
  contactless: '3B888001000005E0B381A1007F',
  residentsBasicRegisterCardContact: '3BE000FF8131FE4514',
} as const;

/** Auth PIN: exactly 4 digits, 3 tries. */
export const AUTH_PIN_PATTERN = /^[0-9]{4}$/;
export const AUTH_PIN_MAX_TRIES = 3;
/** Signature password: 6-16 of `[A-Z0-9]` (tools upper-case the input), 5 tries. */
export const SIGN_PASSWORD_PATTERN = /^[A-Z0-9]{6,16}$/;
export const SIGN_PASSWORD_MAX_TRIES = 5;

/** OIDs of JPKI certificates. */
export const JpkiOid = {
  /** Certificate policy of the user-authentication certificate. */
  authPolicy: '1.2.392.200149.8.5.1.3.30',
  /** Certificate policy of the signature certificate. */
  signPolicy: '1.2.392.200149.8.5.1.1.20',
  /** subjectAltName otherName arc of the four basic facts. */
  basicFactsArc: '1.2.392.200149.8.5.5',
  name: '1.2.392.200149.8.5.5.1',
  nameSubstituteCharacters: '1.2.392.200149.8.5.5.2',
  sex: '1.2.392.200149.8.5.5.3',
  dateOfBirth: '1.2.392.200149.8.5.5.4',
  address: '1.2.392.200149.8.5.5.5',
  addressSubstituteCharacters: '1.2.392.200149.8.5.5.6',
} as const;

/** `SELECT` by DF name, P2 = `0C` (no FCI): `00 A4 04 0C 0A <AID>`. */
export function selectApplicationCommand(aid: Uint8Array = JPKI_AID): Uint8Array {
  return encodeCommand({ cla: 0x00, ins: Ins.select, p1: 0x04, p2: 0x0c, data: aid });
}

/** `SELECT` an EF by FID: `00 A4 02 0C 02 <FID>`. */
export function selectFileCommand(fid: number): Uint8Array {
  return encodeCommand({
    cla: 0x00,
    ins: Ins.select,
    p1: 0x02,
    p2: 0x0c,
    data: Uint8Array.from([(fid >> 8) & 0xff, fid & 0xff]),
  });
}

/** `READ BINARY` with a 15-bit offset and a short Le: `00 B0 <off hi> <off lo> <Le>`. */
export function readBinaryCommand(offset: number, le: number): Uint8Array {
  if (!Number.isInteger(offset) || offset < 0 || offset > 0x7fff)
    throw new RangeError('READ BINARY offset is 15 bits');
  return encodeCommand({
    cla: 0x00,
    ins: Ins.readBinary,
    p1: (offset >> 8) & 0x7f,
    p2: offset & 0xff,
    le,
  });
}

/** `VERIFY` of the selected PIN EF: `00 20 00 80 [Lc <ASCII>]`; no data = ask tries left. */
export function verifyCommand(pinAscii?: Uint8Array): Uint8Array {
  return encodeCommand({
    cla: 0x00,
    ins: Ins.verify,
    p1: 0x00,
    p2: 0x80,
    ...(pinAscii && pinAscii.length > 0 ? { data: pinAscii } : {}),
  });
}

/** `COMPUTE DIGITAL SIGNATURE` with the selected key: `80 2A 00 80 Lc <DigestInfo> 00`. */
export function computeSignatureCommand(digestInfo: Uint8Array): Uint8Array {
  return encodeCommand({
    cla: 0x80,
    ins: Ins.computeDigitalSignature,
    p1: 0x00,
    p2: 0x80,
    data: digestInfo,
    le: 256,
  });
}
