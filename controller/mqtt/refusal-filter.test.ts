import { describe, expect, it } from 'vitest';
import { RefusalFilter } from './refusal-filter.js';

describe('RefusalFilter', () => {
  it('records a refused content once per window, however often it is replayed', () => {
    let now = 0;
    const f = new RefusalFilter({ windowMs: 60_000 }, () => now);
    const decisions = Array.from({ length: 2000 }, () => f.refuse('h1'));
    expect(decisions.filter((d) => d.first)).toHaveLength(1);
    expect(decisions.at(-1)!.copies).toBe(2000);
    expect(f.refuse('h2').first).toBe(true);
    now += 60_001;
    expect(f.refuse('h1').first).toBe(true);
  });

  it('answers a burst, then at the sustained rate', () => {
    let now = 0;
    const f = new RefusalFilter({ burst: 3, answersPerSec: 2 }, () => now);
    expect([1, 2, 3, 4].map(() => f.refuse('x').answer)).toEqual([true, true, true, false]);
    now += 500;
    expect([f.allowAnswer(), f.allowAnswer()]).toEqual([true, false]);
    expect(f.takeWithheld()).toBe(2);
    expect(f.takeWithheld()).toBe(0);
  });

  it('forgets the oldest content beyond maxEntries', () => {
    const f = new RefusalFilter({ maxEntries: 2 }, () => 0);
    f.refuse('a');
    f.refuse('b');
    f.refuse('c');
    expect(f.refuse('a').first).toBe(true);
    expect(f.refuse('c').first).toBe(false);
  });
});
