/**
 * The station part of every kiosk screen (the idle screen and the footer): name, hours, open
 * now or not, mode, alarms, and what makes pickups impossible (the out-of-service screen).
 */
import { outOfServiceReasons } from '../domain/decisions.js';
import { withinHours } from '../domain/schedule.js';
import type { Ledger } from '../flows/ledger/ledger.js';
import type { KioskState } from '../flows/screens.js';

export interface StationViewOptions {
  stationName: string;
  timezone: string;
  hours: { open: string; close: string };
  now: () => Date;
}

/** See the module comment. */
export function stationView(ledger: Ledger, o: StationViewOptions): KioskState['station'] {
  const alarms = ledger.alarms.alarms();
  // Only the outbox's safety reserve left: no session starts (the alarm may lag behind).
  const outOfService = outOfServiceReasons(
    ledger.uow.reserveOnly ? [...alarms, { alarm: 'outbox_full' as const }] : alarms,
  );
  return {
    name: o.stationName,
    hours: o.hours,
    open: withinHours(o.hours, o.timezone, o.now()),
    mode: ledger.alarms.mode(),
    alarms: alarms.length,
    crlStale: alarms.some((a) => a.alarm === 'crl_stale'),
    ...(outOfService.length ? { outOfService } : {}),
  };
}
