/**
 * The broker confines each station to its own topics: with station A's credentials (TLS
 * client certificate, or password) the broker refuses to publish or subscribe on station
 * B's topics — MQTT 5 reason code 0x87 "Not authorized" on PUBACK — and never receives a
 * message from B's topics (mosquitto 2.0 enforces read access on delivery).
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StationTopics } from '../../shared/mqtt/topics.js';
import { Mosquitto } from '../support/mosquitto.js';
import { connectTls } from './fixtures.js';

const NOT_AUTHORIZED = 0x87;
let broker: Mosquitto;
beforeAll(async () => {
  broker = await Mosquitto.start({ stations: ['st-a', 'st-b'] });
});
afterAll(async () => {
  await broker?.dispose();
});

async function connectPlain(user: string) {
  return mqtt.connectAsync(broker.url, {
    protocolVersion: 5,
    username: user,
    password: broker.user(user).password,
    reconnectPeriod: 0,
  });
}

describe.each([
  ['TLS client certificate', () => connectTls(broker, 'st-a')],
  ['password', () => connectPlain('st-a')],
])('station credentials (%s)', (_label, connectA) => {
  const a = new StationTopics('st-a');
  const b = new StationTopics('st-b');

  it("cannot publish to another station's topics; can publish to its own", async () => {
    const client = await connectA();
    const watcher = await connectTls(broker, 'office');
    const seen: string[] = [];
    watcher.on('message', (t) => seen.push(t));
    await watcher.subscribeAsync('jpki-locker/v1/#', { qos: 1 });
    try {
      for (const topic of [b.events, b.status, b.response, b.command, a.command]) {
        const err = await client.publishAsync(topic, '{"forged":true}', { qos: 1 }).then(
          () => undefined,
          (e: { code?: number }) => e,
        );
        expect(err?.code, topic).toBe(NOT_AUTHORIZED);
      }
      await client.publishAsync(a.heartbeat, '{"mine":true}', { qos: 1 });
      await new Promise<void>((resolve) => {
        const check = () => (seen.includes(a.heartbeat) ? resolve() : setTimeout(check, 10));
        check();
      });
      expect(seen.filter((t) => t.includes('/st-b/') || t === a.command)).toEqual([]);
    } finally {
      await client.endAsync(true);
      await watcher.endAsync(true);
    }
  });

  it("receives nothing from another station's topics, however it subscribes", async () => {
    // mosquitto 2.0 grants the SUBACK and enforces `read` access on delivery: a message on a
    // topic the user may not read is never sent to it.
    const client = await connectA();
    const office = await connectTls(broker, 'office');
    const got: string[] = [];
    client.on('message', (t) => got.push(t));
    try {
      await client.subscribeAsync(
        [b.command, b.events, 'jpki-locker/v1/#', 'jpki-locker/v1/+/cmd'],
        {
          qos: 1,
        },
      );
      await office.publishAsync(b.command, '{"for":"b"}', { qos: 1 });
      await office.publishAsync(b.events, '{"from":"b"}', { qos: 1 });
      await office.publishAsync(a.command, '{"for":"a"}', { qos: 1 });
      await new Promise<void>((resolve) => {
        const check = () => (got.includes(a.command) ? resolve() : setTimeout(check, 10));
        check();
      });
      expect(got.filter((t) => t.includes('/st-b/'))).toEqual([]);
    } finally {
      await client.endAsync(true);
      await office.endAsync(true);
    }
  });
});

it("a station cannot log in with another station's password or without credentials", async () => {
  const wrong = mqtt.connectAsync(broker.url, {
    protocolVersion: 5,
    username: 'st-b',
    password: broker.user('st-a').password,
    reconnectPeriod: 0,
  });
  await expect(wrong).rejects.toMatchObject({ code: expect.any(Number) });
  const anonymous = mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  await expect(anonymous).rejects.toBeDefined();
});
