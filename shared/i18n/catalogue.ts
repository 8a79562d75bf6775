/**
 * The kiosk's message catalogue: one typed table per language, checked for completeness, used
 * by the kiosk page (served as JSON by the daemon), its browser tests, and the speech generator
 * that renders each screen's guidance to audio ahead of time.
 *
 * Markup inside a message (see messages/ja.ts): `{name}` placeholders, `{漢字|かんじ}` words with
 * their reading.
 */
import { en } from './messages/en.js';
import { jaEasy } from './messages/ja-easy.js';
import { ja, type MessageKey, type Messages } from './messages/ja.js';
import { ko } from './messages/ko.js';
import { ne } from './messages/ne.js';
import { ptBR } from './messages/pt-BR.js';
import { tl } from './messages/tl.js';
import { vi } from './messages/vi.js';
import { zhHans } from './messages/zh-Hans.js';
import { KIOSK_ERROR_CODES, KIOSK_SCREENS, OUT_OF_SERVICE_REASONS } from '../kiosk/state.js';

export type { MessageKey, Messages } from './messages/ja.js';

/** The kiosk's languages, in the order the language picker shows them. */
export const KIOSK_LANGUAGES = [
  'ja',
  'ja-easy',
  'en',
  'zh-Hans',
  'vi',
  'ko',
  'pt-BR',
  'tl',
  'ne',
] as const;
export type KioskLanguage = (typeof KIOSK_LANGUAGES)[number];

export interface LanguageInfo {
  code: KioskLanguage;
  /** The language's name in itself, as the picker shows it. */
  name: string;
  /** BCP 47 tag for the page's `lang` attribute (やさしい日本語 is Japanese). */
  htmlLang: string;
  /** Shows readings as furigana (`<ruby>`). */
  furigana: boolean;
  /** espeak-ng voice when a language has no better engine; null: no voice exists (silent). */
  espeakVoice: string | null;
  /** Spoken with Open JTalk when its voice is installed. */
  openJtalk: boolean;
}

export const LANGUAGE_INFO: Readonly<Record<KioskLanguage, LanguageInfo>> = {
  ja: {
    code: 'ja',
    name: '日本語',
    htmlLang: 'ja',
    furigana: false,
    espeakVoice: 'ja',
    openJtalk: true,
  },
  'ja-easy': {
    code: 'ja-easy',
    name: 'やさしい にほんご',
    htmlLang: 'ja',
    furigana: true,
    espeakVoice: 'ja',
    openJtalk: true,
  },
  en: {
    code: 'en',
    name: 'English',
    htmlLang: 'en',
    furigana: false,
    espeakVoice: 'en-us',
    openJtalk: false,
  },
  'zh-Hans': {
    code: 'zh-Hans',
    name: '简体中文',
    htmlLang: 'zh-Hans',
    furigana: false,
    espeakVoice: 'cmn',
    openJtalk: false,
  },
  vi: {
    code: 'vi',
    name: 'Tiếng Việt',
    htmlLang: 'vi',
    furigana: false,
    espeakVoice: 'vi',
    openJtalk: false,
  },
  ko: {
    code: 'ko',
    name: '한국어',
    htmlLang: 'ko',
    furigana: false,
    espeakVoice: 'ko',
    openJtalk: false,
  },
  'pt-BR': {
    code: 'pt-BR',
    name: 'Português (Brasil)',
    htmlLang: 'pt-BR',
    furigana: false,
    espeakVoice: 'pt-br',
    openJtalk: false,
  },
  // espeak-ng has no Tagalog voice: the Tagalog screens are silent.
  tl: {
    code: 'tl',
    name: 'Tagalog',
    htmlLang: 'tl',
    furigana: false,
    espeakVoice: null,
    openJtalk: false,
  },
  ne: {
    code: 'ne',
    name: 'नेपाली',
    htmlLang: 'ne',
    furigana: false,
    espeakVoice: 'ne',
    openJtalk: false,
  },
};

/** Every language's messages. */
export const CATALOGUE: Readonly<Record<KioskLanguage, Messages>> = {
  ja,
  'ja-easy': jaEasy,
  en,
  'zh-Hans': zhHans,
  vi,
  ko,
  'pt-BR': ptBR,
  tl,
  ne,
};

/** The catalogue's keys, in the reference (Japanese) order. */
export const MESSAGE_KEYS = Object.keys(ja) as MessageKey[];

export function isKioskLanguage(s: unknown): s is KioskLanguage {
  return typeof s === 'string' && (KIOSK_LANGUAGES as readonly string[]).includes(s);
}

const RUBY = /\{([^{}|]+)\|([^{}|]+)\}/g;
const PLACEHOLDER = /\{([a-zA-Z]+)\}/g;
/** Han ideographs (CJK Unified, Extension A, compatibility) and the iteration mark 々. */
const KANJI = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]/;

/** A message split into plain runs and words with readings. */
export type Segment = { text: string } | { base: string; reading: string };

/** Fills `{name}` placeholders; a missing value leaves the placeholder visible. */
export function fill(
  message: string,
  values: Readonly<Record<string, string | number>> = {},
): string {
  return message.replace(PLACEHOLDER, (all, name: string) =>
    name in values ? String(values[name]) : all,
  );
}

/** Splits a (filled) message into runs and ruby words. */
export function segments(message: string): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const m of message.matchAll(RUBY)) {
    if (m.index > at) out.push({ text: message.slice(at, m.index) });
    out.push({ base: m[1]!, reading: m[2]! });
    at = m.index + m[0].length;
  }
  if (at < message.length) out.push({ text: message.slice(at) });
  return out;
}

