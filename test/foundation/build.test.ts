import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ROOT } from '../support/cli.js';

const run = promisify(execFile);

// The systemd unit runs the compiled daemon (dist/); this builds it and runs it once.
describe('compiled daemon (npm run build)', () => {
  it('builds dist/ with migrations and pages, and the compiled daemon starts and stops cleanly', async () => {
    // Built into a folder of its own (inside the checkout, so node_modules resolves): the
    // suite's other tests run the bin, which runs dist/.
    mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
    const dir = mkdtempSync(path.join(ROOT, 'test-artifacts', 'build-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const out = path.join(dir, 'dist');
    await run(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--out', out], {
      cwd: ROOT,
    });
    const main = path.join(out, 'controller/cli/main.js');
    expect(existsSync(main)).toBe(true);
    expect(existsSync(path.join(out, 'controller/storage/migrations/001_foundation.sql'))).toBe(
      true,
    );
    expect(existsSync(path.join(out, 'controller/web/static/kiosk.html'))).toBe(true);
    expect(existsSync(path.join(out, 'BUILT'))).toBe(true);

    const config = path.join(dir, 'config.yaml');
    writeFileSync(
      config,
      'web:\n  port: 0\nmqtt:\n  enabled: false\ncard:\n  driver: sim\nlog:\n  format: json\nstorage:\n  path: station.db\n',
    );
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [main, 'start', '--config', config], { cwd: dir });
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('station ready')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const version = await run(process.execPath, [main, '--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  }, 120_000);
});
