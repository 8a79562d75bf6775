import { HardwareLostError, JpkiLockerError } from '../../shared/errors.js';

/** A relay output driving a door lock. */
export interface GpioOutputSpec {
  /** Name doors refer to. */
  name: string;
  /** Line on the chip (BCM numbering); the chip's base is added when the driver resolves it. */
  line: number;
  /** The relay energises on a low level. */
  activeLow: boolean;
  /**
   * `secure`: the lock is locked without power (the relay energises to unlock);
   * `safe`: the lock opens without power (fire egress; the relay energises to lock).
   */
  failMode: 'secure' | 'safe';
  /** Longest pulse; longer requests are cut to this. */
  maxPulseMs: number;
  /** Minimum time from the end of one pulse to the start of the next. */
  cooldownMs: number;
}

/** A contact input. */
export interface GpioInputSpec {
  name: string;
  line: number;
  /** door contact, request-to-exit button, tamper switch, fire-alarm panel contact. */
  kind: 'door' | 'rex' | 'tamper' | 'fire';
  /** Active (door open / button pressed / tampered) on a low level. */
  activeLow: boolean;
  /** A level must hold this long before it counts. */
  debounceMs: number;
}

/** The GPIO a station uses. */
export interface GpioSpec {
  /** Label of the gpiochip whose base offsets line numbers (e.g. pinctrl-bcm2835). */
  chipLabel: string;
  outputs: readonly GpioOutputSpec[];
  inputs: readonly GpioInputSpec[];
}

export type OutputState = 'locked' | 'unlocked';

/** Why a pulse ended. */
export type PulseEnd = 'timer' | 'lock' | 'abort' | 'stop';

/**
 * The outcome of a pulse request. `pulsed` resolves when the output is locked again;
 * `grantedMs` never exceeds the output's `maxPulseMs`.
 */
export type PulseResult =
  | {
      outcome: 'pulsed';
      output: string;
      requestedMs: number;
      grantedMs: number;
      endedBy: PulseEnd;
    }
  | {
      outcome: 'refused';
      output: string;
      /**
       * `busy`: a pulse is running; `cooldown`: too soon after the last; `stopped`: not
       * running; `fault`: the output could not be driven (the relay never fired; the driver
       * tried to put it back to locked).
       */
      reason: 'busy' | 'cooldown' | 'stopped' | 'fault';
      retryInMs?: number;
    };

/** A debounced input level change. */
export interface InputEvent {
  name: string;
  kind: GpioInputSpec['kind'];
  /** Door open / button pressed / tamper tripped. */
  active: boolean;
}

/** An output changed state. */
export interface OutputEvent {
  name: string;
  state: OutputState;
}

export interface GpioEvents {
  input: InputEvent;
  output: OutputEvent;
}

/** Misuse of the GPIO API: unknown name, bad duration, not started. */
export class GpioError extends JpkiLockerError {
  constructor(
    readonly kind: 'unknown_name' | 'bad_request' | 'not_started',
    message: string,
  ) {
    super(`gpio_${kind}`, message);
  }
}

/** GPIO cannot be used on this machine (exit code 3 in the daemon); `kind` says why. */
export class GpioUnavailableError extends HardwareLostError {
  constructor(
    readonly kind: 'not_accessible' | 'chip_not_found' | 'line_out_of_range' | 'io',
    message: string,
    options?: { cause?: unknown },
  ) {
    super('gpio', message, options);
  }
}

/**
 * Relay outputs and contact inputs on the Pi's GPIO.
 *
 * Behaviour every implementation keeps:
 * - `start()` first configures every output directly at its locked level (no glitch through
 *   an unlocked level), and only then opens, reads and watches inputs. If start fails, the
 *   outputs already opened stay at their locked level.
 * - `pulse(name, ms)` unlocks one output for min(ms, maxPulseMs), then locks it again on the
 *   driver's own timer: it does not depend on the caller staying alive. An AbortSignal, `lock()`,
 *   `lockAll()` and `stop()` end it early. A second pulse on the same output while one runs is
 *   refused (`busy`), never extended; one within `cooldownMs` of the last is refused
 *   (`cooldown`). The only way to unlock is a bounded pulse. When the output cannot be
 *   driven, the pulse is `refused` with `fault`: never reported as pulsed.
 * - `extend(name, ms)` renews the pulse running on a FAIL-SAFE output so that it ends
 *   min(ms, maxPulseMs) from now, with no relock in between (a fire release held for as long
 *   as the panel says so). Still bounded: without a further `extend` the output locks on its
 *   own timer. A fail-secure output is never held (false), nor an output with no pulse.
 * - `lockAll()` is synchronous so it can run in a process 'exit' hook.
 * - `stop()` drives every output locked, cancels timers, releases inputs; outputs stay driven
 *   at the locked level (a released line would float); idempotent.
 * - Inputs: a level must be stable for `debounceMs` before an `input` event; events come only
 *   for changes. `inputActive()` is the last debounced level.
 * - For a fail-safe output "locked" means the relay is energised: when the process or the power
 *   dies, that door opens by design.
 */
export interface Gpio {
  readonly spec: GpioSpec;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Unlocks `output` for at most its maxPulseMs. */
  pulse(output: string, ms: number, options?: { signal?: AbortSignal }): Promise<PulseResult>;
  /** Renews the running pulse of a fail-safe output to end min(ms, maxPulseMs) from now. */
  extend(output: string, ms: number): boolean;
  /** Ends a running pulse on `output` now (no-op when locked). */
  lock(output: string): void;
  /** Drives every output to locked now, ending every pulse. Synchronous. */
  lockAll(): void;
  outputState(output: string): OutputState;
  inputActive(input: string): boolean;
  on<E extends keyof GpioEvents>(event: E, listener: (p: GpioEvents[E]) => void): () => void;
}
