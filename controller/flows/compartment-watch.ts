/**
 * Every compartment door watched all the time, not only while a flow waits on it:
 * - an opening with no decision behind it (no unlock authorised it) raises `door_forced`
 *   (critical, target `compartment:<id>`; it stays until a `compartment.clear` after a check);
 * - every opening — kiosk, remote, maintenance or forced — is followed to its close: open
 *   longer than `doorLeftOpenSec` raises `door_held_open`, cleared when it closes;
 * - the door sensor is kept in the retained state.
 * The actuator calls {@link authorise} before it drives a lock (record before act), so the
 * latch change that follows is recognised as decided. An authorisation nobody used lapses
 * after twice `doorOpenTimeoutSec` (the latch re-locked by itself long before).
 */
import type { CompartmentHardware, Timers } from '../domain/ports.js';
import type { Ledger } from './ledger/ledger.js';
import type { DoorWatchSettings } from './observe-doors.js';

/** See the module comment. */
export class CompartmentWatch {
  readonly #authorised = new Map<string, unknown>();
  readonly #open = new Map<string, unknown>();
  readonly #heldOpen = new Set<string>();
  readonly #onClosed = new Map<string, (() => void)[]>();
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ledger: Ledger,
    private readonly hardware: CompartmentHardware | undefined,
    private readonly timers: Timers,
    private readonly settings: DoorWatchSettings,
  ) {}

  /** Starts watching (keeps the boards polled for as long as it runs). */
  start(): void {
    if (!this.hardware || this.#unsubscribe) return;
    this.#unsubscribe = this.hardware.onDoorChange((id, open) => this.#change(id, open));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const t of [...this.#authorised.values(), ...this.#open.values()])
      this.timers.clearTimeout(t);
    this.#authorised.clear();
    this.#open.clear();
  }

  /** The next opening of `id` has a decision behind it. Call before driving the lock. */
  authorise(id: string): void {
    this.timers.clearTimeout(this.#authorised.get(id));
    this.#authorised.set(
      id,
      this.timers.setTimeout(
        () => this.#authorised.delete(id),
        this.settings.doorOpenTimeoutSec * 2000,
      ),
    );
  }

  /** Runs `fn` once, when `id`'s door next closes (after it was opened). */
  whenClosed(id: string, fn: () => void): void {
    this.#onClosed.set(id, [...(this.#onClosed.get(id) ?? []), fn]);
  }

  /** True while `id`'s door is open (as this watch saw it). */
  isOpen(id: string): boolean {
    return this.#open.has(id);
  }

  #change(id: string, open: boolean): void {
    if (open) {
      if (this.#open.has(id)) return;
      const decided = this.#authorised.has(id);
      this.timers.clearTimeout(this.#authorised.get(id));
      this.#authorised.delete(id);
      this.ledger.compartments.setDoorSensor(id, 'open');
      if (!decided) this.ledger.recovery.forced(id);
      this.#open.set(
        id,
        this.timers.setTimeout(() => {
          this.#heldOpen.add(id);
          this.ledger.alarms.raiseAlarm(
            'door_held_open',
            'warning',
            `compartment:${id}`,
            'door_left_open',
          );
        }, this.settings.doorLeftOpenSec * 1000),
      );
      return;
    }
    if (!this.#open.has(id)) return;
    this.timers.clearTimeout(this.#open.get(id));
    this.#open.delete(id);
    this.ledger.compartments.setDoorSensor(id, 'closed');
    if (this.#heldOpen.delete(id))
      this.ledger.alarms.clearAlarm('door_held_open', `compartment:${id}`);
    const callbacks = this.#onClosed.get(id) ?? [];
    this.#onClosed.delete(id);
    for (const fn of callbacks) fn();
  }
}
