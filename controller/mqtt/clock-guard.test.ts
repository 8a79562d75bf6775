import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../storage/db.js';
import { ClockGuard } from './clock-guard.js';

const DAY = 86_400_000;
describe('ClockGuard', () => {
  let dir: string;
  let db: Db;
  let wall: number;
  let mono: number;
  const guard = () =>
    new ClockGuard(
      db,
      { maxJumpSec: 300, settleSec: 600, skewSec: 60 },
      () => new Date(wall),
      () => mono,
    );
  const tick = (ms: number) => {
    wall += ms;
    mono += ms;
  };
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'clock-guard-'));
    db = openDatabase(path.join(dir, 'station.db'));
    wall = Date.parse('2026-11-24T05:00:00Z');
    mono = 1000;
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a steady clock moves the mark forward and is never a jump', () => {
    const g = guard();
    for (let i = 0; i < 10; i++) {
      expect(g.observe().ok).toBe(true);
      tick(30_000);
    }
    expect(g.highWaterMs).toBe(wall - 30_000);
  });

  it('a three-day forward jump is a jump, does not move the mark, and settles after settleSec in step', () => {
    const g = guard();
    g.observe();
    const mark = g.highWaterMs;
    const seen: boolean[] = [];
    g.onChange((v) => seen.push(v.ok));
    wall += 3 * DAY;
    expect(g.observe()).toMatchObject({ ok: false, kind: 'forward' });
    expect(g.highWaterMs).toBe(mark);
    tick(599_000);
    expect(g.observe().ok).toBe(false);
    tick(1_000);
    expect(g.observe().ok).toBe(true);
    expect(g.highWaterMs).toBe(wall);
    expect(seen).toEqual([false, true]);
  });

  it('back behind the mark (also after a restart) is refused until the clock has caught up', () => {
    const g = guard();
    g.observe();
    tick(10 * 60_000);
    g.observe();
    const mark = g.highWaterMs;
    // Restart with the clock an hour back: no monotonic history, the persisted mark decides.
    wall -= 3_600_000;
    mono = 5;
    const again = guard();
    expect(again.observe()).toMatchObject({ ok: false, kind: 'backwards' });
    tick(30 * 60_000);
    expect(again.observe().ok).toBe(false);
    tick(31 * 60_000);
    expect(wall).toBeGreaterThan(mark);
    expect(again.observe().ok).toBe(true);
  });

  it('forward at start-up is downtime, not a jump', () => {
    guard().observe();
    wall += 7 * DAY;
    mono = 0;
    expect(guard().observe().ok).toBe(true);
  });

  it('a small step within maxJumpSec (NTP correcting a few seconds) is no jump', () => {
    const g = guard();
    g.observe();
    tick(60_000);
    wall += 5_000;
    expect(g.observe().ok).toBe(true);
  });

  it("a clock behind the office's signed time (a fresh station set back) is a jump until it catches up", () => {
    const g = guard();
    expect(g.observe().ok).toBe(true);
    const seen: boolean[] = [];
    g.onChange((v) => seen.push(v.ok));
    // The retained command CRL says the office signed at wall + 2 days: this clock is behind.
    const signedAt = wall + 2 * DAY;
    expect(g.witness(signedAt, 'command CRL thisUpdate')).toMatchObject({
      ok: false,
      kind: 'backwards',
      detail: expect.stringContaining("behind the office's signed time (command CRL thisUpdate)"),
    });
    // NTP puts it right: still unsettled until it ran in step for settleSec.
    wall = signedAt + 60_000;
    mono += 60_000;
    expect(g.observe().ok).toBe(false);
    tick(600_000);
    expect(g.observe().ok).toBe(true);
    expect(seen).toEqual([false, true]);
  });

  it('a signed time in the past or within maxJumpSec ahead is no jump', () => {
    const g = guard();
    g.observe();
    expect(g.witness(wall - 5 * DAY, 'old CRL').ok).toBe(true);
    expect(g.witness(wall + 200_000, 'office clock a little ahead').ok).toBe(true);
  });
});
