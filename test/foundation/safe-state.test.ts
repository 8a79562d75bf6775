import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../support/temp-dir.js';
import { ROOT, runCli } from '../support/cli.js';

function config(body: string): string {
  const file = path.join(testTempDir('jl-safe-'), 'config.yaml');
  writeFileSync(file, body);
  return file;
}

describe('jpki-locker safe-state (systemd ExecStartPre / ExecStopPost)', () => {
  it('drives every configured lock output to locked and exits 0', async () => {
    const file = config(
      'gpio:\n  driver: sim\n  outputs:\n    - {name: front, line: 17, activeLow: true}\n    - {name: exit, line: 18, failMode: safe}\n',
    );
    const r = await runCli(['safe-state', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('front (secure), exit (safe)');
  });

  it('exits 3 (hardware lost) when the relays cannot be reached', async () => {
    const file = config('gpio:\n  driver: onoff\n  outputs:\n    - {name: front, line: 17}\n');
    const r = await runCli(['safe-state', '--config', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/GPIO is not accessible/);
  });

  it('the systemd unit runs it before every start and after every stop, and never restarts on exit 2 or 4', () => {
    const unit = readFileSync(path.join(ROOT, 'deploy/jpki-locker.service'), 'utf8');
    expect(unit).toMatch(/^ExecStartPre=.*main\.js safe-state$/m);
    expect(unit).toMatch(/^ExecStopPost=.*main\.js safe-state$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=2 4$/m);
    expect(unit).toMatch(/^WatchdogSec=\d+$/m);
    expect(unit).toMatch(/^Type=notify$/m);
  });
});
