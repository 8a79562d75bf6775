/**
 * Every time limit running on the resident (the PIN, "try again", a locker door to open, a
 * door left open) and the one "need more time?" question over them: each limit asks
 * `warnSec` before it runs out; the answer yes starts every running limit again.
 */
import type { Timers } from '../domain/ports.js';
import type { KioskState } from '../flows/screens.js';
import { countdown, type Countdown } from './timed-wait.js';

/** The question as the page gets it. */
export type MoreTimeQuestion = NonNullable<KioskState['moreTime']>;

/** What changed: a limit asked, the resident answered yes, or an asking limit ended. */
export type MoreTimeChange = 'asked' | 'answered' | 'over';

/** See the module comment. */
export class MoreTime {
  readonly #running = new Set<Countdown>();
  readonly #asking = new Map<Countdown, MoreTimeQuestion>();

  constructor(
    private readonly timers: Timers,
    private readonly warnSec: number,
    private readonly changed: (change: MoreTimeChange) => void,
  ) {}

  /** The question to show now (the latest asked), if any. */
  get question(): MoreTimeQuestion | undefined {
    return [...this.#asking.values()].at(-1);
  }

  /**
   * Starts a limit of `timeoutSec`; `expired` runs when it passes. `door` says what the
   * resident is given time for at the lockers (the page words the question by it).
   */
  start(timeoutSec: number, expired: () => void, door?: 'open' | 'close'): Countdown {
    const limit: Countdown = countdown({
      timers: this.timers,
      timeoutSec,
      warnSec: this.warnSec,
      ask: (secondsLeft) => {
        this.#asking.set(limit, { secondsLeft, ...(door ? { door } : {}) });
        this.changed('asked');
      },
      over: () => {
        this.#running.delete(limit);
        if (this.#asking.delete(limit)) this.changed('over');
      },
      expired,
    });
    this.#running.add(limit);
    return limit;
  }

  /** "Need more time?" answered yes: every running limit starts again. False when none runs. */
  extendAll(): boolean {
    if (this.#running.size === 0) return false;
    this.#asking.clear();
    for (const limit of this.#running) limit.restart();
    this.changed('answered');
    return true;
  }

  /** Stops every running limit (the station stops). */
  stopAll(): void {
    for (const limit of [...this.#running]) limit.stop();
  }
}
