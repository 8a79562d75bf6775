import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Secret } from '../../shared/secret.js';
import { CoreHarness } from '../app/testing/harness.js';
import { moveCompartmentIn } from '../flows/ledger/tx-helpers.js';
import { spkiSha256 } from '../domain/identity.js';
import { FakeJpkiCard, ManualTimers, testRoot } from '../app/testing/fakes.js';

let h: CoreHarness;
let timers: ManualTimers;
let alice: FakeJpkiCard;
let bob: FakeJpkiCard;
let staff: FakeJpkiCard;

beforeAll(() => {
  const root = testRoot();
  alice = FakeJpkiCard.make(root, 'alice-opaque-id');
  bob = FakeJpkiCard.make(root, 'bob-opaque-id');
  staff = FakeJpkiCard.make(root, 'staff-opaque-id');
});

beforeEach(async () => {
  for (const c of [alice, bob, staff]) {
    c.triesLeft = 3;
    Object.assign(c.calls, { verify: 0, pinStatus: 0, sign: 0, read: 0 });
  }
  timers = new ManualTimers();
  h = new CoreHarness({ timers });
  await h.start();
});
afterEach(async () => {
  await h.stop();
});

/** Inserts the card and types PINs until the flow leaves the PIN screen. */
async function present(card: FakeJpkiCard, ...pins: string[]): Promise<void> {
  const pinScreen = h.next('pin');
  h.cards.insert(card);
  await pinScreen;
  for (const [i, pin] of pins.entries()) {
    const after =
      i < pins.length - 1
        ? h.next('pin')
        : h.next((s) => s.screen !== 'pin' && s.screen !== 'verifying');
    expect(h.session.submitPin(new Secret(pin))).toBe(true);
    await after;
  }
}

/**
 * Alice collects her delivery in A01: resolves on the "door open" screen. `sensorStuck`: the
 * pulse goes out but the door sensor never sees the door move (the door stays "to be opened").
 */
async function aliceAtOpenDoor(sensorStuck = false): Promise<void> {
  h.assign('d1', 'A01', alice);
  h.loadDirect('A01');
  if (sensorStuck) vi.spyOn(h.lockers, 'unlock').mockResolvedValue({ opened: true });
  const open = h.next('open');
  await present(alice, '1234');
  await open;
}

