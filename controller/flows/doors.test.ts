/**
 * Several doors (issue 17) over SimGpio through GpioDoorHardware, fake timers: each reader
 * opens its own door, anti-passback per door, and a fire-alarm input releasing a fail-safe
 * door (and not a fail-secure one) until it clears, then nothing stays open.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimGpio } from '../../hardware/gpio/sim-gpio.js';
import type { Timers } from '../../hardware/support.js';
import type { DoorRulesBody } from '../../shared/mqtt/commands.js';
import { GpioDoorHardware } from '../adapters/gpio-doors.js';
import { SqliteUnitOfWork } from '../adapters/sqlite/unit-of-work.js';
import { AuditLog } from '../audit/audit-log.js';
import { realTimers } from '../domain/ports.js';
import { silentLogger } from '../log.js';
import { Outbox } from '../outbox/outbox.js';
import { openDatabase, type Db } from '../storage/db.js';
import { DoorController, type DoorSettings } from './door-access.js';
import { FireRelease } from './fire-release.js';
import { Ledger } from './ledger/ledger.js';

const ALICE = 'a'.repeat(64);
const gpioTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

const rules: DoorRulesBody = {
  version: 1,
  rules: [
    {
      ruleId: 'alice-both',
      who: { certSpkiSha256: [ALICE] },
      doors: ['front', 'staff'],
      schedule: {
        timezone: 'Asia/Tokyo',
        weekly: [
          { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '00:00', to: '24:00' },
        ],
      },
      validFrom: '2025-01-01T00:00:00Z',
      validUntil: '2030-01-01T00:00:00Z',
    },
  ],
};

describe('a two-door station', () => {
  let db: Db;
  let outbox: Outbox;
  let ledger: Ledger;
  let gpio: SimGpio;
  let doors: DoorController;
  let fire: FireRelease;
  const settings: DoorSettings[] = [
    {
      id: 'front',
      unlockMs: 3000,
      heldOpenSec: 30,
      reader: 'Front',
      failSafe: true,
      maxPulseMs: 3000,
    },
    { id: 'staff', unlockMs: 3000, heldOpenSec: 30, reader: 'Staff', antiPassbackSec: 600 },
  ];

  beforeEach(async () => {
    vi.useFakeTimers({ now: new Date('2026-06-01T01:00:00Z') });
    db = openDatabase(':memory:');
    outbox = new Outbox(db, { stationId: 'doors', maxEvents: 100_000, now: () => new Date() });
    const audit = new AuditLog(db, () => new Date());
    ledger = new Ledger(new SqliteUnitOfWork(db, outbox, audit, () => new Date()), {
      compartments: [],
      doors: settings,
    });
    const out = (name: string, line: number, failMode: 'safe' | 'secure') => ({
      name,
      line,
      activeLow: false,
      failMode,
      maxPulseMs: 3000,
      cooldownMs: 100,
    });
    gpio = new SimGpio(
      {
        chipLabel: 'sim',
        outputs: [out('front-relay', 17, 'safe'), out('staff-relay', 27, 'secure')],
        inputs: [
          { name: 'front-contact', line: 5, kind: 'door', activeLow: true, debounceMs: 30 },
          { name: 'fire-panel', line: 6, kind: 'fire', activeLow: true, debounceMs: 30 },
        ],
      },
      { timers: gpioTimers },
    );
    await gpio.start();
    const hw = new GpioDoorHardware(gpio, [
      {
        id: 'front',
        relay: 'front-relay',
        contact: 'front-contact',
        rex: '',
        fireInput: 'fire-panel',
      },
      { id: 'staff', relay: 'staff-relay', contact: '', rex: '', fireInput: 'fire-panel' },
    ]);
    fire = new FireRelease(
      ledger,
      hw,
      settings.map((d) => ({ id: d.id, failSafe: d.failSafe ?? false, releaseMs: 3000 })),
      realTimers,
      silentLogger(),
    );
    doors = new DoorController(ledger, hw, settings, silentLogger(), realTimers, (d) =>
      fire.released(d),
    );
    doors.start();
    fire.start();
    expect(ledger.roster.applyDoorRules(rules).accepted).toBe(true);
  });

  afterEach(async () => {
    fire.stop();
    doors.stop();
    await gpio.stop();
    db.close();
    vi.useRealTimers();
  });

  const relay = (name: string) => gpio.outputState(name);
  const alarms = () => ledger.alarms.alarms().map((a) => `${a.alarm}@${a.target}`);

  it('each reader opens its own door', async () => {
    expect(doors.doorFor('ACS ACR39U Front 00 00')).toBe('front');
    expect(doors.doorFor('ACS ACR39U Staff 00 01')).toBe('staff');
    expect(doors.doorFor('Kiosk reader')).toBe('front'); // no door of its own: the default
    const r = await doors.requestAccess(ALICE, doors.doorFor('ACS ACR39U Staff 00 01'));
    expect(r).toMatchObject({ granted: true, door: 'staff' });
    expect(relay('staff-relay')).toBe('unlocked');
    expect(relay('front-relay')).toBe('locked');
  });

  it('anti-passback: the same card is refused at that door within antiPassbackSec, not at the other', async () => {
    expect((await doors.requestAccess(ALICE, 'staff')).granted).toBe(true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await doors.requestAccess(ALICE, 'staff')).toMatchObject({
      granted: false,
      reason: 'anti_passback',
    });
    expect((await doors.requestAccess(ALICE, 'front')).granted).toBe(true);
    await vi.advanceTimersByTimeAsync(600_000);
    expect((await doors.requestAccess(ALICE, 'staff')).granted).toBe(true);
  });

  it('the fire input releases the fail-safe door (kept released past its pulse), not the fail-secure one; cleared, both lock', async () => {
    const relocks: string[] = [];
    gpio.on('output', (e) => {
      if (e.state === 'locked') relocks.push(e.name);
    });
    gpio.setActive('fire-panel', true);
    await vi.advanceTimersByTimeAsync(100); // debounce
    expect(relay('front-relay')).toBe('unlocked');
    expect(relay('staff-relay')).toBe('locked');
    expect(alarms()).toEqual(['fire_alarm@door:front', 'fire_alarm@door:staff']);
    // Longer than three pulses (3 s each): released all the time, not one relock in between
    // (each pulse is renewed before it ends; a new pulse would wait out the cooldown).
    for (let t = 0; t < 10_000; t += 50) {
      await vi.advanceTimersByTimeAsync(50);
      expect(relay('front-relay')).toBe('unlocked');
    }
    expect(relocks).toEqual([]);
    expect(relay('staff-relay')).toBe('locked');
    gpio.openDoor('front-contact');
    await vi.advanceTimersByTimeAsync(100);
    gpio.closeDoor('front-contact');
    await vi.advanceTimersByTimeAsync(100);
    expect(fire.released('front')).toBe(true); // a close does not end the release
    // Cleared: locked at once, and it stays locked without a new decision.
    gpio.setActive('fire-panel', false);
    await vi.advanceTimersByTimeAsync(100);
    expect(relay('front-relay')).toBe('locked');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(relay('front-relay')).toBe('locked');
    expect(ledger.roster.doorState('front')).toBe('locked');
    expect(alarms()).toEqual([]);
  });

  it('a fire input during a card pulse renews that pulse: the fail-safe door never relocks', async () => {
    const relocks: string[] = [];
    gpio.on('output', (e) => {
      if (e.state === 'locked') relocks.push(e.name);
    });
    expect((await doors.requestAccess(ALICE, 'front')).granted).toBe(true);
    await vi.advanceTimersByTimeAsync(2900); // the card's pulse is about to end
    gpio.setActive('fire-panel', true);
    for (let t = 0; t < 8000; t += 50) {
      await vi.advanceTimersByTimeAsync(50);
      expect(relay('front-relay')).toBe('unlocked');
    }
    expect(relocks).toEqual([]);
    gpio.setActive('fire-panel', false);
    await vi.advanceTimersByTimeAsync(100);
    expect(relay('front-relay')).toBe('locked');
    expect(relocks).toEqual(['front-relay']);
  });
});
