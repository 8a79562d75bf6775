/**
 * The JPKI client: everything the station asks a My Number card, over any `ApduTransmit`
 * (a `CardSession` from hardware/card, or a function in tests).
 *
 * Rules it keeps (from /work/shared/reference/jpki-card.md):
 * - The card is recognised by SELECTing the JPKI AP by its AID, never by ATR.
 * - Certificates are read with READ BINARY: the first chunk gives the DER length, the rest is
 *   read in chunks; the EF may be longer than the certificate.
 * - PIN tries are read with an empty VERIFY (`00 20 00 80`), which spends nothing.
 * - A PIN is only sent when the resident typed it, has the right format, and the PIN is not
 *   known to be blocked. `69 83` and `69 84` both mean blocked; once a PIN is blocked no VERIFY
 *   of any kind is sent to that card again (per client, and per `BlockedPinRegistry`, keyed by
 *   the authentication certificate, across insertions).
 * - The proof of presence signs the SHA-256 DigestInfo of a fresh station nonce with the
 *   authentication key and checks that signature against the certificate's public key.
 *
 * Broken exchanges throw typed errors (`ApduError`, `CardProtocolError`, `CardRemovedError`,
 * `CardReaderError`); negative answers (wrong PIN, blocked, bad signature) are results.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { spkiSha256 as identitySpkiSha256, verifyNonceSignature } from '../domain/identity.js';
import type { Logger } from 'pino';
import type { HolderCard } from '../domain/ports.js';
import { proveCardHolder } from '../flows/card-proof.js';
import { parseResponse, type ApduTransmit, type ResponseApdu } from '../../shared/apdu/apdu.js';
import { parseDerHeader } from '../../shared/apdu/der.js';
import { ApduError, CardProtocolError } from '../../shared/apdu/errors.js';
import {
  AUTH_PIN_PATTERN,
  JPKI_TOKEN_LENGTH,
  JpkiFile,
  JpkiToken,
  RSA2048_SIGNATURE_LENGTH,
  SIGN_PASSWORD_PATTERN,
  Sw,
  computeSignatureCommand,
  isPinBlockedSw,
  isVerifyFailed,
  readBinaryCommand,
  selectApplicationCommand,
  selectFileCommand,
  sha256DigestInfo,
  triesFromSw,
  verifyCommand,
} from '../../shared/apdu/jpki.js';
import type { Secret } from '../../shared/secret.js';

/** Which secret: the 4-digit authentication PIN or the signature password. */
export type PinKind = 'auth' | 'sign';

/** What kind of token was inserted (see JpkiClient.identify). */
export type JpkiTokenKind = 'card' | 'phone' | 'not_jpki';

/** State of a PIN as the card reports it, without spending a try. */
export type PinStatus =
  | { state: 'tries'; triesLeft: number }
  | { state: 'blocked' }
  /** The card said `90 00` to the empty VERIFY: already verified in this session. */
  | { state: 'verified' };

/** Outcome of a VERIFY. `malformed`: refused locally, nothing was sent to the card. */
export type PinVerifyResult =
  | { outcome: 'ok' }
  | { outcome: 'wrong'; triesLeft: number }
  | { outcome: 'blocked' }
  | { outcome: 'malformed' };

/** Outcome of a proof of presence. */
export type ProofResult =
  | {
      outcome: 'proven';
      certificate: Uint8Array;
      /** SHA-256 of the certificate's SubjectPublicKeyInfo, hex. */
      spkiSha256: string;
    }
  | {
      outcome: 'refused';
      reason:
        'wrong_pin' | 'pin_blocked' | 'pin_malformed' | 'certificate_rejected' | 'bad_signature';
      /** Tries left after a wrong PIN. */
      triesLeft?: number;
      certificate?: Uint8Array;
    };

/**
 * Cards whose PIN is known to be blocked, keyed by the SHA-256 of the authentication
 * certificate. Shared by every client of a station so a blocked card never gets another
 * VERIFY, even after it is pulled out and put back. In memory; `forget()` after an office reset.
 */
