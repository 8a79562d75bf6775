import { beforeAll, describe, expect, it } from 'vitest';

type Scanner = { key(e: { key: string; timeStamp?: number }): boolean; reset(): void };
let make: (o: { onCode: (c: string) => void; maxGapMs?: number; minLength?: number }) => Scanner;

beforeAll(async () => {
  // The kiosk page's classic script, loaded as the browser would (it defines a global).
  const file = './static/scanner.js';
  await import(/* @vite-ignore */ file);
  make = (globalThis as unknown as { JpkiWedgeScanner: typeof make }).JpkiWedgeScanner;
});

/** Types `text` then Enter, `gapMs` apart, from `t0`. */
function type(s: Scanner, text: string, t0: number, gapMs: number): number {
  let t = t0;
  for (const ch of text) s.key({ key: ch, timeStamp: (t += gapMs) });
  s.key({ key: 'Enter', timeStamp: (t += gapMs) });
  return t;
}

describe('keyboard-wedge scanner capture', () => {
  it('takes a fast run of characters ending in Enter as one code', () => {
    const codes: string[] = [];
    const s = make({ onCode: (c) => codes.push(c) });
    type(s, 'NKN-2026-000123-7F3A', 1000, 8);
    expect(codes).toEqual(['NKN-2026-000123-7F3A']);
  });

  it('ignores a person typing (slow keys) and a lone Enter', () => {
    const codes: string[] = [];
    const s = make({ onCode: (c) => codes.push(c) });
    type(s, 'ABCD1234', 1000, 180);
    s.key({ key: 'Enter', timeStamp: 9000 });
    expect(codes).toEqual([]);
  });

  it('drops a run broken by a pause and starts afresh after it', () => {
    const codes: string[] = [];
    const s = make({ onCode: (c) => codes.push(c) });
    let t = 1000;
    for (const ch of 'JUNK') s.key({ key: ch, timeStamp: (t += 5) });
    t += 500; // the scanner was put down; then a real scan
    type(s, 'ENV-0002', t, 6);
    expect(codes).toEqual(['ENV-0002']);
  });

  it('refuses codes shorter than minLength and non-printable keys inside a run', () => {
    const codes: string[] = [];
    const s = make({ onCode: (c) => codes.push(c), minLength: 6 });
    type(s, 'AB12', 1000, 5);
    let t = 2000;
    for (const k of ['E', 'N', 'V', 'Tab', '0', '0', '1']) s.key({ key: k, timeStamp: (t += 5) });
    s.key({ key: 'Enter', timeStamp: (t += 5) });
    expect(codes).toEqual([]);
    // Shift (for upper-case letters on some scanners) does not break a run.
    t = 3000;
    for (const k of ['Shift', 'E', 'Shift', 'N', 'V', '-', '9', '9'])
      s.key({ key: k, timeStamp: (t += 4) });
    s.key({ key: 'Enter', timeStamp: (t += 4) });
    expect(codes).toEqual(['ENV-99']);
  });

  it('reset forgets a half-read code', () => {
    const codes: string[] = [];
    const s = make({ onCode: (c) => codes.push(c) });
    let t = 1000;
    for (const ch of 'ENV-') s.key({ key: ch, timeStamp: (t += 5) });
    s.reset();
    for (const ch of '0003') s.key({ key: ch, timeStamp: (t += 5) });
    s.key({ key: 'Enter', timeStamp: (t += 5) });
    expect(codes).toEqual(['0003']);
  });
});
