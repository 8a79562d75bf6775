import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CommandClaims } from '../../shared/mqtt/commands.js';
import { CoreHarness } from '../app/testing/harness.js';
import { FakeJpkiCard, ManualTimers, testRoot } from '../app/testing/fakes.js';
import { spkiSha256 } from '../domain/identity.js';
import { Secret } from '../../shared/secret.js';
import type { VerifiedCommand } from '../mqtt/types.js';

let h: CoreHarness;
let timers: ManualTimers;
let alice: FakeJpkiCard;
let tech: FakeJpkiCard;
const OPERATOR = 'c0'.repeat(32);

beforeAll(() => {
  alice = FakeJpkiCard.make(testRoot(), 'recovery-alice');
  tech = FakeJpkiCard.make(testRoot(), 'recovery-tech');
});
beforeEach(async () => {
  timers = new ManualTimers();
  h = new CoreHarness({ timers });
  await h.start();
});
afterEach(async () => {
  await h.stop();
});

/** Hands a verified command to the core's command handler, as the gateway does. */
function command(kind: CommandClaims['kind'], body: unknown) {
  const claims = { v: 1, id: crypto.randomUUID(), station: 's', kind, body } as CommandClaims;
  const verified: VerifiedCommand = {
    claims,
    signerSpkiSha256: OPERATOR,
    receivedAt: h.now(),
  };
  return h.core.commandHandler.handle(verified);
}

const state = (id: string) => h.ledger.compartments.get(id)!.state;
const alarms = () => h.ledger.alarms.alarms().map((a) => `${a.alarm}@${a.target}`);
const events = (kind: string) =>
  h.outbox
    .readFrom(0, 10_000)
    .filter((e) => e.kind === kind)
    .map((e) => JSON.parse(e.data) as Record<string, unknown>);