describe('pickup', () => {
  it('loads by staff on the roster, then the holder collects: events and audit in order', async () => {
    h.ledger.roster.applyRoster({
      version: 1,
      staff: [{ staffId: 's1', certSpkiSha256: spkiSha256(staff.cert.der), roles: ['loader'] }],
    });
    h.assign('d1', 'A01', alice);
    // Loading: staff card -> reserved compartment opens -> closed with the item -> loaded.
    const loading = h.next('loading');
    await present(staff, '1234');
    await loading;
    // One item at a time: the delivery is picked on screen, then only its compartment opens.
    const opened = h.next((s) => s.screen === 'loading' && s.loading?.current === 'd1');
    expect(h.session.submitScan({ kind: 'pick', deliveryId: 'd1' })).toBe(true);
    const l = await opened;
    expect(l.compartments).toEqual([{ id: 'A01', state: 'open' }]);
    const loaded = h.next('loaded');
    h.board.putItem(0, 1);
    h.board.closeDoor(0, 1);
    await loaded;
    expect(h.ledger.compartments.get('A01')!.state).toBe('loaded');
    h.cards.remove();
    // Pickup.
    const open = h.next('open');
    await present(alice, '1234');
    await open;
    expect(h.ledger.compartments.get('A01')!.state).toBe('opened_for_pickup');
    const collected = h.next('collected');
    h.board.takeItem(0, 1);
    h.board.closeDoor(0, 1);
    await collected;
    expect(h.ledger.compartments.get('A01')!.state).toBe('collected');
    expect(h.ledger.deliveries.get('d1')!.state).toBe('collected');
    const kinds = h.eventKinds();
    expect(kinds).toEqual(
      expect.arrayContaining([
        'delivery.assigned',
        'delivery.loaded',
        'pickup.attempt',
        'actuation',
        'delivery.collected',
      ]),
    );
    expect(kinds.indexOf('delivery.loaded')).toBeLessThan(kinds.indexOf('delivery.collected'));
    expect(h.audit.verify().ok).toBe(true);
    const audit = JSON.stringify(h.audit.list({ limit: 1000 }));
    // The PIN never appears on its own (hashes are hex and may hold "1234" by chance).
    expect(audit).not.toMatch(/(?<![0-9a-f])1234(?![0-9a-f])/);
    expect(audit).not.toContain('alice-opaque-id');
  });

  it('says on the idle screen that pickups are paused while the CRL is stale (alarm crl_stale)', async () => {
    expect(h.session.state.station.crlStale).toBe(false);
    const paused = h.next((s) => s.screen === 'idle' && s.station.crlStale);
    h.ledger.alarms.raiseAlarm('crl_stale', 'critical', 'crl:abcd', 'stale');
    await paused;
    const resumed = h.next((s) => s.screen === 'idle' && !s.station.crlStale);
    h.ledger.alarms.clearAlarm('crl_stale', 'crl:abcd');
    await resumed;
  });

  it('names a CRL dated in the future on the idle screen as its own reason (alarm crl_not_yet_valid)', async () => {
    const named = h.next(
      (s) => s.screen === 'idle' && (s.station.outOfService ?? []).includes('crl_not_yet_valid'),
    );
    h.ledger.alarms.raiseAlarm('crl_not_yet_valid', 'critical', 'crl:abcd', 'future');
    expect((await named).station).toMatchObject({
      crlStale: false,
      outOfService: ['crl_not_yet_valid'],
    });
    const back = h.next((s) => s.screen === 'idle' && s.station.outOfService === undefined);
    h.ledger.alarms.clearAlarm('crl_not_yet_valid', 'crl:abcd');
    await back;
  });

  it('checks the certificate before asking the PIN: a revoked card never reaches the PIN', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    h.checker.answer = { valid: false, reason: 'revoked' };
    const err = h.next('error');
    h.cards.insert(alice);
    const s = await err;
    expect(s.error).toBe('cert_revoked');
    expect(alice.calls.pinStatus).toBe(0);
    expect(alice.calls.verify).toBe(0);
    expect(h.screens.some((x) => x.screen === 'pin')).toBe(false);
    const attempt = h.outbox
      .readFrom(0, 1000)
      .filter((e) => e.kind === 'pickup.attempt')
      .at(-1)!;
    expect(JSON.parse(attempt.data)).toMatchObject({ result: 'denied', reason: 'cert_revoked' });
  });

  it('every pickup attempt carries the revocation source of the certificate check (ocsp, ocsp-cache, crl)', async () => {
    const attempts = () =>
      h.outbox
        .readFrom(0, 1000)
        .filter((e) => e.kind === 'pickup.attempt')
        .map((e) => JSON.parse(e.data) as { reason: string; revocationSource?: string });
    h.checker.answer = { valid: false, reason: 'revoked', source: 'ocsp' };
    const refused = h.next('error');
    h.cards.insert(alice);
    await refused;
    expect(attempts().at(-1)).toMatchObject({ reason: 'cert_revoked', revocationSource: 'ocsp' });
    h.cards.remove();
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    h.checker.answer = { valid: true, source: 'ocsp-cache' };
    const open = h.next('open');
    await present(alice, '9999', '1234');
    await open;
    expect(attempts().slice(-2)).toEqual([
      expect.objectContaining({ reason: 'wrong_pin', revocationSource: 'ocsp-cache' }),
      expect.objectContaining({ reason: 'ok', revocationSource: 'ocsp-cache' }),
    ]);
  });

  it('a smartphone: PIN first (the screen says so), then the certificate is read and checked, then the pickup', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    alice.kind = 'phone';
    try {
      const pinScreen = h.next('pin');
      h.cards.insert(alice);
      const s = await pinScreen;
      expect(s).toMatchObject({ screen: 'pin', device: 'phone', triesLeft: 3 });
      expect(alice.calls.read).toBe(0);
      expect(h.checker.checks).toBe(0);
      const open = h.next('open');
      expect(h.session.submitPin(new Secret('1234'))).toBe(true);
      await open;
      expect(h.checker.checks).toBe(1);
      expect(h.ledger.compartments.get('A01')!.state).toBe('opened_for_pickup');
    } finally {
      alice.kind = 'card';
    }
  });

  it('a smartphone whose certificate is revoked: refused after the PIN, nothing opens', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    alice.kind = 'phone';
    try {
      h.checker.answer = { valid: false, reason: 'revoked', source: 'ocsp' };
      await present(alice, '1234');
      expect(h.screens.at(-1)).toMatchObject({ screen: 'error', error: 'cert_revoked' });
      expect(alice.calls.sign).toBe(0);
      expect(h.ledger.compartments.get('A01')!.state).toBe('loaded');
    } finally {
      alice.kind = 'card';
    }
  });

  it('a card without the JPKI application is told "this is not a My Number card"', async () => {
    bob.kind = 'not_jpki';
    try {
      const err = h.next('error');
      h.cards.insert(bob);
      expect(await err).toMatchObject({ error: 'not_my_number_card' });
      expect(bob.calls).toMatchObject({ read: 0, pinStatus: 0, verify: 0 });
    } finally {
      bob.kind = 'card';
    }
  });

  it.each([
    ['expired', 'cert_expired'],
    ['unknown_issuer', 'cert_untrusted'],
    ['crl_stale', 'crl_stale'],
    ['crl_not_yet_valid', 'crl_not_yet_valid'],
  ])('shows %s as %s', async (reason, screen) => {
    h.checker.answer = { valid: false, reason };
    const err = h.next('error');
    h.cards.insert(alice);
    expect((await err).error).toBe(screen);
    expect(alice.calls.verify).toBe(0);
  });

  it('shows the tries left, counts only typed PINs, and opens on the right one', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    const first = h.next('pin');
    h.cards.insert(alice);
    expect((await first).triesLeft).toBe(3);
    expect(alice.calls.verify).toBe(0);
    const again = h.next('pin');
    h.session.submitPin(new Secret('9999'));
    const s = await again;
    expect(s).toMatchObject({ triesLeft: 2, wrongPin: true });
    expect(alice.calls.verify).toBe(1);
    const open = h.next('open');
    h.session.submitPin(new Secret('1234'));
    await open;
    expect(alice.calls.verify).toBe(2);
    expect(alice.triesLeft).toBe(3);
  });

  it('stops at a blocked PIN without spending a try', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    alice.triesLeft = 0;
    const err = h.next('error');
    h.cards.insert(alice);
    expect((await err).error).toBe('pin_blocked');
    expect(alice.calls.verify).toBe(0);
  });

  it('never asks for the last try (pickup.refuseLastTry): the resident goes to the counter', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    alice.triesLeft = 2;
    const pin = h.next('pin');
    h.cards.insert(alice);
    expect((await pin).triesLeft).toBe(2);
    const err = h.next('error');
    h.session.submitPin(new Secret('0000'));
    expect((await err).error).toBe('last_try');
    expect(alice.calls.verify).toBe(1);
    expect(alice.triesLeft).toBe(1);
    const attempt = h.outbox
      .readFrom(0, 1000)
      .filter((e) => e.kind === 'pickup.attempt')
      .at(-1)!;
    expect(JSON.parse(attempt.data)).toMatchObject({ reason: 'pin_last_try' });
    // Inserted again with one try left: no PIN screen at all.
    h.cards.remove();
    await h.session.settled;
    const again = h.next('error');
    h.cards.insert(alice);
    expect((await again).error).toBe('last_try');
    expect(alice.calls.verify).toBe(1);
    expect(h.screens.filter((s) => s.screen === 'pin')).toHaveLength(1);
  });

  it('blocks after the last wrong try (pickup.refuseLastTry: false)', async () => {
    await h.stop();
    h = new CoreHarness({ timers, refuseLastTry: false });
    await h.start();
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    alice.triesLeft = 1;
    const pin = h.next('pin');
    h.cards.insert(alice);
    expect((await pin).triesLeft).toBe(1);
    const err = h.next('error');
    h.session.submitPin(new Secret('0000'));
    expect((await err).error).toBe('pin_blocked');
  });

  it('says so when there is nothing to collect, without asking for the PIN', async () => {
    const err = h.next('error');
    h.cards.insert(bob);
    expect((await err).error).toBe('nothing_to_collect');
    expect(bob.calls.pinStatus).toBe(0);
    expect(bob.calls.verify).toBe(0);
    expect(h.screens.some((s) => s.screen === 'pin')).toBe(false);
    const attempt = h.outbox
      .readFrom(0, 1000)
      .filter((e) => e.kind === 'pickup.attempt')
      .at(-1)!;
    expect(JSON.parse(attempt.data)).toEqual({
      result: 'denied',
      reason: 'no_delivery',
      holderSpkiSha256: null,
    });
  });

  it('cancels when the card is removed mid-flow', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    const pin = h.next('pin');
    h.cards.insert(alice);
    await pin;
    const err = h.next('error');
    h.cards.remove();
    expect((await err).error).toBe('card_removed');
    expect(h.ledger.compartments.get('A01')!.state).toBe('loaded');
    expect(h.board.unlockLog).toHaveLength(0);
  });

  it('opens all of a holder’s compartments together', async () => {
    for (const [d, c] of [
      ['d1', 'A01'],
      ['d2', 'A02'],
      ['d3', 'A03'],
    ] as const) {
      h.assign(d, c, alice);
      h.loadDirect(c);
    }
    h.assign('d4', 'A04', bob);
    h.loadDirect('A04');
    const open = h.next('open');
    await present(alice, '1234');
    const s = await open;
    expect(s.compartments!.map((c) => c.id)).toEqual(['A01', 'A02', 'A03']);
    expect(h.board.unlockLog.map((u) => u.lock)).toEqual([1, 2, 3]);
    const done = h.next('collected');
    for (const l of [1, 2, 3]) {
      h.board.takeItem(0, l);
      h.board.closeDoor(0, l);
    }
    await done;
    expect(['d1', 'd2', 'd3'].map((d) => h.ledger.deliveries.get(d)!.state)).toEqual([
      'collected',
      'collected',
      'collected',
    ]);
    expect(h.ledger.deliveries.get('d4')!.state).toBe('loaded');
  });

  it('offers to try again when a compartment does not open (fault), and opens on retry', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    h.board.jamLatch(0, 1);
    const failed = h.next('lock_failed');
    await present(alice, '1234');
    const f = await failed;
    expect(f.canRetry).toBe(true);
    expect(h.ledger.compartments.get('A01')!.state).toBe('fault');
    expect(h.ledger.alarms.alarms().map((a) => a.alarm)).toContain('compartment_jammed');
    h.board.jamLatch(0, 1, false);
    const open = h.next('open');
    h.session.retry(true);
    await open;
    expect(h.ledger.compartments.get('A01')!.state).toBe('opened_for_pickup');
    expect(h.ledger.alarms.alarms()).toHaveLength(0);
  });

  it('raises an alarm when the door is left open, and clears it on close', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    const open = h.next('open');
    await present(alice, '1234');
    await open;
    h.board.takeItem(0, 1);
    const left = h.next('door_left_open');
    timers.fire(120_000);
    await left;
    expect(h.ledger.alarms.alarms()).toMatchObject([
      { alarm: 'door_held_open', target: 'compartment:A01' },
    ]);
    const done = h.next('collected');
    h.board.closeDoor(0, 1);
    await done;
    expect(h.ledger.alarms.alarms()).toHaveLength(0);
    expect(h.eventKinds()).toEqual(expect.arrayContaining(['alarm.raised', 'alarm.cleared']));
  });

  it('keeps the delivery when the door is shut on the untouched document, and says so', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    const open = h.next('open');
    await present(alice, '1234');
    await open;
    // Not "the door could not be opened": it was opened, and closed on the document.
    const err = h.next('not_collected');
    h.board.closeDoor(0, 1);
    expect((await err).compartments).toEqual([{ id: 'A01', state: 'not_collected' }]);
    expect(h.ledger.compartments.get('A01')!.state).toBe('loaded');
    expect(h.ledger.deliveries.get('d1')!.state).toBe('loaded');
  });

  it('re-locks and keeps the delivery when the door never opens before the timeout', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    // A lock whose door sensor is apart from the latch: the pulse goes out and the latch
    // re-engages at its end, but the door sensor never sees the door move.
    const unlock = vi.spyOn(h.lockers, 'unlock').mockResolvedValue({ opened: true });
    const open = h.next('open');
    await present(alice, '1234');
    expect((await open).compartments).toEqual([{ id: 'A01', state: 'open' }]);
    expect(h.ledger.compartments.get('A01')!.state).toBe('opened_for_pickup');
    const err = h.next('door_not_opened');
    expect(timers.fire(30_000)).toBe(1); // pickup.doorOpenTimeoutSec
    expect((await err).compartments).toEqual([{ id: 'A01', state: 'not_opened' }]);
    expect(unlock).toHaveBeenCalledTimes(1);
    expect(h.ledger.compartments.get('A01')!.state).toBe('loaded');
    expect(h.ledger.deliveries.get('d1')!.state).toBe('loaded');
    expect(h.eventKinds()).not.toContain('delivery.collected');
  });

  it('"go to the counter" after a lock did not open: nothing opens, the attempt is recorded', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    h.board.jamLatch(0, 1);
    const failed = h.next('lock_failed');
    await present(alice, '1234');
    expect((await failed).canRetry).toBe(true);
    const final = h.next((s) => s.error === 'lock_failed' && !s.canRetry);
    expect(h.session.retry(false)).toBe(true);
    expect((await final).compartments).toEqual([{ id: 'A01', state: 'failed' }]);
    await h.session.settled;
    expect(h.ledger.compartments.get('A01')!.state).toBe('fault');
    expect(h.ledger.deliveries.get('d1')!.state).toBe('loaded');
    expect(h.ledger.alarms.alarms().map((a) => a.alarm)).toContain('compartment_jammed');
  });

  it('refuses after the deadline and expires the delivery', async () => {
    let t = Date.now();
    h.now = () => new Date(t);
    h.assign('d1', 'A01', alice, new Date(t + 3600_000));
    h.loadDirect('A01');
    t += 2 * 3600_000;
    const err = h.next('deadline_passed');
    await present(alice, '1234');
    await err;
    expect(h.ledger.deliveries.get('d1')!.state).toBe('expired');
    expect(h.ledger.compartments.get('A01')!.state).toBe('expired');
  });

  it('times out waiting for the PIN', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    const pin = h.next('pin');
    h.cards.insert(alice);
    await pin;
    const err = h.next('pin_timeout');
    timers.fire(60_000);
    await err;
    expect(alice.calls.verify).toBe(0);
  });
});

