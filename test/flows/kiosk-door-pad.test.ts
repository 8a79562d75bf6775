/**
 * A door reader's own PIN pad in Debian's Chromium: the kiosk page opened as
 * `/door?door=front` follows that door's channel and posts the PIN to that door's API, while
 * the kiosk page beside it keeps a resident's PIN screen. Screenshots go to
 * test-artifacts/kiosk/.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { silentLogger } from '../../controller/log.js';
import { CoreHarness, FRONT_DOOR_READER } from '../../controller/app/testing/harness.js';
import { FakeJpkiCard, ManualTimers, testRoot } from '../../controller/app/testing/fakes.js';
import { WebServer } from '../../controller/web/server.js';
import {
  doorChannel,
  doorPublisher,
  kioskPublisher,
  registerDoorRoutes,
  registerKioskRoutes,
} from '../../controller/web/kiosk-routes.js';
import { artifactDir, launchChromium } from '../support/browser.js';

let browser: Browser;
let web: WebServer;
let h: CoreHarness;
let kioskPage: Page;
let padPage: Page;
let alice: FakeJpkiCard;
let bob: FakeJpkiCard;

beforeAll(async () => {
  const root = testRoot();
  alice = FakeJpkiCard.make(root, 'pad-alice');
  bob = FakeJpkiCard.make(root, 'pad-bob');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  web = new WebServer(
    {
      host: '127.0.0.1',
      port: 0,
      pages: { '/': 'kiosk.html', '/door': 'kiosk.html' },
      channels: ['kiosk', doorChannel('front')],
      strict: true,
    },
    silentLogger(),
  );
  const toKiosk = kioskPublisher(web);
  const toDoor = doorPublisher(web);
  h = new CoreHarness({
    timers: new ManualTimers(),
    ...FRONT_DOOR_READER,
    publish: toKiosk,
    publishDoor: toDoor,
  });
  registerKioskRoutes(web, () => h.session);
  registerDoorRoutes(web, (door) => h.core.doorSessions.get(door));
  await web.start();
  await h.start();
  h.allowAtDoors(bob, ['front']);
  kioskPage = await browser.newPage({ viewport: { width: 1024, height: 600 } });
  padPage = await browser.newPage({ viewport: { width: 800, height: 480 } });
});
afterEach(async () => {
  await kioskPage?.close();
  await padPage?.close();
  await h.stop();
  await web.stop();
});

// data-rev is set by the first render: kiosk.html itself already says data-screen="idle".
const screen = (page: Page, name: string) =>
  page.waitForSelector(`body[data-rev][data-screen="${name}"]`, { timeout: 10_000 });

it("the door pad takes the door card's PIN while the kiosk keeps the resident's PIN screen", async () => {
  h.assign('d1', 'A01', alice);
  h.loadDirect('A01');
  await kioskPage.goto(`${web.url}/?lang=en`);
  await padPage.goto(`${web.url}/door?door=front&lang=en`);
  await screen(kioskPage, 'idle');
  await screen(padPage, 'idle');
  h.cards.insert(alice);
  await screen(kioskPage, 'pin');
  h.doorCards.get('front')!.insert(bob);
  await screen(padPage, 'pin');
  for (const d of '1234') await padPage.click(`.key[data-key="${d}"]`);
  await padPage.click('#key-ok');
  await screen(padPage, 'door_open');
  await padPage.screenshot({ path: path.join(artifactDir('kiosk'), 'door-pad-open.png') });
  expect(h.gpio!.outputState('front-relay')).toBe('unlocked');
  expect(bob.calls.verify).toBe(1);
  expect(alice.calls.verify).toBe(0);
  // The kiosk page never left the resident's PIN screen; her PIN still works there.
  expect(await kioskPage.getAttribute('body', 'data-screen')).toBe('pin');
  for (const d of '1234') await kioskPage.click(`.key[data-key="${d}"]`);
  await kioskPage.click('#key-ok');
  await screen(kioskPage, 'open');
  expect(h.ledger.compartments.get('A01')!.state).toBe('opened_for_pickup');
});
