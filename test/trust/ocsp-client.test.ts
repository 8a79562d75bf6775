/**
 * The OCSP client against a real `openssl ocsp` responder on loopback: good, revoked,
 * unknown, a response signed by the wrong key, a replayed response with another nonce, a
 * stale response, a responder that does not answer, and the cache until nextUpdate.
 */
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate, type Certificate } from '../../controller/trust/certificate.js';
import {
  OcspCache,
  OcspClient,
  ocspUrlsOf,
  type OcspTransport,
} from '../../controller/trust/ocsp/index.js';
import { buildOcspRequest } from '../../controller/trust/ocsp/request.js';
import { makeOcspTestPki, type OcspTestPki } from '../../controller/trust/testing/ocsp-pki.js';
import { freePort } from '../support/mosquitto.js';
import { OpensslOcspResponder } from '../support/openssl-ocsp.js';

const GOOD = 0x1001;
const REVOKED = 0x1002;
const UNKNOWN = 0x1003;
const AIA = 0x1004;

describe('OCSP client against openssl ocsp', () => {
  const started = new Date();
  let pki: OcspTestPki;
  let root: Certificate;
  let delegated: OpensslOcspResponder;
  let byCa: OpensslOcspResponder;
  let wrongKey: OpensslOcspResponder;
  let notSigner: OpensslOcspResponder;
  const servers: Server[] = [];
  const sockets: net.Server[] = [];
  const leaf = (serial: number, url?: string) => parseCertificate(pki.leaf(serial, url).der);
  const entries = [
    { serialHex: GOOD.toString(16), status: 'valid' as const },
    { serialHex: AIA.toString(16), status: 'valid' as const },
    {
      serialHex: REVOKED.toString(16),
      status: 'revoked' as const,
      revokedAt: new Date(+started - 3600_000),
      reason: 'keyCompromise',
    },
  ];
  const client = (extra: Partial<ConstructorParameters<typeof OcspClient>[0]> = {}) =>
    new OcspClient({ clockSkewSec: 60, ...extra });

  beforeAll(async () => {
    pki = makeOcspTestPki(started);
    root = parseCertificate(pki.root.der);
    const signer = (c: {
      der: Uint8Array;
      key: { privateKey: import('node:crypto').KeyObject };
    }) => ({
      certDer: c.der,
      key: c.key.privateKey,
    });
    const aiaPort = await freePort();
    [delegated, byCa, wrongKey, notSigner] = await Promise.all([
      OpensslOcspResponder.start({
        caDer: pki.root.der,
        signer: signer(pki.responder),
        entries,
        port: aiaPort,
      }),
      OpensslOcspResponder.start({ caDer: pki.root.der, signer: signer(pki.root), entries }),
      OpensslOcspResponder.start({
        caDer: pki.root.der,
        signer: signer(pki.otherGeneration),
        entries,
      }),
      OpensslOcspResponder.start({
        caDer: pki.root.der,
        signer: signer(pki.notOcspSigner),
        entries,
      }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([delegated, byCa, wrongKey, notSigner].map((r) => r?.stop()));
    for (const s of servers) s.close();
    for (const s of sockets) s.close();
  });

  it('good from a delegated responder (id-kp-OCSPSigning, issued by the CA)', async () => {
    const r = await client().status({
      cert: leaf(GOOD),
      issuer: root,
      url: delegated.url,
      timeoutMs: 5000,
    });
    expect(r, JSON.stringify(r)).toMatchObject({
      ok: true,
      source: 'ocsp',
      answer: { status: { state: 'good' } },
    });
  });

  it('good signed by the CA itself', async () => {
    const r = await client().status({
      cert: leaf(GOOD),
      issuer: root,
      url: byCa.url,
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: true, answer: { status: { state: 'good' } } });
  });

  it('revoked, with the reason and time', async () => {
    const r = await client().status({
      cert: leaf(REVOKED),
      issuer: root,
      url: delegated.url,
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: true, answer: { status: { state: 'revoked', reasonCode: 1 } } });
  });

  it('unknown for a serial the responder does not know', async () => {
    const r = await client().status({
      cert: leaf(UNKNOWN),
      issuer: root,
      url: delegated.url,
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: true, answer: { status: { state: 'unknown' } } });
  });

  it('the URL from authorityInfoAccess when none is configured', async () => {
    const cert = leaf(AIA, `http://127.0.0.1:${delegated.port}/`);
    expect(ocspUrlsOf(cert)).toEqual([`http://127.0.0.1:${delegated.port}/`]);
    const r = await client().status({ cert, issuer: root, timeoutMs: 5000 });
    expect(r).toMatchObject({ ok: true, answer: { status: { state: 'good' } } });
    expect(
      await client().status({ cert: leaf(GOOD), issuer: root, timeoutMs: 5000 }),
    ).toMatchObject({
      ok: false,
      problem: 'no_url',
    });
  });

  it('a response signed by the wrong key (the other generation of the same name) is not believed', async () => {
    const r = await client().status({
      cert: leaf(GOOD),
      issuer: root,
      url: wrongKey.url,
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: false, problem: 'bad_signature' });
  });

  it('a responder certificate without id-kp-OCSPSigning is not authorized', async () => {
    const r = await client().status({
      cert: leaf(GOOD),
      issuer: root,
      url: notSigner.url,
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: false, problem: 'unauthorized_responder' });
  });

  it('a replayed response (answering another nonce) is refused', async () => {
    // Capture a genuine answer to a request with nonce A, then serve it to a request with nonce B.
    const req = buildOcspRequest(leaf(GOOD), root, new Uint8Array(16).fill(0xa));
    const res = await fetch(delegated.url, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: Buffer.from(req.der),
    });
    const captured = Buffer.from(await res.arrayBuffer());
    const replay = createServer((_q, s) => {
      s.writeHead(200, { 'content-type': 'application/ocsp-response' });
      s.end(captured);
    });
    servers.push(replay);
    await new Promise<void>((ok) => replay.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(replay.address() as AddressInfo).port}`;
    const replayed = await client().status({
      cert: leaf(GOOD),
      issuer: root,
      url,
      timeoutMs: 5000,
    });
    expect(replayed).toMatchObject({ ok: false, problem: 'nonce_mismatch' });
    // The same bytes for a request with nonce A are believed: the refusal is about the nonce.
    const same = await client({ nonce: () => new Uint8Array(16).fill(0xa) }).status({
      cert: leaf(GOOD),
      issuer: root,
      url,
      timeoutMs: 5000,
    });
    expect(same).toMatchObject({ ok: true });
  });

  it('a stale response (past nextUpdate beyond the clock skew) is refused', async () => {
    // The responder sets nextUpdate 5 minutes after now; the station's clock is 10 minutes on.
    const later = () => new Date(Date.now() + 10 * 60_000);
    const r = await client({ now: later }).status({
      cert: leaf(GOOD),
      issuer: root,
      url: delegated.url,
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: false, problem: 'stale' });
    // Within the skew (nextUpdate + 60 s) it is still accepted.
    const edge = () => new Date(Date.now() + 5 * 60_000 + 30_000);
    const ok = await client({ now: edge }).status({
      cert: leaf(GOOD),
      issuer: root,
      url: delegated.url,
      timeoutMs: 5000,
    });
    expect(ok).toMatchObject({ ok: true });
  });

  it('a response from the future (station clock behind by more than the skew) is refused', async () => {
    const earlier = () => new Date(Date.now() - 10 * 60_000);
    const r = await client({ now: earlier }).status({
      cert: leaf(GOOD),
      issuer: root,
      url: delegated.url,
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: false, problem: 'not_yet_valid' });
  });

  it('a responder that does not answer: timeout after timeoutMs; a closed port: unreachable', async () => {
    const silent = net.createServer(() => undefined);
    sockets.push(silent);
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const r = await client().status({ cert: leaf(GOOD), issuer: root, url, timeoutMs: 300 });
    expect(r).toMatchObject({ ok: false, problem: 'timeout' });
    const closed = await freePort();
    const u = await client().status({
      cert: leaf(GOOD),
      issuer: root,
      url: `http://127.0.0.1:${closed}`,
      timeoutMs: 2000,
    });
    expect(u).toMatchObject({ ok: false, problem: 'unreachable' });
  });

  it('garbage and an HTTP error are told apart', async () => {
    const answers: Record<string, [number, Buffer]> = {
      '/garbage': [200, Buffer.from('not der at all')],
      '/error': [500, Buffer.from('')],
      '/trylater': [200, Buffer.from('30030a0103', 'hex')],
    };
    const srv = createServer((q, s) => {
      const [code, body] = answers[q.url ?? ''] ?? [404, Buffer.from('')];
      s.writeHead(code);
      s.end(body);
    });
    servers.push(srv);
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const ask = (p: string) =>
      client().status({ cert: leaf(GOOD), issuer: root, url: base + p, timeoutMs: 5000 });
    expect(await ask('/garbage')).toMatchObject({ ok: false, problem: 'malformed' });
    expect(await ask('/error')).toMatchObject({ ok: false, problem: 'http_error' });
    expect(await ask('/trylater')).toMatchObject({ ok: false, problem: 'responder_error' });
  });

  it('answers are cached until nextUpdate (source ocsp-cache), then asked again', async () => {
    let now = new Date();
    let calls = 0;
    const counting: OcspTransport = async (url, body, signal) => {
      calls++;
      const res = await fetch(url, { method: 'POST', body: Buffer.from(body), signal });
      return new Uint8Array(await res.arrayBuffer());
    };
    const c = client({ now: () => now, transport: counting, cache: new OcspCache() });
    const q = { cert: leaf(REVOKED), issuer: root, url: delegated.url, timeoutMs: 5000 };
    expect(await c.status(q)).toMatchObject({ source: 'ocsp' });
    expect(await c.status(q)).toMatchObject({
      source: 'ocsp-cache',
      answer: { status: { state: 'revoked' } },
    });
    expect(calls).toBe(1);
    now = new Date(Date.now() + 5 * 60_000 + 61_000);
    expect(await c.status(q)).toMatchObject({ ok: false, problem: 'stale' });
    expect(calls).toBe(2);
  });

  it('relayed responses (no nonce of ours) are checked like fetched ones and cached', async () => {
    const req = buildOcspRequest(leaf(REVOKED), root, new Uint8Array(8).fill(1));
    const res = await fetch(delegated.url, { method: 'POST', body: Buffer.from(req.der) });
    const der = new Uint8Array(await res.arrayBuffer());
    const c = client({ transport: () => Promise.reject(new Error('offline')) });
    expect(c.acceptRelayed(der, [parseCertificate(pki.otherGeneration.der), root])).toBe(1);
    expect(await c.status({ cert: leaf(REVOKED), issuer: root, timeoutMs: 10 })).toMatchObject({
      ok: true,
      source: 'ocsp-cache',
      answer: { status: { state: 'revoked' }, origin: 'relayed' },
    });
    const forged = await fetch(wrongKey.url, { method: 'POST', body: Buffer.from(req.der) });
    expect(() => client().acceptRelayed(new Uint8Array(0), [root])).toThrow(
      expect.objectContaining({ problem: 'malformed' }),
    );
    const forgedDer = new Uint8Array(await forged.arrayBuffer());
    expect(() => client().acceptRelayed(forgedDer, [root])).toThrow(
      expect.objectContaining({ problem: 'bad_signature' }),
    );
  });
});
