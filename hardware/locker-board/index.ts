export * from './locker-board.js';
export * from './kerong-board.js';
export * from './sim-locker-board.js';
export * from './serial-link.js';
export * from './factory.js';
