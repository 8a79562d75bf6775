/**
 * Spoken guidance: the generator renders every screen's guidance from the catalogue with the
 * engines installed here (Open JTalk or espeak-ng for Japanese, espeak-ng for the others), and
 * the kiosk page in Debian's Chromium plays one screen's guidance to its end. Needs espeak-ng
 * (scripts/speech.sh install); skipped with a note without it, failed under CI=true.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIOSK_LANGUAGES, utterances } from '../../shared/i18n/catalogue.js';
import { silentLogger } from '../../controller/log.js';
import { WebServer } from '../../controller/web/server.js';
import { registerKioskRoutes } from '../../controller/web/kiosk-routes.js';
import {
  findSpeechEngines,
  generateSpeech,
  readSpeechManifest,
} from '../../controller/web/speech.js';
import { launchChromium } from '../support/browser.js';

const engines = findSpeechEngines();
const missing = !engines.espeak;
if (missing) {
  const note =
    'espeak-ng is not installed: apt-get install espeak-ng (or scripts/speech.sh install)';
  if (process.env.CI === 'true') throw new Error(note);
  console.warn(`kiosk speech suite skipped: ${note}`);
}

describe.skipIf(missing)('kiosk speech', () => {
  let dir: string;
  let browser: Browser;
  let web: WebServer;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kiosk-speech-'));
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await web?.stop();
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'renders every spoken screen in Japanese and at least two other languages',
    { timeout: 180_000 },
    async () => {
      const report = await generateSpeech({ dir, engines });
      const manifest = readSpeechManifest(dir)!;
      const spoken = KIOSK_LANGUAGES.filter((l) => manifest.languages[l]);
      expect(spoken).toContain('ja');
      expect(spoken.filter((l) => l !== 'ja' && l !== 'ja-easy').length).toBeGreaterThanOrEqual(2);
      for (const lang of spoken) {
        const files = manifest.languages[lang]!.files;
        for (const u of utterances(lang)) {
          expect(files[u.id], `${lang} ${u.id}`).toBe(`${lang}/${u.id}.wav`);
          const wav = path.join(dir, files[u.id]!);
          expect(readFileSync(wav).subarray(0, 4).toString('latin1')).toBe('RIFF');
          expect(statSync(wav).size).toBeGreaterThan(1000);
        }
      }
      expect(report.ja!.engine).toBe(engines.openJtalk ? 'open_jtalk' : 'espeak-ng');
      // A second run renders nothing: the texts did not change.
      const again = await generateSpeech({ dir, engines, languages: ['ja'] });
      expect(again.ja).toEqual({
        engine: report.ja!.engine,
        written: 0,
        kept: utterances('ja').length,
      });
    },
  );

  it(
    'plays the idle screen guidance through the page, to its end, on "repeat"',
    { timeout: 60_000 },
    async () => {
      if (!readSpeechManifest(dir)) await generateSpeech({ dir, engines, languages: ['ja'] });
      web = new WebServer(
        { host: '127.0.0.1', port: 0, pages: { '/': 'kiosk.html' } },
        silentLogger(),
      );
      registerKioskRoutes(web, () => undefined, { defaultLanguage: 'ja', speechDir: dir });
      await web.start();
      web.publish('kiosk', {
        screen: 'idle',
        rev: 1,
        station: {
          name: 'S',
          hours: { open: '00:00', close: '00:00' },
          open: true,
          mode: 'active',
          alarms: 0,
          crlStale: false,
        },
      });
      const page = await browser.newPage({ viewport: { width: 800, height: 480 } });
      try {
        await page.goto(web.url);
        await page.waitForSelector('body[data-rev="1"]');
        await page.waitForSelector('#repeat:not([disabled])');
        const ended = page.evaluate(
          () =>
            new Promise<{
              ended: boolean;
              error: string | null;
              src: string;
              speech: string | null;
            }>((resolve) => {
              const a = document.getElementById('voice') as HTMLAudioElement;
              a.addEventListener('ended', () =>
                resolve({
                  ended: true,
                  error: null,
                  src: a.currentSrc,
                  speech: a.getAttribute('data-speech'),
                }),
              );
              a.addEventListener('error', () =>
                resolve({
                  ended: false,
                  error: String(a.error?.code),
                  src: a.currentSrc,
                  speech: null,
                }),
              );
            }),
        );
        await page.click('#repeat');
        const r = await ended;
        expect(r).toEqual({
          ended: true,
          error: null,
          src: `${web.url}/speech/ja/screen.idle.wav`,
          speech: 'screen.idle',
        });
      } finally {
        await page.close();
      }
    },
  );
});
