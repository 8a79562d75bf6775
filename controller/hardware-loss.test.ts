/**
 * Hardware lost at run time: with no card reader left past the grace period (or the locker
 * bus's port gone), every output is driven locked first and the loss is reported (the shell
 * then exits 3). A reader that comes back within the grace period is a hiccup.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimCardReader } from '../hardware/card/sim-card-reader.js';
import { HardwareLostError } from '../shared/errors.js';
import { HardwareLossWatch } from './hardware.js';
import { silentLogger } from './log.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('HardwareLossWatch', () => {
  it('no reader left past the grace period: outputs locked, then the loss reported', async () => {
    vi.useFakeTimers();
    const card = new SimCardReader({ readers: ['R0'] });
    await card.start();
    const order: string[] = [];
    const lost: HardwareLostError[] = [];
    const watch = new HardwareLossWatch(
      { card, board: undefined, gpio: undefined },
      () => order.push('locked'),
      (err) => {
        order.push('lost');
        lost.push(err);
      },
      silentLogger(),
      30_000,
    );
    await watch.start();
    card.removeReader('R0');
    vi.advanceTimersByTime(29_999);
    expect(lost).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(order).toEqual(['locked', 'lost']);
    expect(lost[0]).toBeInstanceOf(HardwareLostError);
    expect(lost[0]!.device).toBe('card');
    await watch.stop();
    await card.stop();
  });

  it('a reader back within the grace period is a hiccup; stop clears the timer', async () => {
    vi.useFakeTimers();
    const card = new SimCardReader({ readers: ['R0'] });
    await card.start();
    const lost: unknown[] = [];
    const watch = new HardwareLossWatch(
      { card, board: undefined, gpio: undefined },
      () => {},
      (err) => lost.push(err),
      silentLogger(),
      30_000,
    );
    await watch.start();
    card.removeReader('R0');
    vi.advanceTimersByTime(10_000);
    card.addReader('R0');
    vi.advanceTimersByTime(60_000);
    expect(lost).toEqual([]);
    card.removeReader('R0');
    await watch.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(lost).toEqual([]);
    await card.stop();
  });
});
