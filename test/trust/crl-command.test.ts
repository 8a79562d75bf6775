import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTempDir } from '../support/temp-dir.js';
import { getTestPki, type TestPki } from '../support/test-pki.js';
import { checkConfig } from '../../controller/config/load.js';
import { silentLogger } from '../../controller/log.js';
import { openDatabase } from '../../controller/storage/db.js';
import { installAvailableCrl, type CrlInstaller } from '../../controller/trust/crl-command.js';
import { TrustComponent } from '../../controller/trust/trust-component.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let pki: TestPki;
let crl: Uint8Array;
let server: Server;
let base: string;

beforeAll(async () => {
  pki = await getTestPki();
  crl = new Uint8Array(readFileSync(path.join(pki.dir, pki.manifest.crls.auth)));
  server = createServer((req, res) => {
    if (req.url === '/auth.crl') res.end(Buffer.from(crl));
    else if (req.url === '/big.crl') {
      res.setHeader('content-length', String(10_000));
      res.end(Buffer.alloc(10_000));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function fakeInstaller(): CrlInstaller & { calls: number } {
  return {
    calls: 0,
    async importCrlFile() {
      this.calls++;
      return { outcome: 'imported', source: 'x', entries: 1, crlNumber: '1' };
    },
  };
}

describe('crl.available: fetch, check the signed hash, then import', () => {
  it('imports over HTTP when the SHA-256 matches', async () => {
    const inst = fakeInstaller();
    const r = await installAvailableCrl(inst, {
      url: `${base}/auth.crl`,
      sha256: sha(crl).toUpperCase(),
    });
    expect(r).toMatchObject({ accepted: true, detail: { outcome: 'imported', entries: 1 } });
    expect(inst.calls).toBe(1);
  });

  it('refuses a file whose hash is not the signed one, without importing it', async () => {
    const inst = fakeInstaller();
    const r = await installAvailableCrl(inst, { url: `${base}/auth.crl`, sha256: 'ab'.repeat(32) });
    expect(r).toMatchObject({ accepted: false, reason: 'crl_hash_mismatch' });
    expect(inst.calls).toBe(0);
  });

  it('answers crl_unavailable for a 404, an unreachable host, a bad scheme or an oversized file', async () => {
    const inst = fakeInstaller();
    for (const url of [`${base}/missing.crl`, 'http://127.0.0.1:1/x.crl', 'ftp://example/x.crl']) {
      expect(await installAvailableCrl(inst, { url, sha256: sha(crl) })).toMatchObject({
        accepted: false,
        reason: 'crl_unavailable',
      });
    }
    expect(
      await installAvailableCrl(
        inst,
        { url: `${base}/big.crl`, sha256: sha(crl) },
        { maxBytes: 1000 },
      ),
    ).toMatchObject({ accepted: false, reason: 'crl_unavailable' });
    expect(inst.calls).toBe(0);
  });

  it('with the real trust engine: a good CRL is installed, a garbage file with a matching hash is bad_crl', async () => {
    const dir = testTempDir('jl-crlcmd-');
    const db = openDatabase(path.join(dir, 'station.db'));
    const config = checkConfig({
      trust: { authAnchors: [path.join(pki.dir, pki.manifest.roots.auth)] },
    });
    const trust = new TrustComponent({ config: config.trust, db: () => db, log: silentLogger() });
    await trust.start(new AbortController().signal);
    try {
      expect(trust.freshness()[0]?.verdict).toBe('missing');
      const file = pathToFileURL(path.join(pki.dir, pki.manifest.crls.auth)).href;
      const ok = await installAvailableCrl(trust, { url: file, sha256: sha(crl) });
      expect(ok).toMatchObject({ accepted: true, detail: { outcome: 'imported' } });
      expect(trust.freshness()[0]?.verdict).toBe('fresh');
      const garbage = new TextEncoder().encode('not a CRL at all');
      const parsed = await installAvailableCrl(
        trust,
        { url: 'http://office.invalid/x.crl', sha256: sha(garbage) },
        { fetch: async () => new Response(garbage) },
      );
      expect(parsed).toMatchObject({ accepted: false, reason: 'bad_crl' });
      expect(trust.freshness()[0]?.verdict).toBe('fresh'); // the last good CRL stays
      // Downloads are spooled to the station's disk beside the cache (flat memory whatever the
      // CRL's size) and removed afterwards: only the installed CRL's index file is left.
      expect(trust.spoolDir()).toBe(`${path.join(dir, 'station.db')}-crl`);
      expect(readdirSync(trust.spoolDir()).filter((f) => !f.endsWith('.idx'))).toEqual([]);
    } finally {
      await trust.stop();
      db.close();
    }
  });
});
