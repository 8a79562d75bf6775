import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import YAML from 'yaml';
import { ConfigError, type ConfigProblem } from '../../shared/errors.js';
import { configSchema } from './schema.js';
import type { Config } from './types.js';

/** The prefix of every environment override: JPKI_LOCKER_MQTT_URL sets mqtt.url. */
export const ENV_PREFIX = 'JPKI_LOCKER_';

type SchemaNode = {
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  'x-path'?: boolean;
  /** Names accepted instead of a path (kept as they are). */
  'x-names'?: readonly string[];
  'x-error'?: string;
  'x-timezone'?: boolean;
  description?: string;
  default?: unknown;
  enum?: readonly unknown[];
};

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
const validate = ajv.compile(configSchema as object);

function toSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Every scalar or array leaf of the schema with its dotted path (arrays are not entered). */
export function schemaLeaves(
  node: SchemaNode = configSchema as unknown as SchemaNode,
  prefix: string[] = [],
): { path: string[]; node: SchemaNode }[] {
  if (node.type === 'object' && node.properties) {
    return Object.entries(node.properties).flatMap(([k, child]) =>
      schemaLeaves(child, [...prefix, k]),
    );
  }
  return [{ path: prefix, node }];
}

/** Name of the environment variable that overrides a dotted key. */
export function envName(keyPath: readonly string[]): string {
  return ENV_PREFIX + keyPath.map(toSnake).join('_');
}

function setPath(
  target: Record<string, unknown>,
  keyPath: readonly string[],
  value: unknown,
): void {
  let cur = target;
  for (const k of keyPath.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keyPath[keyPath.length - 1]!] = value;
}

function coerceEnv(
  raw: string,
  node: SchemaNode,
  name: string,
  problems: ConfigProblem[],
): unknown {
  switch (node.type) {
    case 'integer':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n))
        problems.push({ path: name, message: 'must be a number' });
      return n;
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      problems.push({ path: name, message: 'must be true or false' });
      return raw;
    case 'array':
    case 'object':
      try {
        return JSON.parse(raw);
      } catch {
        problems.push({ path: name, message: 'must be JSON' });
        return raw;
      }
    default:
      return raw;
  }
}

