/**
 * Small things every driver in hardware/ takes from outside: a logger shape (a pino Logger
 * fits), timers (so tests can use fake timers), and a typed event hub.
 */

/** The part of a structured logger drivers use; `log.child({ component })` from pino fits. */
export interface DriverLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything. */
export const nullLog: DriverLog = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Timer functions, injected so tests can use fake timers. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Monotonic milliseconds. */
  now(): number;
}

/** The process's own timers. */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
};

/** Resolves after `ms` on the given timers. */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}

/**
 * A typed event hub. A listener that throws is logged and does not disturb the driver or the
 * other listeners. `on` returns the unsubscribe function.
 */
export class EventHub<M extends object> {
  readonly #listeners = new Map<keyof M, Set<(payload: never) => void>>();
  constructor(private readonly log: DriverLog = nullLog) {}

  on<E extends keyof M>(event: E, listener: (payload: M[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  emit<E extends keyof M>(event: E, payload: M[E]): void {
    for (const l of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (l as (p: M[E]) => void)(payload);
      } catch (err) {
        this.log.error({ err, event: String(event) }, 'event listener threw');
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
