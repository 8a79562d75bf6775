/**
 * The kiosk's screen and waiters: listens for card insertion and removal, runs one
 * {@link CardSessionFlow} per card, and is the flows' {@link FlowUi} — it publishes every
 * screen (with the station's status line), waits for the PIN, "cancel" and "try again"
 * from the web routes, and clears each of its timers when what it waited for ends.
 *
 * Nobody is left stuck: `moreTimeSec` before a wait times out the screen asks "need more
 * time?" (answered by {@link KioskSession.moreTime}); a card still on the reader `cardLeftSec`
 * after its session ended brings the "take your card" reminder and the `card_left` alarm; the
 * idle screen names what makes pickups impossible (reader, boards, outbox, CRL) from the
 * station's alarms.
 */
import { randomBytes } from 'node:crypto';
import type { Secret } from '../../shared/secret.js';
import type { CardSource, Timers } from '../domain/ports.js';
import { realTimers } from '../domain/ports.js';
import { withinHours } from '../domain/schedule.js';
import type { CardSessionFlow } from '../flows/card-session.js';
import type { Ledger } from '../flows/ledger/ledger.js';
import {
  FlowEnd,
  type FlowUi,
  type KioskState,
  type OutOfServiceReason,
  type ScanInput,
  type Screen,
} from '../flows/screens.js';
import type { AlarmCode } from '../../shared/mqtt/state.js';
import { OUT_OF_SERVICE_REASONS } from '../../shared/kiosk/state.js';
import { CardLeftReminder } from './card-left-reminder.js';
import { timedWait, type TimedWaiter } from './timed-wait.js';

export type { KioskErrorCode, KioskScreenName, KioskState } from '../flows/screens.js';

export interface KioskSessionOptions {
  stationName: string;
  timezone: string;
  hours: { open: string; close: string };
  pinTimeoutSec: number;
  /** How long a final screen stays before going back to idle (card still in). */
  resultScreenSec?: number;
  now: () => Date;
  timers?: Timers;
  /** Token source for each card session (default 16 random bytes, hex). */
  token?: () => string;
  /** "Need more time?" this long before a wait times out (default 15 s). */
  moreTimeSec?: number;
  /** A card still on the reader this long after its session: the reminder (default 30 s). */
  cardLeftSec?: number;
}

type Waiter<T> = TimedWaiter<T>;

/** The alarms that make pickups impossible, and the plain words the idle screen uses. */
const OUT_OF_SERVICE: Partial<Record<AlarmCode, OutOfServiceReason>> = {
  reader_gone: 'reader',
  board_unreachable: 'boards',
  outbox_full: 'outbox',
  crl_stale: 'crl',
};

/** See the module comment. */
export class KioskSession implements FlowUi {
  #state: KioskState;
  #rev = 0;
  #busy = false;
  #insertPending = false;
  readonly #stopping = new AbortController();
  #abort: AbortController | undefined;
  #pinWaiter: Waiter<Secret> | undefined;
  #retryWaiter: Waiter<boolean> | undefined;
  #scanWaiter: Waiter<ScanInput> | undefined;
  #unsubscribe: (() => void)[] = [];
  #idleTimer: unknown;
  #pastPointOfNoReturn = false;
  #token: string | undefined;
  #cardPresent = false;
  #asking = false;
  readonly #reminder: CardLeftReminder;
  readonly #timers: Timers;
  #flow: Promise<void> = Promise.resolve();
  /** Time from the PIN's arrival to the unlock command(s) sent, for the benchmark. */
  lastPinToUnlockMs: number | undefined;
  #pinAt = 0;

  constructor(
    private readonly ledger: Ledger,
    private readonly cards: CardSource,
    private readonly flow: CardSessionFlow,
    private readonly publish: (state: KioskState) => void,
    private readonly options: KioskSessionOptions,
  ) {
    this.#timers = options.timers ?? realTimers;
    this.#reminder = new CardLeftReminder(
      this.#timers,
      () => this.ledger.alarms,
      options.cardLeftSec ?? 30,
      () => {
        if (!this.#cardPresent || this.#busy) return false;
        this.#timers.clearTimeout(this.#idleTimer);
        this.#showNow({ screen: 'idle' });
        return true;
      },
    );
    this.#state = { screen: 'idle', rev: 0, station: this.#station() };
  }

