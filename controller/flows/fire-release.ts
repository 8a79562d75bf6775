/**
 * Fire-alarm release (issue 17): each door may name a fire-alarm input (`doors[].fireInput`).
 * While it is active a fail-safe door (its relay's `failMode: safe`) is released — pulsed
 * open, and that pulse renewed halfway through each time (the GPIO only ever unlocks for a
 * bounded time; a renewal leaves no relock gap, where a new pulse would wait out the relay's
 * cooldown) — and the `fire_alarm` alarm is raised for every door on that input. A
 * fail-secure door is not released (it stays locked; the alarm still shows). When the input
 * clears the door is locked at once and the alarm cleared: nothing stays open afterwards
 * without a new decision. Every step is in the audit log and the event stream.
 */
import type { Logger } from '../log.js';
import type { DoorHardware, Timers } from '../domain/ports.js';
import type { Ledger } from './ledger/ledger.js';

/** How soon a refused release is asked again (the relay's cooldown is about 500 ms). */
const RETRY_MS = 100;

/** What FireRelease needs to know of a door. */
export interface FireDoorSettings {
  id: string;
  /** True when the door's relay is fail-safe (opens without power): released on fire. */
  failSafe: boolean;
  /** The longest pulse its relay grants (re-pulsed before it ends). */
  releaseMs: number;
}

/** See the module comment. */
export class FireRelease {
  readonly #active = new Map<string, unknown>();
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ledger: Ledger,
    private readonly hardware: DoorHardware | undefined,
    private readonly doors: readonly FireDoorSettings[],
    private readonly timers: Timers,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.#unsubscribe = this.hardware?.onInput((door, input) => {
      try {
        if (input === 'fire') this.#fire(door);
        else if (input === 'fire_clear') this.#clear(door);
      } catch (err) {
        this.log.error({ err, door }, 'fire input could not be handled');
      }
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const t of this.#active.values()) this.timers.clearTimeout(t);
    this.#active.clear();
  }

  /** True while `door` is released by its fire input. */
  released(door: string): boolean {
    return this.#active.has(door);
  }

  #fire(door: string): void {
    const d = this.doors.find((x) => x.id === door);
    if (!d || this.#active.has(door)) return;
    this.ledger.alarms.raiseAlarm(
      'fire_alarm',
      'critical',
      `door:${door}`,
      'fire-alarm input active',
    );
    this.ledger.attempts.record({
      kind: 'system',
      action: 'door.fire_release',
      target: `door:${door}`,
      outcome: d.failSafe ? 'released' : 'kept_locked',
    });
    if (!d.failSafe) return;
    this.#active.set(door, undefined);
    void this.#hold(d);
  }

  async #hold(d: FireDoorSettings): Promise<void> {
    if (!this.#active.has(d.id) || !this.hardware) return;
    const ok = await this.hardware.hold(d.id, d.releaseMs).catch(() => false);
    if (!this.#active.has(d.id)) {
      // Cleared while the pulse was being granted: lock again at once.
      await this.hardware.relock(d.id).catch(() => {});
      return;
    }
    if (ok && this.ledger.roster.doorState(d.id) === 'locked')
      this.ledger.roster.setDoor(d.id, 'unlocked');
    // Renewed halfway through the pulse, well before it ends. A refusal (only the first pulse
    // can meet the relay's cooldown, after a card's pulse just ended) is retried soon.
    const next = ok ? Math.max(10, Math.floor(d.releaseMs / 2)) : RETRY_MS;
    this.#active.set(
      d.id,
      this.timers.setTimeout(() => void this.#hold(d), next),
    );
  }

  #clear(door: string): void {
    const d = this.doors.find((x) => x.id === door);
    if (!d) return;
    const wasReleased = this.#active.has(door);
    this.timers.clearTimeout(this.#active.get(door));
    this.#active.delete(door);
    if (wasReleased) {
      void this.hardware?.relock(door).catch(() => {});
      const state = this.ledger.roster.doorState(door);
      if (state === 'unlocked') this.ledger.roster.setDoor(door, 'locked');
    }
    this.ledger.alarms.clearAlarm('fire_alarm', `door:${door}`);
    this.ledger.attempts.record({
      kind: 'system',
      action: 'door.fire_clear',
      target: `door:${door}`,
      outcome: 'locked',
    });
  }
}
