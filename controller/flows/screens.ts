/**
 * What the flows show and ask on the kiosk: screen codes, error codes, the published kiosk
 * state, and the {@link FlowUi} port a flow drives (the kiosk session implements it).
 */
import type { Secret } from '../../shared/secret.js';
import type { AttemptReason } from '../../shared/mqtt/events.js';

/** Screen codes: the kiosk page shows one message per code, in Japanese and English. */
export type KioskScreenName =
  | 'idle'
  | 'reading'
  | 'pin'
  | 'verifying'
  | 'opening'
  | 'open'
  | 'collected'
  | 'loading'
  | 'loaded'
  | 'retrieval'
  | 'door_open'
  | 'out_of_service'
  | 'error';

/** Edge cases, each with its own message on the screen. */
export type KioskErrorCode =
  | 'pin_blocked'
  | 'pin_timeout'
  | 'cert_revoked'
  | 'cert_expired'
  | 'cert_untrusted'
  | 'crl_stale'
  | 'nothing_to_collect'
  | 'card_removed'
  | 'card_error'
  | 'proof_failed'
  | 'door_not_opened'
  | 'door_left_open'
  | 'lock_failed'
  | 'deadline_passed'
  | 'outside_hours'
  | 'maintenance_mode'
  | 'door_denied'
  | 'last_try'
  | 'out_of_service'
  /** The card has no JPKI application (a transit card, a bank card): "this is not a My Number card". */
  | 'not_my_number_card'
  | 'cancelled';

/** One compartment on the screen. */
export interface ScreenCompartment {
  id: string;
  state: 'opening' | 'open' | 'closed' | 'failed' | 'not_opened' | 'left_open';
}

/** What the kiosk page renders; published on the `kiosk` SSE channel. */
export interface KioskState {
  screen: KioskScreenName;
  /** Increments on every change, so a page can ignore stale messages. */
  rev: number;
  error?: KioskErrorCode;
  /** Reason code from the trust engine or door rules, for the detail line. */
  reason?: string;
  triesLeft?: number;
  /** The last PIN typed was wrong. */
  wrongPin?: boolean;
  /** A smartphone certificate: its certificate is read and checked after the PIN. */
  device?: 'phone';
  compartments?: ScreenCompartment[];
  /** The screen offers "try again" (a lock that did not open). */
  canRetry?: boolean;
  door?: string;
  /** Token of the card session on screen; the page sends it back with the PIN. */
  token?: string;
  station: {
    name: string;
    hours: { open: string; close: string };
    open: boolean;
    mode: string;
    alarms: number;
    /** Pickups are refused until a current CRL arrives (alarm crl_stale): shown on the idle screen. */
    crlStale: boolean;
    /** Only the outbox's safety reserve is left: no new sessions start. */
    outOfService?: boolean;
  };
}

/** A screen as a flow shows it (the session adds `rev`, `station` and `token`). */
export type Screen = Omit<KioskState, 'rev' | 'station' | 'token'>;

/** Thrown inside a flow to end it on an error screen, with the reason recorded. */
export class FlowEnd extends Error {
  constructor(
    readonly code: KioskErrorCode,
    readonly reason?: string,
    /** The attempt reason to record (default: derived from `code`); null: record nothing. */
    readonly record?: AttemptReason | null,
  ) {
    super(code);
    this.name = 'FlowEnd';
  }
}

/** What a flow can do with the screen (implemented by the kiosk session). */
export interface FlowUi {
  show(screen: Screen): void;
  /** Waits for the PIN typed on the pad; rejects with FlowEnd('pin_timeout') or the abort. */
  waitPin(signal: AbortSignal): Promise<Secret>;
  /** Waits for "try again" (true) or "go to the counter" / timeout (false). */
  waitRetry(signal: AbortSignal): Promise<boolean>;
  /** Locks were opened: removing the card no longer cancels anything. */
  pastPointOfNoReturn(): void;
  /** Aborts when the station stops (door observation ends). */
  readonly stopping: AbortSignal;
  /** Called when the PIN arrived (benchmark start point). */
  pinArrivedAt(): number;
  /** Called when every unlock command is on its way (benchmark end point). */
  unlocksSent(): void;
}

/** The attempt reason recorded for an error code. */
export function attemptReasonOf(end: FlowEnd): AttemptReason | null {
  if (end.record !== undefined) return end.record;
  switch (end.code) {
    case 'door_not_opened':
    case 'door_left_open':
    case 'lock_failed':
    case 'door_denied':
      return null;
    case 'pin_blocked':
      return 'pin_locked';
    case 'nothing_to_collect':
    case 'last_try':
      return 'no_delivery';
    case 'out_of_service':
    case 'not_my_number_card':
      return 'card_error';
    default:
      return end.code;
  }
}
