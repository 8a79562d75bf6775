/**
 * docs/mqtt.md is what a back-office team implements from: every JSON example in it must be
 * valid against a schema of the contract (a payload, the signed command claims, or a command
 * body), with no placeholders, and every topic, event kind, command kind and reason code
 * must be named in it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { isCalendarDate, isCalendarInstant } from '../../shared/mqtt/instant.js';
import { describe, expect, it } from 'vitest';
import { COMMAND_KINDS, COMMAND_REJECT_REASONS } from '../../shared/mqtt/commands.js';
import { ATTEMPT_REASONS, EVENT_KINDS } from '../../shared/mqtt/events.js';
import {
  commandBodySchemas,
  commandClaimsSchema,
  commandCrlSchema,
  payloadSchemas,
} from '../../shared/mqtt/schemas.js';
import { ALARM_CODES, COMPARTMENT_STATUSES, DOOR_STATUSES } from '../../shared/mqtt/state.js';
import { TOPIC_SUFFIX } from '../../shared/mqtt/topics.js';

const DOC = readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/mqtt.md'),
  'utf8',
);

/** Splits a block holding one or more JSON values written one after the other. */
function jsonValues(block: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < block.length; i++) {
    const c = block[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) out.push(block.slice(start, i + 1));
    }
  }
  return out;
}

const blocks = [...DOC.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
const examples = blocks.flatMap(jsonValues);

// The station's own formats: an example with an impossible date fails here as it would there.
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('date-time', { type: 'string', validate: isCalendarInstant });
ajv.addFormat('date', { type: 'string', validate: isCalendarDate });
const schemas: [string, ReturnType<typeof ajv.compile>][] = [
  ...Object.entries(payloadSchemas).map(
    ([k, s]) => [`payload ${k}`, ajv.compile(s)] as [string, ReturnType<typeof ajv.compile>],
  ),
  ['command claims', ajv.compile(commandClaimsSchema)],
  ['command CRL', ajv.compile(commandCrlSchema)],
  ...Object.entries(commandBodySchemas).map(
    ([k, s]) => [`body ${k}`, ajv.compile(s)] as [string, ReturnType<typeof ajv.compile>],
  ),
];

describe('docs/mqtt.md', () => {
  it('has JSON examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
  });

  it.each(examples.map((e, i) => [i, e.slice(0, 60).replace(/\s+/g, ' '), e] as const))(
    'example %i (%s) is JSON valid against a contract schema',
    (_i, _label, text) => {
      const value: unknown = JSON.parse(text);
      const matches = schemas.filter(([, fn]) => fn(value)).map(([name]) => name);
      expect(matches, text).not.toEqual([]);
    },
  );

  it('names every topic, event kind, command kind, reason code and enumeration value', () => {
    const missing = [
      ...Object.values(TOPIC_SUFFIX).map((s) => `/${s}\``),
      ...EVENT_KINDS.map((k) => `\`${k}\``),
      ...COMMAND_KINDS.map((k) => `\`${k}\``),
      ...COMMAND_REJECT_REASONS,
      ...ATTEMPT_REASONS,
      ...ALARM_CODES,
      ...COMPARTMENT_STATUSES,
      ...DOOR_STATUSES,
    ].filter((word) => !DOC.includes(word));
    expect(missing).toEqual([]);
  });

  it('documents the configurable command limits and the outbox bound', () => {
    for (const key of ['clockSkewSec', 'maxCommandLifetimeSec', 'outboxMaxEvents', 'maxInflight'])
      expect(DOC, key).toContain(key);
  });
});
