import { BoardEmulator } from '../../firmware-host/board-emulator/index.js';
import { KerongBoard, type KerongBoardOptions } from '../../hardware/locker-board/index.js';
import { createPtyPair, type PtyPair } from '../support/socat.js';
import { CONTRACT_BOARDS, type BoardHarness } from './contract.js';

/** A KerongBoard on one end of a socat pty pair, the emulator on the other. */
export interface EmulatedBus extends BoardHarness {
  board: KerongBoard;
  emulator: BoardEmulator;
  pty: PtyPair;
}

/** Starts socat + emulator (boards as in CONTRACT_BOARDS, same latch polarity) + driver. */
export async function startEmulatedBus(
  overrides: Partial<KerongBoardOptions> = {},
): Promise<EmulatedBus> {
  const pty = await createPtyPair();
  const emulator = new BoardEmulator({ addresses: CONTRACT_BOARDS.map((b) => b.address) });
  for (const b of CONTRACT_BOARDS) emulator.model.board(b.address).latchPolarity = b.latchPolarity;
  try {
    await emulator.attach(pty.b);
  } catch (err) {
    await pty.close();
    throw err;
  }
  const board = new KerongBoard({
    path: pty.a,
    boards: CONTRACT_BOARDS,
    replyTimeoutMs: 150,
    retries: 3,
    backoffMs: 10,
    verifyDelayMs: 10,
    ...overrides,
  });
  return {
    board,
    emulator,
    pty,
    world: {
      openDoor: (b, l) => emulator.openDoor(b, l),
      closeDoor: (b, l) => emulator.closeDoor(b, l),
      putItem: (b, l) => emulator.putItem(b, l),
      takeItem: (b, l) => emulator.takeItem(b, l),
      jamLatch: (b, l, j) => emulator.jamLatch(b, l, j),
      setSilent: (b, s = true) => emulator.setFault(b, s ? { kind: 'silent' } : { kind: 'none' }),
    },
    close: async () => {
      await board.close();
      await emulator.close();
      await pty.close();
    },
  };
}
