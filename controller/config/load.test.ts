import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import { checkConfig, envName, loadConfigFile, schemaLeaves } from './load.js';

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('fills every default from the schema and freezes the result', () => {
    const cfg = checkConfig({});
    expect(cfg.station.id).toBe('demo-station');
    expect(cfg.mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(cfg.storage.busyTimeoutMs).toBe(2000);
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.mqtt)).toBe(true);
    expect(() => {
      (cfg.mqtt as { url: string }).url = 'x';
    }).toThrow(TypeError);
  });

  it('gives every key a description', () => {
    const missing = schemaLeaves()
      .filter((l) => !l.node.description)
      .map((l) => l.path.join('.'));
    expect(missing).toEqual([]);
  });

  it('reports every problem at once, each with its path', () => {
    const problems = problemsOf(() =>
      checkConfig({
        mqtt: { url: 'http://broker', heartbeatSec: 0 },
        station: { id: 'Bad Id', timezone: 'Mars/Olympus' },
        storag: {},
      }),
    );
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['mqtt.url', 'mqtt.heartbeatSec', 'station.id', 'storag']),
    );
    expect(problems.find((p) => p.path === 'mqtt.url')?.message).toBe(
      'must be an mqtt:// or mqtts:// URL',
    );
    expect(problems.find((p) => p.path === 'storag')?.message).toBe('unknown key');
  });

  it('checks cross references (doors to gpio names, compartments to boards)', () => {
    const problems = problemsOf(() =>
      checkConfig({
        board: { driver: 'sim', boards: [{ address: 0 }] },
        compartments: [
          { id: 'A01', board: 0, lock: 1 },
          { id: 'A01', board: 3, lock: 1 },
        ],
        doors: [{ id: 'front', relay: 'nope' }],
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['compartments.1.id', 'compartments.1.board', 'doors.0.relay']),
    );
  });

  it('lists cross-reference problems together with schema problems, each key once', () => {
    const problems = problemsOf(() =>
      checkConfig({
        station: { id: 'Not An Id' },
        gpio: { driver: 'sim', outputs: [{ name: 'relay-a', line: 17 }] },
        doors: [
          { id: 'front', relay: 'relay-b' },
          { id: 'back', relay: 7 },
        ],
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual([
      'doors.0.relay',
      'doors.1.relay',
      'station.id',
    ]);
    expect(problems.find((p) => p.path === 'doors.0.relay')?.message).toMatch(/relay-b/);
  });

  it('refuses GPIO names or lines used twice, locks beyond a board, and ids unfit for MQTT', () => {
    const problems = problemsOf(() =>
      checkConfig({
        board: { driver: 'sim', boards: [{ address: 0, locks: 8 }] },
        compartments: [
          { id: 'A01', board: 0, lock: 1 },
          { id: 'A02', board: 0, lock: 9 },
        ],
        gpio: {
          driver: 'sim',
          outputs: [{ name: 'front', line: 17 }],
          inputs: [
            { name: 'front', line: 27 },
            { name: 'exit', line: 17 },
          ],
        },
        doors: [{ id: 'front', relay: 'front' }],
      }),
    );
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
    const ids = problemsOf(() =>
      checkConfig({ compartments: [{ id: 'A 01', board: 0, lock: 1 }] }),
    );
    expect(ids[0]).toMatchObject({
      path: 'compartments.0.id',
      message: expect.stringMatching(/letters, digits/),
    });
    expect(byPath['compartments.1.lock']).toBe('board 0 has only 8 locks');
    expect(byPath['gpio.inputs.0.name']).toMatch(/also used by gpio.outputs.0/);
    expect(byPath['gpio.inputs.1.line']).toMatch(/line 17 is also used by gpio.outputs.0/);
  });

  it('applies JPKI_LOCKER_ environment overrides, typed by the schema', () => {
    expect(envName(['mqtt', 'heartbeatSec'])).toBe('JPKI_LOCKER_MQTT_HEARTBEAT_SEC');
    const cfg = checkConfig(
      { mqtt: { url: 'mqtt://from-file:1883' } },
      {
        env: {
          JPKI_LOCKER_MQTT_URL: 'mqtts://from-env:8883',
          JPKI_LOCKER_MQTT_HEARTBEAT_SEC: '5',
          JPKI_LOCKER_WEB_SIMULATOR: 'true',
        },
      },
    );
    expect(cfg.mqtt.url).toBe('mqtts://from-env:8883');
    expect(cfg.mqtt.heartbeatSec).toBe(5);
    expect(cfg.web.simulator).toBe(true);
    const problems = problemsOf(() => checkConfig({}, { env: { JPKI_LOCKER_WEB_PORT: 'eighty' } }));
    expect(problems[0]?.path).toBe('JPKI_LOCKER_WEB_PORT');
  });

  it('resolves file paths against the configuration file and reports YAML errors', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jl-config-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, 'storage:\n  path: db/station.db\ntrust:\n  authAnchors: [roots/a.pem]\n');
    const cfg = loadConfigFile(file);
    expect(cfg.storage.path).toBe(path.join(dir, 'db/station.db'));
    expect(cfg.trust.authAnchors).toEqual([path.join(dir, 'roots/a.pem')]);
    writeFileSync(file, 'storage: [unclosed\n');
    expect(problemsOf(() => loadConfigFile(file))[0]?.message).toMatch(/^YAML:/);
    expect(problemsOf(() => loadConfigFile(path.join(dir, 'missing.yaml')))[0]?.message).toMatch(
      /ENOENT/,
    );
  });

  it('the commented example file lists every key of the schema (regenerate: jpki-locker config example)', async () => {
    const { readFileSync } = await import('node:fs');
    const { renderExampleConfig } = await import('./example.js');
    const file = readFileSync(
      path.resolve(import.meta.dirname, '../../config.example.yaml'),
      'utf8',
    );
    expect(file).toBe(renderExampleConfig());
  });

  it('the commented example file is valid', () => {
    const cfg = loadConfigFile(path.resolve(import.meta.dirname, '../../config.example.yaml'));
    expect(cfg.station.id).toMatch(/^[a-z0-9-]+$/);
  });
});

