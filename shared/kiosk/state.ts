/**
 * The kiosk page's wire contract: what the daemon publishes on the `kiosk` SSE channel and the
 * codes the page has a message for (shared/i18n). No I/O here.
 */

/** Screen codes: the page shows one message per code. */
export const KIOSK_SCREENS = [
  'idle',
  /** Idle while pickups are impossible (station.outOfService says why). */
  'out_of_service',
  'reading',
  'pin',
  'verifying',
  'opening',
  'open',
  'collected',
  'loading',
  'loaded',
  'retrieval',
  'door_open',
  'error',
] as const;
export type KioskScreenName = (typeof KIOSK_SCREENS)[number];

/** Edge cases, each with its own message. */
export const KIOSK_ERROR_CODES = [
  'pin_blocked',
  'pin_timeout',
  'cert_revoked',
  'cert_expired',
  'cert_untrusted',
  'crl_stale',
  /** The revocation data is dated in the future (clock wrong?): cards cannot be checked. */
  'crl_not_yet_valid',
  'nothing_to_collect',
  'card_removed',
  'card_error',
  'proof_failed',
  'door_not_opened',
  'not_collected',
  'door_left_open',
  'lock_failed',
  'deadline_passed',
  'outside_hours',
  'maintenance_mode',
  'door_denied',
  /** One PIN try left and nothing that needs it here: the card is not put at risk. */
  'last_try',
  /** A session refused because pickups are impossible right now. */
  'out_of_service',
  /** The card has no JPKI application (a transit card, a bank card): "this is not a My Number card". */
  'not_my_number_card',
  'cancelled',
] as const;
export type KioskErrorCode = (typeof KIOSK_ERROR_CODES)[number];

/** Why pickups are impossible right now: the idle screen says which, in plain words. */
export const OUT_OF_SERVICE_REASONS = [
  'reader',
  'boards',
  'outbox',
  'crl',
  'crl_not_yet_valid',
] as const;
export type OutOfServiceReason = (typeof OUT_OF_SERVICE_REASONS)[number];

export const COMPARTMENT_VIEW_STATES = [
  'opening',
  'open',
  'closed',
  'failed',
  'not_opened',
  'not_collected',
  'left_open',
] as const;
export type CompartmentViewState = (typeof COMPARTMENT_VIEW_STATES)[number];

/** The station part of every kiosk state (idle screen, footer). */
export interface KioskStationView {
  name: string;
  hours: { open: string; close: string };
  open: boolean;
  mode: string;
  alarms: number;
  /** Pickups are refused until a current CRL arrives (alarm crl_stale). */
  crlStale: boolean;
  /** Non-empty: pickups are impossible; the idle screen is the out-of-service screen. */
  outOfService?: OutOfServiceReason[];
}

/** What the kiosk page renders; published on the `kiosk` SSE channel. */
export interface KioskPageState {
  screen: KioskScreenName;
  /** Increments on every change, so a page can ignore stale messages. */
  rev: number;
  error?: KioskErrorCode;
  /** Reason code for the audit trail and tests; never shown on the screen. */
  reason?: string;
  triesLeft?: number;
  /** The last PIN typed was wrong. */
  wrongPin?: boolean;
  /** A smartphone certificate: its certificate is read and checked after the PIN. */
  device?: 'phone';
  compartments?: { id: string; state: CompartmentViewState }[];
  /** The screen offers "try again" (a lock that did not open). */
  canRetry?: boolean;
  door?: string;
  /**
   * Loading one item at a time: every delivery waiting to be loaded and where it goes, the
   * one whose compartment is open now, and why the last scanned envelope was refused.
   */
  loading?: {
    items: {
      deliveryId: string;
      compartment: string;
      state: 'waiting' | 'open' | 'loaded' | 'failed';
    }[];
    current?: string;
    refused?: 'unknown_envelope' | 'wrong_envelope' | 'already_loaded';
  };
  /**
   * A timeout is close: the page asks "need more time?" (POST /api/kiosk/more-time). `door`:
   * the time is for opening a locker door (`open`) or for finishing and closing it (`close`).
   */
  moreTime?: { secondsLeft: number; door?: 'open' | 'close' };
  /** The session is over but the card is still on the reader. */
  reminder?: 'card_left';
  station: KioskStationView;
}

/** The kiosk page's settings, from `GET /api/kiosk/config`. */
export interface KioskPageConfig {
  defaultLanguage: string;
  help: { phone: string; hours: string; text: string; qrSvg: string } | null;
}
