/**
 * Presence: `online` and the full retained state on every connect (also after a broker
 * restart that lost every retained message), heartbeats with the health fields, `offline`
 * on a clean stop. The will on a crash is shown by crash.test.ts. Also: the embedded aedes
 * broker (MQTT 3.1.1) works.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeartbeatMessage, StatusMessage } from '../../shared/mqtt/state.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import { validatePayload } from '../../shared/mqtt/validate.js';
import { EmbeddedBroker } from '../../controller/demo/embedded-broker.js';
import { silentLogger } from '../../controller/log.js';
import { buildCommand, signCommand } from '../../shared/mqtt/command-envelope.js';
import { Mosquitto } from '../support/mosquitto.js';
import {
  connectTls,
  makeCommandPki,
  startStation,
  type CommandPki,
  type TestStation,
} from './fixtures.js';

const topics = new StationTopics('st-a');

/** Collects what a fresh subscriber receives, keyed by topic (last message wins). */
async function snapshotOf(
  client: MqttClient,
  want: string[],
): Promise<Map<string, { value: unknown; retain: boolean }>> {
  const got = new Map<string, { value: unknown; retain: boolean }>();
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`missing: ${want.filter((w) => !got.has(w)).join(', ')}`)),
      10_000,
    );
    client.on('message', (topic, payload, packet) => {
      if (payload.length === 0) return;
      got.set(topic, { value: JSON.parse(payload.toString()), retain: packet.retain });
      if (want.every((w) => got.has(w))) {
        clearTimeout(t);
        resolve();
      }
    });
    void client.subscribeAsync(`${topics.base}/#`, { qos: 1 });
  });
  return got;
}

const RETAINED = [topics.status, topics.compartments, topics.doors, topics.alarms, topics.crl];

describe('presence against mosquitto', () => {
  let broker: Mosquitto;
  let pki: CommandPki;
  let station: TestStation;
  beforeAll(async () => {
    broker = await Mosquitto.start({ stations: ['st-a'] });
    pki = await makeCommandPki();
    station = await startStation(broker, pki, 'st-a', { gateway: { heartbeatSec: 1 } });
    await station.connected();
  });
  afterAll(async () => {
    await station?.close();
    await broker?.dispose();
  });

  it('a new subscriber finds online and the full state retained; every payload matches its schema', async () => {
    const client = await connectTls(broker, 'office');
    try {
      const got = await snapshotOf(client, RETAINED);
      for (const t of RETAINED) expect(got.get(t)?.retain, t).toBe(true);
      expect(got.get(topics.status)?.value).toMatchObject({
        v: 1,
        state: 'online',
        session: station.gateway.session,
      });
      expect(
        (got.get(topics.compartments)?.value as { compartments: unknown[] }).compartments,
      ).toHaveLength(4);
      for (const [topic, { value }] of got) {
        const suffix = topic.slice(topics.base.length + 1) as Parameters<typeof validatePayload>[0];
        const v = validatePayload(suffix, value);
        expect(v.ok ? [] : v.errors, topic).toEqual([]);
      }
    } finally {
      await client.endAsync(true);
    }
  });

  it('heartbeats carry uptime, version, outbox depth, CRL age and hardware health', async () => {
    const client = await connectTls(broker, 'office');
    try {
      const got = await snapshotOf(client, [topics.heartbeat]);
      const hb = got.get(topics.heartbeat)!.value as HeartbeatMessage;
      expect(hb).toMatchObject({
        v: 1,
        version: '0.0.0-test',
        session: station.gateway.session,
        mode: 'active',
      });
      expect(hb.outboxDepth).toBeGreaterThanOrEqual(0);
      expect(validatePayload('heartbeat', hb).ok).toBe(true);
    } finally {
      await client.endAsync(true);
    }
  });

  it('after a broker restart that lost every retained message, online and the state are back', async () => {
    const before = station.gateway.session;
    await broker.stop();
    await station.disconnected();
    await broker.restart();
    await station.connected();
    // The station republishes right after connecting: once a first subscriber has seen every
    // topic, the broker holds them all, and a new subscriber must get them as retained.
    const first = await connectTls(broker, 'office');
    try {
      await snapshotOf(first, RETAINED);
    } finally {
      await first.endAsync(true);
    }
    const client = await connectTls(broker, 'office');
    try {
      const got = await snapshotOf(client, RETAINED);
      expect(got.get(topics.status)?.value).toMatchObject({ state: 'online', session: before + 1 });
      for (const t of RETAINED) expect(got.get(t)?.retain, t).toBe(true);
    } finally {
      await client.endAsync(true);
    }
  });

  it('a state change is republished retained', async () => {
    const client = await connectTls(broker, 'office');
    try {
      await snapshotOf(client, RETAINED);
      const next = new Promise<unknown>((resolve) =>
        client.on(
          'message',
          (t, p) => t === topics.compartments && resolve(JSON.parse(p.toString())),
        ),
      );
      await station.domain.handle({
        claims: buildCommand(
          'delivery.assign',
          {
            deliveryId: 'D-P',
            compartment: 'A02',
            holderSpkiSha256: 'ef'.repeat(32),
            pickupDeadline: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          },
          { station: 'st-a' },
        ),
        signerSpkiSha256: '00'.repeat(32),
        receivedAt: new Date(),
      });
      const c = (await next) as { compartments: { compartment: string; status: string }[] };
      expect(c.compartments.find((x) => x.compartment === 'A02')?.status).toBe('reserved');
    } finally {
      await client.endAsync(true);
    }
  });

  it('a clean stop leaves offline retained for the same session', async () => {
    const session = station.gateway.session;
    await station.gateway.stop();
    const client = await connectTls(broker, 'office');
    try {
      const got = await snapshotOf(client, [topics.status]);
      expect(got.get(topics.status)?.value as StatusMessage).toMatchObject({
        state: 'offline',
        session,
      });
    } finally {
      await client.endAsync(true);
    }
  });
});

