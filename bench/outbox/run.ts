/**
 * Outbox benchmark (prints JSON):
 * - appendPerSec: durable events appended per second, each in its own transaction together
 *   with a state change (WAL, synchronous=FULL as the station runs: each commit is on disk
 *   before it returns, durable across power loss); also with synchronous=NORMAL (durable
 *   across a process crash only) for reference.
 * - drainSec: time to deliver a 100,000-event backlog into a local mosquitto (TLS, client
 *   certificate, MQTT 5, QoS 1) until every event is acknowledged; and until a subscriber
 *   has received all of them.
 * - drainSignedSec: the same with every event signed by the station key (jpki-sig).
 * Targets: appendPerSec >= 5,000; drainSec <= 30 (also signed).
 *
 *   npx tsx bench/outbox/run.ts [--append N] [--backlog N]
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { silentLogger } from '../../controller/log.js';
import { MqttGateway } from '../../controller/mqtt/gateway.js';
import { AnchorCommandSignerTrust } from '../../controller/mqtt/signer-trust.js';
import { EmptyStateProvider } from '../../controller/mqtt/types.js';
import { Outbox } from '../../controller/outbox/outbox.js';
import { openDatabase } from '../../controller/storage/db.js';
import { Mosquitto } from '../../test/support/mosquitto.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const APPEND = arg('append', 50_000);
const BACKLOG = arg('backlog', 100_000);
const HOLDER = 'ab'.repeat(32);

function appendRate(synchronous: 'NORMAL' | 'FULL', n: number): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-outbox-'));
  const db = openDatabase(path.join(dir, 'station.db'), { synchronous });
  db.exec('CREATE TABLE bench_changes (n INTEGER PRIMARY KEY, at TEXT NOT NULL) STRICT');
  const outbox = new Outbox(db, { stationId: 'bench', maxEvents: 10_000_000 });
  const insert = db.prepare('INSERT INTO bench_changes(n, at) VALUES (?, ?)');
  const change = db.transaction((i: number) => {
    insert.run(i, new Date().toISOString());
    outbox.append({
      kind: 'pickup.attempt',
      data: {
        result: 'denied',
        reason: 'wrong_holder',
        holderSpkiSha256: HOLDER,
        compartment: 'A01',
      },
    });
  });
  const t0 = performance.now();
  for (let i = 1; i <= n; i++) change(i);
  const sec = (performance.now() - t0) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return Math.round(n / sec);
}

async function drain(n: number, signed: boolean) {
  const broker = await Mosquitto.start({ stations: ['bench'] });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-drain-'));
  const db = openDatabase(path.join(dir, 'station.db'));
  try {
    const outbox = new Outbox(db, {
      stationId: 'bench',
      maxEvents: 10_000_000,
      keepSentEvents: 1000,
    });
    db.transaction(() => {
      for (let i = 0; i < n; i++)
        outbox.append({ kind: 'door.state', data: { door: `d${i % 50}`, status: 'locked' } });
    })();
    const office = broker.user('office');
    const sub = await mqtt.connectAsync(broker.officeUrl, {
      protocolVersion: 5,
      ca: broker.ca.certPem,
      cert: office.cert,
      key: office.key,
      reconnectPeriod: 0,
    });
    let received = 0;
    let lastSeq = 0;
    let outOfOrder = 0;
    let allReceived: () => void = () => {};
    const allIn = new Promise<void>((r) => (allReceived = r));
    sub.on('message', (_t, payload) => {
      const seq = (JSON.parse(payload.toString()) as { seq: number }).seq;
      if (seq <= lastSeq) outOfOrder++;
      lastSeq = seq;
      if (++received === n) allReceived();
    });
    await sub.subscribeAsync('jpki-locker/v1/bench/events', { qos: 1 });
    const station = broker.user('bench');
    const gateway = new MqttGateway(
      {
        stationId: 'bench',
        url: broker.tlsUrl,
        protocolVersion: 5,
        tls: {
          ca: Buffer.from(broker.ca.certPem),
          cert: Buffer.from(station.cert),
          key: Buffer.from(station.key),
        },
        heartbeatSec: 60,
        reconnectMinMs: 100,
        reconnectMaxMs: 1000,
        version: 'bench',
      },
      {
        db,
        outbox,
        handler: { handle: async () => ({ accepted: false, reason: 'not_supported' }) },
        state: new EmptyStateProvider(),
        signerTrust: new AnchorCommandSignerTrust([]),
        log: silentLogger(),
        // Every event signed with the station's key (jpki-sig), as a station with
        // station.signingKey publishes them.
        ...(signed
          ? {
              stationSigner: {
                privateKey: createPrivateKey(station.key),
                chain: [new Uint8Array(new X509Certificate(station.cert).raw)],
              },
            }
          : {}),
      },
    );
    const t0 = performance.now();
    await gateway.start(new AbortController().signal);
    let ackedSec = 0;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (outbox.depth() === 0) {
          ackedSec = (performance.now() - t0) / 1000;
          resolve();
        } else setTimeout(check, 5);
      };
      check();
    });
    await allIn;
    const receivedSec = (performance.now() - t0) / 1000;
    await gateway.stop();
    await sub.endAsync(true);
    return { events: n, ackedSec: round(ackedSec), receivedSec: round(receivedSec), outOfOrder };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
    await broker.dispose();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

const full = appendRate('FULL', APPEND);
const normal = appendRate('NORMAL', APPEND);
const d = await drain(BACKLOG, false);
const signed = await drain(BACKLOG, true);
const result = {
  bench: 'outbox',
  synchronous: 'FULL',
  appendPerSec: full,
  appendPerSecSynchronousNormal: normal,
  appendedEvents: APPEND,
  drainSec: d.ackedSec,
  drainAllReceivedSec: d.receivedSec,
  backlogEvents: d.events,
  drainOutOfOrder: d.outOfOrder,
  drainSignedSec: signed.ackedSec,
  drainSignedOutOfOrder: signed.outOfOrder,
  targets: { appendPerSec: 5000, drainSec: 30 },
  pass: full >= 5000 && d.ackedSec <= 30 && signed.ackedSec <= 30,
  node: process.version,
  cpus: os.cpus().length,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
