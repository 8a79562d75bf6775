import type { Logger } from 'pino';
import type { CardReader } from './card-reader.js';
import { PcscCardReader } from './pcsc-card-reader.js';
import { SimCardReader } from './sim-card-reader.js';
import type { Timers } from './reader-hub.js';

/** Which card reader the station uses (config `card.driver`). */
export type CardReaderDriver = 'pcsc' | 'sim';

export interface CreateCardReaderOptions {
  driver: CardReaderDriver;
  log?: Logger;
  transmitTimeoutMs?: number;
  /** Sim only: reader names (default one reader). */
  simReaders?: string[];
  timers?: Timers;
}

/**
 * The one place that chooses a card-reader implementation. `pcsc` gives a `PcscCardReader`
 * (real readers through pcscd), `sim` a `SimCardReader` whose cards the caller inserts.
 */
export function createCardReader(options: CreateCardReaderOptions): CardReader {
  if (options.driver === 'pcsc')
    return new PcscCardReader({
      log: options.log,
      ...(options.transmitTimeoutMs !== undefined
        ? { transmitTimeoutMs: options.transmitTimeoutMs }
        : {}),
      ...(options.timers ? { timers: options.timers } : {}),
    });
  return new SimCardReader({
    ...(options.simReaders ? { readers: options.simReaders } : {}),
    ...(options.transmitTimeoutMs !== undefined
      ? { transmitTimeoutMs: options.transmitTimeoutMs }
      : {}),
    ...(options.timers ? { timers: options.timers } : {}),
  });
}
