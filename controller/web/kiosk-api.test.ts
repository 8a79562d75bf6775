/**
 * The kiosk API answers only the kiosk: a cross-origin or foreign-Host POST, a non-JSON body,
 * a PIN with another session's token — each refused before it reaches the card (no try
 * spent); `null` and non-object bodies are 400; only the allowlisted files are served; SSE
 * channels and connections are bounded. Real web server on a free loopback port, real core.
 */
import { request } from 'node:http';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CoreHarness } from '../app/testing/harness.js';
import { FakeJpkiCard, ManualTimers, testRoot } from '../app/testing/fakes.js';
import { silentLogger } from '../log.js';
import { registerKioskRoutes } from './kiosk-routes.js';
import { WebServer } from './server.js';

let alice: FakeJpkiCard;
let h: CoreHarness;
let web: WebServer;

beforeAll(() => {
  alice = FakeJpkiCard.make(testRoot(), 'api-opaque-id');
});

beforeEach(async () => {
  alice.triesLeft = 3;
  alice.calls.verify = 0;
  web = new WebServer(
    {
      host: '127.0.0.1',
      port: 0,
      pages: { '/': 'kiosk.html' },
      files: ['kiosk.js', 'kiosk.css'],
      channels: ['kiosk'],
      maxSubscribers: 2,
      strict: true,
    },
    silentLogger(),
  );
  h = new CoreHarness({ timers: new ManualTimers(), publish: (s) => web.publish('kiosk', s) });
  registerKioskRoutes(web, () => h.session);
  await web.start();
  await h.start();
  h.assign('d1', 'A01', alice);
  h.loadDirect('A01');
});

afterEach(async () => {
  await h.stop();
  await web.stop();
});

/** One raw HTTP request (Host and Origin as given); status and body text. */
function send(
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const { port } = web.address;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = { 'content-type': 'application/json' };

/** Inserts alice's card and waits for the PIN screen; returns its token. */
async function pinScreen(): Promise<string> {
  const pin = h.next('pin');
  h.cards.insert(alice);
  const s = await pin;
  expect(s.token).toMatch(/^[0-9a-f]{32}$/);
  return s.token!;
}

describe('mutating requests only from the kiosk', () => {
  it('the kiosk itself: JSON, its Host, the token of the session on screen -> the PIN goes through', async () => {
    const token = await pinScreen();
    const open = h.next('open');
    const r = await send('POST', '/api/kiosk/pin', {
      body: JSON.stringify({ pin: alice.pin, token }),
      headers: { ...json, origin: `http://127.0.0.1:${web.address.port}` },
    });
    expect(r.status).toBe(200);
    await open;
    expect(alice.calls.verify).toBe(1);
  });

  it.each([
    ['a cross-origin page', { ...json, origin: 'http://evil.example' }, 403],
    ['a foreign Host (DNS rebinding)', { ...json, host: 'evil.example:80' }, 403],
    ['the right name on another port', { ...json, host: 'localhost:1' }, 403],
    ['a text/plain body (a "simple" cross-site form post)', { 'content-type': 'text/plain' }, 415],
    ['no content type', {}, 415],
  ])('%s is refused, no try spent', async (_name, headers, status) => {
    const token = await pinScreen();
    const r = await send('POST', '/api/kiosk/pin', {
      body: JSON.stringify({ pin: '0000', token }),
      headers,
    });
    expect(r.status).toBe(status);
    expect(alice.calls.verify).toBe(0);
    expect(h.session.state.screen).toBe('pin');
  });

  it("a PIN with another session's token (or none) is refused, no try spent", async () => {
    const first = await pinScreen();
    // The card is pulled and put back: a new session with a new token.
    h.cards.remove();
    await h.session.settled;
    const second = await pinScreen();
    expect(second).not.toBe(first);
    for (const body of [{ pin: '0000', token: first }, { pin: '0000' }]) {
      const r = await send('POST', '/api/kiosk/pin', { body: JSON.stringify(body), headers: json });
      expect(r.status).toBe(403);
    }
    expect(await send('POST', '/api/kiosk/cancel', { body: '{}', headers: json })).toMatchObject({
      status: 403,
    });
    expect(alice.calls.verify).toBe(0);
    expect(h.session.state.screen).toBe('pin');
  });

  it.each(['null', '[]', '"1234"', '42'])('a %s body is a 400', async (body) => {
    await pinScreen();
    const r = await send('POST', '/api/kiosk/pin', { body, headers: json });
    expect(r.status).toBe(400);
    expect(alice.calls.verify).toBe(0);
  });
});

describe('what is served', () => {
  it('only the kiosk files: the simulator and anything else are 404', async () => {
    expect((await send('GET', '/')).status).toBe(200);
    expect((await send('GET', '/kiosk.js')).status).toBe(200);
    expect((await send('GET', '/simulator.js')).status).toBe(404);
    expect((await send('GET', '/simulator.html')).status).toBe(404);
    expect((await send('GET', '/kiosk.html')).status).toBe(404);
  });

  it('SSE: only known channels, a bounded number of listeners', async () => {
    expect((await send('GET', '/events/other')).status).toBe(404);
    const controllers = [new AbortController(), new AbortController()];
    try {
      for (const c of controllers) {
        const res = await fetch(`${web.url}/events/kiosk`, { signal: c.signal });
        expect(res.status).toBe(200);
      }
      const third = await fetch(`${web.url}/events/kiosk`);
      expect(third.status).toBe(503);
      await third.arrayBuffer();
    } finally {
      for (const c of controllers) c.abort();
    }
  });
});