function describe(e: ErrorObject): ConfigProblem {
  const base = e.instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
  const custom = (e.parentSchema as SchemaNode | undefined)?.['x-error'];
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      return { path: base ? `${base}.${extra}` : extra, message: 'unknown key' };
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return { path: base ? `${base}.${missing}` : missing, message: 'is required' };
    }
    case 'enum':
      return {
        path: base,
        message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`,
      };
    default:
      return { path: base, message: custom ?? e.message ?? 'is invalid' };
  }
}

function resolvePaths(node: SchemaNode, value: unknown, baseDir: string): unknown {
  if (node['x-path'] && typeof value === 'string' && value !== '')
    return node['x-names']?.includes(value) ? value : path.resolve(baseDir, value);
  if (node.type === 'array' && Array.isArray(value) && node.items) {
    return value.map((v) => resolvePaths(node.items!, v, baseDir));
  }
  if (node.type === 'object' && node.properties && value && typeof value === 'object') {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [k, child] of Object.entries(node.properties)) {
      if (k in out) out[k] = resolvePaths(child, out[k], baseDir);
    }
    return out;
  }
  return value;
}

/** True for a loopback listen address (the kiosk's only safe place). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function checkSemantics(cfg: Config, problems: ConfigProblem[]): void {
  if (cfg.web.enabled && !isLoopbackHost(cfg.web.host) && !cfg.web.allowRemote)
    problems.push({
      path: 'web.host',
      message: `${cfg.web.host} is not loopback: the kiosk API would answer the network (set web.allowRemote: true to allow it)`,
    });
  try {
    new Intl.DateTimeFormat('en', { timeZone: cfg.station.timezone });
  } catch {
    problems.push({
      path: 'station.timezone',
      message: 'must be an IANA time zone such as Asia/Tokyo',
    });
  }
  const boards = new Set(cfg.board.boards.map((b) => b.address));
  const seenBoards = new Set<number>();
  cfg.board.boards.forEach((b, i) => {
    if (seenBoards.has(b.address))
      problems.push({
        path: `board.boards.${i}.address`,
        message: `duplicate board address ${b.address}`,
      });
    seenBoards.add(b.address);
  });
  const ids = new Set<string>();
  const locks = new Set<string>();
  cfg.compartments.forEach((c, i) => {
    if (ids.has(c.id))
      problems.push({ path: `compartments.${i}.id`, message: `duplicate compartment id ${c.id}` });
    ids.add(c.id);
    const key = `${c.board}/${c.lock}`;
    if (locks.has(key))
      problems.push({
        path: `compartments.${i}.lock`,
        message: `board ${c.board} lock ${c.lock} is used twice`,
      });
    locks.add(key);
    if (cfg.board.driver !== 'none' && !boards.has(c.board)) {
      problems.push({
        path: `compartments.${i}.board`,
        message: `board ${c.board} is not listed in board.boards`,
      });
    }
  });
  const boardLocks = new Map(cfg.board.boards.map((b) => [b.address, b.locks]));
  cfg.compartments.forEach((c, i) => {
    const locks = boardLocks.get(c.board);
    if (locks !== undefined && c.lock > locks)
      problems.push({
        path: `compartments.${i}.lock`,
        message: `board ${c.board} has only ${locks} locks`,
      });
  });
  const names = new Map<string, string>();
  const lines = new Map<number, string>();
  (['outputs', 'inputs'] as const).forEach((kind) =>
    cfg.gpio[kind].forEach((io, i) => {
      const where = `gpio.${kind}.${i}`;
      const name = names.get(io.name);
      if (name)
        problems.push({
          path: `${where}.name`,
          message: `name ${JSON.stringify(io.name)} is also used by ${name}`,
        });
      names.set(io.name, where);
      const line = lines.get(io.line);
      if (line)
        problems.push({
          path: `${where}.line`,
          message: `line ${io.line} is also used by ${line}`,
        });
      lines.set(io.line, where);
    }),
  );
  const doorIds = new Set<string>();
  cfg.doors.forEach((d, i) => {
    if (doorIds.has(d.id))
      problems.push({ path: `doors.${i}.id`, message: `duplicate door id ${d.id}` });
    doorIds.add(d.id);
  });
  const outputs = new Set(cfg.gpio.outputs.map((o) => o.name));
  const inputs = new Set(cfg.gpio.inputs.map((o) => o.name));
  cfg.doors.forEach((d, i) => {
    if (!outputs.has(d.relay))
      problems.push({
        path: `doors.${i}.relay`,
        message: `no gpio output named ${JSON.stringify(d.relay)}`,
      });
    if (d.contact && !inputs.has(d.contact))
      problems.push({
        path: `doors.${i}.contact`,
        message: `no gpio input named ${JSON.stringify(d.contact)}`,
      });
    if (d.rex && !inputs.has(d.rex))
      problems.push({
        path: `doors.${i}.rex`,
        message: `no gpio input named ${JSON.stringify(d.rex)}`,
      });
    const fire = cfg.gpio.inputs.find((x) => x.name === d.fireInput);
    if (d.fireInput && !fire)
      problems.push({
        path: `doors.${i}.fireInput`,
        message: `no gpio input named ${JSON.stringify(d.fireInput)}`,
      });
    else if (fire && fire.kind !== 'fire')
      problems.push({
        path: `doors.${i}.fireInput`,
        message: `gpio input ${JSON.stringify(d.fireInput)} is of kind ${fire.kind}, not fire`,
      });
  });
  // One reader serves one place: a door reader is not the kiosk's, nor another door's.
  const readers = new Map<string, string>();
  cfg.doors.forEach((d, i) => {
    if (!d.reader) return;
    const other = readers.get(d.reader);
    if (other)
      problems.push({
        path: `doors.${i}.reader`,
        message: `reader ${JSON.stringify(d.reader)} is also the reader of ${other}`,
      });
    readers.set(d.reader, `doors.${i}`);
    if (cfg.card.reader && cfg.card.reader === d.reader)
      problems.push({
        path: `doors.${i}.reader`,
        message: `reader ${JSON.stringify(d.reader)} is the kiosk's reader (card.reader)`,
      });
  });
  if (cfg.board.driver === 'kerong' && !cfg.board.port)
    problems.push({ path: 'board.port', message: 'is required when board.driver is kerong' });
}

