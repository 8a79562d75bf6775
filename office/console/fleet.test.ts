import { describe, expect, it } from 'vitest';
import { examplePayloads } from '../../shared/mqtt/examples.js';
import type { EventMessage } from '../../shared/mqtt/events.js';
import type { TopicSuffix } from '../../shared/mqtt/topics.js';
import { alarmOccurrenceKey, defaultArea, FleetModel, type FleetOptions } from './fleet.js';

const T0 = Date.parse('2026-11-24T05:00:00.000Z');

function setup(o: Partial<FleetOptions> = {}) {
  let now = T0;
  const fleet = new FleetModel({ heartbeatSec: 10, ...o }, () => now);
  const feed = (station: string, suffix: TopicSuffix, value: unknown) =>
    fleet.ingest(station, suffix, JSON.stringify(value));
  return {
    fleet,
    feed,
    advance(ms: number) {
      now += ms;
      fleet.tick();
    },
    online(station: string, session = 1) {
      feed(station, 'status', { v: 1, state: 'online', session, version: '0.1.0' });
    },
    heartbeat(station: string, over: Record<string, unknown> = {}) {
      // Without intervalSec, the fleet default (heartbeatSec above) applies.
      feed(station, 'heartbeat', { ...examplePayloads.heartbeat, intervalSec: undefined, ...over });
    },
  };
}

let seqNo = 0;
function event(
  station: string,
  seq: number,
  kind: string,
  data: unknown,
  at?: string,
): EventMessage {
  seqNo++;
  return {
    v: 1,
    seq,
    id: `00000000-0000-4000-8000-${String(seqNo).padStart(12, '0')}`,
    station,
    kind,
    at: at ?? new Date(T0).toISOString(),
    historical: false,
    data,
  } as EventMessage;
}

describe('FleetModel presence', () => {
  it('is online with heartbeats, silent one interval (+ grace) after the last, online again after one', () => {
    const f = setup();
    f.online('nakano-01');
    f.heartbeat('nakano-01');
    expect(f.fleet.station('nakano-01')!.presence).toBe('online');
    f.advance(10_000);
    expect(f.fleet.station('nakano-01')!.presence).toBe('online');
    f.advance(1_001); // grace: 10 % of 10 s
    expect(f.fleet.station('nakano-01')!.presence).toBe('silent');
    expect(f.fleet.alarms({ activeOnly: true }).map((a) => a.code)).toEqual(['heartbeat_missing']);
    f.heartbeat('nakano-01');
    f.fleet.tick();
    expect(f.fleet.station('nakano-01')!.presence).toBe('online');
    expect(f.fleet.alarms({ activeOnly: true })).toEqual([]);
  });

  it('ignores a late will from an older session (Sparkplug-style session counter)', () => {
    const f = setup();
    f.online('nakano-01', 5);
    f.feed('nakano-01', 'status', { v: 1, state: 'offline', session: 4 });
    expect(f.fleet.station('nakano-01')!.presence).toBe('online');
    f.feed('nakano-01', 'status', { v: 1, state: 'offline', session: 5 });
    expect(f.fleet.station('nakano-01')!.presence).toBe('offline');
    const alarms = f.fleet.alarms({ activeOnly: true });
    expect(alarms.map((a) => [a.code, a.severity, a.source])).toEqual([
      ['station_offline', 'critical', 'console'],
    ]);
  });

  it("judges silence by the station's own heartbeat interval when its heartbeat says it", () => {
    const f = setup();
    f.online('slow-01');
    f.heartbeat('slow-01', { intervalSec: 60 });
    f.advance(30_000); // three fleet-default intervals, half of its own
    expect(f.fleet.station('slow-01')!.presence).toBe('online');
    f.advance(35_000);
    expect(f.fleet.station('slow-01')!.presence).toBe('silent');
  });

  it('does not call a station that just came online silent before its first heartbeat is due', () => {
    const f = setup();
    f.heartbeat('nakano-01');
    f.advance(60_000);
    f.online('nakano-01', 2);
    f.advance(5_000);
    expect(f.fleet.station('nakano-01')!.presence).toBe('online');
  });
});

describe('FleetModel input handling', () => {
  it('counts and ignores payloads that are not JSON or break the schema, never throws', () => {
    const f = setup();
    expect(f.fleet.ingest('nakano-01', 'status', Buffer.from([0xff, 0x00, 0x7b]))).toBeUndefined();
    f.feed('nakano-01', 'heartbeat', { v: 1, at: 'yesterday' });
    f.feed('nakano-01', 'events', { v: 2 });
    expect(f.fleet.stats.rejected).toEqual({ status: 1, heartbeat: 1, events: 1 });
    expect(f.fleet.stations()).toEqual([]);
  });

  it('tracks at most maxStations', () => {
    const f = setup({ maxStations: 2 });
    for (const id of ['a-1', 'a-2', 'a-3']) f.online(id);
    expect(f.fleet.stations().map((s) => s.id)).toEqual(['a-1', 'a-2']);
    expect(f.fleet.stats.droppedStations).toBe(1);
  });

  it('takes the area from the directory, else from the id', () => {
    expect(defaultArea('nakano-01')).toBe('nakano');
    expect(defaultArea('station')).toBe('');
    const f = setup({ areas: new Map([['x-1', 'Nakano ward']]) });
    f.online('x-1');
    expect(f.fleet.station('x-1')!.area).toBe('Nakano ward');
  });

  it('hands out changes once per delta', () => {
    const f = setup();
    f.online('nakano-01');
    f.heartbeat('nakano-01');
    const d = f.fleet.takeDelta();
    expect(d.stations.map((s) => s.id)).toEqual(['nakano-01']);
    expect(f.fleet.hasChanges).toBe(false);
    expect(f.fleet.takeDelta().stations).toEqual([]);
  });
});

