/** Table tests of the pure decisions and transitions. */
import { describe, expect, it } from 'vitest';
import type { AlarmCode } from '../../shared/mqtt/state.js';
import {
  checkDeliveryMove,
  compartmentWire,
  decideDoor,
  doorMoves,
  moveCompartment,
  outOfServiceReasons,
  pickupPlan,
  staffGrantAt,
} from './decisions.js';
import {
  COMPARTMENT_TRANSITIONS,
  TransitionError,
  type CompartmentRow,
  type CompartmentState,
  type DeliveryRow,
  type DoorState,
} from './model.js';
import { ALICE, DOOR_CASES, MONDAY_10_JST, doorRules } from './testing/door-rule-table.js';

describe('decideDoor(rules, door, holder, at)', () => {
  const rules = doorRules();
  it.each(DOOR_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const d = decideDoor(rules, c.door, c.holder, c.at);
    expect(d.granted).toBe(c.granted);
    expect(d.reason).toBe(c.reason);
    expect(d.ruleId).toBe(c.ruleId);
  });
  it.each([
    ['another door', rules, 'back'],
    ['no rules at all', undefined, 'front'],
  ] as const)('%s: no rule', (_name, r, door) => {
    expect(decideDoor(r, door, ALICE, MONDAY_10_JST)).toMatchObject({
      granted: false,
      reason: 'no_rule',
    });
    expect(decideDoor(r, door, ALICE, MONDAY_10_JST).ruleId).toBeUndefined();
  });
});

const row = (state: CompartmentState): CompartmentRow => ({
  id: 'A01',
  size: 'M',
  state,
  door: 'closed',
  delivery_id: 'd1',
  resume_state: null,
  updated_at: '2025-01-01T00:00:00.000Z',
});

describe('moveCompartment', () => {
  const all = Object.keys(COMPARTMENT_TRANSITIONS) as CompartmentState[];
  const cases = all.flatMap((from) => all.map((to) => [from, to] as const));
  it.each(cases)('%s -> %s follows the table', (from, to) => {
    const allowed = from === to || COMPARTMENT_TRANSITIONS[from].includes(to);
    const at = '2025-06-02T01:00:00.000Z';
    if (!allowed) {
      expect(() => moveCompartment(row(from), to, {}, at)).toThrow(TransitionError);
      return;
    }
    const { row: next, event } = moveCompartment(row(from), to, {}, at);
    expect(next).toMatchObject({ state: to, updated_at: at, delivery_id: 'd1' });
    expect(event).toMatchObject({ kind: 'compartment.state', data: { compartment: 'A01' } });
  });

  it('applies the patch (delivery, resume state)', () => {
    const { row: next } = moveCompartment(row('loaded'), 'fault', { resume: 'loaded' }, 'x');
    expect(next.resume_state).toBe('loaded');
    const { row: freed } = moveCompartment(
      row('opened_for_pickup'),
      'collected',
      { deliveryId: null },
      'x',
    );
    expect(freed.delivery_id).toBeNull();
  });
});

describe('doorMoves', () => {
  it.each([
    ['locked', 'unlocked', true],
    ['locked', 'locked', false],
    ['unlocked', 'open', true],
    ['open', 'held_open', true],
    ['held_open', 'locked', true],
    ['locked', 'forced', true],
    ['forced', 'locked', true],
  ] as [DoorState, DoorState, boolean][])('%s -> %s: %s', (from, to, moves) => {
    expect(doorMoves('front', from, to)).toBe(moves);
  });
  it.each([
    ['locked', 'open'],
    ['forced', 'unlocked'],
    ['held_open', 'open'],
  ] as [DoorState, DoorState][])('%s -> %s is refused', (from, to) => {
    expect(() => doorMoves('front', from, to)).toThrow(TransitionError);
  });
});

const delivery = (state: DeliveryRow['state'], compartment = 'A01'): DeliveryRow => ({
  id: `d-${compartment}`,
  compartment,
  holder_spki: ALICE,
  state,
  pickup_deadline: '2025-06-03T00:00:00.000Z',
  created_at: '2025-06-01T00:00:00.000Z',
  loaded_at: null,
  collected_at: null,
  closed_reason: null,
});

