/**
 * Delivery records: the back office assigns, cancels and extends deliveries; the sweep
 * expires those past their deadline. Each is one unit of work (state + event + audit row).
 */
import type {
  CommandRejectReason,
  CommandResult,
  DeliveryAssignBody,
} from '../../../shared/mqtt/commands.js';
import {
  ACTIVE_DELIVERY_STATES,
  Actors,
  type Actor,
  type DeliveryRow,
} from '../../domain/model.js';
import type { UnitOfWork } from '../../domain/ports.js';
import { moveCompartmentIn } from './tx-helpers.js';

/** A refused command with its reason. */
export function reject(
  reason: CommandRejectReason,
  detail?: Record<string, string | number | boolean | null>,
): CommandResult {
  return detail ? { accepted: false, reason, detail } : { accepted: false, reason };
}

/** See the module comment. */
export class DeliveryRecords {
  constructor(private readonly uow: UnitOfWork) {}

  get(id: string): DeliveryRow | undefined {
    return this.uow.read.deliveries.get(id);
  }

  /** The open delivery whose envelope carries `code` (scanned at loading). */
  byEnvelope(code: string): DeliveryRow | undefined {
    return this.uow.read.deliveries.activeByEnvelope(code);
  }

  /** The holder's deliveries that are still in the station (assigned, loaded or expired). */
  forHolder(spki: string): DeliveryRow[] {
    return this.uow.read.deliveries.activeForHolder(spki);
  }

  /** Assigns a delivery to a compartment (given, or the first free one of a size). */
  assign(body: DeliveryAssignBody, actor: Actor = Actors.backOffice): CommandResult {
    return this.uow.run((tx): CommandResult => {
      if (tx.deliveries.get(body.deliveryId)) return reject('duplicate_delivery');
      if (body.envelopeCode && tx.deliveries.activeByEnvelope(body.envelopeCode))
        return reject('duplicate_delivery', { envelopeCode: body.envelopeCode });
      const deadline = Date.parse(body.pickupDeadline);
      if (!Number.isFinite(deadline) || deadline <= Date.parse(tx.at))
        return reject('invalid_deadline');
      let compartmentId = body.compartment;
      if (compartmentId) {
        const c = tx.compartments.get(compartmentId);
        if (!c) return reject('unknown_compartment');
        if (c.state !== 'empty' && c.state !== 'collected') return reject('compartment_busy');
      } else {
        compartmentId = tx.compartments.firstFree(body.size ?? 'M');
        if (!compartmentId) return reject('no_compartment_available');
      }
      const iso = new Date(deadline).toISOString();
      tx.deliveries.insert({
        id: body.deliveryId,
        compartment: compartmentId,
        holderSpki: body.holderSpkiSha256,
        deadline: iso,
        at: tx.at,
        ...(body.envelopeCode ? { envelopeCode: body.envelopeCode } : {}),
      });
      const c = moveCompartmentIn(tx, compartmentId, 'reserved', { deliveryId: body.deliveryId });
      tx.emit({
        kind: 'delivery.assigned',
        data: {
          deliveryId: body.deliveryId,
          compartment: compartmentId,
          size: c.size,
          holderSpkiSha256: body.holderSpkiSha256,
          pickupDeadline: iso,
        },
      });
      tx.audit({
        kind: 'operator',
        action: 'delivery.assign',
        actor,
        target: `delivery:${body.deliveryId}`,
        outcome: 'ok',
        details: { compartment: compartmentId },
      });
      return { accepted: true, detail: { compartment: compartmentId } };
    });
  }

  /** Cancels a delivery: an unloaded one frees its compartment, a loaded one awaits retrieval. */
  cancel(deliveryId: string, reason = '', actor: Actor = Actors.backOffice): CommandResult {
    return this.uow.run((tx): CommandResult => {
      const d = tx.deliveries.get(deliveryId);
      if (!d || !ACTIVE_DELIVERY_STATES.includes(d.state)) return reject('unknown_delivery');
      const c = tx.compartments.get(d.compartment)!;
      if (c.state === 'opened_for_pickup') return reject('compartment_busy');
      tx.deliveries.setState(d.id, 'cancelled', {
        closed_reason: reason || 'cancelled',
        closed_at: tx.at,
      });
      if (d.state === 'assigned') {
        if (c.state === 'reserved') moveCompartmentIn(tx, c.id, 'empty', { deliveryId: null });
      } else if (c.state === 'loaded') {
        moveCompartmentIn(tx, c.id, 'expired');
      }
      tx.emit({
        kind: 'delivery.cancelled',
        data: { deliveryId, compartment: d.compartment, ...(reason ? { reason } : {}) },
      });
      tx.audit({
        kind: 'operator',
        action: 'delivery.cancel',
        actor,
        target: `delivery:${deliveryId}`,
        outcome: 'ok',
        reason: reason || 'cancelled',
      });
      return { accepted: true };
    });
  }

  /** Moves a pickup deadline (also brings an expired, not yet retrieved delivery back). */
  extend(
    deliveryId: string,
    pickupDeadline: string,
    actor: Actor = Actors.backOffice,
  ): CommandResult {
    return this.uow.run((tx): CommandResult => {
      const d = tx.deliveries.get(deliveryId);
      if (!d || !ACTIVE_DELIVERY_STATES.includes(d.state)) return reject('unknown_delivery');
      const deadline = Date.parse(pickupDeadline);
      if (!Number.isFinite(deadline) || deadline <= Date.parse(tx.at))
        return reject('invalid_deadline');
      const iso = new Date(deadline).toISOString();
      if (d.state === 'expired') {
        const c = tx.compartments.get(d.compartment)!;
        if (c.state !== 'expired') return reject('compartment_busy');
        tx.deliveries.setState(d.id, 'loaded');
        moveCompartmentIn(tx, c.id, 'loaded');
      }
      tx.deliveries.setDeadline(deliveryId, iso);
      tx.emit({ kind: 'delivery.extended', data: { deliveryId, pickupDeadline: iso } });
      tx.audit({
        kind: 'operator',
        action: 'delivery.extend',
        actor,
        target: `delivery:${deliveryId}`,
        outcome: 'ok',
        details: { pickupDeadline: iso },
      });
      return { accepted: true };
    });
  }

  /**
   * Expires every delivery whose deadline has passed: a loaded one leaves its compartment
   * `expired` (waiting for retrieval), an unloaded one frees it. Returns the ids expired.
   */
  expireDue(): string[] {
    return this.uow.run((tx) => {
      const due = tx.deliveries.due(tx.at);
      for (const d of due) {
        tx.deliveries.setState(d.id, 'expired', { closed_reason: 'deadline_passed' });
        const c = tx.compartments.get(d.compartment)!;
        if (c.state === 'loaded') moveCompartmentIn(tx, c.id, 'expired');
        else if (c.state === 'reserved') moveCompartmentIn(tx, c.id, 'empty', { deliveryId: null });
        tx.emit({
          kind: 'delivery.expired',
          data: { deliveryId: d.id, compartment: d.compartment },
        });
        tx.audit({
          kind: 'system',
          action: 'delivery.expire',
          target: `delivery:${d.id}`,
          outcome: 'ok',
          reason: 'deadline_passed',
        });
      }
      return due.map((d) => d.id);
    });
  }
}
