import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { utterances } from '../../shared/i18n/catalogue.js';
import { speechResult } from './speech.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function folder(manifest?: unknown): string {
  const d = mkdtempSync(path.join(tmpdir(), 'doctor-speech-'));
  dirs.push(d);
  if (manifest) writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(manifest));
  return d;
}
const none = { openJtalk: null, espeak: null };

describe('doctor: kiosk speech', () => {
  it('says the kiosk is silent and what to install when nothing was rendered', () => {
    const r = speechResult(none, folder());
    expect(r).toMatchObject({ status: 'fail', required: false });
    expect(r.detail).toBe(
      'no speech rendered; the kiosk is silent (no Open JTalk voice, no espeak-ng)',
    );
    expect(r.remedy).toMatch(/scripts\/speech\.sh .*open-jtalk.*espeak-ng/);
  });

  it('counts the languages whose every screen is rendered', () => {
    const files = (l: 'ja' | 'en') =>
      Object.fromEntries(utterances(l).map((u) => [u.id, `${l}/${u.id}.wav`]));
    const en = files('en');
    delete en['screen.idle'];
    const r = speechResult(
      { openJtalk: null, espeak: '/usr/bin/espeak-ng' },
      folder({
        languages: {
          ja: { engine: 'espeak-ng', files: files('ja') },
          en: { engine: 'espeak-ng', files: en },
        },
      }),
    );
    expect(r).toMatchObject({ status: 'ok', required: false });
    expect(r.detail).toBe(
      '1/9 languages spoken (espeak-ng for ja); no Open JTalk voice, espeak-ng',
    );
  });
});
