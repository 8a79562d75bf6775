/**
 * DoorController over real GPIO logic: SimGpio (the same GpioBank safety logic as OnoffGpio)
 * through GpioDoorHardware, with fake timers — rules and schedules, denial reasons, bounded
 * pulses, request-to-exit, held-open and forced alarms, each decision in the outbox and audit.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimGpio } from '../../hardware/gpio/sim-gpio.js';
import type { Timers } from '../../hardware/support.js';
import { AuditLog } from '../audit/audit-log.js';
import { silentLogger } from '../log.js';
import { Outbox } from '../outbox/outbox.js';
import { openDatabase, type Db } from '../storage/db.js';
import { DoorController } from './door-access.js';
import { FRONT_DOOR_GPIO } from '../app/testing/fakes.js';
import { GpioDoorHardware } from '../adapters/gpio-doors.js';
import { SqliteUnitOfWork } from '../adapters/sqlite/unit-of-work.js';
import { Ledger } from './ledger/ledger.js';
import { ALICE, DOOR_CASES, MONDAY_10_JST, doorRules } from '../domain/testing/door-rule-table.js';

const fakeTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

describe('DoorController on GPIO (SimGpio, fake timers)', () => {
  let db: Db;
  let outbox: Outbox;
  let audit: AuditLog;
  let ledger: Ledger;
  let gpio: SimGpio;
  let doors: DoorController;

  beforeEach(async () => {
    vi.useFakeTimers({ now: MONDAY_10_JST });
    db = openDatabase(':memory:');
    outbox = new Outbox(db, { stationId: 'door-test', maxEvents: 100_000, now: () => new Date() });
    audit = new AuditLog(db, () => new Date());
    ledger = new Ledger(new SqliteUnitOfWork(db, outbox, audit, () => new Date()), {
      compartments: [],
      doors: [{ id: 'front' }],
    });
    gpio = new SimGpio(FRONT_DOOR_GPIO, { timers: fakeTimers });
    await gpio.start();
    const hardware = new GpioDoorHardware(gpio, [
      { id: 'front', relay: 'front-relay', contact: 'front-contact', rex: 'front-exit' },
    ]);
    doors = new DoorController(
      ledger,
      hardware,
      [{ id: 'front', unlockMs: 5000, heldOpenSec: 30 }],
      silentLogger(),
    );
    doors.start();
    expect(ledger.roster.applyDoorRules(doorRules()).accepted).toBe(true);
  });

  afterEach(async () => {
    doors.stop();
    await gpio.stop();
    db.close();
    vi.useRealTimers();
  });

  const events = (kind: string) =>
    outbox
      .readFrom(0, 100_000)
      .filter((e) => e.kind === kind)
      .map((e) => JSON.parse(e.data) as Record<string, unknown>);
  const doorStates = () => events('door.state').map((d) => d.status);
  const alarms = () => events('alarm.raised').map((d) => d.alarm);
  /** Moves the door contact and lets the debounce settle. */
  const contact = (open: boolean) => {
    if (open) gpio.openDoor('front-contact');
    else gpio.closeDoor('front-contact');
    vi.advanceTimersByTime(30);
  };

  it('grants by certificate rule inside the schedule and pulses the relay', async () => {
    const r = await doors.requestAccess(ALICE, 'front');
    expect(r).toMatchObject({ granted: true, reason: 'ok', ruleId: 'weekday' });
    expect(gpio.outputState('front-relay')).toBe('unlocked');
    expect(gpio.outputLevel('front-relay')).toBe(0); // active-low relay energised
    expect(ledger.roster.doorState('front')).toBe('unlocked');
    expect(events('door.decision')).toEqual([
      {
        door: 'front',
        decision: 'granted',
        reason: 'ok',
        holderSpkiSha256: ALICE,
        ruleId: 'weekday',
      },
    ]);
    expect(events('actuation')).toEqual([
      { target: 'door', id: 'front', cause: 'door_access', opened: true },
    ]);
    const audited = audit.list({ limit: 100 }).map((a) => [a.kind, a.action, a.outcome]);
    expect(audited).toContainEqual(['grant', 'door.access', 'granted']);
    expect(audit.verify().ok).toBe(true);
  });

  it.each(DOOR_CASES.map((c) => [c.name, c] as const))(
    'the rule table: %s (recorded; the relay moves only when granted)',
    async (_name, c) => {
      vi.setSystemTime(c.at);
      const r = await doors.requestAccess(c.holder, c.door);
      expect(r).toMatchObject({ granted: c.granted, reason: c.reason, door: c.door });
      expect(r.ruleId).toBe(c.ruleId);
      expect(gpio.outputState('front-relay')).toBe(c.granted ? 'unlocked' : 'locked');
      if (!c.granted) expect(gpio.journal.filter((j) => j.op === 'write')).toEqual([]);
      expect(events('door.decision').map((d) => [d.decision, d.reason])).toEqual([
        [c.granted ? 'granted' : 'denied', c.reason],
      ]);
      const audited = audit.list({ limit: 100 }).filter((a) => a.action === 'door.access');
      expect(audited.map((a) => (a.kind === 'denial' ? a.reason : a.outcome))).toEqual([
        c.granted ? 'granted' : c.reason,
      ]);
      expect(audit.verify().ok).toBe(true);
    },
  );

  it('a door the station does not have is refused (unknown_door), nothing driven', async () => {
    expect(await doors.requestAccess(ALICE, 'back')).toMatchObject({
      granted: false,
      reason: 'unknown_door',
    });
    expect(gpio.journal.filter((j) => j.op === 'write')).toEqual([]);
    expect(events('door.decision').map((d) => [d.decision, d.reason])).toEqual([
      ['denied', 'unknown_door'],
    ]);
  });

  it('denies everyone in maintenance mode', async () => {
    ledger.alarms.setMode(true, 'repairs');
    expect(await doors.requestAccess(ALICE, 'front')).toMatchObject({
      granted: false,
      reason: 'maintenance_mode',
    });
    expect(gpio.outputState('front-relay')).toBe('locked');
  });

  it('bounds the pulse: the relay re-locks at maxPulseMs on the GPIO timer, the door at unlockMs', async () => {
    await doors.requestAccess(ALICE, 'front');
    vi.advanceTimersByTime(2999);
    expect(gpio.outputState('front-relay')).toBe('unlocked');
    vi.advanceTimersByTime(1);
    // unlockMs (5000) is cut to the relay's maxPulseMs (3000).
    expect(gpio.outputState('front-relay')).toBe('locked');
    expect(gpio.outputLevel('front-relay')).toBe(1);
    vi.advanceTimersByTime(2000);
    expect(ledger.roster.doorState('front')).toBe('locked');
    expect(doorStates()).toEqual(['unlocked', 'locked']);
  });

  it('a second grant while the relay cools down is recorded as lock_failed', async () => {
    await doors.requestAccess(ALICE, 'front');
    contact(true);
    contact(false); // closed again: relay locked at once, cooldown starts
    expect(gpio.outputState('front-relay')).toBe('locked');
    const again = await doors.requestAccess(ALICE, 'front');
    expect(again).toMatchObject({ granted: false, reason: 'lock_failed' });
    expect(events('actuation').map((a) => a.opened)).toEqual([true, false]);
    vi.advanceTimersByTime(500);
    expect(await doors.requestAccess(ALICE, 'front')).toMatchObject({ granted: true });
  });

  it('open then close during the pulse: unlocked -> open -> locked, relay re-locked early', async () => {
    await doors.requestAccess(ALICE, 'front');
    contact(true);
    expect(ledger.roster.doorState('front')).toBe('open');
    contact(false);
    expect(ledger.roster.doorState('front')).toBe('locked');
    expect(gpio.outputState('front-relay')).toBe('locked');
    expect(doorStates()).toEqual(['unlocked', 'open', 'locked']);
    expect(alarms()).toEqual([]);
  });

  it('request-to-exit pulses the door without a card and is audited', async () => {
    gpio.pressButton('front-exit');
    vi.advanceTimersByTime(30);
    expect(gpio.outputState('front-relay')).toBe('unlocked');
    await vi.waitFor(() => expect(ledger.roster.doorState('front')).toBe('unlocked'));
    gpio.releaseButton('front-exit');
    vi.advanceTimersByTime(30);
    expect(gpio.outputState('front-relay')).toBe('unlocked');
    contact(true);
    contact(false);
    expect(doorStates()).toEqual(['unlocked', 'open', 'locked']);
    const rex = audit.list({ limit: 100 }).filter((a) => a.action === 'door.rex');
    expect(rex).toHaveLength(1);
    expect(events('actuation')).toEqual([
      { target: 'door', id: 'front', cause: 'door_access', opened: true },
    ]);
  });

  it('held open: alarm after heldOpenSec, cleared when the door closes', async () => {
    await doors.requestAccess(ALICE, 'front');
    contact(true);
    vi.advanceTimersByTime(29_000);
    expect(ledger.roster.doorState('front')).toBe('open');
    vi.advanceTimersByTime(1_000);
    expect(ledger.roster.doorState('front')).toBe('held_open');
    expect(ledger.alarms.alarms().map((a) => a.alarm)).toEqual(['door_held_open']);
    contact(false);
    expect(ledger.roster.doorState('front')).toBe('locked');
    expect(ledger.alarms.alarms()).toEqual([]);
    expect(events('alarm.cleared').map((a) => a.alarm)).toEqual(['door_held_open']);
    expect(doorStates()).toEqual(['unlocked', 'open', 'held_open', 'locked']);
  });

  it('forced: the contact opens while locked -> critical alarm, cleared on close', async () => {
    contact(true);
    expect(ledger.roster.doorState('front')).toBe('forced');
    expect(ledger.alarms.alarms()).toMatchObject([
      { alarm: 'door_forced', severity: 'critical', target: 'door:front' },
    ]);
    contact(false);
    expect(ledger.roster.doorState('front')).toBe('locked');
    expect(ledger.alarms.alarms()).toEqual([]);
    expect(gpio.outputState('front-relay')).toBe('locked');
    expect(audit.verify().ok).toBe(true);
  });

  it('a bouncing contact that settles shut raises nothing', () => {
    gpio.bounce('front-contact', [0, 1, 0, 1]);
    vi.advanceTimersByTime(30);
    expect(ledger.roster.doorState('front')).toBe('locked');
    expect(alarms()).toEqual([]);
  });

  it('remote open pulses the relay and records the operator', async () => {
    expect(await doors.remoteOpen('front', 'operator:abc')).toBe(true);
    expect(gpio.outputState('front-relay')).toBe('unlocked');
    expect(events('actuation')).toEqual([
      { target: 'door', id: 'front', cause: 'remote', opened: true },
    ]);
    expect(await doors.remoteOpen('nowhere', 'operator:abc')).toBe(false);
  });
});
