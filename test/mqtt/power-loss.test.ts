/**
 * Power loss, 200 times (POWER_CUTS). The station (test/mqtt/link-station.ts, a child
 * process) produces state changes with their events, delivers them to a real mosquitto and
 * executes signed `remote.open` commands (each actuation appended to a log outside the
 * database: the relay moved), while its database sits on the powercut VFS
 * (test/support/powercut-vfs.c). That shim keeps, beside each file, what has reached stable
 * storage: writes are queued until xSync; after a random number of I/O operations the power
 * goes: a random subset of the unsynced writes reaches the disk and the process dies in the
 * middle of the operation. The next run starts from those files only (no -shm).
 *
 * Why this method: a SIGKILL keeps the page cache (the crash suite covers that); copying
 * files at an arbitrary moment cannot tell synced from unsynced pages; a VFS shim sees
 * exactly what SQLite asked to be made durable, and can drop or keep the rest at will.
 *
 * After every cut: integrity_check ok; every event the office received is stored under the
 * same seq with the same id (no acknowledged event lost, no seq reused); every state change
 * has its event. At the end: no command executed twice, although every command is sent
 * again in later runs. POWER_LOSS_SYNCHRONOUS=NORMAL runs the same against the old setting
 * (it fails: acknowledged events vanish and their seqs are reused).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMessage } from '../../shared/mqtt/events.js';
import { StationTopics } from '../../shared/mqtt/topics.js';
import { buildCommand, signCommand } from '../../shared/mqtt/command-envelope.js';
import { integrityCheck, openDatabase } from '../../controller/storage/db.js';
import { Mosquitto } from '../support/mosquitto.js';
import { connectTls, makeCommandPki, type CommandPki } from './fixtures.js';
import { bundleLinkStation, startLinkStation } from './link-process.js';

const CUTS = Number(process.env.POWER_CUTS ?? 200);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = path.join(HERE, '../support/powercut-vfs.c');
const SQLITE_HEADERS = path.join(HERE, '../../node_modules/better-sqlite3/deps/sqlite3');
const STATION = 'st-power';
const topics = new StationTopics(STATION);

function haveGcc(): boolean {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const gcc = haveGcc();
if (!gcc && process.env.CI !== 'true')
  console.warn(
    'power-loss suite skipped: gcc is missing (apt-get install gcc) to build the powercut VFS',
  );

describe.skipIf(!gcc && process.env.CI !== 'true')('power loss', () => {
  let dir: string;
  let broker: Mosquitto;
  let pki: CommandPki;
  let bundle: Awaited<ReturnType<typeof bundleLinkStation>>;
  let vfs: string;
  let office: Awaited<ReturnType<typeof connectTls>>;
  /** seq -> id of every event the office received (a second id for a seq is a reuse). */
  const received = new Map<number, string>();
  const reused: string[] = [];
  let online: { session: number } | undefined;
  let wake: () => void = () => {};

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'power-loss-'));
    vfs = path.join(dir, 'powercut.so');
    execFileSync('gcc', ['-shared', '-fPIC', '-O1', '-I', SQLITE_HEADERS, SOURCE, '-o', vfs]);
    broker = await Mosquitto.start({ stations: [STATION] });
    pki = await makeCommandPki();
    bundle = await bundleLinkStation();
    office = await connectTls(broker, 'office');
    office.on('message', (topic, payload) => {
      if (topic === topics.status && payload.length) {
        const s = JSON.parse(payload.toString()) as { state: string; session: number };
        online = s.state === 'online' ? s : undefined;
      } else if (topic === topics.events) {
        const e = JSON.parse(payload.toString()) as EventMessage;
        const had = received.get(e.seq);
        if (had && had !== e.id) reused.push(`seq ${e.seq}: ${had} then ${e.id}`);
        received.set(e.seq, e.id);
      }
      wake();
    });
    await office.subscribeAsync([topics.events, topics.status, topics.response], { qos: 1 });
  }, 60_000);
  afterAll(async () => {
    await office?.endAsync(true);
    await broker?.dispose();
    bundle?.rm();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The files the disk kept become the station's files; the -shm is memory, not disk. */
  function restore(): void {
    for (const f of ['station.db', 'station.db-wal', 'station.db-journal']) {
      const file = path.join(dir, f);
      if (existsSync(`${file}.durable`)) copyFileSync(`${file}.durable`, file);
      else rmSync(file, { force: true });
    }
    rmSync(path.join(dir, 'station.db-shm'), { force: true });
  }

  function checkDisk(cut: number): void {
    const file = path.join(dir, 'station.db');
    if (!existsSync(file)) return;
    const db = openDatabase(file, { migrate: false });
    try {
      expect(integrityCheck(db), `cut ${cut}`).toBe('ok');
      const hasOutbox = db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox_events'")
        .get();
      if (!hasOutbox) {
        expect(received.size, `cut ${cut}: events received but no outbox`).toBe(0);
        return;
      }
      const ids = new Map(
        (
          db.prepare('SELECT seq, id FROM outbox_events').all() as { seq: number; id: string }[]
        ).map((r) => [r.seq, r.id]),
      );
      const lost = [...received].filter(([seq, id]) => ids.get(seq) !== id);
      expect(lost.slice(0, 5), `cut ${cut}: acknowledged events lost or replaced`).toEqual([]);
      const changes = db
        .prepare(
          "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'link_changes'",
        )
        .get() as { n: number };
      if (changes.n) {
        const orphan = db
          .prepare(
            'SELECT count(*) AS n FROM link_changes c LEFT JOIN outbox_events e ON e.seq = c.event_seq WHERE e.seq IS NULL',
          )
          .get() as { n: number };
        expect(orphan.n, `cut ${cut}: a state change without its event`).toBe(0);
      }
    } finally {
      db.close();
    }
  }

  it(
    `${CUTS} power cuts: integrity ok, no acknowledged event lost, no seq reused, no command executed twice`,
    { timeout: 1_800_000 },
    async () => {
      const sent: string[] = [];
      let cutsWhileConnected = 0;
      for (let cut = 1; cut <= CUTS; cut++) {
        const child = startLinkStation(bundle.file, broker, STATION, pki.ca.certPem, dir, {
          LINK_VFS: vfs,
          LINK_PRODUCE: '1',
          LINK_SYNCHRONOUS: process.env.POWER_LOSS_SYNCHRONOUS ?? 'FULL',
          POWERCUT_AT: String(20 + Math.floor(Math.random() * 1500)),
          POWERCUT_SEED: String(cut),
        });
        let gone = false;
        void child.exited.then(() => {
          gone = true;
          wake();
        });
        const session = await child.ready.catch(() => undefined);
        if (session !== undefined) {
          // Wait for `online` of this session (sent after the command subscription).
          while (!gone && online?.session !== session)
            await new Promise<void>((r) => {
              wake = r;
              setTimeout(r, 200);
            });
          if (!gone) {
            cutsWhileConnected++;
            const fresh = JSON.stringify(
              signCommand(
                buildCommand(
                  'remote.open',
                  { door: 'main', reason: `run ${cut}` },
                  { station: STATION, lifetimeSec: 3600 },
                ),
                pki.signer,
              ),
            );
            sent.push(fresh);
            // The new command and replays of earlier ones: each may run at most once, ever.
            const replays = [
              sent.at(-2),
              sent.at(-5),
              sent[Math.floor(Math.random() * sent.length)],
            ];
            for (const p of [fresh, ...replays])
              if (p)
                await office.publishAsync(topics.command, p, { qos: 1 }).catch(() => undefined);
          }
        }
        const code = await child.exited;
        expect(code, `cut ${cut}: the station died otherwise:\n${child.stderr()}`).toBe(99);
        restore();
        checkDisk(cut);
      }
      expect(reused).toEqual([]);
      const actuations = existsSync(path.join(dir, 'actuations.log'))
        ? readFileSync(path.join(dir, 'actuations.log'), 'utf8').split('\n').filter(Boolean)
        : [];
      const twice = actuations.filter((id, i) => actuations.indexOf(id) !== i);
      expect(twice).toEqual([]);
      // The run did real work: commands executed and events delivered across the cuts.
      expect(actuations.length).toBeGreaterThan(0);
      expect(received.size).toBeGreaterThan(0);
      console.log(
        JSON.stringify({
          powerCuts: CUTS,
          cutsWhileConnected,
          eventsReceived: received.size,
          actuations: actuations.length,
          commandsSent: sent.length,
        }),
      );
    },
  );
});