describe('FleetModel events', () => {
  it('drops redelivered events (same or lower seq) and keeps the stream bounded', () => {
    const f = setup({ maxEvents: 4 });
    for (let s = 1; s <= 6; s++)
      f.feed(
        'nakano-01',
        'events',
        event('nakano-01', s, 'door.state', { door: 'main', status: 'locked' }),
      );
    f.feed(
      'nakano-01',
      'events',
      event('nakano-01', 6, 'door.state', { door: 'main', status: 'locked' }),
    );
    expect(f.fleet.stats.duplicateEvents).toBe(1);
    // Trimmed back to the bound once 1.25 x is passed.
    expect(f.fleet.events().map((e) => e.seq)).toEqual([6, 5, 4, 3]);
    for (let s = 7; s <= 10; s++)
      f.feed(
        'nakano-01',
        'events',
        event('nakano-01', s, 'door.state', { door: 'main', status: 'locked' }),
      );
    expect(f.fleet.events().length).toBeLessThanOrEqual(5);
    expect(f.fleet.events()[0]!.seq).toBe(10);
  });

  it('filters by station, kind (exact or prefix) and time, newest first', () => {
    const f = setup();
    f.feed(
      'a-1',
      'events',
      event(
        'a-1',
        1,
        'delivery.expired',
        { deliveryId: 'D1', compartment: 'A01' },
        '2026-11-24T01:00:00Z',
      ),
    );
    f.feed(
      'a-1',
      'events',
      event('a-1', 2, 'door.state', { door: 'main', status: 'open' }, '2026-11-24T02:00:00Z'),
    );
    f.feed(
      'b-1',
      'events',
      event(
        'b-1',
        1,
        'delivery.extended',
        { deliveryId: 'D2', pickupDeadline: '2026-11-30T00:00:00Z' },
        '2026-11-24T03:00:00Z',
      ),
    );
    expect(f.fleet.events({ station: 'a-1' }).map((e) => e.seq)).toEqual([2, 1]);
    expect(f.fleet.events({ kind: 'delivery.' }).map((e) => e.kind)).toEqual([
      'delivery.extended',
      'delivery.expired',
    ]);
    expect(f.fleet.events({ kind: 'door.state' }).length).toBe(1);
    const from = Date.parse('2026-11-24T01:30:00Z');
    const to = Date.parse('2026-11-24T02:30:00Z');
    expect(f.fleet.events({ from, to }).map((e) => e.kind)).toEqual(['door.state']);
  });

  it('applies compartment and door events to the station picture before the next retained state', () => {
    const f = setup();
    f.feed('a-1', 'state/compartments', examplePayloads['state/compartments']);
    f.feed('a-1', 'state/doors', examplePayloads['state/doors']);
    f.feed(
      'a-1',
      'events',
      event('a-1', 1, 'compartment.state', { compartment: 'A01', status: 'jammed', door: 'open' }),
    );
    f.feed('a-1', 'events', event('a-1', 2, 'door.state', { door: 'main', status: 'forced' }));
    const s = f.fleet.station('a-1')!;
    expect(s.compartmentList.find((c) => c.compartment === 'A01')!.status).toBe('jammed');
    expect(s.compartments).toEqual({ total: 2, free: 0, loaded: 1, problem: 1 });
    expect(s.doors).toEqual({ total: 1, problem: 1 });
  });
});

