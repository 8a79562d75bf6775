/**
 * Building doors on the Pi's GPIO: fits a {@link Gpio} (hardware/gpio) onto the domain's
 * {@link DoorHardware} port, using the station's `doors[]` wiring (door id -> relay output,
 * door-contact input, request-to-exit input).
 */
import type { Gpio } from '../../hardware/gpio/gpio.js';
import type { Logger } from '../log.js';
import type { DoorHardware } from '../domain/ports.js';

/** How one door is wired (the `doors[]` config entry fits as is). */
export interface DoorWiring {
  id: string;
  /** Relay output name. */
  relay: string;
  /** Door-contact input name ('' = none). */
  contact: string;
  /** Request-to-exit input name ('' = none). */
  rex: string;
  /** Fire-alarm input name ('' = none; several doors may share one). */
  fireInput?: string;
}

/**
 * Doors on GPIO relays and contacts.
 *
 * - `pulse(door, ms)` asks the GPIO for a bounded pulse (the GPIO cuts it to the relay's
 *   `maxPulseMs` and re-locks on its own timer). It resolves `true` as soon as the relay is
 *   unlocked — not when the pulse ends — and `false` when the GPIO refused (busy, cooldown,
 *   stopped) or the door has no relay.
 * - `hold(door, ms)` renews the pulse running on a fail-safe relay (`Gpio.extend`: no relock
 *   between), or asks for a new one when none runs.
 * - `relock(door)` ends the running pulse now.
 * - Inputs: the door contact gives `open` / `closed` on each debounced change; the exit button
 *   gives `rex` when pressed (its release is ignored); the fire-alarm input `fire` / `fire_clear`
 *   to every door wired to it. Inputs not wired to a door are ignored.
 */
export class GpioDoorHardware implements DoorHardware {
  readonly #byInput = new Map<string, { door: string; role: 'contact' | 'rex' | 'fire' }[]>();

  constructor(
    private readonly gpio: Gpio,
    private readonly doors: readonly DoorWiring[],
    private readonly log?: Logger,
  ) {
    const wire = (input: string, door: string, role: 'contact' | 'rex' | 'fire') =>
      this.#byInput.set(input, [...(this.#byInput.get(input) ?? []), { door, role }]);
    for (const d of doors) {
      if (d.contact) wire(d.contact, d.id, 'contact');
      if (d.rex) wire(d.rex, d.id, 'rex');
      if (d.fireInput) wire(d.fireInput, d.id, 'fire');
    }
  }

  async pulse(door: string, ms: number): Promise<boolean> {
    const relay = this.#door(door)?.relay;
    if (!relay) return false;
    const pending = this.gpio.pulse(relay, ms);
    // GpioBank drives the output synchronously when it grants the pulse; the promise itself
    // only settles when the relay is locked again.
    if (this.gpio.outputState(relay) === 'unlocked') {
      pending.catch((err: unknown) => this.log?.warn({ err, door }, 'door pulse ended badly'));
      return true;
    }
    const r = await pending;
    if (r.outcome === 'refused') {
      this.log?.info({ door, reason: r.reason, retryInMs: r.retryInMs }, 'door relay refused');
      return false;
    }
    // Pulsed and already over (cannot happen with GpioBank; be conservative).
    return r.grantedMs > 0;
  }

  async hold(door: string, ms: number): Promise<boolean> {
    const relay = this.#door(door)?.relay;
    if (!relay) return false;
    if (this.gpio.outputState(relay) === 'unlocked' && this.gpio.extend(relay, ms)) return true;
    return this.pulse(door, ms);
  }

  async relock(door: string): Promise<void> {
    const relay = this.#door(door)?.relay;
    if (relay) this.gpio.lock(relay);
  }

  onInput(
    listener: (door: string, input: 'open' | 'closed' | 'rex' | 'fire' | 'fire_clear') => void,
  ): () => void {
    return this.gpio.on('input', (e) => {
      for (const wired of this.#byInput.get(e.name) ?? []) {
        if (wired.role === 'contact') listener(wired.door, e.active ? 'open' : 'closed');
        else if (wired.role === 'fire') listener(wired.door, e.active ? 'fire' : 'fire_clear');
        else if (e.active) listener(wired.door, 'rex');
      }
    });
  }

  #door(id: string): DoorWiring | undefined {
    return this.doors.find((d) => d.id === id);
  }
}
