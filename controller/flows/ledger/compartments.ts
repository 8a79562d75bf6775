/**
 * Compartment records: reads, the door sensor, faults, and the pickup, loading and retrieval
 * transitions — each one unit of work (state + event + audit row).
 */
import {
  TransitionError,
  type Actor,
  type CompartmentRow,
  type CompartmentState,
} from '../../domain/model.js';
import type { Tx, UnitOfWork } from '../../domain/ports.js';
import type { Receipt } from '../../../shared/mqtt/receipt.js';
import { clearAlarmIn, moveCompartmentIn, raiseAlarmIn } from './tx-helpers.js';

/** See the module comment. */
export class CompartmentRecords {
  constructor(private readonly uow: UnitOfWork) {}

  /** One unit of work whose events may use the outbox's safety reserve. */
  #safe<T>(fn: (tx: Tx) => T): T {
    return this.uow.run(fn, { safety: true });
  }

  get(id: string): CompartmentRow | undefined {
    return this.uow.read.compartments.get(id);
  }

  all(): CompartmentRow[] {
    return this.uow.read.compartments.all();
  }

  /** Compartments reserved and waiting for staff to load them. */
  reserved(): CompartmentRow[] {
    return this.uow.read.compartments.inState('reserved');
  }

  /** Compartments whose document is waiting for staff to take it back. */
  expired(): CompartmentRow[] {
    return this.uow.read.compartments.inState('expired');
  }

  /** Moves a compartment (checked against the state machine). @throws TransitionError. */
  move(
    id: string,
    to: CompartmentState,
    patch: { deliveryId?: string | null; resume?: CompartmentState | null } = {},
  ): CompartmentRow {
    return this.uow.run((tx) => moveCompartmentIn(tx, id, to, patch));
  }

  /** Records the door sensor (no event: the retained `state/compartments` shows it). */
  setDoorSensor(id: string, door: 'open' | 'closed' | 'unknown'): void {
    this.#safe((tx) => {
      if (tx.compartments.setDoor(id, door)) tx.touch('compartments');
    });
  }

  /** Puts a compartment in `fault` (the lock did not open), remembering where it was. */
  markFault(id: string, reason: string, cause: string): void {
    this.#safe((tx) => {
      const row = tx.compartments.get(id);
      if (!row || row.state === 'fault') return;
      moveCompartmentIn(tx, id, 'fault', { resume: row.state });
      raiseAlarmIn(tx, 'compartment_jammed', 'critical', `compartment:${id}`, reason);
      tx.audit({
        kind: 'alarm',
        action: 'compartment.fault',
        target: `compartment:${id}`,
        outcome: 'raised',
        reason,
        details: { cause },
      });
    });
  }

  /** Leaves `fault` back to the state it came from (a retry opened it / staff cleared it). */
  clearFault(id: string): void {
    this.#safe((tx) => {
      const row = tx.compartments.get(id);
      if (!row || row.state !== 'fault') return;
      moveCompartmentIn(tx, id, row.resume_state ?? 'empty', { resume: null });
      clearAlarmIn(tx, 'compartment_jammed', `compartment:${id}`);
    });
  }

  /** The compartments opened for a pickup: `loaded` -> `opened_for_pickup`. */
  markOpenedForPickup(id: string): void {
    this.#safe((tx) => moveCompartmentIn(tx, id, 'opened_for_pickup'));
  }

  /** The door was opened and closed again: the delivery is collected. */
  markCollected(id: string, holderSpki: string, receipt?: Receipt): void {
    this.#safe((tx) => {
      const deliveryId = tx.compartments.get(id)?.delivery_id ?? null;
      moveCompartmentIn(tx, id, 'collected', { deliveryId: null });
      if (deliveryId) {
        tx.deliveries.setState(deliveryId, 'collected', { collected_at: tx.at, closed_at: tx.at });
        tx.emit({
          kind: 'delivery.collected',
          data: {
            deliveryId,
            compartment: id,
            holderSpkiSha256: holderSpki,
            // The receipt is evidence for the deliveries it names only.
            ...(receipt?.challenge.deliveryIds.includes(deliveryId) ? { receipt } : {}),
          },
        });
      }
      tx.audit({
        kind: 'grant',
        action: 'delivery.collect',
        actor: `holder:${holderSpki}`,
        target: `compartment:${id}`,
        outcome: 'ok',
        details: { delivery: deliveryId },
      });
    });
  }

  /** The door was never opened (or shut on the document): re-locked, the delivery stays `loaded`. */
  markNotOpened(id: string): void {
    this.#safe((tx) => {
      moveCompartmentIn(tx, id, 'loaded');
      tx.audit({
        kind: 'actuation',
        action: 'compartment.relock',
        target: `compartment:${id}`,
        outcome: 'ok',
        reason: 'door_not_opened',
      });
    });
  }

  /** Loading finished: the door was closed and occupancy confirmed. */
  markLoaded(id: string, staffSpki: string): void {
    this.#safe((tx) => {
      const c = tx.compartments.get(id);
      if (!c?.delivery_id)
        throw new TransitionError('compartment', id, c?.state ?? 'unknown', 'loaded');
      tx.deliveries.setState(c.delivery_id, 'loaded', { loaded_at: tx.at });
      moveCompartmentIn(tx, id, 'loaded');
      tx.emit({
        kind: 'delivery.loaded',
        data: { deliveryId: c.delivery_id, compartment: id, staffSpkiSha256: staffSpki },
      });
      tx.audit({
        kind: 'grant',
        action: 'delivery.load',
        actor: `staff:${staffSpki}`,
        target: `compartment:${id}`,
        outcome: 'ok',
        details: { delivery: c.delivery_id },
      });
    });
  }

  /** Staff opened an expired compartment to take the document back. */
  startRetrieval(id: string): void {
    this.#safe((tx) => moveCompartmentIn(tx, id, 'retrieval'));
  }

  /** Retrieval did not happen (the door never opened): back to `expired`. */
  abandonRetrieval(id: string): void {
    this.#safe((tx) => moveCompartmentIn(tx, id, 'expired'));
  }

  /** Retrieval finished: the door was closed; the compartment is free again. */
  finishRetrieval(id: string, staffSpki: string): void {
    this.#safe((tx) => {
      const deliveryId = tx.compartments.get(id)?.delivery_id ?? null;
      if (deliveryId) {
        const d = tx.deliveries.get(deliveryId);
        if (d)
          tx.deliveries.setState(deliveryId, d.state === 'cancelled' ? 'cancelled' : 'retrieved', {
            closed_at: tx.at,
          });
        tx.emit({
          kind: 'delivery.retrieved',
          data: { deliveryId, compartment: id, staffSpkiSha256: staffSpki },
        });
      }
      moveCompartmentIn(tx, id, 'empty', { deliveryId: null });
      tx.audit({
        kind: 'grant',
        action: 'delivery.retrieve',
        actor: `staff:${staffSpki}` satisfies Actor,
        target: `compartment:${id}`,
        outcome: 'ok',
        details: { delivery: deliveryId },
      });
    });
  }
}
