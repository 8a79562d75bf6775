/**
 * ReaderCardSource over SimCardReader: the kiosk's source ignores the doors' own readers, a
 * door's source sees only its reader, and each opens the card in its own reader even while
 * another reader holds one.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SimCardReader } from '../../hardware/card/sim-card-reader.js';
import { ReaderCardSource } from './card-source.js';

const KIOSK = 'ACS ACR39U Kiosk 00';
const FRONT = 'ACS ACR39U Front 01';
let reader: SimCardReader;

/** A card that answers every command `90 00`. */
const card = () => ({
  atr: new Uint8Array([0x3b, 0x00]),
  respond: () => new Uint8Array([0x90, 0x00]),
});

beforeEach(async () => {
  reader = new SimCardReader({ readers: [KIOSK, FRONT] });
  await reader.start();
});
afterEach(async () => {
  await reader.stop();
});

it('the kiosk source ignores the door readers; the door source sees only its own', async () => {
  const kiosk = new ReaderCardSource(reader, undefined, '', ['Front']);
  const front = new ReaderCardSource(reader, undefined, 'Front');
  const seen: string[] = [];
  kiosk.onCard((e) => seen.push(`kiosk ${e}`));
  front.onCard((e) => seen.push(`front ${e}`));
  reader.insert(card(), FRONT);
  reader.insert(card(), KIOSK);
  expect(seen).toEqual(['front inserted', 'kiosk inserted']);
  // Each opens the card in its own reader, both cards being in.
  const atKiosk = await kiosk.open();
  const atFront = await front.open();
  expect([atKiosk.reader, atFront.reader]).toEqual([KIOSK, FRONT]);
  await atKiosk.close();
  await atFront.close();
  reader.remove(FRONT);
  expect(seen.at(-1)).toBe('front removed');
});
