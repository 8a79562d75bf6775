import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../storage/db.js';
import { parseCertificate, type Certificate } from './certificate.js';
import { CrlCache } from './crl-cache.js';
import { SqliteCrlStore } from './crl-store.js';
import { CrlError, DerError } from './errors.js';
import { validatePath } from './path.js';
import { makeCrl, serialFor } from './testing/crl-writer.js';
import {
  dpFullName,
  KU,
  makeCert,
  makeKey,
  makeRoot,
  toPem,
  type TestCert,
  type TestKey,
} from './testing/pki.js';
import { TrustComponent } from './trust-component.js';
import { createLogger } from '../log.js';
import { checkConfig } from '../config/load.js';
import type { ConfigError } from '../../shared/errors.js';

const DAY = 86400_000;
const ROOT = 'C=JP, O=JPKI, OU=Cache Test Root';
let dir: string;
let rootKey: TestKey;
let root: TestCert;
let rootCert: Certificate;
let db: Db;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-trust-'));
  rootKey = makeKey('rsa2048');
  root = makeRoot(ROOT, rootKey, { notBefore: new Date(Date.now() - 1000 * DAY) });
  rootCert = parseCertificate(root.der);
});
afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function freshCache(now = () => new Date()) {
  const file = path.join(dir, `c${n++}.db`);
  db = openDatabase(file);
  return { cache: new CrlCache(new SqliteCrlStore(db), { toleranceHours: 24, now }), file, db };
}
const opts = () => ({ signers: [rootCert], source: 'test' });