describe('doors with their own readers and fire inputs (issue 17)', () => {
  const gpio = {
    driver: 'sim',
    outputs: [
      { name: 'front-relay', line: 17, failMode: 'safe' },
      { name: 'staff-relay', line: 27 },
    ],
    inputs: [
      { name: 'fire-panel', line: 5, kind: 'fire' },
      { name: 'front-contact', line: 6 },
    ],
  };
  it('accepts a reader per door and a fire input of kind fire', () => {
    const cfg = checkConfig({
      gpio,
      card: { reader: 'Kiosk' },
      doors: [
        { id: 'front', relay: 'front-relay', reader: 'Front', fireInput: 'fire-panel' },
        { id: 'staff', relay: 'staff-relay', reader: 'Staff', antiPassbackSec: 600 },
      ],
    });
    expect(cfg.doors.map((d) => [d.id, d.reader, d.fireInput, d.antiPassbackSec])).toEqual([
      ['front', 'Front', 'fire-panel', 0],
      ['staff', 'Staff', '', 600],
    ]);
  });
  it('refuses a fire input that is missing or not a fire contact, and a reader used twice', () => {
    const problems = problemsOf(() =>
      checkConfig({
        gpio,
        card: { reader: 'Kiosk' },
        doors: [
          { id: 'front', relay: 'front-relay', reader: 'Kiosk', fireInput: 'front-contact' },
          { id: 'staff', relay: 'staff-relay', reader: 'Staff', fireInput: 'smoke' },
          { id: 'back', relay: 'staff-relay', reader: 'Staff' },
        ],
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual([
      'doors.0.fireInput',
      'doors.0.reader',
      'doors.1.fireInput',
      'doors.2.reader',
    ]);
  });
});
