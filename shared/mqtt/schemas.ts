/**
 * JSON Schemas (draft-07, as understood by Ajv 8) for every payload of the contract, and for
 * the signed command claims and each command body. These are the normative definitions for
 * a back-office implementation; the TypeScript types in this folder mirror them.
 */
import {
  COMMAND_JWS_ALGS,
  COMMAND_KINDS,
  COMMAND_REJECT_REASONS,
  ENVELOPE_CODE_PATTERN,
  MAX_COMMAND_JWS_LENGTH,
  REMOTE_CONFIG_BOUNDS,
  REMOTE_OPEN_DISPOSITIONS,
  SPKI_SHA256_PATTERN,
} from './commands.js';
import { ATTEMPT_REASONS, EVENT_KINDS, REVOCATION_SOURCES } from './events.js';
import {
  ALARM_CODES,
  ALARM_SEVERITIES,
  COMPARTMENT_STATUSES,
  DEVICE_HEALTH,
  DOOR_STATUSES,
} from './state.js';
import { INSTANT_MAX_LENGTH } from './instant.js';
import { MAX_COMMAND_CRL_BYTES } from './command-crl.js';
import { STATION_ID_PATTERN } from './topics.js';
import { RECEIPT_CHALLENGE_TYPE, RECEIPT_NONCE_PATTERN } from './receipt.js';

/*
 * Bounds: every string has a maxLength (or a pattern that bounds it), every array a maxItems
 * and every map a maxProperties, so that a validated message has a known worst-case size.
 * Instants and dates carry `format` (`date-time`, `date`): validate.ts checks the calendar
 * (no month 13, no 30 February), which a pattern cannot.
 */

/** Most entries in one roster, rule set or group (and in the station's state lists). */
export const MAX_LIST_ITEMS = 10_000;

/** ISO 8601 instant with a zone (`2026-11-24T05:00:00Z`, `...+09:00`). */
const instant = {
  type: 'string',
  maxLength: INSTANT_MAX_LENGTH,
  format: 'date-time',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$',
} as const;
const date = {
  type: 'string',
  maxLength: 10,
  format: 'date',
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
} as const;
const uuid = {
  type: 'string',
  maxLength: 36,
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
} as const;
const hash = { type: 'string', maxLength: 64, pattern: SPKI_SHA256_PATTERN } as const;
const count = { type: 'integer', minimum: 0 } as const;
const nullableHash = { anyOf: [hash, { type: 'null' }] } as const;
const ident = {
  type: 'string',
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
} as const;
const text = { type: 'string', maxLength: 500 } as const;
const hhmm = {
  type: 'string',
  maxLength: 5,
  pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$',
} as const;
const version = { type: 'integer', minimum: 1 } as const;
const size = { enum: ['S', 'M', 'L'] } as const;
const v1 = { const: 1 } as const;
const stationId = { type: 'string', maxLength: 63, pattern: STATION_ID_PATTERN } as const;
const softwareVersion = { type: 'string', maxLength: 64 } as const;
const sha256Hex = { type: 'string', maxLength: 64, pattern: '^[0-9a-f]{64}$' } as const;
const detail = {
  type: 'object',
  maxProperties: 20,
  propertyNames: { maxLength: 64 },
  additionalProperties: { type: ['string', 'number', 'boolean', 'null'], maxLength: 500 },
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
    maxItems: 7,
    uniqueItems: true,
    items: { enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
  },
  from: hhmm,
  to: hhmm,
});

