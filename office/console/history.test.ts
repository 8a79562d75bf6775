import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EventMessage } from '../../shared/mqtt/events.js';
import { aggregateFleet, HeartbeatSeries } from './fleet-stats.js';
import type { StationSummary } from './fleet.js';
import { SqliteHistory } from './history-sqlite.js';

const T0 = Date.parse('2026-12-01T09:00:00.000Z');
let n = 0;
const attempt = (station: string, seq: number, atMs: number, result: string, reason?: string) =>
  ({
    v: 1,
    seq,
    id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    station,
    kind: 'pickup.attempt',
    at: new Date(atMs).toISOString(),
    historical: false,
    data: { result, ...(reason ? { reason } : {}), holderSpkiSha256: null },
  }) as unknown as EventMessage;

describe('SqliteHistory', () => {
  it('stores an event once, pages and filters it, counts attempts per hour, and purges', async () => {
    const h = new SqliteHistory(new Database(':memory:'));
    await h.open();
    const a = attempt('nakano-01', 1, T0 + 60_000, 'denied', 'wrong_pin');
    expect(await h.storeEvent('nakano-01', a, T0)).toBe(true);
    expect(await h.storeEvent('nakano-01', a, T0 + 1)).toBe(false); // redelivered copy
    await h.storeEvent('nakano-01', attempt('nakano-01', 2, T0 + 120_000, 'granted'), T0 + 2);
    await h.storeEvent('ota-01', attempt('ota-01', 1, T0 + 3_700_000, 'denied', 'expired'), T0 + 3);
    const recent = await h.recentEvents(10);
    expect(recent.events.map((e) => e.seq)).toEqual([1, 2, 1]);
    expect(recent.cursor).toBe(recent.events.at(-1)!.cursor);
    expect((await h.eventsAfter(recent.events[0]!.cursor!, 10)).events).toHaveLength(2);
    expect((await h.queryEvents({ station: 'nakano-01' })).map((e) => e.seq)).toEqual([2, 1]);
    expect(await h.queryEvents({ kind: 'pickup.', from: T0 + 100_000 })).toHaveLength(2);
    const page1 = await h.queryEvents({ limit: 2 });
    const page2 = await h.queryEvents({ limit: 2, before: page1.at(-1)!.cursor! });
    expect([...page1, ...page2].map((e) => e.station)).toEqual([
      'ota-01',
      'nakano-01',
      'nakano-01',
    ]);
    expect(await h.attemptsByHour(T0)).toEqual([
      { hour: T0, outcome: 'denied:wrong_pin', n: 1 },
      { hour: T0, outcome: 'granted', n: 1 },
      { hour: T0 + 3_600_000, outcome: 'denied:expired', n: 1 },
    ]);
    expect(await h.attemptsByHour(T0, ['ota-01'])).toHaveLength(1);
    expect(await h.purgeBefore(T0 + 3)).toBe(2);
    expect((await h.recentEvents(10)).events).toHaveLength(1);
  });
});

describe('fleet figures', () => {
  const summary = (id: string, area: string, presence: StationSummary['presence'], alarms = 0) =>
    ({ id, area, presence, alarms, crlStale: false }) as StationSummary;

  it('counts stations by area and state', () => {
    const r = aggregateFleet([
      summary('a-1', 'a', 'online'),
      summary('a-2', 'a', 'offline', 2),
      summary('b-1', 'b', 'silent'),
    ]);
    expect(
      r.areas.map((x) => [x.area, x.total, x.online, x.offline, x.silent, x.withAlarms]),
    ).toEqual([
      ['a', 2, 1, 1, 0, 1],
      ['b', 1, 0, 0, 1, 0],
    ]);
    expect(r.total.total).toBe(3);
  });

  it('samples heartbeats at most once a minute per station, keeps an hour, sums an area', () => {
    const s = new HeartbeatSeries();
    for (let m = 0; m < 90; m++) {
      s.record('a-1', 'a', T0 + m * 60_000, m, 3600);
      s.record('a-1', 'a', T0 + m * 60_000 + 10_000, 999, 3600); // within the minute: dropped
      s.record('a-2', 'a', T0 + m * 60_000, 1, null);
    }
    const one = s.station('a-1');
    expect(one.t).toHaveLength(60);
    expect(one.outboxDepth[0]).toBe(30);
    expect(one.outboxDepth.at(-1)).toBe(89);
    const area = s.area('a');
    expect(area.outboxDepth.at(-1)).toBe(90);
    expect(area.crlAgeSec.at(-1)).toBe(3600);
    expect(s.station('nope').t).toEqual([]);
  });
});
