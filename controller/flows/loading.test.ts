import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../shared/secret.js';
import { CoreHarness } from '../app/testing/harness.js';
import { FakeJpkiCard, ManualTimers, testRoot } from '../app/testing/fakes.js';
import { spkiSha256 } from '../domain/identity.js';
import type { KioskState } from './screens.js';

let h: CoreHarness;
let alice: FakeJpkiCard;
let bob: FakeJpkiCard;
let loader: FakeJpkiCard;

beforeAll(() => {
  const root = testRoot();
  alice = FakeJpkiCard.make(root, 'loading-alice');
  bob = FakeJpkiCard.make(root, 'loading-bob');
  loader = FakeJpkiCard.make(root, 'loading-staff');
});
beforeEach(async () => {
  h = new CoreHarness({ timers: new ManualTimers() });
  await h.start();
  h.ledger.roster.applyRoster({
    version: 1,
    staff: [{ staffId: 's1', certSpkiSha256: spkiSha256(loader.cert.der), roles: ['loader'] }],
  });
  const deadline = new Date(Date.now() + 48 * 3600_000).toISOString();
  for (const [id, c, card] of [
    ['d1', 'A01', alice],
    ['d2', 'A02', bob],
    ['d3', 'A03', alice],
  ] as const) {
    const r = h.ledger.deliveries.assign({
      deliveryId: id,
      compartment: c,
      holderSpkiSha256: spkiSha256(card.cert.der),
      pickupDeadline: deadline,
      envelopeCode: `ENV-${id.toUpperCase()}-7F`,
    });
    expect(r).toEqual({ accepted: true, detail: expect.anything() });
  }
});
afterEach(async () => {
  await h.stop();
});

const at = (pred: (s: KioskState) => boolean) => h.next(pred);

async function staffIn(): Promise<void> {
  const pin = h.next('pin');
  h.cards.insert(loader);
  await pin;
  const loading = h.next('loading');
  h.session.submitPin(new Secret('1234'));
  const s = await loading;
  expect(s.loading?.items.map((i) => [i.deliveryId, i.compartment, i.state])).toEqual([
    ['d1', 'A01', 'waiting'],
    ['d2', 'A02', 'waiting'],
    ['d3', 'A03', 'waiting'],
  ]);
}

describe('loading one item at a time by envelope code', () => {
  it('three envelopes scanned one by one: only the right compartment opens each time; a wrong envelope is refused', async () => {
    await staffIn();
    expect(h.board.unlockLog).toEqual([]); // nothing opens before a scan
    const order = [
      ['d2', 'A02', 2],
      ['d1', 'A01', 1],
      ['d3', 'A03', 3],
    ] as const;
    for (const [n, [id, compartment, lock]] of order.entries()) {
      const open = at((s) => s.loading?.current === id && s.compartments?.[0]?.state === 'open');
      expect(h.session.submitScan({ kind: 'code', code: `ENV-${id.toUpperCase()}-7F` })).toBe(true);
      const s = await open;
      expect(s.compartments).toEqual([{ id: compartment, state: 'open' }]);
      expect(h.board.unlockLog.map((u) => u.lock)).toEqual(order.slice(0, n + 1).map((o) => o[2]));
      if (n === 0) {
        // While A02 is open, another delivery's envelope is refused on screen; nothing opens.
        const refused = at((x) => x.loading?.refused === 'wrong_envelope');
        expect(h.session.submitScan({ kind: 'code', code: 'ENV-D1-7F' })).toBe(true);
        await refused;
        const unknown = at((x) => x.loading?.refused === 'unknown_envelope');
        expect(h.session.submitScan({ kind: 'code', code: 'NOT-OURS-1' })).toBe(true);
        await unknown;
        expect(h.board.unlockLog).toHaveLength(1);
      }
      // Back on the list (after the last one, the end screen) once it is loaded.
      const last = n === order.length - 1;
      const next = at((x) =>
        last ? x.screen === 'loaded' : x.screen === 'loading' && !x.loading?.current,
      );
      h.board.putItem(0, lock);
      h.board.closeDoor(0, lock);
      await next;
      expect(h.ledger.deliveries.get(id)!.state).toBe('loaded');
    }
    const denials = h.audit
      .list({ limit: 1000 })
      .filter((r) => r.action === 'delivery.load' && r.outcome === 'denied')
      .map((r) => r.reason);
    expect(denials).toEqual(['wrong_envelope', 'unknown_envelope']);
    expect(h.eventKinds().filter((k) => k === 'delivery.loaded')).toHaveLength(3);
  });

  it('an envelope already loaded is refused; a delivery can also be picked on screen; done ends', async () => {
    await staffIn();
    const open = at((s) => s.loading?.current === 'd3');
    h.session.submitScan({ kind: 'pick', deliveryId: 'd3' });
    await open;
    const loaded = at((s) => s.screen === 'loading' && !s.loading?.current);
    h.board.putItem(0, 3);
    h.board.closeDoor(0, 3);
    await loaded;
    const again = at((s) => s.loading?.refused === 'already_loaded');
    expect(h.session.submitScan({ kind: 'code', code: 'ENV-D3-7F' })).toBe(true);
    await again;
    const done = at((s) => s.screen === 'loaded');
    h.session.submitScan({ kind: 'done' });
    await done;
    expect(h.ledger.deliveries.get('d1')!.state).toBe('assigned');
    expect(h.board.unlockLog.map((u) => u.lock)).toEqual([3]);
  });

  it('refuses a second delivery with the same envelope code', () => {
    const r = h.ledger.deliveries.assign({
      deliveryId: 'd9',
      compartment: 'A04',
      holderSpkiSha256: spkiSha256(bob.cert.der),
      pickupDeadline: new Date(Date.now() + 3600_000).toISOString(),
      envelopeCode: 'ENV-D1-7F',
    });
    expect(r).toEqual({
      accepted: false,
      reason: 'duplicate_delivery',
      detail: { envelopeCode: 'ENV-D1-7F' },
    });
  });
});
