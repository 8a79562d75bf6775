/**
 * JSON Schemas (draft-07, as understood by Ajv 8) for every payload of the contract, and for
 * the signed command claims and each command body. These are the normative definitions for
 * a back-office implementation; the TypeScript types in this folder mirror them.
 */
import {
  COMMAND_JWS_ALGS,
  COMMAND_KINDS,
  COMMAND_REJECT_REASONS,
  SPKI_SHA256_PATTERN,
} from './commands.js';
import { ATTEMPT_REASONS, EVENT_KINDS } from './events.js';
import {
  ALARM_CODES,
  ALARM_SEVERITIES,
  COMPARTMENT_STATUSES,
  DEVICE_HEALTH,
  DOOR_STATUSES,
} from './state.js';
import { STATION_ID_PATTERN } from './topics.js';

/** ISO 8601 instant with a zone (`2026-11-24T05:00:00Z`, `...+09:00`). */
const instant = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$',
} as const;
const uuid = {
  type: 'string',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
} as const;
const hash = { type: 'string', pattern: SPKI_SHA256_PATTERN } as const;
const nullableHash = { anyOf: [hash, { type: 'null' }] } as const;
const ident = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;
const text = { type: 'string', maxLength: 500 } as const;
const hhmm = { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$' } as const;
const version = { type: 'integer', minimum: 1 } as const;
const size = { enum: ['S', 'M', 'L'] } as const;
const v1 = { const: 1 } as const;
const stationId = { type: 'string', pattern: STATION_ID_PATTERN } as const;
const detail = {
  type: 'object',
  additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
} as const;

function obj(
  properties: Record<string, unknown>,
  required: string[] = Object.keys(properties),
): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, required, properties };
}

const compartmentStatus = { enum: [...COMPARTMENT_STATUSES] } as const;
const doorStatus = { enum: [...DOOR_STATUSES] } as const;
const alarmCode = { enum: [...ALARM_CODES] } as const;
const severity = { enum: [...ALARM_SEVERITIES] } as const;
const attemptReason = { enum: [...ATTEMPT_REASONS] } as const;
const doorSide = { enum: ['open', 'closed', 'unknown'] } as const;
const weekly = obj({
  days: {
    type: 'array',
    minItems: 1,
    uniqueItems: true,
    items: { enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
  },
  from: hhmm,
  to: hhmm,
});

/** Schemas of each command body, by kind. */
export const commandBodySchemas: Record<(typeof COMMAND_KINDS)[number], Record<string, unknown>> = {
  'delivery.assign': {
    ...obj(
      {
        deliveryId: ident,
        compartment: ident,
        size,
        holderSpkiSha256: hash,
        pickupDeadline: instant,
      },
      ['deliveryId', 'holderSpkiSha256', 'pickupDeadline'],
    ),
    oneOf: [{ required: ['compartment'] }, { required: ['size'] }],
  },
  'delivery.cancel': obj({ deliveryId: ident, reason: text }, ['deliveryId']),
  'delivery.extend': obj({ deliveryId: ident, pickupDeadline: instant }),
  'staff.roster': obj({
    version,
    staff: {
      type: 'array',
      maxItems: 10000,
      items: obj(
        {
          staffId: ident,
          certSpkiSha256: hash,
          roles: {
            type: 'array',
            uniqueItems: true,
            items: { enum: ['loader', 'retrieval', 'maintenance', 'door'] },
          },
          validFrom: instant,
          validUntil: instant,
        },
        ['staffId', 'certSpkiSha256', 'roles'],
      ),
    },
  }),
  'door.rules': obj(
    {
      version,
      groups: {
        type: 'object',
        propertyNames: ident,
        additionalProperties: { type: 'array', items: hash },
      },
      rules: {
        type: 'array',
        maxItems: 10000,
        items: obj({
          ruleId: ident,
          who: obj(
            {
              certSpkiSha256: { type: 'array', items: hash },
              groups: { type: 'array', items: ident },
            },
            [],
          ),
          doors: { type: 'array', minItems: 1, items: ident },
          schedule: obj(
            {
              timezone: { type: 'string', minLength: 1, maxLength: 64 },
              weekly: { type: 'array', items: weekly },
              holidays: {
                type: 'array',
                items: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
              },
              holidayWindows: { type: 'array', items: obj({ from: hhmm, to: hhmm }) },
            },
            ['timezone', 'weekly'],
          ),
          validFrom: instant,
          validUntil: instant,
        }),
      },
    },
    ['version', 'rules'],
  ),
  'remote.open': {
    ...obj({ door: ident, compartment: ident, reason: { ...text, minLength: 1 } }, ['reason']),
    oneOf: [{ required: ['door'] }, { required: ['compartment'] }],
  },
  'station.maintenance': obj({ enabled: { type: 'boolean' }, reason: text }, ['enabled']),
  'crl.available': obj({
    url: { type: 'string', pattern: '^(https?|file)://', maxLength: 2000 },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  }),
  'config.change': obj({
    version,
    settings: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[a-zA-Z][a-zA-Z0-9]*(\\.[a-zA-Z][a-zA-Z0-9]*)+$' },
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
    },
  }),
};

