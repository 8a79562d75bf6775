import { EventHub, nullLog, realTimers, type DriverLog, type Timers } from '../support.js';
import {
  GpioError,
  type Gpio,
  type GpioEvents,
  type GpioInputSpec,
  type GpioOutputSpec,
  type GpioSpec,
  type OutputState,
  type PulseEnd,
  type PulseResult,
} from './gpio.js';

/** A raw line level. */
export type Level = 0 | 1;

/**
 * The raw lines under a GpioBank: onoff on a Pi, a simulation in tests. Synchronous, so that
 * locking can run in an 'exit' hook.
 */
export interface GpioLines {
  /** Makes `line` an output already at `level` (one step: no glitch). */
  openOutput(line: number, level: Level): void;
  write(line: number, level: Level): void;
  openInput(line: number): void;
  read(line: number): Level;
  /** Calls `onEdge` on every raw edge of an input (bouncing included). */
  watch(line: number, onEdge: () => void): void;
  /** Releases every line. */
  closeAll(): void;
}

/** Raw level for an output state, from its polarity and fail mode. */
export function levelFor(spec: GpioOutputSpec, state: OutputState): Level {
  // Fail-secure: energise to unlock. Fail-safe: energise to lock.
  const energised = (state === 'unlocked') !== (spec.failMode === 'safe');
  return energised !== spec.activeLow ? 1 : 0;
}

/** Whether a raw input level means active (door open, button pressed, tampered). */
export function isActive(spec: GpioInputSpec, level: Level): boolean {
  return spec.activeLow ? level === 0 : level === 1;
}

interface OutputRuntime {
  spec: GpioOutputSpec;
  state: OutputState;
  pulse?: { timer: unknown; end: (by: PulseEnd) => void; grantedMs: number; startedMs: number };
  lastEndMs?: number;
}

interface InputRuntime {
  spec: GpioInputSpec;
  active: boolean;
  debounce?: unknown;
}

/**
 * The safety logic shared by every Gpio implementation (see Gpio for the behaviour); the
 * subclass supplies the raw lines.
 */
export class GpioBank implements Gpio {
  readonly #events: EventHub<GpioEvents>;
  readonly #outputs = new Map<string, OutputRuntime>();
  readonly #inputs = new Map<string, InputRuntime>();
  readonly #timers: Timers;
  protected readonly log: DriverLog;
  #started = false;
  #lines: GpioLines | undefined;

  constructor(
    readonly spec: GpioSpec,
    private readonly openLines: () => GpioLines,
    deps: { log?: DriverLog; timers?: Timers } = {},
  ) {
    this.log = deps.log ?? nullLog;
    this.#timers = deps.timers ?? realTimers;
    this.#events = new EventHub(this.log);
    const names = new Set<string>();
    // One line, one role: an input opened on a relay's line would turn that output into a
    // floating input (the relay may pull in), and two outputs on one line fight each other.
    const lines = new Map<number, string>();
    for (const l of [...spec.outputs, ...spec.inputs]) {
      const other = lines.get(l.line);
      if (other !== undefined)
        throw new GpioError(
          'bad_request',
          `GPIO line ${l.line} is used by both ${other} and ${l.name}`,
        );
      lines.set(l.line, l.name);
    }
    for (const o of spec.outputs) {
      if (names.has(o.name)) throw new GpioError('bad_request', `duplicate GPIO name ${o.name}`);
      names.add(o.name);
      this.#outputs.set(o.name, { spec: o, state: 'locked' });
    }
    for (const i of spec.inputs) {
      if (names.has(i.name)) throw new GpioError('bad_request', `duplicate GPIO name ${i.name}`);
      names.add(i.name);
      this.#inputs.set(i.name, { spec: i, active: false });
    }
  }

