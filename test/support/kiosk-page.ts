/**
 * What a person at the kiosk would notice, checked in the page: something cut off or off the
 * screen, a target too small for a finger, a text that is not from the catalogue, and what
 * axe-core finds (serious and critical only, WCAG 2.x A/AA including 2.2).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import {
  CATALOGUE,
  fill,
  isKioskLanguage,
  plainText,
  type MessageKey,
} from '../../shared/i18n/catalogue.js';
import { KIOSK_ERROR_CODES, type KioskPageState } from '../../shared/kiosk/state.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The two panels: the official 7" Pi touchscreen and a 10.1" 1280x800 one. */
export const PANELS = [
  { name: '800x480', width: 800, height: 480, diagonalInch: 7 },
  { name: '1280x800', width: 1280, height: 800, diagonalInch: 10.1 },
] as const;
export type Panel = (typeof PANELS)[number];

/** Smallest text (CSS px) outside furigana. */
export const MIN_TEXT_PX = 14;

/** Smallest touch target, in millimetres on the glass. */
export const TOUCH_MM = 15;

/** CSS pixels for `mm` millimetres on a panel (the kiosk runs at device scale 1). */
export function pxForMm(panel: Panel, mm: number): number {
  const ppi = Math.hypot(panel.width, panel.height) / panel.diagonalInch;
  return (mm / 25.4) * ppi;
}

export async function injectAxe(page: Page): Promise<void> {
  await page.addScriptTag({ content: AXE_SOURCE });
}

/** Serious and critical axe-core violations, one line each. */
export async function axeProblems(page: Page): Promise<string[]> {
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<any> } })
      .axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      resultTypes: ['violations'],
    });
    return (r.violations as any[]).map((v) => ({
      id: v.id as string,
      impact: v.impact as string,
      targets: (v.nodes as any[]).map((n) => String(n.target)).slice(0, 3),
    }));
  });
  return result
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.targets.join(' ')}`);
}

/**
 * Layout problems: a visible element outside the viewport, a text box whose content overflows
 * (cut off), a page that scrolls, a button smaller than `minTargetPx` either way.
 */
export async function layoutProblems(page: Page, minTargetPx: number): Promise<string[]> {
  return page.evaluate(
    ([minPx, minText]) => {
      const out: string[] = [];
      const W = window.innerWidth;
      const H = window.innerHeight;
      const name = (el: Element) =>
        el.id
          ? `#${el.id}`
          : `${el.tagName.toLowerCase()}${el.getAttribute('data-msg') ? `[${el.getAttribute('data-msg')}]` : ''}`;
      const visible = (el: Element) => {
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) return false;
        const cs = getComputedStyle(el);
        return cs.visibility !== 'hidden' && cs.display !== 'none';
      };
      const doc = document.documentElement;
      if (doc.scrollHeight > H + 1 || doc.scrollWidth > W + 1)
        out.push(`page scrolls (${doc.scrollWidth}x${doc.scrollHeight})`);
      for (const el of Array.from(document.querySelectorAll('body *'))) {
        if (
          !visible(el) ||
          el.closest('[hidden]') ||
          el.tagName === 'AUDIO' ||
          el.tagName === 'SCRIPT'
        )
          continue;
        if (el.closest('.sr-only')) continue;
        const r = el.getBoundingClientRect();
        if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5)
          out.push(
            `${name(el)} outside the screen (${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.right)},${Math.round(r.bottom)})`,
          );
        const hasText = Array.from(el.childNodes).some(
          (n) => n.nodeType === 3 && n.textContent!.trim(),
        );
        if (
          hasText &&
          (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) &&
          el.clientHeight > 0
        ) {
          const cs = getComputedStyle(el);
          if (cs.overflow !== 'visible' || cs.overflowX !== 'visible')
            out.push(`${name(el)} text cut off`);
        }
        if (hasText && el.tagName !== 'RT' && parseFloat(getComputedStyle(el).fontSize) < minText)
          out.push(`${name(el)} text ${getComputedStyle(el).fontSize} < ${minText}px`);
        if (el.tagName === 'BUTTON' && (r.width < minPx - 0.5 || r.height < minPx - 0.5))
          out.push(
            `${name(el)} target ${Math.round(r.width)}x${Math.round(r.height)} < ${Math.round(minPx)}px`,
          );
        // A text box whose box spills out of its parent is cut off by the parent's overflow.
        const parent = el.parentElement;
        if (parent && hasText) {
          const p = parent.getBoundingClientRect();
          const pcs = getComputedStyle(parent);
          if (
            pcs.overflow === 'hidden' &&
            (r.bottom > p.bottom + 1 || r.right > p.right + 1 || r.top < p.top - 1)
          )
            out.push(`${name(el)} overflows ${name(parent)}`);
        }
      }
      return out;
    },
    [minTargetPx, MIN_TEXT_PX] as const,
  );
}

/**
 * Every visible text on the screen comes from the catalogue in the current language (data-msg
 * with the exact text), or is data the page shows as it is (data-free: station name, help line,
 * compartment ids, the clock, language names) or a digit key or an icon.
 */
