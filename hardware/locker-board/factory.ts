import type { DriverLog, Timers } from '../support.js';
import { KerongBoard } from './kerong-board.js';
import type { BoardSpec, LockerBoard } from './locker-board.js';
import type { OpenSerialLink } from './serial-link.js';
import { SimLockerBoard } from './sim-locker-board.js';

/** What the factory needs; the `board` section of the station config fits as is. */
export interface LockerBoardSettings {
  driver: 'kerong' | 'sim' | 'none';
  port: string;
  baudRate: number;
  replyTimeoutMs: number;
  retries: number;
  boards: readonly BoardSpec[];
}

/**
 * Chooses the driver: `kerong` -> KerongBoard on `port`, `sim` -> SimLockerBoard,
 * `none` -> undefined (no lockers at this station).
 */
export function createLockerBoard(
  settings: LockerBoardSettings,
  deps: { log?: DriverLog; timers?: Timers; openLink?: OpenSerialLink } = {},
): LockerBoard | undefined {
  switch (settings.driver) {
    case 'none':
      return undefined;
    case 'sim':
      return new SimLockerBoard({
        boards: settings.boards,
        attempts: settings.retries + 1,
        log: deps.log,
      });
    case 'kerong':
      return new KerongBoard({
        path: settings.port,
        boards: settings.boards,
        baudRate: settings.baudRate,
        replyTimeoutMs: settings.replyTimeoutMs,
        retries: settings.retries,
        log: deps.log,
        timers: deps.timers,
        openLink: deps.openLink,
      });
  }
}
