/**
 * "Take your card": a card still on the reader `afterSec` after its session ended brings the
 * reminder (the kiosk shows and speaks it) and the `card_left` alarm, cleared when the card
 * is taken or a new session starts.
 */
import type { Timers } from '../domain/ports.js';
import type { AlarmCode, AlarmSeverity } from '../../shared/mqtt/state.js';

/** Where the alarm goes (the ledger's alarm service). */
export interface CardLeftAlarms {
  raiseAlarm(alarm: AlarmCode, severity: AlarmSeverity, target?: string, detail?: string): void;
  clearAlarm(alarm: AlarmCode, target?: string): void;
}

/** See the module comment. */
export class CardLeftReminder {
  #timer: unknown;
  #active = false;

  constructor(
    private readonly timers: Timers,
    private readonly alarms: () => CardLeftAlarms,
    private readonly afterSec: number,
    /** The alarm's target: which reader the card was left on. */
    private readonly target: string,
    /** Shows the reminder; returns false when it no longer applies (card gone, busy). */
    private readonly remind: () => boolean,
  ) {}

  /** The reminder is on screen. */
  get active(): boolean {
    return this.#active;
  }

  /** A session ended with the card still on the reader. */
  sessionEnded(): void {
    this.timers.clearTimeout(this.#timer);
    this.#timer = this.timers.setTimeout(() => {
      this.#active = true;
      if (!this.remind()) {
        this.#active = false;
        return;
      }
      this.alarms().raiseAlarm('card_left', 'info', this.target, 'card left on the reader');
    }, this.afterSec * 1000);
  }

  /** The card was taken (or a new one came): no reminder, the alarm cleared. */
  end(): void {
    this.timers.clearTimeout(this.#timer);
    if (!this.#active) return;
    this.#active = false;
    this.alarms().clearAlarm('card_left', this.target);
  }
}
