/**
 * `jpki-locker office` drives a station the way a municipality would: make-signer, then
 * assign (signed, published, answered) while `office watch` prints the resulting event.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeCertificates } from '../../controller/trust/certificate.js';
import { BIN, ROOT, runCli } from '../support/cli.js';
import { Mosquitto } from '../support/mosquitto.js';
import { startStation, type CommandPki, type TestStation } from './fixtures.js';

let broker: Mosquitto;
let station: TestStation;
let dir: string;
let tlsArgs: string[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'office-cli-'));
  broker = await Mosquitto.start({ stations: ['st-a'] });
  const made = await runCli(['office', 'make-signer', '--out', dir]);
  expect(made.code, made.stderr).toBe(0);
  const ca = decodeCertificates(new Uint8Array(readFileSync(path.join(dir, 'command-ca.pem'))))[0]!;
  // The station installs the CA's first CRL that make-signer wrote (trust.commandCrlFiles).
  const crl = new Uint8Array(readFileSync(path.join(dir, 'command-crl.pem')));
  station = await startStation(
    broker,
    { ca: { certDer: ca }, crl } as unknown as CommandPki,
    'st-a',
  );
  await station.connected();
  const office = broker.user('office');
  writeFileSync(path.join(dir, 'ca.pem'), broker.ca.certPem);
  writeFileSync(path.join(dir, 'office.pem'), office.cert);
  writeFileSync(path.join(dir, 'office-key.pem'), office.key);
  tlsArgs = [
    '--url',
    broker.officeUrl,
    '--ca',
    path.join(dir, 'ca.pem'),
    '--cert',
    path.join(dir, 'office.pem'),
    '--key',
    path.join(dir, 'office-key.pem'),
  ];
}, 60_000);
afterAll(async () => {
  await station?.close();
  await broker?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sign = () => [
  '--sign-key',
  path.join(dir, 'signer-key.pem'),
  '--sign-cert',
  path.join(dir, 'signer.pem'),
];

it(
  'assign is signed, executed and answered; watch prints the event',
  { timeout: 60_000 },
  async () => {
    const watch = spawn(
      process.execPath,
      [BIN, 'office', 'watch', '--station', 'st-a', '--count', '1', ...tlsArgs],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let watched = '';
    watch.stdout.on('data', (d: Buffer) => (watched += d.toString()));
    const watchDone = new Promise<number | null>((r) => watch.on('close', (code) => r(code)));
    // Wait until the watcher says its subscription is in place.
    let watchErr = '';
    await new Promise<void>((resolve, reject) => {
      watch.stderr.on('data', (d: Buffer) => {
        watchErr += d.toString();
        if (watchErr.includes('watching')) resolve();
      });
      watch.once('close', () => reject(new Error(`watch exited: ${watchErr}`)));
    });

    const holder = 'cd'.repeat(32);
    const r = await runCli([
      'office',
      'assign',
      '--station',
      'st-a',
      '--delivery',
      'D-CLI-1',
      '--size',
      'M',
      '--holder',
      holder,
      '--deadline',
      new Date(Date.now() + 30 * 86_400_000).toISOString(),
      ...sign(),
      ...tlsArgs,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as {
      status: string;
      kind: string;
      detail: { compartment: string };
    };
    expect(answer).toMatchObject({
      status: 'accepted',
      kind: 'delivery.assign',
      detail: { compartment: 'A01' },
    });

    expect(await watchDone).toBe(0);
    const line = JSON.parse(watched.trim().split('\n')[0]!) as {
      payload: { kind: string; data: object };
    };
    expect(line.payload).toMatchObject({
      kind: 'delivery.assigned',
      data: { deliveryId: 'D-CLI-1', holderSpkiSha256: holder },
    });
  },
);

it('a rejected command exits 1 with the reason printed', async () => {
  const r = await runCli([
    'office',
    'cancel',
    '--station',
    'st-a',
    '--delivery',
    'D-NONE',
    ...sign(),
    ...tlsArgs,
  ]);
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout)).toMatchObject({ status: 'rejected', reason: 'unknown_delivery' });
});

it('usage errors exit 2', async () => {
  const r = await runCli([
    'office',
    'open',
    '--station',
    'st-a',
    '--reason',
    'x',
    ...sign(),
    ...tlsArgs,
  ]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('exactly one of --door and --compartment');
});

it('a bad --timeout is a usage error (2); a broker that cannot be reached is a failure (1)', async () => {
  const base = [
    'office',
    'open',
    '--station',
    'st-a',
    '--door',
    'front',
    '--reason',
    'x',
    ...sign(),
  ];
  const t = await runCli([...base, ...tlsArgs, '--timeout', 'soon']);
  expect(t.code).toBe(2);
  expect(t.stderr).toContain('--timeout');
  const down = await runCli([...base, '--url', 'mqtt://127.0.0.1:1']);
  expect(down.code).toBe(1);
  expect(down.stderr).toContain('cannot connect to mqtt://127.0.0.1:1');
});
