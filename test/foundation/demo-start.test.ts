import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CliProcess, runCli } from '../support/cli.js';
import { freeLoopbackPort } from '../support/ports.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'jl-demo-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a demo whose web port is taken ends with the port and the option to change it, no stack trace', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    const r = await runCli([
      'demo',
      '--data',
      dir,
      '--port',
      String(port),
      '--broker-port',
      String(await freeLoopbackPort()),
    ]);
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain(`127.0.0.1:${port} is already in use`);
    expect(out).toContain('--port');
    expect(out).not.toContain('EADDRINUSE');
    expect(out).not.toMatch(/\bat \S+ \(/);
  } finally {
    taken.close();
  }
});

it('a first demo start shows the banner last, with no CRL warning or alarm before it', async () => {
  const data = path.join(dir, 'first');
  const demo = new CliProcess(
    [
      'demo',
      '--data',
      data,
      '--port',
      String(await freeLoopbackPort()),
      '--broker-port',
      String(await freeLoopbackPort()),
    ],
    { env: { JPKI_LOCKER_LOG_LEVEL: '' } },
  );
  try {
    await demo.waitFor('Press Ctrl+C to stop.');
    const out = demo.stdout + demo.stderr;
    expect(out).toMatch(/station screen: http:\/\/127\.0\.0\.1:\d+\//);
    expect(out).not.toMatch(/CRL not usable|crl_stale|"level":(40|50|60)/);
    expect(out.trim().split('\n').length).toBeLessThanOrEqual(8);
  } finally {
    demo.kill();
    await demo.exited;
  }
});
