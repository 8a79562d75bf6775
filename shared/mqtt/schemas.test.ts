import { describe, expect, it } from 'vitest';
import { COMMAND_KINDS, type CommandClaims } from './commands.js';
import { exampleCommandBodies, examplePayloads } from './examples.js';
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
