/**
 * Calendar checks for the contract's instants and dates (pure computation). A pattern alone
 * lets `2026-13-01T00:00:00Z` or `2026-02-30` through, and `Date.parse` turns them into NaN
 * (a rule that never expires) or silently rolls them over; these checks refuse them.
 *
 * Instant (RFC 3339 §5.6 `date-time`, restricted to an explicit zone):
 *   YYYY-MM-DD 'T' hh:mm:ss [.fraction] ('Z' | ('+' | '-') hh:mm)
 * Date (RFC 3339 `full-date`): YYYY-MM-DD.
 */

const INSTANT_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Longest text of an instant (nine fraction digits and an offset). */
export const INSTANT_MAX_LENGTH = 35;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function validDate(y: number, m: number, d: number): boolean {
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

/** True for a real calendar date `YYYY-MM-DD`. */
export function isCalendarDate(text: string): boolean {
  const m = DATE_RE.exec(text);
  return m !== null && validDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/**
 * True for an instant whose date exists, with hours 00-23, minutes and seconds 00-59 (no leap
 * second: JavaScript cannot represent it) and a zone offset within ±23:59.
 */
export function isCalendarInstant(text: string): boolean {
  if (typeof text !== 'string' || text.length > INSTANT_MAX_LENGTH) return false;
  const m = INSTANT_RE.exec(text);
  if (!m) return false;
  if (!validDate(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return false;
  if (m[9] !== undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) return false;
  return Number.isFinite(Date.parse(text));
}
