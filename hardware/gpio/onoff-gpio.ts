import { createRequire } from 'node:module';
import type { DriverLog, Timers } from '../support.js';
import { GpioUnavailableError, type GpioSpec } from './gpio.js';
import { GpioBank, type GpioLines, type Level } from './gpio-bank.js';
import { resolveGpioNumber } from './sysfs.js';

/** The part of onoff's `Gpio` class the driver uses (injectable for tests). */
export interface OnoffLine {
  readSync(): Level;
  writeSync(value: Level): void;
  watch(cb: (err: Error | null | undefined, value: Level) => void): void;
  unwatchAll(): void;
  unexport(): void;
}
export interface OnoffClass {
  readonly accessible: boolean;
  new (gpio: number, direction: 'in' | 'out' | 'high' | 'low', edge?: 'none' | 'both'): OnoffLine;
}

function loadOnoff(): OnoffClass {
  // onoff is CommonJS and loads its native epoll addon on import: load it only when used.
  const require = createRequire(import.meta.url);
  return (require('onoff') as { Gpio: OnoffClass }).Gpio;
}

class OnoffLines implements GpioLines {
  readonly #out = new Map<number, OnoffLine>();
  readonly #in = new Map<number, OnoffLine>();
  constructor(
    private readonly Gpio: OnoffClass,
    private readonly number: (line: number) => number,
  ) {}
  openOutput(line: number, level: Level): void {
    // 'high'/'low' set the direction and the initial level in one step.
    this.#out.set(line, new this.Gpio(this.number(line), level === 1 ? 'high' : 'low'));
  }
  write(line: number, level: Level): void {
    const g = this.#out.get(line);
    if (!g) throw new Error(`line ${line} is not an output`);
    g.writeSync(level);
  }
  openInput(line: number): void {
    this.#in.set(line, new this.Gpio(this.number(line), 'in', 'both'));
  }
  read(line: number): Level {
    const g = this.#in.get(line);
    if (!g) throw new Error(`line ${line} is not an input`);
    return g.readSync();
  }
  watch(line: number, onEdge: () => void): void {
    this.#in.get(line)?.watch(() => onEdge());
  }
  closeAll(): void {
    // Inputs are released; outputs stay exported and driven at their locked level, because an
    // unexported line becomes a floating input and the relay may pull in.
    for (const g of this.#in.values()) {
      g.unwatchAll();
      g.unexport();
    }
    this.#in.clear();
    this.#out.clear();
  }
}

/**
 * Relays and inputs on the Pi's GPIO through onoff (legacy sysfs). Line numbers are resolved
 * from the gpiochip labelled `spec.chipLabel` (base + line) before any pin is touched.
 * Where GPIO is not accessible (no /sys/class/gpio, not a Pi), `start()` throws
 * GpioUnavailableError{not_accessible}.
 */
export class OnoffGpio extends GpioBank {
  constructor(
    spec: GpioSpec,
    deps: { log?: DriverLog; timers?: Timers; sysfsRoot?: string; onoff?: OnoffClass } = {},
  ) {
    super(
      spec,
      () => {
        const Gpio = deps.onoff ?? loadOnoff();
        if (!Gpio.accessible)
          throw new GpioUnavailableError(
            'not_accessible',
            'GPIO is not accessible on this machine (onoff: Gpio.accessible is false); use gpio.driver "sim" or "none"',
          );
        // Resolve every number first: a bad line fails start-up before any pin changes.
        const numbers = new Map<number, number>();
        for (const l of [...spec.outputs, ...spec.inputs])
          numbers.set(l.line, resolveGpioNumber(l.line, spec.chipLabel, deps.sysfsRoot));
        return new OnoffLines(Gpio, (line) => numbers.get(line)!);
      },
      deps,
    );
  }
}
