/**
 * One example of every payload and every command body. docs/mqtt.md shows them; the schema
 * tests check that each one is valid, so the documentation cannot drift from the schemas.
 */
import type { JpkiLockerMqttApi } from './api.js';
import type { CommandBodies, CommandKind } from './commands.js';
import type { EventData, EventKind } from './events.js';
import type { Receipt } from './receipt.js';

const holder = '3f0c6b1e9d2a4c5b8e7f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5';
const staff = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** Example body of each command kind. */
export const exampleCommandBodies: CommandBodies = {
  'delivery.assign': {
    deliveryId: 'D-2026-000123',
    size: 'M',
    holderSpkiSha256: holder,
    pickupDeadline: '2026-11-27T23:00:00+09:00',
    envelopeCode: 'NKN-2026-000123-7F3A',
  },
  'delivery.cancel': { deliveryId: 'D-2026-000123', reason: 'issued in error' },
  'delivery.extend': { deliveryId: 'D-2026-000123', pickupDeadline: '2026-11-30T23:00:00+09:00' },
  'staff.roster': {
    version: 7,
    staff: [{ staffId: 'S-0042', certSpkiSha256: staff, roles: ['loader', 'retrieval'] }],
  },
  'door.rules': {
    version: 3,
    groups: { cleaners: [staff] },
    rules: [
      {
        ruleId: 'R-1',
        who: { groups: ['cleaners'], certSpkiSha256: [holder] },
        doors: ['main'],
        schedule: {
          timezone: 'Asia/Tokyo',
          weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '06:30', to: '23:00' }],
          holidays: ['2027-01-01', '2027-01-02'],
          holidayWindows: [{ from: '09:00', to: '17:00' }],
        },
        validFrom: '2026-12-01T00:00:00+09:00',
        validUntil: '2027-03-31T23:59:59+09:00',
      },
    ],
  },
  'remote.open': {
    compartment: 'A03',
    reason: 'ticket 5521: resident at the counter',
    disposition: 'handed_over_at_counter',
  },
  'compartment.maintenance': { compartment: 'A04', enabled: true, reason: 'hinge loose' },
  'compartment.clear': { compartment: 'A04', reason: 'latch replaced, checked by K. Sato' },
  'station.maintenance': { enabled: true, reason: 'lock replacement' },
  'crl.available': {
    url: 'https://pki.example.lg.jp/crl/auth-2026-11-24.crl',
    sha256: '9b74c9897bac770ffc029102a200c5de0b0c5f2f6a4e6b7c8d9e0f1a2b3c4d5e',
  },
  'ocsp.responses': { responses: ['MIIBszCCAa8GCSsGAQUFBzABAQ=='] },
  'config.change': { version: 12, settings: { 'station.hours.open': '07:00' } },
};

/** Example payload of each topic. */
export const examplePayloads: JpkiLockerMqttApi = {
  status: { v: 1, state: 'online', session: 42, version: '0.1.0', at: '2026-11-24T05:00:00.000Z' },
  'state/compartments': {
    v: 1,
    at: '2026-11-24T05:00:00.000Z',
    compartments: [
      {
        compartment: 'A01',
        size: 'S',
        status: 'free',
        door: 'closed',
        deliveryId: null,
        pickupDeadline: null,
      },
      {
        compartment: 'A02',
        size: 'M',
        status: 'loaded',
        door: 'closed',
        deliveryId: 'D-2026-000120',
        pickupDeadline: '2026-11-26T14:00:00.000Z',
      },
    ],
  },
  'state/doors': {
    v: 1,
    at: '2026-11-24T05:00:00.000Z',
    doors: [{ door: 'main', status: 'locked' }],
  },
  'state/alarms': {
    v: 1,
    at: '2026-11-24T05:00:00.000Z',
    alarms: [
      {
        alarm: 'door_held_open',
        severity: 'warning',
        target: 'main',
        since: '2026-11-24T04:58:10.000Z',
      },
    ],
  },
  'state/crl': {
    v: 1,
    at: '2026-11-24T05:00:00.000Z',
    ageSec: 18000,
    thisUpdate: '2026-11-24T00:00:00.000Z',
    nextUpdate: '2026-11-25T00:00:00.000Z',
    stale: false,
  },
  heartbeat: {
    v: 1,
    at: '2026-11-24T05:00:30.000Z',
    session: 42,
    uptimeSec: 86400,
    intervalSec: 30,
    version: '0.1.0',
    outboxDepth: 0,
    crlAgeSec: 18030,
    hardware: { cardReader: 'ok', board0: 'ok' },
    mode: 'active',
  },
  events: {
    v: 1,
    seq: 1043,
    id: '0b9f4f9e-8a51-4a83-9b0e-3b8f7f0c2d11',
    station: 'nakano-01',
    kind: 'delivery.collected',
    at: '2026-11-24T05:01:12.345Z',
    historical: false,
    data: { deliveryId: 'D-2026-000120', compartment: 'A02', holderSpkiSha256: holder },
  },
  cmd: {
    jws: 'eyJhbGciOiJFUzI1NiIsInR5cCI6Impwa2ktbG9ja2VyLWNvbW1hbmQrandzIiwieDVjIjpbIk1JSS4uLiJdfQ.eyJ2IjoxLCJpZCI6Ii4uLiJ9.c2ln',
  },
  'cmd/response': {
    v: 1,
    commandId: '6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b',
    kind: 'delivery.assign',
    station: 'nakano-01',
    status: 'accepted',
    detail: { compartment: 'A05' },
    duplicate: false,
    at: '2026-11-24T05:02:00.000Z',
  },
};

