/**
 * The kiosk page in Debian's Chromium (headless, through playwright-core): a pickup with the
 * right PIN, a wrong PIN, and a revoked card, in Japanese and in English. Screenshots go to
 * test-artifacts/kiosk/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../controller/log.js';
import { CoreHarness } from '../../controller/app/testing/harness.js';
import { FakeJpkiCard, ManualTimers, testRoot } from '../../controller/app/testing/fakes.js';
import { WebServer } from '../../controller/web/server.js';
import { kioskPublisher, registerKioskRoutes } from '../../controller/web/kiosk-routes.js';
import { launchChromium } from '../support/browser.js';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/kiosk');
let browser: Browser;
let web: WebServer;
let h: CoreHarness;
let page: Page;
let card: FakeJpkiCard;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  card = FakeJpkiCard.make(testRoot(), 'browser-holder');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  card.triesLeft = 3;
  Object.assign(card.calls, { verify: 0, pinStatus: 0, sign: 0, read: 0 });
  web = new WebServer({ host: '127.0.0.1', port: 0, pages: { '/': 'kiosk.html' } }, silentLogger());
  h = new CoreHarness({ timers: new ManualTimers(), publish: (s) => web.publish('kiosk', s) });
  registerKioskRoutes(web, () => h.session);
  void kioskPublisher;
  await web.start();
  await h.start();
  page = await browser.newPage({ viewport: { width: 1024, height: 600 } });
});
afterEach(async () => {
  await page?.close();
  await h.stop();
  await web.stop();
});

// data-rev is set by the first render: kiosk.html itself already says data-screen="idle".
async function screen(name: string): Promise<void> {
  await page.waitForSelector(`body[data-rev][data-screen="${name}"]`, { timeout: 10_000 });
}
async function typePin(pin: string): Promise<void> {
  for (const d of pin) await page.click(`.key[data-key="${d}"]`);
  await page.click('#key-ok');
}
async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

describe.each(['ja', 'en'] as const)('kiosk in %s', (lang) => {
  it('walks a pickup with the right PIN', async () => {
    h.assign('d1', 'A01', card);
    h.loadDirect('A01');
    await page.goto(`${web.url}/?lang=${lang}`);
    await screen('idle');
    await shot(`${lang}-1-idle`);
    h.cards.insert(card);
    await screen('pin');
    expect(await page.textContent('#tries')).toContain('3');
    await shot(`${lang}-2-pin`);
    await typePin('1234');
    await screen('open');
    await shot(`${lang}-3-open`);
    h.board.takeItem(0, 1);
    h.board.closeDoor(0, 1);
    await screen('collected');
    await shot(`${lang}-4-collected`);
    expect(h.ledger.deliveries.get('d1')!.state).toBe('collected');
  });

  it('shows the tries left after a wrong PIN', async () => {
    h.assign('d1', 'A01', card);
    h.loadDirect('A01');
    await page.goto(`${web.url}/?lang=${lang}`);
    await screen('idle');
    h.cards.insert(card);
    await screen('pin');
    await typePin('9999');
    await page.waitForFunction(() => document.querySelector('#tries')?.textContent?.includes('2'));
    const body = await page.textContent('#body');
    expect(body).toContain('2');
    await shot(`${lang}-5-wrong-pin`);
    expect(card.triesLeft).toBe(2);
  });

  it('refuses a revoked card before asking for the PIN', async () => {
    h.checker.answer = { valid: false, reason: 'revoked' };
    await page.goto(`${web.url}/?lang=${lang}`);
    await screen('idle');
    h.cards.insert(card);
    await page.waitForSelector('body[data-screen="error"][data-error="cert_revoked"]');
    const title = await page.textContent('#title');
    expect(title).toMatch(lang === 'ja' ? /失効/ : /revoked/);
    await shot(`${lang}-6-revoked`);
    expect(card.calls.verify).toBe(0);
  });
});

describe('kiosk language picker', () => {
  it('switches from Japanese to English', async () => {
    await page.goto(web.url);
    await screen('idle');
    const ja = await page.textContent('#title');
    await page.click('#lang');
    await page.click('#language-list [data-lang="en"]');
    await page.waitForSelector('html[data-lang="en"]');
    const en = await page.textContent('#title');
    expect(ja).toMatch(/マイナンバーカード/);
    expect(en).toMatch(/My Number card/);
  });
});
