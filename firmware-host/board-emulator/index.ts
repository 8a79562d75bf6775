export * from './board-emulator.js';
export * from './kerong-bus-model.js';
