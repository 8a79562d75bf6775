/**
 * Spoken guidance for the kiosk: pre-rendered audio, one file per screen and language, made
 * from the message catalogue by `scripts/speech.sh generate` at install or build time. The page
 * reads `speech/manifest.json` beside its static files and plays `speech/<lang>/<id>.wav`.
 *
 * Engines: Japanese (and やさしい日本語) with Open JTalk (`open_jtalk`, the naist-jdic dictionary
 * and the nitech-jp-atr503-m001 voice) when all three are installed, else espeak-ng's Japanese
 * voice reading the kana; every other language with espeak-ng; a language without a voice is
 * left out (its screens are silent).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  KIOSK_LANGUAGES,
  LANGUAGE_INFO,
  utterances,
  type KioskLanguage,
} from '../../shared/i18n/catalogue.js';
import { STATIC_DIR } from './server.js';

const run = promisify(execFile);

/** Where the audio and its manifest go by default (served at /speech/). */
export const SPEECH_DIR = path.join(STATIC_DIR, 'speech');

/** Debian's paths for Open JTalk's dictionary and voice. */
export const OPEN_JTALK_DIC = '/var/lib/mecab/dic/open-jtalk/naist-jdic';
export const OPEN_JTALK_VOICE_DIR = '/usr/share/hts-voice';
const VOICE_FILE = 'nitech_jp_atr503_m001.htsvoice';

export interface SpeechManifest {
  languages: Partial<
    Record<
      KioskLanguage,
      {
        engine: 'open_jtalk' | 'espeak-ng';
        voice: string;
        /** Utterance id -> path under the speech folder. */
        files: Record<string, string>;
        /** Utterance id -> SHA-256 of engine, voice and text (a changed message is re-rendered). */
        hashes: Record<string, string>;
      }
    >
  >;
}

/** The speech engines found on this machine. */
export interface SpeechEngines {
  openJtalk: { bin: string; dic: string; voice: string } | null;
  espeak: string | null;
}

function which(bin: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
    const f = path.join(dir, bin);
    if (existsSync(f)) return f;
  }
  return null;
}

function findVoice(dir: string): string | null {
  if (!existsSync(dir)) return null;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name === VOICE_FILE) return path.join(e.parentPath, e.name);
  }
  return null;
}

export function findSpeechEngines(): SpeechEngines {
  const bin = which('open_jtalk');
  const voice = findVoice(OPEN_JTALK_VOICE_DIR);
  const dic = existsSync(path.join(OPEN_JTALK_DIC, 'sys.dic')) ? OPEN_JTALK_DIC : null;
  return {
    openJtalk: bin && voice && dic ? { bin, dic, voice } : null,
    espeak: which('espeak-ng'),
  };
}

export function readSpeechManifest(dir = SPEECH_DIR): SpeechManifest | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as SpeechManifest;
  } catch {
    return null;
  }
}

/** Which engine and voice speak `lang` here, or null (silent). */
export function engineFor(
  lang: KioskLanguage,
  engines: SpeechEngines,
): { engine: 'open_jtalk' | 'espeak-ng'; voice: string } | null {
  const info = LANGUAGE_INFO[lang];
  if (info.openJtalk && engines.openJtalk)
    return { engine: 'open_jtalk', voice: path.basename(engines.openJtalk.voice) };
  if (info.espeakVoice && engines.espeak) return { engine: 'espeak-ng', voice: info.espeakVoice };
  return null;
}

/**
 * Renders every utterance of every language that has a voice into `dir`, skipping files whose
 * text, engine and voice are unchanged, and writes the manifest. Returns files written per language.
 */
export async function generateSpeech(
  options: { dir?: string; engines?: SpeechEngines; languages?: readonly KioskLanguage[] } = {},
): Promise<Record<string, { engine: string; written: number; kept: number }>> {
  const dir = options.dir ?? SPEECH_DIR;
  const engines = options.engines ?? findSpeechEngines();
  const old = readSpeechManifest(dir);
  const manifest: SpeechManifest = { languages: {} };
  const report: Record<string, { engine: string; written: number; kept: number }> = {};
  for (const lang of options.languages ?? KIOSK_LANGUAGES) {
    const chosen = engineFor(lang, engines);
    if (!chosen) continue;
    mkdirSync(path.join(dir, lang), { recursive: true });
    const entry = {
      ...chosen,
      files: {} as Record<string, string>,
      hashes: {} as Record<string, string>,
    };
    const r = { engine: chosen.engine, written: 0, kept: 0 };
    for (const u of utterances(lang)) {
      const said = chosen.engine === 'open_jtalk' ? u.text : u.reading;
      const hash = createHash('sha256')
        .update(`${chosen.engine}\n${chosen.voice}\n${said}`)
        .digest('hex');
      const rel = `${lang}/${u.id}.wav`;
      const file = path.join(dir, rel);
      if (old?.languages[lang]?.hashes[u.id] !== hash || !existsSync(file)) {
        const tmp = `${file}.tmp.wav`;
        if (chosen.engine === 'open_jtalk') await openJtalk(engines.openJtalk!, said, tmp);
        else await run(engines.espeak!, ['-v', chosen.voice, '-s', '145', '-w', tmp, said]);
        renameSync(tmp, file);
        r.written += 1;
      } else r.kept += 1;
      entry.files[u.id] = rel;
      entry.hashes[u.id] = hash;
    }
    manifest.languages[lang] = entry;
    report[lang] = r;
  }
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  return report;
}

async function openJtalk(
  e: NonNullable<SpeechEngines['openJtalk']>,
  text: string,
  out: string,
): Promise<void> {
  const input = `${out}.txt`;
  writeFileSync(input, text + '\n');
  // -r 0.9: a little slower than the voice's default, for the elderly.
  try {
    await run(e.bin, ['-x', e.dic, '-m', e.voice, '-r', '0.9', '-ow', out, input]);
  } finally {
    rmSync(input, { force: true });
  }
}
