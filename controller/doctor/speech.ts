import { KIOSK_LANGUAGES, utterances } from '../../shared/i18n/catalogue.js';
import {
  findSpeechEngines,
  readSpeechManifest,
  SPEECH_DIR,
  type SpeechEngines,
} from '../web/speech.js';
import type { Check, CheckResult } from './checks.js';

/**
 * Kiosk speech: which languages have their guidance rendered, with which engine, and what is
 * missing. Never needed: a station without speech works silently.
 */
export function speechResult(engines: SpeechEngines, dir = SPEECH_DIR): CheckResult {
  const name = 'kiosk speech';
  const manifest = readSpeechManifest(dir);
  const spoken = KIOSK_LANGUAGES.filter((l) => {
    const files = manifest?.languages[l]?.files ?? {};
    return utterances(l).every((u) => files[u.id]);
  });
  const tools = [
    engines.openJtalk ? 'Open JTalk' : 'no Open JTalk voice',
    engines.espeak ? 'espeak-ng' : 'no espeak-ng',
  ].join(', ');
  if (spoken.includes('ja'))
    return {
      name,
      status: 'ok',
      detail: `${spoken.length}/${KIOSK_LANGUAGES.length} languages spoken (${manifest!.languages.ja!.engine} for ja); ${tools}`,
      required: false,
    };
  return {
    name,
    status: 'fail',
    detail: manifest
      ? `Japanese guidance missing; the kiosk is silent in Japanese (${tools})`
      : `no speech rendered; the kiosk is silent (${tools})`,
    remedy:
      engines.espeak || engines.openJtalk
        ? 'run scripts/speech.sh generate'
        : 'run scripts/speech.sh (installs open-jtalk, open-jtalk-mecab-naist-jdic, hts-voice-nitech-jp-atr503-m001, espeak-ng, then renders)',
    required: false,
  };
}

export const kioskSpeech: Check = {
  name: 'kiosk speech',
  run: (config) =>
    config.web.enabled
      ? speechResult(findSpeechEngines())
      : { name: 'kiosk speech', status: 'skip', detail: 'web.enabled is false', required: false },
};
