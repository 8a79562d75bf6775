import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../storage/db.js';
import { AuditContentError, AuditLog, auditRowHash, type AuditRow } from './audit-log.js';

let dir: string;
let file: string;
let db: Db;
let log: AuditLog;
let t = Date.parse('2025-04-01T02:00:00Z');

function fill(n: number): void {
  for (let i = 1; i <= n; i++) {
    log.append({
      kind: i % 2 ? 'attempt' : 'denial',
      action: 'pickup.pin',
      actor: `holder:${'ab'.repeat(32)}`,
      target: `compartment:A0${i}`,
      outcome: i % 2 ? 'ok' : 'denied',
      reason: i % 2 ? '' : 'wrong_pin',
      details: { triesLeft: 3 - (i % 3), n: i },
    });
  }
}

/** Lets the test act like someone editing the file with the sqlite3 shell. */
function dropGuards(): void {
  db.exec(
    'DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_head_no_delete;',
  );
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'audit-'));
  file = path.join(dir, 'station.db');
  db = openDatabase(file);
  log = new AuditLog(db, () => new Date((t += 1000)));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('AuditLog', () => {
  it('chains each row to the previous one and verifies an untouched log', () => {
    fill(6);
    const rows = log.list();
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(log.verify()).toEqual({ ok: true, rows: 6, lastSeq: 6 });
  });

  it('refuses UPDATE and DELETE through its triggers', () => {
    fill(2);
    expect(() => db.exec("UPDATE audit_log SET reason = 'x' WHERE seq = 1")).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM audit_log WHERE seq = 1')).toThrow(/append-only/);
  });

  it('refuses a PIN or personal data in details', () => {
    expect(() => log.append({ kind: 'attempt', action: 'x', details: { pin: '1234' } })).toThrow(
      AuditContentError,
    );
    expect(() => log.append({ kind: 'attempt', action: 'x', details: { name: 'x' } })).toThrow(
      AuditContentError,
    );
    expect(log.verify().ok).toBe(true);
  });

  it('commits with the caller transaction and rolls back with it', () => {
    const tx = db.transaction(() => {
      log.append({ kind: 'grant', action: 'door.open' });
      throw new Error('state change failed');
    });
    expect(() => tx()).toThrow('state change failed');
    expect(log.list()).toHaveLength(0);
    expect(log.verify().ok).toBe(true);
  });

  it('catches an edited row', () => {
    fill(6);
    dropGuards();
    db.exec("UPDATE audit_log SET reason = '' , outcome = 'ok' WHERE seq = 4");
    expect(log.verify()).toMatchObject({ ok: false, problem: { kind: 'edited', seq: 4 } });
  });

  it('catches a deleted row in the middle', () => {
    fill(6);
    dropGuards();
    db.exec('DELETE FROM audit_log WHERE seq = 3');
    expect(log.verify()).toMatchObject({ ok: false, problem: { kind: 'deleted', seq: 3 } });
  });

  it('catches a deleted row even when the rest were renumbered', () => {
    fill(6);
    dropGuards();
    db.exec(
      'DELETE FROM audit_log WHERE seq = 3; UPDATE audit_log SET seq = seq - 1 WHERE seq > 3',
    );
    db.exec('UPDATE audit_head SET last_seq = 5');
    expect(log.verify()).toMatchObject({ ok: false, problem: { kind: 'deleted', seq: 3 } });
  });

  it('catches a deleted tail through the recorded head', () => {
    fill(6);
    dropGuards();
    db.exec('DELETE FROM audit_log WHERE seq >= 5');
    expect(log.verify()).toMatchObject({ ok: false, problem: { kind: 'deleted', seq: 5 } });
  });

  it('catches a reordered pair', () => {
    fill(6);
    dropGuards();
    // Swap the content of rows 2 and 3, keeping the sequence numbers.
    db.exec(`
      UPDATE audit_log SET seq = 100 WHERE seq = 2;
      UPDATE audit_log SET seq = 2 WHERE seq = 3;
      UPDATE audit_log SET seq = 3 WHERE seq = 100;`);
    expect(log.verify()).toMatchObject({
      ok: false,
      problem: { kind: 'reordered', seq: 2, otherSeq: 3 },
    });
  });

  it('catches an inserted row, forged or not', () => {
    fill(6);
    dropGuards();
    const rows = log.list();
    // A well-forged row put between 3 and 4: correct self-hash, linked to row 3.
    const forged: Omit<AuditRow, 'seq' | 'hash'> = {
      at: rows[2]!.at,
      kind: 'grant',
      action: 'door.open',
      actor: 'station',
      target: 'door:main',
      outcome: 'granted',
      reason: '',
      details: '{}',
      prev_hash: rows[2]!.hash,
    };
    db.exec('UPDATE audit_log SET seq = seq + 10 WHERE seq > 3');
    db.exec('UPDATE audit_log SET seq = seq - 9 WHERE seq > 13');
    db.prepare(
      `INSERT INTO audit_log(seq, at, kind, action, actor, target, outcome, reason, details, prev_hash, hash)
       VALUES (4, @at, @kind, @action, @actor, @target, @outcome, @reason, @details, @prev_hash, @hash)`,
    ).run({ ...forged, hash: auditRowHash(forged) });
    db.exec('UPDATE audit_head SET last_seq = 7');
    expect(log.verify()).toMatchObject({ ok: false, problem: { kind: 'inserted', seq: 4 } });
  });

  it('catches a row appended at the end behind the station’s back', () => {
    fill(3);
    const last = log.list().at(-1)!;
    const forged = { ...last, prev_hash: last.hash, reason: 'forged' };
    db.prepare(
      `INSERT INTO audit_log(at, kind, action, actor, target, outcome, reason, details, prev_hash, hash)
       VALUES (@at, @kind, @action, @actor, @target, @outcome, @reason, @details, @prev_hash, @hash)`,
    ).run({ ...forged, hash: auditRowHash(forged) });
    expect(log.verify()).toMatchObject({ ok: false, problem: { kind: 'inserted', seq: 4 } });
  });
});

