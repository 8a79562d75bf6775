import type { DriverLog, Timers } from '../support.js';
import { GpioError, type GpioSpec } from './gpio.js';
import { GpioBank, type GpioLines, type Level } from './gpio-bank.js';

/** One operation on a simulated line, in order (tests check what happened first). */
export interface SimGpioOp {
  op: 'open-output' | 'write' | 'open-input' | 'read' | 'close';
  line: number;
  level?: Level;
}

interface SimLine {
  direction: 'in' | 'out';
  level: Level;
  onEdge?: () => void;
  cut: boolean;
  /** Output only: the relay driver is broken, writes throw. */
  failing?: boolean;
  /** The level the world puts on an input (ignored while the wire is cut). */
  driven: Level;
}

/**
 * Simulated GPIO lines, instance-scoped. Inputs have pull-ups: an open (cut) wire reads 1.
 * Every operation is journaled.
 */
class SimLines implements GpioLines {
  readonly lines = new Map<number, SimLine>();
  constructor(readonly journal: SimGpioOp[]) {}

  openOutput(line: number, level: Level): void {
    this.journal.push({ op: 'open-output', line, level });
    this.lines.set(line, { direction: 'out', level, cut: false, driven: level });
  }
  write(line: number, level: Level): void {
    const l = this.lines.get(line);
    if (!l || l.direction !== 'out') throw new Error(`line ${line} is not an output`);
    if (l.failing) throw new Error(`line ${line}: write failed (simulated I/O error)`);
    this.journal.push({ op: 'write', line, level });
    l.level = level;
  }
  openInput(line: number): void {
    this.journal.push({ op: 'open-input', line });
    const prev = this.lines.get(line);
    this.lines.set(line, {
      direction: 'in',
      level: prev?.level ?? 1,
      cut: prev?.cut ?? false,
      driven: prev?.driven ?? 1,
    });
  }
  read(line: number): Level {
    const l = this.lines.get(line);
    if (!l) throw new Error(`line ${line} is not open`);
    this.journal.push({ op: 'read', line, level: l.level });
    return l.level;
  }
  watch(line: number, onEdge: () => void): void {
    const l = this.lines.get(line);
    if (l) l.onEdge = onEdge;
  }
  closeAll(): void {
    for (const [line, l] of this.lines) {
      if (l.direction === 'in') {
        l.onEdge = undefined;
        this.journal.push({ op: 'close', line });
      }
    }
  }
}

/**
 * Simulated GPIO with the same safety logic as OnoffGpio, and controls for tests and the demo:
 * open or close a door contact, press or release a button, cut or mend a wire, bounce a contact.
 * Before start(), controls set the level the inputs will read at start.
 */
export class SimGpio extends GpioBank {
  /** Every line operation in order. */
  readonly journal: SimGpioOp[] = [];
  readonly #sim: SimLines;

  constructor(spec: GpioSpec, deps: { log?: DriverLog; timers?: Timers } = {}) {
    const sim = new SimLines([]);
    super(spec, () => sim, deps);
    (sim as { journal: SimGpioOp[] }).journal = this.journal;
    this.#sim = sim;
    // Inputs idle (inactive) until the world says otherwise.
    for (const i of spec.inputs) {
      const level: Level = i.activeLow ? 1 : 0;
      sim.lines.set(i.line, { direction: 'in', level, cut: false, driven: level });
    }
  }

  /** The raw level on an output line (undefined before start). */
  outputLevel(name: string): Level | undefined {
    const o = this.spec.outputs.find((x) => x.name === name);
    if (!o) throw new GpioError('unknown_name', `no GPIO output named ${name}`);
    const l = this.#sim.lines.get(o.line);
    return l?.direction === 'out' ? l.level : undefined;
  }

  /**
   * Breaks (or mends) the driver of an output after start: every write to its line throws,
   * as an I/O error on a real line would. The line keeps its last level.
   */
  failOutput(name: string, failing = true): void {
    const o = this.spec.outputs.find((x) => x.name === name);
    if (!o) throw new GpioError('unknown_name', `no GPIO output named ${name}`);
    const l = this.#sim.lines.get(o.line);
    if (!l || l.direction !== 'out') throw new GpioError('not_started', 'GPIO is not started');
    l.failing = failing;
  }

  /** Door contact: the door is open. */
  openDoor(input: string): void {
    this.setActive(input, true);
  }
  /** Door contact: the door is shut. */
  closeDoor(input: string): void {
    this.setActive(input, false);
  }
  /** Request-to-exit or tamper: pressed / tripped. */
  pressButton(input: string): void {
    this.setActive(input, true);
  }
  releaseButton(input: string): void {
    this.setActive(input, false);
  }
  /** The wire to an input is cut: the pull-up wins, it reads 1 whatever the world does. */
  cutWire(input: string): void {
    const l = this.#line(input);
    l.cut = true;
    this.#setLevel(l, 1);
  }
  /** The wire is mended: the input reads the world again. */
  mendWire(input: string): void {
    const l = this.#line(input);
    l.cut = false;
    this.#setLevel(l, l.driven);
  }
  /** Sets an input active or idle (through its polarity). */
  setActive(input: string, active: boolean): void {
    const spec = this.spec.inputs.find((i) => i.name === input)!;
    const l = this.#line(input);
    l.driven = active !== spec.activeLow ? 1 : 0;
    if (!l.cut) this.#setLevel(l, l.driven);
  }
  /** Raw levels in a burst (contact bounce), each one an edge. */
  bounce(input: string, levels: readonly Level[]): void {
    const l = this.#line(input);
    for (const level of levels) {
      l.driven = level;
      if (!l.cut) this.#setLevel(l, level);
    }
  }

  #line(input: string): SimLine {
    const spec = this.spec.inputs.find((i) => i.name === input);
    if (!spec) throw new GpioError('unknown_name', `no GPIO input named ${input}`);
    return this.#sim.lines.get(spec.line)!;
  }

  #setLevel(l: SimLine, level: Level): void {
    if (l.level === level) return;
    l.level = level;
    l.onEdge?.();
  }
}
