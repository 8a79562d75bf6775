import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimGpio } from '../../hardware/gpio/index.js';
import { SimLockerBoard, type BoardFault } from '../../hardware/locker-board/index.js';
import type { Timers } from '../../hardware/support.js';
import { checkConfig } from '../config/load.js';
import { silentLogger } from '../log.js';
import { HardwareComponent } from './hardware-component.js';

const timers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

const config = checkConfig(
  {
    board: {
      driver: 'sim',
      boards: [
        { address: 0, locks: 4, pulseMs: 700 },
        { address: 1, locks: 4, pulseMs: 1000 },
      ],
    },
    gpio: {
      driver: 'sim',
      outputs: [{ name: 'front', line: 17, maxPulseMs: 1000 }],
      inputs: [{ name: 'front-contact', line: 5, kind: 'door' }],
    },
  },
  { env: {} },
);

describe('HardwareComponent', () => {
  let hooks: EventEmitter;
  let hw: HardwareComponent;
  beforeEach(() => {
    vi.useFakeTimers();
    hooks = new EventEmitter();
    hw = new HardwareComponent(config, silentLogger(), {
      timers,
      pollIntervalMs: 1000,
      faultedPollEvery: 1,
      exitHooks: hooks,
    });
  });
  afterEach(async () => {
    await hw.stop();
    vi.useRealTimers();
  });

  it('builds the drivers the config names', () => {
    expect(hw.board).toBeInstanceOf(SimLockerBoard);
    expect(hw.gpio).toBeInstanceOf(SimGpio);
  });

  it('locks every output before reading any input, and locks again on process exit', async () => {
    await hw.start(new AbortController().signal);
    const gpio = hw.gpio as SimGpio;
    const ops = gpio.journal.map((o) => o.op);
    expect(ops.indexOf('open-output')).toBeLessThan(ops.indexOf('read'));
    void gpio.pulse('front', 800);
    expect(gpio.outputState('front')).toBe('unlocked');
    hooks.emit('exit');
    expect(gpio.outputState('front')).toBe('locked');
  });

  it('gives every board its configured pulse length before the first status read', async () => {
    const calls: string[] = [];
    const board = hw.board!;
    const setPulse = board.setPulse.bind(board);
    const status = board.status.bind(board);
    vi.spyOn(board, 'setPulse').mockImplementation((b, ms) => {
      calls.push(`pulse ${b} ${ms}`);
      return setPulse(b, ms);
    });
    vi.spyOn(board, 'status').mockImplementation((b) => {
      calls.push(`status ${b}`);
      return status(b);
    });
    await hw.start(new AbortController().signal);
    expect(calls).toEqual(['pulse 0 700', 'status 0', 'pulse 1 1000', 'status 1']);
  });

  it('a board that stops answering is an event and a log line, not an exception', async () => {
    await hw.start(new AbortController().signal);
    const sim = hw.board as SimLockerBoard;
    const faults: BoardFault[] = [];
    sim.on('fault', (f) => faults.push(f));
    sim.setSilent(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(faults).toEqual([expect.objectContaining({ board: 1, kind: 'no_reply' })]);
    expect(hw.faultedBoards()).toEqual([1]);
    sim.setSilent(1, false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(hw.faultedBoards()).toEqual([]);
  });

  it('stop() locks, closes, removes the exit hook; twice is fine', async () => {
    await hw.start(new AbortController().signal);
    void hw.gpio!.pulse('front', 800);
    await hw.stop();
    await hw.stop();
    expect(hw.gpio!.outputState('front')).toBe('locked');
    expect(hooks.listenerCount('exit')).toBe(0);
    await expect(hw.board!.status(0)).rejects.toMatchObject({ kind: 'port_closed' });
  });
});