describe('jpki-locker audit verify', () => {
  const bin = path.resolve(import.meta.dirname, '../../bin/jpki-locker.js');
  function run(...args: string[]): { code: number; out: string } {
    try {
      return { code: 0, out: execFileSync('node', [bin, ...args], { encoding: 'utf8' }) };
    } catch (err) {
      const e = err as { status: number; stdout: string };
      return { code: e.status, out: e.stdout };
    }
  }

  it('exits 0 on an intact log and 1 with the first bad row as JSON', () => {
    fill(5);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const ok = run('audit', 'verify', '--db', file, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true, rows: 5 });
    dropGuards();
    db.exec("UPDATE audit_log SET outcome = 'granted' WHERE seq = 2");
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bad = run('audit', 'verify', '--db', file, '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ ok: false, problem: { kind: 'edited', seq: 2 } });
    const text = run('audit', 'verify', '--db', file);
    expect(text.out).toMatch(/TAMPERED.*row 2/);
  });

  // The acceptance names the command itself: each tampering through `jpki-locker audit verify`.
  it.each([
    ['an edited row', "UPDATE audit_log SET reason = '' WHERE seq = 4", { kind: 'edited', seq: 4 }],
    ['a deleted row', 'DELETE FROM audit_log WHERE seq = 3', { kind: 'deleted', seq: 3 }],
    [
      'a reordered pair',
      `UPDATE audit_log SET seq = 100 WHERE seq = 2;
       UPDATE audit_log SET seq = 2 WHERE seq = 3;
       UPDATE audit_log SET seq = 3 WHERE seq = 100;`,
      { kind: 'reordered', seq: 2, otherSeq: 3 },
    ],
  ])('reports %s with its row number (exit 1)', (_what, sql, problem) => {
    fill(6);
    dropGuards();
    db.exec(sql);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bad = run('audit', 'verify', '--db', file, '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ ok: false, problem });
  });
});