export async function messageProblems(page: Page): Promise<string[]> {
  const found = await page.evaluate(() => {
    const texts: {
      key: string | null;
      values: string | null;
      text: string;
      free: boolean;
      where: string;
    }[] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      if (el.closest('[hidden]') || el.tagName === 'SCRIPT' || el.tagName === 'RT') continue;
      const own = Array.from(el.childNodes).filter(
        (n) => n.nodeType === 3 && n.textContent!.trim(),
      );
      const keyed = el.closest('[data-msg]');
      if (!own.length && !(el.hasAttribute('data-msg') && el.textContent!.trim())) continue;
      if (el.tagName === 'RUBY') continue;
      const free =
        !!el.closest('[data-free]') ||
        !!el.closest('[aria-hidden="true"]') ||
        (el.classList.contains('key') && /^[0-9]$/.test(el.textContent!.trim()));
      const holder = el.hasAttribute('data-msg') ? el : keyed;
      if (holder !== el && holder && !free) continue; // checked at its holder
      const clone = (holder ?? el).cloneNode(true) as Element;
      clone.querySelectorAll('rt').forEach((rt) => rt.remove());
      texts.push({
        key: holder?.getAttribute('data-msg') ?? null,
        values: holder?.getAttribute('data-msg-values') ?? null,
        text: clone.textContent!,
        free,
        where: (holder ?? el).id || (holder ?? el).tagName,
      });
    }
    return { lang: document.documentElement.getAttribute('data-lang'), texts };
  });
  const out: string[] = [];
  const lang = found.lang;
  if (!isKioskLanguage(lang)) return [`page language ${lang} is not in the catalogue`];
  for (const t of found.texts) {
    if (t.free) continue;
    if (!t.key) {
      out.push(`${t.where}: "${t.text}" is not from the catalogue`);
      continue;
    }
    const message = CATALOGUE[lang][t.key as MessageKey];
    if (message === undefined) {
      out.push(`${t.where}: key ${t.key} is not in the catalogue`);
      continue;
    }
    const expected = plainText(fill(message, t.values ? JSON.parse(t.values) : {}));
    if (t.text !== expected)
      out.push(`${t.where}: "${t.text}" is not ${lang} ${t.key} "${expected}"`);
  }
  return out;
}

const STATION = {
  name: '北区 受け取りステーション',
  hours: { open: '06:00', close: '23:00' },
  open: true,
  mode: 'active',
  alarms: 0,
  crlStale: false,
};

/** Every screen the kiosk can show, as the daemon publishes it. */
export function kioskScreens(): { name: string; state: Omit<KioskPageState, 'rev'> }[] {
  const s = (
    name: string,
    st: Partial<KioskPageState>,
    station: Partial<typeof STATION> & { outOfService?: string[] } = {},
  ) => ({
    name,
    state: { screen: 'idle', ...st, station: { ...STATION, ...station } } as Omit<
      KioskPageState,
      'rev'
    >,
  });
  const two = [
    { id: 'A01', state: 'open' as const },
    { id: 'A02', state: 'open' as const },
  ];
  const errors = KIOSK_ERROR_CODES;
  return [
    s('idle', {}),
    s('idle-closed', {}, { open: false }),
    s('idle-maintenance', {}, { mode: 'maintenance' }),
    s('idle-crl-stale', {}, { crlStale: true }),
    s('out-of-service-reader', {}, { outOfService: ['reader'] }),
    s('out-of-service-all', {}, { outOfService: ['reader', 'boards', 'outbox', 'crl'] }),
    s('out-of-service-screen', { screen: 'out_of_service' }, { outOfService: ['boards'] }),
    s('card-left', { reminder: 'card_left' }),
    s('reading', { screen: 'reading' }),
    s('pin', { screen: 'pin', triesLeft: 3 }),
    s('pin-wrong', { screen: 'pin', triesLeft: 2, wrongPin: true }),
    s('pin-last-try', { screen: 'pin', triesLeft: 1, wrongPin: true }),
    s('pin-phone', { screen: 'pin', triesLeft: 5, device: 'phone' }),
    s('pin-more-time', { screen: 'pin', triesLeft: 3, moreTime: { secondsLeft: 15 } }),
    s('verifying', { screen: 'verifying' }),
    s('opening', {
      screen: 'opening',
      compartments: two.map((c) => ({ ...c, state: 'opening' as const })),
    }),
    s('open', { screen: 'open', compartments: two }),
    s('collected', {
      screen: 'collected',
      compartments: two.map((c) => ({ ...c, state: 'closed' as const })),
    }),
    s('loading', { screen: 'loading', compartments: [{ id: 'A03', state: 'open' }] }),
    s('loaded', { screen: 'loaded', compartments: [{ id: 'A03', state: 'closed' }] }),
    s('retrieval', { screen: 'retrieval', compartments: [{ id: 'A04', state: 'open' }] }),
    s('door_open', { screen: 'door_open', door: 'entrance' }),
    ...errors.map((e) => s(`error-${e}`, { screen: 'error', error: e })),
    s('error-lock_failed-retry', {
      screen: 'error',
      error: 'lock_failed',
      canRetry: true,
      compartments: [
        { id: 'A01', state: 'open' },
        { id: 'A02', state: 'failed' },
      ],
    }),
    s('error-door_left_open-list', {
      screen: 'error',
      error: 'door_left_open',
      compartments: [
        { id: 'A01', state: 'left_open' },
        { id: 'A02', state: 'closed' },
      ],
    }),
    s('error-not_collected-list', {
      screen: 'error',
      error: 'not_collected',
      compartments: [{ id: 'A01', state: 'not_collected' }],
    }),
    s('lock-failed-more-time', {
      screen: 'error',
      error: 'lock_failed',
      canRetry: true,
      moreTime: { secondsLeft: 15 },
    }),
  ];
}
