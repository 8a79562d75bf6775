/**
 * The domain's decisions and transitions as pure functions: each takes the facts it needs
 * (rows, rules, an instant) and returns the answer. The flows read the facts through the
 * repositories and write the answers through one unit of work; table tests sit beside.
 */
import type { DoorRulesBody } from '../../shared/mqtt/commands.js';
import type { NewEvent } from '../../shared/mqtt/events.js';
import type {
  AlarmCode,
  CompartmentState as WireCompartment,
  CompartmentStatus,
} from '../../shared/mqtt/state.js';
import { OUT_OF_SERVICE_REASONS, type OutOfServiceReason } from '../../shared/kiosk/state.js';
import {
  COMPARTMENT_TRANSITIONS,
  DELIVERY_TRANSITIONS,
  DOOR_TRANSITIONS,
  TransitionError,
  type CompartmentRow,
  type CompartmentState,
  type DeliveryRow,
  type DeliveryState,
  type DoorDecision,
  type DoorState,
  type StaffGrant,
  type StaffRow,
  type StatePart,
} from './model.js';
import { ruleOpenAt } from './schedule.js';

/** How a compartment state is shown on the wire (`state/compartments`). */
export const WIRE_STATUS: Record<CompartmentState, CompartmentStatus> = {
  empty: 'free',
  collected: 'free',
  reserved: 'reserved',
  loaded: 'loaded',
  opened_for_pickup: 'open',
  expired: 'expired',
  retrieval: 'open',
  maintenance: 'maintenance',
  fault: 'fault',
};

/** Which retained state part an event changes. */
export const PART_OF_EVENT: Partial<Record<NewEvent['kind'], StatePart>> = {
  'compartment.state': 'compartments',
  'delivery.assigned': 'compartments',
  'delivery.loaded': 'compartments',
  'delivery.collected': 'compartments',
  'delivery.expired': 'compartments',
  'delivery.cancelled': 'compartments',
  'delivery.extended': 'compartments',
  'delivery.retrieved': 'compartments',
  'door.state': 'doors',
  'alarm.raised': 'alarms',
  'alarm.cleared': 'alarms',
};

/**
 * The compartment after moving `row` to `to` (staying put is allowed), and its
 * `compartment.state` event. @throws TransitionError for a move the machine does not allow.
 */
export function moveCompartment(
  row: CompartmentRow,
  to: CompartmentState,
  patch: { deliveryId?: string | null; resume?: CompartmentState | null },
  at: string,
): { row: CompartmentRow; event: NewEvent } {
  if (row.state !== to && !COMPARTMENT_TRANSITIONS[row.state].includes(to))
    throw new TransitionError('compartment', row.id, row.state, to);
  const next: CompartmentRow = {
    ...row,
    state: to,
    delivery_id: patch.deliveryId === undefined ? row.delivery_id : patch.deliveryId,
    resume_state: patch.resume === undefined ? row.resume_state : patch.resume,
    updated_at: at,
  };
  return {
    row: next,
    event: {
      kind: 'compartment.state',
      data: {
        compartment: row.id,
        status: WIRE_STATUS[to],
        door: row.door,
        deliveryId: next.delivery_id,
      },
    },
  };
}

/**
 * Whether a door moves from `from` to `to`: false when it is already there.
 * @throws TransitionError for a move the machine does not allow.
 */
export function doorMoves(id: string, from: DoorState, to: DoorState): boolean {
  if (from === to) return false;
  if (!DOOR_TRANSITIONS[from].includes(to)) throw new TransitionError('door', id, from, to);
  return true;
}

/** Checks a delivery move. @throws TransitionError for a move the machine does not allow. */
export function checkDeliveryMove(row: DeliveryRow, to: DeliveryState): void {
  if (!DELIVERY_TRANSITIONS[row.state].includes(to))
    throw new TransitionError('delivery', row.id, row.state, to);
}

