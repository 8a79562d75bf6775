import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { ConsoleServer } from './console-server.js';

describe('ConsoleServer HTTP API (no broker reachable)', () => {
  let dir: string;
  let server: ConsoleServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'console-server-'));
    server = new ConsoleServer(
      {
        brokerUrl: 'mqtt://127.0.0.1:1',
        listenPort: 0,
        actionLogFile: path.join(dir, 'a.jsonl'),
      },
      { log: silentLogger() },
    );
    await server.start(new AbortController().signal);
  });
  afterAll(async () => {
    await server.stop();
    await server.stop(); // idempotent
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('serves the page, the console facts and an empty snapshot', async () => {
    expect((await fetch(`${server.url}/`)).headers.get('content-type')).toContain('text/html');
    const info = await (await fetch(`${server.url}/api/console`)).json();
    expect(info).toMatchObject({ canSign: false, broker: { connected: false } });
    const snap = await (await fetch(`${server.url}/api/snapshot`)).json();
    expect(snap).toMatchObject({ stations: [], alarms: [], events: [], actions: [] });
    expect((await fetch(`${server.url}/api/stations/nakano-01`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/events?from=soon`)).status).toBe(400);
  });

  it('refuses cross-site and non-JSON action requests, and actions without an operator or a signer', async () => {
    const text = await fetch(`${server.url}/api/stations/nakano-01/commands`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({
        operator: 'a',
        kind: 'remote.open',
        body: { door: 'main', reason: 'x' },
      }),
    });
    expect(text.status).toBe(415);
    const foreign = await post(
      '/api/stations/nakano-01/commands',
      { operator: 'a', kind: 'remote.open', body: { door: 'main', reason: 'x' } },
      { origin: 'http://evil.example' },
    );
    expect(foreign.status).toBe(403);
    const noOperator = await post('/api/stations/nakano-01/commands', {
      kind: 'remote.open',
      body: { door: 'main', reason: 'x' },
    });
    expect(noOperator.status).toBe(400);
    const noSigner = await post('/api/stations/nakano-01/commands', {
      operator: 'alice',
      kind: 'remote.open',
      body: { door: 'main', reason: 'x' },
    });
    expect(noSigner.status).toBe(409);
    expect(await noSigner.json()).toEqual({ error: 'no_signer' });
    expect((await post('/api/alarms/nope/ack', { operator: 'alice' })).status).toBe(404);
  });
});
