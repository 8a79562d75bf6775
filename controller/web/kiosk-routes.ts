import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import QRCode from 'qrcode';
import { AUTH_PIN_PATTERN } from '../../shared/apdu/jpki.js';
import { Secret } from '../../shared/secret.js';
import { CATALOGUE, KIOSK_LANGUAGES, LANGUAGE_INFO } from '../../shared/i18n/catalogue.js';
import type { KioskPageConfig } from '../../shared/kiosk/state.js';
import type { KioskSession, KioskState } from '../kiosk/kiosk-session.js';
import { HttpError, type RouteRequest, type WebServer } from './server.js';
import type { ScanInput } from '../flows/screens.js';
import { ENVELOPE_CODE_PATTERN } from '../../shared/mqtt/commands.js';

const ENVELOPE = new RegExp(ENVELOPE_CODE_PATTERN);
const IDENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
import { SPEECH_DIR } from './speech.js';

/** SSE channel the kiosk page listens on. */
export const KIOSK_CHANNEL = 'kiosk';

/** The page's settings from the station's configuration (`web.defaultLanguage`, `station.help`). */
export interface KioskPageOptions {
  defaultLanguage: string;
  /** Who to call when stuck; shown with a QR code on every error screen. Empty phone: none. */
  help?: { phone: string; hours: string; text: string; qr: string };
  /** Folder of the pre-rendered speech (manifest.json, <lang>/<id>.wav); default SPEECH_DIR. */
  speechDir?: string;
}

/** The catalogue as the page reads it: languages in picker order, then every message. */
export function kioskCatalogueJson(): {
  languages: (typeof LANGUAGE_INFO)[keyof typeof LANGUAGE_INFO][];
  messages: typeof CATALOGUE;
} {
  return { languages: KIOSK_LANGUAGES.map((l) => LANGUAGE_INFO[l]), messages: CATALOGUE };
}

/** The page config, with the help line's QR code drawn once (SVG; `tel:` by default). */
export async function kioskPageConfig(options: KioskPageOptions): Promise<KioskPageConfig> {
  const h = options.help;
  if (!h || !h.phone) return { defaultLanguage: options.defaultLanguage, help: null };
  const content = h.qr || `tel:${h.phone.replace(/[^0-9+]/g, '')}`;
  const qrSvg = await QRCode.toString(content, {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 1,
  });
  return {
    defaultLanguage: options.defaultLanguage,
    help: { phone: h.phone, hours: h.hours, text: h.text, qrSvg },
  };
}

/**
 * The kiosk page's API:
 * - `GET /api/kiosk/state`: the current screen;
 * - `GET /api/kiosk/catalogue`: languages and messages (shared/i18n);
 * - `GET /api/kiosk/config`: `{defaultLanguage, help: {phone, hours, text, qrSvg} | null}`;
 * - `POST /api/kiosk/pin` `{pin: "1234", token}`: the PIN typed on the pad (a malformed PIN is
 *   answered 400 and never reaches the card, so it spends no try); 409 when no PIN is asked;
 * - `POST /api/kiosk/cancel` `{token}`; `POST /api/kiosk/retry` `{again: boolean, token}`;
 * - `POST /api/kiosk/more-time` `{token}`: "need more time?" answered yes; 409 when nothing is
 *   timing out.
 * Every POST carries the `token` of the card session on screen (in `KioskState.token`): a
 * request for another session (or none) is refused 403 and reaches nothing. The web server
 * (strict mode) refuses non-JSON bodies, foreign Host and Origin headers before the routes.
 * Screen changes go out on `GET /events/kiosk`.
 */
export function registerKioskRoutes(
  web: WebServer,
  session: () => KioskSession | undefined,
  page: KioskPageOptions = { defaultLanguage: 'ja' },
): void {
  let pageConfig: Promise<KioskPageConfig> | undefined;
  const speechDir = page.speechDir ?? SPEECH_DIR;
  web.route('GET', '/speech/manifest.json', (_r, res) => sendFile(res, speechDir, 'manifest.json'));
  web.route('GET', '/speech/:lang/:file', ({ params }, res) =>
    sendFile(res, speechDir, `${params.lang}/${params.file}`),
  );
  web.route('GET', '/api/kiosk/catalogue', () => kioskCatalogueJson());
  web.route('GET', '/api/kiosk/config', () => (pageConfig ??= kioskPageConfig(page)));
  const mine = surfaceRoutes(web, '/api/kiosk', () => {
    const s = session();
    if (!s) throw new HttpError(503, 'kiosk not running');
    return s;
  });
  // Loading: an envelope scanned ({code}), a delivery picked on screen ({deliveryId}), or done.
  web.route('POST', '/api/kiosk/scan', (r) => {
    const b = r.body as { code?: unknown; deliveryId?: unknown; done?: unknown };
    let input: ScanInput;
    if (typeof b.code === 'string' && ENVELOPE.test(b.code)) input = { kind: 'code', code: b.code };
    else if (typeof b.deliveryId === 'string' && IDENT.test(b.deliveryId))
      input = { kind: 'pick', deliveryId: b.deliveryId };
    else if (b.done === true) input = { kind: 'done' };
    else
      throw new HttpError(
        400,
        'give code (4-128 printable ASCII characters), deliveryId, or done: true',
      );
    if (!mine(r).submitScan(input)) throw new HttpError(409, 'not loading');
    return { ok: true };
  });
  web.route('POST', '/api/kiosk/retry', (r) => {
    const again = (r.body as { again?: unknown }).again;
    if (typeof again !== 'boolean') throw new HttpError(400, 'again must be true or false');
    if (!mine(r).retry(again)) throw new HttpError(409, 'nothing to retry');
    return { ok: true };
  });
}

