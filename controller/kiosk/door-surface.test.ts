/**
 * A door's own reader has its own PIN surface (issue 17): a card there runs its own session
 * beside the kiosk's, so a resident in the middle of a pickup at the kiosk keeps the screen.
 * Each surface has its own token; the other's is refused. A card in the door reader asks for
 * that door only (a delivery here is not a reason to ask its PIN there).
 */
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { Secret } from '../../shared/secret.js';
import { CoreHarness, FRONT_DOOR_READER } from '../app/testing/harness.js';
import { FakeJpkiCard, ManualTimers, testRoot } from '../app/testing/fakes.js';
import { silentLogger } from '../log.js';
import { registerDoorRoutes, registerKioskRoutes } from '../web/kiosk-routes.js';
import { WebServer } from '../web/server.js';

let h: CoreHarness;
let alice: FakeJpkiCard;
let bob: FakeJpkiCard;

beforeAll(() => {
  const root = testRoot();
  alice = FakeJpkiCard.make(root, 'alice-opaque-id');
  bob = FakeJpkiCard.make(root, 'bob-opaque-id');
});

beforeEach(async () => {
  for (const c of [alice, bob]) {
    c.triesLeft = 3;
    Object.assign(c.calls, { verify: 0, pinStatus: 0, sign: 0, read: 0 });
  }
  h = new CoreHarness({
    timers: new ManualTimers(),
    ...FRONT_DOOR_READER,
  });
  await h.start();
  h.allowAtDoors(bob, ['front']);
});
afterEach(async () => {
  await h.stop();
});

const doorSession = () => h.core.doorSessions.get('front')!;
const frontReader = () => h.doorCards.get('front')!;

it('a door session and a kiosk session run at the same time, each on its own surface and token', async () => {
  h.assign('d1', 'A01', alice);
  h.loadDirect('A01');
  // Alice at the kiosk, asked for her PIN.
  const kioskPin = h.next('pin');
  h.cards.insert(alice);
  await kioskPin;
  const kioskToken = h.session.token!;
  // Bob at the front door's own reader: its own PIN screen; the kiosk keeps Alice's.
  const doorPin = h.next('pin', 'front');
  frontReader().insert(bob);
  await doorPin;
  const doorToken = doorSession().token!;
  expect(doorToken).not.toBe(kioskToken);
  expect(h.session.state).toMatchObject({ screen: 'pin', token: kioskToken });
  // Each surface takes only its own session's token.
  expect(h.session.submitPin(new Secret('1234'), doorToken)).toBe(false);
  expect(doorSession().submitPin(new Secret('1234'), kioskToken)).toBe(false);
  expect(bob.calls.verify + alice.calls.verify).toBe(0);
  const doorOpen = h.next('door_open', 'front');
  expect(doorSession().submitPin(new Secret('1234'), doorToken)).toBe(true);
  expect(await doorOpen).toMatchObject({ door: 'front', token: doorToken });
  expect(h.gpio!.outputState('front-relay')).toBe('unlocked');
  // The kiosk never left Alice's PIN screen; her pickup goes on.
  expect(h.screens.filter((s) => s.screen === 'door_open')).toEqual([]);
  expect(h.session.state).toMatchObject({ screen: 'pin', token: kioskToken });
  const open = h.next('open');
  expect(h.session.submitPin(new Secret('1234'), kioskToken)).toBe(true);
  await open;
  expect(h.ledger.compartments.get('A01')!.state).toBe('opened_for_pickup');
  expect(h.doorScreens.get('front')!.some((s) => s.screen === 'open')).toBe(false);
});

it('at the door reader a delivery is no reason to ask the PIN: no rule for that door, refused before it', async () => {
  h.assign('d1', 'A01', alice);
  h.loadDirect('A01');
  const refused = h.next('door_denied', 'front');
  frontReader().insert(alice);
  expect(await refused).toMatchObject({ screen: 'error', reason: 'no_rule' });
  expect(alice.calls.verify).toBe(0);
  expect(h.gpio!.outputState('front-relay')).toBe('locked');
  expect(h.screens.map((s) => s.screen)).toEqual(['idle']); // the kiosk saw nothing
  expect(h.ledger.compartments.get('A01')!.state).toBe('loaded');
});

it("the door surface's API has the kiosk's hardening: its own token only, JSON only, unknown doors 404", async () => {
  const web = new WebServer(
    {
      host: '127.0.0.1',
      port: 0,
      pages: { '/door': 'kiosk.html' },
      channels: ['kiosk', 'door-front'],
      strict: true,
    },
    silentLogger(),
  );
  registerKioskRoutes(web, () => h.session);
  registerDoorRoutes(web, (door) => h.core.doorSessions.get(door));
  await web.start();
  try {
    const base = `http://127.0.0.1:${web.address.port}`;
    const post = (path: string, body: unknown, type = 'application/json') =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: JSON.stringify(body),
      }).then((r) => r.status);
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    const kioskPin = h.next('pin');
    h.cards.insert(alice);
    await kioskPin;
    const doorPin = h.next('pin', 'front');
    frontReader().insert(bob);
    await doorPin;
    const kioskToken = h.session.token!;
    const doorToken = doorSession().token!;
    const state = (await (await fetch(`${base}/api/door/front/state`)).json()) as {
      screen: string;
      token?: string;
    };
    expect(state).toMatchObject({ screen: 'pin', token: doorToken });
    expect(await post('/api/door/front/pin', { pin: '1234', token: kioskToken })).toBe(403);
    expect(await post('/api/kiosk/pin', { pin: '1234', token: doorToken })).toBe(403);
    expect(
      await post('/api/door/front/pin', { pin: '1234', token: doorToken }, 'text/plain'),
    ).not.toBe(200);
    expect(await post('/api/door/back/pin', { pin: '1234', token: doorToken })).toBe(404);
    expect(bob.calls.verify + alice.calls.verify).toBe(0);
    const doorOpen = h.next('door_open', 'front');
    expect(await post('/api/door/front/pin', { pin: '1234', token: doorToken })).toBe(200);
    await doorOpen;
    expect(h.session.state.screen).toBe('pin');
  } finally {
    await web.stop();
  }
});
