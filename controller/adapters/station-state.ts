/**
 * The station-wide parts of the retained state that do not live in the domain: CRL freshness
 * (`state/crl`, the heartbeat's crlAgeSec) from the trust component, and device health (the
 * heartbeat's `hardware`) from the devices.
 */
import type { CardReader } from '../../hardware/card/card-reader.js';
import type { CrlState, DeviceHealth } from '../../shared/mqtt/state.js';
import { crlUsable, type CrlStatus } from '../trust/types.js';
import type { MissingCrlStatus } from '../trust/crl-cache.js';

/**
 * `state/crl` from the trust component's freshness rows: age and validity of the newest CRL
 * (by thisUpdate); `stale` when any revocation-checked issuer has a stale, future-dated or
 * missing CRL (its certificates are refused), or when there is no CRL at all.
 */
export function crlStateOf(
  statuses: readonly (CrlStatus | MissingCrlStatus)[],
  at: Date,
): CrlState {
  const present = statuses.filter((s): s is CrlStatus => s.verdict !== 'missing');
  const newest = present.reduce<CrlStatus | undefined>(
    (best, s) => (!best || Date.parse(s.thisUpdate) > Date.parse(best.thisUpdate) ? s : best),
    undefined,
  );
  const unusable = statuses.some((s) => !crlUsable(s.verdict));
  if (!newest)
    return { ageSec: null, thisUpdate: null, nextUpdate: null, stale: statuses.length > 0 };
  return {
    ageSec: Math.max(0, Math.floor((at.getTime() - Date.parse(newest.thisUpdate)) / 1000)),
    thisUpdate: newest.thisUpdate,
    nextUpdate: newest.nextUpdate ?? null,
    stale: unusable,
  };
}

/**
 * Device health for the heartbeat: `card` (ok with at least one reader, degraded without),
 * `board` (ok, degraded when some boards do not answer, lost when none does), `gpio` (ok when
 * present); `absent` for a device the station does not have.
 */
export function deviceHealthOf(devices: {
  card: CardReader | undefined;
  board: unknown;
  gpio: unknown;
  boards: number;
  faultedBoards: readonly number[];
}): Record<string, DeviceHealth> {
  let card: DeviceHealth = 'absent';
  if (devices.card) {
    let readers = 0;
    try {
      readers = devices.card.readers().length;
    } catch {
      readers = 0;
    }
    card = readers > 0 ? 'ok' : 'degraded';
  }
  const faulted = devices.faultedBoards.length;
  const board: DeviceHealth = !devices.board
    ? 'absent'
    : faulted === 0
      ? 'ok'
      : faulted >= devices.boards
        ? 'lost'
        : 'degraded';
  return { card, board, gpio: devices.gpio ? 'ok' : 'absent' };
}
