/**
 * Compiled validators for the contract's schemas (pure computation, no I/O). Broken input is
 * a result (`{ ok: false, errors }`), never an exception.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { JpkiLockerMqttApi } from './api.js';
import type { CommandClaims } from './commands.js';
import { isCalendarDate, isCalendarInstant } from './instant.js';
import type { Receipt } from './receipt.js';
import type { CommandCrlMessage } from './command-crl.js';
import {
  commandClaimsSchema,
  commandCrlSchema,
  commandJwsHeaderSchema,
  payloadSchemas,
  receiptSchema,
} from './schemas.js';
import type { TopicSuffix } from './topics.js';

const ajv = new Ajv({ allErrors: true, strict: false });
// The schemas' `format`s, checked against the calendar (see instant.ts).
ajv.addFormat('date-time', { type: 'string', validate: isCalendarInstant });
ajv.addFormat('date', { type: 'string', validate: isCalendarDate });
const payloadValidators = new Map<TopicSuffix, ValidateFunction>();
for (const [suffix, schema] of Object.entries(payloadSchemas))
  payloadValidators.set(suffix as TopicSuffix, ajv.compile(schema));
const claimsValidator = ajv.compile(commandClaimsSchema);
const headerValidator = ajv.compile(commandJwsHeaderSchema);
const receiptValidator = ajv.compile(receiptSchema);
const commandCrlValidator = ajv.compile(commandCrlSchema);

/** A validation outcome. */
export type Validated<T> = { ok: true; value: T } | { ok: false; errors: string[] };

function run<T>(fn: ValidateFunction, value: unknown): Validated<T> {
  if (fn(value)) return { ok: true, value: value as T };
  return {
    ok: false,
    errors: (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`),
  };
}

/** Checks a decoded payload against the schema of its topic suffix. */
export function validatePayload<S extends TopicSuffix>(
  suffix: S,
  value: unknown,
): Validated<JpkiLockerMqttApi[S]> {
  const fn = payloadValidators.get(suffix);
  if (!fn) return { ok: false, errors: [`unknown topic suffix ${suffix}`] };
  return run(fn, value);
}

/** Checks decoded command claims (the JWS payload), including the body for its kind. */
export function validateCommandClaims(value: unknown): Validated<CommandClaims> {
  return run(claimsValidator, value);
}

/** Checks a decoded JWS protected header. */
export function validateCommandJwsHeader(
  value: unknown,
): Validated<{ alg: string; typ?: string; x5c: string[] }> {
  return run(headerValidator, value);
}

/** Checks a decoded collection receipt (`data.receipt` of `delivery.collected`). */
export function validateReceipt(value: unknown): Validated<Receipt> {
  return run(receiptValidator, value);
}

/** Checks a message of the command-CRL topic (its CRL is verified by the station). */
export function validateCommandCrlMessage(value: unknown): Validated<CommandCrlMessage> {
  return run(commandCrlValidator, value);
}
