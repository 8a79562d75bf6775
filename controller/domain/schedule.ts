/**
 * Door-rule schedules: weekly windows in a time zone, holidays with their own windows, and a
 * validity window. Pure functions over an instant; the zone's local time comes from Intl.
 */
import type { DoorRule, WeeklyWindow } from '../../shared/mqtt/commands.js';

type Day = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Local calendar date, weekday and minutes since midnight of `at` in `timezone`. */
export function localTime(at: Date, timezone: string): { date: string; day: Day; minutes: number } {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timezone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  const day = String(parts.weekday).toLowerCase().slice(0, 3) as Day;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    day,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** `HH:MM` (00:00-24:00) to minutes since midnight. */
export function hhmm(value: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  if (!m) return NaN;
  return Number(m[1]) * 60 + Number(m[2]);
}

function inWindow(minutes: number, w: Omit<WeeklyWindow, 'days'>): boolean {
  const from = hhmm(w.from);
  const to = hhmm(w.to);
  if (from <= to) return minutes >= from && minutes < to;
  return minutes >= from || minutes < to; // crosses midnight
}

const PREVIOUS_DAY: Record<Day, Day> = {
  sun: 'sat',
  mon: 'sun',
  tue: 'mon',
  wed: 'tue',
  thu: 'wed',
  fri: 'thu',
  sat: 'fri',
};

/**
 * A weekly window at a local time. A window crossing midnight belongs to the day it starts on:
 * `fri 22:00-06:00` covers Friday from 22:00 and Saturday until 06:00 (not Friday 00:00-06:00).
 */
function inWeekly(local: { day: Day; minutes: number }, w: WeeklyWindow): boolean {
  const from = hhmm(w.from);
  const to = hhmm(w.to);
  if (from <= to) return w.days.includes(local.day) && local.minutes >= from && local.minutes < to;
  return (
    (w.days.includes(local.day) && local.minutes >= from) ||
    (w.days.includes(PREVIOUS_DAY[local.day]) && local.minutes < to)
  );
}

/** Why a rule does not grant at a given instant, or `ok`. */
export type ScheduleVerdict = 'ok' | 'not_yet_valid' | 'expired' | 'outside_schedule' | 'holiday';

/** Checks a rule's validity window and schedule at `at`. */
export function ruleOpenAt(rule: DoorRule, at: Date): ScheduleVerdict {
  if (at.getTime() < Date.parse(rule.validFrom)) return 'not_yet_valid';
  if (at.getTime() >= Date.parse(rule.validUntil)) return 'expired';
  const local = localTime(at, rule.schedule.timezone);
  if (rule.schedule.holidays?.includes(local.date)) {
    const windows = rule.schedule.holidayWindows ?? [];
    return windows.some((w) => inWindow(local.minutes, w)) ? 'ok' : 'holiday';
  }
  return rule.schedule.weekly.some((w) => inWeekly(local, w)) ? 'ok' : 'outside_schedule';
}

/** True when the station's opening hours include `at` (open == close: always open). */
export function withinHours(
  hours: { open: string; close: string },
  timezone: string,
  at: Date,
): boolean {
  if (hours.open === hours.close) return true;
  return inWindow(localTime(at, timezone).minutes, { from: hours.open, to: hours.close });
}
