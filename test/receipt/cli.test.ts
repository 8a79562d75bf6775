import { sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receipt } from '../../shared/mqtt/receipt.js';
import { runCli } from '../support/cli.js';
import { certificateSpkiSha256, makeReceipt } from '../../controller/receipt/receipt.js';
import { makeCert, makeKey, makeRoot } from '../../controller/trust/testing/pki.js';

let dir: string;
let receipt: Receipt;
let holderHash: string;
const f = (name: string) => path.join(dir, name);
const write = (name: string, value: unknown) => {
  writeFileSync(f(name), typeof value === 'string' ? value : JSON.stringify(value));
  return f(name);
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-receipt-cli-'));
  const root = makeRoot('C=JP, O=JPKI, OU=Receipt CLI Root');
  const key = makeKey('rsa2048');
  const cert = makeCert({ subject: 'C=JP, CN=cli-holder', key, issuer: root });
  holderHash = certificateSpkiSha256(new X509Certificate(cert.der));
  receipt = await makeReceipt({
    station: 'nakano-01',
    deliveryIds: ['D-2026-1', 'D-2026-2'],
    at: new Date('2026-12-01T09:00:00.000Z'),
    nonce: new Uint8Array(32).fill(5),
    certificateDer: cert.der,
    sign: async (m) => new Uint8Array(sign('sha256', m, key.privateKey)),
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('jpki-locker receipt verify FILE', () => {
  it('prints station, deliveries, time and holder hash and exits 0 for a valid receipt', async () => {
    const r = await runCli(['receipt', 'verify', write('ok.json', receipt)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'receipt valid\n' +
        'station:    nakano-01\n' +
        'deliveries: D-2026-1, D-2026-2\n' +
        'time:       2026-12-01T09:00:00.000Z\n' +
        `holder:     ${holderHash}\n`,
    );
  });

  it('--json prints the check', async () => {
    const r = await runCli(['receipt', 'verify', '--json', write('ok2.json', receipt)]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      valid: true,
      station: 'nakano-01',
      deliveryIds: ['D-2026-1', 'D-2026-2'],
      at: '2026-12-01T09:00:00.000Z',
      holderSpkiSha256: holderHash,
    });
  });

  it.each([
    ['station', (x: Receipt) => (x.challenge.station = 'nakano-99')],
    ['deliveries', (x: Receipt) => (x.challenge.deliveryIds = ['D-2026-1'])],
    ['time', (x: Receipt) => (x.challenge.at = '2026-12-01T09:00:01.000Z')],
  ])('exits 1 when the %s was altered, saying what it claims', async (name, alter) => {
    const x = structuredClone(receipt);
    alter(x);
    const r = await runCli(['receipt', 'verify', write(`bad-${name}.json`, x)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^receipt NOT valid \(bad_signature\)/);
    expect(r.stdout).toContain('(claimed)');
  });

  it('exits 1 for a file that is not a receipt, 2 for one that cannot be read', async () => {
    const bad = await runCli(['receipt', 'verify', write('garbage.json', 'not json')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^receipt NOT valid \(not_json\)/);
    const missing = await runCli(['receipt', 'verify', f('nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
  });
});
