import type { LockerBoard } from '../../hardware/locker-board/locker-board.js';
import type { CompartmentHardware, Timers, UnlockOutcome } from '../domain/ports.js';
import { realTimers } from '../domain/ports.js';

/** Where a compartment is on the bus. */
export interface CompartmentWiring {
  id: string;
  board: number;
  lock: number;
}

/**
 * Compartments on locker boards. A door counts as open while its latch reads released
 * (the hook engages exactly when the door is shut). A real bus reports changes only when
 * its status is read, so while anyone watches door changes the boards are polled every
 * `pollMs`.
 */
export class BoardCompartments implements CompartmentHardware {
  readonly #byId = new Map<string, CompartmentWiring>();
  readonly #byLock = new Map<string, string>();
  readonly #latched = new Map<string, boolean>();
  readonly #occupied = new Map<string, boolean>();
  readonly #listeners = new Set<(compartment: string, open: boolean) => void>();
  #unsubscribe: (() => void) | undefined;
  #pollTimer: unknown;
  #polling = false;

  constructor(
    private readonly board: LockerBoard,
    wiring: readonly CompartmentWiring[],
    private readonly pollMs = 250,
    private readonly timers: Timers = realTimers,
  ) {
    for (const w of wiring) {
      this.#byId.set(w.id, w);
      this.#byLock.set(`${w.board}/${w.lock}`, w.id);
    }
  }

  /** Subscribes to the board's change events and reads every board once. */
  async start(): Promise<void> {
    this.#unsubscribe = this.board.on('change', (c) => {
      const id = this.#byLock.get(`${c.board}/${c.lock}`);
      if (!id) return;
      this.#occupied.set(id, c.occupied);
      this.#setLatched(id, c.latched);
    });
    await this.refresh();
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.timers.clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  /** Reads every board's status (changes arrive through the board's `change` events too). */
  async refresh(): Promise<void> {
    const boards = new Set([...this.#byId.values()].map((w) => w.board));
    for (const b of boards) {
      try {
        const status = await this.board.status(b);
        for (const l of status.locks) {
          const id = this.#byLock.get(`${b}/${l.lock}`);
          if (!id) continue;
          this.#occupied.set(id, l.occupied);
          this.#setLatched(id, l.latched);
        }
      } catch {
        // A silent board is reported by the board's own `fault` event.
      }
    }
  }

  #setLatched(id: string, latched: boolean): void {
    const before = this.#latched.get(id);
    this.#latched.set(id, latched);
    if (before !== undefined && before !== latched)
      for (const l of this.#listeners) l(id, !latched);
  }

  async unlock(compartment: string): Promise<UnlockOutcome> {
    const w = this.#byId.get(compartment);
    if (!w) return { opened: false, reason: 'unknown_compartment' };
    const r = await this.board.unlock(w.board, w.lock);
    if (r.outcome === 'opened') {
      this.#occupied.set(compartment, r.status.occupied);
      this.#setLatched(compartment, false);
      return { opened: true };
    }
    if (r.outcome === 'did_not_open') return { opened: false, reason: 'did_not_open' };
    return { opened: false, reason: `board_${r.fault.kind}` };
  }

  async readLatch(compartment: string): Promise<'open' | 'closed' | 'unknown'> {
    const w = this.#byId.get(compartment);
    if (!w) return 'unknown';
    try {
      const status = await this.board.status(w.board);
      const l = status.locks.find((x) => x.lock === w.lock);
      if (!l) return 'unknown';
      this.#occupied.set(compartment, l.occupied);
      this.#setLatched(compartment, l.latched);
      return l.latched ? 'closed' : 'open';
    } catch {
      return 'unknown';
    }
  }

  doorState(compartment: string): 'open' | 'closed' | 'unknown' {
    const l = this.#latched.get(compartment);
    return l === undefined ? 'unknown' : l ? 'closed' : 'open';
  }

  occupied(compartment: string): boolean | undefined {
    return this.#occupied.get(compartment);
  }

  onDoorChange(listener: (compartment: string, open: boolean) => void): () => void {
    this.#listeners.add(listener);
    this.#schedulePoll();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #schedulePoll(): void {
    if (this.#pollTimer !== undefined || this.#listeners.size === 0) return;
    this.#pollTimer = this.timers.setTimeout(() => {
      this.#pollTimer = undefined;
      if (this.#polling || this.#listeners.size === 0) return;
      this.#polling = true;
      void this.refresh().finally(() => {
        this.#polling = false;
        this.#schedulePoll();
      });
    }, this.pollMs);
  }
}
