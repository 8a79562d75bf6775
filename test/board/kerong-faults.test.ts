/**
 * KerongBoard against a misbehaving emulator: silent, corrupt, slow, garbage between frames,
 * stuck latch, port lost. Every fault is typed, retried as specified (1 + retries requests),
 * never hangs, never leaves an unhandled rejection, and the other boards keep working.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BoardError, type BoardFault } from '../../hardware/locker-board/index.js';
import { startEmulatedBus, type EmulatedBus } from './emulated-bus.js';

let bus: EmulatedBus | undefined;
afterEach(async () => {
  await bus?.close();
  bus = undefined;
});

async function start(overrides = {}): Promise<EmulatedBus> {
  bus = await startEmulatedBus(overrides);
  await bus.board.open();
  return bus;
}

async function rejection(p: Promise<unknown>): Promise<BoardError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BoardError);
    return err as BoardError;
  }
  throw new Error('expected a rejection');
}

describe('KerongBoard faults', () => {
  it('silent board: 1 + 3 retries, then BoardError{no_reply}; one fault event', async () => {
    const { board, emulator } = await start();
    const faults: BoardFault[] = [];
    board.on('fault', (f) => faults.push(f));
    emulator.setFault(5, { kind: 'silent' });
    const err = await rejection(board.status(5));
    expect(err.kind).toBe('no_reply');
    expect(err.board).toBe(5);
    expect(err.attempts).toBe(4);
    expect(emulator.count(5, 'status')).toBe(4);
    expect(board.stats()).toMatchObject({ retries: 3, timeouts: 4 });
    await rejection(board.status(5));
    expect(faults).toEqual([expect.objectContaining({ board: 5, kind: 'no_reply', attempts: 4 })]);
    // Other boards on the bus keep working.
    expect((await board.status(0)).board).toBe(0);
    expect((await board.unlock(1, 2)).outcome).toBe('opened');
  });

  it('retries = 0 sends one request only', async () => {
    const { board, emulator } = await start({ retries: 0 });
    emulator.setFault(0, { kind: 'silent' });
    const err = await rejection(board.status(0));
    expect(err.attempts).toBe(1);
    expect(emulator.count(0, 'status')).toBe(1);
  });

  it('corrupt replies every time: BoardError{bad_reply}, bad frames counted and reported', async () => {
    const { board, emulator } = await start({ replyTimeoutMs: 400 });
    const bad: number[] = [];
    board.on('badFrame', (e) => bad.push(e.badFrames));
    emulator.setFault(0, { kind: 'bad_checksum' });
    const err = await rejection(board.status(0));
    expect(err.kind).toBe('bad_reply');
    expect(emulator.count(0, 'status')).toBe(4);
    expect(board.stats().badFrames).toBe(4);
    expect(bad).toEqual([1, 2, 3, 4]);
  });

  it('two corrupt replies then a good one: succeeds on the third attempt', async () => {
    const { board, emulator } = await start();
    emulator.setFault(0, { kind: 'bad_checksum', times: 2 });
    const st = await board.status(0);
    expect(st.locks).toHaveLength(16);
    expect(board.stats().badFrames).toBe(2);
    expect(board.stats().retries).toBeGreaterThanOrEqual(2);
    expect(emulator.count(0, 'status')).toBe(board.stats().retries + 1);
  });

  it('slow answer within the reply timeout is fine', async () => {
    const { board, emulator } = await start({ replyTimeoutMs: 400 });
    emulator.setFault(0, { kind: 'slow', delayMs: 50 });
    expect((await board.status(0)).board).toBe(0);
    expect(board.stats().retries).toBe(0);
  });

  it('slow answer beyond the reply timeout: retried, then no_reply; late replies never confuse the next board', async () => {
    const { board, emulator } = await start({ replyTimeoutMs: 60, backoffMs: 5 });
    // Slower than the whole transaction (4 x 60 ms + back-off), so no reply lands inside it.
    emulator.setFault(5, { kind: 'slow', delayMs: 600 });
    const err = await rejection(board.status(5));
    expect(err.kind).toBe('no_reply');
    expect(emulator.count(5, 'status')).toBe(4);
    // Late board-5 replies may arrive now; board 1's status must be board 1's.
    // Read board 1 until a late board-5 reply has been seen (and ignored), with a deadline.
    const deadline = Date.now() + 5000;
    while (board.stats().unexpectedFrames === 0 && Date.now() < deadline) {
      const st = await board.status(1);
      expect(st.board).toBe(1);
      expect(st.locks).toHaveLength(8);
    }
    expect(board.stats().unexpectedFrames).toBeGreaterThan(0);
  });

  it('garbage between frames: frames still found, dropped bytes counted', async () => {
    const { board, emulator } = await start();
    emulator.setGarbage(Uint8Array.of(0xff, 0x02, 0x00, 0x35, 0x03, 0x99, 0x00, 0x13));
    emulator.putItem(0, 9);
    const st = await board.status(0);
    expect(st.locks[8]!.occupied).toBe(true);
    expect((await board.unlock(0, 9)).outcome).toBe('opened');
    expect(board.stats().droppedBytes).toBeGreaterThan(0);
    expect(board.stats().retries).toBe(0);
  });

  it('setPulse reaches the board, in 10 ms units (what the station sets at start)', async () => {
    const { board, emulator } = await start();
    await board.setPulse(0, 1000);
    await board.setPulse(5, 240);
    expect(emulator.model.board(0).pulseMs).toBe(1000);
    expect(emulator.model.board(5).pulseMs).toBe(240);
    expect(emulator.count(0, 'set-pulse')).toBe(1);
  });

  it('setPulse to a silent board is a typed fault after the retries, not a hang', async () => {
    const { board, emulator } = await start();
    emulator.setFault(1, { kind: 'silent' });
    const err = await rejection(board.setPulse(1, 500));
    expect(err).toMatchObject({ kind: 'no_reply', board: 1, attempts: 4 });
    expect(emulator.count(1, 'set-pulse')).toBe(4);
  });

  it('stuck latch: did_not_open after the configured verify reads, never a second unlock', async () => {
    const { board, emulator } = await start({ verifyReads: 3 });
    emulator.jamLatch(0, 5);
    const r = await board.unlock(0, 5);
    expect(r.outcome).toBe('did_not_open');
    expect(emulator.count(0, 'unlock')).toBe(1);
    // Three verify reads (plus any retry a loaded machine caused).
    expect(emulator.count(0, 'status')).toBe(3 + board.stats().retries);
  });

  it('unlock to a silent board: fault, commanded, unlock sent once', async () => {
    const { board, emulator } = await start();
    emulator.setFault(1, { kind: 'silent' });
    const r = await board.unlock(1, 3);
    expect(r).toMatchObject({
      outcome: 'fault',
      commanded: true,
      fault: { board: 1, kind: 'no_reply', attempts: 4 },
    });
    expect(emulator.count(1, 'unlock')).toBe(1);
  });

  it('the port going away fails queued work with port_closed and reports it, no hang', async () => {
    const { board, pty } = await start({ replyTimeoutMs: 1000 });
    const faults: BoardFault[] = [];
    board.on('fault', (f) => faults.push(f));
    await board.status(0);
    const pending = board.status(0).catch((e: unknown) => e);
    await pty.close();
    const err = (await pending) as BoardError;
    // Depending on timing, the loss is seen as a closed port or (the other end gone) silence.
    expect(['port_closed', 'no_reply', 'port_error']).toContain(err.kind);
    const after = await board.status(1).catch((e: unknown) => e);
    expect(after).toBeInstanceOf(BoardError);
    expect(faults.length).toBeGreaterThan(0);
  });
});
