/**
 * The JPKI PINs: tries read with an empty VERIFY (`00 20 00 80`, spends nothing), a PIN sent
 * only when it has the right format and is not known to be blocked. `69 83` and `69 84` both
 * mean blocked; once a PIN is blocked no VERIFY of any kind is sent to that card again (per
 * session, and per `BlockedPinRegistry`, keyed by the authentication certificate). The second
 * part of {@link JpkiClient}.
 */
import type { Logger } from 'pino';
import { ApduError } from '../../shared/apdu/errors.js';
import {
  AUTH_PIN_PATTERN,
  JpkiFile,
  SIGN_PASSWORD_PATTERN,
  Sw,
  isPinBlockedSw,
  isVerifyFailed,
  triesFromSw,
  verifyCommand,
} from '../../shared/apdu/jpki.js';
import type { Secret } from '../../shared/secret.js';
import type { JpkiFiles } from './jpki-files.js';

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

const PIN_EF: Record<PinKind, number> = { auth: JpkiFile.authPin, sign: JpkiFile.signPin };

/** See the module comment. One per card session. */
export class JpkiPins {
  readonly #blockedHere = new Set<PinKind>();

  constructor(
    private readonly files: JpkiFiles,
    private readonly registry: BlockedPinRegistry,
    /** The registry's key for this card (undefined: not known, e.g. a phone before its PIN). */
    private readonly identity: () => Promise<string | undefined>,
    private readonly log: Logger | undefined,
  ) {}

  #knownBlocked(kind: PinKind, id: string | undefined): boolean {
    return this.#blockedHere.has(kind) || (id !== undefined && this.registry.has(id, kind));
  }

  #markBlocked(kind: PinKind, id: string | undefined): void {
    this.#blockedHere.add(kind);
    if (id !== undefined) this.registry.add(id, kind);
    this.log?.warn(
      { pinKind: kind },
      'PIN is blocked on this card; no VERIFY will be sent to it again',
    );
  }

  /**
   * Tries left on a PIN, spending none: `SELECT` the PIN EF, then an empty VERIFY.
   * A PIN already known to be blocked is reported without sending anything.
   */
  async pinStatus(kind: PinKind = 'auth'): Promise<PinStatus> {
    const id = await this.identity();
    if (this.#knownBlocked(kind, id)) return { state: 'blocked' };
    await this.files.selectFile(PIN_EF[kind]);
    const r = await this.files.send(verifyCommand());
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
    const id = await this.identity();
    // pinStatus left the PIN EF selected.
    const r = await this.files.send(verifyCommand(new TextEncoder().encode(raw)));
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
}
