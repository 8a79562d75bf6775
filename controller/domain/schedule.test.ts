import { describe, expect, it } from 'vitest';
import type { DoorRule } from '../../shared/mqtt/commands.js';
import { localTime, ruleOpenAt, withinHours } from './schedule.js';

/** Weekdays 08:00-18:00 in Tokyo; 2027-01-01 is a holiday open 09:00-12:00 only. */
const rule: DoorRule = {
  ruleId: 'R-1',
  who: { groups: ['cleaners'] },
  doors: ['main'],
  schedule: {
    timezone: 'Asia/Tokyo',
    weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' }],
    holidays: ['2027-01-01', '2027-01-04'],
    holidayWindows: [{ from: '09:00', to: '12:00' }],
  },
  validFrom: '2026-12-01T00:00:00Z',
  validUntil: '2027-02-01T00:00:00Z',
};

describe('door-rule schedules', () => {
  it('reads the weekday and time in the rule’s own time zone, not UTC', () => {
    // 2027-01-05 23:30 UTC is Wednesday 08:30 in Tokyo.
    expect(localTime(new Date('2027-01-05T23:30:00Z'), 'Asia/Tokyo')).toEqual({
      date: '2027-01-06',
      day: 'wed',
      minutes: 8 * 60 + 30,
    });
    expect(ruleOpenAt(rule, new Date('2027-01-05T23:30:00Z'))).toBe('ok');
    // Tuesday 10:00 UTC is Tuesday 19:00 in Tokyo: past the window.
    expect(ruleOpenAt(rule, new Date('2027-01-05T10:00:00Z'))).toBe('outside_schedule');
  });

  it('window edges: from is inside, to is outside', () => {
    expect(ruleOpenAt(rule, new Date('2027-01-05T23:00:00Z'))).toBe('ok'); // 08:00
    expect(ruleOpenAt(rule, new Date('2027-01-05T22:59:00Z'))).toBe('outside_schedule'); // 07:59
    expect(ruleOpenAt(rule, new Date('2027-01-06T09:00:00Z'))).toBe('outside_schedule'); // 18:00
  });

  it('a holiday replaces the weekly windows with its own', () => {
    // Monday 2027-01-04 is a holiday: 08:30 is outside its 09:00-12:00 window...
    expect(ruleOpenAt(rule, new Date('2027-01-03T23:30:00Z'))).toBe('holiday');
    // ...10:00 is inside, 13:00 (inside the weekly window) is not.
    expect(ruleOpenAt(rule, new Date('2027-01-04T01:00:00Z'))).toBe('ok');
    expect(ruleOpenAt(rule, new Date('2027-01-04T04:00:00Z'))).toBe('holiday');
    // Without holiday windows a holiday is closed all day.
    const closed: DoorRule = { ...rule, schedule: { ...rule.schedule, holidayWindows: [] } };
    expect(ruleOpenAt(closed, new Date('2027-01-04T01:00:00Z'))).toBe('holiday');
  });

  it('validity: before validFrom, at and after validUntil', () => {
    // A Wednesday 10:00 in Tokyo in each case.
    expect(ruleOpenAt(rule, new Date('2026-11-25T01:00:00Z'))).toBe('not_yet_valid');
    expect(ruleOpenAt(rule, new Date('2026-12-02T01:00:00Z'))).toBe('ok');
    expect(ruleOpenAt(rule, new Date('2027-02-03T01:00:00Z'))).toBe('expired');
    expect(ruleOpenAt(rule, new Date(rule.validUntil))).toBe('expired');
  });

  it('a window crossing midnight belongs to the day it starts on', () => {
    const night: DoorRule = {
      ...rule,
      schedule: { timezone: 'Asia/Tokyo', weekly: [{ days: ['fri'], from: '22:00', to: '06:00' }] },
    };
    expect(ruleOpenAt(night, new Date('2027-01-08T13:30:00Z'))).toBe('ok'); // Fri 22:30
    expect(ruleOpenAt(night, new Date('2027-01-08T20:00:00Z'))).toBe('ok'); // Sat 05:00
    expect(ruleOpenAt(night, new Date('2027-01-08T21:00:00Z'))).toBe('outside_schedule'); // Sat 06:00
    // Friday 05:00 is Thursday night's window, which there is not; Thursday 23:00 neither.
    expect(ruleOpenAt(night, new Date('2027-01-07T20:00:00Z'))).toBe('outside_schedule');
    expect(ruleOpenAt(night, new Date('2027-01-07T14:00:00Z'))).toBe('outside_schedule');
  });

  it('station hours: open == close means always open; a window crossing midnight', () => {
    const at = new Date('2027-01-06T17:00:00Z'); // 02:00 Tokyo
    expect(withinHours({ open: '00:00', close: '00:00' }, 'Asia/Tokyo', at)).toBe(true);
    expect(withinHours({ open: '07:00', close: '22:00' }, 'Asia/Tokyo', at)).toBe(false);
    expect(withinHours({ open: '20:00', close: '03:00' }, 'Asia/Tokyo', at)).toBe(true);
  });
});
