/**
 * Signed in both directions, station -> office: over a real mosquitto (TLS, ACLs), every
 * event, retained state and answer of a station with a key carries `jpki-sig`, and
 * verifyStationSignature (shared/mqtt/station-signature.ts, what the office and the console
 * use) calls it signed; a forged `delivery.collected` on the station's topic is unsigned,
 * forged (altered bytes, a signature lifted from another message or topic) or untrusted
 * (another CA, another station's certificate), never signed; the operator console
 * (office/console, with its station CA) lists the forgeries as such.
 */
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  signStationPayload,
  STATION_SIGNATURE_PROPERTY,
  verifyStationSignature,
  type StationSignatureStatus,
} from '../../shared/mqtt/station-signature.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import { buildCommand, signCommand } from '../../shared/mqtt/command-envelope.js';
import { createDevCa, issueDevCert } from '../support/dev-pki.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConsoleServer } from '../../office/console/console-server.js';
import { quietLogger } from '../../office/log.js';
import { Mosquitto } from '../support/mosquitto.js';
import {
  makeCommandPki,
  Office,
  startStation,
  type CommandPki,
  type TestStation,
} from './fixtures.js';

const topics = new StationTopics('st-sig');
let broker: Mosquitto;
let pki: CommandPki;
let office: Office;
let station: TestStation;
let watcher: MqttClient;
let consoleServer: ConsoleServer;
let consoleDir: string;
const seen: { topic: string; payload: Buffer; sig: string | undefined }[] = [];
let wake: () => void = () => {};

beforeAll(async () => {
  broker = await Mosquitto.start({ stations: ['st-sig', 'st-other'] });
  pki = await makeCommandPki();
  office = await Office.connect(broker);
  const u = broker.user('office');
  watcher = await mqtt.connectAsync(broker.officeUrl, {
    protocolVersion: 5,
    ca: broker.ca.certPem,
    cert: u.cert,
    key: u.key,
    reconnectPeriod: 0,
  });
  watcher.on('message', (topic, payload, packet: IPublishPacket) => {
    const sig = packet.properties?.userProperties?.[STATION_SIGNATURE_PROPERTY];
    seen.push({ topic, payload, sig: Array.isArray(sig) ? sig[0] : sig });
    wake();
  });
  await watcher.subscribeAsync('jpki-locker/v1/st-sig/#', { qos: 1 });
  // The operator console, checking station signatures against the station CA.
  consoleDir = mkdtempSync(path.join(os.tmpdir(), 'sig-console-'));
  consoleServer = new ConsoleServer(
    {
      brokerUrl: broker.officeUrl,
      tls: {
        ca: Buffer.from(broker.ca.certPem),
        cert: Buffer.from(u.cert),
        key: Buffer.from(u.key),
      },
      listenPort: 0,
      dataDir: consoleDir,
      stationAnchors: [broker.ca.certDer],
      noLoginOperator: 'test-operator',
    },
    { log: quietLogger() },
  );
  await consoleServer.start(new AbortController().signal);
  station = await startStation(broker, pki, 'st-sig', { sign: true });
  await station.connected();
}, 60_000);
afterAll(async () => {
  await consoleServer?.stop();
  if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  await station?.close();
  await watcher?.endAsync(true);
  await office?.close();
  await broker?.dispose();
});

function verdict(m: {
  topic: string;
  payload: Buffer;
  sig: string | undefined;
}): StationSignatureStatus {
  return verifyStationSignature({
    topic: m.topic,
    payload: m.payload,
    signature: m.sig,
    stationId: 'st-sig',
    anchors: [broker.ca.certDer],
    at: new Date(),
  }).status;
}

async function next(topic: string, from = 0): Promise<(typeof seen)[number]> {
  for (;;) {
    const m = seen.slice(from).find((x) => x.topic === topic);
    if (m) return m;
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 500);
    });
  }
}

it('events, retained state, status and answers are signed and verify as signed', async () => {
  const cmd = buildCommand(
    'remote.open',
    { door: 'main', reason: 'signature test' },
    { station: 'st-sig' },
  );
  const answer = await office.send('st-sig', JSON.stringify(signCommand(cmd, pki.signer)));
  expect(answer.status).toBe('accepted');
  for (const topic of [
    topics.events,
    topics.response,
    topics.status,
    topics.compartments,
    topics.alarms,
  ]) {
    const m = await next(topic);
    expect(verdict(m), topic).toBe('signed');
  }
});

it('a forged delivery.collected on the station topic is never shown as signed', async () => {
  const real = await next(topics.events);
  const forged = Buffer.from(
    JSON.stringify({
      v: 1,
      seq: 999_999,
      id: '6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b',
      station: 'st-sig',
      kind: 'delivery.collected',
      at: new Date().toISOString(),
      historical: false,
      data: { deliveryId: 'D-1', compartment: 'A01', holderSpkiSha256: 'ab'.repeat(32) },
    }),
  );
  const rogueCa = await createDevCa('rogue station CA');
  const rogue = await issueDevCert(rogueCa, { commonName: 'st-sig', usage: 'client' });
  const other = broker.user('st-other');
  const { createPrivateKey, X509Certificate } = await import('node:crypto');
  const cases: [string, string | undefined, StationSignatureStatus][] = [
    ['no signature', undefined, 'unsigned'],
    ['a signature lifted from a real event', real.sig, 'forged'],
    [
      'a key from another CA',
      signStationPayload(topics.events, forged, rogue.privateKey, [rogue.certDer]),
      'untrusted',
    ],
    [
      "another station's own certificate",
      signStationPayload(topics.events, forged, createPrivateKey(other.key), [
        new Uint8Array(new X509Certificate(other.cert).raw),
      ]),
      'untrusted',
    ],
  ];
  for (const [label, sig, want] of cases) {
    const from = seen.length;
    await office.client.publishAsync(topics.events, forged, {
      qos: 1,
      ...(sig ? { properties: { userProperties: { [STATION_SIGNATURE_PROPERTY]: sig } } } : {}),
    });
    const m = await next(topics.events, from);
    expect(m.payload.equals(forged)).toBe(true);
    expect(verdict(m), label).toBe(want);
  }
  // The console lists the station's real events as signed and the forgery as forged.
  const consoleSees = () => consoleServer.fleet.events({ station: 'st-sig' });
  for (;;) {
    if (consoleSees().some((e) => e.seq === 999_999 && e.signature === 'untrusted')) break;
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 200);
    });
  }
  const bySignature = new Set(
    consoleSees()
      .filter((e) => e.seq === 999_999)
      .map((e) => e.signature),
  );
  expect([...bySignature].sort()).toEqual(['forged', 'unsigned', 'untrusted']);
  expect(consoleSees().some((e) => e.seq !== 999_999 && e.signature === 'signed')).toBe(true);
  // A real signed message moved onto another topic: the signature names its topic.
  expect(verdict({ ...real, topic: topics.doors })).toBe('forged');
});