export class BlockedPinRegistry {
  readonly #keys = new Set<string>();
  has(certSha256: string, kind: PinKind): boolean {
    return this.#keys.has(`${kind}:${certSha256}`);
  }
  add(certSha256: string, kind: PinKind): void {
    this.#keys.add(`${kind}:${certSha256}`);
  }
  forget(certSha256: string, kind: PinKind): void {
    this.#keys.delete(`${kind}:${certSha256}`);
  }
}

export interface JpkiClientOptions {
  log?: Logger | undefined;
  /** Le of each READ BINARY chunk, 1..256 (default 256 = `00`). */
  readChunkBytes?: number;
  /** Largest EF accepted (default 0x7FFF, the 15-bit offset space). */
  maxFileBytes?: number;
  /** Shared blocked-PIN memory (default: one per client). */
  blocked?: BlockedPinRegistry;
  /** Nonce source for `proveHolder` (default 32 random bytes). */
  nonce?: () => Uint8Array;
}

const PIN_EF: Record<PinKind, number> = { auth: JpkiFile.authPin, sign: JpkiFile.signPin };
const KEY_EF: Record<PinKind, number> = { auth: JpkiFile.authKey, sign: JpkiFile.signKey };

/** See the module comment. One client per card session. */
export class JpkiClient {
  readonly #transmit: ApduTransmit;
  readonly #log: Logger | undefined;
  readonly #chunk: number;
  readonly #maxFile: number;
  readonly #registry: BlockedPinRegistry;
  readonly #nonce: () => Uint8Array;
  readonly #blockedHere = new Set<PinKind>();
  #selected = false;
  #authCert: Uint8Array | undefined;
  #certKey: string | undefined;
  #kind: JpkiTokenKind | undefined;

  constructor(transmit: ApduTransmit, options: JpkiClientOptions = {}) {
    this.#transmit = transmit;
    this.#log = options.log;
    const chunk = options.readChunkBytes ?? 256;
    if (!Number.isInteger(chunk) || chunk < 1 || chunk > 256)
      throw new RangeError('readChunkBytes is 1..256');
    this.#chunk = chunk;
    this.#maxFile = options.maxFileBytes ?? 0x7fff;
    this.#registry = options.blocked ?? new BlockedPinRegistry();
    this.#nonce = options.nonce ?? (() => new Uint8Array(randomBytes(32)));
  }

  async #send(command: Uint8Array): Promise<ResponseApdu> {
    return parseResponse(await this.#transmit(command));
  }

  /** `SELECT` the JPKI AP by AID. @throws ApduError when the card has no JPKI AP. */
  async selectApplication(): Promise<void> {
    const r = await this.#send(selectApplicationCommand());
    if (r.sw !== Sw.ok) throw new ApduError(r.sw, 'select_application');
    this.#selected = true;
  }

  async #ensureSelected(): Promise<void> {
    if (!this.#selected) await this.selectApplication();
  }

