/**
 * The door-rule table both door suites run: `decideDoor` on its own (domain/decisions.test.ts)
 * and the DoorController on GPIO (flows/door-access.test.ts), so the rule and the station
 * that drives the relay are held to the same cases.
 */
import type { DoorRulesBody } from '../../../shared/mqtt/commands.js';

export const ALICE = 'a'.repeat(64);
export const BOB = 'b'.repeat(64);
export const CAROL = 'c'.repeat(64);
/** Named by no rule. */
export const MALLORY = 'd'.repeat(64);
/** Monday 2025-06-02 10:00 in Tokyo. */
export const MONDAY_10_JST = new Date('2025-06-02T01:00:00Z');

/** Alice on weekdays by key, Bob's group at night (across midnight), Carol not valid yet. */
export function doorRules(version = 1): DoorRulesBody {
  return {
    version,
    groups: { night: [BOB] },
    rules: [
      {
        ruleId: 'weekday',
        who: { certSpkiSha256: [ALICE] },
        doors: ['front'],
        schedule: {
          timezone: 'Asia/Tokyo',
          weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' }],
        },
        validFrom: '2025-01-01T00:00:00Z',
        validUntil: '2026-01-01T00:00:00Z',
      },
      {
        ruleId: 'night',
        who: { groups: ['night'] },
        doors: ['front'],
        schedule: {
          timezone: 'Asia/Tokyo',
          weekly: [{ days: ['mon'], from: '22:00', to: '06:00' }],
        },
        validFrom: '2025-01-01T00:00:00Z',
        validUntil: '2026-01-01T00:00:00Z',
      },
      {
        ruleId: 'future',
        who: { certSpkiSha256: [CAROL] },
        doors: ['front'],
        schedule: {
          timezone: 'Asia/Tokyo',
          weekly: [{ days: ['mon'], from: '00:00', to: '24:00' }],
        },
        validFrom: '2030-01-01T00:00:00Z',
        validUntil: '2031-01-01T00:00:00Z',
      },
    ],
  };
}

/** One case: who asks for which door when, and the decision. */
export interface DoorCase {
  name: string;
  door: string;
  holder: string;
  at: Date;
  granted: boolean;
  reason: string;
  ruleId: string | undefined;
}

/** The cases at door `front` (the one door of both suites). */
export const DOOR_CASES: readonly DoorCase[] = [
  {
    name: 'a rule by key, inside the schedule',
    door: 'front',
    holder: ALICE,
    at: MONDAY_10_JST,
    granted: true,
    reason: 'ok',
    ruleId: 'weekday',
  },
  {
    name: 'a rule by key, outside the schedule (Saturday)',
    door: 'front',
    holder: ALICE,
    at: new Date('2025-06-07T01:00:00Z'),
    granted: false,
    reason: 'outside_schedule',
    ruleId: 'weekday',
  },
  {
    name: 'a rule by group, outside its window',
    door: 'front',
    holder: BOB,
    at: MONDAY_10_JST,
    granted: false,
    reason: 'outside_schedule',
    ruleId: 'night',
  },
  {
    name: 'a rule by group, inside its window (Monday 23:30, across midnight)',
    door: 'front',
    holder: BOB,
    at: new Date('2025-06-02T14:30:00Z'),
    granted: true,
    reason: 'ok',
    ruleId: 'night',
  },
  {
    name: 'a rule not valid yet',
    door: 'front',
    holder: CAROL,
    at: MONDAY_10_JST,
    granted: false,
    reason: 'rule_not_yet_valid',
    ruleId: 'future',
  },
  {
    name: 'a rule past its validity',
    door: 'front',
    holder: ALICE,
    at: new Date('2026-01-05T01:00:00Z'),
    granted: false,
    reason: 'rule_expired',
    ruleId: 'weekday',
  },
  {
    name: 'nobody naming the holder',
    door: 'front',
    holder: MALLORY,
    at: MONDAY_10_JST,
    granted: false,
    reason: 'no_rule',
    ruleId: undefined,
  },
];
