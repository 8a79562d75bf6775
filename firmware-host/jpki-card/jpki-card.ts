/**
 * A virtual JPKI card: a pure APDU processor (command bytes in, response bytes out) that
 * behaves like the JPKI application described in /work/shared/reference/jpki-card.md.
 *
 * | command                                  | behaviour                                        |
 * |------------------------------------------|--------------------------------------------------|
 * | `00 A4 04 0C 0A <AID>`                   | select the AP; clears verified state; `6A 82` for another AID |
 * | `00 A4 02 0C 02 <FID>`                   | select an EF of the AP; `6A 82` unknown or AP not selected |
 * | `00 B0 P1 P2 Le`                         | read the current EF at 15-bit offset; `6B 00` at/after the end; `69 82` for `0001` before the signature password; `69 86` on a key/PIN EF |
 * | `00 20 00 80`                            | tries left `63 Cx` (`90 00` when verified, blocked SW when 0) |
 * | `00 20 00 80 Lc <PIN>`                   | `90 00` / `63 Cx` (x left, `63 C0` = now blocked) / blocked SW |
 * | `80 2A 00 80 Lc <DigestInfo> 00`         | PKCS#1 v1.5 type-1 signature with the selected key (`69 82` unless its PIN is verified) |
 *
 * Phone profile (token `JPKIAPGPSETOKEN`, the Android smartphone certificate): EF `000A` reads
 * `69 82` until the authentication PIN is verified. `noJpkiApplication` makes a card without
 * the JPKI AP (a transit card): SELECT by AID answers `6A 82`.
 *
 * PIN counters: 3 (auth) and 5 (signature) tries, reset to the maximum by a right PIN, blocked
 * at 0 for good. A reset (power cycle) or re-selecting the AP clears the verified state.
 * The counters live as long as this object (the card "remembers" across insertions).
 */
import { constants, privateEncrypt } from 'node:crypto';
import { buildResponse, decodeCommand } from '../../shared/apdu/apdu.js';
import {
  AUTH_PIN_MAX_TRIES,
  Ins,
  JPKI_AID,
  JPKI_TOKEN_LENGTH,
  JpkiFile,
  JpkiToken,
  SIGN_PASSWORD_MAX_TRIES,
  Sw,
} from '../../shared/apdu/jpki.js';
import type { CardProfile } from './profile.js';

/** Tunables for the behaviours the reference marks uncertain. */
export interface VirtualJpkiCardOptions {
  /** SW for any VERIFY on a blocked PIN: `0x6984` (default) or `0x6983`. */
  blockedSw?: number;
  /** Answer to an empty VERIFY when already verified (default `90 00`). */
  verifiedStatusSw?: number;
  /** Byte used to pad each certificate EF (default 0xFF). */
  paddingByte?: number;
  /** A card without the JPKI application (e.g. a transit card). */
  noJpkiApplication?: boolean;
}

/** One command as the card saw it (for tests: "was VERIFY ever sent again?"). */
export interface CardCommandRecord {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** The EF selected when the command arrived. */
  ef: number | undefined;
  /** Length of the data field (0 = none). */
  dataLength: number;
  sw: number;
}

type PinRef = 'auth' | 'sign';

interface PinState {
  value: Uint8Array;
  max: number;
  left: number;
  verified: boolean;
}

const PIN_OF_EF = new Map<number, PinRef>([
  [JpkiFile.authPin, 'auth'],
  [JpkiFile.signPin, 'sign'],
]);
const KEY_OF_EF = new Map<number, PinRef>([
  [JpkiFile.authKey, 'auth'],
  [JpkiFile.signKey, 'sign'],
]);

/** See the module comment. */
export class VirtualJpkiCard {
  readonly atr: Uint8Array;
  readonly #files = new Map<number, Uint8Array>();
  readonly #pins: Record<PinRef, PinState>;
  readonly #profile: CardProfile;
  readonly #blockedSw: number;
  readonly #verifiedStatusSw: number;
  readonly #hasApplication: boolean;
  #appSelected = false;
  #ef: number | undefined;
  /** Every command received, oldest first (bounded to the last 10 000). */
  readonly log: CardCommandRecord[] = [];
  /** Time spent inside `process()` in ms (for the benchmark's card-vs-us split). */
  busyMs = 0;

