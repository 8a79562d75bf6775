import { describe, expect, it } from 'vitest';
import { isCalendarDate, isCalendarInstant } from './instant.js';

describe('calendar-checked instants', () => {
  it.each([
    '2026-11-24T05:00:00Z',
    '2026-11-24T05:00:00.123Z',
    '2026-11-24T14:00:00+09:00',
    '2028-02-29T00:00:00Z',
    '2000-02-29T23:59:59-05:30',
  ])('accepts %s', (s) => expect(isCalendarInstant(s)).toBe(true));
  it.each([
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-11-24T24:00:00Z',
    '2026-11-24T05:60:00Z',
    '2026-11-24T05:00:60Z',
    '2026-11-24T05:00:00+24:00',
    '2026-11-24T05:00:00',
    '2026-11-24 05:00:00Z',
    `2026-11-24T05:00:00.${'1'.repeat(30)}Z`,
  ])('refuses %s', (s) => expect(isCalendarInstant(s)).toBe(false));
  it('checks dates the same way', () => {
    expect(isCalendarDate('2026-12-31')).toBe(true);
    expect(isCalendarDate('2026-02-30')).toBe(false);
    expect(isCalendarDate('2026-1-01')).toBe(false);
  });
});