// ---- examples that keep the schemas and the TypeScript types in step --------------------------

/** The keys of `T` that are not optional. */
type RequiredKeys<T> = {
  [K in keyof T]-?: Record<string, never> extends Pick<T, K> ? never : K;
}[keyof T];
/** Only the required members of `T` (an object literal of this type may hold no optional key). */
export type Minimal<T> = Pick<T, RequiredKeys<T>>;
/** Every member of `T`, optional ones included. */
export type Full<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

const at = '2026-11-24T05:00:00.000Z';
const uuid = '0b9f4f9e-8a51-4a83-9b0e-3b8f7f0c2d11';

/** A receipt's shape (the certificate and signature shortened: not a verifiable receipt). */
const exampleReceipt: Receipt = {
  certificate:
    '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIUQ2Vy...\n-----END CERTIFICATE-----\n',
  challenge: {
    v: 1,
    type: 'jpki-locker-receipt',
    station: 'nakano-01',
    deliveryIds: ['D-2026-000123', 'D-2026-000124'],
    at: '2026-11-24T05:01:12.345Z',
    nonce: 'q9cJ0m1yQ0Z0tW8bYb2M3x9r6H7c2o1N5a4V8e0L3kA',
  },
  signature: 'kX3f9Q0b2Yc7Zt1mW5r8pL4sN6vA0eH2jK9uD3gB7xE=',
};
const exampleCheckpoint = {
  seq: 18231,
  hash: '5d41402abc4b2a76b9719d911017c592ae2b1f0c9d8e7f6a5b4c3d2e1f0a9b8c',
  jws: 'eyJhbGciOiJFUzI1NiJ9.eyJzZXEiOjE4MjMxfQ.c2ln',
};
const exampleRetention = {
  deliveries: 12,
  attempts: 40,
  auditRows: 913,
  events: 2210,
  checkpointSeq: 18231,
};

/**
 * Each event kind's `data` with every optional member present. The type forces every member
 * of the TypeScript type; the schema test checks the schema accepts each one (so the schema
 * knows every member, with the same value types).
 */