describe('recovery commands', () => {
  it('a jammed compartment: faulted, taken out of service, cleared only once the latch is closed, reused', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    h.board.jamLatch(0, 1);
    expect(await command('remote.open', { compartment: 'A01', reason: 'check' })).toEqual({
      accepted: false,
      reason: 'hardware_fault',
    });
    expect(state('A01')).toBe('fault');
    expect(alarms()).toContain('compartment_jammed@compartment:A01');
    // Out of service and back: the fault stays until a check clears it.
    expect(await command('compartment.maintenance', { compartment: 'A01', enabled: true })).toEqual(
      { accepted: true },
    );
    expect(state('A01')).toBe('maintenance');
    expect(
      await command('compartment.maintenance', { compartment: 'A01', enabled: false }),
    ).toEqual({ accepted: true });
    expect(state('A01')).toBe('fault');
    // The technician frees the latch but leaves the door open: the board says so; refused.
    h.board.jamLatch(0, 1, false);
    h.board.openDoor(0, 1);
    expect(await command('compartment.clear', { compartment: 'A01', reason: 'fixed' })).toEqual({
      accepted: false,
      reason: 'latch_open',
    });
    expect(state('A01')).toBe('fault');
    h.board.closeDoor(0, 1);
    expect(await command('compartment.clear', { compartment: 'A01', reason: 'fixed' })).toEqual({
      accepted: true,
    });
    expect(state('A01')).toBe('loaded');
    expect(alarms()).not.toContain('compartment_jammed@compartment:A01');
    expect(await command('compartment.clear', { compartment: 'A01' })).toEqual({
      accepted: false,
      reason: 'invalid_state',
      detail: { state: 'loaded' },
    });
    // Reused: handed over at the counter, then free for the next delivery.
    expect(
      await command('remote.open', {
        compartment: 'A01',
        reason: 'resident at the counter',
        disposition: 'handed_over_at_counter',
      }),
    ).toEqual({ accepted: true, detail: { deliveryId: 'd1', state: 'handed_over' } });
    expect(h.ledger.deliveries.get('d1')!.state).toBe('handed_over');
    expect(state('A01')).toBe('retrieval');
    h.board.takeItem(0, 1);
    h.board.closeDoor(0, 1);
    await h.lockers.refresh();
    expect(state('A01')).toBe('empty');
    expect(events('delivery.disposed')).toEqual([
      {
        deliveryId: 'd1',
        compartment: 'A01',
        disposition: 'handed_over_at_counter',
        state: 'handed_over',
      },
    ]);
    h.assign('d2', 'A01', alice);
    expect(state('A01')).toBe('reserved');
    expect(h.audit.verify().ok).toBe(true);
    const actions = h.audit.list({ limit: 1000 }).map((r) => `${r.action}:${r.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'compartment.out_of_service:ok',
        'compartment.in_service:ok',
        'compartment.clear:refused',
        'compartment.clear:ok',
        'delivery.dispose:handed_over',
      ]),
    );
  });

  it.each([
    ['retrieved', 'retrieved'],
    ['inspection', 'inspection'],
  ] as const)(
    'remote.open with disposition %s moves the delivery to %s',
    async (disposition, to) => {
      h.assign('d1', 'A02', alice);
      h.loadDirect('A02');
      const r = await command('remote.open', { compartment: 'A02', reason: 'x', disposition });
      expect(r).toMatchObject({ accepted: true });
      expect(h.ledger.deliveries.get('d1')!.state).toBe(to);
    },
  );

  it('a disposition on an empty compartment is refused and nothing opens', async () => {
    const before = h.board.unlockLog.length;
    expect(
      await command('remote.open', { compartment: 'A03', reason: 'x', disposition: 'retrieved' }),
    ).toEqual({ accepted: false, reason: 'unknown_delivery' });
    expect(h.board.unlockLog.length).toBe(before);
  });
});

describe('compartments watched all the time', () => {
  it('an opening without a decision raises door_forced; held open raises door_held_open until closed', async () => {
    h.assign('d1', 'A01', alice);
    h.loadDirect('A01');
    h.board.openDoor(0, 1);
    await h.lockers.refresh();
    expect(alarms()).toContain('door_forced@compartment:A01');
    timers.fire(120_000); // pickup.doorLeftOpenSec
    expect(alarms()).toContain('door_held_open@compartment:A01');
    h.board.closeDoor(0, 1);
    await h.lockers.refresh();
    expect(alarms()).not.toContain('door_held_open@compartment:A01');
    // Forced stays until someone checked and cleared it.
    expect(alarms()).toContain('door_forced@compartment:A01');
  });

  it('a remote opening is decided (no forced alarm) and still followed to its close', async () => {
    h.assign('d1', 'A02', alice);
    h.loadDirect('A02');
    expect(await command('remote.open', { compartment: 'A02', reason: 'look' })).toEqual({
      accepted: true,
    });
    await h.lockers.refresh();
    expect(alarms()).not.toContain('door_forced@compartment:A02');
    timers.fire(120_000);
    expect(alarms()).toContain('door_held_open@compartment:A02');
    h.board.closeDoor(0, 2);
    await h.lockers.refresh();
    expect(alarms()).toEqual([]);
  });
});

describe('maintenance staff at the kiosk', () => {
  it('clears each faulted compartment whose latch the board reports closed; the others stay faulted', async () => {
    h.ledger.roster.applyRoster({
      version: 1,
      staff: [{ staffId: 't1', certSpkiSha256: spkiSha256(tech.cert.der), roles: ['maintenance'] }],
    });
    for (const [id, lock] of [
      ['A01', 1],
      ['A02', 2],
    ] as const) {
      h.assign(`d${lock}`, id, alice);
      h.loadDirect(id);
      h.board.jamLatch(0, lock);
      await command('remote.open', { compartment: id, reason: 'check' });
      expect(state(id)).toBe('fault');
    }
    h.board.jamLatch(0, 1, false); // A01 repaired; A02 freed but its door left open
    h.board.jamLatch(0, 2, false);
    h.board.openDoor(0, 2);
    const pin = h.next('pin');
    h.cards.insert(tech);
    await pin;
    const result = h.next((s) => s.screen === 'retrieval' && s.compartments?.length === 2);
    h.session.submitPin(new Secret('1234'));
    expect((await result).compartments).toEqual([
      { id: 'A01', state: 'closed' },
      { id: 'A02', state: 'failed' },
    ]);
    expect(state('A01')).toBe('loaded');
    expect(state('A02')).toBe('fault');
    const row = h.audit
      .list({ limit: 1000 })
      .find((r) => r.action === 'compartment.clear' && r.outcome === 'ok');
    expect(row?.actor).toBe(`staff:${spkiSha256(tech.cert.der)}`);
  });
});
