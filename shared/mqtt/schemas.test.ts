import { describe, expect, it } from 'vitest';
import { COMMAND_KINDS, type CommandClaims } from './commands.js';
import { ATTEMPT_REASONS, EVENT_KINDS } from './events.js';
import {
  exampleCommandBodies,
  exampleCommandBodiesFull,
  exampleCommandBodiesMinimal,
  exampleEventDataFull,
  exampleEventDataMinimal,
  examplePayloads,
  examplePayloadsMinimal,
} from './examples.js';
import { commandBodySchemas, eventDataSchemas, payloadSchemas } from './schemas.js';
import { DOOR_STATUSES } from './state.js';
import { StationTopics, parseTopic, TOPIC_SUFFIX, type TopicSuffix } from './topics.js';
import { validateCommandClaims, validatePayload } from './validate.js';

function claims(kind: (typeof COMMAND_KINDS)[number], body: unknown): unknown {
  return {
    v: 1,
    id: '6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b',
    station: 'nakano-01',
    kind,
    issuedAt: '2026-11-24T05:00:00Z',
    notBefore: '2026-11-24T05:00:00Z',
    expiresAt: '2026-11-24T05:10:00Z',
    body,
  };
}

describe('MQTT contract schemas', () => {
  it.each(Object.values(TOPIC_SUFFIX))('the example payload of %s is valid', (suffix) => {
    const r = validatePayload(suffix, examplePayloads[suffix as TopicSuffix]);
    expect(r.ok ? [] : r.errors).toEqual([]);
  });
  it.each([...COMMAND_KINDS])('the example body of %s is valid', (kind) => {
    const r = validateCommandClaims(claims(kind, exampleCommandBodies[kind]));
    expect(r.ok ? [] : r.errors).toEqual([]);
  });
  it('rejects a body that belongs to another kind', () => {
    expect(
      validateCommandClaims(claims('delivery.assign', exampleCommandBodies['remote.open'])).ok,
    ).toBe(false);
  });
  it('delivery.assign needs exactly one of compartment and size', () => {
    const b = { ...exampleCommandBodies['delivery.assign'], compartment: 'A01' };
    expect(validateCommandClaims(claims('delivery.assign', b)).ok).toBe(false);
    const { size: _s, ...none } = exampleCommandBodies['delivery.assign'];
    expect(validateCommandClaims(claims('delivery.assign', none)).ok).toBe(false);
  });
  it('holders are hashes, never names', () => {
    const b = { ...exampleCommandBodies['delivery.assign'], holderSpkiSha256: 'Yamada Taro' };
    expect(validateCommandClaims(claims('delivery.assign', b)).ok).toBe(false);
  });
  it('rejects an event whose data does not match its kind', () => {
    const e = { ...examplePayloads.events, kind: 'door.state' };
    expect(validatePayload('events', e).ok).toBe(false);
  });
  it('a typed CommandClaims value passes', () => {
    const c: CommandClaims = claims('delivery.cancel', { deliveryId: 'D1' }) as CommandClaims;
    expect(validateCommandClaims(c).ok).toBe(true);
  });
});

describe('topics', () => {
  it('builds and parses the v1 layout', () => {
    const t = new StationTopics('nakano-01');
    expect(t.command).toBe('jpki-locker/v1/nakano-01/cmd');
    expect(t.response).toBe('jpki-locker/v1/nakano-01/cmd/response');
    expect(parseTopic(t.compartments)).toEqual({
      stationId: 'nakano-01',
      suffix: 'state/compartments',
    });
    expect(parseTopic('jpki-locker/v1/nakano-01/other')).toBeUndefined();
    expect(parseTopic('jpki-locker/v1/+/cmd')).toBeUndefined();
  });
  it('refuses station ids that would break the topic tree', () => {
    expect(() => new StationTopics('a/b')).toThrow(RangeError);
    expect(() => new StationTopics('#')).toThrow(RangeError);
  });
});