export const exampleEventDataFull: { [K in EventKind]: Full<EventData[K]> } = {
  'delivery.assigned': {
    deliveryId: 'D-2026-000123',
    compartment: 'A05',
    size: 'M',
    holderSpkiSha256: holder,
    pickupDeadline: '2026-11-27T23:00:00+09:00',
  },
  'delivery.loaded': { deliveryId: 'D-2026-000123', compartment: 'A05', staffSpkiSha256: staff },
  'delivery.collected': {
    deliveryId: 'D-2026-000123',
    compartment: 'A05',
    holderSpkiSha256: holder,
    receipt: exampleReceipt,
  },
  'delivery.expired': { deliveryId: 'D-2026-000123', compartment: 'A05' },
  'delivery.cancelled': {
    deliveryId: 'D-2026-000123',
    compartment: 'A05',
    reason: 'issued in error',
  },
  'delivery.extended': { deliveryId: 'D-2026-000123', pickupDeadline: '2026-11-30T23:00:00+09:00' },
  'delivery.retrieved': {
    deliveryId: 'D-2026-000123',
    compartment: 'A05',
    staffSpkiSha256: staff,
  },
  'delivery.disposed': {
    deliveryId: 'D-2026-000123',
    compartment: 'A05',
    disposition: 'handed_over_at_counter',
    state: 'handed_over',
    staffSpkiSha256: staff,
  },
  'compartment.state': {
    compartment: 'A05',
    status: 'loaded',
    door: 'closed',
    deliveryId: 'D-2026-000123',
  },
  'door.state': { door: 'main', status: 'held_open' },
  'door.decision': {
    door: 'main',
    decision: 'granted',
    reason: 'ok',
    holderSpkiSha256: holder,
    ruleId: 'R-1',
  },
  'pickup.attempt': {
    result: 'denied',
    reason: 'wrong_pin',
    holderSpkiSha256: holder,
    deliveryId: 'D-2026-000123',
    compartment: 'A05',
    revocationSource: 'ocsp',
  },
  'actuation.intent': { target: 'compartment', id: 'A05', cause: 'pickup' },
  actuation: { target: 'compartment', id: 'A05', cause: 'pickup', opened: true },
  'alarm.raised': {
    alarm: 'compartment_jammed',
    severity: 'critical',
    target: 'A05',
    detail: 'unlock commanded, latch did not release',
  },
  'alarm.cleared': { alarm: 'compartment_jammed', target: 'A05' },
  'crl.updated': {
    sha256: '9b74c9897bac770ffc029102a200c5de0b0c5f2f6a4e6b7c8d9e0f1a2b3c4d5e',
    thisUpdate: '2026-11-24T00:00:00Z',
    nextUpdate: '2026-11-25T00:00:00Z',
    entries: 1234,
    source: 'https://pki.example.lg.jp/crl/auth-2026-11-24.crl',
  },
  'command.handled': {
    commandId: uuid,
    kind: 'remote.open',
    status: 'rejected',
    reason: 'unknown_door',
  },
  'station.started': { version: '0.1.0' },
  'station.mode': { mode: 'maintenance', reason: 'lock replacement' },
  'roster.applied': { version: 7, staff: 12 },
  'door-rules.applied': { version: 3, rules: 4 },
  'config.applied': { version: 12, keys: ['station.hours.open'] },
  'audit.checkpoint': exampleCheckpoint,
  'retention.pruned': exampleRetention,
};

/**
 * Each event kind's `data` with only its required members (the type refuses any optional
 * one). The schema test checks these are valid and that the schema's `required` list is
 * exactly these keys.
 */
export const exampleEventDataMinimal: { [K in EventKind]: Minimal<EventData[K]> } = {
  'delivery.assigned': {
    deliveryId: 'D-2026-000123',
    compartment: 'A05',
    holderSpkiSha256: holder,
    pickupDeadline: '2026-11-27T23:00:00+09:00',
  },
  'delivery.loaded': { deliveryId: 'D-2026-000123', compartment: 'A05' },
  'delivery.collected': {
    deliveryId: 'D-2026-000123',
    compartment: 'A05',
    holderSpkiSha256: holder,
  },
  'delivery.expired': { deliveryId: 'D-2026-000123', compartment: 'A05' },
  'delivery.cancelled': { deliveryId: 'D-2026-000123' },
  'delivery.extended': { deliveryId: 'D-2026-000123', pickupDeadline: '2026-11-30T23:00:00+09:00' },
  'delivery.retrieved': { deliveryId: 'D-2026-000123', compartment: 'A05' },
  'delivery.disposed': {
    deliveryId: 'D-2026-000123',
    compartment: 'A05',
    disposition: 'retrieved',
    state: 'retrieved',
  },
  'compartment.state': { compartment: 'A05', status: 'free', door: 'closed' },
  'door.state': { door: 'main', status: 'locked' },
  'door.decision': { door: 'main', decision: 'denied', reason: 'no_rule', holderSpkiSha256: null },
  'pickup.attempt': { result: 'denied', reason: 'card_error', holderSpkiSha256: null },
  'actuation.intent': { target: 'door', id: 'main', cause: 'remote' },
  actuation: { target: 'door', id: 'main', cause: 'remote', opened: false },
  'alarm.raised': { alarm: 'disk_low', severity: 'warning' },
  'alarm.cleared': { alarm: 'disk_low' },
  'crl.updated': exampleEventDataFull['crl.updated'],
  'command.handled': { commandId: null, kind: null, status: 'accepted' },
  'station.started': { version: '0.1.0' },
  'station.mode': { mode: 'active' },
  'roster.applied': { version: 7, staff: 0 },
  'door-rules.applied': { version: 3, rules: 0 },
  'config.applied': { version: 12, keys: [] },
  'audit.checkpoint': exampleCheckpoint,
  'retention.pruned': exampleRetention,
};