describe('CRL cache: import', () => {
  it('reads index rows stored before migration 015 (serial magnitudes) as positive serials', async () => {
    const { cache, file, db } = freshCache();
    await cache.importBytes(
      makeCrl({ issuerName: ROOT, key: rootKey, entries: [{ serial: 0xff }, { serial: 3 }] }),
      opts(),
    );
    // Rewrite the stored index the way a station before migration 015 kept it: width 1, the
    // magnitudes 03 and ff zero padded, no sign, in trust_crl_index.
    const { id } = db.prepare(`SELECT id FROM trust_crl`).get() as { id: number };
    db.prepare(`DELETE FROM trust_crl_index_part WHERE crl_id = ?`).run(id);
    db.prepare(`INSERT INTO trust_crl_index (crl_id, rows) VALUES (?, ?)`).run(
      id,
      Buffer.from([0x03, 0xff, 0xff, 0xff]),
    );
    db.prepare(`UPDATE trust_crl SET serial_width = 1, serial_format = 0, entries = 2`).run();
    const again = new CrlCache(new SqliteCrlStore(openDatabase(file)), { toleranceHours: 24 });
    again.load();
    const index = again.list()[0]!.index;
    expect(index.lookup(Uint8Array.of(0x00, 0xff))).toBeGreaterThanOrEqual(0);
    expect(index.lookup(Uint8Array.of(0x03))).toBeGreaterThanOrEqual(0);
    expect(index.lookup(Uint8Array.of(0xff))).toBe(-1);
  });

  it('verifies, indexes, persists; a new instance loads the index without re-parsing', async () => {
    const { cache, file, db } = freshCache();
    const crl = makeCrl({
      issuerName: ROOT,
      key: rootKey,
      crlNumber: 1,
      bulk: { count: 5000, reason: 1 },
    });
    const r = await cache.importBytes(crl, opts());
    expect(r).toMatchObject({
      outcome: 'imported',
      entries: 5000,
      crlNumber: '1',
      verdict: 'fresh',
    });
    db.close();
    const db2 = openDatabase(file);
    const again = new CrlCache(new SqliteCrlStore(db2), { toleranceHours: 24 });
    expect(again.load()).toBe(1);
    expect(again.lookup(rootCert, serialFor(10))).toMatchObject({ listed: true, reasonCode: 1 });
    expect(again.lookup(rootCert, serialFor(5000))).toMatchObject({ listed: false });
    db2.close();
  });

  it('§6.3.3 (f) refuses a CRL from an issuer not trusted (wrong issuer) and with a bad signature', async () => {
    const { cache } = freshCache();
    const other = makeCrl({ issuerName: 'C=JP, O=Someone else', key: rootKey });
    await expect(cache.importBytes(other, opts())).rejects.toMatchObject({
      kind: 'unknown_issuer',
    });
    const forged = makeCrl({ issuerName: ROOT, key: makeKey('rsa2048') });
    await expect(cache.importBytes(forged, opts())).rejects.toMatchObject({
      kind: 'bad_signature',
    });
    const corrupt = makeCrl({ issuerName: ROOT, key: rootKey, corruptSignature: true });
    await expect(cache.importBytes(corrupt, opts())).rejects.toThrow(CrlError);
    expect(cache.list()).toHaveLength(0);
  });

  it('§4.2.1.3 refuses a CRL signed by a key without cRLSign', async () => {
    const { cache } = freshCache();
    const noCrlSign = parseCertificate(makeRoot(ROOT, rootKey, { keyUsage: [KU.keyCertSign] }).der);
    const crl = makeCrl({ issuerName: ROOT, key: rootKey });
    await expect(
      cache.importBytes(crl, { signers: [noCrlSign], source: 't' }),
    ).rejects.toMatchObject({
      kind: 'signer_not_allowed',
    });
  });

  it('replaces the last good CRL only with a newer one that verifies; keeps it on broken input', async () => {
    const { cache } = freshCache();
    const v1 = makeCrl({ issuerName: ROOT, key: rootKey, crlNumber: 1, entries: [{ serial: 1 }] });
    const v2 = makeCrl({
      issuerName: ROOT,
      key: rootKey,
      crlNumber: 2,
      entries: [{ serial: 1 }, { serial: 2 }],
    });
    await cache.importBytes(v2, opts());
    await expect(cache.importBytes(v1, opts())).rejects.toMatchObject({ kind: 'not_newer' });
    expect((await cache.importBytes(v2, opts())).outcome).toBe('unchanged');
    const truncatedFile = path.join(dir, 'truncated.crl');
    const v3 = makeCrl({ issuerName: ROOT, key: rootKey, crlNumber: 3, bulk: { count: 30000 } });
    writeFileSync(truncatedFile, v3.subarray(0, v3.length - 5000));
    await expect(cache.importFile(truncatedFile, opts())).rejects.toThrow(DerError);
    const garbage = path.join(dir, 'garbage.crl');
    writeFileSync(garbage, 'this is not a CRL at all');
    await expect(cache.importFile(garbage, opts())).rejects.toThrow(DerError);
    expect(cache.list()[0]).toMatchObject({ crlNumber: 2n });
    expect(cache.list()[0]!.index.count).toBe(2);
    const pemFile = path.join(dir, 'v3.pem');
    writeFileSync(pemFile, toPem(v3, 'X509 CRL'));
    const progress: number[] = [];
    const r = await cache.importFile(pemFile, {
      ...opts(),
      onProgress: (p) => progress.push(p.bytes),
    });
    expect(r).toMatchObject({ outcome: 'imported', entries: 30000, crlNumber: '3' });
    expect(progress.length).toBeGreaterThan(0);
  });

  it('§5.2.4 applies delta CRLs (additions, removeFromCRL) on a matching base', async () => {
    const { cache } = freshCache();
    const base = makeCrl({
      issuerName: ROOT,
      key: rootKey,
      crlNumber: 10,
      entries: [{ serial: 1 }, { serial: 2, reason: 6 }],
    });
    const delta = makeCrl({
      issuerName: ROOT,
      key: rootKey,
      crlNumber: 11,
      deltaBase: 10,
      entries: [
        { serial: 2, reason: 8 },
        { serial: 3, reason: 1 },
      ],
    });
    await expect(cache.importBytes(delta, opts())).rejects.toMatchObject({ kind: 'no_base' });
    await cache.importBytes(base, opts());
    expect((await cache.importBytes(delta, opts())).outcome).toBe('delta_applied');
    expect(cache.lookup(rootCert, Uint8Array.of(1))?.listed).toBe(true);
    expect(cache.lookup(rootCert, Uint8Array.of(2))?.listed).toBe(false);
    expect(cache.lookup(rootCert, Uint8Array.of(3))).toMatchObject({ listed: true, reasonCode: 1 });
    expect(cache.list()[0]).toMatchObject({ crlNumber: 11n, fullCrlNumber: 10n, deltasApplied: 1 });
    const tooNew = makeCrl({
      issuerName: ROOT,
      key: rootKey,
      crlNumber: 13,
      deltaBase: 12,
      entries: [],
    });
    await expect(cache.importBytes(tooNew, opts())).rejects.toMatchObject({ kind: 'no_base' });
  });

  it('freshness: nextUpdate in the past is imported but stale beyond the tolerance (crl_stale)', async () => {
    let now = new Date();
    const { cache } = freshCache(() => now);
    const crl = makeCrl({
      issuerName: ROOT,
      key: rootKey,
      thisUpdate: new Date(+now - 10 * DAY),
      nextUpdate: new Date(+now - 2 * DAY),
    });
    const r = await cache.importBytes(crl, opts());
    expect(r.verdict).toBe('stale');
    const leaf = makeCert({
      subject: 'C=JP, CN=a',
      key: makeKey('p256'),
      issuer: root,
      keyUsage: [KU.digitalSignature],
      notBefore: new Date(+now - 30 * DAY),
    });
    const v = (at: Date) =>
      validatePath({ leaf: leaf.der, anchors: [root.der], at, purpose: 'auth', revocation: cache });
    expect(v(now).reason).toBe('crl_stale');
    expect(v(new Date(+now - 1.5 * DAY)).valid).toBe(true);
    expect(cache.status([], new Date(+now - 1.5 * DAY))[0]).toMatchObject({ verdict: 'grace' });
    now = new Date(+now - 3 * DAY);
    expect(cache.status()[0]).toMatchObject({ verdict: 'fresh', entries: 0 });
  });

  it('freshness: a per-anchor tolerance overrides the global one for the CRLs that anchor signs', async () => {
    const now = new Date();
    const otherKey = makeKey('p256');
    const other = makeRoot('C=JP, O=JPKI, OU=Other Root', otherKey);
    const otherCert = parseCertificate(other.der);
    const file = path.join(dir, `c${n++}.db`);
    const tdb = openDatabase(file);
    // Both CRLs are 30 h past nextUpdate: stale under the global 24 h, not under 48 h.
    const cache = new CrlCache(new SqliteCrlStore(tdb), {
      toleranceHours: 24,
      toleranceHoursByIssuer: { [rootCert.spkiSha256]: 48 },
      now: () => now,
    });
    const dates = {
      thisUpdate: new Date(+now - 5 * DAY),
      nextUpdate: new Date(+now - 30 * 3600_000),
    };
    await cache.importBytes(makeCrl({ issuerName: ROOT, key: rootKey, ...dates }), opts());
    await cache.importBytes(
      makeCrl({ issuerName: 'C=JP, O=JPKI, OU=Other Root', key: otherKey, ...dates }),
      { signers: [otherCert], source: 'test' },
    );
    expect(cache.toleranceFor({ issuerSpkiSha256: rootCert.spkiSha256 })).toBe(48);
    expect(cache.toleranceFor({ issuerSpkiSha256: otherCert.spkiSha256 })).toBe(24);
    const byIssuer = Object.fromEntries(cache.status([], now).map((s) => [s.issuer, s.verdict]));
    expect(byIssuer).toEqual({ [ROOT]: 'grace', 'C=JP, O=JPKI, OU=Other Root': 'stale' });
    const leafUnder = (issuer: TestCert) =>
      makeCert({
        subject: 'C=JP, CN=t',
        key: makeKey('p256'),
        issuer,
        keyUsage: [KU.digitalSignature],
        notBefore: new Date(+now - 30 * DAY),
      });
    const v = (issuer: TestCert) =>
      validatePath({
        leaf: leafUnder(issuer).der,
        anchors: [root.der, other.der],
        at: now,
        purpose: 'auth',
        revocation: cache,
      });
    expect(v(root)).toMatchObject({ valid: true });
    expect(v(other)).toMatchObject({ valid: false, reason: 'crl_stale' });
    tdb.close();
  });

  it('§6.3.3 (b) issuingDistributionPoint scope decides which certificates a CRL covers', async () => {
    const { cache } = freshCache();
    const dp = 'C=JP, O=JPKI, CN=CRL DP 1';
    const crl = makeCrl({
      issuerName: ROOT,
      key: rootKey,
      idp: { distributionPoint: dpFullName(dp), onlyUser: true },
      entries: [{ serial: 77 }],
    });
    await cache.importBytes(crl, opts());
    const k = makeKey('p256');
    const inScope = makeCert({
      subject: 'C=JP, CN=in',
      key: k,
      issuer: root,
      crlDpName: dp,
      serial: 77,
    });
    const otherDp = makeCert({
      subject: 'C=JP, CN=out',
      key: k,
      issuer: root,
      crlDpName: 'C=JP, CN=CRL DP 2',
      serial: 77,
    });
    const ca = makeCert({
      subject: 'C=JP, CN=ca',
      key: k,
      issuer: root,
      ca: true,
      crlDpName: dp,
      serial: 78,
    });
    const v = (c: TestCert) =>
      validatePath({
        leaf: c.der,
        anchors: [root.der],
        at: new Date(),
        purpose: 'any',
        revocation: cache,
      }).reason;
    expect(v(inScope)).toBe('revoked');
    expect(v(otherDp)).toBe('crl_missing');
    expect(v(ca)).toBe('crl_missing');
  });

  it('§6.3.3 (d),(j) a CRL partitioned by reason alone leaves the status undetermined: crl_missing', async () => {
    const { cache } = freshCache();
    // idpValue's onlySomeReasons is keyCompromise only.
    const partitioned = makeCrl({ issuerName: ROOT, key: rootKey, idp: { onlySomeReasons: true } });
    await cache.importBytes(partitioned, opts());
    const leaf = makeCert({ subject: 'C=JP, CN=partitioned', key: makeKey('p256'), issuer: root });
    expect(
      validatePath({
        leaf: leaf.der,
        anchors: [root.der],
        at: new Date(),
        purpose: 'any',
        revocation: cache,
      }).reason,
    ).toBe('crl_missing');
  });
});

