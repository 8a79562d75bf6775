import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, auditHead, auditRowHash, verifyAuditDb } from '../audit/audit-log.js';
import {
  compareWithPublishedHead,
  listCheckpoints,
  readCheckpoint,
  verifyCheckpoints,
  type StationSigner,
} from '../audit/checkpoint.js';
import type { RetentionConfig } from '../config/types.js';
import { ManualTimers } from '../app/testing/fakes.js';
import { silentLogger } from '../log.js';
import { Outbox } from '../outbox/outbox.js';
import { openDatabase, type Db } from '../storage/db.js';
import { makeCert, makeKey, toPem } from '../trust/testing/pki.js';
import { msUntilNextRun, RetentionJob } from './retention-job.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-05T01:00:00.000Z');
const HOLDER = `holder:${'ab'.repeat(32)}`;
const CONFIG: RetentionConfig = {
  deliveriesDays: 90,
  attemptsDays: 30,
  auditDays: 60,
  eventsSentDays: 14,
  runAt: '03:30',
  enabled: true,
};

let dir: string;
let db: Db;
let clock: number;
const now = () => new Date(clock);
let audit: AuditLog;
let outbox: Outbox;
let signer: StationSigner;

function job(overrides: Partial<RetentionConfig> = {}, timers?: ManualTimers) {
  return new RetentionJob(
    { ...CONFIG, ...overrides },
    {
      db: () => db,
      outbox: () => outbox,
      signer: () => signer,
      stationId: 'nakano-01',
      timezone: 'Asia/Tokyo',
      now,
      log: silentLogger(),
      ...(timers ? { timers } : {}),
    },
  );
}