/** Each command kind's body with every optional member present (see exampleEventDataFull). */
export const exampleCommandBodiesFull: { [K in CommandKind]: Full<CommandBodies[K]> } = {
  'delivery.assign': {
    deliveryId: 'D-2026-000123',
    compartment: 'A05',
    size: 'M',
    holderSpkiSha256: holder,
    pickupDeadline: '2026-11-27T23:00:00+09:00',
    envelopeCode: 'NKN-2026-000123-7F3A',
  },
  'delivery.cancel': { deliveryId: 'D-2026-000123', reason: 'issued in error' },
  'delivery.extend': exampleCommandBodies['delivery.extend'],
  'staff.roster': {
    version: 8,
    staff: [
      {
        staffId: 'S-0042',
        certSpkiSha256: staff,
        roles: ['loader', 'retrieval', 'maintenance', 'door'],
        validFrom: '2026-11-01T00:00:00+09:00',
        validUntil: '2027-03-31T23:59:59+09:00',
      },
    ],
  },
  'door.rules': {
    ...exampleCommandBodies['door.rules'],
    groups: { cleaners: [staff] },
  },
  'remote.open': {
    door: 'main',
    compartment: 'A03',
    reason: 'ticket 5521',
    disposition: 'inspection',
  },
  'compartment.maintenance': { compartment: 'A04', enabled: false, reason: 'repaired' },
  'compartment.clear': { compartment: 'A04', reason: 'checked' },
  'station.maintenance': { enabled: false, reason: 'done' },
  'crl.available': exampleCommandBodies['crl.available'],
  'ocsp.responses': exampleCommandBodies['ocsp.responses'],
  'config.change': {
    version: 13,
    settings: { 'pickup.pinTimeoutSec': 90, 'web.simulator': false },
  },
};

/** Each command kind's body with only its required members (see exampleEventDataMinimal). */
export const exampleCommandBodiesMinimal: { [K in CommandKind]: Minimal<CommandBodies[K]> } = {
  'delivery.assign': {
    deliveryId: 'D-2026-000123',
    holderSpkiSha256: holder,
    pickupDeadline: '2026-11-27T23:00:00+09:00',
  },
  'delivery.cancel': { deliveryId: 'D-2026-000123' },
  'delivery.extend': exampleCommandBodies['delivery.extend'],
  'staff.roster': {
    version: 8,
    staff: [{ staffId: 'S-0042', certSpkiSha256: staff, roles: [] }],
  },
  'door.rules': { version: 4, rules: [] },
  'remote.open': { reason: 'ticket 5521' },
  'compartment.maintenance': { compartment: 'A04', enabled: true },
  'compartment.clear': { compartment: 'A04' },
  'station.maintenance': { enabled: true },
  'crl.available': exampleCommandBodies['crl.available'],
  'ocsp.responses': exampleCommandBodies['ocsp.responses'],
  'config.change': exampleCommandBodies['config.change'],
};

/** Top-level payloads with only their required members. */
export const examplePayloadsMinimal: {
  status: Minimal<JpkiLockerMqttApi['status']>;
  heartbeat: Minimal<JpkiLockerMqttApi['heartbeat']>;
  'cmd/response': Minimal<JpkiLockerMqttApi['cmd/response']>;
} = {
  status: { v: 1, state: 'offline', session: 42 },
  heartbeat: {
    v: 1,
    at,
    session: 42,
    uptimeSec: 0,
    version: '0.1.0',
    outboxDepth: 0,
    crlAgeSec: null,
    hardware: {},
    mode: 'active',
  },
  'cmd/response': {
    v: 1,
    commandId: null,
    kind: null,
    station: 'nakano-01',
    status: 'rejected',
    duplicate: false,
    at,
  },
};
