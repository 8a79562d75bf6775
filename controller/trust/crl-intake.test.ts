/**
 * Hardened CRL intake against local HTTP servers: oversized, endless, trickling, wrong
 * Content-Length, truncated, redirect loop, device file. Each ends in a clear reason within
 * the deadline and the last good CRL stays; a refresh never waits for a stuck one.
 */
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate, type Certificate } from './certificate.js';
import { CrlCache } from './crl-cache.js';
import { installAvailableCrl } from './crl-command.js';
import { readHeader } from './der.js';
import { MemoryCrlStore } from './crl-store.js';
import { makeCrl } from './testing/crl-writer.js';
import { makeKey, makeRoot, toPem, type TestKey } from './testing/pki.js';
import { TrustComponent } from './trust-component.js';
import { openDatabase } from '../storage/db.js';
import { silentLogger } from '../log.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = 'C=JP, O=JPKI, OU=Intake Root';
let rootKey: TestKey;
let root: Certificate;
let rootPem: string;
let good: Uint8Array;
let big: Uint8Array;
let server: Server;
let base: string;
/** Responses left open by a route (trickle, endless), ended after each test. */
const open = new Set<ServerResponse>();

const LIMITS = { maxBytes: 1 << 20, deadlineMs: 8_000, minRateBytes: 4096, minRateWindowMs: 2_000 };

