import { describe, expect, it } from 'vitest';
import { CardReaderError } from '../../shared/apdu/errors.js';
import type { CardReaderEvent } from './card-reader.js';
import { SimCardReader } from './sim-card-reader.js';

const atr = Uint8Array.from([0x3b, 0x00]);

describe('SimCardReader', () => {
  it('T=0: 61 XX is followed by GET RESPONSE, 6C XX by a resend with the right Le', async () => {
    const sim = new SimCardReader();
    await sim.start();
    sim.insert({
      atr,
      protocol: 'T=0',
      respond: (c) => {
        if (c[1] === 0xc0) return Uint8Array.from([1, 2, 3, 0x90, 0x00]);
        if (c[1] === 0xb0 && c[4] !== 2) return Uint8Array.from([0x6c, 0x02]);
        if (c[1] === 0xb0) return Uint8Array.from([9, 9, 0x90, 0x00]);
        return Uint8Array.from([0x61, 0x03]);
      },
    });
    const s = await sim.connect();
    expect(s.protocol).toBe('T=0');
    expect(Array.from(await s.transmit(Uint8Array.from([0x80, 0x2a, 0, 0x80, 1, 5, 0])))).toEqual([
      1, 2, 3, 0x90, 0,
    ]);
    expect(Array.from(await s.transmit(Uint8Array.from([0, 0xb0, 0, 0, 0])))).toEqual([
      9, 9, 0x90, 0,
    ]);
    expect(sim.sent().map((c) => c[1])).toEqual([0x2a, 0xc0, 0xb0, 0xb0]);
    await sim.stop();
  });

  it('service loss kills sessions and is reported as events, then readers come back', async () => {
    const sim = new SimCardReader();
    const events: CardReaderEvent['type'][] = [];
    sim.onEvent((e) => events.push(e.type));
    await sim.start();
    sim.insert({ atr, respond: () => new Promise(() => undefined) });
    const s = await sim.connect();
    const pending = s.transmit(Uint8Array.from([0, 0xa4, 4, 0x0c]));
    sim.loseService();
    await expect(pending).rejects.toMatchObject({ kind: 'service_unavailable' });
    await expect(sim.connect()).rejects.toBeInstanceOf(CardReaderError);
    sim.restoreService();
    expect(events).toEqual([
      'reader-added',
      'card-inserted',
      'card-removed',
      'reader-removed',
      'service-lost',
      'service-restored',
      'reader-added',
      'card-inserted',
    ]);
    await sim.stop();
    await sim.stop();
  });

  it('a listener that throws does not break the reader', async () => {
    const sim = new SimCardReader();
    sim.onEvent(() => {
      throw new Error('listener bug');
    });
    await sim.start();
    sim.insert({ atr, respond: () => Uint8Array.from([0x90, 0]) });
    expect((await sim.waitForCard()).cardPresent).toBe(true);
  });
});
