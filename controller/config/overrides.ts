import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ConfigError } from '../../shared/errors.js';
import {
  REMOTE_CONFIG_BOUNDS,
  type CommandResult,
  type ConfigChangeBody,
  type RemoteConfigKey,
  type RemoteKeyBound,
} from '../../shared/mqtt/commands.js';
import { checkConfig } from './load.js';
import type { Config } from './types.js';

/** Keys the back office may change (bounds: REMOTE_CONFIG_BOUNDS in the MQTT contract). */
export const REMOTE_CONFIG_KEYS = Object.keys(REMOTE_CONFIG_BOUNDS) as readonly RemoteConfigKey[];

/** Keys that decide trust or freshness: never remotely changeable, whatever the list above says. */
export const NEVER_REMOTE_PREFIXES = [
  'trust.',
  'mqtt.url',
  'mqtt.tls',
  'storage.',
  'hardware.',
] as const;

function outOfBounds(key: string, value: unknown): string | undefined {
  const bound: RemoteKeyBound = REMOTE_CONFIG_BOUNDS[key as RemoteConfigKey];
  if (bound.type === 'integer') {
    if (typeof value !== 'number' || !Number.isInteger(value)) return `${key}: must be an integer`;
    if (value < bound.minimum || value > bound.maximum)
      return `${key}: must be between ${bound.minimum} and ${bound.maximum}`;
    return undefined;
  }
  if (typeof value !== 'string') return `${key}: must be a string`;
  return value.length > bound.maxLength
    ? `${key}: at most ${bound.maxLength} characters`
    : undefined;
}

/** Where the accepted overrides are kept (station_meta key). */
export const OVERRIDES_META_KEY = 'config.overrides';

/** The overrides the back office set, as stored. */
export interface StoredOverrides {
  version: number;
  settings: Record<string, string | number | boolean | null>;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur = target;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    cur[k] = typeof next === 'object' && next !== null ? { ...(next as object) } : {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys.at(-1)!] = value;
}

/** The configuration with the overrides applied, checked again. @throws ConfigError. */
export function withOverrides(
  config: Readonly<Config>,
  settings: StoredOverrides['settings'],
): Readonly<Config> {
  const raw = structuredClone(config) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(settings)) setPath(raw, k, v);
  return checkConfig(raw);
}

/**
 * Checks a `config.change` command against the allowed keys, the schema and the stored
 * version; on success returns the overrides to store (merged with the earlier ones). Changes
 * take effect at the next start (the answer says so).
 */
export function checkConfigChange(
  config: Readonly<Config>,
  stored: StoredOverrides | undefined,
  body: ConfigChangeBody,
): { result: CommandResult; store?: StoredOverrides } {
  if (stored && body.version <= stored.version) {
    return {
      result: { accepted: false, reason: 'stale_version', detail: { current: stored.version } },
    };
  }
  const refused = Object.keys(body.settings).filter(
    (k) =>
      !(REMOTE_CONFIG_KEYS as readonly string[]).includes(k) ||
      NEVER_REMOTE_PREFIXES.some((p) => k.startsWith(p)),
  );
  if (refused.length) {
    return {
      result: { accepted: false, reason: 'not_supported', detail: { keys: refused.join(',') } },
    };
  }
  const bounds = Object.entries(body.settings)
    .map(([k, v]) => outOfBounds(k, v))
    .filter((p): p is string => p !== undefined);
  if (bounds.length) {
    return {
      result: {
        accepted: false,
        reason: 'malformed',
        detail: { problem: bounds.join('; ').slice(0, 300) },
      },
    };
  }
  const merged = { ...(stored?.settings ?? {}), ...body.settings };
  try {
    withOverrides(config, merged);
  } catch (err) {
    const problem =
      err instanceof ConfigError
        ? err.problems.map((p) => `${p.path}: ${p.message}`).join('; ')
        : String(err);
    return {
      result: { accepted: false, reason: 'malformed', detail: { problem: problem.slice(0, 300) } },
    };
  }
  return {
    result: { accepted: true, detail: { version: body.version, appliesAt: 'restart' } },
    store: { version: body.version, settings: merged },
  };
}

/**
 * At start-up: the configuration file's values with the back office's accepted overrides on
 * top (read from the station database when it exists). Overrides that no longer pass the
 * schema (after a software update) are ignored, never fatal.
 */
export function applyStoredOverrides(
  config: Readonly<Config>,
  warn: (message: string) => void = () => {},
): Readonly<Config> {
  const stored = readStoredOverrides(config.storage.path);
  if (!stored) return config;
  try {
    return withOverrides(config, stored.settings);
  } catch (err) {
    warn(
      `ignoring the stored configuration overrides (version ${stored.version}): ${(err as Error).message}`,
    );
    return config;
  }
}

/** The stored overrides, or undefined when there are none (or no database yet). */
export function readStoredOverrides(dbPath: string): StoredOverrides | undefined {
  if (dbPath === ':memory:' || !existsSync(dbPath)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
    const row = db
      .prepare('SELECT value FROM station_meta WHERE key = ?')
      .get(OVERRIDES_META_KEY) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as StoredOverrides) : undefined;
  } catch {
    return undefined; // no table yet, or a database the station itself will report on
  } finally {
    db?.close();
  }
}

export { REMOTE_CONFIG_BOUNDS };
