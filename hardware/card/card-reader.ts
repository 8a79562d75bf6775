/**
 * The card-reader contract. Drivers know readers, ATRs and APDU bytes; they know nothing of
 * JPKI, residents or PINs (the JPKI client in controller/card builds on `CardSession`).
 *
 * Behaviour every implementation keeps (the contract suite in test/card checks it):
 * - `start()` begins watching readers; reader and card events then arrive through `onEvent`.
 *   It resolves once the first reader list is known (possibly empty). `stop()` releases
 *   everything, rejects pending calls with `CardReaderError('closed')`, and is idempotent.
 * - Listeners never receive an exception-style 'error' event: a lost service (pcscd killed)
 *   becomes a `service-lost` event, then the driver recovers on its own with a new context and
 *   emits `service-restored` and fresh `reader-added` events. No unhandled error can escape.
 * - `connect()` opens an exclusive session on a reader holding a card. It rejects with
 *   `CardReaderError` (`no_reader`, `no_card`, `busy`, `service_unavailable`).
 * - `CardSession.transmit()` sends one command APDU and resolves with the full response
 *   (data + SW1 SW2). T=0 `61 XX` / `6C XX` are handled inside (GET RESPONSE / resend), so
 *   callers see T=0 and T=1 cards alike. Overlapping calls on one session are queued and run
 *   one at a time in call order; a card is never sent two commands at once.
 * - When the card is removed, the pending call and every later call on that session reject
 *   with `CardRemovedError`; the session is dead (open a new one for the next card).
 * - A call that gets no answer within `transmitTimeoutMs` rejects with
 *   `CardReaderError('timeout')` and the session is closed.
 */
import type { ApduTransmit } from '../../shared/apdu/apdu.js';

/** A reader as last seen. */
export interface ReaderState {
  name: string;
  /** True while a card is in the field / slot and powered or poweable. */
  cardPresent: boolean;
  /** The ATR of the present card (never used to recognise the card), else undefined. */
  atr: Uint8Array | undefined;
}

/** Something that happened on the reader side. */
export type CardReaderEvent =
  | { type: 'reader-added'; reader: string }
  | { type: 'reader-removed'; reader: string }
  | { type: 'card-inserted'; reader: string; atr: Uint8Array }
  | { type: 'card-removed'; reader: string }
  /** The PC/SC service went away; the driver is retrying. `cause` is for logs only. */
  | { type: 'service-lost'; cause: unknown }
  /** A new context to the service works again. */
  | { type: 'service-restored' };

/** Transmission protocol negotiated with the card. */
export type CardProtocol = 'T=0' | 'T=1' | 'raw';

/** What to do with the card when a session closes. */
export type CardDisposition = 'leave' | 'reset' | 'unpower';

/** An exclusive session with one card in one reader. */
export interface CardSession {
  readonly reader: string;
  readonly atr: Uint8Array;
  readonly protocol: CardProtocol;
  /** True until the card is removed, the session is closed or a timeout killed it. */
  readonly open: boolean;
  /** See the module comment: queued, T=0 handled, `CardRemovedError` after removal. */
  transmit: ApduTransmit;
  /**
   * Ends the session; the default `reset` clears any verified PIN state on the card.
   * Idempotent; never throws (a session whose card is gone just ends).
   */
  close(disposition?: CardDisposition): Promise<void>;
}

/** Options of `connect()`. */
export interface ConnectOptions {
  /** Reader name; default the first reader (in name order) that holds a card. */
  reader?: string;
}

/** A source of card sessions: PC/SC or a simulation. */
export interface CardReader {
  /** Technology name, e.g. `pcsc` or `sim`, for logs and the `Component` shape. */
  readonly name: string;
  /** Starts watching. See the module comment. `signal` aborts start-up. */
  start(signal?: AbortSignal): Promise<void>;
  /** Stops watching and closes every session. Idempotent. */
  stop(): Promise<void>;
  /** Readers as last seen, in name order. */
  readers(): ReaderState[];
  /** Subscribes to events; returns the unsubscribe function. Listener exceptions are caught. */
  onEvent(listener: (event: CardReaderEvent) => void): () => void;
  /** Opens an exclusive session. See the module comment for failures. */
  connect(options?: ConnectOptions): Promise<CardSession>;
  /**
   * Resolves with the reader state once a card is present (immediately when one already is),
   * on the named reader or any reader. Rejects with `CardReaderError('timeout')` after
   * `timeoutMs` (when given) and with the signal's reason when aborted.
   */
  waitForCard(options?: {
    reader?: string;
    timeoutMs?: number;
    signal?: AbortSignal;
  }): Promise<ReaderState>;
}