  /** Current screen. */
  get state(): KioskState {
    return this.#state;
  }

  /** Resolves when the flow in progress (if any) has ended. */
  get settled(): Promise<void> {
    return this.#flow;
  }

  /** Aborts when the station stops. */
  get stopping(): AbortSignal {
    return this.#stopping.signal;
  }

  /** The current card session's token (the page sends it with the PIN). */
  get token(): string | undefined {
    return this.#token;
  }

  /** Starts listening for cards and shows the idle screen. */
  start(): void {
    this.#unsubscribe.push(
      this.cards.onCard((e) => (e === 'inserted' ? this.#onInserted() : this.#onRemoved())),
      // The idle screen shows the station's status: refresh it when alarms or the mode change.
      this.ledger.onStateChange((part) => {
        if (part !== 'alarms') return;
        this.#state = { ...this.#state, rev: ++this.#rev, station: this.#station() };
        this.publish(this.#state);
      }),
    );
    this.#showNow({ screen: 'idle' });
  }

  stop(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#stopping.abort();
    this.retry(false);
    this.#abort?.abort(new FlowEnd('cancelled'));
    this.#timers.clearTimeout(this.#idleTimer);
    this.#reminder.end();
  }

  /**
   * "Need more time?" answered yes: the PIN or "try again" wait starts its time again.
   * Returns false when nothing is waiting.
   */
  moreTime(): boolean {
    const w = this.#pinWaiter ?? this.#retryWaiter;
    if (!w) return false;
    w.extend();
    return true;
  }

  /** Republishes the idle screen (hours, status changed). */
  refreshIdle(): void {
    if (this.#state.screen === 'idle') this.#showNow({ screen: 'idle' });
  }

  /**
   * A PIN typed on the screen. Returns false when no PIN is being asked, or when `token` is
   * given and is not the current session's. A malformed PIN is refused by the caller before
   * it gets here: it never reaches the card and never spends a try.
   */
  submitPin(pin: Secret, token?: string): boolean {
    const w = this.#pinWaiter;
    if (!w || this.#state.screen !== 'pin') return false;
    if (token !== undefined && token !== this.#token) return false;
    this.#pinWaiter = undefined;
    w.clear();
    this.#pinAt = performance.now();
    w.resolve(pin);
    return true;
  }

  /** "Cancel" on the screen: ends the session without spending anything. */
  cancel(): boolean {
    if (!this.#abort || this.#pastPointOfNoReturn) return false;
    this.#abort.abort(new FlowEnd('cancelled'));
    return true;
  }

  /** "Try again" (true) or "go to the counter" (false) after a lock did not open. */
  retry(again: boolean): boolean {
    const w = this.#retryWaiter;
    if (!w) return false;
    this.#retryWaiter = undefined;
    w.clear();
    w.resolve(again);
    return true;
  }

  /**
   * The loader scanned an envelope (keyboard-wedge scanner on the page), picked a delivery
   * on screen, or pressed "done". False when the screen is not waiting for one.
   */
  submitScan(input: ScanInput): boolean {
    const w = this.#scanWaiter;
    if (!w) return false;
    this.#scanWaiter = undefined;
    w.clear();
    w.resolve(input);
    return true;
  }

  // ------------------------------------------------------------------ FlowUi

  show(s: Screen): void {
    this.#showNow(s);
  }

  waitPin(signal: AbortSignal): Promise<Secret> {
    return this.#wait<Secret>(
      signal,
      (w) => (this.#pinWaiter = w),
      () => {
        this.#pinWaiter = undefined;
        throw new FlowEnd('pin_timeout');
      },
    );
  }

  waitRetry(signal: AbortSignal): Promise<boolean> {
    return this.#wait<boolean>(
      signal,
      (w) => (this.#retryWaiter = w),
      () => {
        this.#retryWaiter = undefined;
        return false;
      },
    );
  }

  waitScan(signal: AbortSignal): Promise<ScanInput> {
    return this.#wait<ScanInput>(
      signal,
      (w) => (this.#scanWaiter = w),
      () => {
        this.#scanWaiter = undefined;
        return { kind: 'done' };
      },
    );
  }

  pastPointOfNoReturn(): void {
    this.#pastPointOfNoReturn = true;
  }

  pinArrivedAt(): number {
    return this.#pinAt;
  }

  unlocksSent(): void {
    if (this.#pinAt) this.lastPinToUnlockMs = performance.now() - this.#pinAt;
  }

  // ------------------------------------------------------------------ internals

  /** A wait on the resident, with "need more time?" before it times out. */
  #wait<T>(
    signal: AbortSignal,
    install: (w: Waiter<T> | undefined) => void,
    onTimeout: () => T,
  ): Promise<T> {
    return timedWait<T>({
      timers: this.#timers,
      signal,
      timeoutSec: this.options.pinTimeoutSec,
      warnSec: this.options.moreTimeSec ?? 15,
      install,
      onTimeout,
      ask: (secondsLeft) => {
        this.#asking = true;
        this.#republish({ moreTime: { secondsLeft } });
      },
      unask: () => {
        if (!this.#asking) return;
        this.#asking = false;
        const { moreTime: _gone, ...rest } = this.#state;
        this.#state = rest;
      },
      extended: () => this.#republish({}),
    });
  }

  /** The same screen again with `extra` (a fresh rev and station line). */
  #republish(extra: Partial<KioskState>): void {
    const { moreTime: _old, rev: _rev, station: _station, token: _token, ...screen } = this.#state;
    this.#showNow({ ...screen, ...extra } as Screen);
  }

  #station(): KioskState['station'] {
    const alarms = this.ledger.alarms.alarms();
    // In one fixed order, whatever order the alarms came in.
    const causes = new Set(alarms.map((a) => OUT_OF_SERVICE[a.alarm]));
    // Only the outbox's safety reserve left: no session starts (the alarm may lag behind).
    if (this.ledger.uow.reserveOnly) causes.add('outbox');
    const outOfService = OUT_OF_SERVICE_REASONS.filter((r) => causes.has(r));
    return {
      name: this.options.stationName,
      hours: this.options.hours,
      open: withinHours(this.options.hours, this.options.timezone, this.options.now()),
      mode: this.ledger.alarms.mode(),
      alarms: alarms.length,
      crlStale: alarms.some((a) => a.alarm === 'crl_stale'),
      ...(outOfService.length ? { outOfService } : {}),
    };
  }

  #showNow(s: Screen): void {
    if (s.screen === 'idle' && this.#reminder.active) s = { ...s, reminder: 'card_left' };
    this.#state = {
      ...s,
      rev: ++this.#rev,
      station: this.#station(),
      ...(this.#token && s.screen !== 'idle' ? { token: this.#token } : {}),
    };
    this.publish(this.#state);
  }

  #onInserted(): void {
    this.#cardPresent = true;
    this.#reminder.end();
    if (this.#busy) {
      // The previous flow is winding down (its last screen is up): start once it has.
      this.#insertPending = true;
      return;
    }
    this.#busy = true;
    this.#pastPointOfNoReturn = false;
    this.#pinAt = 0;
    this.#token = this.options.token?.() ?? randomBytes(16).toString('hex');
    this.#timers.clearTimeout(this.#idleTimer);
    const abort = new AbortController();
    this.#abort = abort;
    this.#showNow({ screen: 'reading' });
    this.#flow = this.flow
      .run(() => this.cards.open(), this, abort.signal)
      .finally(() => this.#afterFlow());
  }

  #afterFlow(): void {
    this.#abort = undefined;
    this.#busy = false;
    this.#pinWaiter = undefined;
    this.retry(false);
    if (this.#insertPending) {
      this.#insertPending = false;
      this.#onInserted();
      return;
    }
    if (this.#state.screen !== 'idle') {
      this.#idleTimer = this.#timers.setTimeout(
        () => this.#showNow({ screen: 'idle' }),
        (this.options.resultScreenSec ?? 10) * 1000,
      );
    }
    if (this.#cardPresent) this.#reminder.sessionEnded();
  }

  #onRemoved(): void {
    this.#cardPresent = false;
    this.#reminder.end();
    this.#insertPending = false;
    if (this.#abort && !this.#pastPointOfNoReturn) {
      this.#abort.abort(new FlowEnd('card_removed'));
    } else if (!this.#busy) {
      this.#timers.clearTimeout(this.#idleTimer);
      this.#token = undefined;
      this.#showNow({ screen: 'idle' });
    }
  }
}