describe('the embedded aedes broker (MQTT 3.1.1)', () => {
  it('carries presence, commands and events', async () => {
    const broker = new EmbeddedBroker('127.0.0.1', 0, silentLogger());
    await broker.start();
    const url = `mqtt://127.0.0.1:${broker.boundPort}`;
    const pki = await makeCommandPki();
    // startStation wants a Mosquitto for credentials; give it the fields it reads.
    const fake = {
      url,
      tlsUrl: url,
      user: () => ({ password: 'x', cert: '', key: '' }),
      ca: { certPem: '' },
    };
    const station = await startStation(fake as unknown as Mosquitto, pki, 'st-a', {
      plain: true,
      gateway: { protocolVersion: 4, username: undefined, password: undefined },
    });
    const office = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
    try {
      await station.connected();
      const got = await snapshotOf(office, [topics.status]);
      expect(got.get(topics.status)?.value).toMatchObject({ state: 'online' });
      const answer = new Promise<{ status: string }>((resolve) =>
        office.on('message', (t, p) => t === topics.response && resolve(JSON.parse(p.toString()))),
      );
      const event = new Promise<{ kind: string }>((resolve) =>
        office.on('message', (t, p) => t === topics.events && resolve(JSON.parse(p.toString()))),
      );
      const claims = buildCommand(
        'remote.open',
        { door: 'main', reason: 'test' },
        { station: 'st-a' },
      );
      await office.publishAsync(topics.command, JSON.stringify(signCommand(claims, pki.signer)), {
        qos: 1,
      });
      expect(await answer).toMatchObject({ status: 'accepted' });
      expect(await event).toMatchObject({ kind: 'actuation' });
    } finally {
      await office.endAsync(true);
      await station.close();
      await broker.stop();
    }
  });
});
