/**
 * The station is killed with SIGKILL at 50 random moments while it produces state changes
 * and delivers their events. After each kill: every state change has its event (same
 * transaction) and no event exists without its change; after each restart every event
 * stored before the kill reaches the back office (at least once, in seq order per
 * connection); the retained will says offline for the killed session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventMessage } from '../../shared/mqtt/events.js';
import type { StatusMessage } from '../../shared/mqtt/state.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import { openDatabase } from '../../controller/storage/db.js';
import { Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/wait.js';
import { connectTls } from './fixtures.js';
import { bundleLinkStation, startLinkStation } from './link-process.js';

const KILLS = 50;
/** Bundled once (test/mqtt/link-station.ts): a restart takes ~0.2 s. */
let bundle: Awaited<ReturnType<typeof bundleLinkStation>>;
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
  bundle = await bundleLinkStation();
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
  bundle?.rm();
});

function startChild() {
  const c = startLinkStation(bundle.file, broker, 'st-crash', broker.ca.certPem, dir, {
    LINK_PRODUCE: '1',
  });
  return { child: c.proc, ready: c.ready, exited: c.exited };
}

/** Reads the killed station's database: every change must have its event and vice versa. */
function checkDatabase(): number {
  const db = openDatabase(path.join(dir, 'station.db'), { migrate: false });
  try {
    const orphans = db
      .prepare(
        `SELECT
          (SELECT COUNT(*) FROM link_changes c LEFT JOIN outbox_events e ON e.seq = c.event_seq
             WHERE e.seq IS NULL OR e.data != json_object('door', 'c-' || c.n, 'status', 'locked')) AS changes_without_event,
          (SELECT COUNT(*) FROM outbox_events e LEFT JOIN link_changes c ON c.event_seq = e.seq
             WHERE c.n IS NULL) AS events_without_change,
          (SELECT COUNT(*) FROM link_changes) AS changes,
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
