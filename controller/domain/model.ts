/**
 * The station's domain model: compartment, delivery and door states with their allowed
 * transitions, the stored records, typed actors and reasons. Pure: no I/O, no SQL, no clock.
 */
import type { CompartmentSize, StaffRole } from '../../shared/mqtt/commands.js';
import type { AttemptReason } from '../../shared/mqtt/events.js';
import type { AlarmCode, AlarmSeverity } from '../../shared/mqtt/state.js';

/** Compartment states. */
export type CompartmentState =
  | 'empty'
  | 'reserved'
  | 'loaded'
  | 'opened_for_pickup'
  | 'collected'
  | 'expired'
  | 'retrieval'
  | 'maintenance'
  | 'fault';

/**
 * Allowed compartment transitions. `collected` counts as free (the last delivery was
 * collected); `expired` means "waiting for staff to take the document back".
 */
export const COMPARTMENT_TRANSITIONS: Record<CompartmentState, readonly CompartmentState[]> = {
  empty: ['reserved', 'maintenance', 'fault'],
  collected: ['reserved', 'empty', 'maintenance', 'fault'],
  reserved: ['loaded', 'empty', 'maintenance', 'fault'],
  loaded: ['opened_for_pickup', 'expired', 'maintenance', 'fault', 'retrieval'],
  opened_for_pickup: ['collected', 'loaded', 'fault'],
  expired: ['retrieval', 'loaded', 'maintenance', 'fault'],
  retrieval: ['empty', 'expired', 'fault'],
  maintenance: ['empty', 'reserved', 'loaded', 'expired', 'collected', 'fault', 'retrieval'],
  fault: [
    'empty',
    'reserved',
    'loaded',
    'expired',
    'collected',
    'maintenance',
    'opened_for_pickup',
    'retrieval',
  ],
};

/** Door states. */
export type DoorState = 'locked' | 'unlocked' | 'open' | 'held_open' | 'forced';

/** Allowed door transitions. */
export const DOOR_TRANSITIONS: Record<DoorState, readonly DoorState[]> = {
  locked: ['unlocked', 'forced'],
  unlocked: ['open', 'locked'],
  open: ['held_open', 'locked'],
  held_open: ['locked'],
  forced: ['locked'],
};

/** Delivery states. */
export type DeliveryState =
  | 'assigned'
  | 'loaded'
  | 'collected'
  | 'expired'
  | 'cancelled'
  | 'retrieved'
  /** Staff handed the document over at the counter (remote.open handed_over_at_counter). */
  | 'handed_over'
  /** Staff took the document out to inspect it (remote.open inspection). */
  | 'inspection';

/** Deliveries still in the station (a holder has something here). */
export const ACTIVE_DELIVERY_STATES: readonly DeliveryState[] = ['assigned', 'loaded', 'expired'];

/** Allowed delivery transitions. */
export const DELIVERY_TRANSITIONS: Record<DeliveryState, readonly DeliveryState[]> = {
  assigned: ['loaded', 'expired', 'cancelled'],
  loaded: ['collected', 'expired', 'cancelled', 'handed_over', 'retrieved', 'inspection'],
  expired: ['loaded', 'retrieved', 'cancelled', 'handed_over', 'inspection'],
  cancelled: ['cancelled'],
  collected: [],
  retrieved: [],
  handed_over: [],
  inspection: [],
};

/** A compartment as stored. */
export interface CompartmentRow {
  id: string;
  size: CompartmentSize;
  state: CompartmentState;
  door: 'open' | 'closed' | 'unknown';
  delivery_id: string | null;
  resume_state: CompartmentState | null;
  updated_at: string;
}

/** A delivery as stored. */
export interface DeliveryRow {
  id: string;
  compartment: string;
  holder_spki: string;
  state: DeliveryState;
  pickup_deadline: string;
  created_at: string;
  loaded_at: string | null;
  collected_at: string | null;
  closed_reason: string | null;
  /** When it reached a final state (retention counts from here). */
  closed_at?: string | null;
  /** The envelope code from delivery.assign, if any. */
  envelope_code?: string | null;
}

/** A roster entry as stored. */
export interface StaffRow {
  staff_id: string;
  roles: string;
  valid_from: string | null;
  valid_until: string | null;
}

/** An active alarm as stored. */
export interface AlarmRow {
  alarm: AlarmCode;
  target: string;
  severity: AlarmSeverity;
  since: string;
  detail: string | null;
}

/** The staff roles a certificate holds now. */
export interface StaffGrant {
  staffId: string;
  roles: StaffRole[];
}

/** Thrown for a transition the state machine does not allow (a bug in a flow, not input). */
export class TransitionError extends Error {
  constructor(
    readonly machine: 'compartment' | 'door' | 'delivery',
    readonly id: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${machine} ${id}: ${from} -> ${to} is not allowed`);
    this.name = 'TransitionError';
  }
}

/**
 * Who acted, as recorded in the audit log and events: a proven certificate holder or staff
 * member (by SPKI SHA-256), a back-office operator, the station itself, or someone at the
 * kiosk whose card has not (yet) proved its key (`unproven`: no hash is attached). Never a
 * name or any other personal datum.
 */
export type Actor =
  | `holder:${string}`
  | `staff:${string}`
  | `operator:${string}`
  | 'station'
  | 'resident'
  | 'unproven';

export const Actors = {
  holder: (spki: string): Actor => `holder:${spki}`,
  staff: (spki: string): Actor => `staff:${spki}`,
  operator: (id: string): Actor => `operator:${id}`,
  backOffice: 'operator:back-office' as Actor,
} as const;

/** Why an actuation happened. */
export type ActuationCause =
  'pickup' | 'load' | 'retrieval' | 'remote' | 'door_access' | 'maintenance';

/** A pickup or door attempt reason (the wire's `AttemptReason`). */
export type { AttemptReason };

/** What a door decision found. */
export interface DoorDecision {
  granted: boolean;
  reason: AttemptReason;
  ruleId?: string;
}

/** One audit fact to append (same shape as the audit log's entry; no personal data). */
export interface AuditRecord {
  kind: 'attempt' | 'grant' | 'denial' | 'actuation' | 'alarm' | 'operator' | 'system';
  action: string;
  actor?: Actor;
  target?: string;
  outcome?: string;
  reason?: string;
  details?: Record<string, string | number | boolean | null>;
}

/** Which retained state part a change touches. */
export type StatePart = 'compartments' | 'doors' | 'alarms';
