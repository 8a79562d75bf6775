import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { testTempDir } from '../support/temp-dir.js';
import { CliProcess, ROOT, runCli } from '../support/cli.js';

function tempConfig(extra = ''): { dir: string; file: string; db: string } {
  const dir = testTempDir('jl-life-');
  const file = path.join(dir, 'config.yaml');
  const db = path.join(dir, 'station.db');
  writeFileSync(
    file,
    `storage:\n  path: ${db}\nweb:\n  port: 0\nmqtt:\n  enabled: false\ncard:\n  driver: none\nlog:\n  format: json\n${extra}`,
  );
  return { dir, file, db };
}

function integrity(db: string): string {
  const h = new Database(db, { readonly: true });
  try {
    return (h.pragma('integrity_check', { simple: true }) as string) ?? '';
  } finally {
    h.close();
  }
}

/** Fails the test if the process has not exited within `ms` (the acceptance bound). */
function exitWithin(p: CliProcess, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.exited.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms`)), ms);
    }),
  ]);
}

const running: CliProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill('SIGKILL');
});

describe('station lifecycle', () => {
  it('SIGTERM in steady state: exits 0 within 5 s and the database is intact', async () => {
    const { file, db } = tempConfig();
    const p = new CliProcess(['start', '--config', file]);
    running.push(p);
    await p.waitFor('station ready');
    p.kill('SIGTERM');
    expect(await exitWithin(p, 5000)).toEqual({ code: 0, signal: null });
    expect(integrity(db)).toBe('ok');
    const h = new Database(db, { readonly: true });
    const run = h
      .prepare('SELECT stopped_at, exit_reason FROM station_runs ORDER BY id DESC LIMIT 1')
      .get() as { stopped_at: string | null; exit_reason: string };
    h.close();
    expect(run.exit_reason).toBe('stopped');
    expect(run.stopped_at).not.toBeNull();
  });

  it('SIGTERM during start-up: exits 0 within 5 s, stops what started, database intact', async () => {
    const { file, db } = tempConfig();
    // the same process shell, with one component that blocks start-up until aborted
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'test/support/slow-start-station.ts'), file],
      { cwd: ROOT },
    );
    let err = '';
    const blocked = new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('BLOCKED-IN-START')) resolve();
      }),
    );
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      await blocked;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        exited.finally(() => clearTimeout(timer)),
        new Promise<never>(
          (_, reject) =>
            (timer = setTimeout(() => reject(new Error('no exit within 5000 ms')), 5000)),
        ),
      ]);
      expect(result).toEqual({ code: 0, signal: null });
      expect(err).toContain('BLOCKER-STOPPED');
      expect(err).toContain('start-up aborted');
      expect(integrity(db)).toBe('ok');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a configuration with three mistakes exits 2 and names all three paths', async () => {
    const { file } = tempConfig(
      'station:\n  id: "Not Valid"\nboard:\n  driver: serial\npickup:\n  pinTimeoutSec: 1\n',
    );
    const r = await runCli(['start', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('station.id:');
    expect(r.stderr).toContain('board.driver:');
    expect(r.stderr).toContain('pickup.pinTimeoutSec:');
  });

  it('hardware the configuration needs but cannot reach exits 3 (lost hardware), distinct from 2', async () => {
    const { file } = tempConfig(
      'board:\n  driver: kerong\n  port: /dev/nonexistent-rs485\n  boards: [{address: 0}]\n',
    );
    const r = await runCli(['start', '--config', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('/dev/nonexistent-rs485');
    const gpio = tempConfig('gpio:\n  driver: onoff\n  outputs: [{name: front, line: 17}]\n');
    const g = await runCli(['start', '--config', gpio.file]);
    expect(g.code).toBe(3);
  });

  it('a database written by a newer version exits 4 with a clear reason', async () => {
    const { file, db } = tempConfig();
    const h = new Database(db);
    h.pragma('user_version = 999');
    h.close();
    const r = await runCli(['start', '--config', file]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/newer jpki-locker/);
  });

  it('a file that is not a database exits 4', async () => {
    const { file, db } = tempConfig();
    writeFileSync(db, 'this is not sqlite'.repeat(100));
    const r = await runCli(['start', '--config', file]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/not a valid SQLite database/);
  });

  it('a database locked by another process exits 4 instead of hanging', async () => {
    const { file, db } = tempConfig();
    const h = new Database(db);
    h.exec('CREATE TABLE hold(x)');
    h.exec('BEGIN EXCLUSIVE');
    try {
      const r = await runCli(['start', '--config', file], {
        env: { JPKI_LOCKER_STORAGE_BUSY_TIMEOUT_MS: '100' },
      });
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/locked by another process/);
    } finally {
      h.exec('ROLLBACK');
      h.close();
    }
  });
});