describe('FleetModel alarms', () => {
  it('raises from an event, keeps one occurrence when the retained state follows, acks, clears; a re-raise is a new occurrence', () => {
    const f = setup();
    f.feed(
      'a-1',
      'events',
      event('a-1', 1, 'alarm.raised', {
        alarm: 'door_held_open',
        severity: 'warning',
        target: 'main',
      }),
    );
    f.feed('a-1', 'state/alarms', examplePayloads['state/alarms']);
    const [first, ...rest] = f.fleet.alarms({ activeOnly: true });
    expect(rest).toEqual([]);
    expect(first!.code).toBe('door_held_open');
    expect(f.fleet.acknowledge(first!.id, 'alice')!.ack!.by).toBe('alice');
    f.fleet.acknowledge(first!.id, 'bob');
    expect(f.fleet.alarm(first!.id)!.ack!.by).toBe('alice');
    expect(f.fleet.station('a-1')!.unacked).toBe(0);
    f.feed('a-1', 'state/alarms', { v: 1, at: '2026-11-24T05:00:00.000Z', alarms: [] });
    expect(f.fleet.alarm(first!.id)!.active).toBe(false);
    f.feed(
      'a-1',
      'events',
      event('a-1', 2, 'alarm.raised', {
        alarm: 'door_held_open',
        severity: 'warning',
        target: 'main',
      }),
    );
    const again = f.fleet.alarms({ activeOnly: true });
    expect(again.length).toBe(1);
    expect(again[0]!.id).not.toBe(first!.id);
    expect(again[0]!.ack).toBeNull();
  });

  it('derives CRL nearly stale / stale, outbox backlog and board unreachable; the station report wins a tie', () => {
    const f = setup({ crlWarnSec: 3600, outboxWarnDepth: 100 });
    f.online('a-1');
    const soon = new Date(T0 + 1800_000).toISOString();
    f.feed('a-1', 'state/crl', {
      v: 1,
      at: new Date(T0).toISOString(),
      ageSec: 80_000,
      thisUpdate: null,
      nextUpdate: soon,
      stale: false,
    });
    f.heartbeat('a-1', { outboxDepth: 150, hardware: { board0: 'lost', cardReader: 'ok' } });
    const codes = () =>
      f.fleet
        .alarms({ activeOnly: true })
        .map((a) => `${a.code}/${a.source}`)
        .sort();
    expect(codes()).toEqual([
      'board_unreachable/console',
      'crl_nearly_stale/console',
      'outbox_backlog/console',
    ]);
    f.feed('a-1', 'state/crl', {
      v: 1,
      at: new Date(T0).toISOString(),
      ageSec: 90_000,
      thisUpdate: null,
      nextUpdate: soon,
      stale: true,
    });
    f.feed('a-1', 'state/alarms', {
      v: 1,
      at: new Date(T0).toISOString(),
      alarms: [
        {
          alarm: 'board_unreachable',
          severity: 'critical',
          target: 'board0',
          since: new Date(T0).toISOString(),
        },
      ],
    });
    expect(codes()).toEqual([
      'board_unreachable/station',
      'crl_stale/console',
      'outbox_backlog/console',
    ]);
    f.heartbeat('a-1', { outboxDepth: 0, hardware: { board0: 'ok' } });
    expect(codes()).toEqual(['board_unreachable/station', 'crl_stale/console']);
  });

  it('keeps an acknowledgement made before a restart for the same occurrence only', () => {
    const since = '2026-11-24T04:58:10.000Z';
    const f = setup({
      priorAcks: new Map([
        [alarmOccurrenceKey('a-1', 'door_held_open', 'main', since), { by: 'alice', at: since }],
      ]),
    });
    f.feed('a-1', 'state/alarms', examplePayloads['state/alarms']);
    f.feed('b-1', 'state/alarms', examplePayloads['state/alarms']);
    expect(f.fleet.alarms({ station: 'a-1' })[0]!.ack).toEqual({ by: 'alice', at: since });
    expect(f.fleet.alarms({ station: 'b-1' })[0]!.ack).toBeNull();
  });
});

describe('FleetModel station signatures (issue 15)', () => {
  it('lists a forged event as forged, believes nothing from it, and lets the real events through', () => {
    const f = setup();
    f.online('nakano-01');
    const signed = (seq: number, kind: string, data: unknown) =>
      f.fleet.ingest(
        'nakano-01',
        'events',
        JSON.stringify(event('nakano-01', seq, kind, data)),
        'signed',
      );
    signed(5, 'door.state', { door: 'main', status: 'locked' });
    f.fleet.ingest(
      'nakano-01',
      'events',
      JSON.stringify(
        event('nakano-01', 999_999, 'delivery.collected', {
          deliveryId: 'D-1',
          compartment: 'A01',
          holderSpkiSha256: 'ab'.repeat(32),
        }),
      ),
      'forged',
    );
    f.fleet.ingest(
      'nakano-01',
      'events',
      JSON.stringify(
        event('nakano-01', 999_998, 'alarm.raised', { alarm: 'tamper', severity: 'critical' }),
      ),
      'unsigned',
    );
    signed(6, 'door.state', { door: 'main', status: 'unlocked' });
    const listed = f.fleet.events().map((e) => [e.seq, e.kind, e.signature]);
    expect(listed).toEqual([
      [6, 'door.state', 'signed'],
      [999_998, 'alarm.raised', 'unsigned'],
      [999_999, 'delivery.collected', 'forged'],
      [5, 'door.state', 'signed'],
    ]);
    // From a station that signs, neither a forged nor an unsigned alarm raises anything.
    f.fleet.ingest(
      'nakano-01',
      'events',
      JSON.stringify(
        event('nakano-01', 7, 'alarm.raised', { alarm: 'door_forced', severity: 'critical' }),
      ),
      'forged',
    );
    expect(f.fleet.alarms({ activeOnly: true }).map((a) => a.code)).not.toContain('door_forced');
  });
});
