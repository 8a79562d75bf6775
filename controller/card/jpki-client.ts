/**
 * The JPKI client: everything the station asks a My Number card, over any `ApduTransmit`
 * (a `CardSession` from hardware/card, or a function in tests).
 *
 * Rules it keeps (from /work/shared/reference/jpki-card.md), by part:
 * - files (jpki-files.ts): the card is recognised by SELECTing the JPKI AP by its AID, never by
 *   ATR; certificates are read with READ BINARY in chunks from the DER length;
 * - PINs (jpki-pins.ts): tries read without spending one; a PIN only sent when typed, well
 *   formed and not known to be blocked; a blocked PIN never gets another VERIFY;
 * - here: the proof of presence signs the SHA-256 DigestInfo of a fresh station nonce with the
 *   authentication key and checks that signature against the certificate's public key.
 *
 * Broken exchanges throw typed errors (`ApduError`, `CardProtocolError`, `CardRemovedError`,
 * `CardReaderError`); negative answers (wrong PIN, blocked, bad signature) are results.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spkiSha256 as identitySpkiSha256, verifyNonceSignature } from '../domain/identity.js';
import type { Logger } from 'pino';
import type { HolderCard } from '../domain/ports.js';
import { proveCardHolder } from '../flows/card-proof.js';
import type { ApduTransmit } from '../../shared/apdu/apdu.js';
import { ApduError, CardProtocolError } from '../../shared/apdu/errors.js';
import {
  JpkiFile,
  RSA2048_SIGNATURE_LENGTH,
  Sw,
  computeSignatureCommand,
  sha256DigestInfo,
} from '../../shared/apdu/jpki.js';
import type { Secret } from '../../shared/secret.js';
import { JpkiFiles, type JpkiTokenKind } from './jpki-files.js';
import {
  BlockedPinRegistry,
  JpkiPins,
  type PinKind,
  type PinStatus,
  type PinVerifyResult,
} from './jpki-pins.js';

export { BlockedPinRegistry };
export type { JpkiTokenKind, PinKind, PinStatus, PinVerifyResult };

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

const KEY_EF: Record<PinKind, number> = { auth: JpkiFile.authKey, sign: JpkiFile.signKey };

/** See the module comment. One client per card session. */
export class JpkiClient {
  readonly #files: JpkiFiles;
  readonly #pins: JpkiPins;
  readonly #nonce: () => Uint8Array;
  #certKey: string | undefined;

  constructor(transmit: ApduTransmit, options: JpkiClientOptions = {}) {
    this.#files = new JpkiFiles(
      transmit,
      options.readChunkBytes ?? 256,
      options.maxFileBytes ?? 0x7fff,
    );
    this.#pins = new JpkiPins(
      this.#files,
      options.blocked ?? new BlockedPinRegistry(),
      () => this.#identity(),
      options.log,
    );
    this.#nonce = options.nonce ?? (() => new Uint8Array(randomBytes(32)));
  }

  /** `SELECT` the JPKI AP by AID. @throws ApduError when the card has no JPKI AP. */
  selectApplication(): Promise<void> {
    return this.#files.selectApplication();
  }

  /** What was inserted (see {@link JpkiFiles.identify}). */
  identify(): Promise<JpkiTokenKind> {
    return this.#files.identify();
  }

  /** The token in EF 0006, trailing spaces/NULs removed (e.g. `JPKIAPICCTOKEN2`). */
  readToken(): Promise<string> {
    return this.#files.readToken();
  }

  /** The user-authentication certificate (EF 000A), DER. Free read. */
  async readAuthCertificate(): Promise<Uint8Array> {
    const der = await this.#files.readAuthCertificate();
    this.#certKey = createHash('sha256').update(der).digest('hex');
    return der;
  }

  /** The CA certificate that issued the authentication certificate (EF 000B), DER. */
  readAuthCaCertificate(): Promise<Uint8Array> {
    return this.#files.readAuthCaCertificate();
  }

  /**
   * The signature certificate (EF 0001), DER: personal data, never log it. Readable only after
   * `verifyPin('sign', ...)` succeeded, else `ApduError{sw: 0x6982}`.
   */
  readSignCertificate(): Promise<Uint8Array> {
    return this.#files.readSignCertificate();
  }

  /** The CA certificate that issued the signature certificate (EF 0002), DER. */
  readSignCaCertificate(): Promise<Uint8Array> {
    return this.#files.readSignCaCertificate();
  }

  /** The certificate key of the blocked-PIN registry; undefined for a phone before its PIN. */
  async #identity(): Promise<string | undefined> {
    if (!this.#certKey) {
      if (this.#files.kind === 'phone') return undefined;
      await this.readAuthCertificate();
    }
    return this.#certKey!;
  }

  /** Tries left on a PIN, spending none (see {@link JpkiPins.pinStatus}). */
  pinStatus(kind: PinKind = 'auth'): Promise<PinStatus> {
    return this.#pins.pinStatus(kind);
  }

  /** Tries left as a number (0 when blocked, null when already verified). */
  pinTriesLeft(kind: PinKind = 'auth'): Promise<number | null> {
    return this.#pins.pinTriesLeft(kind);
  }

  /** Verifies a PIN the resident typed (see {@link JpkiPins.verifyPin}). */
  verifyPin(kind: PinKind, pin: Secret): Promise<PinVerifyResult> {
    return this.#pins.verifyPin(kind, pin);
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
    await this.#files.selectFile(KEY_EF[kind]);
    const r = await this.#files.send(computeSignatureCommand(digestInfo));
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
