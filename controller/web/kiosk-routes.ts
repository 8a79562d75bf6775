import { Secret } from '../../shared/secret.js';
import type { KioskSession, KioskState } from '../kiosk/kiosk-session.js';
import { HttpError, type WebServer } from './server.js';

/** SSE channel the kiosk page listens on. */
export const KIOSK_CHANNEL = 'kiosk';

/** The JPKI user-authentication PIN: exactly 4 digits (docs: EF 0018, 3 tries). */
const PIN_PATTERN = /^[0-9]{4}$/;

/**
 * The kiosk page's API:
 * - `GET /api/kiosk/state`: the current screen;
 * - `POST /api/kiosk/pin` `{pin: "1234"}`: the PIN typed on the pad (a malformed PIN is
 *   answered 400 and never reaches the card, so it spends no try); 409 when no PIN is asked;
 * - `POST /api/kiosk/cancel`; `POST /api/kiosk/retry` `{again: boolean}`.
 * Screen changes go out on `GET /events/kiosk`.
 */
export function registerKioskRoutes(web: WebServer, session: () => KioskSession | undefined): void {
  const need = (): KioskSession => {
    const s = session();
    if (!s) throw new HttpError(503, 'kiosk not running');
    return s;
  };
  web.route('GET', '/api/kiosk/state', () => need().state);
  web.route('POST', '/api/kiosk/pin', ({ body }) => {
    const pin = (body as { pin?: unknown }).pin;
    if (typeof pin !== 'string' || !PIN_PATTERN.test(pin))
      throw new HttpError(400, 'pin must be exactly 4 digits');
    if (!need().submitPin(new Secret(pin))) throw new HttpError(409, 'no PIN is being asked');
    return { ok: true };
  });
  web.route('POST', '/api/kiosk/cancel', () => ({ ok: need().cancel() }));
  web.route('POST', '/api/kiosk/retry', ({ body }) => {
    const again = (body as { again?: unknown }).again;
    if (typeof again !== 'boolean') throw new HttpError(400, 'again must be true or false');
    if (!need().retry(again)) throw new HttpError(409, 'nothing to retry');
    return { ok: true };
  });
}

/** Publishes kiosk states on the SSE channel. */
export function kioskPublisher(web: WebServer): (s: KioskState) => void {
  return (s) => web.publish(KIOSK_CHANNEL, s);
}