function delivery(id: string, state: string, compartment: string, days: number, closed = false) {
  const at = new Date(T0 + days * DAY).toISOString();
  db.prepare(
    `INSERT INTO deliveries(id, compartment, holder_spki, state, pickup_deadline, created_at, closed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(id, compartment, 'ab'.repeat(32), state, at, at, closed ? at : null);
}

function ids(): string[] {
  return db
    .prepare<[], { id: string }>('SELECT id FROM deliveries ORDER BY id')
    .all()
    .map((r) => r.id);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'retention-'));
  db = openDatabase(path.join(dir, 'station.db'));
  clock = T0;
  audit = new AuditLog(db, now);
  outbox = new Outbox(db, { stationId: 'nakano-01', maxEvents: 1000, now });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  signer = { privateKey, chain: [] };
  const at = new Date(T0).toISOString();
  for (const c of ['A01', 'A02', 'A03', 'A04', 'A05'])
    db.prepare('INSERT INTO compartments(id, size, state, updated_at) VALUES (?, ?, ?, ?)').run(
      c,
      'M',
      'empty',
      at,
    );
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Day 0: old history; day 60: attempts; day 95: recent history. The job runs on day 100. */
function history(): void {
  delivery('d-old-collected', 'collected', 'A01', 0, true);
  delivery('d-old-cancelled', 'cancelled', 'A02', 0, true);
  delivery('d-old-loaded', 'loaded', 'A03', 0); // still waiting for its holder
  delivery('d-old-expired', 'expired', 'A04', 0); // expired, document still inside
  db.prepare(
    "UPDATE compartments SET state = 'expired', delivery_id = 'd-old-expired' WHERE id = 'A04'",
  ).run();
  delivery('d-recent-collected', 'collected', 'A05', 95, true);
  for (let i = 0; i < 3; i++) {
    audit.append({ kind: 'attempt', action: 'pickup.card', actor: HOLDER, outcome: 'ok' });
    audit.append({ kind: 'operator', action: 'delivery.assign', target: `delivery:d${i}` });
    outbox.append({ kind: 'station.started', data: { version: 'old' } });
  }
  outbox.markSent(outbox.lastSeq()); // the broker acknowledged everything up to here
  clock = T0 + 60 * DAY;
  audit.append({ kind: 'denial', action: 'pickup.pin', actor: HOLDER, reason: 'wrong_pin' });
  outbox.append({
    kind: 'pickup.attempt',
    data: { result: 'denied', reason: 'wrong_pin', holderSpkiSha256: 'ab'.repeat(32) },
  });
  audit.append({ kind: 'system', action: 'station.start' });
  outbox.markSent(outbox.lastSeq());
  outbox.append({ kind: 'station.started', data: { version: 'unsent' } }); // never acknowledged
  clock = T0 + 95 * DAY;
  audit.append({ kind: 'attempt', action: 'pickup.card', actor: HOLDER, outcome: 'ok' });
  clock = T0 + 100 * DAY;
}

describe('RetentionJob (injected clock)', () => {
  it('deletes what expired, keeps what is pending or unsent, and signs the head first', () => {
    history();
    const headBefore = auditHead(db)!;
    const r = job().run();
    expect(r).toEqual({
      ran: true,
      checkpointSeq: headBefore.seq,
      deliveries: 2,
      attempts: 1,
      auditRows: 6,
      events: 4,
    });
    // Deliveries: the closed old ones are gone; waiting, still-inside and recent ones stay.
    expect(ids()).toEqual(['d-old-expired', 'd-old-loaded', 'd-recent-collected']);
    // Events: every old acknowledged event is gone, the unsent one stays (and the job's own).
    const kinds = db
      .prepare<[], { kind: string; data: string }>(
        'SELECT kind, data FROM outbox_events ORDER BY seq',
      )
      .all();
    expect(kinds.map((k) => k.kind)).toEqual([
      'station.started',
      'audit.checkpoint',
      'retention.pruned',
    ]);
    expect(JSON.parse(kinds[0]!.data)).toEqual({ version: 'unsent' });
    // Audit: the day-0 rows are pruned, the day-60 attempt is redacted, the rest intact.
    const rows = audit.list();
    expect(rows.map((x) => [x.kind, x.action, x.actor, x.redacted])).toEqual([
      ['denial', '', '', 1],
      ['system', 'station.start', 'station', 0],
      ['attempt', 'pickup.card', HOLDER, 0],
      ['system', 'retention.prune', 'station', 0],
    ]);
    // The chain still verifies across the pruned range, from its recorded base.
    expect(verifyAuditDb(db)).toEqual({
      ok: true,
      rows: 4,
      lastSeq: headBefore.seq + 1,
      base: { seq: 6, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      redacted: 1,
    });
    // The checkpoint is signed by the station key over the head as it was before pruning.
    const [cp] = listCheckpoints(db);
    expect(cp).toMatchObject({ seq: headBefore.seq, hash: headBefore.hash });
    const read = readCheckpoint(cp!.jws, signer.privateKey);
    expect(read).toEqual({
      ok: true,
      claims: { v: 1, station: 'nakano-01', ...headBefore, at: now().toISOString() },
    });
    expect(verifyCheckpoints(db, signer.privateKey)).toEqual({
      ok: true,
      checkpoints: 1,
      signaturesChecked: true,
    });
    // Another key does not verify it.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(readCheckpoint(cp!.jws, other)).toEqual({ ok: false, problem: 'bad_signature' });
    expect(verifyCheckpoints(db, other).ok).toBe(false);
  });

  it('a second run the same night prunes nothing more and the chain stays intact', () => {
    history();
    job().run();
    const again = job().run();
    expect(again).toMatchObject({ ran: true, deliveries: 0, attempts: 0, auditRows: 0 });
    expect(verifyAuditDb(db).ok).toBe(true);
    expect(verifyCheckpoints(db, signer.privateKey).ok).toBe(true);
  });

  it('without a station key nothing is pruned', () => {
    history();
    const rows = audit.list({ limit: 1000 }).length;
    const r = new RetentionJob(CONFIG, {
      db: () => db,
      outbox: () => outbox,
      signer: () => undefined,
      stationId: 'nakano-01',
      timezone: 'Asia/Tokyo',
      now,
      log: silentLogger(),
    }).run();
    expect(r).toEqual({ ran: false, reason: 'no_signing_key' });
    expect(ids()).toHaveLength(5);
    expect(audit.list({ limit: 1000 })).toHaveLength(rows);
  });

  it('the triggers still refuse edits and deletions above the base', () => {
    history();
    job().run();
    const head = auditHead(db)!;
    expect(() =>
      db.prepare("UPDATE audit_log SET reason = 'x' WHERE seq = ?").run(head.seq),
    ).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = ?').run(head.seq)).toThrow(
      /append-only/,
    );
    expect(() => db.prepare('UPDATE audit_base SET seq = 1').run()).toThrow(/forward/);
    expect(() => db.prepare('DELETE FROM audit_checkpoints').run()).toThrow(/kept/);
  });

  it('a chain rewritten consistently passes its own check but not the published head or the checkpoint', () => {
    history();
    job().run();
    // What the heartbeat published.
    const published = auditHead(db)!;
    expect(compareWithPublishedHead(db, published)).toMatchObject({ ok: true, checked: true });
    // Someone with write access rewrites a row and re-hashes everything after it.
    db.exec(
      'DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_head_no_delete;',
    );
    const rows = audit.list({ limit: 1000 });
    let prev = rows[0]!.prev_hash;
    for (const row of rows) {
      const edited = { ...row, prev_hash: prev };
      if (row.action === 'station.start') edited.outcome = 'never happened';
      const hash = row.redacted ? row.hash : auditRowHash(edited);
      db.prepare('UPDATE audit_log SET outcome = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(
        edited.outcome,
        prev,
        hash,
        row.seq,
      );
      prev = hash;
    }
    db.prepare('UPDATE audit_head SET last_hash = ?').run(prev);
    expect(verifyAuditDb(db).ok).toBe(true); // the chain alone cannot tell
    expect(compareWithPublishedHead(db, published)).toMatchObject({ ok: false, checked: true });
    expect(verifyCheckpoints(db, signer.privateKey)).toMatchObject({
      ok: false,
      problem: { seq: published.seq - 1 },
    });
  });

  it('runs at retention.runAt station time and again the next night', () => {
    history();
    const timers = new ManualTimers();
    // 2026-04-15T01:00Z is 10:00 in Tokyo: 17 h 30 min to 03:30.
    expect(msUntilNextRun(now(), '03:30', 'Asia/Tokyo')).toBe(17.5 * 3600_000);
    const j = job({}, timers);
    void j.start();
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([17.5 * 3600_000]);
    clock += 17.5 * 3600_000;
    timers.fire();
    expect(listCheckpoints(db)).toHaveLength(1);
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([24 * 3600_000]);
    void j.stop();
    expect(timers.pending.size).toBe(0);
  });
});

describe('jpki-locker audit verify across a pruned range', () => {
  const bin = path.resolve(import.meta.dirname, '../../bin/jpki-locker.js');
  function run(...args: string[]): { code: number; out: string } {
    try {
      return { code: 0, out: execFileSync('node', [bin, ...args], { encoding: 'utf8' }) };
    } catch (err) {
      const e = err as { status: number; stdout: string };
      return { code: e.status, out: e.stdout };
    }
  }

  it('passes with the checkpoints verified by the station certificate; a wrong published head fails', () => {
    const key = makeKey('p256');
    const cert = makeCert({ subject: 'C=JP, O=Nakano City, CN=station nakano-01', key });
    signer = { privateKey: key.privateKey, chain: [cert.der] };
    const certFile = path.join(dir, 'station.pem');
    writeFileSync(certFile, toPem(cert.der));
    history();
    job().run();
    const head = auditHead(db)!;
    db.pragma('wal_checkpoint(TRUNCATE)');
    const file = path.join(dir, 'station.db');
    const text = run(
      'audit',
      'verify',
      '--db',
      file,
      '--cert',
      certFile,
      '--head',
      `${head.seq}:${head.hash}`,
    );
    expect(text.code).toBe(0);
    expect(text.out).toMatch(
      /^audit log intact: 4 rows from row 7 \(earlier rows pruned\), 1 redacted/,
    );
    expect(text.out).toContain('checkpoints: 1 consistent, signatures verified');
    expect(text.out).toContain(`published head ${head.seq}: ok`);
    const wrong = run(
      'audit',
      'verify',
      '--db',
      file,
      '--json',
      '--head',
      `${head.seq}:${'0'.repeat(64)}`,
    );
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.out)).toMatchObject({
      ok: false,
      chainOk: true,
      published: [{ seq: head.seq, ok: false }],
    });
    // A certificate of another key: the checkpoint signature does not verify.
    const otherKey = makeKey('p256');
    const other = makeCert({ subject: 'C=JP, CN=someone else', key: otherKey });
    writeFileSync(path.join(dir, 'other.pem'), toPem(other.der));
    const forged = run('audit', 'verify', '--db', file, '--cert', path.join(dir, 'other.pem'));
    expect(forged.code).toBe(1);
    expect(forged.out).toMatch(/checkpoints: PROBLEM .* not signed by the station key/);
  });
});
