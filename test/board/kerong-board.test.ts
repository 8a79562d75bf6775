import { lockerBoardContract } from './contract.js';
import { startEmulatedBus } from './emulated-bus.js';

lockerBoardContract('KerongBoard over a socat pty to the board emulator', () => startEmulatedBus());
