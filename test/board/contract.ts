/**
 * The LockerBoard contract, run against every implementation (SimLockerBoard, and
 * KerongBoard over a socat pty talking to the board emulator). The harness supplies the
 * driver and a way to change the physical world the driver cannot see directly.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BoardError,
  type BoardSpec,
  type LockChange,
  type LockerBoard,
} from '../../hardware/locker-board/index.js';

/** The world around the boards: doors, items, latches, boards that stop answering. */
export interface BoardWorld {
  openDoor(board: number, lock: number): void;
  closeDoor(board: number, lock: number): void;
  putItem(board: number, lock: number): void;
  takeItem(board: number, lock: number): void;
  jamLatch(board: number, lock: number, jammed?: boolean): void;
  setSilent(board: number, silent?: boolean): void;
}

export interface BoardHarness {
  board: LockerBoard;
  world: BoardWorld;
  /** Tears down everything the harness started. */
  close(): Promise<void>;
}

/** Boards every harness must provide: three boards, one with fewer locks and inverted latch bits. */
export const CONTRACT_BOARDS: BoardSpec[] = [
  { address: 0, locks: 16, latchPolarity: 'one-is-latched', pulseMs: 500 },
  { address: 1, locks: 8, latchPolarity: 'zero-is-latched', pulseMs: 500 },
  { address: 5, locks: 16, latchPolarity: 'one-is-latched', pulseMs: 1000 },
];

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

export function lockerBoardContract(name: string, make: () => Promise<BoardHarness>): void {
  describe(`LockerBoard contract: ${name}`, () => {
    let h: BoardHarness;
    beforeEach(async () => {
      h = await make();
      await h.board.open();
    });
    afterEach(async () => {
      await h.board.close();
      await h.close();
    });

    it('reads every configured lock, numbered from 1, shut and empty at start', async () => {
      for (const spec of CONTRACT_BOARDS) {
        const st = await h.board.status(spec.address);
        expect(st.board).toBe(spec.address);
        expect(st.locks).toEqual(
          Array.from({ length: spec.locks }, (_, i) => ({
            lock: i + 1,
            latched: true,
            occupied: false,
          })),
        );
      }
    });

    it('reports occupancy per lock', async () => {
      h.world.putItem(0, 3);
      h.world.putItem(1, 8);
      const s0 = await h.board.status(0);
      const s1 = await h.board.status(1);
      expect(s0.locks.filter((l) => l.occupied).map((l) => l.lock)).toEqual([3]);
      expect(s1.locks.filter((l) => l.occupied).map((l) => l.lock)).toEqual([8]);
      h.world.takeItem(0, 3);
      expect((await h.board.status(0)).locks[2]!.occupied).toBe(false);
    });

    it('unlock -> opened, verified by the latch; closing the door latches it again', async () => {
      const r = await h.board.unlock(0, 1);
      expect(r).toEqual({
        outcome: 'opened',
        board: 0,
        lock: 1,
        status: { lock: 1, latched: false, occupied: false },
      });
      const st = await h.board.status(0);
      expect(st.locks[0]!.latched).toBe(false);
      expect(st.locks.slice(1).every((l) => l.latched)).toBe(true);
      h.world.closeDoor(0, 1);
      expect((await h.board.status(0)).locks[0]!.latched).toBe(true);
    });

    it('applies per-board latch polarity (board 1 reads 0 as latched)', async () => {
      const r = await h.board.unlock(1, 8);
      expect(r.outcome).toBe('opened');
      const st = await h.board.status(1);
      expect(st.locks.map((l) => l.latched)).toEqual([
        true,
        true,
        true,
        true,
        true,
        true,
        true,
        false,
      ]);
    });

    it('a jammed latch gives did_not_open, not opened', async () => {
      h.world.jamLatch(5, 16);
      const r = await h.board.unlock(5, 16);
      expect(r.outcome).toBe('did_not_open');
      if (r.outcome === 'did_not_open') expect(r.status.latched).toBe(true);
    });

    it('emits change when a read shows a lock different from the last reading', async () => {
      const changes: LockChange[] = [];
      h.board.on('change', (c) => changes.push(c));
      await h.board.status(0);
      await h.board.unlock(0, 2);
      expect(changes).toContainEqual({
        board: 0,
        lock: 2,
        latched: false,
        occupied: false,
        previous: { latched: true, occupied: false },
      });
    });

    it('a silent board is a typed fault, reported once, and the other boards keep working', async () => {
      const faults: unknown[] = [];
      const recovered: unknown[] = [];
      h.board.on('fault', (f) => faults.push(f));
      h.board.on('recovered', (r) => recovered.push(r));
      await h.board.status(1);
      h.world.setSilent(1);
      const err = await rejection(h.board.status(1));
      expect(err).toBeInstanceOf(BoardError);
      expect((err as BoardError).kind).toBe('no_reply');
      const r = await h.board.unlock(1, 1);
      expect(r.outcome).toBe('fault');
      if (r.outcome === 'fault') {
        expect(r.commanded).toBe(true);
        expect(r.fault.kind).toBe('no_reply');
        expect(r.fault.board).toBe(1);
      }
      expect((await h.board.unlock(0, 4)).outcome).toBe('opened');
      expect((await h.board.status(5)).locks).toHaveLength(16);
      expect(faults).toHaveLength(1);
      expect(faults[0]).toMatchObject({ board: 1, kind: 'no_reply' });
      h.world.setSilent(1, false);
      await h.board.status(1);
      expect(recovered).toEqual([{ board: 1 }]);
    });

    it('queues overlapping calls and answers each one correctly', async () => {
      h.world.putItem(5, 2);
      const [a, b, c, d, e] = await Promise.all([
        h.board.status(0),
        h.board.unlock(5, 1),
        h.board.status(5),
        h.board.unlock(0, 16),
        h.board.status(1),
      ]);
      expect(a.board).toBe(0);
      expect(b.outcome).toBe('opened');
      expect(c.locks[0]!.latched).toBe(false);
      expect(c.locks[1]!.occupied).toBe(true);
      expect(d.outcome).toBe('opened');
      expect(e.locks).toHaveLength(8);
    });

    it('refuses a board or lock that is not configured with BoardError{bad_request}', async () => {
      for (const p of [
        h.board.status(7),
        h.board.unlock(7, 1),
        h.board.unlock(0, 0),
        h.board.unlock(0, 17),
        h.board.unlock(1, 9),
        h.board.setPulse(0, 5),
        h.board.setPulse(0, 99999),
      ]) {
        const err = await rejection(p);
        expect(err).toBeInstanceOf(BoardError);
        expect((err as BoardError).kind).toBe('bad_request');
      }
    });

    it('sets the pulse length', async () => {
      await expect(h.board.setPulse(0, 1000)).resolves.toBeUndefined();
      await expect(h.board.setPulse(5, 500)).resolves.toBeUndefined();
    });

    it('after close(): status rejects port_closed, unlock is a fault that was not commanded', async () => {
      await h.board.close();
      await h.board.close();
      const err = await rejection(h.board.status(0));
      expect((err as BoardError).kind).toBe('port_closed');
      const r = await h.board.unlock(0, 1);
      expect(r).toMatchObject({
        outcome: 'fault',
        commanded: false,
        fault: { kind: 'port_closed' },
      });
    });
  });
}
