/**
 * trust.ocsp.mode `prefer` and `require` in the trust component, against a real
 * `openssl ocsp` responder on loopback, with the CRL cache (SQLite) as the fallback: every
 * responder behaviour with the decision and the source that decided it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../controller/log.js';
import { openDatabase, type Db } from '../../controller/storage/db.js';
import { parseCertificate } from '../../controller/trust/certificate.js';
import { buildOcspRequest } from '../../controller/trust/ocsp/request.js';
import type { OcspMode } from '../../controller/trust/ocsp/policy.js';
import { acceptRelayedOcsp } from '../../controller/trust/ocsp/relay-command.js';
import { makeCrl } from '../../controller/trust/testing/crl-writer.js';
import { makeOcspTestPki, type OcspTestPki } from '../../controller/trust/testing/ocsp-pki.js';
import { toPem } from '../../controller/trust/testing/pki.js';
import { TrustComponent } from '../../controller/trust/trust-component.js';
import { OpensslOcspResponder } from '../support/openssl-ocsp.js';

const GOOD = 0x2001;
const OCSP_REVOKED = 0x2002;
const UNKNOWN = 0x2003;
const CRL_REVOKED = 0x2004;

describe('trust.ocsp.mode prefer / require with the CRL as fallback (openssl ocsp)', () => {
  const started = new Date();
  let pki: OcspTestPki;
  let dir: string;
  let anchorFile: string;
  let freshCrl: string;
  let staleCrl: string;
  let responder: OpensslOcspResponder;
  let wrongKey: OpensslOcspResponder;
  let replayUrl: string;
  let silentUrl: string;
  const servers: (Server | net.Server)[] = [];
  const opened: { t: TrustComponent; db: Db }[] = [];
  let n = 0;

  async function component(
    mode: OcspMode,
    url: string,
    opts: { crl?: string; now?: () => Date; timeoutMs?: number } = {},
  ): Promise<TrustComponent> {
    const db = openDatabase(path.join(dir, `t${n++}.db`));
    const t = new TrustComponent({
      config: {
        authAnchors: [anchorFile],
        signAnchors: [],
        commandAnchors: [],
        crlToleranceHours: 24,
        crlToleranceHoursByAnchor: {},
        crlUrls: [opts.crl ?? freshCrl],
        revocationFor: ['auth'],
        crlRefreshMinutes: 0,
        ocsp: { mode, url, timeoutMs: opts.timeoutMs ?? 3000, requireNonce: true },
      },
      db: () => db,
      log: silentLogger(),
      clockSkewSec: 60,
      ...(opts.now ? { now: opts.now } : {}),
    });
    opened.push({ t, db });
    await t.start(new AbortController().signal);
    await t.refresh();
    return t;
  }

  const leafDer = (serial: number) => pki.leaf(serial).der;
  const check = (t: TrustComponent, serial: number) =>
    t.verifyWithStatus({ leaf: leafDer(serial), purpose: 'auth' });

  beforeAll(async () => {
    pki = makeOcspTestPki(started);
    dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-ocsp-policy-'));
    anchorFile = path.join(dir, 'root.pem');
    writeFileSync(anchorFile, toPem(pki.root.der));
    const crl = (thisUpdate: Date, nextUpdate: Date) =>
      makeCrl({
        issuerName: pki.root.subject,
        key: pki.root.key,
        crlNumber: 1,
        thisUpdate,
        nextUpdate,
        entries: [{ serial: CRL_REVOKED, reason: 1 }],
      });
    freshCrl = path.join(dir, 'fresh.crl');
    writeFileSync(freshCrl, crl(new Date(+started - 3600_000), new Date(+started + 86400_000)));
    staleCrl = path.join(dir, 'stale.crl');
    writeFileSync(
      staleCrl,
      crl(new Date(+started - 5 * 86400_000), new Date(+started - 3 * 86400_000)),
    );
    const entries = [
      { serialHex: GOOD.toString(16), status: 'valid' as const },
      { serialHex: CRL_REVOKED.toString(16), status: 'valid' as const },
      {
        serialHex: OCSP_REVOKED.toString(16),
        status: 'revoked' as const,
        revokedAt: new Date(+started - 600_000),
        reason: 'keyCompromise',
      },
    ];
    [responder, wrongKey] = await Promise.all([
      OpensslOcspResponder.start({
        caDer: pki.root.der,
        signer: { certDer: pki.responder.der, key: pki.responder.key.privateKey },
        entries,
      }),
      OpensslOcspResponder.start({
        caDer: pki.root.der,
        signer: { certDer: pki.otherGeneration.der, key: pki.otherGeneration.key.privateKey },
        entries,
      }),
    ]);
    // A replaying server: a genuine answer for GOOD captured with another nonce.
    const req = buildOcspRequest(
      parseCertificate(leafDer(GOOD)),
      parseCertificate(pki.root.der),
      new Uint8Array(16).fill(7),
    );
    const res = await fetch(responder.url, { method: 'POST', body: Buffer.from(req.der) });
    const captured = Buffer.from(await res.arrayBuffer());
    const replay = createServer((_q, s) => s.end(captured));
    const silent = net.createServer(() => undefined);
    servers.push(replay, silent);
    await new Promise<void>((ok) => replay.listen(0, '127.0.0.1', ok));
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    replayUrl = `http://127.0.0.1:${(replay.address() as AddressInfo).port}`;
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const { t, db } of opened) {
      await t.stop();
      db.close();
    }
    await Promise.all([responder?.stop(), wrongKey?.stop()]);
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('good: decided by OCSP under prefer and require; the next check comes from the cache', async () => {
    for (const mode of ['prefer', 'require'] as const) {
      const t = await component(mode, responder.url);
      expect(await check(t, GOOD)).toMatchObject({ valid: true, reason: 'ok', source: 'ocsp' });
      expect(await check(t, GOOD)).toMatchObject({ valid: true, source: 'ocsp-cache' });
    }
  });

  it('revoked at the responder while the CRL says good: refused, source ocsp', async () => {
    for (const mode of ['prefer', 'require'] as const) {
      const t = await component(mode, responder.url);
      expect(await check(t, OCSP_REVOKED)).toMatchObject({
        valid: false,
        reason: 'revoked',
        source: 'ocsp',
      });
    }
  });

  it('revoked on the CRL while the responder says good: refused, source crl (either wins)', async () => {
    for (const mode of ['prefer', 'require'] as const) {
      const t = await component(mode, responder.url);
      expect(await check(t, CRL_REVOKED)).toMatchObject({
        valid: false,
        reason: 'revoked',
        source: 'crl',
        ocsp: { state: 'good' },
      });
    }
  });

  it('unknown: refused under both (ocsp_unknown)', async () => {
    for (const mode of ['prefer', 'require'] as const) {
      const t = await component(mode, responder.url);
      expect(await check(t, UNKNOWN)).toMatchObject({
        valid: false,
        reason: 'ocsp_unknown',
        source: 'ocsp',
      });
    }
  });

  it.each([
    ['signed by the wrong key', () => wrongKey.url, 'bad_signature'],
    ['replayed with another nonce', () => replayUrl, 'nonce_mismatch'],
    ['not answering', () => silentUrl, 'timeout'],
  ])(
    'a response %s: prefer falls back to the CRL, require refuses',
    async (_what, url, problem) => {
      const prefer = await component('prefer', url(), { timeoutMs: 500 });
      expect(await check(prefer, GOOD)).toMatchObject({
        valid: true,
        source: 'crl',
        ocsp: { problem },
      });
      // The CRL still decides "revoked" in the fallback.
      expect(await check(prefer, CRL_REVOKED)).toMatchObject({
        valid: false,
        reason: 'revoked',
        source: 'crl',
      });
      const require = await component('require', url(), { timeoutMs: 500 });
      expect(await check(require, GOOD)).toMatchObject({
        valid: false,
        reason: 'ocsp_unavailable',
        ocsp: { problem },
      });
    },
  );

  it('a stale response (station clock past nextUpdate + skew): prefer falls back, require refuses', async () => {
    const later = () => new Date(Date.now() + 10 * 60_000);
    const prefer = await component('prefer', responder.url, { now: later });
    expect(await check(prefer, GOOD)).toMatchObject({
      valid: true,
      source: 'crl',
      ocsp: { problem: 'stale' },
    });
    const require = await component('require', responder.url, { now: later });
    expect(await check(require, GOOD)).toMatchObject({ valid: false, reason: 'ocsp_unavailable' });
  });

  it('the CRL freshness rule applies in the fallback; an OCSP answer stands in for a stale CRL', async () => {
    const down = await component('prefer', silentUrl, { crl: staleCrl, timeoutMs: 300 });
    expect(await check(down, GOOD)).toMatchObject({
      valid: false,
      reason: 'crl_stale',
      source: 'crl',
    });
    const up = await component('prefer', responder.url, { crl: staleCrl });
    expect(await check(up, GOOD)).toMatchObject({ valid: true, source: 'ocsp' });
  });

  it('ocsp.responses relayed by the office decide like fetched ones (source ocsp-cache)', async () => {
    const fetchFor = async (url: string, serial: number) => {
      const req = buildOcspRequest(
        parseCertificate(leafDer(serial)),
        parseCertificate(pki.root.der),
        new Uint8Array(4).fill(serial & 0xff),
      );
      const res = await fetch(url, { method: 'POST', body: Buffer.from(req.der) });
      return Buffer.from(await res.arrayBuffer()).toString('base64');
    };
    const t = await component('require', silentUrl, { timeoutMs: 300 });
    expect(await check(t, GOOD)).toMatchObject({ valid: false, reason: 'ocsp_unavailable' });
    const r = acceptRelayedOcsp(t, {
      responses: [
        await fetchFor(responder.url, GOOD),
        await fetchFor(responder.url, OCSP_REVOKED),
        await fetchFor(wrongKey.url, UNKNOWN),
      ],
    });
    expect(r).toEqual({
      accepted: true,
      detail: { answers: 2, refused: 1, problem: 'bad_signature' },
    });
    expect(await check(t, GOOD)).toMatchObject({ valid: true, source: 'ocsp-cache' });
    expect(await check(t, OCSP_REVOKED)).toMatchObject({
      valid: false,
      reason: 'revoked',
      source: 'ocsp-cache',
    });
    expect(acceptRelayedOcsp(t, { responses: [await fetchFor(wrongKey.url, GOOD)] })).toMatchObject(
      {
        accepted: false,
        reason: 'bad_ocsp_response',
      },
    );
  });

  it('off: the CRL alone, the responder is not asked', async () => {
    const t = await component('off', silentUrl);
    const r = await check(t, GOOD);
    expect(r).toMatchObject({ valid: true, source: 'crl' });
    expect(r.ocsp).toBeUndefined();
  });
});