/** The message as it reads without furigana. */
export function plainText(message: string): string {
  return message.replace(RUBY, '$1');
}

/** The message with every annotated word replaced by its reading (kana for Japanese). */
export function readingText(message: string): string {
  return message.replace(RUBY, '$2');
}

/** The message in `lang`, placeholders filled, markup removed. */
export function text(
  lang: KioskLanguage,
  key: MessageKey,
  values?: Readonly<Record<string, string | number>>,
): string {
  return plainText(fill(CATALOGUE[lang][key], values));
}

function placeholders(message: string): string[] {
  return [...message.replace(RUBY, '').matchAll(PLACEHOLDER)].map((m) => m[1]!).sort();
}

/**
 * Every problem in the catalogue, as `lang key: what`: a missing or extra key, an empty message,
 * placeholders that differ from the Japanese, broken markup, a Japanese kanji without its
 * reading (espeak-ng could not speak it), furigana in a language that does not use it.
 */
export function catalogueProblems(
  catalogue: Readonly<Record<string, Readonly<Record<string, string>>>> = CATALOGUE,
): string[] {
  const problems: string[] = [];
  for (const lang of KIOSK_LANGUAGES) {
    const messages = catalogue[lang];
    if (!messages) {
      problems.push(`${lang}: no messages`);
      continue;
    }
    const japanese = LANGUAGE_INFO[lang].htmlLang === 'ja';
    for (const key of MESSAGE_KEYS) {
      const m = messages[key];
      if (m === undefined) {
        problems.push(`${lang} ${key}: missing`);
        continue;
      }
      if (m.trim() === '') problems.push(`${lang} ${key}: empty`);
      if (placeholders(m).join(',') !== placeholders(ja[key]).join(','))
        problems.push(`${lang} ${key}: placeholders {${placeholders(m).join('}, {')}} differ`);
      const rest = m.replace(RUBY, '').replace(PLACEHOLDER, '');
      if (/[{}|]/.test(rest)) problems.push(`${lang} ${key}: broken markup`);
      if (japanese && KANJI.test(readingText(m).replace(/Language|[A-Za-z]/g, '')))
        problems.push(`${lang} ${key}: kanji without a reading`);
      if (!japanese && RUBY.test(m))
        problems.push(`${lang} ${key}: furigana in a non-Japanese text`);
      RUBY.lastIndex = 0;
    }
    for (const key of Object.keys(messages))
      if (!(MESSAGE_KEYS as string[]).includes(key))
        problems.push(`${lang} ${key}: not a catalogue key`);
  }
  return problems;
}

/** One spoken guidance: the title and body of one screen, rendered to `<lang>/<id>.wav`. */
export interface Utterance {
  id: string;
  /** What Open JTalk reads (kanji and all). */
  text: string;
  /** What espeak-ng reads: the readings in kana for Japanese, else the same as `text`. */
  reading: string;
}

/** The wrong-PIN counts the pad can show (JPKI user-authentication PIN: 3 tries). */
export const SPOKEN_TRIES = [2] as const;

/** The message keys each spoken screen reads, in order (ids are what the page asks for). */
export function spokenScreens(): {
  id: string;
  keys: MessageKey[];
  values?: Record<string, number>;
}[] {
  const list: { id: string; keys: MessageKey[]; values?: Record<string, number> }[] = [];
  for (const s of KIOSK_SCREENS) {
    // The out-of-service screen speaks its reasons (outOfService.* below).
    if (s === 'error' || s === 'out_of_service') continue;
    list.push({ id: `screen.${s}`, keys: [`screen.${s}.title`, `screen.${s}.body`] });
  }
  for (const n of SPOKEN_TRIES)
    list.push({ id: `pin.wrongPin.${n}`, keys: ['pin.wrongPin'], values: { n } });
  list.push({ id: 'pin.lastTry', keys: ['pin.lastTry'] });
  list.push({ id: 'pin.phone', keys: ['screen.pin.title', 'pin.phone'] });
  for (const e of KIOSK_ERROR_CODES)
    list.push({ id: `error.${e}`, keys: [`error.${e}.title`, `error.${e}.body`] });
  for (const r of OUT_OF_SERVICE_REASONS)
    list.push({
      id: `outOfService.${r}`,
      keys: ['outOfService.title', `outOfService.${r}`, 'outOfService.body'],
    });
  list.push({ id: 'offline', keys: ['offline.title', 'offline.body'] });
  list.push({ id: 'reminder', keys: ['reminder.title', 'reminder.body'] });
  list.push({ id: 'moreTime', keys: ['moreTime.title', 'moreTime.body'] });
  return list;
}

/** Every spoken guidance of `lang`. */
export function utterances(lang: KioskLanguage): Utterance[] {
  const messages = CATALOGUE[lang];
  const sep = LANGUAGE_INFO[lang].htmlLang === 'ja' || lang === 'zh-Hans' ? '' : ' ';
  return spokenScreens().map(({ id, keys, values }) => {
    const parts = keys.map((k) => fill(messages[k], values));
    const join = (f: (s: string) => string) =>
      parts
        .map(f)
        .map((p) => (/[.!?。！？।]$/.test(p) || sep === '' ? p : p + '.'))
        .map((p) => (sep === '' && !/[。！？]$/.test(p) ? p + '。' : p))
        .join(sep);
    return { id, text: join(plainText), reading: join(readingText) };
  });
}
