/**
 * `jpki-locker board emulate | status | open` end to end: the emulator CLI on one end of a
 * socat pty pair, the status/open CLIs on the other.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess, runCli } from '../support/cli.js';
import { createPtyPair, type PtyPair } from '../support/socat.js';

describe('jpki-locker board', () => {
  let pty: PtyPair;
  let emulator: CliProcess;
  let dir: string;
  beforeAll(async () => {
    pty = await createPtyPair();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jpki-board-cli-'));
    emulator = new CliProcess(['board', 'emulate', '--port', pty.b, '--boards', '2']);
    await emulator.waitFor('board emulator: 2 board(s)');
  });
  afterAll(async () => {
    emulator?.kill('SIGTERM');
    await emulator?.exited;
    await pty?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const env = () => ({ JPKI_LOCKER_CONFIG: '' });

  it('status --json prints exactly {"board":N,"locks":[...]}', async () => {
    const r = await runCli(['board', 'status', '--port', pty.a, '--board', '1', '--json'], {
      env: env(),
    });
    expect(r.code).toBe(0);
    const locks = Array.from({ length: 16 }, (_, i) => ({
      lock: i + 1,
      latched: true,
      occupied: false,
    }));
    expect(r.stdout).toBe(`${JSON.stringify({ board: 1, locks })}\n`);
  });

  it('open --lock 1 opens lock 1 (numbered from 1) and status shows it released', async () => {
    const r = await runCli(['board', 'open', '--port', pty.a, '--board', '0', '--lock', '1'], {
      env: env(),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('board 0 lock 1: opened\n');
    const s = await runCli(['board', 'status', '--port', pty.a, '--board', '0', '--json'], {
      env: env(),
    });
    const parsed = JSON.parse(s.stdout) as { locks: Array<{ lock: number; latched: boolean }> };
    expect(parsed.locks[0]).toEqual({ lock: 1, latched: false, occupied: false });
    expect(parsed.locks[1]).toEqual({ lock: 2, latched: true, occupied: false });
  });

  it('applies the configured latch polarity', async () => {
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      file,
      'board:\n  replyTimeoutMs: 100\n  boards:\n    - address: 1\n      locks: 4\n      latchPolarity: zero-is-latched\n',
    );
    const r = await runCli(
      ['board', 'status', '--port', pty.a, '--board', '1', '--json', '--config', file],
      { env: env() },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      board: 1,
      locks: [1, 2, 3, 4].map((lock) => ({ lock, latched: false, occupied: false })),
    });
  });

  it('a board nobody answers for exits 3; a bad lock number exits 2', async () => {
    const file = path.join(dir, 'fast.yaml');
    fs.writeFileSync(file, 'board:\n  replyTimeoutMs: 50\n  retries: 1\n');
    const silent = await runCli(
      ['board', 'status', '--port', pty.a, '--board', '9', '--config', file],
      { env: env() },
    );
    expect(silent.code).toBe(3);
    expect(silent.stderr).toContain('board 9 did not answer');
    const bad = await runCli(['board', 'open', '--port', pty.a, '--board', '0', '--lock', '0'], {
      env: env(),
    });
    expect(bad.code).toBe(2);
  });
});
