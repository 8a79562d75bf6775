/**
 * The station is killed with SIGKILL at 50 random moments while it produces state changes
 * and delivers their events. After each kill: every state change has its event (same
 * transaction) and no event exists without its change; after each restart every event
 * stored before the kill reaches the back office (at least once, in seq order per
 * connection); the retained will says offline for the killed session.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventMessage } from '../../shared/mqtt/events.js';
import type { StatusMessage } from '../../shared/mqtt/state.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import { build } from 'esbuild';
import { MIGRATIONS_DIR, openDatabase } from '../../controller/storage/db.js';
import { Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/wait.js';
import { connectTls } from './fixtures.js';

const KILLS = 50;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT = path.join(HERE, 'crash-station.ts');
/** Bundled once (under node_modules/.cache, so its packages resolve): a restart takes ~0.2 s. */
let bundle: string;
const topics = new StationTopics('st-crash');
let broker: Mosquitto;
let office: MqttClient;
let dir: string;
const receivedSeqs = new Set<number>();
const orderViolations: string[] = [];
let lastSeqOnLink = 0;
let status: StatusMessage | undefined;

beforeAll(async () => {
  broker = await Mosquitto.start({ stations: ['st-crash'] });
  dir = mkdtempSync(path.join(os.tmpdir(), 'crash-'));
  const u = broker.user('st-crash');
  writeFileSync(path.join(dir, 'ca.pem'), broker.ca.certPem);
  writeFileSync(path.join(dir, 'cert.pem'), u.cert);
  writeFileSync(path.join(dir, 'key.pem'), u.key);
  const cache = path.join(HERE, '../../node_modules/.cache');
  mkdirSync(cache, { recursive: true }); // absent on a fresh clone
  bundle = path.join(mkdtempSync(path.join(cache, 'crash-station-')), 'crash-station.mjs');
  await build({
    entryPoints: [SCRIPT],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: bundle,
    logLevel: 'error',
  });
  office = await connectTls(broker, 'office');
  office.on('message', (topic, payload) => {
    if (topic === topics.status) {
      status = payload.length ? (JSON.parse(payload.toString()) as StatusMessage) : undefined;
      return;
    }
    const e = JSON.parse(payload.toString()) as EventMessage;
    // Within one connection events come in seq order; a new connection starts again at the
    // first unacknowledged event (at least once).
    if (e.seq <= lastSeqOnLink && !e.historical)
      orderViolations.push(`${e.seq} after ${lastSeqOnLink}`);
    lastSeqOnLink = e.seq;
    receivedSeqs.add(e.seq);
  });
  await office.subscribeAsync([topics.events, topics.status], { qos: 1 });
});
afterAll(async () => {
  await office?.endAsync(true);
  await broker?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (bundle) rmSync(path.dirname(bundle), { recursive: true, force: true });
});

function startChild() {
  const child = spawn(process.execPath, [bundle], {
    env: {
      ...process.env,
      CRASH_DB: path.join(dir, 'station.db'),
      CRASH_URL: broker.tlsUrl,
      CRASH_CA: path.join(dir, 'ca.pem'),
      CRASH_CERT: path.join(dir, 'cert.pem'),
      CRASH_KEY: path.join(dir, 'key.pem'),
      CRASH_STATION: 'st-crash',
      CRASH_MIGRATIONS: MIGRATIONS_DIR,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code, sig) =>
      reject(new Error(`station exited early (${code ?? sig}): ${stderr}`)),
    );
  });
  ready.catch(() => undefined);
  return { child, ready, exited };
}

/** Reads the killed station's database: every change must have its event and vice versa. */
function checkDatabase(): number {
  const db = openDatabase(path.join(dir, 'station.db'), { migrate: false });
  try {
    const orphans = db
      .prepare(
        `SELECT
          (SELECT COUNT(*) FROM crash_changes c LEFT JOIN outbox_events e ON e.seq = c.event_seq
             WHERE e.seq IS NULL OR e.data != json_object('door', 'c-' || c.n, 'status', 'locked')) AS changes_without_event,
          (SELECT COUNT(*) FROM outbox_events e LEFT JOIN crash_changes c ON c.event_seq = e.seq
             WHERE c.n IS NULL) AS events_without_change,
          (SELECT COUNT(*) FROM crash_changes) AS changes,
          (SELECT COALESCE(MAX(seq), 0) FROM outbox_events) AS last_seq`,
      )
      .get() as {
      changes_without_event: number;
      events_without_change: number;
      changes: number;
      last_seq: number;
    };
    expect(orphans.changes_without_event).toBe(0);
    expect(orphans.events_without_change).toBe(0);
    expect(orphans.last_seq).toBe(orphans.changes);
    return orphans.last_seq;
  } finally {
    db.close();
  }
}

/** Waits for what the office has seen (re-checked on each message it receives). */
const until = (predicate: () => boolean, what: string) =>
  waitFor(predicate, what, { wake: [[office, 'message']], timeoutMs: 20_000 });

function missingUpTo(n: number): number[] {
  const missing: number[] = [];
  for (let s = 1; s <= n; s++) if (!receivedSeqs.has(s)) missing.push(s);
  return missing;
}

it(
  `SIGKILL at ${KILLS} random moments: no event lost, no state change without its event`,
  { timeout: 170_000 },
  async () => {
    let storedBeforeKill = 0;
    for (let i = 0; i < KILLS; i++) {
      const { child, ready, exited } = startChild();
      const session = await ready;
      // Everything stored before the previous kill arrives after this restart.
      await until(
        () => missingUpTo(storedBeforeKill).length === 0,
        `events up to ${storedBeforeKill}`,
      );
      // A random moment while changes are committed and events delivered.
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 250));
      child.kill('SIGKILL');
      await exited;
      storedBeforeKill = checkDatabase();
      expect(storedBeforeKill).toBeGreaterThan(0);
      await until(
        () => status?.state === 'offline' && status.session === session,
        `the will of session ${session}`,
      );
    }
    // A last run drains what the last kill left.
    const { child, ready, exited } = startChild();
    await ready;
    await until(
      () => missingUpTo(storedBeforeKill).length === 0,
      `events up to ${storedBeforeKill}`,
    );
    child.kill('SIGKILL');
    await exited;
    expect(orderViolations).toEqual([]);
    expect(missingUpTo(storedBeforeKill)).toEqual([]);
  },
);