  on<E extends keyof GpioEvents>(event: E, listener: (p: GpioEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    const lines = this.openLines();
    this.#lines = lines;
    try {
      // 1. Every output, straight to its locked level, before anything else.
      for (const o of this.#outputs.values()) {
        o.state = 'locked';
        lines.openOutput(o.spec.line, levelFor(o.spec, 'locked'));
      }
      // 2. Only then the inputs.
      for (const i of this.#inputs.values()) {
        lines.openInput(i.spec.line);
        i.active = isActive(i.spec, lines.read(i.spec.line));
        lines.watch(i.spec.line, () => this.#onEdge(i));
      }
      this.#started = true;
    } catch (err) {
      this.#release();
      throw err;
    }
    this.log.info(
      { outputs: this.#outputs.size, inputs: this.#inputs.size },
      'gpio started; every output locked',
    );
  }

  async stop(): Promise<void> {
    if (!this.#lines) return;
    this.lockAll();
    this.#release();
  }

  lockAll(): void {
    for (const o of this.#outputs.values()) {
      if (o.pulse) o.pulse.end('stop');
      else this.#drive(o, 'locked', true);
    }
  }

  lock(output: string): void {
    const o = this.#output(output);
    if (o.pulse) o.pulse.end('lock');
  }

  outputState(output: string): OutputState {
    return this.#output(output).state;
  }

  inputActive(input: string): boolean {
    const i = this.#inputs.get(input);
    if (!i) throw new GpioError('unknown_name', `no GPIO input named ${input}`);
    return i.active;
  }

  pulse(output: string, ms: number, options: { signal?: AbortSignal } = {}): Promise<PulseResult> {
    const o = this.#output(output);
    if (!Number.isFinite(ms) || ms <= 0)
      return Promise.reject(new GpioError('bad_request', `pulse length ${ms} ms is not positive`));
    if (!this.#started || !this.#lines)
      return Promise.resolve({ outcome: 'refused', output, reason: 'stopped' });
    if (o.pulse) return Promise.resolve({ outcome: 'refused', output, reason: 'busy' });
    const now = this.#timers.now();
    if (o.lastEndMs !== undefined && now - o.lastEndMs < o.spec.cooldownMs)
      return Promise.resolve({
        outcome: 'refused',
        output,
        reason: 'cooldown',
        retryInMs: Math.ceil(o.spec.cooldownMs - (now - o.lastEndMs)),
      });
    if (options.signal?.aborted)
      return Promise.resolve({ outcome: 'refused', output, reason: 'stopped' });
    return new Promise<PulseResult>((resolve) => {
      const onAbort = () => end('abort');
      const end = (by: PulseEnd) => {
        if (o.pulse !== pulse) return;
        this.#timers.clearTimeout(pulse.timer);
        options.signal?.removeEventListener('abort', onAbort);
        o.pulse = undefined;
        this.#drive(o, 'locked', true);
        o.lastEndMs = this.#timers.now();
        const grantedMs = pulse.grantedMs;
        resolve({ outcome: 'pulsed', output, requestedMs: ms, grantedMs, endedBy: by });
      };
      // The timer that ends the pulse exists before the output is unlocked.
      const grantedMs = Math.min(ms, o.spec.maxPulseMs);
      const pulse = {
        timer: this.#timers.setTimeout(() => end('timer'), grantedMs),
        end,
        grantedMs,
        startedMs: now,
      };
      o.pulse = pulse;
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.#drive(o, 'unlocked', false);
      } catch (err) {
        // The relay never fired: say so (a "pulsed" here is the log that says "granted"
        // although nothing moved). Back to locked, best effort, and no cooldown.
        this.#timers.clearTimeout(pulse.timer);
        options.signal?.removeEventListener('abort', onAbort);
        o.pulse = undefined;
        this.#drive(o, 'locked', true);
        this.log.error({ err, output }, 'could not drive output; pulse refused');
        resolve({ outcome: 'refused', output, reason: 'fault' });
      }
    });
  }

  extend(output: string, ms: number): boolean {
    const o = this.#output(output);
    const pulse = o.pulse;
    if (!pulse || o.spec.failMode !== 'safe' || !Number.isFinite(ms) || ms <= 0) return false;
    const more = Math.min(ms, o.spec.maxPulseMs);
    // The new end timer exists before the old one goes: the output is never without one.
    const timer = this.#timers.setTimeout(() => pulse.end('timer'), more);
    this.#timers.clearTimeout(pulse.timer);
    pulse.timer = timer;
    // Granted in all: what has run so far plus the renewal.
    pulse.grantedMs = this.#timers.now() - pulse.startedMs + more;
    return true;
  }

  /** The raw lines (for subclasses' test controls). */
  protected get lines(): GpioLines | undefined {
    return this.#lines;
  }

  #output(name: string): OutputRuntime {
    const o = this.#outputs.get(name);
    if (!o) throw new GpioError('unknown_name', `no GPIO output named ${name}`);
    return o;
  }

  /** Writes the level; when locking, swallows and logs errors so every other output is still locked. */
  #drive(o: OutputRuntime, state: OutputState, bestEffort: boolean): void {
    const lines = this.#lines;
    if (!lines) return;
    try {
      lines.write(o.spec.line, levelFor(o.spec, state));
    } catch (err) {
      if (!bestEffort) throw err;
      this.log.error({ err, output: o.spec.name }, 'could not lock output');
      return;
    }
    if (o.state !== state) {
      o.state = state;
      this.#events.emit('output', { name: o.spec.name, state });
    }
  }

  #onEdge(i: InputRuntime): void {
    if (!this.#started) return;
    if (i.debounce !== undefined) this.#timers.clearTimeout(i.debounce);
    const settle = () => {
      i.debounce = undefined;
      const lines = this.#lines;
      if (!lines || !this.#started) return;
      let active: boolean;
      try {
        active = isActive(i.spec, lines.read(i.spec.line));
      } catch (err) {
        this.log.error({ err, input: i.spec.name }, 'could not read input');
        return;
      }
      if (active === i.active) return;
      i.active = active;
      this.#events.emit('input', { name: i.spec.name, kind: i.spec.kind, active });
    };
    if (i.spec.debounceMs <= 0) settle();
    else i.debounce = this.#timers.setTimeout(settle, i.spec.debounceMs);
  }

  #release(): void {
    for (const i of this.#inputs.values())
      if (i.debounce !== undefined) {
        this.#timers.clearTimeout(i.debounce);
        i.debounce = undefined;
      }
    const lines = this.#lines;
    this.#started = false;
    this.#lines = undefined;
    try {
      lines?.closeAll();
    } catch (err) {
      this.log.error({ err }, 'could not release GPIO lines');
    }
  }
}
