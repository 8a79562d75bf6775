/**
 * What the kiosk waits for from the resident — the PIN, "try again", the loader's next scan —
 * each under a time limit (with "need more time?" before it): the PIN times out as
 * FlowEnd('pin_timeout'), "try again" as "go to the counter", the scan as "done".
 */
import type { Secret } from '../../shared/secret.js';
import { FlowEnd, type ScanInput } from '../flows/screens.js';
import { timedWait, type Countdown, type TimedWaiter } from './timed-wait.js';

/** See the module comment. */
export class ResidentAnswers {
  #pin: TimedWaiter<Secret> | undefined;
  #retry: TimedWaiter<boolean> | undefined;
  #scan: TimedWaiter<ScanInput> | undefined;

  /** `limit` starts the time limit of one wait. */
  constructor(private readonly limit: (expired: () => void) => Countdown) {}

  /** True while a PIN is being waited for. */
  get waitingForPin(): boolean {
    return this.#pin !== undefined;
  }

  waitPin(signal: AbortSignal): Promise<Secret> {
    return timedWait<Secret>({
      signal,
      start: this.limit,
      install: (w) => (this.#pin = w),
      onTimeout: () => {
        this.#pin = undefined;
        throw new FlowEnd('pin_timeout');
      },
    });
  }

  /** Times out as "go to the counter" (false). */
  waitRetry(signal: AbortSignal): Promise<boolean> {
    return timedWait<boolean>({
      signal,
      start: this.limit,
      install: (w) => (this.#retry = w),
      onTimeout: () => {
        this.#retry = undefined;
        return false;
      },
    });
  }

  /** Times out as "done". */
  waitScan(signal: AbortSignal): Promise<ScanInput> {
    return timedWait<ScanInput>({
      signal,
      start: this.limit,
      install: (w) => (this.#scan = w),
      onTimeout: () => {
        this.#scan = undefined;
        return { kind: 'done' };
      },
    });
  }

  /** A scan, a pick or "done" from the loader. False when none is waited for. */
  scan(input: ScanInput): boolean {
    const w = this.#scan;
    if (!w) return false;
    this.#scan = undefined;
    w.resolve(input);
    return true;
  }

  /** The PIN arrived. False when none is waited for. */
  pin(pin: Secret): boolean {
    const w = this.#pin;
    if (!w) return false;
    this.#pin = undefined;
    w.resolve(pin);
    return true;
  }

  /** "Try again" (true) or "go to the counter" (false). False when not waited for. */
  retry(again: boolean): boolean {
    const w = this.#retry;
    if (!w) return false;
    this.#retry = undefined;
    w.resolve(again);
    return true;
  }

  /** The session ended: nothing is waited for any more ("try again" is answered no). */
  end(): void {
    this.#pin = undefined;
    this.retry(false);
  }
}
