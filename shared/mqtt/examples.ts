/**
 * One example of every payload and every command body. docs/mqtt.md shows them; the schema
 * tests check that each one is valid, so the documentation cannot drift from the schemas.
 */
import type { JpkiLockerMqttApi } from './api.js';
import type { CommandBodies } from './commands.js';

const holder = '3f0c6b1e9d2a4c5b8e7f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5';
const staff = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** Example body of each command kind. */
export const exampleCommandBodies: CommandBodies = {
  'delivery.assign': {
    deliveryId: 'D-2026-000123',
    size: 'M',
    holderSpkiSha256: holder,
    pickupDeadline: '2026-11-27T23:00:00+09:00',
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
  'remote.open': { compartment: 'A03', reason: 'ticket 5521: resident locked out' },
  'station.maintenance': { enabled: true, reason: 'lock replacement' },
  'crl.available': {
    url: 'https://pki.example.lg.jp/crl/auth-2026-11-24.crl',
    sha256: '9b74c9897bac770ffc029102a200c5de0b0c5f2f6a4e6b7c8d9e0f1a2b3c4d5e',
  },
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
