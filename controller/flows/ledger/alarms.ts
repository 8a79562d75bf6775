/** Alarms and the station mode: raise, clear, list; maintenance on and off. */
import type { CommandResult } from '../../../shared/mqtt/commands.js';
import type { ActiveAlarm, AlarmCode, AlarmSeverity } from '../../../shared/mqtt/state.js';
import { Actors, type Actor } from '../../domain/model.js';
import type { Tx, UnitOfWork } from '../../domain/ports.js';
import { clearAlarmIn, raiseAlarmIn } from './tx-helpers.js';

/** See the module comment. Also the health monitor's alarm sink. */
export class AlarmRecords {
  constructor(private readonly uow: UnitOfWork) {}

  /** One unit of work whose events may use the outbox's safety reserve. */
  #safe<T>(fn: (tx: Tx) => T): T {
    return this.uow.run(fn, { safety: true });
  }

  /** Raises an alarm once (idempotent per alarm + target), with its event. */
  raiseAlarm(alarm: AlarmCode, severity: AlarmSeverity, target = '', detail?: string): void {
    this.#safe((tx) => raiseAlarmIn(tx, alarm, severity, target, detail));
  }

  /** Clears an active alarm (no-op when not active). */
  clearAlarm(alarm: AlarmCode, target = ''): void {
    this.#safe((tx) => clearAlarmIn(tx, alarm, target));
  }

  alarms(): ActiveAlarm[] {
    return this.uow.read.alarms.all().map((a) => ({
      alarm: a.alarm,
      severity: a.severity,
      ...(a.target ? { target: a.target } : {}),
      since: a.since,
      ...(a.detail ? { detail: a.detail } : {}),
    }));
  }

  /** `active` or `maintenance` (no pickups, staff only). */
  mode(): 'active' | 'maintenance' {
    return this.uow.read.alarms.mode()?.mode ?? 'active';
  }

  setMode(enabled: boolean, reason = '', actor: Actor = Actors.backOffice): CommandResult {
    return this.uow.run((tx): CommandResult => {
      const mode = enabled ? 'maintenance' : 'active';
      tx.alarms.setMode(mode, reason || null);
      tx.emit({ kind: 'station.mode', data: { mode, ...(reason ? { reason } : {}) } });
      tx.audit({ kind: 'operator', action: 'station.mode', actor, outcome: mode, reason });
      return { accepted: true };
    });
  }
}
