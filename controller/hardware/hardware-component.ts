import { createGpio, type Gpio } from '../../hardware/gpio/index.js';
import {
  createLockerBoard,
  type BoardFault,
  type LockerBoard,
} from '../../hardware/locker-board/index.js';
import { realTimers, type Timers } from '../../hardware/support.js';
import type { Config } from '../config/types.js';
import { throwIfAborted, type Component } from '../lifecycle.js';
import type { Logger } from '../log.js';

/** Where the process-exit hook is installed (the process; tests pass a stand-in). */
export interface ExitHookTarget {
  on(event: 'exit', listener: () => void): unknown;
  off(event: 'exit', listener: () => void): unknown;
}

/** Things the hardware component takes from outside. */
export interface HardwareOptions {
  /** Drivers to use instead of the ones the config names (demo, tests). */
  board?: LockerBoard;
  gpio?: Gpio;
  /** How often every board's status is read (default 2000 ms); 0 = no polling. */
  pollIntervalMs?: number;
  /** A faulted board is polled only every Nth round, so it does not hold up the bus (default 5). */
  faultedPollEvery?: number;
  timers?: Timers;
  /** Where 'exit' drives every output locked (default: process). */
  exitHooks?: ExitHookTarget;
}

/**
 * The station's lock hardware: GPIO relays and inputs, and the locker-board bus.
 *
 * start(): FIRST every GPIO output is driven to locked (GpioBank.start does this before it
 * reads any input), and a process 'exit' hook is installed that locks them again on a crash;
 * then the board bus is opened (a port that cannot be opened is HardwareLostError: exit 3),
 * each board gets its configured pulse length and a first status read, and a poll loop keeps
 * reading status so latch/occupancy `change` events flow. A board that stops answering is
 * logged and reported through `board.on('fault')`, never thrown.
 * stop(): every output locked, poll stopped, bus closed, hook removed; idempotent.
 */
export class HardwareComponent implements Component {
  readonly name = 'hardware';
  /** The locker-board bus, or undefined when `board.driver` is none. */
  readonly board: LockerBoard | undefined;
  /** GPIO relays and inputs, or undefined when `gpio.driver` is none. */
  readonly gpio: Gpio | undefined;
  readonly #timers: Timers;
  readonly #pollIntervalMs: number;
  readonly #faultedPollEvery: number;
  readonly #exitHooks: ExitHookTarget;
  readonly #faulted = new Set<number>();
  readonly #unsubscribe: Array<() => void> = [];
  #pollTimer: unknown;
  #round = 0;
  #running = false;
  #exitHook: (() => void) | undefined;

  constructor(
    config: Readonly<Config>,
    private readonly log: Logger,
    options: HardwareOptions = {},
  ) {
    this.#timers = options.timers ?? realTimers;
    this.#pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.#faultedPollEvery = Math.max(1, options.faultedPollEvery ?? 5);
    this.#exitHooks = options.exitHooks ?? process;
    this.gpio = options.gpio ?? createGpio(config.gpio, { log: log.child({ component: 'gpio' }) });
    this.board =
      options.board ?? createLockerBoard(config.board, { log: log.child({ component: 'board' }) });
  }

  async start(signal: AbortSignal): Promise<void> {
    // 1. Every lock output to locked, before anything else runs.
    if (this.gpio) {
      const gpio = this.gpio;
      this.#exitHook = () => gpio.lockAll();
      this.#exitHooks.on('exit', this.#exitHook);
      await gpio.start();
    }
    throwIfAborted(signal);
    // 2. The board bus.
    const board = this.board;
    if (!board) return;
    this.#unsubscribe.push(
      board.on('fault', (f: BoardFault) => {
        this.#faulted.add(f.board);
        this.log.warn(
          { board: f.board, kind: f.kind, attempts: f.attempts },
          'locker board not answering',
        );
      }),
      board.on('recovered', ({ board: b }) => {
        this.#faulted.delete(b);
        this.log.info({ board: b }, 'locker board answering again');
      }),
      board.on('badFrame', ({ kind, badFrames }) =>
        this.log.debug({ kind, badFrames }, 'bad frame from locker board'),
      ),
    );
    await board.open();
    this.#running = true;
    for (const spec of board.boards) {
      throwIfAborted(signal);
      await board.setPulse(spec.address, spec.pulseMs).catch(() => undefined);
      await board.status(spec.address).catch(() => undefined);
    }
    this.#schedulePoll();
  }

  /** Drives every GPIO lock output to locked now (ends running pulses). Synchronous. */
  lockAll(): void {
    this.gpio?.lockAll();
  }

  /** Board addresses currently not answering. */
  faultedBoards(): number[] {
    return [...this.#faulted].sort((a, b) => a - b);
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#pollTimer !== undefined) this.#timers.clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    try {
      await this.gpio?.stop();
    } finally {
      if (this.#exitHook) this.#exitHooks.off('exit', this.#exitHook);
      this.#exitHook = undefined;
      for (const u of this.#unsubscribe.splice(0)) u();
      await this.board?.close();
    }
  }

  #schedulePoll(): void {
    if (!this.#running || this.#pollIntervalMs <= 0) return;
    this.#pollTimer = this.#timers.setTimeout(() => void this.#poll(), this.#pollIntervalMs);
  }

  async #poll(): Promise<void> {
    const board = this.board;
    if (!board || !this.#running) return;
    this.#round += 1;
    for (const spec of board.boards) {
      if (!this.#running) return;
      if (this.#faulted.has(spec.address) && this.#round % this.#faultedPollEvery !== 0) continue;
      // Faults arrive as events; nothing to do with the rejection here.
      await board.status(spec.address).catch(() => undefined);
    }
    this.#schedulePoll();
  }
}