beforeAll(async () => {
  rootKey = makeKey('p256');
  const rootCert = makeRoot(ROOT, rootKey);
  root = parseCertificate(rootCert.der);
  rootPem = toPem(rootCert.der);
  good = makeCrl({ issuerName: ROOT, key: rootKey, crlNumber: 1, entries: [{ serial: 7 }] });
  big = makeCrl({ issuerName: ROOT, key: rootKey, crlNumber: 2, bulk: { count: 60_000 } });
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/good.crl') {
      res.writeHead(200, { 'content-length': good.length });
      res.end(good);
    } else if (url === '/oversized.crl') {
      // Declares 2 GB; the cap refuses it from the header alone.
      res.writeHead(200, { 'content-length': String(2 * 1024 ** 3) });
      res.write(big.subarray(0, 1024));
      open.add(res);
    } else if (url === '/endless.crl') {
      // The real issuer's header declaring a 2 GB CRL, then entries without end.
      res.writeHead(200);
      open.add(res);
      const { head, entry } = endlessParts(big);
      res.write(head);
      const burst = Buffer.concat(Array.from({ length: 2000 }, () => entry));
      const pump = () => {
        while (!res.destroyed && res.write(burst));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    } else if (url === '/trickle.crl') {
      res.writeHead(200, { 'content-length': good.length });
      open.add(res);
      let i = 0;
      const t = setInterval(() => {
        if (res.destroyed || i >= good.length) return clearInterval(t);
        res.write(good.subarray(i, i + 1));
        i++;
      }, 50);
      res.on('close', () => clearInterval(t));
    } else if (url === '/short.crl') {
      // Declares more than it sends, then closes.
      res.writeHead(200, { 'content-length': good.length + 100 });
      res.end(good);
    } else if (url === '/truncated.crl') {
      const half = good.subarray(0, Math.floor(good.length / 2));
      res.writeHead(200, { 'content-length': half.length });
      res.end(half);
    } else if (url === '/loop') {
      res.writeHead(302, { location: '/loop' });
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const r of open) r.destroy();
  open.clear();
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

/**
 * A CRL header (outer SEQUENCE, tbsCertList and revokedCertificates declared at about 2 GB)
 * with the real fields of `crl`, and one of its entries to repeat.
 */
function endlessParts(crl: Uint8Array): { head: Buffer; entry: Buffer } {
  const outer = readHeader(crl, 0);
  const tbs = readHeader(crl, outer.valueStart);
  let p = tbs.valueStart;
  for (;;) {
    const h = readHeader(crl, p);
    if (h.tag === 0x30 && p > tbs.valueStart + 2 && crl[h.valueStart] === 0x30) {
      const first = readHeader(crl, h.valueStart);
      const fields = Buffer.from(crl.subarray(tbs.valueStart, p));
      const long = (n: number) =>
        Buffer.from([0x30, 0x84, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
      return {
        head: Buffer.concat([long(0x7ffffff0), long(0x7fffff00), fields, long(0x7ff00000)]),
        entry: Buffer.from(crl.subarray(first.start, first.end)),
      };
    }
    p = h.end;
  }
}

async function cacheWithGood(): Promise<CrlCache> {
  const cache = new CrlCache(new MemoryCrlStore(), {
    toleranceHours: 24,
    intake: LIMITS,
    maxEntries: 50_000,
  });
  await cache.importUrl(`${base}/good.crl`, { signers: [root] });
  return cache;
}

const lastGood = (cache: CrlCache) => cache.crlsFor(root).map((c) => c.crlNumber);

describe('CRL intake limits', () => {
  it.each([
    ['oversized (Content-Length 2 GB)', '/oversized.crl', 'crl_too_large'],
    ['endless (no length, entries without end)', '/endless.crl', 'crl_too_large'],
    ['trickling (one byte every 50 ms)', '/trickle.crl', 'crl_too_slow'],
    ['wrong Content-Length (fewer bytes than declared)', '/short.crl', 'crl_'],
    ['truncated (the first half of a CRL)', '/truncated.crl', 'der_truncated'],
    ['redirect loop', '/loop', 'crl_fetch_failed'],
  ])('%s ends with a clear reason and the last good CRL stays', async (_what, route, code) => {
    const cache = await cacheWithGood();
    const err = (await cache.importUrl(`${base}${route}`, { signers: [root], force: true }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: string; message: string } | undefined;
    expect(err?.code).toMatch(new RegExp(`^${code}`));
    expect(err?.message.length).toBeGreaterThan(10);
    expect(lastGood(cache)).toEqual([1n]);
    expect(cache.store.getSource(`${base}${route}`)).toMatchObject({ outcome: 'failed' });
  });

  it('a download that keeps the minimum rate but never ends stops at the deadline', async () => {
    const cache = new CrlCache(new MemoryCrlStore(), {
      toleranceHours: 24,
      // A high byte cap and a low minimum rate: only the deadline can end the trickle.
      intake: { ...LIMITS, minRateBytes: 1, minRateWindowMs: 60_000, deadlineMs: 2_000 },
    });
    await expect(cache.importUrl(`${base}/trickle.crl`, { signers: [root] })).rejects.toMatchObject(
      { code: 'crl_timeout' },
    );
  });

  it('more entries than crlMaxEntries are refused while streaming', async () => {
    const cache = new CrlCache(new MemoryCrlStore(), {
      toleranceHours: 24,
      intake: { ...LIMITS, maxBytes: 64 << 20 },
      maxEntries: 1000,
    });
    await expect(cache.importBytes(big, { signers: [root], source: 'x' })).rejects.toMatchObject({
      code: 'crl_too_large',
    });
    expect(cache.list()).toHaveLength(0);
  });

  it('an AbortSignal ends a download at once', async () => {
    const cache = await cacheWithGood();
    const ac = new AbortController();
    const pending = cache.importUrl(`${base}/trickle.crl`, {
      signers: [root],
      signal: ac.signal,
      force: true,
    });
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'crl_fetch_failed' });
    expect(lastGood(cache)).toEqual([1n]);
  });

  it('file sources: only regular files, never a device', async () => {
    const cache = await cacheWithGood();
    for (const src of ['/dev/zero', 'file:///dev/zero', '/dev/urandom'])
      await expect(cache.importFile(src, { signers: [root] })).rejects.toMatchObject({
        code: 'crl_not_a_file',
      });
    expect(lastGood(cache)).toEqual([1n]);
  });

  it('crl.available goes through the same limits: a device or a trickle is crl_unavailable', async () => {
    const installer = {
      calls: 0,
      importCrlFile: () => {
        installer.calls++;
        return Promise.reject(new Error('not reached'));
      },
      intakeLimits: () => LIMITS,
    };
    for (const url of ['file:///dev/zero', `${base}/trickle.crl`, `${base}/oversized.crl`]) {
      const r = await installAvailableCrl(installer, { url, sha256: '00'.repeat(32) });
      expect(r).toMatchObject({ accepted: false, reason: 'crl_unavailable' });
    }
    expect(installer.calls).toBe(0);
  });

  it('a refresh never waits for a download still running from an earlier one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jl-refresh-'));
    const db = openDatabase(path.join(dir, 'station.db'));
    writeFileSync(path.join(dir, 'root.pem'), rootPem);
    writeFileSync(path.join(dir, 'good.crl'), good);
    const trust = new TrustComponent({
      config: {
        authAnchors: [path.join(dir, 'root.pem')],
        signAnchors: [],
        commandAnchors: [],
        crlToleranceHours: 24,
        crlToleranceHoursByAnchor: {},
        crlUrls: [`${base}/trickle.crl`, path.join(dir, 'good.crl')],
        revocationFor: ['auth'],
        crlRefreshMinutes: 0,
        crlMinRateBytes: 1,
        crlMinRateWindowSec: 60,
        crlDownloadTimeoutSec: 60,
      },
      db: () => db,
      log: silentLogger(),
    });
    await trust.start(new AbortController().signal);
    try {
      let firstDone = false;
      const fileImported = new Promise<void>((resolve) =>
        trust.onFreshnessChange((s) => {
          if (s.every((x) => x.verdict === 'fresh')) resolve();
        }),
      );
      const first = trust.refresh().then(() => (firstDone = true));
      await fileImported;
      // The trickling source is still downloading: the second refresh skips it, fetches the
      // file source again and ends.
      await trust.refresh();
      expect(firstDone).toBe(false);
      expect(trust.freshness()).toEqual([expect.objectContaining({ verdict: 'fresh' })]);
      for (const r of open) r.destroy();
      await first;
      expect(firstDone).toBe(true);
    } finally {
      await trust.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
