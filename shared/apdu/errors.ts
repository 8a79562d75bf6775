/**
 * Errors raised while talking to a smart card. Tell them apart by class and by `kind` / `sw`,
 * never by message text. A wrong or blocked PIN is NOT an error: it is a result
 * (see controller/card), these classes are for broken exchanges.
 */
import { JpkiLockerError } from '../errors.js';

/** The card left the reader (pulled out, or its link dropped) before the exchange finished. */
export class CardRemovedError extends JpkiLockerError {
  constructor(
    readonly reader: string,
    options?: { cause?: unknown },
  ) {
    super('card_removed', `card removed from ${reader}`, options);
  }
}

/** Why a reader could not carry out an exchange. */
export type CardReaderErrorKind =
  /** No reader of that name, or no reader at all. */
  | 'no_reader'
  /** The reader is there but holds no card. */
  | 'no_card'
  /** Another application holds the card exclusively. */
  | 'busy'
  /** The PC/SC service (pcscd) is not running or went away. */
  | 'service_unavailable'
  /** The card did not answer within the allowed time. */
  | 'timeout'
  /** The session was closed by us (stop(), close()) while a call was pending or after. */
  | 'closed'
  /** Anything else the PC/SC layer reported; `pcscCode` holds its code when known. */
  | 'transport';

/** A reader-level failure; `kind` says which. */
export class CardReaderError extends JpkiLockerError {
  constructor(
    readonly kind: CardReaderErrorKind,
    message: string,
    options?: { cause?: unknown; pcscCode?: number },
  ) {
    super(`card_reader_${kind}`, message, options);
    this.pcscCode = options?.pcscCode;
  }
  /** The PC/SC return code (e.g. 0x80100069) when the failure came from PC/SC. */
  readonly pcscCode: number | undefined;
}

/** The card answered with a status word the protocol step does not allow. */
export class ApduError extends JpkiLockerError {
  constructor(
    /** Status word, e.g. 0x6a82. */
    readonly sw: number,
    /** The protocol step that got it, e.g. `select_ef`. */
    readonly step: string,
  ) {
    super('apdu_status', `${step}: card answered SW ${sw.toString(16).padStart(4, '0')}`);
  }
}

/** Why a response could not be understood. */
export type CardProtocolErrorKind =
  /** Fewer than 2 bytes (no status word). */
  | 'short_response'
  /** A data field of the wrong length (e.g. a signature that is not 256 bytes). */
  | 'bad_length'
  /** A certificate whose DER header is broken or announces an impossible length. */
  | 'bad_der'
  /** A READ BINARY that made no progress or ran past the 15-bit offset space. */
  | 'bad_read'
  /** Data that is well-formed but not what the step expects (unknown token, bad cert). */
  | 'unexpected_data';

/** The card's answer was malformed; `kind` says how. */
export class CardProtocolError extends JpkiLockerError {
  constructor(
    readonly kind: CardProtocolErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`card_protocol_${kind}`, message, options);
  }
}