/**
 * A door reader's own PIN surface (the door's keypad screen shows `/door?door=<id>`), so a
 * card at a door never takes the kiosk's screen: `GET /api/door/<id>/state`,
 * `POST /api/door/<id>/pin` `{pin, token}`, `/cancel` `{token}`, `/more-time` `{token}`, with the
 * kiosk's hardening (strict JSON, own Host/Origin, the token of THIS door's card session: a
 * kiosk token, or another door's, is refused 403). Screens go out on `GET /events/door-<id>`.
 * A door without a reader of its own has no surface: 404.
 */
export function registerDoorRoutes(
  web: WebServer,
  session: (door: string) => KioskSession | undefined,
): void {
  surfaceRoutes(web, '/api/door/:door', ({ params }) => {
    const s = session(params.door ?? '');
    if (!s) throw new HttpError(404, 'no door reader with this id');
    return s;
  });
}

/**
 * The routes every PIN surface has under `base`: state, pin, cancel, more-time. Returns the
 * check that a POST belongs to the card session on screen (its `token`), for further routes.
 */
function surfaceRoutes(
  web: WebServer,
  base: string,
  need: (r: RouteRequest) => KioskSession,
): (r: RouteRequest) => KioskSession {
  /** The session, when `body.token` is the current card session's token. @throws 403 */
  const mine = (r: RouteRequest): KioskSession => {
    const s = need(r);
    const token = (r.body as { token?: unknown }).token;
    if (typeof token !== 'string' || !s.token || token !== s.token)
      throw new HttpError(403, 'not the card session on screen');
    return s;
  };
  web.route('GET', `${base}/state`, (r) => need(r).state);
  web.route('POST', `${base}/pin`, (r) => {
    const pin = (r.body as { pin?: unknown }).pin;
    if (typeof pin !== 'string' || !AUTH_PIN_PATTERN.test(pin))
      throw new HttpError(400, 'pin must be exactly 4 digits');
    const s = mine(r);
    if (!s.submitPin(new Secret(pin), s.token)) throw new HttpError(409, 'no PIN is being asked');
    return { ok: true };
  });
  web.route('POST', `${base}/cancel`, (r) => ({ ok: mine(r).cancel() }));
  web.route('POST', `${base}/more-time`, (r) => {
    if (!mine(r).moreTime()) throw new HttpError(409, 'nothing is timing out');
    return { ok: true };
  });
  return mine;
}

const SPEECH_FILE = /^(manifest\.json|[A-Za-z-]+\/[A-Za-z0-9_.-]+\.wav)$/;

/** Sends one file of the speech folder (names checked: no way out of the folder). */
async function sendFile(res: ServerResponse, dir: string, rel: string): Promise<void> {
  if (!SPEECH_FILE.test(rel) || rel.includes('..')) throw new HttpError(404, 'not found');
  let data: Buffer;
  try {
    data = await readFile(path.join(dir, rel));
  } catch {
    throw new HttpError(404, 'no such speech file');
  }
  res.writeHead(200, {
    'content-type': rel.endsWith('.wav') ? 'audio/wav' : 'application/json',
  });
  res.end(data);
}

/** Publishes kiosk states on the SSE channel. */
export function kioskPublisher(web: WebServer): (s: KioskState) => void {
  return (s) => web.publish(KIOSK_CHANNEL, s);
}

/** The SSE channel of a door reader's own surface. */
export function doorChannel(door: string): string {
  return `door-${door}`;
}

/** Publishes a door reader's screens on its own channel. */
export function doorPublisher(web: WebServer): (door: string, s: KioskState) => void {
  return (door, s) => web.publish(doorChannel(door), s);
}
