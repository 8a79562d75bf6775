import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCrl } from '../../trust/testing/crl-writer.js';
import { KU, makeCert, makeKey, makeRoot, toPem, type TestCert } from '../../trust/testing/pki.js';

const BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../bin/jpki-locker.js',
);
const ROOT = 'C=JP, O=JPKI, OU=CLI Root';
let dir: string;
let root: TestCert;
let good: TestCert;
let revoked: TestCert;
let crlPem: string;
const f = (name: string) => path.join(dir, name);

function run(
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, JPKI_LOCKER_CONFIG: f('none.yaml') },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(stdin ?? '');
  });
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-trust-cli-'));
  writeFileSync(f('none.yaml'), `storage:\n  path: ${f('station.db')}\n`);
  const key = makeKey('rsa2048');
  root = makeRoot(ROOT, key);
  const leafKey = makeKey('p256');
  good = makeCert({
    subject: 'C=JP, CN=good',
    key: leafKey,
    issuer: root,
    keyUsage: [KU.digitalSignature],
    serial: 0x1234,
  });
  revoked = makeCert({
    subject: 'C=JP, CN=bad',
    key: leafKey,
    issuer: root,
    keyUsage: [KU.digitalSignature],
    serial: 0xabcd,
  });
  const crl = makeCrl({
    issuerName: ROOT,
    key,
    crlNumber: 3,
    entries: [{ serial: 0xabcd, reason: 1 }],
  });
  crlPem = toPem(crl, 'X509 CRL');
  writeFileSync(f('root.pem'), toPem(root.der));
  writeFileSync(f('good.der'), good.der);
  writeFileSync(f('revoked.pem'), toPem(revoked.der));
  writeFileSync(f('crl.der'), crl);
  writeFileSync(f('broken.der'), good.der.subarray(0, 40));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('jpki-locker cert verify', () => {
  it('prints {"valid","reason","chain"} and exits 0 / 1 / 2', async () => {
    const ok = await run([
      'cert',
      'verify',
      '--trust',
      f('root.pem'),
      '--purpose',
      'auth',
      f('good.der'),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(
      '{"valid":true,"reason":"ok","chain":["C=JP, CN=good","C=JP, O=JPKI, OU=CLI Root"]}\n',
    );
    const rev = await run([
      'cert',
      'verify',
      '--purpose',
      'auth',
      '--crl',
      f('crl.der'),
      '--trust',
      f('root.pem'),
      f('revoked.pem'),
    ]);
    expect(rev.code).toBe(1);
    expect(JSON.parse(rev.stdout)).toEqual({
      valid: false,
      reason: 'revoked',
      chain: ['C=JP, CN=bad', ROOT],
      source: 'crl',
    });
    const broken = await run(['cert', 'verify', '--trust', f('root.pem'), f('broken.der')]);
    expect(broken.code).toBe(2);
    const missing = await run(['cert', 'verify', '--trust', f('root.pem'), f('nope.pem')]);
    expect(missing.code).toBe(2);
    const base = ['cert', 'verify', '--trust', f('root.pem')];
    for (const bad of [
      ['--purpose', 'door'],
      ['--at', 'yesterday'],
    ]) {
      const r = await run([...base, ...bad, f('good.der')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^jpki-locker: --(purpose|at)/);
    }
    // A garbage CRL never crashes and never passes: the issuer's certificates are bad_crl.
    const garbage = await run([
      ...base,
      '--crl',
      f('broken.der'),
      '--purpose',
      'auth',
      f('good.der'),
    ]);
    expect(garbage.code).toBe(1);
    expect(JSON.parse(garbage.stdout)).toMatchObject({ valid: false, reason: 'bad_crl' });
  });

  it('--batch answers one line per input line, carrying its id', async () => {
    const lines = [
      { id: 'a', trust: [toPem(root.der)], cert: toPem(good.der), purpose: 'auth' },
      {
        id: 'b',
        trust: [toPem(root.der)],
        crls: [crlPem],
        cert: toPem(revoked.der),
        purpose: 'auth',
        at: new Date().toISOString(),
      },
      { id: 'c', trust: [toPem(root.der)], cert: toPem(good.der), purpose: 'sign' },
    ];
    const r = await run(
      ['cert', 'verify', '--batch'],
      lines.map((l) => JSON.stringify(l)).join('\n') + '\nnot json\n',
    );
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.map((o) => [o.id, o.valid, o.reason])).toEqual([
      ['a', true, 'ok'],
      ['b', false, 'revoked'],
      ['c', false, 'wrong_usage'],
      [null, false, 'malformed'],
    ]);
    expect(r.code).toBe(2);
    // Every line has exactly the documented keys; the detail of a broken line is on stderr.
    for (const o of out) expect(Object.keys(o)).toEqual(['id', 'valid', 'reason', 'chain']);
    expect(r.stderr).toContain('not a JSON object');
  });

  it('--batch honours the optional "maxDepth" and "ekus" of a line', async () => {
    const subKey = makeKey('p256');
    const sub = makeCert({
      subject: 'C=JP, O=JPKI, CN=CLI Sub',
      key: subKey,
      issuer: root,
      ca: true,
      keyUsage: [KU.keyCertSign, KU.cRLSign],
    });
    const leaf = makeCert({
      subject: 'C=JP, CN=under sub',
      key: makeKey('p256'),
      issuer: sub,
      keyUsage: [KU.digitalSignature],
      eku: ['1.3.6.1.5.5.7.3.2'],
    });
    const base = {
      trust: [toPem(root.der)],
      intermediates: [toPem(sub.der)],
      cert: toPem(leaf.der),
    };
    const lines = [
      { id: 'depth1', ...base, maxDepth: 1 },
      { id: 'depth0', ...base, maxDepth: 0 },
      { id: 'eku-ok', ...base, ekus: ['1.3.6.1.5.5.7.3.2'] },
      { id: 'eku-no', ...base, ekus: ['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.4'] },
      { id: 'bad-depth', ...base, maxDepth: -1 },
      { id: 'bad-eku', ...base, ekus: ['clientAuth'] },
    ];
    const r = await run(
      ['cert', 'verify', '--batch'],
      lines.map((l) => JSON.stringify(l)).join('\n'),
    );
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.map((o) => [o.id, o.valid, o.reason])).toEqual([
      ['depth1', true, 'ok'],
      ['depth0', false, 'path_too_long'],
      ['eku-ok', true, 'ok'],
      ['eku-no', false, 'wrong_usage'],
      ['bad-depth', false, 'malformed'],
      ['bad-eku', false, 'malformed'],
    ]);
    expect(r.stderr).toContain('maxDepth must be');
    expect(r.stderr).toContain('ekus must be');
  });
});

describe('jpki-locker crl', () => {
  it('import, status, check against a database', async () => {
    const db = f('cli.db');
    const imp = await run(['crl', 'import', f('crl.der'), '--trust', f('root.pem'), '--db', db]);
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.stdout)).toMatchObject({
      outcome: 'imported',
      entries: 1,
      crlNumber: '3',
    });
    const bad = await run(['crl', 'import', f('broken.der'), '--trust', f('root.pem'), '--db', db]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ outcome: 'rejected' });
    const status = await run(['crl', 'status', '--json', '--db', db]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).crls[0]).toMatchObject({
      issuer: ROOT,
      entries: 1,
      verdict: 'fresh',
    });
    const hit = await run(['crl', 'check', '--issuer', f('root.pem'), 'ab:cd', '--db', db]);
    expect(hit.code).toBe(1);
    expect(JSON.parse(hit.stdout)).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    const miss = await run(['crl', 'check', '--issuer', f('root.pem'), '1234', '--db', db]);
    expect(miss.code).toBe(0);
    expect(JSON.parse(miss.stdout)).toMatchObject({ status: 'good' });
  });
});