describe('deliveries and state machines', () => {
  it('extends, cancels and retrieves with staff', async () => {
    const t = Date.now();
    expect(
      h.ledger.deliveries.assign({
        deliveryId: 'x',
        compartment: 'A09',
        holderSpkiSha256: 'a'.repeat(64),
        pickupDeadline: new Date(t + 1e6).toISOString(),
      }),
    ).toMatchObject({ accepted: false, reason: 'unknown_compartment' });
    h.assign('d1', 'A01', alice);
    expect(
      h.ledger.deliveries.assign({
        deliveryId: 'd1',
        compartment: 'A02',
        holderSpkiSha256: 'a'.repeat(64),
        pickupDeadline: new Date(t + 1e6).toISOString(),
      }),
    ).toMatchObject({ accepted: false, reason: 'duplicate_delivery' });
    expect(
      h.ledger.deliveries.assign({
        deliveryId: 'd2',
        compartment: 'A01',
        holderSpkiSha256: 'a'.repeat(64),
        pickupDeadline: new Date(t + 1e6).toISOString(),
      }),
    ).toMatchObject({ accepted: false, reason: 'compartment_busy' });
    h.loadDirect('A01');
    expect(h.ledger.deliveries.extend('d1', new Date(t + 9e6).toISOString())).toEqual({
      accepted: true,
    });
    expect(h.ledger.deliveries.cancel('d1', 'withdrawn')).toEqual({ accepted: true });
    expect(h.ledger.compartments.get('A01')!.state).toBe('expired');
    h.ledger.roster.applyRoster({
      version: 1,
      staff: [{ staffId: 's1', certSpkiSha256: spkiSha256(staff.cert.der), roles: ['retrieval'] }],
    });
    expect(h.ledger.roster.applyRoster({ version: 1, staff: [] })).toMatchObject({
      accepted: false,
      reason: 'stale_version',
    });
    const open = h.next('retrieval');
    await present(staff, '1234');
    await open;
    expect(h.ledger.compartments.get('A01')!.state).toBe('retrieval');
    const done = h.next((s) => s.screen === 'retrieval' && s.compartments?.[0]?.state === 'closed');
    h.board.takeItem(0, 1);
    h.board.closeDoor(0, 1);
    await done;
    expect(h.ledger.compartments.get('A01')!.state).toBe('empty');
    expect(h.eventKinds()).toEqual(
      expect.arrayContaining(['delivery.extended', 'delivery.cancelled', 'delivery.retrieved']),
    );
  });

  it('writes a state change and its event in one transaction (both or neither)', () => {
    const before = h.outbox.lastSeq();
    expect(() =>
      h.core.uow.run((tx) => {
        moveCompartmentIn(tx, 'A01', 'maintenance');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(h.ledger.compartments.get('A01')!.state).toBe('empty');
    expect(h.outbox.lastSeq()).toBe(before);
    expect(() => h.ledger.compartments.move('A01', 'collected')).toThrow(/not allowed/);
  });
});

describe('nobody stuck', () => {
  it('asks "need more time?" 15 s before the PIN times out; yes starts the time again', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    const pin = h.next('pin');
    h.cards.insert(alice);
    await pin;
    const asked = h.next((s) => s.screen === 'pin' && s.moreTime !== undefined);
    expect(timers.fire(45_000)).toBe(1);
    expect((await asked).moreTime).toEqual({ secondsLeft: 15 });
    const again = h.next((s) => s.screen === 'pin' && s.moreTime === undefined);
    expect(h.session.moreTime()).toBe(true);
    expect((await again).triesLeft).toBe(3);
    // The old timeout is gone; the new one is a full minute again.
    expect(timers.fire(45_000)).toBe(1);
    const err = h.next('pin_timeout');
    expect(timers.fire(60_000)).toBe(1);
    expect((await err).moreTime).toBeUndefined();
    expect(h.session.moreTime()).toBe(false);
  });

  it('asks before "try again" times out too', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    h.board.jamLatch(0, 1);
    const failed = h.next('lock_failed');
    await present(alice, '1234');
    await failed;
    const asked = h.next((s) => s.error === 'lock_failed' && s.moreTime !== undefined);
    timers.fire(45_000);
    expect((await asked).canRetry).toBe(true);
    expect(h.session.moreTime()).toBe(true);
  });

  it('asks 15 s before an unopened locker door locks again; yes gives the full time again', async () => {
    await aliceAtOpenDoor(true);
    const asked = h.next((s) => s.screen === 'open' && s.moreTime !== undefined);
    expect(timers.fire(15_000)).toBe(1); // pickup.doorOpenTimeoutSec 30 - 15
    const a = await asked;
    expect(a.moreTime).toEqual({ secondsLeft: 15, door: 'open' });
    expect(a.compartments).toEqual([{ id: 'A01', state: 'open' }]);
    const again = h.next((s) => s.screen === 'open' && s.moreTime === undefined);
    expect(h.session.moreTime()).toBe(true);
    await again;
    expect(h.ledger.compartments.get('A01')!.state).toBe('opened_for_pickup');
    // The time started again: asked again, then it locks with the question gone.
    const askedAgain = h.next((s) => s.moreTime?.door === 'open');
    expect(timers.fire(15_000)).toBe(1);
    await askedAgain;
    const err = h.next('door_not_opened');
    expect(timers.fire(30_000)).toBe(1);
    expect((await err).moreTime).toBeUndefined();
    expect(h.ledger.compartments.get('A01')!.state).toBe('loaded');
    expect(h.session.moreTime()).toBe(false);
  });

  it('the door opened while "need more time?" is up: the question goes, the door is not re-locked', async () => {
    await aliceAtOpenDoor(true);
    const asked = h.next((s) => s.moreTime?.door === 'open');
    timers.fire(15_000);
    await asked;
    const opened = h.next((s) => s.screen === 'open' && s.moreTime === undefined);
    h.board.openDoor(0, 1);
    await opened;
    // The "open the door" limit is gone; the door left open limit runs instead.
    expect(timers.fire(30_000)).toBe(0);
    expect(h.ledger.compartments.get('A01')!.state).toBe('opened_for_pickup');
    const collected = h.next('collected');
    h.board.takeItem(0, 1);
    h.board.closeDoor(0, 1);
    expect((await collected).moreTime).toBeUndefined();
  });

  it('asks before an open door turns into "please close"; yes keeps the open screen, closing ends it', async () => {
    await aliceAtOpenDoor();
    h.board.takeItem(0, 1);
    const asked = h.next((s) => s.screen === 'open' && s.moreTime !== undefined);
    expect(timers.fire(105_000)).toBe(1); // pickup.doorLeftOpenSec 120 - 15
    expect((await asked).moreTime).toEqual({ secondsLeft: 15, door: 'close' });
    const again = h.next((s) => s.screen === 'open' && s.moreTime === undefined);
    expect(h.session.moreTime()).toBe(true);
    await again;
    const askedAgain = h.next((s) => s.moreTime?.door === 'close');
    expect(timers.fire(105_000)).toBe(1);
    await askedAgain;
    // Closed while asked: the question goes with the limit, no alarm at all.
    const collected = h.next('collected');
    h.board.closeDoor(0, 1);
    expect((await collected).moreTime).toBeUndefined();
    expect(h.screens.some((x) => x.error === 'door_left_open')).toBe(false);
    expect(h.ledger.alarms.alarms()).toEqual([]);
  });

  it('the "please close" screen waits for the door with nothing left to time out', async () => {
    await aliceAtOpenDoor();
    h.board.takeItem(0, 1);
    timers.fire(105_000);
    const left = h.next('door_left_open');
    expect(timers.fire(120_000)).toBeGreaterThanOrEqual(1);
    expect((await left).moreTime).toBeUndefined();
    expect(h.session.moreTime()).toBe(false);
    expect([...timers.pending.values()].filter((t) => t.ms === 105_000)).toEqual([]);
  });

  it.each([
    ['reader_gone', 'reader', ['reader']],
    ['board_unreachable', 'board:0', ['boards']],
    ['outbox_full', 'outbox', ['outbox']],
  ] as const)(
    'out of service (%s): a card ends at once on the out-of-service screen, no PIN asked',
    async (alarm, target, missing) => {
      h.assign('d1', 'A01', alice);
      h.loadDirect('A01');
      h.ledger.alarms.raiseAlarm(alarm, 'critical', target);
      const events = h.outbox.lastSeq();
      const screen = h.next('out_of_service');
      h.cards.insert(alice);
      const s = await screen;
      await h.session.settled;
      expect(s.station.outOfService).toEqual(missing);
      expect(s.reason).toBe(missing.join(','));
      expect(h.screens.some((x) => x.screen === 'pin')).toBe(false);
      expect(alice.calls).toEqual({ verify: 0, pinStatus: 0, sign: 0, read: 0 });
      expect(h.ledger.compartments.get('A01')!.state).toBe('loaded');
      // Recorded in the audit trail only (the outbox may be what is missing).
      expect(h.outbox.lastSeq()).toBe(events);
      expect(h.audit.list({ limit: 1 })[0]).toMatchObject({
        kind: 'denial',
        action: 'pickup',
        actor: 'unproven',
        outcome: 'denied',
        reason: 'out_of_service',
      });
      expect(JSON.parse(h.audit.list({ limit: 1 })[0]!.details)).toEqual({
        missing: missing.join(','),
      });
      // Back in service: the next card is asked for its PIN.
      h.cards.remove();
      h.ledger.alarms.clearAlarm(alarm, target);
      const pin = h.next('pin');
      h.cards.insert(alice);
      expect((await pin).station.outOfService).toBeUndefined();
    },
  );

  it('a stale CRL alone is left to the certificate check (OCSP may decide), before any PIN', async () => {
    h.ledger.alarms.raiseAlarm('crl_stale', 'critical', 'crl:x');
    h.checker.answer = { valid: false, reason: 'crl_stale' };
    const err = h.next('error');
    h.cards.insert(alice);
    expect((await err).error).toBe('crl_stale');
    expect(alice.calls.verify).toBe(0);
    expect(h.screens.some((x) => x.screen === 'pin')).toBe(false);
  });

  it('names every missing part when several are out', async () => {
    h.ledger.alarms.raiseAlarm('crl_stale', 'critical', 'crl:x');
    h.ledger.alarms.raiseAlarm('board_unreachable', 'critical', 'board:1');
    h.ledger.alarms.raiseAlarm('reader_gone', 'critical', 'reader');
    const screen = h.next('out_of_service');
    h.cards.insert(alice);
    const s = await screen;
    expect(s.station.outOfService).toEqual(['reader', 'boards', 'crl']);
    expect(s.reason).toBe('reader,boards');
    // Its result screen goes back to the (out-of-service) idle screen.
    await h.session.settled;
    const idle = h.next('idle');
    expect(timers.fire(10_000)).toBe(1);
    expect((await idle).station.outOfService).toEqual(['reader', 'boards', 'crl']);
  });

  it('reminds and raises card_left when the card lies on the reader 30 s after the session', async () => {
    h.checker.answer = { valid: false, reason: 'revoked' };
    const err = h.next('cert_revoked');
    h.cards.insert(alice);
    await err;
    await h.session.settled;
    const reminder = h.next((s) => s.reminder === 'card_left');
    expect(timers.fire(30_000)).toBe(1);
    expect((await reminder).screen).toBe('idle');
    expect(h.ledger.alarms.alarms().map((a) => a.alarm)).toEqual(['card_left']);
    expect(h.eventKinds()).toContain('alarm.raised');
    // Idle refreshes keep the reminder until the card is taken.
    timers.fire(10_000);
    expect(h.session.state.reminder).toBe('card_left');
    const gone = h.next((s) => s.screen === 'idle' && s.reminder === undefined);
    h.cards.remove();
    await gone;
    expect(h.ledger.alarms.alarms()).toEqual([]);
    expect(h.eventKinds()).toContain('alarm.cleared');
  });

  it('no reminder when the card is taken in time', async () => {
    h.checker.answer = { valid: false, reason: 'revoked' };
    const err = h.next('cert_revoked');
    h.cards.insert(alice);
    await err;
    await h.session.settled;
    h.cards.remove();
    expect(timers.fire(30_000)).toBe(0);
    expect(h.ledger.alarms.alarms()).toEqual([]);
  });

  it('names what makes pickups impossible on the idle screen', async () => {
    const oos = h.next((s) => (s.station.outOfService ?? []).length === 2);
    h.ledger.alarms.raiseAlarm('reader_gone', 'critical', 'reader');
    h.ledger.alarms.raiseAlarm('outbox_full', 'critical', 'outbox');
    expect((await oos).station.outOfService).toEqual(['reader', 'outbox']);
    const back = h.next((s) => s.station.outOfService === undefined);
    h.ledger.alarms.clearAlarm('reader_gone', 'reader');
    h.ledger.alarms.clearAlarm('outbox_full', 'outbox');
    await back;
  });

  it('a resident with nothing to collect at a lockers-and-door station is told so, not "no entry"', async () => {
    await h.stop();
    h = new CoreHarness({
      timers,
      mode: 'both',
      doors: [{ id: 'front', unlockMs: 3000, heldOpenSec: 60 }],
    });
    await h.start();
    const err = h.next((s) => s.screen === 'error');
    h.cards.insert(alice);
    const s = await err;
    expect(s.error).toBe('nothing_to_collect');
    expect(alice.calls.verify).toBe(0); // nothing here: no PIN asked
    expect(h.eventKinds()).toContain('door.decision');
  });
});