describe('schemas and TypeScript types in step', () => {
  // `Full<T>` examples must hold every member of the type, `Minimal<T>` ones no optional
  // member (the compiler checks both); these tests check the schema agrees with each.
  const requiredOf = (schema: Record<string, unknown>) =>
    [...((schema.required as string[] | undefined) ?? [])].sort();
  /** Command bodies where the schema wants exactly one of two optional members. */
  const ONE_OF: Partial<Record<(typeof COMMAND_KINDS)[number], [string, unknown]>> = {
    'delivery.assign': ['size', 'M'],
    'remote.open': ['door', 'main'],
  };
  const ONE_OF_OTHER: Partial<Record<(typeof COMMAND_KINDS)[number], string>> = {
    'delivery.assign': 'compartment',
    // The full remote.open carries a disposition, which goes with a compartment only.
    'remote.open': 'door',
  };

  it.each([...EVENT_KINDS])(
    'event %s: full and minimal data are valid; required keys agree',
    (kind) => {
      for (const data of [exampleEventDataFull[kind], exampleEventDataMinimal[kind]]) {
        const r = validatePayload('events', { ...examplePayloads.events, kind, data });
        expect(r.ok ? [] : r.errors).toEqual([]);
      }
      expect(requiredOf(eventDataSchemas[kind])).toEqual(
        Object.keys(exampleEventDataMinimal[kind]).sort(),
      );
    },
  );

  it.each([...COMMAND_KINDS])(
    'command %s: full and minimal bodies are valid; required keys agree',
    (kind) => {
      const full: Record<string, unknown> = { ...exampleCommandBodiesFull[kind] };
      const other = ONE_OF_OTHER[kind];
      if (other) delete full[other];
      const extra = ONE_OF[kind];
      const minimal = {
        ...exampleCommandBodiesMinimal[kind],
        ...(extra ? { [extra[0]]: extra[1] } : {}),
      };
      for (const body of [full, minimal]) {
        const r = validateCommandClaims(claims(kind, body));
        expect(r.ok ? [] : r.errors).toEqual([]);
      }
      expect(requiredOf(commandBodySchemas[kind])).toEqual(
        Object.keys(exampleCommandBodiesMinimal[kind]).sort(),
      );
    },
  );

  it.each(Object.keys(examplePayloadsMinimal) as (keyof typeof examplePayloadsMinimal)[])(
    'payload %s: minimal is valid; required keys agree',
    (suffix) => {
      const r = validatePayload(suffix, examplePayloadsMinimal[suffix]);
      expect(r.ok ? [] : r.errors).toEqual([]);
      expect(requiredOf(payloadSchemas[suffix])).toEqual(
        Object.keys(examplePayloadsMinimal[suffix]).sort(),
      );
    },
  );

  it('enumerations come from one list (a value outside it is refused)', () => {
    const e = {
      ...examplePayloads.events,
      kind: 'door.state',
      data: { door: 'main', status: 'ajar' },
    };
    expect(validatePayload('events', e).ok).toBe(false);
    for (const status of DOOR_STATUSES)
      expect(validatePayload('events', { ...e, data: { door: 'main', status } }).ok).toBe(true);
    for (const reason of ATTEMPT_REASONS)
      expect(
        validatePayload('events', {
          ...e,
          kind: 'door.decision',
          data: { door: 'main', decision: 'denied', reason, holderSpkiSha256: null },
        }).ok,
      ).toBe(true);
  });
});

describe('bounds and calendar checks (issue 15)', () => {
  it('refuses an impossible date in every kind of instant', () => {
    const assign = {
      ...exampleCommandBodies['delivery.assign'],
      pickupDeadline: '2026-13-01T00:00:00Z',
    };
    expect(validateCommandClaims(claims('delivery.assign', assign)).ok).toBe(false);
    const envelope = {
      ...(claims('delivery.cancel', { deliveryId: 'D1' }) as object),
      expiresAt: '2026-02-30T00:00:00Z',
    };
    expect(validateCommandClaims(envelope).ok).toBe(false);
    const roster = {
      version: 2,
      staff: [
        {
          staffId: 's1',
          certSpkiSha256: 'ab'.repeat(32),
          roles: ['loader'],
          validUntil: '2026-11-31T00:00:00Z',
        },
      ],
    };
    expect(validateCommandClaims(claims('staff.roster', roster)).ok).toBe(false);
    const rules = structuredClone(exampleCommandBodies['door.rules']) as {
      rules: { schedule: { holidays?: string[] } }[];
    };
    rules.rules[0]!.schedule.holidays = ['2026-02-29'];
    expect(validateCommandClaims(claims('door.rules', rules)).ok).toBe(false);
  });
  it('refuses a remotely changeable key out of its bounds; other keys are left to the station', () => {
    const over = { version: 2, settings: { 'pickup.doorOpenTimeoutSec': 2 ** 31 } };
    expect(validateCommandClaims(claims('config.change', over)).ok).toBe(false);
    const fine = { version: 2, settings: { 'pickup.doorOpenTimeoutSec': 60 } };
    expect(validateCommandClaims(claims('config.change', fine)).ok).toBe(true);
    const other = { version: 2, settings: { 'trust.crlToleranceHours': 1 } };
    expect(validateCommandClaims(claims('config.change', other)).ok).toBe(true);
  });
  it('refuses an over-long string and an over-long list', () => {
    const reason = { door: 'D1', reason: 'x'.repeat(501) };
    expect(validateCommandClaims(claims('remote.open', reason)).ok).toBe(false);
    const settings = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`log.k${i}`, 1]));
    expect(validateCommandClaims(claims('config.change', { version: 1, settings })).ok).toBe(false);
    const detail = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 1]));
    const response = { ...examplePayloads['cmd/response'], detail };
    expect(validatePayload('cmd/response', response).ok).toBe(false);
  });
  it('every string in every schema is bounded, every array and map too', () => {
    const unbounded: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`));
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      const types = ([] as unknown[]).concat(n.type ?? []);
      if (types.includes('string') && n.maxLength === undefined) unbounded.push(at);
      if (types.includes('array') && n.maxItems === undefined) unbounded.push(at);
      if (
        n.additionalProperties &&
        typeof n.additionalProperties === 'object' &&
        n.maxProperties === undefined
      )
        unbounded.push(at);
      for (const [k, v] of Object.entries(n)) walk(v, `${at}/${k}`);
    };
    walk({ commandBodySchemas, eventDataSchemas, payloadSchemas }, '');
    expect(unbounded).toEqual([]);
  });
});
