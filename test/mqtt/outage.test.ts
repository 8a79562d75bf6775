/**
 * The broker is stopped while 1,000 events are produced, then restarted: all 1,000 arrive,
 * in order, with no duplicate UUID, flagged historical. The back office holds a persistent
 * session (clean start off, session expiry), as a real consumer must.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventMessage } from '../../shared/mqtt/events.js';
import { validatePayload } from '../../shared/mqtt/validate.js';
import { Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/wait.js';
import { makeCommandPki, startStation, type TestStation } from './fixtures.js';

let broker: Mosquitto;
let station: TestStation;
let office: MqttClient | undefined;
const received: EventMessage[] = [];

async function connectOffice(): Promise<MqttClient> {
  const u = broker.user('office');
  const client = await mqtt.connectAsync(broker.officeUrl, {
    protocolVersion: 5,
    clientId: 'office-outage-test',
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    ca: broker.ca.certPem,
    cert: u.cert,
    key: u.key,
    reconnectPeriod: 0,
  });
  client.on('message', (_t, payload) =>
    received.push(JSON.parse(payload.toString()) as EventMessage),
  );
  return client;
}

beforeAll(async () => {
  broker = await Mosquitto.start({ stations: ['st-a'], persistence: true });
  station = await startStation(broker, await makeCommandPki(), 'st-a');
  office = await connectOffice();
  await office.subscribeAsync(station.gateway.topics.events, { qos: 1 });
  await station.connected();
});
afterAll(async () => {
  await office?.endAsync(true);
  await station?.close();
  await broker?.dispose();
});

/** Waits for the office to have received what `predicate` needs: re-checked on each message. */
const until = (predicate: () => boolean, what: string) =>
  waitFor(predicate, what, {
    wake: office ? [[office, 'message']] : [],
    detail: () => `${received.length} events received`,
  });

it(
  '1,000 events produced during a broker outage all arrive, in order, once, historical',
  { timeout: 90_000 },
  async () => {
    const { db, outbox } = station;
    db.exec('CREATE TABLE outage_changes (n INTEGER PRIMARY KEY) STRICT');
    const change = db.transaction((n: number) => {
      db.prepare('INSERT INTO outage_changes(n) VALUES (?)').run(n);
      return outbox.append({ kind: 'door.state', data: { door: `door-${n}`, status: 'locked' } });
    });
    // A live event first, to see the flag change.
    const live = change(0);
    await until(() => received.some((e) => e.seq === live.seq), 'the live event');
    expect(received.find((e) => e.seq === live.seq)?.historical).toBe(false);

    await office!.endAsync(false); // the office goes away too; its session stays on the broker
    await broker.stop();
    await station.disconnected();
    const first = change(1).seq;
    for (let n = 2; n <= 1000; n++) change(n);
    expect(outbox.depth()).toBe(1000);

    await broker.restart();
    await station.connected();
    await until(() => outbox.depth() === 0, 'the backlog to be acknowledged');
    office = await connectOffice(); // resumes its session: queued messages are delivered
    await until(() => received.filter((e) => e.seq >= first).length >= 1000, 'all 1,000 events');

    const outage = received.filter((e) => e.seq >= first);
    expect(outage).toHaveLength(1000);
    expect(outage.map((e) => e.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => first + i));
    expect(new Set(outage.map((e) => e.id)).size).toBe(1000);
    expect(outage.every((e) => e.historical)).toBe(true);
    expect(outage.map((e) => (e.data as { door: string }).door)).toEqual(
      Array.from({ length: 1000 }, (_, i) => `door-${i + 1}`),
    );
    for (const e of outage.slice(0, 5)) expect(validatePayload('events', e).ok).toBe(true);
  },
);
