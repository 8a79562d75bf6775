/**
 * Issue 15 acceptance over a real mosquitto (TLS client certificates, ACLs,
 * `use_username_as_clientid`): bounded input, time that cannot be rewound, identity bound
 * to credentials, refusals that cost nothing, valid dates and safe settings only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATION_MAX_PACKET_BYTES } from '../../shared/mqtt/commands.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import { buildCommand, signCommand } from '../../shared/mqtt/command-envelope.js';
import { Mosquitto } from '../support/mosquitto.js';
import {
  connectTls,
  makeCommandPki,
  Office,
  startStation,
  type CommandPki,
  type TestStation,
} from './fixtures.js';
import { bundleLinkStation, startLinkStation } from './link-process.js';

const DAY = 86_400_000;
let broker: Mosquitto;
let pki: CommandPki;
let office: Office;
const stations: TestStation[] = [];

beforeAll(async () => {
  broker = await Mosquitto.start({
    stations: ['st-clock', 'st-flood', 'st-date', 'st-victim', 'st-own', 'st-evil'],
  });
  pki = await makeCommandPki();
  office = await Office.connect(broker);
}, 60_000);
afterAll(async () => {
  for (const s of stations) await s.close();
  await office?.close();
  await broker?.dispose();
});

async function station(id: string, o: Parameters<typeof startStation>[3] = {}) {
  const s = await startStation(broker, pki, id, o);
  stations.push(s);
  await s.connected();
  return s;
}

function vmHwmBytes(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmHWM');
  return Number(m[1]) * 1024;
}

describe('bounded input', () => {
  it.each([
    ['the station alone (broker without max_packet_size)', 0],
    ['the broker too (max_packet_size 1 MiB)', undefined],
  ])(
    'a 100 MB command payload leaves the station within 50 MB of its baseline peak memory: %s',
    { timeout: 180_000 },
    async (_label, maxPacketBytes) => {
      const b = await Mosquitto.start({
        stations: ['st-mem'],
        ...(maxPacketBytes === 0 ? { maxPacketBytes: 0 } : {}),
      });
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mem-'));
      const bundle = await bundleLinkStation();
      const child = startLinkStation(bundle.file, b, 'st-mem', pki.ca.certPem, dir);
      let o = await Office.connect(b);
      try {
        const session = await child.ready;
        // `status` online is published after the command subscription: once it is here the
        // station hears commands.
        const statusTopic = new StationTopics('st-mem').status;
        await o.until(
          () =>
            (o.retained.get(statusTopic) as { session?: number } | undefined)?.session === session,
          10_000,
          'the station online',
        );
        const send = (id?: string) =>
          o.send(
            'st-mem',
            JSON.stringify(
              signCommand(
                buildCommand(
                  'remote.open',
                  { door: 'main', reason: 'memory test' },
                  { station: 'st-mem', ...(id ? { id } : {}) },
                ),
                pki.signer,
              ),
            ),
          );
        expect((await send()).status).toBe('accepted');
        const baseline = vmHwmBytes(child.proc.pid!);
        const huge = Buffer.alloc(100 * 1024 * 1024, 0x61);
        const closed = new Promise<string>((resolve) =>
          o.client.once('close', () => resolve('closed')),
        );
        const published = o.client
          .publishAsync(new StationTopics('st-mem').command, huge, { qos: 1 })
          .then(() => 'delivered to the broker');
        if (maxPacketBytes === 0) {
          expect(await Promise.race([published, closed])).toBe('delivered to the broker');
          // Delivery is in order per subscriber: once this answer is back, the station has
          // had every chance to receive the 100 MB packet.
          expect((await send()).status).toBe('accepted');
        } else {
          // The broker drops a publisher whose packet is above max_packet_size.
          expect(await Promise.race([published, closed])).toBe('closed');
          o = await Office.connect(b);
          expect((await send()).status).toBe('accepted');
        }
        const peak = vmHwmBytes(child.proc.pid!);
        expect(peak - baseline).toBeLessThan(50 * 1024 * 1024);
        expect(STATION_MAX_PACKET_BYTES).toBeLessThan(1024 * 1024);
      } finally {
        child.proc.kill('SIGKILL');
        await child.exited;
        await o.close().catch(() => undefined);
        await b.dispose();
        bundle.rm();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('time that cannot be rewound', () => {
  it(
    'a replay after the clock was pushed three days forward (reconnect) and back is refused and alarmed',
    { timeout: 60_000 },
    async () => {
      let wall = Date.now();
      let mono = 0;
      const s = await station('st-clock', { now: () => new Date(wall), monotonicMs: () => mono });
      const claims = buildCommand(
        'remote.open',
        { door: 'main', reason: 'captured' },
        { station: 'st-clock', now: new Date(wall), lifetimeSec: 300 },
      );
      const captured = JSON.stringify(signCommand(claims, pki.signer));
      expect((await office.send('st-clock', captured)).status).toBe('accepted');
      expect(s.domain.handled).toHaveLength(1);

      // Spoofed NTP: three days forward, then a forced reconnect (a takeover with the
      // station's own certificate) so that the replay cache is purged.
      wall += 3 * DAY;
      mono += 1000;
      const session = s.gateway.session;
      const kicker = await connectTls(broker, 'st-clock');
      await s.disconnected();
      await kicker.endAsync(true);
      await s.connected();
      expect(s.gateway.session).toBeGreaterThan(session);
      // The purge on reconnect went by the high-water mark, not the pushed clock.
      expect(
        s.db.prepare('SELECT id FROM mqtt_commands WHERE id = ?').get(claims.id),
      ).toBeDefined();
      await office.until(
        () =>
          office.events.some(
            (e) =>
              e.station === 'st-clock' &&
              e.kind === 'alarm.raised' &&
              e.data.alarm === 'clock_jump',
          ),
        10_000,
        'the clock_jump alarm',
      );
      const alarms = office.retained.get(new StationTopics('st-clock').alarms) as {
        alarms: { alarm: string }[];
      };
      expect(alarms.alarms.map((a) => a.alarm)).toContain('clock_jump');

      // The clock back, the captured command replayed: refused, not executed.
      wall -= 3 * DAY;
      mono += 1000;
      const r = await office.send('st-clock', captured);
      expect(r).toMatchObject({ status: 'rejected', reason: 'clock_jump' });
      expect(s.domain.handled).toHaveLength(1);

      // Once the clock has run in step for the settle time the alarm clears; the command has
      // expired by then (and its replay row was kept all along).
      wall += 601_000;
      mono += 601_000;
      const again = await office.send('st-clock', captured);
      expect(again).toMatchObject({ status: 'rejected', reason: 'expired' });
      expect(s.domain.handled).toHaveLength(1);
      await office.until(
        () =>
          office.events.some(
            (e) =>
              e.station === 'st-clock' &&
              e.kind === 'alarm.cleared' &&
              e.data.alarm === 'clock_jump',
          ),
        10_000,
        'the clock_jump alarm cleared',
      );
    },
  );
});

describe('identity bound to credentials', () => {
  it(
    "another station's credentials cannot take over a station's client id",
    { timeout: 30_000 },
    async () => {
      const victim = await station('st-victim');
      const session = victim.gateway.session;
      let dropped = 0;
      victim.gateway.onConnection((up) => {
        if (!up) dropped++;
      });
      for (const clientId of ['jpki-locker-st-victim', 'st-victim']) {
        const evil = await connectTls(broker, 'st-evil', { clientId });
        // The broker replaced the client id with the user name: a command to the victim is
        // still answered on the victim's unbroken session.
        const r = await office.send(
          'st-victim',
          JSON.stringify(
            signCommand(
              buildCommand('delivery.cancel', { deliveryId: 'none' }, { station: 'st-victim' }),
              pki.signer,
            ),
          ),
        );
        expect(r.reason).toBe('unknown_delivery');
        await evil.endAsync(true);
      }
      const plain = await mqtt.connectAsync(broker.url, {
        protocolVersion: 5,
        clientId: 'jpki-locker-st-victim',
        username: 'st-evil',
        password: broker.user('st-evil').password,
        reconnectPeriod: 0,
      });
      await plain.endAsync(true);
      expect(dropped).toBe(0);
      expect(victim.gateway.connected).toBe(true);
      expect(victim.gateway.session).toBe(session);
    },
  );

  it(
    "repeated takeovers with the station's own credentials raise session_takeover",
    { timeout: 60_000 },
    async () => {
      const s = await station('st-own', { gateway: { takeoverAlarmCount: 3 } });
      for (let i = 0; i < 3; i++) {
        const thief = await connectTls(broker, 'st-own');
        await s.disconnected();
        await thief.endAsync(true);
        await s.connected();
      }
      await office.until(
        () =>
          office.events.some(
            (e) =>
              e.station === 'st-own' &&
              e.kind === 'alarm.raised' &&
              e.data.alarm === 'session_takeover',
          ),
        10_000,
        'the session_takeover alarm',
      );
    },
  );
});

describe('refusals cost nothing', () => {
  it(
    '2,000 replays of a captured expired command add at most one outbox row',
    { timeout: 120_000 },
    async () => {
      const s = await station('st-flood');
      const old = new Date(Date.now() - DAY);
      const expired = JSON.stringify(
        signCommand(
          buildCommand(
            'remote.open',
            { door: 'main', reason: 'old' },
            { station: 'st-flood', now: old, lifetimeSec: 60 },
          ),
          pki.signer,
        ),
      );
      const before = s.outbox.lastSeq();
      const topic = new StationTopics('st-flood').command;
      for (let i = 0; i < 2000; i += 200)
        await Promise.all(
          Array.from({ length: 200 }, () => office.client.publishAsync(topic, expired, { qos: 1 })),
        );
      // A fresh command behind them: once it is answered every copy has been handled.
      const sentinel = buildCommand(
        'delivery.cancel',
        { deliveryId: 'none' },
        { station: 'st-flood' },
      );
      await office.client.publishAsync(topic, JSON.stringify(signCommand(sentinel, pki.signer)), {
        qos: 1,
      });
      await office.until(
        () => office.responses.some((r) => r.commandId === sentinel.id),
        60_000,
        'the sentinel answer',
      );
      const added = s.outbox.readFrom(before, 10_000);
      const refusals = added.filter(
        (e) => e.kind === 'command.handled' && JSON.parse(e.data).reason === 'expired',
      );
      expect(refusals.length).toBeLessThanOrEqual(1);
      // Beyond that refusal only the sentinel's own command.handled.
      expect(added.length).toBeLessThanOrEqual(2);
      expect(s.domain.handled.map((c) => c.claims.id)).toEqual([sentinel.id]);
    },
  );
});

describe('valid dates only, safe settings only', () => {
  it(
    'an impossible date and an out-of-range setting are refused at verification',
    { timeout: 30_000 },
    async () => {
      const s = await station('st-date');
      const assign = buildCommand(
        'delivery.assign',
        {
          deliveryId: 'D-1',
          size: 'M',
          holderSpkiSha256: 'ab'.repeat(32),
          pickupDeadline: '2026-13-01T00:00:00Z',
        },
        { station: 'st-date' },
      );
      expect(
        await office.send('st-date', JSON.stringify(signCommand(assign, pki.signer))),
      ).toMatchObject({
        status: 'rejected',
        reason: 'malformed',
      });
      const change = buildCommand(
        'config.change',
        { version: 7, settings: { 'pickup.doorOpenTimeoutSec': 2 ** 31 } },
        { station: 'st-date' },
      );
      expect(
        await office.send('st-date', JSON.stringify(signCommand(change, pki.signer))),
      ).toMatchObject({
        status: 'rejected',
        reason: 'malformed',
      });
      expect(s.domain.handled).toEqual([]);
    },
  );
});
