/**
 * The kiosk's screen and waiters: listens for card insertion and removal, runs one
 * {@link CardSessionFlow} per card, and is the flows' {@link FlowUi} — it publishes every
 * screen (with the station's status line), waits for the PIN, "cancel" and "try again"
 * from the web routes, and clears each of its timers when what it waited for ends.
 *
 * Nobody is left stuck: `moreTimeSec` before any time limit on the resident runs out (the
 * PIN, "try again", a locker door to open, a door left open) the screen asks "need more
 * time?" (answered by {@link KioskSession.moreTime}); a card still on the reader `cardLeftSec`
 * after its session ended brings the "take your card" reminder and the `card_left` alarm; the
 * idle screen names what makes pickups impossible (reader, boards, outbox, CRL) from the
 * station's alarms (see station-view.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Secret } from '../../shared/secret.js';
import type { CardSource, Timers } from '../domain/ports.js';
import { realTimers } from '../domain/ports.js';
import type { CardSessionFlow } from '../flows/card-session.js';
import type { Ledger } from '../flows/ledger/ledger.js';
import {
  FlowEnd,
  type FlowUi,
  type KioskState,
  type ScanInput,
  type Screen,
} from '../flows/screens.js';
import { CardLeftReminder } from './card-left-reminder.js';
import { MoreTime, type MoreTimeChange } from './more-time.js';
import { ResidentAnswers } from './resident-answers.js';
import { stationView, type StationViewOptions } from './station-view.js';

export type { KioskErrorCode, KioskScreenName, KioskState } from '../flows/screens.js';

export interface KioskSessionOptions extends StationViewOptions {
  pinTimeoutSec: number;
  /** How long a final screen stays before going back to idle (card still in). */
  resultScreenSec?: number;
  timers?: Timers;
  /** Token source for each card session (default 16 random bytes, hex). */
  token?: () => string;
  /** "Need more time?" this long before a time limit runs out (default 15 s). */
  moreTimeSec?: number;
  /** A card still on the reader this long after its session: the reminder (default 30 s). */
  cardLeftSec?: number;
  /** The `card_left` alarm's target (default `reader`; a door reader's: `door:<id>`). */
  cardLeftTarget?: string;
}

/** See the module comment. */
export class KioskSession implements FlowUi {
  #state: KioskState;
  #rev = 0;
  #busy = false;
  #insertPending = false;
  readonly #stopping = new AbortController();
  #abort: AbortController | undefined;
  #unsubscribe: (() => void)[] = [];
  #idleTimer: unknown;
  #pastPointOfNoReturn = false;
  #token: string | undefined;
  #cardPresent = false;
  readonly #moreTime: MoreTime;
  readonly #answers: ResidentAnswers;
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
    this.#moreTime = new MoreTime(this.#timers, options.moreTimeSec ?? 15, (c) =>
      this.#moreTimeChanged(c),
    );
    this.#answers = new ResidentAnswers((expired) =>
      this.#moreTime.start(options.pinTimeoutSec, expired),
    );
    this.#reminder = new CardLeftReminder(
      this.#timers,
      () => this.ledger.alarms,
      options.cardLeftSec ?? 30,
      options.cardLeftTarget ?? 'reader',
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
    this.#answers.end();
    this.#abort?.abort(new FlowEnd('cancelled'));
    this.#timers.clearTimeout(this.#idleTimer);
    this.#reminder.end();
    this.#moreTime.stopAll();
  }

  /**
   * "Need more time?" answered yes: every time limit on the resident (PIN, "try again", the
   * lockers' doors) starts its time again. Returns false when none is running.
   */
  moreTime(): boolean {
    return this.#moreTime.extendAll();
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
    if (!this.#answers.waitingForPin || this.#state.screen !== 'pin') return false;
    if (token !== undefined && token !== this.#token) return false;
    this.#pinAt = performance.now();
    return this.#answers.pin(pin);
  }

  /** "Cancel" on the screen: ends the session without spending anything. */
  cancel(): boolean {
    if (!this.#abort || this.#pastPointOfNoReturn) return false;
    this.#abort.abort(new FlowEnd('cancelled'));
    return true;
  }

  /** "Try again" (true) or "go to the counter" (false) after a lock did not open. */
  retry(again: boolean): boolean {
    return this.#answers.retry(again);
  }

  /**
   * The loader scanned an envelope (keyboard-wedge scanner on the page), picked a delivery
   * on screen, or pressed "done". False when the screen is not waiting for one.
   */
  submitScan(input: ScanInput): boolean {
    return this.#answers.scan(input);
  }

  // ------------------------------------------------------------------ FlowUi

  show(s: Screen): void {
    this.#showNow(s);
  }

  waitPin(signal: AbortSignal): Promise<Secret> {
    return this.#answers.waitPin(signal);
  }

  waitRetry(signal: AbortSignal): Promise<boolean> {
    return this.#answers.waitRetry(signal);
  }

  deadline(timeoutSec: number, door: 'open' | 'close', expired: () => void): () => void {
    const limit = this.#moreTime.start(timeoutSec, expired, door);
    return () => limit.stop();
  }

  waitScan(signal: AbortSignal): Promise<ScanInput> {
    return this.#answers.waitScan(signal);
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

  /**
   * Asked: the same screen again with the question. Answered: the same screen again without
   * it. An asking limit ended: the question goes quietly (the flow shows what comes next).
   */
  #moreTimeChanged(change: MoreTimeChange): void {
    if (change !== 'over') return this.#republish();
    const { moreTime: _gone, ...rest } = this.#state;
    const question = this.#moreTime.question;
    this.#state = question ? { ...rest, moreTime: question } : rest;
  }

  /** The same screen again (a fresh rev, station line and question). */
  #republish(): void {
    const { moreTime: _old, rev: _rev, station: _station, token: _token, ...screen } = this.#state;
    this.#showNow(screen as Screen);
  }

  #station(): KioskState['station'] {
    return stationView(this.ledger, this.options);
  }

  #showNow(s: Screen): void {
    if (s.screen === 'idle' && this.#reminder.active) s = { ...s, reminder: 'card_left' };
    const question = this.#moreTime.question;
    this.#state = {
      ...s,
      ...(question && s.screen !== 'idle' ? { moreTime: question } : {}),
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
    this.#answers.end();
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
