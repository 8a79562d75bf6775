/**
 * A station run as a child process by the memory and power-loss suites: a gateway on its
 * TLS client certificate, a handler that "actuates" `remote.open` by appending the command
 * id to an actuator log outside the database (the relay moving: it happens or it does not,
 * whatever the disk keeps), and, with LINK_PRODUCE=1, state changes each with its event in
 * one transaction. The replay row is written before the handler runs (gateway), so a
 * command whose actuation happened must still be known after any power cut.
 *
 * Environment: LINK_DB, LINK_URL, LINK_CA, LINK_CERT, LINK_KEY, LINK_ANCHOR (command CA,
 * PEM files), LINK_STATION, LINK_MIGRATIONS, LINK_ACTUATIONS (file), LINK_PRODUCE,
 * LINK_SYNCHRONOUS (FULL or NORMAL), LINK_VFS (a SQLite extension registering the default
 * VFS, loaded before the database is opened). Prints `ready <session>` once connected.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { silentLogger } from '../../controller/log.js';
import { MqttGateway } from '../../controller/mqtt/gateway.js';
import { AnchorCommandSignerTrust } from '../../controller/mqtt/signer-trust.js';
import { EmptyStateProvider } from '../../controller/mqtt/types.js';
import { Outbox } from '../../controller/outbox/outbox.js';
import { openDatabase } from '../../controller/storage/db.js';
import { decodeCertificates } from '../../controller/trust/certificate.js';

const env = (k: string) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
if (process.env.LINK_VFS) {
  // Registers the power-cut VFS as the default one for every database opened afterwards.
  const loader = new Database(':memory:');
  loader.loadExtension(process.env.LINK_VFS);
  loader.close();
}
const stationId = env('LINK_STATION');
const db = openDatabase(env('LINK_DB'), {
  migrationsDir: env('LINK_MIGRATIONS'),
  synchronous: process.env.LINK_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL',
});
db.exec(
  'CREATE TABLE IF NOT EXISTS link_changes (n INTEGER PRIMARY KEY, event_seq INTEGER NOT NULL) STRICT',
);
const outbox = new Outbox(db, { stationId, maxEvents: 10_000_000, keepSentEvents: 1e12 });
const actuations = env('LINK_ACTUATIONS');
const gateway = new MqttGateway(
  {
    stationId,
    url: env('LINK_URL'),
    protocolVersion: 5,
    tls: {
      ca: readFileSync(env('LINK_CA')),
      cert: readFileSync(env('LINK_CERT')),
      key: readFileSync(env('LINK_KEY')),
    },
    heartbeatSec: 60,
    reconnectMinMs: 100,
    reconnectMaxMs: 200,
    version: 'link-test',
  },
  {
    db,
    outbox,
    handler: {
      handle: async (c) => {
        if (c.claims.kind !== 'remote.open') return { accepted: false, reason: 'not_supported' };
        appendFileSync(actuations, `${c.claims.id}\n`);
        outbox.append({
          kind: 'actuation',
          data: { target: 'door', id: c.claims.body.door ?? 'main', cause: 'remote', opened: true },
        });
        return { accepted: true };
      },
    },
    state: new EmptyStateProvider(),
    signerTrust: new AnchorCommandSignerTrust(
      decodeCertificates(new Uint8Array(readFileSync(env('LINK_ANCHOR')))),
    ),
    log: silentLogger(),
  },
);

const next = db.prepare<[], { n: number | null }>('SELECT MAX(n) AS n FROM link_changes');
const insert = db.prepare('INSERT INTO link_changes(n, event_seq) VALUES (?, ?)');
const change = db.transaction(() => {
  const n = (next.get()?.n ?? 0) + 1;
  const { seq } = outbox.append({ kind: 'door.state', data: { door: `c-${n}`, status: 'locked' } });
  insert.run(n, seq);
});

gateway.onConnection((up) => {
  if (up) process.stdout.write(`ready ${gateway.session}\n`);
});
await gateway.start(new AbortController().signal);
if (process.env.LINK_PRODUCE === '1') {
  // About 2,000 changes a second: steady work for a kill or a power cut to interrupt, and a
  // backlog the next run can drain while this one produces.
  const produce = () => {
    for (let i = 0; i < 2; i++) change();
    setTimeout(produce, 1);
  };
  produce();
}