/** The checked data with its relative paths resolved against the configuration's folder. */
function resolved(data: Record<string, unknown>, options: LoadOptions): Config {
  return resolvePaths(
    configSchema as unknown as SchemaNode,
    data,
    options.baseDir ?? process.cwd(),
  ) as Config;
}

/**
 * With schema problems, the cross-reference problems too (a door's relay that no GPIO output
 * has, say), where the data is whole enough to follow them, so every problem shows at once;
 * none is repeated for a key that already has a schema problem.
 */
function addCrossReferenceProblems(
  data: Record<string, unknown>,
  options: LoadOptions,
  problems: ConfigProblem[],
): void {
  const found: ConfigProblem[] = [];
  try {
    checkSemantics(resolved(data, options), found);
  } catch {
    // Too broken to follow references (a list that is not a list): the schema problems say why.
  }
  const covered = (p: ConfigProblem) =>
    problems.some((q) => q.path === '' || p.path === q.path || p.path.startsWith(`${q.path}.`));
  for (const p of found) if (!covered(p)) problems.push(p);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export interface LoadOptions {
  /** Environment to read overrides from (default: none). */
  env?: Record<string, string | undefined>;
  /** Folder that relative paths are resolved against (default: the current folder). */
  baseDir?: string;
}

/**
 * Checks a raw configuration object (already parsed) against the schema, applies
 * environment overrides and defaults, and returns the frozen result.
 * @throws ConfigError listing every problem with its path.
 */
export function checkConfig(raw: unknown, options: LoadOptions = {}): Readonly<Config> {
  const problems: ConfigProblem[] = [];
  const data: Record<string, unknown> =
    raw === null || raw === undefined
      ? {}
      : typeof raw === 'object' && !Array.isArray(raw)
        ? structuredClone(raw as Record<string, unknown>)
        : {};
  if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
    problems.push({ path: '', message: 'must be a mapping of keys to values' });
  }
  const env = options.env ?? {};
  for (const leaf of schemaLeaves()) {
    const name = envName(leaf.path);
    const rawValue = env[name];
    if (rawValue !== undefined)
      setPath(data, leaf.path, coerceEnv(rawValue, leaf.node, name, problems));
  }
  if (!validate(data)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      if (e.keyword === 'if' || e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
      const p = describe(e);
      const key = `${p.path}\u0000${p.message}`;
      if (!seen.has(key)) problems.push(p);
      seen.add(key);
    }
  }
  if (problems.length > 0) {
    addCrossReferenceProblems(data, options, problems);
    throw new ConfigError(problems);
  }
  const cfg = resolved(data, options);
  checkSemantics(cfg, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(cfg);
}

/**
 * Reads a YAML configuration file, then {@link checkConfig}. Relative paths in it are
 * resolved against the file's folder.
 * @throws ConfigError (also for a file that cannot be read or parsed).
 */
export function loadConfigFile(
  file: string,
  env: Record<string, string | undefined> = {},
): Readonly<Config> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([
      {
        path: '',
        message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      },
    ]);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  return checkConfig(doc.toJS(), { env, baseDir: path.dirname(path.resolve(file)) });
}
