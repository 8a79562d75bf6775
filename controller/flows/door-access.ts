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
  /** Reader-name substring of this door's own reader ('' or absent: none). */
  reader?: string;
  /** Anti-passback: a granted card is refused again at this door for this long (0: off). */
  antiPassbackSec?: number;
  /** The relay is fail-safe (opens without power): released while the fire input is active. */
  failSafe?: boolean;
  /** The longest pulse the relay grants (fire release re-pulses within it). */
  maxPulseMs?: number;
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
  /** Anti-passback: last grant per door and holder (ms since epoch). */
  readonly #lastGrant = new Map<string, number>();
  /** Request-to-exit pulses in flight (see {@link idle}). */
  readonly #inFlight = new Set<Promise<unknown>>();
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ledger: Ledger,
    private readonly hardware: DoorHardware | undefined,
    private readonly doors: readonly DoorSettings[],
    private readonly log: Logger,
    timers: Timers = realTimers,
    /** True while a fire input holds the door released (then a close does not re-lock it). */
    private readonly fireReleased: (door: string) => boolean = () => false,
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

  /** Resolves when every request-to-exit pulse started so far has been driven and recorded. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
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

  /** The door whose own reader (`doors[].reader`) holds the card, if any. */
  ownDoor(reader: string | undefined): string | undefined {
    return reader ? this.doors.find((d) => d.reader && reader.includes(d.reader))?.id : undefined;
  }

  /** The door a card in `reader` asks for: that reader's door, else the default door. */
  doorFor(reader: string | undefined): string {
    return this.ownDoor(reader) ?? this.defaultDoor;
  }

  /** True when some door rule names this holder (directly or by group) for `door` (default: any door here). */
  hasRuleFor(spki: string, door?: string): boolean {
    return this.doors.some(
      (d) =>
        (door === undefined || d.id === door) &&
        this.ledger.roster.decideDoor(d.id, spki).reason !== 'no_rule',
    );
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
    const passback = (this.#settings(door)?.antiPassbackSec ?? 0) * 1000;
    const key = `${door}\n${spki}`;
    const now = this.ledger.now().getTime();
    if (
      decision.granted &&
      passback > 0 &&
      now - (this.#lastGrant.get(key) ?? -Infinity) < passback
    )
      decision = { ...decision, granted: false, reason: 'anti_passback' };
    if (decision.granted) {
      // A door its fire input holds released is open already: nothing to drive.
      const opened =
        this.fireReleased(door) || (await this.#pulse(door, 'door_access', Actors.holder(spki)));
      if (!opened) decision = { ...decision, granted: false, reason: 'lock_failed' };
      else if (passback > 0) this.#lastGrant.set(key, now);
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

  #onInput(door: string, input: 'open' | 'closed' | 'rex' | 'fire' | 'fire_clear'): void {
    const s = this.#settings(door);
    if (!s || input === 'fire' || input === 'fire_clear') return; // FireRelease handles those
    const { roster, alarms, attempts } = this.ledger;
    const state = roster.doorState(door);
    if (input === 'rex') {
      attempts.record({
        kind: 'attempt',
        action: 'door.rex',
        target: `door:${door}`,
        outcome: 'granted',
      });
      const p = this.#pulse(door, 'door_access', 'station')
        .catch((err: unknown) =>
          this.log.error({ err, door }, 'request-to-exit not recorded: the door stays locked'),
        )
        .finally(() => this.#inFlight.delete(p));
      this.#inFlight.add(p);
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
      // A door a fire input holds released stays released (FireRelease marks it unlocked
      // again with its next pulse); any other door is locked the moment it shuts.
      if (!this.fireReleased(door))
        this.hardware
          ?.relock(door)
          .catch((err: unknown) => this.log.warn({ err, door }, 'door relock failed'));
      roster.setDoor(door, 'locked');
      if (state === 'held_open') alarms.clearAlarm('door_held_open', `door:${door}`);
      if (state === 'forced') alarms.clearAlarm('door_forced', `door:${door}`);
    }
  }
}