describe('checkDeliveryMove', () => {
  it.each([
    ['assigned', 'loaded', true],
    ['loaded', 'collected', true],
    ['expired', 'retrieved', true],
    ['collected', 'loaded', false],
    ['retrieved', 'expired', false],
    ['assigned', 'collected', false],
  ] as [DeliveryRow['state'], DeliveryRow['state'], boolean][])('%s -> %s: %s', (from, to, ok) => {
    const call = () => checkDeliveryMove(delivery(from), to);
    if (ok) expect(call).not.toThrow();
    else expect(call).toThrow(TransitionError);
  });
});

describe('staffGrantAt', () => {
  const staff = {
    staff_id: 's1',
    roles: '["loader"]',
    valid_from: '2025-01-01T00:00:00Z',
    valid_until: '2026-01-01T00:00:00Z',
  };
  it.each([
    ['inside validity', staff, MONDAY_10_JST, { staffId: 's1', roles: ['loader'] }],
    ['before validity', staff, new Date('2024-12-31T00:00:00Z'), undefined],
    ['at the end of validity', staff, new Date('2026-01-01T00:00:00Z'), undefined],
    ['not on the roster', undefined, MONDAY_10_JST, undefined],
    [
      'open-ended',
      { ...staff, valid_from: null, valid_until: null },
      new Date('2040-01-01T00:00:00Z'),
      { staffId: 's1', roles: ['loader'] },
    ],
  ] as const)('%s', (_name, r, at, expected) => {
    expect(staffGrantAt(r, at)).toEqual(expected);
  });
});

describe('pickupPlan', () => {
  it.each([
    ['a loaded delivery in a loaded compartment is ready', [delivery('loaded')], 'loaded', 1, 0],
    ['a loaded delivery in a faulted compartment is not', [delivery('loaded')], 'fault', 0, 0],
    ['an assigned delivery is not ready', [delivery('assigned')], 'reserved', 0, 0],
    ['an expired delivery is reported', [delivery('expired')], 'expired', 0, 1],
    ['nothing', [], 'loaded', 0, 0],
  ] as [string, DeliveryRow[], CompartmentState, number, number][])(
    '%s',
    (_name, deliveries, compartment, ready, expired) => {
      const plan = pickupPlan(deliveries, () => compartment);
      expect(plan.ready).toHaveLength(ready);
      expect(plan.expired).toHaveLength(expired);
    },
  );
});

describe('compartmentWire', () => {
  it.each([
    ['empty', 'free'],
    ['collected', 'free'],
    ['opened_for_pickup', 'open'],
    ['retrieval', 'open'],
    ['fault', 'fault'],
  ] as [CompartmentState, string][])('%s is shown as %s', (state, status) => {
    expect(compartmentWire(row(state), delivery('loaded'))).toEqual({
      compartment: 'A01',
      size: 'M',
      status,
      door: 'closed',
      deliveryId: 'd1',
      pickupDeadline: '2025-06-03T00:00:00.000Z',
    });
  });
});

describe('outOfServiceReasons', () => {
  it.each([
    ['no alarm: in service', [], []],
    ['alarms that do not stop pickups', ['disk_low', 'card_left', 'door_held_open'], []],
    ['the reader gone', ['reader_gone'], ['reader']],
    ['a CRL dated in the future: its own reason', ['crl_not_yet_valid'], ['crl_not_yet_valid']],
    ['a board per alarm, named once', ['board_unreachable', 'board_unreachable'], ['boards']],
    [
      'every part, in the fixed order whatever the alarms order',
      ['crl_stale', 'outbox_full', 'board_unreachable', 'reader_gone', 'tamper'],
      ['reader', 'boards', 'outbox', 'crl'],
    ],
  ] as [string, AlarmCode[], string[]][])('%s', (_name, alarms, expected) => {
    expect(outOfServiceReasons(alarms.map((alarm) => ({ alarm })))).toEqual(expected);
  });
});
