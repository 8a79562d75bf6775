/**
 * Every kiosk screen x every language x both panels, in Debian's Chromium (playwright-core):
 * nothing cut off or off the screen, no page scroll, touch targets of 15 mm or more, every text
 * from the catalogue, and no serious or critical axe-core violation. The page is served by the
 * station's own web server and fed the states the daemon publishes; the offline screen comes
 * from really stopping that server. Screenshots of each go to test-artifacts/kiosk-screens/.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIOSK_LANGUAGES } from '../../shared/i18n/catalogue.js';
import { silentLogger } from '../../controller/log.js';
import { WebServer } from '../../controller/web/server.js';
import { registerKioskRoutes } from '../../controller/web/kiosk-routes.js';
import { artifactDir, launchChromium } from '../support/browser.js';
import {
  axeProblems,
  injectAxe,
  kioskScreens,
  layoutProblems,
  messageProblems,
  PANELS,
  pxForMm,
  TOUCH_MM,
} from '../support/kiosk-page.js';

const HELP = { phone: '0120-000-123', hours: '24時間 / 24 h', text: '', qr: '' };
const SHOTS = process.env.KIOSK_SCREENSHOTS === '1';
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function startWeb(): Promise<WebServer> {
  const web = new WebServer(
    { host: '127.0.0.1', port: 0, pages: { '/': 'kiosk.html' } },
    silentLogger(),
  );
  registerKioskRoutes(web, () => undefined, { defaultLanguage: 'ja', help: HELP });
  await web.start();
  return web;
}

async function check(page: Page, minPx: number, label: string): Promise<string[]> {
  const problems = [
    ...(await layoutProblems(page, minPx)),
    ...(await messageProblems(page)),
    ...(await axeProblems(page)),
  ];
  return problems.map((p) => `${label}: ${p}`);
}

for (const panel of PANELS)
  describe(`kiosk screens at ${panel.name}`, () => {
    const minPx = pxForMm(panel, TOUCH_MM);
    const dir = artifactDir('kiosk-screens', panel.name);

    it.each(KIOSK_LANGUAGES)('every screen in %s', { timeout: 300_000 }, async (lang) => {
      const web = await startWeb();
      const page = await browser.newPage({
        viewport: { width: panel.width, height: panel.height },
      });
      const problems: string[] = [];
      try {
        await page.goto(`${web.url}/?lang=${lang}`);
        await page.waitForSelector('body[data-connection="ok"]');
        await injectAxe(page);
        let rev = 0;
        for (const { name, state } of kioskScreens()) {
          rev += 1;
          web.publish('kiosk', { ...state, rev });
          await page.waitForSelector(`body[data-rev="${rev}"]`);
          expect(await page.getAttribute('html', 'data-lang')).toBe(lang);
          problems.push(...(await check(page, minPx, name)));
          if (SHOTS) await page.screenshot({ path: path.join(dir, `${lang}-${name}.png`) });
        }
        // The language picker, opened from the idle screen.
        rev += 1;
        web.publish('kiosk', { ...kioskScreens()[0]!.state, rev });
        await page.waitForSelector(`body[data-rev="${rev}"]`);
        await page.click('#lang');
        await page.waitForSelector('body[data-overlay="languages"]');
        problems.push(...(await check(page, minPx, 'languages')));
        await page.click('#languages-back');
        // Large text on the PIN pad and an error screen.
        await page.click('#large-text');
        for (const name of ['pin-wrong', 'error-cert_revoked', 'out-of-service-all']) {
          const s = kioskScreens().find((x) => x.name === name)!;
          rev += 1;
          web.publish('kiosk', { ...s.state, rev });
          await page.waitForSelector(`body[data-rev="${rev}"]`);
          if ((await page.getAttribute('html', 'data-large')) !== 'yes')
            await page.click('#large-text');
          problems.push(...(await check(page, minPx, `large ${name}`)));
        }
        // The daemon stops: the page must not keep saying it is open.
        await web.stop();
        await page.waitForSelector('body[data-connection="lost"]');
        expect(await page.getAttribute('#status', 'data-msg')).toBe('status.offline');
        problems.push(...(await check(page, minPx, 'offline')));
        if (SHOTS) await page.screenshot({ path: path.join(dir, `${lang}-offline.png`) });
      } finally {
        await page.close();
        await web.stop();
      }
      expect(problems).toEqual([]);
    });
  });

describe('the screen checks themselves', () => {
  it('report a small target, clipped text, a foreign text and low contrast', async () => {
    const web = await startWeb();
    const page = await browser.newPage({ viewport: { width: 800, height: 480 } });
    try {
      await page.goto(`${web.url}/?lang=en`);
      await page.waitForSelector('body[data-connection="ok"]');
      await injectAxe(page);
      web.publish('kiosk', { ...kioskScreens().find((s) => s.name === 'pin')!.state, rev: 1 });
      await page.waitForSelector('body[data-rev="1"]');
      expect(await check(page, pxForMm(PANELS[0], TOUCH_MM), 'pin')).toEqual([]);
      await page.addStyleTag({
        content:
          '#key-clear{min-height:0;height:30px!important} #cancel{color:#2a2a2a!important;background:#222!important}' +
          ' #title{white-space:nowrap;overflow:hidden;width:60px}',
      });
      await page.evaluate(() => {
        document.getElementById('body')!.removeAttribute('data-msg');
      });
      const problems = await check(page, pxForMm(PANELS[0], TOUCH_MM), 'broken');
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^broken: #key-clear target \d+x30 < 79px$/),
          'broken: #title text cut off',
          expect.stringMatching(/^broken: body: ".*" is not from the catalogue$/),
          expect.stringMatching(/^broken: serious color-contrast: .*#cancel/),
        ]),
      );
    } finally {
      await page.close();
      await web.stop();
    }
  });
});