  async #selectFile(fid: number): Promise<void> {
    await this.#ensureSelected();
    const r = await this.#send(selectFileCommand(fid));
    if (r.sw !== Sw.ok) throw new ApduError(r.sw, `select_ef_${fid.toString(16).padStart(4, '0')}`);
  }

  /**
   * What was inserted: `not_jpki` when the card has no JPKI application (a transit card:
   * SELECT by AID is refused), `phone` for the Android smartphone token `JPKIAPGPSETOKEN` in
   * EF 0006 (its authentication certificate can be read only after the authentication PIN),
   * else `card` (a My Number card; an unreadable token is taken as a card). @throws
   * CardRemovedError and reader errors as any exchange.
   */
  async identify(): Promise<JpkiTokenKind> {
    try {
      await this.selectApplication();
    } catch (err) {
      if (err instanceof ApduError) return (this.#kind = 'not_jpki');
      throw err;
    }
    let token = '';
    try {
      token = await this.readToken();
    } catch (err) {
      if (!(err instanceof ApduError || err instanceof CardProtocolError)) throw err;
    }
    return (this.#kind = token === JpkiToken.phone ? 'phone' : 'card');
  }

  /** The token in EF 0006, trailing spaces/NULs removed (e.g. `JPKIAPICCTOKEN2`). */
  async readToken(): Promise<string> {
    await this.#selectFile(JpkiFile.token);
    const r = await this.#send(readBinaryCommand(0, JPKI_TOKEN_LENGTH));
    if (r.sw !== Sw.ok) throw new ApduError(r.sw, 'read_token');
    if (r.data.length > JPKI_TOKEN_LENGTH)
      throw new CardProtocolError('bad_length', 'token longer than 32 bytes');
    let s = '';
    for (const b of r.data) {
      if (b < 0x20 || b > 0x7e) {
        if (b === 0x00) continue;
        throw new CardProtocolError('unexpected_data', 'token is not printable ASCII');
      }
      s += String.fromCharCode(b);
    }
    return s.trim();
  }

  /**
   * Reads a DER object (a certificate) from the current EF: READ BINARY of the first chunk,
   * length from the DER header, then the rest in chunks of `readChunkBytes`.
   */
  async #readDer(step: string): Promise<Uint8Array> {
    const first = await this.#send(readBinaryCommand(0, this.#chunk));
    if (first.sw !== Sw.ok) throw new ApduError(first.sw, step);
    const header = parseDerHeader(first.data, this.#maxFile);
    if (!header)
      throw new CardProtocolError('bad_der', `${step}: first chunk too short for a DER header`);
    if (header.tag !== 0x30) throw new CardProtocolError('bad_der', `${step}: not a SEQUENCE`);
    const total = header.totalLength;
    const out = new Uint8Array(total);
    out.set(first.data.subarray(0, Math.min(total, first.data.length)), 0);
    let have = Math.min(total, first.data.length);
    while (have < total) {
      const le = Math.min(this.#chunk, total - have);
      const r = await this.#send(readBinaryCommand(have, le));
      if (r.sw !== Sw.ok) throw new ApduError(r.sw, step);
      if (r.data.length === 0)
        throw new CardProtocolError('bad_read', `${step}: empty chunk at ${have}`);
      if (r.data.length > le)
        throw new CardProtocolError('bad_read', `${step}: chunk longer than Le`);
      out.set(r.data, have);
      have += r.data.length;
    }
    return out;
  }

  async #readCertificate(fid: number, step: string): Promise<Uint8Array> {
    await this.#selectFile(fid);
    const der = await this.#readDer(step);
    try {
      new X509Certificate(der);
    } catch (err) {
      throw new CardProtocolError('unexpected_data', `${step}: not an X.509 certificate`, {
        cause: err,
      });
    }
    return der;
  }

  /** The user-authentication certificate (EF 000A), DER. Free read. */
  async readAuthCertificate(): Promise<Uint8Array> {
    const der = await this.#readCertificate(JpkiFile.authCertificate, 'read_auth_certificate');
    this.#authCert = der;
    this.#certKey = sha256Hex(der);
    return der;
  }

  /** The CA certificate that issued the authentication certificate (EF 000B), DER. */
  readAuthCaCertificate(): Promise<Uint8Array> {
    return this.#readCertificate(JpkiFile.authCaCertificate, 'read_auth_ca_certificate');
  }

  /**
   * The signature certificate (EF 0001), DER: personal data, never log it. Readable only after
   * `verifyPin('sign', ...)` succeeded, else `ApduError{sw: 0x6982}`.
   */
  readSignCertificate(): Promise<Uint8Array> {
    return this.#readCertificate(JpkiFile.signCertificate, 'read_sign_certificate');
  }

  /** The CA certificate that issued the signature certificate (EF 0002), DER. */
  readSignCaCertificate(): Promise<Uint8Array> {
    return this.#readCertificate(JpkiFile.signCaCertificate, 'read_sign_ca_certificate');
  }

  /** The certificate key of the blocked-PIN registry; undefined for a phone before its PIN. */
  async #identity(): Promise<string | undefined> {
    if (!this.#certKey) {
      if (this.#kind === 'phone') return undefined;
      await this.readAuthCertificate();
    }
    return this.#certKey!;
  }

  #knownBlocked(kind: PinKind, id: string | undefined): boolean {
    return this.#blockedHere.has(kind) || (id !== undefined && this.#registry.has(id, kind));
  }

  #markBlocked(kind: PinKind, id: string | undefined): void {
    this.#blockedHere.add(kind);
    if (id !== undefined) this.#registry.add(id, kind);
    this.#log?.warn(
      { pinKind: kind },
      'PIN is blocked on this card; no VERIFY will be sent to it again',
    );
  }

  /**
   * Tries left on a PIN, spending none: `SELECT` the PIN EF, then an empty VERIFY.
   * A PIN already known to be blocked is reported without sending anything.
   */
  async pinStatus(kind: PinKind = 'auth'): Promise<PinStatus> {
    const id = await this.#identity();
    if (this.#knownBlocked(kind, id)) return { state: 'blocked' };
    await this.#selectFile(PIN_EF[kind]);
    const r = await this.#send(verifyCommand());
    if (r.sw === Sw.ok) return { state: 'verified' };
    if (isVerifyFailed(r.sw)) {
      const n = triesFromSw(r.sw);
      if (n === 0) {
        this.#markBlocked(kind, id);
        return { state: 'blocked' };
      }
      return { state: 'tries', triesLeft: n };
    }
    if (isPinBlockedSw(r.sw)) {
      this.#markBlocked(kind, id);
      return { state: 'blocked' };
    }
    throw new ApduError(r.sw, 'pin_status');
  }

  /** Tries left as a number (0 when blocked, null when already verified). */
  async pinTriesLeft(kind: PinKind = 'auth'): Promise<number | null> {
    const s = await this.pinStatus(kind);
    return s.state === 'tries' ? s.triesLeft : s.state === 'blocked' ? 0 : null;
  }

  /**
   * Verifies a PIN the resident typed. Refuses locally (`malformed`, nothing sent) when it does
   * not fit the format (auth: 4 digits; sign: 6-16 of `[A-Z0-9]`, upper-cased first). Checks the
   * tries first: a blocked PIN is reported without sending the PIN.
   */
  async verifyPin(kind: PinKind, pin: Secret): Promise<PinVerifyResult> {
    const raw = kind === 'sign' ? pin.reveal().toUpperCase() : pin.reveal();
    if (!(kind === 'auth' ? AUTH_PIN_PATTERN : SIGN_PASSWORD_PATTERN).test(raw))
      return { outcome: 'malformed' };
    const status = await this.pinStatus(kind);
    if (status.state === 'blocked') return { outcome: 'blocked' };
    const id = await this.#identity();
    // pinStatus left the PIN EF selected.
    const r = await this.#send(verifyCommand(new TextEncoder().encode(raw)));
    if (r.sw === Sw.ok) return { outcome: 'ok' };
    if (isVerifyFailed(r.sw)) {
      const n = triesFromSw(r.sw);
      if (n === 0) {
        this.#markBlocked(kind, id);
        return { outcome: 'blocked' };
      }
      return { outcome: 'wrong', triesLeft: n };
    }
    if (isPinBlockedSw(r.sw)) {
      this.#markBlocked(kind, id);
      return { outcome: 'blocked' };
    }
    throw new ApduError(r.sw, 'verify_pin');
  }

  /**
   * Signs the SHA-256 DigestInfo of `message` with the authentication (or signature) key:
   * `SELECT 0017` then `80 2A 00 80 Lc <DigestInfo> 00`. Needs a verified PIN first, else
   * `ApduError{sw: 0x6982}`. Returns the 256-byte PKCS#1 v1.5 signature.
   */
  async signNonce(message: Uint8Array, kind: PinKind = 'auth'): Promise<Uint8Array> {
    const digestInfo = sha256DigestInfo(
      new Uint8Array(createHash('sha256').update(message).digest()),
    );
    await this.#selectFile(KEY_EF[kind]);
    const r = await this.#send(computeSignatureCommand(digestInfo));
    if (r.sw !== Sw.ok) throw new ApduError(r.sw, 'compute_signature');
    if (r.data.length !== RSA2048_SIGNATURE_LENGTH)
      throw new CardProtocolError('bad_length', `signature of ${r.data.length} bytes`);
    return r.data;
  }

  /**
   * The proof of presence, steps 1-7 of the reference flow: select, read the authentication
   * certificate, let the caller validate it *before* the PIN (`checkCertificate`; the trust
   * engine's job), read the tries, verify the PIN, sign a fresh nonce, verify the signature with
   * the certificate's public key.
   */
  async proveHolder(params: {
    pin: Secret;
    nonce?: Uint8Array;
    checkCertificate?: (der: Uint8Array) => Promise<boolean> | boolean;
  }): Promise<ProofResult> {
    await this.selectApplication();
    let certificate: Uint8Array = new Uint8Array();
    let malformed = false;
    const card = this.holderCard(async () => {});
    const r = await proveCardHolder(
      {
        ...card,
        // A PIN that is not 4 digits never reaches the card (no try spent).
        verifyPin: async (pin) => {
          const v = await this.verifyPin('auth', pin);
          if (v.outcome !== 'malformed') return v;
          malformed = true;
          return { outcome: 'wrong', triesLeft: 0 };
        },
      },
      {
        checkCertificate: async (der) => {
          certificate = der;
          return params.checkCertificate ? await params.checkCertificate(der) : true;
        },
        pin: async (_triesLeft, wrong) => (wrong ? undefined : params.pin),
        nonce: () => params.nonce ?? this.#nonce(),
      },
    );
    if (malformed) return { outcome: 'refused', reason: 'pin_malformed', certificate };
    if (r.outcome === 'proven')
      return { outcome: 'proven', certificate: r.certificate, spkiSha256: r.spkiSha256 };
    if (r.outcome === 'not_jpki')
      throw new CardProtocolError('unexpected_data', 'the card has no JPKI application');
    return {
      outcome: 'refused',
      reason: r.reason,
      ...(r.triesLeft === undefined ? {} : { triesLeft: r.triesLeft }),
      ...(r.certificate ? { certificate: r.certificate } : {}),
    };
  }

  /**
   * This client as the flows' {@link HolderCard} (the one mapping of the JPKI session onto the
   * card-proof sequence); `close` ends the session.
   */
  holderCard(close: () => Promise<void>): HolderCard {
    return {
      kind: () => this.identify(),
      readAuthCertificate: async () => {
        const der = await this.readAuthCertificate();
        spkiSha256(der); // a certificate without a usable key is a CardProtocolError here
        return der;
      },
      pinStatus: async () => {
        const s = await this.pinStatus('auth');
        if (s.state === 'blocked') return { triesLeft: 0, blocked: true };
        // `verified` cannot happen on a fresh session (a reset clears it); show a full count.
        return { triesLeft: s.state === 'tries' ? s.triesLeft : 3, blocked: false };
      },
      verifyPin: async (pin) => {
        const r = await this.verifyPin('auth', pin);
        // `malformed` never reaches here from the kiosk: the route refuses anything but 4 digits.
        if (r.outcome === 'malformed') return { outcome: 'wrong', triesLeft: -1 };
        return r;
      },
      signNonce: (nonce) => this.signNonce(nonce, 'auth'),
      close,
    };
  }
}

/** SHA-256 (hex) of the certificate's SubjectPublicKeyInfo. @throws CardProtocolError on a bad cert. */
export function spkiSha256(certificate: Uint8Array): string {
  try {
    return identitySpkiSha256(certificate);
  } catch (err) {
    throw new CardProtocolError('unexpected_data', 'certificate has no usable public key', {
      cause: err,
    });
  }
}

export { verifyNonceSignature };

function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
