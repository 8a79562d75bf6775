/**
 * Small steps every ledger service takes inside a transaction: move a compartment (checked
 * against the state machine, with its `compartment.state` event), raise or clear an alarm.
 */
import type { AlarmCode, AlarmSeverity } from '../../../shared/mqtt/state.js';
import { moveCompartment } from '../../domain/decisions.js';
import { TransitionError, type CompartmentRow, type CompartmentState } from '../../domain/model.js';
import type { Tx } from '../../domain/ports.js';

/** Moves compartment `id` to `to` in `tx`. @throws TransitionError. */
export function moveCompartmentIn(
  tx: Tx,
  id: string,
  to: CompartmentState,
  patch: { deliveryId?: string | null; resume?: CompartmentState | null } = {},
): CompartmentRow {
  const row = tx.compartments.get(id);
  if (!row) throw new TransitionError('compartment', id, 'unknown', to);
  const { row: next, event } = moveCompartment(row, to, patch, tx.at);
  tx.compartments.save(next);
  tx.emit(event);
  return next;
}

/** Raises an alarm once (idempotent per alarm + target), with its event and audit row. */
export function raiseAlarmIn(
  tx: Tx,
  alarm: AlarmCode,
  severity: AlarmSeverity,
  target = '',
  detail?: string,
): boolean {
  if (!tx.alarms.insert({ alarm, target, severity, since: tx.at, detail: detail ?? null }))
    return false;
  tx.emit({
    kind: 'alarm.raised',
    data: { alarm, severity, ...(target ? { target } : {}), ...(detail ? { detail } : {}) },
  });
  tx.audit({
    kind: 'alarm',
    action: `alarm.${alarm}`,
    target,
    outcome: 'raised',
    reason: detail ?? '',
  });
  return true;
}

/** Clears an active alarm (no-op when not active). */
export function clearAlarmIn(tx: Tx, alarm: AlarmCode, target = ''): boolean {
  if (!tx.alarms.remove(alarm, target)) return false;
  tx.emit({ kind: 'alarm.cleared', data: { alarm, ...(target ? { target } : {}) } });
  tx.audit({ kind: 'alarm', action: `alarm.${alarm}`, target, outcome: 'cleared' });
  return true;
}
