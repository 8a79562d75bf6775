import { HardwareLostError } from '../shared/errors.js';
import type { CardReader } from '../hardware/card/card-reader.js';
import { createCardReader } from '../hardware/card/factory.js';
import type { Gpio } from '../hardware/gpio/index.js';
import type { LockerBoard } from '../hardware/locker-board/index.js';
import type { Config } from './config/types.js';
import { HardwareComponent } from './hardware/hardware-component.js';
import type { Component } from './lifecycle.js';
import type { Logger } from './log.js';

/** The station's devices. Any of them may be absent (driver `none`). */
export interface HardwareSet {
  card: CardReader | undefined;
  board: LockerBoard | undefined;
  gpio: Gpio | undefined;
}

/**
 * Builds the station's device components from the configuration; `given` replaces any device
 * (demo, tests). `locks` (GPIO outputs + locker bus) must start before anything else so every
 * output is locked first; `card` starts the reader watch.
 */
export function createHardware(
  config: Readonly<Config>,
  log: Logger,
  given: Partial<HardwareSet> = {},
): { set: HardwareSet; locks: HardwareComponent; card: CardReaderComponent } {
  const locks = new HardwareComponent(config, log.child({ component: 'hardware' }), {
    ...(given.board ? { board: given.board } : {}),
    ...(given.gpio ? { gpio: given.gpio } : {}),
  });
  const card =
    'card' in given
      ? given.card
      : config.card.driver === 'none'
        ? undefined
        : createCardReader({ driver: config.card.driver, log: log.child({ component: 'card' }) });
  return {
    set: { card, board: locks.board, gpio: locks.gpio },
    locks,
    card: new CardReaderComponent(card, log.child({ component: 'card' })),
  };
}

/** Watches the card readers for the daemon's lifetime. */
export class CardReaderComponent implements Component {
  readonly name = 'card-reader';
  #started = false;
  constructor(
    private readonly reader: CardReader | undefined,
    private readonly log: Logger,
  ) {}

  async start(signal: AbortSignal): Promise<void> {
    if (!this.reader) return;
    await this.reader.start(signal);
    this.#started = true;
    this.log.info({ readers: this.reader.readers().map((r) => r.name) }, 'card readers watched');
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.reader?.stop();
  }
}

/**
 * Hardware lost at run time: the locker bus's serial port gone (`port_closed`), or no card
 * reader left for `readerGraceMs` (a reader that comes back within it is a hiccup). On loss
 * every lock output is driven locked first, then `onLost` is told (the shell exits 3).
 */
export class HardwareLossWatch implements Component {
  readonly name = 'hardware-loss-watch';
  readonly #unsubscribe: (() => void)[] = [];
  #readerTimer: ReturnType<typeof setTimeout> | undefined;
  #lost = false;

  constructor(
    private readonly devices: HardwareSet,
    private readonly lockAll: () => void,
    private readonly onLost: (err: HardwareLostError) => void,
    private readonly log: Logger,
    private readonly readerGraceMs = 30_000,
  ) {}

  async start(): Promise<void> {
    const { board, card } = this.devices;
    if (board)
      this.#unsubscribe.push(
        board.on('fault', (f) => {
          if (f.kind === 'port_closed') this.#lose('board', 'the locker bus serial port is gone');
        }),
      );
    if (card)
      this.#unsubscribe.push(
        card.onEvent((e) => {
          if (e.type === 'reader-added') this.#clearReaderTimer();
          if (e.type !== 'reader-removed' || this.#readerCount(card) > 0 || this.#readerTimer)
            return;
          this.log.warn({ graceMs: this.readerGraceMs }, 'no card reader left');
          this.#readerTimer = setTimeout(() => {
            this.#readerTimer = undefined;
            if (this.#readerCount(card) === 0) this.#lose('card', 'no card reader is left');
          }, this.readerGraceMs);
          this.#readerTimer.unref();
        }),
      );
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#clearReaderTimer();
  }

  #readerCount(card: CardReader): number {
    try {
      return card.readers().length;
    } catch {
      return 0;
    }
  }

  #clearReaderTimer(): void {
    if (this.#readerTimer) clearTimeout(this.#readerTimer);
    this.#readerTimer = undefined;
  }

  #lose(device: string, message: string): void {
    if (this.#lost) return;
    this.#lost = true;
    try {
      this.lockAll();
    } finally {
      this.onLost(new HardwareLostError(device, message));
    }
  }
}
