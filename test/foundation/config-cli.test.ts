import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'jl-config-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, body: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, body);
  return f;
}

describe('jpki-locker config check', () => {
  it('takes the file as an argument as well as with -c', async () => {
    const good = file('good.yaml', `storage:\n  path: ${path.join(dir, 'station.db')}\n`);
    for (const args of [[good], ['-c', good]]) {
      const r = await runCli(['config', 'check', ...args]);
      expect(r.stdout).toBe('configuration ok\n');
      expect(r.code).toBe(0);
    }
  });

  it('lists schema and cross-reference problems in one run (exit 2)', async () => {
    const bad = file(
      'bad.yaml',
      [
        'station:',
        '  id: "Not An Id"',
        'gpio:',
        '  driver: sim',
        '  outputs:',
        '    - { name: relay-a, line: 17 }',
        'doors:',
        '  - { id: front, relay: relay-b }',
        '',
      ].join('\n'),
    );
    const r = await runCli(['config', 'check', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ {2}station\.id: /m);
    expect(r.stderr).toMatch(/^ {2}doors\.0\.relay: no gpio output named "relay-b"/m);
  });

  it('refuses two different files (exit 2, no stack trace)', async () => {
    const r = await runCli(['config', 'check', 'a.yaml', '-c', 'b.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('two configuration files given');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
