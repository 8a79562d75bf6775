/**
 * Building doors: access decisions (door rules by certificate hash or group, schedule in a
 * time zone, holidays, validity), a bounded unlock pulse, request-to-exit, and the door state
 * machine — locked -> unlocked -> open -> (held_open) -> locked; locked -> forced -> locked —
 * with held-open and forced alarms. Every decision is recorded with its reason.
 */
import type { Logger } from '../log.js';
import type { LockerDomain, DoorDecision } from './locker-domain.js';
import type { DoorHardware, Timers } from './ports.js';
import { realTimers } from './ports.js';

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
    private readonly domain: LockerDomain,
    private readonly hardware: DoorHardware | undefined,
    private readonly doors: readonly DoorSettings[],
    private readonly log: Logger,
    timers: Timers = realTimers,
  ) {
    this.#timers = timers;
  }

  /** Subscribes to door contacts and request-to-exit buttons. */
  start(): void {
    this.#unsubscribe = this.hardware?.onInput((door, input) => this.#onInput(door, input));
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

  /**
   * A proven certificate holder asks to open `door` (default: the first configured door).
   * Decides by the rules, records the decision with its reason, and pulses when granted.
   */
  async requestAccess(spki: string, door = this.doors[0]?.id ?? ''): Promise<AccessResult> {
    let decision: DoorDecision =
      this.domain.mode() === 'maintenance' && !this.domain.staffRoles(spki)?.roles.includes('door')
        ? { granted: false, reason: 'maintenance_mode' }
        : this.domain.decideDoor(door, spki);
    if (decision.granted) {
      const opened = await this.#pulse(door, 'door_access', `holder:${spki}`);
      if (!opened) decision = { ...decision, granted: false, reason: 'lock_failed' };
    }
    this.domain.recordDoorDecision(door, spki, decision);
    return { ...decision, door };
  }

  /** Back-office remote open (already authenticated by the command gateway). */
  async remoteOpen(door: string, actor: string): Promise<boolean> {
    if (!this.#settings(door)) return false;
    return this.#pulse(door, 'remote', actor);
  }

  async #pulse(door: string, cause: 'door_access' | 'remote', actor: string): Promise<boolean> {
    const s = this.#settings(door);
    if (!s || !this.hardware) return false;
    const ok = await this.hardware.pulse(door, s.unlockMs).catch((err: unknown) => {
      this.log.warn({ err, door }, 'door pulse failed');
      return false;
    });
    this.domain.recordActuation('door', door, cause, ok, actor, ok ? '' : 'relay_refused');
    if (!ok) return false;
    if (this.domain.doorState(door) === 'locked') this.domain.setDoor(door, 'unlocked');
    this.#timers.clearTimeout(this.#pulseTimers.get(door));
    this.#pulseTimers.set(
      door,
      this.#timers.setTimeout(() => {
        this.#pulseTimers.delete(door);
        // The pulse ended and nobody opened the door: back to locked.
        if (this.domain.doorState(door) === 'unlocked') this.domain.setDoor(door, 'locked');
      }, s.unlockMs),
    );
    return true;
  }

  #onInput(door: string, input: 'open' | 'closed' | 'rex'): void {
    const s = this.#settings(door);
    if (!s) return;
    const state = this.domain.doorState(door);
    if (input === 'rex') {
      this.domain.record({
        kind: 'attempt',
        action: 'door.rex',
        target: `door:${door}`,
        outcome: 'granted',
      });
      void this.#pulse(door, 'door_access', 'station');
      return;
    }
    if (input === 'open') {
      if (state === 'unlocked') {
        this.domain.setDoor(door, 'open');
        this.#heldTimers.set(
          door,
          this.#timers.setTimeout(() => {
            this.#heldTimers.delete(door);
            if (this.domain.doorState(door) !== 'open') return;
            this.domain.setDoor(door, 'held_open');
            this.domain.raiseAlarm('door_held_open', 'warning', `door:${door}`);
          }, s.heldOpenSec * 1000),
        );
      } else if (state === 'locked') {
        this.domain.setDoor(door, 'forced');
        this.domain.raiseAlarm('door_forced', 'critical', `door:${door}`);
      }
      return;
    }
    // closed
    this.#timers.clearTimeout(this.#heldTimers.get(door));
    this.#heldTimers.delete(door);
    this.#timers.clearTimeout(this.#pulseTimers.get(door));
    this.#pulseTimers.delete(door);
    if (state && state !== 'locked') {
      void this.hardware?.relock(door);
      this.domain.setDoor(door, 'locked');
      if (state === 'held_open') this.domain.clearAlarm('door_held_open', `door:${door}`);
      if (state === 'forced') this.domain.clearAlarm('door_forced', `door:${door}`);
    }
  }
}
