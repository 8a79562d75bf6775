/**
 * Nobody left stuck, in Debian's Chromium: the station's card reader is unplugged -> the
 * health monitor's check raises reader_gone -> the kiosk page shows the out-of-service screen
 * naming the reader; a card left on the reader 30 s after its session -> the page shows and
 * speaks the reminder (when espeak-ng or Open JTalk rendered it) and card_left is raised; the
 * language, text size and volume a resident chose go back to the station's defaults
 * (web.defaultLanguage) when the card is removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimCardReader } from '../../hardware/card/sim-card-reader.js';
import { CoreHarness } from '../../controller/app/testing/harness.js';
import { FakeJpkiCard, ManualTimers, testRoot } from '../../controller/app/testing/fakes.js';
import { HealthMonitor } from '../../controller/health-monitor.js';
import { silentLogger } from '../../controller/log.js';
import { kioskPublisher, registerKioskRoutes } from '../../controller/web/kiosk-routes.js';
import { WebServer } from '../../controller/web/server.js';
import { findSpeechEngines, generateSpeech } from '../../controller/web/speech.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/browser.js';

const engines = findSpeechEngines();
const speaks = !!(engines.espeak || engines.openJtalk);
let browser: Browser;
let speechDir: string;
let web: WebServer;
let h: CoreHarness;
let timers: ManualTimers;
let page: Page;
let card: FakeJpkiCard;

beforeAll(async () => {
  speechDir = mkdtempSync(path.join(tmpdir(), 'kiosk-stuck-speech-'));
  if (speaks) await generateSpeech({ dir: speechDir, engines, languages: ['pt-BR'] });
  card = FakeJpkiCard.make(testRoot(), 'left-card');
  // The kiosk browser plays guidance without a tap (as the station's kiosk Chromium does).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'],
    headless: true,
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  rmSync(speechDir, { recursive: true, force: true });
});

beforeEach(async () => {
  web = new WebServer({ host: '127.0.0.1', port: 0, pages: { '/': 'kiosk.html' } }, silentLogger());
  timers = new ManualTimers();
  h = new CoreHarness({ timers, publish: kioskPublisher(web) });
  // The station's web.defaultLanguage is pt-BR here: the page starts in it and returns to it.
  registerKioskRoutes(web, () => h.session, { defaultLanguage: 'pt-BR', speechDir });
  await web.start();
  await h.start();
  page = await browser.newPage({ viewport: { width: 800, height: 480 } });
  await page.goto(web.url);
  await page.waitForSelector('body[data-connection="ok"][data-screen="idle"]');
  await page.waitForSelector('html[data-lang="pt-BR"][lang="pt-BR"]');
});
afterEach(async () => {
  await page?.close();
  await h.stop();
  await web.stop();
});

describe('kiosk: nobody stuck', () => {
  it('returns to web.defaultLanguage, normal text and volume when the card is removed', async () => {
    await page.click('#lang');
    await page.click('#language-list [data-lang="vi"]');
    await page.click('#large-text');
    await page.click('#volume');
    await page.waitForSelector('html[data-lang="vi"][lang="vi"][data-large="yes"]');
    // Something to collect, so the PIN is asked (with nothing here it never is).
    h.assign('d1', 'A01', card);
    h.loadDirect('A01');
    h.cards.insert(card);
    await page.waitForSelector('body[data-screen="pin"]');
    expect(await page.getAttribute('html', 'data-lang')).toBe('vi'); // kept for this resident
    h.cards.remove();
    await page.waitForSelector('body[data-error="card_removed"]');
    await h.session.settled;
    expect(timers.fire(10_000)).toBe(1); // the result screen gives way to idle
    await page.waitForSelector('html[data-lang="pt-BR"][data-large="no"]');
    expect(await page.getAttribute('#volume-label', 'data-msg-values')).toBe('{"level":2}');
  });

  it('shows the out-of-service screen, naming the reader, within one health check of unplugging it', async () => {
    const reader = new SimCardReader({ readers: ['Station Reader 0'] });
    await reader.start();
    const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-stuck-db-'));
    const monitor = new HealthMonitor({
      alarms: () => h.ledger.alarms,
      trust: { freshness: () => [], onFreshnessChange: () => () => {} },
      card: reader,
      storagePath: path.join(dir, 'station.db'),
      intervalMs: 3_600_000,
      now: () => new Date(),
      log: silentLogger(),
      freeBytes: () => 10 * 1024 ** 3,
    });
    await monitor.start();
    try {
      expect(await page.getAttribute('#title', 'data-msg')).toBe('screen.idle.title');
      reader.removeReader('Station Reader 0');
      monitor.check();
      await page.waitForSelector('#title[data-msg="outOfService.title"]');
      expect(
        await page.$$eval('#reasons li', (l) => l.map((e) => e.getAttribute('data-msg'))),
      ).toEqual(['outOfService.reader']);
      expect(await page.getAttribute('#status', 'data-msg')).toBe('status.outOfService');
      expect(await page.isVisible('#help-qr')).toBe(false); // no help line configured: "ask at the counter"
      expect(await page.getAttribute('#help-phone', 'data-msg')).toBe('help.none');
      // Plugged back in: the idle screen returns.
      reader.addReader('Station Reader 0');
      monitor.check();
      await page.waitForSelector('#title[data-msg="screen.idle.title"]');
    } finally {
      await monitor.stop();
      await reader.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reminds (spoken) and raises card_left when the card lies on the reader 30 s after the session', async () => {
    h.checker.answer = { valid: false, reason: 'revoked' };
    h.cards.insert(card);
    await page.waitForSelector('body[data-screen="error"][data-error="cert_revoked"]');
    await h.session.settled;
    const spoken = speaks
      ? page.evaluate(
          () =>
            new Promise<string | null>((resolve, reject) => {
              const a = document.getElementById('voice') as HTMLAudioElement;
              const onEnd = () => {
                if (a.getAttribute('data-speech') === 'reminder')
                  resolve(a.getAttribute('data-speech'));
              };
              a.addEventListener('ended', onEnd);
              a.addEventListener('error', () => reject(new Error(`audio error ${a.error?.code}`)));
            }),
        )
      : Promise.resolve('reminder');
    expect(timers.fire(30_000)).toBe(1);
    await page.waitForSelector('#title[data-msg="reminder.title"]');
    expect(await spoken).toBe('reminder');
    expect(h.ledger.alarms.alarms().map((a) => a.alarm)).toEqual(['card_left']);
    h.cards.remove();
    await page.waitForSelector('#title[data-msg="screen.idle.title"]');
    expect(h.ledger.alarms.alarms()).toEqual([]);
  });
});