/** The signed claims of any command: the envelope, with `body` checked per kind. */
export const commandClaimsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'id', 'station', 'kind', 'issuedAt', 'notBefore', 'expiresAt', 'body'],
  properties: {
    v: v1,
    id: uuid,
    station: stationId,
    kind: { enum: [...COMMAND_KINDS] },
    issuedAt: instant,
    notBefore: instant,
    expiresAt: instant,
    body: { type: 'object' },
  },
  allOf: COMMAND_KINDS.map((k) => ({
    if: { properties: { kind: { const: k } } },
    then: { properties: { body: commandBodySchemas[k] } },
  })),
} as const;

/** The protected header of a command JWS. */
export const commandJwsHeaderSchema = {
  type: 'object',
  required: ['alg', 'x5c'],
  properties: {
    alg: { enum: [...COMMAND_JWS_ALGS] },
    typ: { const: 'jpki-locker-command+jws' },
    x5c: {
      type: 'array',
      minItems: 1,
      maxItems: 5,
      items: { type: 'string', pattern: '^[A-Za-z0-9+/]+={0,2}$' },
    },
  },
} as const;

const eventDataSchemas: Record<(typeof EVENT_KINDS)[number], Record<string, unknown>> = {
  'delivery.assigned': obj(
    {
      deliveryId: ident,
      compartment: ident,
      size,
      holderSpkiSha256: hash,
      pickupDeadline: instant,
    },
    ['deliveryId', 'compartment', 'holderSpkiSha256', 'pickupDeadline'],
  ),
  'delivery.loaded': obj({ deliveryId: ident, compartment: ident, staffSpkiSha256: hash }, [
    'deliveryId',
    'compartment',
  ]),
  'delivery.collected': obj({ deliveryId: ident, compartment: ident, holderSpkiSha256: hash }),
  'delivery.expired': obj({ deliveryId: ident, compartment: ident }),
  'delivery.cancelled': obj({ deliveryId: ident, compartment: ident, reason: text }, [
    'deliveryId',
  ]),
  'delivery.extended': obj({ deliveryId: ident, pickupDeadline: instant }),
  'delivery.retrieved': obj({ deliveryId: ident, compartment: ident, staffSpkiSha256: hash }, [
    'deliveryId',
    'compartment',
  ]),
  'compartment.state': obj(
    {
      compartment: ident,
      status: compartmentStatus,
      door: doorSide,
      deliveryId: { anyOf: [ident, { type: 'null' }] },
    },
    ['compartment', 'status', 'door'],
  ),
  'door.state': obj({ door: ident, status: doorStatus }),
  'door.decision': obj(
    {
      door: ident,
      decision: { enum: ['granted', 'denied'] },
      reason: attemptReason,
      holderSpkiSha256: nullableHash,
      ruleId: ident,
    },
    ['door', 'decision', 'reason', 'holderSpkiSha256'],
  ),
  'pickup.attempt': obj(
    {
      result: { enum: ['granted', 'denied'] },
      reason: attemptReason,
      holderSpkiSha256: nullableHash,
      deliveryId: ident,
      compartment: ident,
    },
    ['result', 'reason', 'holderSpkiSha256'],
  ),
  'actuation.intent': obj({
    target: { enum: ['compartment', 'door'] },
    id: ident,
    cause: { enum: ['pickup', 'load', 'retrieval', 'remote', 'door_access', 'maintenance'] },
  }),
  actuation: obj({
    target: { enum: ['compartment', 'door'] },
    id: ident,
    cause: { enum: ['pickup', 'load', 'retrieval', 'remote', 'door_access', 'maintenance'] },
    opened: { type: 'boolean' },
  }),
  'alarm.raised': obj({ alarm: alarmCode, severity, target: ident, detail: text }, [
    'alarm',
    'severity',
  ]),
  'alarm.cleared': obj({ alarm: alarmCode, target: ident }, ['alarm']),
  'crl.updated': obj({
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    thisUpdate: instant,
    nextUpdate: instant,
    entries: { type: 'integer', minimum: 0 },
    source: { type: 'string', maxLength: 2000 },
  }),
  'command.handled': obj(
    {
      commandId: { anyOf: [uuid, { type: 'null' }] },
      kind: { anyOf: [{ enum: [...COMMAND_KINDS] }, { type: 'null' }] },
      status: { enum: ['accepted', 'rejected'] },
      reason: { enum: [...COMMAND_REJECT_REASONS] },
    },
    ['commandId', 'kind', 'status'],
  ),
  'station.started': obj({ version: { type: 'string' } }),
  'station.mode': obj({ mode: { enum: ['active', 'maintenance'] }, reason: text }, ['mode']),
  'roster.applied': obj({ version, staff: { type: 'integer', minimum: 0 } }),
  'door-rules.applied': obj({ version, rules: { type: 'integer', minimum: 0 } }),
  'config.applied': obj({ version, keys: { type: 'array', items: { type: 'string' } } }),
};
/** Schemas of each event kind's `data`. */
export { eventDataSchemas };

const eventSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'seq', 'id', 'station', 'kind', 'at', 'historical', 'data'],
  properties: {
    v: v1,
    seq: { type: 'integer', minimum: 1 },
    id: uuid,
    station: stationId,
    kind: { enum: [...EVENT_KINDS] },
    at: instant,
    historical: { type: 'boolean' },
    data: { type: 'object' },
  },
  allOf: EVENT_KINDS.map((k) => ({
    if: { properties: { kind: { const: k } } },
    then: { properties: { data: eventDataSchemas[k] } },
  })),
};

/** Schemas of every topic's payload, keyed by topic suffix (see topics.ts). */
export const payloadSchemas = {
  status: obj(
    {
      v: v1,
      state: { enum: ['online', 'offline'] },
      session: { type: 'integer', minimum: 0 },
      version: { type: 'string' },
      at: instant,
    },
    ['v', 'state', 'session'],
  ),
  'state/compartments': obj({
    v: v1,
    at: instant,
    compartments: {
      type: 'array',
      items: obj({
        compartment: ident,
        size,
        status: compartmentStatus,
        door: doorSide,
        deliveryId: { anyOf: [ident, { type: 'null' }] },
        pickupDeadline: { anyOf: [instant, { type: 'null' }] },
      }),
    },
  }),
  'state/doors': obj({
    v: v1,
    at: instant,
    doors: { type: 'array', items: obj({ door: ident, status: doorStatus }) },
  }),
  'state/alarms': obj({
    v: v1,
    at: instant,
    alarms: {
      type: 'array',
      items: obj({ alarm: alarmCode, severity, target: ident, since: instant, detail: text }, [
        'alarm',
        'severity',
        'since',
      ]),
    },
  }),
  'state/crl': obj({
    v: v1,
    at: instant,
    ageSec: { type: ['number', 'null'], minimum: 0 },
    thisUpdate: { anyOf: [instant, { type: 'null' }] },
    nextUpdate: { anyOf: [instant, { type: 'null' }] },
    stale: { type: 'boolean' },
  }),
  heartbeat: obj(
    {
      v: v1,
      at: instant,
      session: { type: 'integer', minimum: 0 },
      uptimeSec: { type: 'number', minimum: 0 },
      intervalSec: { type: 'integer', minimum: 1 },
      version: { type: 'string' },
      outboxDepth: { type: 'integer', minimum: 0 },
      crlAgeSec: { type: ['number', 'null'], minimum: 0 },
      hardware: {
        type: 'object',
        additionalProperties: { enum: [...DEVICE_HEALTH] },
      },
      mode: { enum: ['active', 'maintenance'] },
    },
    // intervalSec is optional: stations before it was added do not send it.
    ['v', 'at', 'session', 'uptimeSec', 'version', 'outboxDepth', 'crlAgeSec', 'hardware', 'mode'],
  ),
  events: eventSchema,
  cmd: obj({ jws: { type: 'string', minLength: 1, maxLength: 262144 } }),
  'cmd/response': obj(
    {
      v: v1,
      commandId: { anyOf: [uuid, { type: 'null' }] },
      kind: { anyOf: [{ enum: [...COMMAND_KINDS] }, { type: 'null' }] },
      station: stationId,
      status: { enum: ['accepted', 'rejected'] },
      reason: { enum: [...COMMAND_REJECT_REASONS] },
      detail,
      duplicate: { type: 'boolean' },
      at: instant,
    },
    ['v', 'commandId', 'kind', 'station', 'status', 'duplicate', 'at'],
  ),
} as const;
