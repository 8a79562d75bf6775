import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ConfigError } from '../../shared/errors.js';
import type { CommandResult, ConfigChangeBody } from '../../shared/mqtt/commands.js';
import { checkConfig } from './load.js';
import type { Config } from './types.js';

/**
 * Keys the back office may change with a signed `config.change` command. Everything that
 * decides whom the station trusts or where it connects (trust anchors, broker, storage,
 * drivers) stays in the file on the station: a stolen signing key must not be able to
 * re-point the station.
 */
export const REMOTE_CONFIG_KEYS = [
  'station.name',
  'station.area',
  'station.hours.open',
  'station.hours.close',
  'web.defaultLanguage',
  'pickup.pinTimeoutSec',
  'pickup.doorOpenTimeoutSec',
  'pickup.doorLeftOpenSec',
  'mqtt.heartbeatSec',
  'trust.crlToleranceHours',
  'trust.crlRefreshMinutes',
  'log.level',
] as const;

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
    (k) => !(REMOTE_CONFIG_KEYS as readonly string[]).includes(k),
  );
  if (refused.length) {
    return {
      result: { accepted: false, reason: 'not_supported', detail: { keys: refused.join(',') } },
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
