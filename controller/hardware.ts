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
