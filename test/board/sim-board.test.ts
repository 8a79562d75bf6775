import { describe, expect, it } from 'vitest';
import { SimLockerBoard } from '../../hardware/locker-board/index.js';
import { CONTRACT_BOARDS, lockerBoardContract } from './contract.js';

lockerBoardContract('SimLockerBoard', async () => {
  const board = new SimLockerBoard({ boards: CONTRACT_BOARDS });
  return {
    board,
    world: {
      openDoor: (b, l) => board.openDoor(b, l),
      closeDoor: (b, l) => board.closeDoor(b, l),
      putItem: (b, l) => board.putItem(b, l),
      takeItem: (b, l) => board.takeItem(b, l),
      jamLatch: (b, l, j) => board.jamLatch(b, l, j),
      setSilent: (b, s) => board.setSilent(b, s),
    },
    close: async () => undefined,
  };
});

describe('SimLockerBoard controls (for the demo simulator page)', () => {
  it('is instance-scoped: two simulations do not share state', async () => {
    const a = new SimLockerBoard({ boards: CONTRACT_BOARDS });
    const b = new SimLockerBoard({ boards: CONTRACT_BOARDS });
    await a.open();
    await b.open();
    a.putItem(0, 1);
    expect((await a.status(0)).locks[0]!.occupied).toBe(true);
    expect((await b.status(0)).locks[0]!.occupied).toBe(false);
  });

  it('emits change at once for every control and lists compartments', () => {
    const sim = new SimLockerBoard({ boards: CONTRACT_BOARDS });
    const seen: string[] = [];
    sim.on('change', (c) =>
      seen.push(`${c.board}/${c.lock} latched=${c.latched} occupied=${c.occupied}`),
    );
    sim.openDoor(0, 2);
    sim.putItem(0, 2);
    sim.closeDoor(0, 2);
    sim.takeItem(0, 2);
    sim.closeDoor(0, 2); // no change, no event
    expect(seen).toEqual([
      '0/2 latched=false occupied=false',
      '0/2 latched=false occupied=true',
      '0/2 latched=true occupied=true',
      '0/2 latched=true occupied=false',
    ]);
    const snap = sim.snapshot();
    expect(snap).toHaveLength(16 + 8 + 16);
    expect(snap[1]).toEqual({
      board: 0,
      lock: 2,
      latched: true,
      occupied: false,
      doorOpen: false,
      jammed: false,
    });
  });
});
