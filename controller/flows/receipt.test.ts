import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../shared/secret.js';
import type { Receipt } from '../../shared/mqtt/receipt.js';
import { CoreHarness } from '../app/testing/harness.js';
import { FakeJpkiCard, ManualTimers, testRoot } from '../app/testing/fakes.js';
import { spkiSha256 } from '../domain/identity.js';
import { checkReceipt } from '../receipt/receipt.js';

let h: CoreHarness;
let alice: FakeJpkiCard;
let clock = Date.parse('2026-12-01T01:00:00.000Z');

beforeAll(() => {
  alice = FakeJpkiCard.make(testRoot(), 'receipt-alice');
});
beforeEach(async () => {
  h = new CoreHarness({ timers: new ManualTimers(), now: () => new Date(clock) });
  await h.start();
});
afterEach(async () => {
  await h.stop();
});

function collectedEvents(): { deliveryId: string; receipt?: Receipt }[] {
  return h.outbox
    .readFrom(0, 1000)
    .filter((e) => e.kind === 'delivery.collected')
    .map((e) => JSON.parse(e.data) as { deliveryId: string; receipt?: Receipt });
}

describe('collection receipt signed by the card', () => {
  it('the card signs station, deliveries, time and nonce; every delivery.collected carries it', async () => {
    h.assign('d1', 'A01', alice);
    h.assign('d2', 'A02', alice);
    h.loadDirect('A01');
    h.loadDirect('A02');
    const open = h.next('open');
    const pin = h.next('pin');
    h.cards.insert(alice);
    await pin;
    clock += 5_000;
    h.session.submitPin(new Secret('1234'));
    await open;
    const collected = h.next('collected');
    for (const lock of [1, 2]) {
      h.board.takeItem(0, lock);
      h.board.closeDoor(0, lock);
    }
    await collected;
    const events = collectedEvents();
    expect(events.map((e) => e.deliveryId).sort()).toEqual(['d1', 'd2']);
    const receipt = events[0]!.receipt!;
    expect(events[1]!.receipt).toEqual(receipt);
    expect(receipt.challenge).toMatchObject({
      v: 1,
      type: 'jpki-locker-receipt',
      station: 'test-station',
      deliveryIds: ['d1', 'd2'],
      at: new Date(clock).toISOString(),
    });
    // One signature: the proof of presence is the receipt (no second signing).
    expect(alice.calls.sign).toBe(1);
    expect(checkReceipt(receipt)).toEqual({
      valid: true,
      station: 'test-station',
      deliveryIds: ['d1', 'd2'],
      at: new Date(clock).toISOString(),
      holderSpkiSha256: spkiSha256(alice.cert.der),
    });
    const altered = structuredClone(receipt);
    altered.challenge.deliveryIds = ['d1'];
    expect(checkReceipt(altered).valid).toBe(false);
  });
});
