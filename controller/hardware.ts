import type { CardReader } from '../hardware/card/card-reader.js';
import { createCardReader } from '../hardware/card/factory.js';
import { createLockerBoard } from '../hardware/locker-board/factory.js';
import type { LockerBoard } from '../hardware/locker-board/locker-board.js';
import type { Config } from './config/types.js';
import type { Component } from './lifecycle.js';
import type { Logger } from './log.js';

/** The station's devices. Any of them may be absent (driver `none`). */
export interface HardwareSet {
  card: CardReader | undefined;
  board: LockerBoard | undefined;
}

/** Builds the devices the configuration asks for; `given` replaces any of them (demo, tests). */
export function createHardware(
  config: Readonly<Config>,
  log: Logger,
  given: Partial<HardwareSet> = {},
): HardwareSet {
  return {
    card:
      'card' in given
        ? given.card
        : config.card.driver === 'none'
          ? undefined
          : createCardReader({ driver: config.card.driver, log: log.child({ component: 'card' }) }),
    board:
      'board' in given
        ? given.board
        : createLockerBoard(config.board, { log: log.child({ component: 'board' }) }),
  };
}

/**
 * Starts the devices: the locker bus, then the card reader. (Lock outputs are driven to locked by
 * the outputs component, which runs before this one.) Stops them in reverse.
 */
export class HardwareComponent implements Component {
  readonly name = 'hardware';
  #boardOpen = false;
  #cardStarted = false;
  constructor(
    private readonly hw: HardwareSet,
    private readonly log: Logger,
  ) {}

  async start(signal: AbortSignal): Promise<void> {
    if (this.hw.board) {
      await this.hw.board.open();
      this.#boardOpen = true;
      this.log.info({ boards: this.hw.board.boards.map((b) => b.address) }, 'locker bus open');
    }
    if (this.hw.card) {
      await this.hw.card.start(signal);
      this.#cardStarted = true;
      this.log.info({ readers: this.hw.card.readers().map((r) => r.name) }, 'card readers watched');
    }
  }

  async stop(): Promise<void> {
    if (this.#cardStarted) {
      this.#cardStarted = false;
      await this.hw.card?.stop();
    }
    if (this.#boardOpen) {
      this.#boardOpen = false;
      await this.hw.board?.close();
    }
  }
}
