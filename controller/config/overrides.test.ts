import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../storage/db.js';
import { MetaRepository } from '../storage/meta-repository.js';
import { checkConfig } from './load.js';
import {
  applyStoredOverrides,
  checkConfigChange,
  OVERRIDES_META_KEY,
  readStoredOverrides,
  REMOTE_CONFIG_BOUNDS,
  REMOTE_CONFIG_KEYS,
} from './overrides.js';

describe('config.change (versioned overrides from the back office)', () => {
  const base = checkConfig({ station: { hours: { open: '06:30', close: '23:00' } } });

  it('accepts allowed keys that pass the schema, merged with earlier ones, applied at restart', () => {
    const first = checkConfigChange(base, undefined, {
      version: 1,
      settings: { 'station.hours.open': '07:00' },
    });
    expect(first.result).toEqual({ accepted: true, detail: { version: 1, appliesAt: 'restart' } });
    const second = checkConfigChange(base, first.store, {
      version: 2,
      settings: { 'pickup.pinTimeoutSec': 90 },
    });
    expect(second.store).toEqual({
      version: 2,
      settings: { 'station.hours.open': '07:00', 'pickup.pinTimeoutSec': 90 },
    });
  });

  it('refuses an old version, a key that decides trust or connections, and a value the schema refuses', () => {
    const stored = { version: 5, settings: {} };
    expect(
      checkConfigChange(base, stored, { version: 5, settings: { 'station.name': 'x' } }).result,
    ).toMatchObject({
      accepted: false,
      reason: 'stale_version',
    });
    const trust = checkConfigChange(base, stored, {
      version: 6,
      settings: { 'trust.commandAnchors': '/tmp/evil.pem', 'mqtt.url': 'mqtt://evil' },
    });
    expect(trust.result).toMatchObject({ accepted: false, reason: 'not_supported' });
    expect(trust.store).toBeUndefined();
    const bad = checkConfigChange(base, stored, {
      version: 6,
      settings: { 'station.hours.open': '25:99' },
    });
    expect(bad.result).toMatchObject({ accepted: false, reason: 'malformed' });
    expect(JSON.stringify(bad.result)).toContain('station.hours.open');
  });

  it('trust and freshness keys are never remotely changeable; every remote key has a bound', () => {
    for (const key of ['trust.crlToleranceHours', 'trust.crlRefreshMinutes']) {
      expect(REMOTE_CONFIG_KEYS).not.toContain(key);
      const r = checkConfigChange(base, undefined, { version: 1, settings: { [key]: 1e9 } });
      expect(r.result).toMatchObject({ accepted: false, reason: 'not_supported' });
    }
    for (const key of REMOTE_CONFIG_KEYS) expect(REMOTE_CONFIG_BOUNDS[key]).toBeDefined();
    const huge = checkConfigChange(base, undefined, {
      version: 1,
      settings: { 'pickup.doorOpenTimeoutSec': 2 ** 31 },
    });
    expect(huge.result).toMatchObject({ accepted: false, reason: 'malformed' });
    expect(JSON.stringify(huge.result)).toContain('between 5 and 600');
    const name = checkConfigChange(base, undefined, {
      version: 1,
      settings: { 'station.name': 'x'.repeat(101) },
    });
    expect(name.result).toMatchObject({ accepted: false, reason: 'malformed' });
  });

  it('the next start applies what was stored; a database without overrides changes nothing', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jl-overrides-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'station.db');
    const config = checkConfig({ storage: { path: file } });
    expect(applyStoredOverrides(config)).toBe(config);
    const db = openDatabase(file);
    new MetaRepository(db).set(
      OVERRIDES_META_KEY,
      JSON.stringify({ version: 3, settings: { 'station.hours.close': '22:00' } }),
    );
    db.close();
    expect(readStoredOverrides(file)?.version).toBe(3);
    const applied = applyStoredOverrides(config);
    expect(applied.station.hours.close).toBe('22:00');
    expect(Object.isFrozen(applied)).toBe(true);
  });
});
