/**
 * A wait on the resident (the PIN, "try again") with its timeout and, `warnSec` before it,
 * the "need more time?" question. Both timers are cleared however the wait ends; `extend()`
 * starts the time again.
 */
import type { Timers } from '../domain/ports.js';

/** A pending wait, as the kiosk session keeps it. */
export interface TimedWaiter<T> {
  resolve: (value: T) => void;
  /** Clears the wait's timers (it ended). */
  clear: () => void;
  /** Starts the wait's time again ("need more time?" answered yes). */
  extend: () => void;
}

export interface TimedWaitOptions<T> {
  timers: Timers;
  signal: AbortSignal;
  timeoutSec: number;
  warnSec: number;
  /** Receives the waiter (undefined once aborted). */
  install: (w: TimedWaiter<T> | undefined) => void;
  /** The value on timeout (or throws to reject). */
  onTimeout: () => T;
  /** Ask "need more time?" with this many seconds left. */
  ask: (secondsLeft: number) => void;
  /** The question is over (answered, timed out, or the wait ended). */
  unask: () => void;
  /** The time started again. */
  extended: () => void;
}

/** See the module comment. */
export function timedWait<T>(o: TimedWaitOptions<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (o.signal.aborted) return reject(o.signal.reason as Error);
    const warnSec = Math.min(o.warnSec, o.timeoutSec);
    let timer: unknown;
    let warning: unknown;
    const clear = () => {
      o.timers.clearTimeout(timer);
      o.timers.clearTimeout(warning);
      o.unask();
    };
    const onAbort = () => {
      clear();
      o.install(undefined);
      reject(o.signal.reason as Error);
    };
    const arm = () => {
      clear();
      warning = o.timers.setTimeout(() => o.ask(warnSec), (o.timeoutSec - warnSec) * 1000);
      timer = o.timers.setTimeout(() => {
        o.signal.removeEventListener('abort', onAbort);
        clear();
        try {
          resolve(o.onTimeout());
        } catch (err) {
          reject(err as Error);
        }
      }, o.timeoutSec * 1000);
    };
    o.signal.addEventListener('abort', onAbort, { once: true });
    arm();
    o.install({
      clear,
      extend: () => {
        arm();
        o.extended();
      },
      resolve: (v) => {
        o.signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
    });
  });
}
