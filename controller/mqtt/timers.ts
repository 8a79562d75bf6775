/**
 * The timers the gateway uses, injected so that its tests run on fake time (a test passes a
 * {@link ManualTimers} and advances it; production uses {@link systemTimers}).
 */
export interface Timers {
  /** Calls `fn` once after `ms`; the handle cancels it. Never keeps the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Calls `fn` every `ms`; the handle cancels it. Never keeps the process alive. */
  setInterval(fn: () => void, ms: number): TimerHandle;
}

/** Cancels one scheduled timer; calling it again does nothing. */
export interface TimerHandle {
  cancel(): void;
}

/** Node's timers, unref'd. */
export const systemTimers: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    t.unref?.();
    return { cancel: () => clearInterval(t) };
  },
};

/** Timers driven by hand: `advance(ms)` runs, in time order, everything that falls due. */
export class ManualTimers implements Timers {
  #now = 0;
  #seq = 0;
  readonly #pending = new Map<number, { at: number; every?: number; fn: () => void }>();
  readonly #scheduled = new Set<(ms: number, repeat: boolean) => void>();

  /** Called whenever a timer is scheduled (its delay, and whether it repeats). */
  onScheduled(listener: (ms: number, repeat: boolean) => void): () => void {
    this.#scheduled.add(listener);
    return () => this.#scheduled.delete(listener);
  }

  /** Milliseconds advanced so far. */
  get nowMs(): number {
    return this.#now;
  }

  /** Delays of the timers currently scheduled, soonest first (relative to now). */
  pendingMs(): number[] {
    return [...this.#pending.values()].map((p) => p.at - this.#now).sort((a, b) => a - b);
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = this.#add({ at: this.#now + Math.max(0, ms), fn });
    for (const l of this.#scheduled) l(ms, false);
    return handle;
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const every = Math.max(1, ms);
    const handle = this.#add({ at: this.#now + every, every, fn });
    for (const l of this.#scheduled) l(ms, true);
    return handle;
  }

  /** Moves time forward by `ms`, firing due timers in order (intervals as often as due). */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; every?: number; fn: () => void }] | undefined;
      for (const e of this.#pending)
        if (e[1].at <= until && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      const [id, t] = next;
      this.#now = t.at;
      if (t.every) t.at += t.every;
      else this.#pending.delete(id);
      t.fn();
    }
    this.#now = until;
  }

  #add(t: { at: number; every?: number; fn: () => void }): TimerHandle {
    const id = ++this.#seq;
    this.#pending.set(id, t);
    return { cancel: () => this.#pending.delete(id) };
  }
}
