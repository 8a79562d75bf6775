/**
 * Building doors: access decisions (door rules by certificate hash or group, schedule in a
 * time zone, holidays, validity), a bounded unlock pulse, request-to-exit, and the door state
 * machine — locked -> unlocked -> open -> (held_open) -> locked; locked -> forced -> locked —
 * with held-open and forced alarms. Every decision is recorded with its reason; every pulse's
 * intent is committed before the relay is driven, its result after. No call here rejects:
 * a fault is logged and ends as a refused result, never an unhandled rejection.
 */
import type { Logger } from '../log.js';
import { Actors, type Actor, type DoorDecision } from '../domain/model.js';
import type { DoorHardware, Timers } from '../domain/ports.js';
import { realTimers } from '../domain/ports.js';
import type { Ledger } from './ledger/ledger.js';

export interface DoorSettings {
  id: string;
  unlockMs: number;
  heldOpenSec: number;
}

/** The answer to an access request. */
export interface AccessResult extends DoorDecision {
  door: string;
}

/** Runs every configured door. */
export class DoorController {
  readonly #timers: Timers;
  readonly #pulseTimers = new Map<string, unknown>();
  readonly #heldTimers = new Map<string, unknown>();
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ledger: Ledger,
    private readonly hardware: DoorHardware | undefined,
    private readonly doors: readonly DoorSettings[],
    private readonly log: Logger,
    timers: Timers = realTimers,
  ) {
    this.#timers = timers;
  }

  /** Subscribes to door contacts and request-to-exit buttons. */
  start(): void {
    this.#unsubscribe = this.hardware?.onInput((door, input) => {
      try {
        this.#onInput(door, input);
      } catch (err) {
        this.log.error({ err, door, input }, 'door input could not be recorded');
      }
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const t of [...this.#pulseTimers.values(), ...this.#heldTimers.values()])
      this.#timers.clearTimeout(t);
    this.#pulseTimers.clear();
    this.#heldTimers.clear();
  }

  #settings(door: string): DoorSettings | undefined {
    return this.doors.find((d) => d.id === door);
  }

  /** True when the station has a door with this id. */
  has(door: string): boolean {
    return this.#settings(door) !== undefined && this.ledger.roster.doorState(door) !== undefined;
  }

  /** The door a kiosk card opens (the first configured one). */
  get defaultDoor(): string {
    return this.doors[0]?.id ?? '';
  }

  /** True when some door rule names this holder (directly or by group) for any door here. */
  hasRuleFor(spki: string): boolean {
    return this.doors.some((d) => this.ledger.roster.decideDoor(d.id, spki).reason !== 'no_rule');
  }

  /**
   * A proven certificate holder asks to open `door` (default: the first configured door).
   * Decides by the rules, records the decision with its reason, and pulses when granted.
   * @throws only when the decision cannot be recorded (nothing was driven then).
   */
  async requestAccess(spki: string, door = this.defaultDoor): Promise<AccessResult> {
    const { roster, alarms } = this.ledger;
    let decision: DoorDecision =
      alarms.mode() === 'maintenance' && !roster.staffRoles(spki)?.roles.includes('door')
        ? { granted: false, reason: 'maintenance_mode' }
        : roster.decideDoor(door, spki);
    if (decision.granted) {
      const opened = await this.#pulse(door, 'door_access', Actors.holder(spki));
      if (!opened) decision = { ...decision, granted: false, reason: 'lock_failed' };
    }
    roster.recordDoorDecision(door, spki, decision);
    return { ...decision, door };
  }

  /** Back-office remote open (already authenticated by the command gateway). */
  async remoteOpen(door: string, actor: Actor): Promise<boolean> {
    if (!this.#settings(door)) return false;
    return this.#pulse(door, 'remote', actor);
  }

  /**
   * Pulses a door's strike: intent recorded first (a failure to record it means no pulse and
   * a thrown error), then the relay, then the result.
   */
  async #pulse(door: string, cause: 'door_access' | 'remote', actor: Actor): Promise<boolean> {
    const s = this.#settings(door);
    if (!s || !this.hardware) return false;
    const { attempts, roster } = this.ledger;
    attempts.recordIntent('door', [door], cause, actor);
    const ok = await this.hardware.pulse(door, s.unlockMs).catch((err: unknown) => {
      this.log.warn({ err, door }, 'door pulse failed');
      return false;
    });
    attempts.recordActuation('door', door, cause, ok, actor, ok ? '' : 'relay_refused');
    if (!ok) return false;
    if (roster.doorState(door) === 'locked') roster.setDoor(door, 'unlocked');
    this.#timers.clearTimeout(this.#pulseTimers.get(door));
    this.#pulseTimers.set(
      door,
      this.#timers.setTimeout(() => {
        this.#pulseTimers.delete(door);
        // The pulse ended and nobody opened the door: back to locked.
        this.#safely(door, () => {
          if (roster.doorState(door) === 'unlocked') roster.setDoor(door, 'locked');
        });
      }, s.unlockMs),
    );
    return true;
  }

  #safely(door: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err, door }, 'door state could not be recorded');
    }
  }

  #onInput(door: string, input: 'open' | 'closed' | 'rex'): void {
    const s = this.#settings(door);
    if (!s) return;
    const { roster, alarms, attempts } = this.ledger;
    const state = roster.doorState(door);
    if (input === 'rex') {
      attempts.record({
        kind: 'attempt',
        action: 'door.rex',
        target: `door:${door}`,
        outcome: 'granted',
      });
      this.#pulse(door, 'door_access', 'station').catch((err: unknown) =>
        this.log.error({ err, door }, 'request-to-exit not recorded: the door stays locked'),
      );
      return;
    }
    if (input === 'open') {
      if (state === 'unlocked') {
        roster.setDoor(door, 'open');
        this.#heldTimers.set(
          door,
          this.#timers.setTimeout(() => {
            this.#heldTimers.delete(door);
            this.#safely(door, () => {
              if (roster.doorState(door) !== 'open') return;
              roster.setDoor(door, 'held_open');
              alarms.raiseAlarm('door_held_open', 'warning', `door:${door}`);
            });
          }, s.heldOpenSec * 1000),
        );
      } else if (state === 'locked') {
        roster.setDoor(door, 'forced');
        alarms.raiseAlarm('door_forced', 'critical', `door:${door}`);
      }
      return;
    }
    // closed
    this.#timers.clearTimeout(this.#heldTimers.get(door));
    this.#heldTimers.delete(door);
    this.#timers.clearTimeout(this.#pulseTimers.get(door));
    this.#pulseTimers.delete(door);
    if (state && state !== 'locked') {
      this.hardware
        ?.relock(door)
        .catch((err: unknown) => this.log.warn({ err, door }, 'door relock failed'));
      roster.setDoor(door, 'locked');
      if (state === 'held_open') alarms.clearAlarm('door_held_open', `door:${door}`);
      if (state === 'forced') alarms.clearAlarm('door_forced', `door:${door}`);
    }
  }
}