describe('CRL cache: HTTP import', () => {
  let server: Server;
  let url: string;
  let body: Uint8Array;
  const seen: (string | undefined)[] = [];
  beforeAll(async () => {
    body = makeCrl({ issuerName: ROOT, key: rootKey, crlNumber: 1, bulk: { count: 200000 } });
    server = createServer((req, res) => {
      seen.push(req.headers['if-none-match']);
      if (req.url === '/missing') {
        res.writeHead(404).end();
        return;
      }
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, {
        etag: '"v1"',
        'content-length': body.length,
        'content-type': 'application/pkix-crl',
      });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('streams the body with progress, then uses a conditional GET (304: not_modified)', async () => {
    const { cache } = freshCache();
    const progress: { bytes: number; totalBytes: number | undefined }[] = [];
    const r = await cache.importUrl(`${url}/crl`, {
      signers: [rootCert],
      onProgress: (p) => progress.push(p),
    });
    expect(r).toMatchObject({ outcome: 'imported', entries: 200000 });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual({ bytes: body.length, totalBytes: body.length });
    const again = await cache.importUrl(`${url}/crl`, { signers: [rootCert] });
    expect(again.outcome).toBe('not_modified');
    expect(seen.at(-1)).toBe('"v1"');
    await expect(cache.importUrl(`${url}/missing`, { signers: [rootCert] })).rejects.toMatchObject({
      kind: 'fetch_failed',
    });
    expect(cache.store.getSource(`${url}/missing`)).toMatchObject({ outcome: 'failed' });
    expect(cache.list()[0]!.index.count).toBe(200000);
  });
});

describe('TrustComponent', () => {
  it('loads anchors and the cached CRLs on start; verifies per purpose; reports freshness changes', async () => {
    const anchorFile = path.join(dir, 'root.pem');
    writeFileSync(anchorFile, toPem(root.der));
    const crlFile = path.join(dir, 'comp.crl');
    const leafKey = makeKey('p256');
    const revoked = makeCert({
      subject: 'C=JP, CN=r',
      key: leafKey,
      issuer: root,
      keyUsage: [KU.digitalSignature],
      serial: 501,
    });
    const good = makeCert({
      subject: 'C=JP, CN=g',
      key: leafKey,
      issuer: root,
      keyUsage: [KU.digitalSignature],
      serial: 502,
    });
    writeFileSync(
      crlFile,
      makeCrl({
        issuerName: ROOT,
        key: rootKey,
        crlNumber: 1,
        entries: [{ serial: 501, reason: 1 }],
      }),
    );
    const dbFile = path.join(dir, 'component.db');
    const compDb = openDatabase(dbFile);
    const config = {
      authAnchors: [anchorFile],
      signAnchors: [],
      commandAnchors: [],
      crlToleranceHours: 24,
      crlToleranceHoursByAnchor: {},
      crlUrls: [crlFile],
      revocationFor: ['auth' as const, 'sign' as const],
      crlRefreshMinutes: 0,
    };
    const log = createLogger({ level: 'silent', format: 'json' });
    const t = new TrustComponent({ config, db: () => compDb, log });
    const changes: unknown[] = [];
    t.onFreshnessChange((s) => changes.push(s));
    await t.start(new AbortController().signal);
    expect(t.freshness()).toEqual([expect.objectContaining({ verdict: 'missing' })]);
    expect(t.verify({ leaf: good.der, purpose: 'auth' }).reason).toBe('crl_missing');
    await t.refresh();
    expect(t.verify({ leaf: good.der, purpose: 'auth' }).valid).toBe(true);
    expect(t.verify({ leaf: revoked.der, purpose: 'auth' }).reason).toBe('revoked');
    expect(t.verify({ leaf: good.der, purpose: 'command' }).reason).toBe('unknown_issuer');
    expect(changes).toHaveLength(2);
    await t.stop();
    await t.stop();
    const t2 = new TrustComponent({ config, db: () => compDb, log });
    await t2.start(new AbortController().signal);
    expect(t2.verify({ leaf: revoked.der, purpose: 'auth' }).reason).toBe('revoked');
    await t2.stop();
    compDb.close();
  });

  it('trust.crlToleranceHoursByAnchor: applied per anchor; a key naming no configured anchor is a ConfigError', async () => {
    const anchorFile = path.join(dir, 'tol-anchor.pem');
    writeFileSync(anchorFile, toPem(root.der));
    const now = new Date();
    const crlFile = path.join(dir, 'tol.crl');
    writeFileSync(
      crlFile,
      makeCrl({
        issuerName: ROOT,
        key: rootKey,
        crlNumber: 1,
        thisUpdate: new Date(+now - 5 * DAY),
        nextUpdate: new Date(+now - 30 * 3600_000),
      }),
    );
    const base = {
      authAnchors: [anchorFile],
      signAnchors: [],
      commandAnchors: [],
      crlToleranceHours: 24,
      crlUrls: [crlFile],
      revocationFor: ['auth' as const],
      crlRefreshMinutes: 0,
    };
    const log = createLogger({ level: 'silent', format: 'json' });
    const leaf = makeCert({
      subject: 'C=JP, CN=tol',
      key: makeKey('p256'),
      issuer: root,
      keyUsage: [KU.digitalSignature],
    });
    const verdicts: string[] = [];
    for (const byAnchor of [{}, { [rootCert.spkiSha256]: 36 }]) {
      const tdb = openDatabase(path.join(dir, `tol${n++}.db`));
      const t = new TrustComponent({
        config: { ...base, crlToleranceHoursByAnchor: byAnchor },
        db: () => tdb,
        log,
        now: () => now,
      });
      await t.start(new AbortController().signal);
      await t.refresh();
      verdicts.push(t.verify({ leaf: leaf.der, purpose: 'auth' }).reason);
      await t.stop();
      tdb.close();
    }
    expect(verdicts).toEqual(['crl_stale', 'ok']);
    const typo = new TrustComponent({
      config: { ...base, crlToleranceHoursByAnchor: { ['0'.repeat(64)]: 48 } },
      db: () => {
        throw new Error('unused');
      },
      log,
    });
    await expect(typo.start(new AbortController().signal)).rejects.toMatchObject({
      problems: [
        expect.objectContaining({ path: `trust.crlToleranceHoursByAnchor.${'0'.repeat(64)}` }),
      ],
    });
  });

  it('config: crlToleranceHoursByAnchor keys must be a hex SHA-256 and hours >= 0', () => {
    const problems = (v: unknown) => {
      try {
        checkConfig({ trust: { crlToleranceHoursByAnchor: v } });
        return [];
      } catch (err) {
        return (err as ConfigError).problems.map((p) => p.path);
      }
    };
    expect(problems({ 'root.pem': 3 })).toContain('trust.crlToleranceHoursByAnchor');
    expect(problems({ ['a'.repeat(64)]: -1 })).toEqual([
      `trust.crlToleranceHoursByAnchor.${'a'.repeat(64)}`,
    ]);
    expect(problems({ ['a'.repeat(64)]: 12 })).toEqual([]);
  });

  it('refuses to start with a broken anchor file (ConfigError naming the key)', async () => {
    const bad = path.join(dir, 'bad.pem');
    writeFileSync(bad, 'nope');
    const t = new TrustComponent({
      config: {
        authAnchors: [bad],
        signAnchors: [],
        commandAnchors: [],
        crlToleranceHours: 24,
        crlToleranceHoursByAnchor: {},
        crlUrls: [],
        revocationFor: [],
        crlRefreshMinutes: 0,
      },
      db: () => {
        throw new Error('unused');
      },
      log: createLogger({ level: 'silent', format: 'json' }),
    });
    await expect(t.start(new AbortController().signal)).rejects.toMatchObject({
      problems: [expect.objectContaining({ path: 'trust.authAnchors[0]' })],
    });
  });
});
