/**
 * Recovery records (issue 17): a compartment taken out of service and put back, a fault
 * cleared after a check, a delivery taken out by staff with a disposition, and openings
 * nobody decided (`door_forced`). Each method is one unit of work: state + event + audit row.
 */
import type { CommandResult, RemoteOpenDisposition } from '../../../shared/mqtt/commands.js';
import type { Actor, CompartmentState, DeliveryState } from '../../domain/model.js';
import type { UnitOfWork } from '../../domain/ports.js';
import { clearAlarmIn, moveCompartmentIn, raiseAlarmIn } from './tx-helpers.js';

/** The delivery state each disposition leads to. */
export const DISPOSITION_STATE: Record<
  RemoteOpenDisposition,
  Extract<DeliveryState, 'handed_over' | 'retrieved' | 'inspection'>
> = {
  handed_over_at_counter: 'handed_over',
  retrieved: 'retrieved',
  inspection: 'inspection',
};

/**
 * Where a compartment rests given its delivery, when no earlier state was remembered: a
 * loaded document stays loaded, an expired one waits for retrieval, an assigned one for
 * loading; without a delivery it is free.
 */
export function restingState(delivery: { state: DeliveryState } | undefined): CompartmentState {
  switch (delivery?.state) {
    case 'loaded':
      return 'loaded';
    case 'expired':
    case 'cancelled':
      return 'expired';
    case 'assigned':
      return 'reserved';
    default:
      return 'empty';
  }
}

/** States in which a compartment is in the middle of something (not to be taken away). */
const BUSY: readonly CompartmentState[] = ['opened_for_pickup', 'retrieval'];

/** See the module comment. */
export class RecoveryRecords {
  constructor(private readonly uow: UnitOfWork) {}

  /** Out of service (`maintenance`, remembering where it was) or back to that state. */
  setOutOfService(id: string, enabled: boolean, actor: Actor, reason: string): CommandResult {
    return this.uow.run((tx): CommandResult => {
      const row = tx.compartments.get(id);
      if (!row) return { accepted: false, reason: 'unknown_compartment' };
      if (enabled) {
        if (row.state === 'maintenance') return { accepted: true, detail: { unchanged: true } };
        if (BUSY.includes(row.state)) return { accepted: false, reason: 'compartment_busy' };
        moveCompartmentIn(tx, id, 'maintenance', { resume: row.state });
      } else {
        if (row.state !== 'maintenance')
          return { accepted: false, reason: 'invalid_state', detail: { state: row.state } };
        // Back where it was; out of service from a fault it goes back to the fault (a
        // `compartment.clear` after a check is what ends a fault).
        const back =
          row.resume_state ??
          restingState(row.delivery_id ? tx.deliveries.get(row.delivery_id) : undefined);
        moveCompartmentIn(tx, id, back, { resume: null });
      }
      tx.audit({
        kind: 'operator',
        action: enabled ? 'compartment.out_of_service' : 'compartment.in_service',
        actor,
        target: `compartment:${id}`,
        outcome: 'ok',
        reason: reason.slice(0, 200),
      });
      return { accepted: true };
    });
  }

  /** Clears a fault after the board reported the latch closed (the caller checked it). */
  clearFault(id: string, actor: Actor, reason: string): CommandResult {
    return this.uow.run((tx): CommandResult => {
      const row = tx.compartments.get(id);
      if (!row) return { accepted: false, reason: 'unknown_compartment' };
      if (row.state !== 'fault')
        return { accepted: false, reason: 'invalid_state', detail: { state: row.state } };
      const back =
        row.resume_state ??
        restingState(row.delivery_id ? tx.deliveries.get(row.delivery_id) : undefined);
      moveCompartmentIn(tx, id, back, { resume: null });
      clearAlarmIn(tx, 'compartment_jammed', `compartment:${id}`);
      clearAlarmIn(tx, 'door_forced', `compartment:${id}`);
      tx.audit({
        kind: 'operator',
        action: 'compartment.clear',
        actor,
        target: `compartment:${id}`,
        outcome: 'ok',
        reason: reason.slice(0, 200),
      });
      return { accepted: true };
    });
  }

  /**
   * Staff opened the compartment and take its document out: the delivery moves to the
   * disposition's state (event `delivery.disposed`), the compartment to `retrieval` until
   * its door closes ({@link finishDisposal}).
   */
  dispose(id: string, disposition: RemoteOpenDisposition, actor: Actor): CommandResult {
    return this.uow.run((tx): CommandResult => {
      const row = tx.compartments.get(id);
      const delivery = row?.delivery_id ? tx.deliveries.get(row.delivery_id) : undefined;
      if (!row || !delivery) return { accepted: false, reason: 'unknown_delivery' };
      const state = DISPOSITION_STATE[disposition];
      tx.deliveries.setState(delivery.id, state, {
        closed_reason: disposition,
        closed_at: tx.at,
      });
      if (row.state !== 'retrieval') moveCompartmentIn(tx, id, 'retrieval', { resume: null });
      const staff = actor.startsWith('staff:') ? actor.slice(6) : undefined;
      tx.emit({
        kind: 'delivery.disposed',
        data: {
          deliveryId: delivery.id,
          compartment: id,
          disposition,
          state,
          ...(staff ? { staffSpkiSha256: staff } : {}),
        },
      });
      tx.audit({
        kind: 'operator',
        action: 'delivery.dispose',
        actor,
        target: `compartment:${id}`,
        outcome: state,
        details: { delivery: delivery.id },
      });
      return { accepted: true, detail: { deliveryId: delivery.id, state } };
    });
  }

  /** The door of a disposed compartment closed: the compartment is free again. */
  finishDisposal(id: string): void {
    this.uow.run((tx) => {
      if (tx.compartments.get(id)?.state !== 'retrieval') return;
      moveCompartmentIn(tx, id, 'empty', { deliveryId: null });
    });
  }

  /** A compartment opened with no decision behind it. */
  forced(id: string): void {
    this.uow.run((tx) => {
      raiseAlarmIn(tx, 'door_forced', 'critical', `compartment:${id}`, 'opened without a decision');
    });
  }
}
