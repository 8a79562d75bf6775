import { describe, expect, it } from 'vitest';
import {
  CATALOGUE,
  catalogueProblems,
  fill,
  KIOSK_LANGUAGES,
  MESSAGE_KEYS,
  plainText,
  readingText,
  segments,
  utterances,
} from './catalogue.js';

describe('kiosk catalogue', () => {
  it('has every key in every language, same placeholders, readings for every kanji', () => {
    expect(catalogueProblems()).toEqual([]);
  });

  it('reports a missing key, an extra key, a changed placeholder and a bare kanji', () => {
    const broken = Object.fromEntries(
      KIOSK_LANGUAGES.map((l) => [l, { ...CATALOGUE[l] } as Record<string, string>]),
    );
    delete broken.en!['ui.ok'];
    broken.vi!['ui.extra'] = 'x';
    broken.ko!['pin.tries'] = '남은 횟수 {count}회';
    broken.ja!['ui.clear'] = '消去';
    broken.en!['ui.cancel'] = '{Cancel|x}';
    expect(catalogueProblems(broken)).toEqual([
      'ja ui.clear: kanji without a reading',
      'en ui.ok: missing',
      'en ui.cancel: furigana in a non-Japanese text',
      'vi ui.extra: not a catalogue key',
      'ko pin.tries: placeholders {count} differ',
    ]);
  });

  it('splits ruby words, fills placeholders, gives text and reading', () => {
    const m = CATALOGUE['ja-easy']['pin.tries'];
    expect(segments(fill(m, { n: 2 }))).toEqual([
      { text: 'あと 2' },
      { base: '回', reading: 'かい' },
    ]);
    expect(plainText('{暗証番号|あんしょうばんごう}')).toBe('暗証番号');
    expect(readingText('{暗証番号|あんしょうばんごう}')).toBe('あんしょうばんごう');
    expect(fill('{a} {b}', { a: 1 })).toBe('1 {b}');
  });

  it('speaks every screen in every language, with no markup left', () => {
    for (const lang of KIOSK_LANGUAGES) {
      const list = utterances(lang);
      expect(list.map((u) => u.id)).toContain('screen.idle');
      expect(list.map((u) => u.id)).toContain('error.cert_revoked');
      for (const u of list) expect(u.text + u.reading).not.toMatch(/[{}|]/);
    }
    expect(utterances('ja').find((u) => u.id === 'screen.idle')!.reading).toMatch(
      /^マイナンバーカードをおいてください。/,
    );
    expect(MESSAGE_KEYS.length).toBeGreaterThan(100);
  });
});
