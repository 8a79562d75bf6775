/**
 * Time limits on the resident. A {@link Countdown} runs out after `timeoutSec` and, `warnSec`
 * before that, asks "need more time?"; `restart()` gives the full time again. A
 * {@link timedWait} is a wait for the resident's answer (the PIN, "try again") under one
 * countdown: the countdown stops however the wait ends.
 */
import type { Timers } from '../domain/ports.js';

/** A running time limit. */
export interface Countdown {
  /** Stops it (what it limited is over); nothing more is asked or expires. */
  stop(): void;
  /** Starts the full time again ("need more time?" answered yes). */
  restart(): void;
}

export interface CountdownOptions {
  timers: Timers;
  timeoutSec: number;
  warnSec: number;
  /** Ask "need more time?" with this many seconds left. */
  ask: (secondsLeft: number) => void;
  /** The time ran out (called after `over`). */
  expired: () => void;
  /** It stopped or ran out: it is no longer running. */
  over: () => void;
}

/** See the module comment. */
export function countdown(o: CountdownOptions): Countdown {
  const warnSec = Math.min(o.warnSec, o.timeoutSec);
  let timer: unknown;
  let warning: unknown;
  let running = true;
  const clear = () => {
    o.timers.clearTimeout(timer);
    o.timers.clearTimeout(warning);
  };
  const end = () => {
    if (!running) return false;
    running = false;
    clear();
    o.over();
    return true;
  };
  const arm = () => {
    clear();
    warning = o.timers.setTimeout(() => o.ask(warnSec), (o.timeoutSec - warnSec) * 1000);
    timer = o.timers.setTimeout(() => {
      if (end()) o.expired();
    }, o.timeoutSec * 1000);
  };
  arm();
  return {
    stop: () => void end(),
    restart: () => {
      if (running) arm();
    },
  };
}

/** A pending wait, as the kiosk session keeps it. */
export interface TimedWaiter<T> {
  /** The resident answered: stops the countdown and ends the wait with `value`. */
  resolve: (value: T) => void;
}

export interface TimedWaitOptions<T> {
  signal: AbortSignal;
  /** Starts the wait's countdown; `expired` ends the wait with `onTimeout`. */
  start: (expired: () => void) => Countdown;
  /** Receives the waiter (undefined once aborted). */
  install: (w: TimedWaiter<T> | undefined) => void;
  /** The value on timeout (or throws to reject). */
  onTimeout: () => T;
}

/** See the module comment. */
export function timedWait<T>(o: TimedWaitOptions<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (o.signal.aborted) return reject(o.signal.reason as Error);
    const onAbort = () => {
      limit.stop();
      o.install(undefined);
      reject(o.signal.reason as Error);
    };
    const limit = o.start(() => {
      o.signal.removeEventListener('abort', onAbort);
      try {
        resolve(o.onTimeout());
      } catch (err) {
        reject(err as Error);
      }
    });
    o.signal.addEventListener('abort', onAbort, { once: true });
    o.install({
      resolve: (v) => {
        o.signal.removeEventListener('abort', onAbort);
        limit.stop();
        resolve(v);
      },
    });
  });
}
