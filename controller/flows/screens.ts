/**
 * What the flows show and ask on the kiosk: screen codes, error codes, the published kiosk
 * state, and the {@link FlowUi} port a flow drives (the kiosk session implements it).
 */
import type { Secret } from '../../shared/secret.js';
import type { AttemptReason } from '../../shared/mqtt/events.js';
import type { KioskErrorCode, KioskPageState } from '../../shared/kiosk/state.js';

export type {
  KioskScreenName,
  KioskErrorCode,
  OutOfServiceReason,
} from '../../shared/kiosk/state.js';

/** One compartment on the screen. */
export type ScreenCompartment = NonNullable<KioskPageState['compartments']>[number];

/** One delivery on the loading screen: where it goes and how far it is. */
export type LoadingItem = NonNullable<KioskPageState['loading']>['items'][number];

/** Why a scanned envelope was refused on the loading screen. */
export type ScanRefusal = NonNullable<NonNullable<KioskPageState['loading']>['refused']>;

/** What the loader did on the loading screen. */
export type ScanInput =
  { kind: 'code'; code: string } | { kind: 'pick'; deliveryId: string } | { kind: 'done' };

/**
 * What the kiosk page renders (the wire contract in shared/kiosk/state.ts), published on the
 * `kiosk` SSE channel, with the token of the card session on screen: the page sends it back
 * with every POST (the PIN among them) and the API refuses any other.
 */
export interface KioskState extends KioskPageState {
  token?: string;
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
  /**
   * Waits for the loader: an envelope scanned, a delivery picked on screen, or "done"
   * (also on timeout). Rejects with the signal's reason when aborted.
   */
  waitScan(signal: AbortSignal): Promise<ScanInput>;
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
    case 'not_collected':
    case 'door_left_open':
    case 'lock_failed':
    case 'door_denied':
      return null;
    case 'pin_blocked':
      return 'pin_locked';
    case 'nothing_to_collect':
      return 'no_delivery';
    case 'last_try':
      return 'pin_last_try';
    case 'not_collected':
      return null;
    case 'out_of_service':
    case 'not_my_number_card':
      return 'card_error';
    default:
      return end.code;
  }
}