  constructor(profile: CardProfile, options: VirtualJpkiCardOptions = {}) {
    this.#profile = profile;
    this.atr = Uint8Array.from(profile.atr);
    this.#blockedSw = options.blockedSw ?? Sw.referenceDataNotUsable;
    this.#verifiedStatusSw = options.verifiedStatusSw ?? Sw.ok;
    this.#hasApplication = !options.noJpkiApplication;
    const pad = options.paddingByte ?? 0xff;
    const ef = (cert: Uint8Array): Uint8Array => {
      const out = new Uint8Array(cert.length + profile.efPaddingBytes).fill(pad);
      out.set(cert, 0);
      return out;
    };
    const token = new Uint8Array(JPKI_TOKEN_LENGTH).fill(0x20);
    token.set(new TextEncoder().encode(profile.token).slice(0, JPKI_TOKEN_LENGTH), 0);
    this.#files.set(JpkiFile.token, token);
    this.#files.set(JpkiFile.authCertificate, ef(profile.authCertificate));
    this.#files.set(JpkiFile.authCaCertificate, ef(profile.authCaCertificate));
    this.#files.set(JpkiFile.signCertificate, ef(profile.signCertificate));
    this.#files.set(JpkiFile.signCaCertificate, ef(profile.signCaCertificate));
    const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
    this.#pins = {
      auth: {
        value: ascii(profile.authPin),
        max: AUTH_PIN_MAX_TRIES,
        left: Math.min(profile.authPinTries, AUTH_PIN_MAX_TRIES),
        verified: false,
      },
      sign: {
        value: ascii(profile.signPassword),
        max: SIGN_PASSWORD_MAX_TRIES,
        left: Math.min(profile.signPasswordTries, SIGN_PASSWORD_MAX_TRIES),
        verified: false,
      },
    };
  }

  /** Tries left on a PIN (test inspection). */
  triesLeft(pin: PinRef): number {
    return this.#pins[pin].left;
  }

  /** Number of VERIFY commands that carried a PIN (test inspection). */
  verifyAttempts(pin?: PinRef): number {
    return this.log.filter(
      (r) =>
        r.ins === Ins.verify &&
        r.dataLength > 0 &&
        (pin === undefined || PIN_OF_EF.get(r.ef ?? -1) === pin),
    ).length;
  }

  /** Power cycle or warm reset: the AP is deselected and no PIN is verified any more. */
  reset(): void {
    this.#appSelected = false;
    this.#ef = undefined;
    this.#pins.auth.verified = false;
    this.#pins.sign.verified = false;
  }

  /** Processes one command APDU and returns the response APDU (data + SW). Never throws. */
  process(command: Uint8Array): Uint8Array {
    const t0 = performance.now();
    const ef = this.#ef;
    let resp: Uint8Array;
    try {
      resp = this.#dispatch(command);
    } catch {
      resp = buildResponse(0x6f00);
    }
    this.busyMs += performance.now() - t0;
    const sw = (resp[resp.length - 2]! << 8) | resp[resp.length - 1]!;
    const c = decodeCommand(command);
    this.log.push({
      cla: command[0] ?? -1,
      ins: command[1] ?? -1,
      p1: command[2] ?? -1,
      p2: command[3] ?? -1,
      ef,
      dataLength: c?.data?.length ?? 0,
      sw,
    });
    if (this.log.length > 10_000) this.log.splice(0, this.log.length - 10_000);
    return resp;
  }

  #dispatch(bytes: Uint8Array): Uint8Array {
    const c = decodeCommand(bytes);
    if (!c) return buildResponse(Sw.wrongLength);
    if (c.ins === Ins.computeDigitalSignature) {
      if (c.cla !== 0x80) return buildResponse(Sw.claNotSupported);
      return this.#sign(c.p1, c.p2, c.data);
    }
    if (c.cla !== 0x00) return buildResponse(Sw.claNotSupported);
    switch (c.ins) {
      case Ins.select:
        return this.#select(c.p1, c.p2, c.data);
      case Ins.readBinary:
        return this.#read(c.p1, c.p2, c.data, c.le);
      case Ins.verify:
        return this.#verify(c.p1, c.p2, c.data);
      default:
        return buildResponse(Sw.insNotSupported);
    }
  }

  #select(p1: number, p2: number, data: Uint8Array | undefined): Uint8Array {
    if (p2 !== 0x0c && p2 !== 0x00) return buildResponse(Sw.incorrectP1P2);
    if (p1 === 0x04) {
      this.reset();
      if (!this.#hasApplication || !data || !equal(data, JPKI_AID))
        return buildResponse(Sw.fileNotFound);
      this.#appSelected = true;
      return buildResponse(Sw.ok);
    }
    if (p1 === 0x02) {
      if (!data || data.length !== 2) return buildResponse(Sw.wrongLength);
      const fid = (data[0]! << 8) | data[1]!;
      const known = this.#files.has(fid) || PIN_OF_EF.has(fid) || KEY_OF_EF.has(fid);
      if (!this.#appSelected || !known) return buildResponse(Sw.fileNotFound);
      this.#ef = fid;
      return buildResponse(Sw.ok);
    }
    return buildResponse(Sw.incorrectP1P2);
  }

  #read(p1: number, p2: number, data: Uint8Array | undefined, le: number | undefined): Uint8Array {
    if (data || le === undefined) return buildResponse(Sw.wrongLength);
    if (p1 & 0x80) return buildResponse(Sw.incorrectP1P2); // short-EF addressing: not supported
    if (this.#ef === undefined) return buildResponse(Sw.noCurrentEf);
    const file = this.#files.get(this.#ef);
    if (!file) return buildResponse(Sw.noCurrentEf);
    if (this.#ef === JpkiFile.signCertificate && !this.#pins.sign.verified)
      return buildResponse(Sw.securityStatusNotSatisfied);
    // The phone token: the authentication certificate only after the authentication PIN.
    if (
      this.#ef === JpkiFile.authCertificate &&
      this.#profile.token === JpkiToken.phone &&
      !this.#pins.auth.verified
    )
      return buildResponse(Sw.securityStatusNotSatisfied);
    const offset = (p1 << 8) | p2;
    if (offset >= file.length) return buildResponse(Sw.wrongP1P2);
    return buildResponse(Sw.ok, file.slice(offset, Math.min(file.length, offset + le)));
  }

  #verify(p1: number, p2: number, data: Uint8Array | undefined): Uint8Array {
    if (p1 !== 0x00 || p2 !== 0x80) return buildResponse(Sw.incorrectP1P2);
    const ref = this.#ef === undefined ? undefined : PIN_OF_EF.get(this.#ef);
    if (!ref) return buildResponse(Sw.noCurrentEf);
    const pin = this.#pins[ref];
    if (pin.left === 0) return buildResponse(this.#blockedSw);
    if (!data) {
      if (pin.verified) return buildResponse(this.#verifiedStatusSw);
      return buildResponse(Sw.verifyFailedBase | pin.left);
    }
    if (equal(data, pin.value)) {
      pin.left = pin.max;
      pin.verified = true;
      return buildResponse(Sw.ok);
    }
    pin.left -= 1;
    pin.verified = false;
    return buildResponse(Sw.verifyFailedBase | pin.left);
  }

  #sign(p1: number, p2: number, data: Uint8Array | undefined): Uint8Array {
    if (p1 !== 0x00 || p2 !== 0x80) return buildResponse(Sw.incorrectP1P2);
    const ref = this.#ef === undefined ? undefined : KEY_OF_EF.get(this.#ef);
    if (!ref) return buildResponse(Sw.noCurrentEf);
    if (!this.#pins[ref].verified) return buildResponse(Sw.securityStatusNotSatisfied);
    // PKCS#1 v1.5 type-1 padding leaves room for at most k - 11 bytes of data (RFC 8017 §9.2).
    if (!data || data.length > 256 - 11) return buildResponse(Sw.wrongData);
    const key = ref === 'auth' ? this.#profile.authKey : this.#profile.signKey;
    const sig = privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, data);
    return buildResponse(Sw.ok, new Uint8Array(sig));
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
