import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../storage/db.js';
import { Outbox, OutboxFullError } from './outbox.js';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
  db = openDatabase(path.join(dir, 'station.db'));
  db.exec('CREATE TABLE things (n INTEGER PRIMARY KEY) STRICT');
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const ev = (n: number) => ({
  kind: 'door.state' as const,
  data: { door: `d${n}`, status: 'locked' as const },
});

describe('Outbox', () => {
  it('stores the state change and its event together, or neither', () => {
    const outbox = new Outbox(db, { stationId: 's1', maxEvents: 1000 });
    const change = db.transaction((n: number, fail: boolean) => {
      db.prepare('INSERT INTO things(n) VALUES (?)').run(n);
      outbox.append(ev(n));
      if (fail) throw new Error('domain failure after the event');
    });
    change(1, false);
    expect(() => change(2, true)).toThrow('domain failure');
    expect(db.prepare('SELECT COUNT(*) AS c FROM things').get()).toEqual({ c: 1 });
    expect(outbox.readFrom(0, 10).map((e) => JSON.parse(e.data).door)).toEqual(['d1']);
  });

  it('numbers events station-wide without reuse, also after pruning', () => {
    const outbox = new Outbox(db, { stationId: 's1', maxEvents: 1000, keepSentEvents: 5 });
    const seqs = Array.from({ length: 1200 }, (_, i) => {
      const a = outbox.append(ev(i));
      outbox.markSent(a.seq);
      return a.seq;
    });
    expect(seqs[0]).toBe(1);
    expect(seqs.every((s, i) => s === i + 1)).toBe(true);
    expect(outbox.append(ev(0)).seq).toBe(1201);
    expect(outbox.depth()).toBe(1);
    const ids = new Set(outbox.readFrom(0, 10_000).map((e) => e.id));
    expect(ids.size).toBe(outbox.readFrom(0, 10_000).length);
  });

  it('raises outbox_filling at 80 %, refuses at the bound, clears below 40 %', () => {
    const outbox = new Outbox(db, { stationId: 's1', maxEvents: 100 });
    const alarms: boolean[] = [];
    outbox.onAlarm((a) => alarms.push(a));
    for (let i = 0; i < 79; i++) outbox.append(ev(i));
    expect(outbox.fillingAlarm).toBe(false);
    outbox.append(ev(79));
    expect(outbox.fillingAlarm).toBe(true);
    const raised = outbox.readFrom(0, 1000).filter((e) => e.kind === 'alarm.raised');
    expect(raised).toHaveLength(1);
    // Ordinary events stop at the safety reserve (10 of 100); safety events fill the rest.
    while (outbox.depth() < 90) outbox.append(ev(0));
    expect(outbox.reserveOnly).toBe(true);
    expect(() => outbox.append(ev(0))).toThrow(OutboxFullError);
    while (outbox.depth() < 100) outbox.append(ev(0), { reserve: true });
    expect(() => outbox.append(ev(0), { reserve: true })).toThrow(OutboxFullError);
    const change = db.transaction(() => {
      db.prepare('INSERT INTO things(n) VALUES (999)').run();
      outbox.append(ev(999));
    });
    expect(() => change()).toThrow(OutboxFullError);
    expect(db.prepare('SELECT COUNT(*) AS c FROM things').get()).toEqual({ c: 0 });
    outbox.markSent(outbox.lastSeq() - 41);
    expect(outbox.fillingAlarm).toBe(true);
    outbox.markSent(outbox.lastSeq() - 30);
    expect(outbox.fillingAlarm).toBe(false);
    expect(outbox.readFrom(0, 1000).at(-1)?.kind).toBe('alarm.cleared');
  });

  it('keeps its cursor across a reopen', () => {
    const a = new Outbox(db, { stationId: 's1', maxEvents: 100 });
    for (let i = 0; i < 10; i++) a.append(ev(i));
    a.markSent(4);
    const b = new Outbox(db, { stationId: 's1', maxEvents: 100 });
    expect(b.sentUpto()).toBe(4);
    expect(b.readFrom(b.sentUpto(), 100).map((e) => e.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(b.toMessage(b.readFrom(4, 1)[0]!, true)).toMatchObject({
      v: 1,
      seq: 5,
      station: 's1',
      kind: 'door.state',
      historical: true,
      data: { door: 'd4' },
    });
  });
});
