/**
 * Bookkeeping shared by every `CardReader` implementation: the reader table, the listeners,
 * and `waitForCard`. Not part of the public contract.
 */
import { CardReaderError } from '../../shared/apdu/errors.js';
import type { CardReaderEvent, ReaderState } from './card-reader.js';

/** Reader table + event fan-out. Listener exceptions are caught and handed to `onListenerError`. */
export class ReaderHub {
  readonly #readers = new Map<string, ReaderState>();
  readonly #listeners = new Set<(e: CardReaderEvent) => void>();

  constructor(private readonly onListenerError: (err: unknown) => void) {}

  /** Readers in name order (copies). */
  list(): ReaderState[] {
    return [...this.#readers.values()]
      .map((r) => ({ ...r }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): ReaderState | undefined {
    const r = this.#readers.get(name);
    return r ? { ...r } : undefined;
  }

  subscribe(listener: (e: CardReaderEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  emit(event: CardReaderEvent): void {
    for (const l of [...this.#listeners]) {
      try {
        l(event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /** Adds a reader (emits `reader-added`); no-op when known. */
  addReader(name: string): void {
    if (this.#readers.has(name)) return;
    this.#readers.set(name, { name, cardPresent: false, atr: undefined });
    this.emit({ type: 'reader-added', reader: name });
  }

  /** Removes a reader, first emitting `card-removed` when it held a card. */
  removeReader(name: string): void {
    const r = this.#readers.get(name);
    if (!r) return;
    if (r.cardPresent) this.setCard(name, undefined);
    this.#readers.delete(name);
    this.emit({ type: 'reader-removed', reader: name });
  }

  /** Records a card (ATR) or its absence (undefined), emitting the matching event on change. */
  setCard(name: string, atr: Uint8Array | undefined): void {
    const r = this.#readers.get(name);
    if (!r) return;
    if (atr) {
      const same = r.cardPresent && r.atr && sameBytes(r.atr, atr);
      if (same) return;
      if (r.cardPresent) {
        r.cardPresent = false;
        r.atr = undefined;
        this.emit({ type: 'card-removed', reader: name });
      }
      r.cardPresent = true;
      r.atr = Uint8Array.from(atr);
      this.emit({ type: 'card-inserted', reader: name, atr: Uint8Array.from(atr) });
    } else if (r.cardPresent) {
      r.cardPresent = false;
      r.atr = undefined;
      this.emit({ type: 'card-removed', reader: name });
    }
  }

  /** Removes every reader (used when the service is lost). */
  clear(): void {
    for (const name of [...this.#readers.keys()]) this.removeReader(name);
  }

  /** First reader holding a card (name order), or the named one if it holds a card. */
  findCard(reader?: string): ReaderState | undefined {
    return this.list().find((r) => r.cardPresent && (reader === undefined || r.name === reader));
  }

  /** Implements `CardReader.waitForCard`. */
  waitForCard(
    options: { reader?: string; timeoutMs?: number; signal?: AbortSignal } = {},
    timers: Timers = defaultTimers,
  ): Promise<ReaderState> {
    const found = this.findCard(options.reader);
    if (found) return Promise.resolve(found);
    return new Promise<ReaderState>((resolve, reject) => {
      let timer: unknown;
      const done = (): void => {
        unsubscribe();
        if (timer !== undefined) timers.clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const unsubscribe = this.subscribe((e) => {
        if (e.type !== 'card-inserted') return;
        const r = this.findCard(options.reader);
        if (!r) return;
        done();
        resolve(r);
      });
      const onAbort = (): void => {
        done();
        reject(options.signal?.reason ?? new CardReaderError('closed', 'aborted'));
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        timer = timers.setTimeout(() => {
          done();
          reject(new CardReaderError('timeout', `no card within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
    });
  }
}

/** Timer functions, injectable so tests can use fake timers. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const defaultTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Runs async tasks one at a time in submission order (the per-session command queue).
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(task, task);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
