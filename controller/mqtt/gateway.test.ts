/**
 * MqttGateway against the embedded aedes broker (MQTT 3.1.1): the heartbeat carries exactly
 * the station's uptime, interval, version, outbox depth, CRL age, hardware health and mode;
 * reconnect back-off doubles with jitter and is capped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HeartbeatMessage } from '../../shared/mqtt/state.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import { validatePayload } from '../../shared/mqtt/validate.js';
import { EmbeddedBroker } from '../demo/embedded-broker.js';
import { silentLogger } from '../log.js';
import { Outbox } from '../outbox/outbox.js';
import { openDatabase, type Db } from '../storage/db.js';
import { MqttGateway, reconnectDelayMs } from './gateway.js';
import { ManualTimers } from './timers.js';
import { freeLoopbackPort } from '../demo/demo-script.js';
import { EmptyStateProvider } from './types.js';

describe('reconnectDelayMs', () => {
  it('doubles from the minimum, jitters x0.5..x1.5, never exceeds the maximum', () => {
    expect([0, 1, 2, 3].map((a) => reconnectDelayMs(a, 1000, 60_000, 0.5))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
    expect(reconnectDelayMs(0, 1000, 60_000, 0)).toBe(500);
    expect(reconnectDelayMs(0, 1000, 60_000, 0.999)).toBe(1499);
    expect(reconnectDelayMs(10, 1000, 60_000, 0.999)).toBe(60_000);
    expect(reconnectDelayMs(10_000, 1000, 60_000, 0)).toBe(30_000);
  });
});

describe('heartbeat', () => {
  let broker: EmbeddedBroker;
  let dir: string;
  let db: Db;
  let gateway: MqttGateway | undefined;
  let office: MqttClient | undefined;
  beforeEach(async () => {
    broker = new EmbeddedBroker('127.0.0.1', 0, silentLogger());
    await broker.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'gateway-'));
    db = openDatabase(path.join(dir, 'station.db'));
  });
  afterEach(async () => {
    await gateway?.stop();
    await office?.endAsync(true);
    db.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries uptime, interval, version, outbox depth, CRL age, hardware health and mode', async () => {
    const url = `mqtt://127.0.0.1:${broker.boundPort}`;
    const topics = new StationTopics('st-hb');
    let clock = Date.parse('2026-11-24T05:00:00.000Z');
    const outbox = new Outbox(db, { stationId: 'st-hb', maxEvents: 1000 });
    for (let i = 0; i < 7; i++)
      outbox.append({ kind: 'door.state', data: { door: 'main', status: 'locked' } });
    class State extends EmptyStateProvider {
      override crl() {
        return {
          ageSec: 5400,
          thisUpdate: '2026-11-24T03:30:00.000Z',
          nextUpdate: '2026-11-25T03:30:00.000Z',
          stale: false,
        };
      }
      override hardware() {
        return { cardReader: 'ok' as const, board0: 'lost' as const, gpio: 'absent' as const };
      }
      override mode() {
        return 'maintenance' as const;
      }
      auditHead() {
        return { seq: 12, hash: 'ab'.repeat(32) };
      }
    }
    const state = new State();
    gateway = new MqttGateway(
      {
        stationId: 'st-hb',
        url,
        protocolVersion: 4,
        heartbeatSec: 45,
        reconnectMinMs: 100,
        reconnectMaxMs: 500,
        version: '1.2.3',
      },
      {
        db,
        outbox,
        handler: { handle: async () => ({ accepted: true }) },
        state,
        signerTrust: { check: () => ({ valid: false, reason: 'test' }) } as never,
        log: silentLogger(),
        now: () => new Date(clock),
      },
    );
    office = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
    const heartbeat = new Promise<HeartbeatMessage>((resolve) =>
      office!.on('message', (t, p) => {
        if (t === topics.heartbeat) resolve(JSON.parse(p.toString()) as HeartbeatMessage);
      }),
    );
    await office.subscribeAsync(topics.heartbeat, { qos: 0 });
    clock += 3_600_000; // the station has been up for an hour when it connects
    await gateway.start(new AbortController().signal);
    const hb = await heartbeat;
    expect(hb).toEqual({
      v: 1,
      at: '2026-11-24T06:00:00.000Z',
      session: gateway.session,
      uptimeSec: 3600,
      intervalSec: 45,
      version: '1.2.3',
      outboxDepth: 7,
      crlAgeSec: 5400,
      hardware: { cardReader: 'ok', board0: 'lost', gpio: 'absent' },
      mode: 'maintenance',
      auditHead: { seq: 12, hash: 'ab'.repeat(32) },
    });
    expect(validatePayload('heartbeat', hb).ok).toBe(true);
  });
});

describe('timers on fake time (injected)', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gateway-timers-'));
    db = openDatabase(path.join(dir, 'station.db'));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function gatewayOn(url: string, timers: ManualTimers, heartbeatSec = 45) {
    return new MqttGateway(
      {
        stationId: 'st-ft',
        url,
        protocolVersion: 4,
        heartbeatSec,
        reconnectMinMs: 1000,
        reconnectMaxMs: 8000,
        version: '1.2.3',
      },
      {
        db,
        outbox: new Outbox(db, { stationId: 'st-ft', maxEvents: 1000 }),
        handler: { handle: async () => ({ accepted: true }) },
        state: new EmptyStateProvider(),
        signerTrust: { check: () => ({ valid: false, reason: 'test' }) } as never,
        log: silentLogger(),
        random: () => 0.5,
        timers,
      },
    );
  }

  it('reconnect attempts back off 1, 2, 4, 8, 8 s on fake time against a dead broker', async () => {
    const timers = new ManualTimers();
    const delays: number[] = [];
    let next: () => void = () => {};
    timers.onScheduled((ms, repeat) => {
      if (!repeat) {
        delays.push(ms);
        next();
      }
    });
    const scheduled = () => new Promise<void>((r) => (next = r));
    const port = await freeLoopbackPort();
    const gateway = gatewayOn(`mqtt://127.0.0.1:${port}`, timers);
    let wait = scheduled();
    await gateway.start(new AbortController().signal);
    for (let i = 0; i < 5; i++) {
      await wait;
      wait = scheduled();
      timers.advance(delays.at(-1)!);
    }
    await wait;
    await gateway.stop();
    expect(delays.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('the heartbeat follows the injected timers, not the wall clock', async () => {
    const broker = new EmbeddedBroker('127.0.0.1', 0, silentLogger());
    await broker.start();
    const timers = new ManualTimers();
    const gateway = gatewayOn(`mqtt://127.0.0.1:${broker.boundPort}`, timers, 45);
    const office = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.boundPort}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    try {
      let beats = 0;
      let onBeat: () => void = () => {};
      office.on('message', () => {
        beats++;
        onBeat();
      });
      await office.subscribeAsync(new StationTopics('st-ft').heartbeat, { qos: 0 });
      const beat = () => new Promise<void>((r) => (onBeat = r));
      let first = beat();
      await gateway.start(new AbortController().signal);
      await first; // sent on connect
      expect(timers.pendingMs()).toContain(45_000);
      for (let i = 0; i < 3; i++) {
        first = beat();
        timers.advance(45_000);
        await first;
      }
      expect(beats).toBe(4);
    } finally {
      await gateway.stop();
      await office.endAsync(true);
      await broker.stop();
    }
  });
});
