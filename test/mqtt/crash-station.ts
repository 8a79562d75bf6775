/**
 * A small station for the crash suite, run as a child process: connects to the broker with
 * its TLS client certificate and produces state changes, each with its event in ONE
 * transaction, while delivering them. The parent kills it with SIGKILL.
 *
 * Environment: CRASH_DB, CRASH_URL, CRASH_CA, CRASH_CERT, CRASH_KEY (PEM files),
 * CRASH_STATION, CRASH_MIGRATIONS (the migrations folder: the script runs bundled). Prints `ready <session>` once connected.
 */
import { readFileSync } from 'node:fs';
import { silentLogger } from '../../controller/log.js';
import { MqttGateway } from '../../controller/mqtt/gateway.js';
import { AnchorCommandSignerTrust } from '../../controller/mqtt/signer-trust.js';
import { EmptyStateProvider } from '../../controller/mqtt/types.js';
import { Outbox } from '../../controller/outbox/outbox.js';
import { openDatabase } from '../../controller/storage/db.js';

const env = (k: string) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const stationId = env('CRASH_STATION');
const db = openDatabase(env('CRASH_DB'), { migrationsDir: env('CRASH_MIGRATIONS') });
db.exec(
  'CREATE TABLE IF NOT EXISTS crash_changes (n INTEGER PRIMARY KEY, event_seq INTEGER NOT NULL) STRICT',
);
const outbox = new Outbox(db, { stationId, maxEvents: 10_000_000, keepSentEvents: 1e12 });
const gateway = new MqttGateway(
  {
    stationId,
    url: env('CRASH_URL'),
    protocolVersion: 5,
    tls: {
      ca: readFileSync(env('CRASH_CA')),
      cert: readFileSync(env('CRASH_CERT')),
      key: readFileSync(env('CRASH_KEY')),
    },
    heartbeatSec: 60,
    reconnectMinMs: 100,
    reconnectMaxMs: 200,
    version: 'crash-test',
  },
  {
    db,
    outbox,
    handler: { handle: async () => ({ accepted: false, reason: 'not_supported' }) },
    state: new EmptyStateProvider(),
    signerTrust: new AnchorCommandSignerTrust([]),
    log: silentLogger(),
  },
);

const next = db.prepare<[], { n: number | null }>('SELECT MAX(n) AS n FROM crash_changes');
const insert = db.prepare('INSERT INTO crash_changes(n, event_seq) VALUES (?, ?)');
const change = db.transaction(() => {
  const n = (next.get()?.n ?? 0) + 1;
  const { seq } = outbox.append({ kind: 'door.state', data: { door: `c-${n}`, status: 'locked' } });
  insert.run(n, seq);
});

gateway.onConnection((up) => {
  if (up) process.stdout.write(`ready ${gateway.session}\n`);
});
await gateway.start(new AbortController().signal);
// About 2,000 changes a second: steady work for the kill to interrupt, and a backlog the
// next run can drain while this one produces.
const produce = () => {
  for (let i = 0; i < 2; i++) change();
  setTimeout(produce, 1);
};
produce();
