/**
 * `jpki-locker cert verify --ocsp | --ocsp-url URL` and `jpki-locker cert status CERT
 * --issuer CACERT [--ocsp-url URL]` against a real `openssl ocsp` responder on loopback.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCrl } from '../../controller/trust/testing/crl-writer.js';
import { makeOcspTestPki } from '../../controller/trust/testing/ocsp-pki.js';
import { toPem } from '../../controller/trust/testing/pki.js';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/mosquitto.js';
import { OpensslOcspResponder } from '../support/openssl-ocsp.js';

describe('cert verify --ocsp and cert status', () => {
  let dir: string;
  let responder: OpensslOcspResponder;
  const f = (n: string) => path.join(dir, n);

  beforeAll(async () => {
    const now = new Date();
    const pki = makeOcspTestPki(now);
    dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-ocsp-cli-'));
    const port = await freePort();
    writeFileSync(f('root.pem'), toPem(pki.root.der));
    writeFileSync(f('good.pem'), toPem(pki.leaf(0x3001, `http://127.0.0.1:${port}`).der));
    writeFileSync(f('revoked.pem'), toPem(pki.leaf(0x3002, `http://127.0.0.1:${port}`).der));
    writeFileSync(f('noaia.pem'), toPem(pki.leaf(0x3001).der));
    writeFileSync(
      f('crl.der'),
      makeCrl({ issuerName: pki.root.subject, key: pki.root.key, crlNumber: 1, now }),
    );
    writeFileSync(f('station.yaml'), 'trust:\n  ocsp:\n    timeoutMs: 500\n');
    responder = await OpensslOcspResponder.start({
      caDer: pki.root.der,
      signer: { certDer: pki.responder.der, key: pki.responder.key.privateKey },
      entries: [
        { serialHex: '3001', status: 'valid' },
        {
          serialHex: '3002',
          status: 'revoked',
          revokedAt: new Date(+now - 60_000),
          reason: 'keyCompromise',
        },
      ],
      port,
    });
  });

  afterAll(async () => {
    await responder?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cert verify --ocsp (AIA) and --ocsp-url: the JSON answer carries "source"', async () => {
    const base = [
      'cert',
      'verify',
      '--purpose',
      'auth',
      '-c',
      f('station.yaml'),
      '--trust',
      f('root.pem'),
    ];
    const good = await runCli([...base, '--ocsp', '--', f('good.pem')]);
    expect(JSON.parse(good.stdout)).toMatchObject({ valid: true, reason: 'ok', source: 'ocsp' });
    expect(good.code).toBe(0);
    const revoked = await runCli([
      ...base,
      '--crl',
      f('crl.der'),
      '--ocsp',
      '--',
      f('revoked.pem'),
    ]);
    expect(JSON.parse(revoked.stdout)).toMatchObject({
      valid: false,
      reason: 'revoked',
      source: 'ocsp',
    });
    expect(revoked.code).toBe(1);
    const byUrl = await runCli([...base, '--ocsp-url', responder.url, '--', f('noaia.pem')]);
    expect(JSON.parse(byUrl.stdout), byUrl.stdout + byUrl.stderr).toMatchObject({
      valid: true,
      source: 'ocsp',
    });
    // No responder answering: with a CRL the CRL decides, without one the answer is refused.
    const closed = `http://127.0.0.1:${await freePort()}`;
    const fallback = await runCli([
      ...base,
      '--crl',
      f('crl.der'),
      '--ocsp-url',
      closed,
      '--',
      f('noaia.pem'),
    ]);
    expect(JSON.parse(fallback.stdout)).toMatchObject({ valid: true, source: 'crl' });
    const none = await runCli([...base, '--ocsp-url', closed, '--', f('noaia.pem')]);
    expect(JSON.parse(none.stdout)).toMatchObject({ valid: false, reason: 'ocsp_unavailable' });
    expect(none.code).toBe(1);
    const bad = await runCli([...base, '--ocsp-url', 'ftp://x', '--', f('noaia.pem')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--ocsp-url/);
  });

  it('cert status prints the online status alone', async () => {
    const good = await runCli(['cert', 'status', f('good.pem'), '--issuer', f('root.pem')]);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ status: 'good', source: 'ocsp' });
    const revoked = await runCli([
      'cert',
      'status',
      f('noaia.pem').replace('noaia', 'revoked'),
      '--issuer',
      f('root.pem'),
      '--ocsp-url',
      responder.url,
    ]);
    expect(revoked.code).toBe(1);
    expect(JSON.parse(revoked.stdout)).toMatchObject({
      status: 'revoked',
      reason: 'keyCompromise',
    });
    const noUrl = await runCli(['cert', 'status', f('noaia.pem'), '--issuer', f('root.pem')]);
    expect(noUrl.code).toBe(1);
    expect(JSON.parse(noUrl.stdout)).toMatchObject({ status: 'unavailable', problem: 'no_url' });
    const missing = await runCli(['cert', 'status', f('good.pem')]);
    expect(missing.code).toBe(2);
  });
});