/** The staff roles a roster row grants at `at` (none outside its validity). */
export function staffGrantAt(row: StaffRow | undefined, at: Date): StaffGrant | undefined {
  if (!row) return undefined;
  if (row.valid_from && at.getTime() < Date.parse(row.valid_from)) return undefined;
  if (row.valid_until && at.getTime() >= Date.parse(row.valid_until)) return undefined;
  return { staffId: row.staff_id, roles: JSON.parse(row.roles) as StaffGrant['roles'] };
}

/** The door rules naming `holder` (directly or by group) for `door`. */
export function rulesFor(
  rules: DoorRulesBody | undefined,
  door: string,
  holder: string,
): DoorRulesBody['rules'] {
  if (!rules) return [];
  const groups = Object.entries(rules.groups ?? {})
    .filter(([, members]) => members.includes(holder))
    .map(([g]) => g);
  return rules.rules.filter(
    (r) =>
      (door === '*' || r.doors.includes(door)) &&
      ((r.who.certSpkiSha256 ?? []).includes(holder) ||
        (r.who.groups ?? []).some((g) => groups.includes(g))),
  );
}

/**
 * Whether a certificate holder may open a door at `at`: the rules naming the holder and the
 * door, each checked for validity and schedule. The most telling refusal is returned when
 * none grants (`no_rule`, `outside_schedule`, `rule_expired`, `rule_not_yet_valid`).
 */
export function decideDoor(
  rules: DoorRulesBody | undefined,
  door: string,
  holder: string,
  at: Date,
): DoorDecision {
  const mine = rulesFor(rules, door, holder);
  if (mine.length === 0) return { granted: false, reason: 'no_rule' };
  let best: DoorDecision = { granted: false, reason: 'outside_schedule' };
  for (const r of mine) {
    const verdict = ruleOpenAt(r, at);
    if (verdict === 'ok') return { granted: true, reason: 'ok', ruleId: r.ruleId };
    best = {
      granted: false,
      reason:
        verdict === 'holiday' || verdict === 'outside_schedule'
          ? 'outside_schedule'
          : `rule_${verdict}`,
      ruleId: r.ruleId,
    };
  }
  return best;
}

/** What a holder can collect now: deliveries ready in a loaded compartment, and expired ones. */
export function pickupPlan(
  deliveries: readonly DeliveryRow[],
  compartmentState: (id: string) => CompartmentState | undefined,
): { ready: DeliveryRow[]; expired: DeliveryRow[] } {
  return {
    ready: deliveries.filter(
      (d) => d.state === 'loaded' && compartmentState(d.compartment) === 'loaded',
    ),
    expired: deliveries.filter((d) => d.state === 'expired'),
  };
}

/** A compartment as published in `state/compartments`. */
export function compartmentWire(
  c: CompartmentRow,
  delivery: DeliveryRow | undefined,
): WireCompartment {
  return {
    compartment: c.id,
    size: c.size,
    status: WIRE_STATUS[c.state],
    door: c.door,
    deliveryId: c.delivery_id,
    pickupDeadline: delivery?.pickup_deadline ?? null,
  };
}

/** The alarms that make pickups impossible, and the plain word the kiosk uses for each. */
const OUT_OF_SERVICE: Partial<Record<AlarmCode, OutOfServiceReason>> = {
  reader_gone: 'reader',
  board_unreachable: 'boards',
  outbox_full: 'outbox',
  crl_stale: 'crl',
  crl_not_yet_valid: 'crl_not_yet_valid',
};

/**
 * What makes pickups impossible now, from the active alarms, in one fixed order (whatever
 * order the alarms came in). Empty: the station is in service.
 */
export function outOfServiceReasons(alarms: readonly { alarm: AlarmCode }[]): OutOfServiceReason[] {
  const causes = new Set(alarms.map((a) => OUT_OF_SERVICE[a.alarm]));
  return OUT_OF_SERVICE_REASONS.filter((r) => causes.has(r));
}