/** `data.receipt` of `delivery.collected` (see receipt.ts). */
export const receiptSchema = obj({
  certificate: {
    type: 'string',
    pattern: '^-----BEGIN CERTIFICATE-----',
    maxLength: 16000,
  },
  challenge: obj({
    v: v1,
    type: { const: RECEIPT_CHALLENGE_TYPE },
    station: stationId,
    deliveryIds: { type: 'array', minItems: 1, maxItems: 100, items: ident },
    at: instant,
    nonce: { type: 'string', maxLength: 43, pattern: RECEIPT_NONCE_PATTERN },
  }),
  signature: { type: 'string', pattern: '^[A-Za-z0-9+/]+={0,2}$', maxLength: 2048 },
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
        envelopeCode: { type: 'string', maxLength: 128, pattern: ENVELOPE_CODE_PATTERN },
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
      maxItems: MAX_LIST_ITEMS,
      items: obj(
        {
          staffId: ident,
          certSpkiSha256: hash,
          roles: {
            type: 'array',
            maxItems: 4,
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
        maxProperties: 1000,
        propertyNames: ident,
        additionalProperties: { type: 'array', maxItems: MAX_LIST_ITEMS, items: hash },
      },
      rules: {
        type: 'array',
        maxItems: MAX_LIST_ITEMS,
        items: obj({
          ruleId: ident,
          who: obj(
            {
              certSpkiSha256: { type: 'array', maxItems: MAX_LIST_ITEMS, items: hash },
              groups: { type: 'array', maxItems: 1000, items: ident },
            },
            [],
          ),
          doors: { type: 'array', minItems: 1, maxItems: 1000, items: ident },
          schedule: obj(
            {
              timezone: { type: 'string', minLength: 1, maxLength: 64 },
              weekly: { type: 'array', maxItems: 100, items: weekly },
              holidays: { type: 'array', maxItems: 1000, items: date },
              holidayWindows: {
                type: 'array',
                maxItems: 100,
                items: obj({ from: hhmm, to: hhmm }),
              },
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
    ...obj(
      {
        door: ident,
        compartment: ident,
        reason: { ...text, minLength: 1 },
        disposition: { enum: [...REMOTE_OPEN_DISPOSITIONS] },
      },
      ['reason'],
    ),
    oneOf: [{ required: ['door'] }, { required: ['compartment'] }],
    // A disposition is about a delivery: compartments only.
    if: { required: ['disposition'] },
    then: { required: ['compartment'] },
  },
  'compartment.maintenance': obj(
    { compartment: ident, enabled: { type: 'boolean' }, reason: text },
    ['compartment', 'enabled'],
  ),
  'compartment.clear': obj({ compartment: ident, reason: text }, ['compartment']),
  'station.maintenance': obj({ enabled: { type: 'boolean' }, reason: text }, ['enabled']),
  'crl.available': obj({
    url: { type: 'string', pattern: '^(https?|file)://', maxLength: 2000 },
    sha256: sha256Hex,
  }),
  'ocsp.responses': obj({
    responses: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: { type: 'string', pattern: '^[A-Za-z0-9+/]+={0,2}$', maxLength: 8192 },
    },
  }),
  'config.change': obj({
    version,
    settings: {
      type: 'object',
      minProperties: 1,
      maxProperties: 50,
      propertyNames: {
        maxLength: 100,
        pattern: '^[a-zA-Z][a-zA-Z0-9]*(\\.[a-zA-Z][a-zA-Z0-9]*)+$',
      },
      // Known keys within their bounds; any other key is answered `not_supported` by the station.
      properties: Object.fromEntries(
        Object.entries(REMOTE_CONFIG_BOUNDS).map(([k, b]) => [k, { ...b }]),
      ),
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'], maxLength: 500 },
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
    operator: { type: 'string', minLength: 1, maxLength: 64 },
    approvedBy: { type: 'string', minLength: 1, maxLength: 64 },
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
      items: { type: 'string', maxLength: 16384, pattern: '^[A-Za-z0-9+/]+={0,2}$' },
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
  'delivery.collected': obj(
    { deliveryId: ident, compartment: ident, holderSpkiSha256: hash, receipt: receiptSchema },
    ['deliveryId', 'compartment', 'holderSpkiSha256'],
  ),
  'delivery.expired': obj({ deliveryId: ident, compartment: ident }),
  'delivery.cancelled': obj({ deliveryId: ident, compartment: ident, reason: text }, [
    'deliveryId',
  ]),
  'delivery.extended': obj({ deliveryId: ident, pickupDeadline: instant }),
  'delivery.retrieved': obj({ deliveryId: ident, compartment: ident, staffSpkiSha256: hash }, [
    'deliveryId',
    'compartment',
  ]),
  'delivery.disposed': obj(
    {
      deliveryId: ident,
      compartment: ident,
      disposition: { enum: [...REMOTE_OPEN_DISPOSITIONS] },
      state: { enum: ['handed_over', 'retrieved', 'inspection'] },
      staffSpkiSha256: hash,
    },
    ['deliveryId', 'compartment', 'disposition', 'state'],
  ),
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
      revocationSource: { enum: [...REVOCATION_SOURCES] },
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
    sha256: sha256Hex,
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
  'station.started': obj({ version: softwareVersion }),
  'station.mode': obj({ mode: { enum: ['active', 'maintenance'] }, reason: text }, ['mode']),
  'roster.applied': obj({ version, staff: { type: 'integer', minimum: 0 } }),
  'door-rules.applied': obj({ version, rules: { type: 'integer', minimum: 0 } }),
  'config.applied': obj({
    version,
    keys: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 100 } },
  }),
  'audit.checkpoint': obj({
    seq: { type: 'integer', minimum: 0 },
    hash: sha256Hex,
    jws: { type: 'string', minLength: 1, maxLength: 65536 },
  }),
  'retention.pruned': obj({
    deliveries: count,
    attempts: count,
    auditRows: count,
    events: count,
    checkpointSeq: count,
  }),
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
      version: softwareVersion,
      at: instant,
    },
    ['v', 'state', 'session'],
  ),
  'state/compartments': obj({
    v: v1,
    at: instant,
    compartments: {
      type: 'array',
      maxItems: MAX_LIST_ITEMS,
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
    doors: {
      type: 'array',
      maxItems: MAX_LIST_ITEMS,
      items: obj({ door: ident, status: doorStatus }),
    },
  }),
  'state/alarms': obj({
    v: v1,
    at: instant,
    alarms: {
      type: 'array',
      maxItems: MAX_LIST_ITEMS,
      items: obj({ alarm: alarmCode, severity, target: ident, since: instant, detail: text }, [
        'alarm',
        'severity',
        'since',
      ]),
    },
  }),
  'state/crl': obj(
    {
      v: v1,
      at: instant,
      ageSec: { type: ['number', 'null'], minimum: 0 },
      thisUpdate: { anyOf: [instant, { type: 'null' }] },
      nextUpdate: { anyOf: [instant, { type: 'null' }] },
      stale: { type: 'boolean' },
      command: obj(
        {
          verdict: { enum: ['fresh', 'grace', 'stale', 'future', 'missing'] },
          thisUpdate: { anyOf: [instant, { type: 'null' }] },
          nextUpdate: { anyOf: [instant, { type: 'null' }] },
          crlNumber: { anyOf: [{ type: 'string', maxLength: 64 }, { type: 'null' }] },
          entries: count,
        },
        ['verdict', 'thisUpdate', 'nextUpdate', 'crlNumber', 'entries'],
      ),
    },
    ['v', 'at', 'ageSec', 'thisUpdate', 'nextUpdate', 'stale'],
  ),
  heartbeat: obj(
    {
      v: v1,
      at: instant,
      session: { type: 'integer', minimum: 0 },
      uptimeSec: { type: 'number', minimum: 0 },
      intervalSec: { type: 'integer', minimum: 1 },
      version: softwareVersion,
      outboxDepth: { type: 'integer', minimum: 0 },
      crlAgeSec: { type: ['number', 'null'], minimum: 0 },
      hardware: {
        type: 'object',
        maxProperties: 64,
        propertyNames: { maxLength: 64 },
        additionalProperties: { enum: [...DEVICE_HEALTH] },
      },
      mode: { enum: ['active', 'maintenance'] },
      auditHead: obj({ seq: { type: 'integer', minimum: 0 }, hash: sha256Hex }),
    },
    // intervalSec and auditHead are optional: older stations do not send them.
    ['v', 'at', 'session', 'uptimeSec', 'version', 'outboxDepth', 'crlAgeSec', 'hardware', 'mode'],
  ),
  events: eventSchema,
  cmd: obj({ jws: { type: 'string', minLength: 1, maxLength: MAX_COMMAND_JWS_LENGTH } }),
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

/** The command CA's CRL on `<prefix>/fleet/command-crl` (shared/mqtt/command-crl.ts). */
export const commandCrlSchema = obj(
  {
    v: v1,
    at: instant,
    crl: {
      type: 'string',
      minLength: 4,
      maxLength: Math.ceil(MAX_COMMAND_CRL_BYTES / 3) * 4,
      pattern: '^[A-Za-z0-9+/]+={0,2}$',
    },
  },
  ['v', 'crl'],
);
