/** Card readers: the contract, the PC/SC driver, the simulation, and the factory. */
export * from './card-reader.js';
export {
  PcscCardReader,
  type PcscCardReaderOptions,
  pcscCodeOf,
  PcscCode,
} from './pcsc-card-reader.js';
export { SimCardReader, type SimCard, type SimCardReaderOptions } from './sim-card-reader.js';
export {
  createCardReader,
  type CardReaderDriver,
  type CreateCardReaderOptions,
} from './factory.js';
export type { Timers } from './reader-hub.js';
