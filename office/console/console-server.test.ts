/**
 * The console's HTTP gate without a broker: accounts and login, the session cookie, CSRF on
 * every mutation, the Host allowlist, the security headers, roles, lock-out, and that the
 * console refuses to start with no account (unless --no-login on loopback).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountStore } from './accounts.js';
import { ConsoleServer, openConsoleDb } from './console-server.js';
import { quietLogger } from '../log.js';
import { createDevCa, issueDevCert } from '../pki/dev-pki.js';

/** A raw request (fetch cannot set Host). */
function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('console HTTP gate (no broker reachable)', () => {
  let dir: string;
  let server: ConsoleServer;
  let clock = Date.parse('2026-12-01T09:00:00Z');
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'console-server-'));
    const db = openConsoleDb(dir);
    const accounts = new AccountStore(db, () => new Date(clock));
    await accounts.add('alice', 'operator', 'alice-password-1');
    await accounts.add('bob', 'operator', 'bob-password-22');
    await accounts.add('vera', 'viewer', 'vera-password-3');
    db.close();
    server = new ConsoleServer(
      {
        brokerUrl: 'mqtt://127.0.0.1:1',
        listenPort: 0,
        dataDir: dir,
        accounts: { maxFailures: 3, lockMs: 60_000, sessionIdleMs: 3600_000 },
      },
      { log: quietLogger(), now: () => new Date(clock) },
    );
    await server.start(new AbortController().signal);
  });
  afterAll(async () => {
    await server?.stop();
    await server?.stop(); // idempotent
    rmSync(dir, { recursive: true, force: true });
  });

  const login = async (user: string, password: string) => {
    const r = await fetch(`${server.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user, password }),
    });
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
    return {
      status: r.status,
      cookie,
      setCookie: r.headers.get('set-cookie'),
      body: await r.json(),
    };
  };
  const post = (p: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${server.url}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('serves the page with CSP (no inline script, no framing), X-Frame-Options and no data before login', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*src=)[^>]*>/);
    const info = await (await fetch(`${server.url}/api/console`)).json();
    expect(info).toMatchObject({ login: 'required', session: null, broker: { connected: false } });
    expect((await fetch(`${server.url}/api/snapshot`)).status).toBe(401);
    expect((await fetch(`${server.url}/events/fleet`)).status).toBe(401);
  });

  it('answers only to its own Host names', async () => {
    const port = new URL(server.url).port;
    const evil = await raw(`${server.url}/api/console`, {
      headers: { host: `evil.example:${port}` },
    });
    expect(evil.status).toBe(421);
    const ok = await raw(`${server.url}/api/console`, { headers: { host: `localhost:${port}` } });
    expect(ok.status).toBe(200);
  });

  it('logs in with an HttpOnly SameSite=Strict cookie and a CSRF token, and logs out', async () => {
    const bad = await login('alice', 'wrong-password');
    expect(bad.status).toBe(401);
    const r = await login('alice', 'alice-password-1');
    expect(r.status).toBe(200);
    expect(r.setCookie).toMatch(/HttpOnly/);
    expect(r.setCookie).toMatch(/SameSite=Strict/);
    expect(typeof r.body.csrf).toBe('string');
    const snap = await fetch(`${server.url}/api/snapshot`, { headers: { cookie: r.cookie } });
    expect(snap.status).toBe(200);
    // A mutation without (or with a wrong) CSRF token is refused.
    expect((await post('/api/logout', {}, { cookie: r.cookie })).status).toBe(403);
    expect(
      (await post('/api/logout', {}, { cookie: r.cookie, 'x-csrf-token': 'nope' })).status,
    ).toBe(403);
    const out = await post('/api/logout', {}, { cookie: r.cookie, 'x-csrf-token': r.body.csrf });
    expect(out.status).toBe(200);
    expect(
      (await fetch(`${server.url}/api/snapshot`, { headers: { cookie: r.cookie } })).status,
    ).toBe(401);
    const log = readFileSync(path.join(dir, 'actions.jsonl'), 'utf8');
    expect(log).toMatch(/"operator":"alice","action":"login.failed"/);
    expect(log).toMatch(/"operator":"alice","action":"logout"/);
    expect(log).not.toContain('alice-password-1');
  });

  it('refuses a command from a viewer, a cross-origin page, or without CSRF; ignores an operator field', async () => {
    const v = await login('vera', 'vera-password-3');
    const cmd = { operator: 'mallory', kind: 'remote.open', body: { door: 'main', reason: 'x' } };
    const asViewer = await post('/api/stations/nakano-01/commands', cmd, {
      cookie: v.cookie,
      'x-csrf-token': v.body.csrf,
    });
    expect(asViewer.status).toBe(403);
    const a = await login('alice', 'alice-password-1');
    const h = { cookie: a.cookie, 'x-csrf-token': a.body.csrf };
    expect(
      (await post('/api/stations/nakano-01/commands', cmd, { ...h, origin: 'http://evil.example' }))
        .status,
    ).toBe(403);
    expect((await post('/api/stations/nakano-01/commands', cmd, { cookie: a.cookie })).status).toBe(
      403,
    );
    const text = await fetch(`${server.url}/api/stations/nakano-01/commands`, {
      method: 'POST',
      headers: { ...h, 'content-type': 'text/plain' },
      body: JSON.stringify(cmd),
    });
    expect(text.status).toBe(415);
    // Accepted by the gate: no signer configured, so nothing can be sent.
    const noSigner = await post('/api/stations/nakano-01/commands', cmd, h);
    expect(noSigner.status).toBe(409);
    expect(await noSigner.json()).toEqual({ error: 'no_signer' });
    expect(readFileSync(path.join(dir, 'actions.jsonl'), 'utf8')).not.toContain('mallory');
  });

  it('locks an account after repeated failures (action-log event), even with the right password', async () => {
    for (let i = 0; i < 2; i++) expect((await login('bob', 'not-bobs-password')).status).toBe(401);
    expect((await login('bob', 'not-bobs-password')).status).toBe(423);
    expect((await login('bob', 'bob-password-22')).status).toBe(423);
    expect(readFileSync(path.join(dir, 'actions.jsonl'), 'utf8')).toMatch(
      /"operator":"bob","action":"account.locked"/,
    );
    clock += 61_000;
    expect((await login('bob', 'bob-password-22')).status).toBe(200);
  });

  it('will not start without an account, nor with --no-login beyond loopback', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'console-empty-'));
    try {
      const s = new ConsoleServer(
        { brokerUrl: 'mqtt://127.0.0.1:1', listenPort: 0, dataDir: empty },
        { log: quietLogger() },
      );
      await expect(s.start(new AbortController().signal)).rejects.toThrow(/no console account/);
      await s.stop();
      expect(
        () =>
          new ConsoleServer(
            {
              brokerUrl: 'mqtt://127.0.0.1:1',
              listenHost: '0.0.0.0',
              listenPort: 0,
              dataDir: empty,
              noLoginOperator: 'x',
            },
            { log: quietLogger() },
          ),
      ).toThrow(/--no-login needs a loopback/);
      const open = new ConsoleServer(
        { brokerUrl: 'mqtt://127.0.0.1:1', listenPort: 0, dataDir: empty, noLoginOperator: 'desk' },
        { log: quietLogger() },
      );
      await open.start(new AbortController().signal);
      const info = await (await fetch(`${open.url}/api/console`)).json();
      expect(info).toMatchObject({ login: 'disabled', session: { user: 'desk' } });
      await open.stop();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('console over HTTPS', () => {
  it('serves HTTPS with --tls-cert/--tls-key (Secure cookie, HSTS), and needs it beyond loopback', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'console-tls-'));
    const ca = await createDevCa('console test CA');
    const cert = await issueDevCert(ca, {
      commonName: 'localhost',
      usage: 'server',
      sanIps: ['127.0.0.1'],
    });
    const db = openConsoleDb(dir);
    await new AccountStore(db, () => new Date()).add('tess', 'viewer', 'tess-password-1');
    db.close();
    const tls = { cert: Buffer.from(cert.certPem), key: Buffer.from(cert.keyPem) };
    expect(
      () =>
        new ConsoleServer(
          { brokerUrl: 'mqtt://127.0.0.1:1', listenHost: '0.0.0.0', listenPort: 0, dataDir: dir },
          { log: quietLogger() },
        ),
    ).toThrow(/needs --tls-cert/);
    const s = new ConsoleServer(
      { brokerUrl: 'mqtt://127.0.0.1:1', listenPort: 0, dataDir: dir, httpsTls: tls },
      { log: quietLogger() },
    );
    await s.start(new AbortController().signal);
    try {
      expect(s.url).toMatch(/^https:/);
      const r = await new Promise<{ status: number; headers: Record<string, unknown> }>(
        (resolve, reject) => {
          const req = httpsRequest(
            `${s.url}/api/login`,
            {
              method: 'POST',
              ca: ca.certPem,
              headers: { 'content-type': 'application/json' },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
            },
          );
          req.on('error', reject);
          req.end(JSON.stringify({ user: 'tess', password: 'tess-password-1' }));
        },
      );
      expect(r.status).toBe(200);
      expect(String(r.headers['set-cookie'])).toMatch(/; Secure/);
      expect(r.headers['strict-transport-security']).toBeDefined();
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
