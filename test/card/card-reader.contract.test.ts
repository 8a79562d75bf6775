/**
 * One contract, two implementations: every `CardReader` behaviour promised in
 * hardware/card/card-reader.ts is checked against `SimCardReader` (with the virtual card as
 * its responder) and `PcscCardReader` (real pcscd + vpcd + the same virtual card).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CardReaderError, CardRemovedError } from '../../shared/apdu/errors.js';
import {
  Ins,
  selectApplicationCommand,
  selectFileCommand,
  readBinaryCommand,
} from '../../shared/apdu/jpki.js';
import { Secret } from '../../shared/secret.js';
import type { CardReader } from '../../hardware/card/card-reader.js';
import { PcscCardReader } from '../../hardware/card/pcsc-card-reader.js';
import { SimCardReader } from '../../hardware/card/sim-card-reader.js';
import { createCardReader } from '../../hardware/card/factory.js';
import { VirtualJpkiCard } from '../../firmware-host/jpki-card/jpki-card.js';
import { JpkiClient } from '../../controller/card/jpki-client.js';
import { startPcscd, type PrivatePcscd } from '../support/pcscd.js';
import { getTestPki, type TestPki } from '../support/test-pki.js';
import { insertVirtualCard, nextEvent } from '../support/virtual-card.js';

interface Inserted {
  card: VirtualJpkiCard;
  remove(): Promise<void>;
  /** Pull the card out when a command matching `when` arrives, before it is answered. */
  removeOn(when: (command: Uint8Array) => boolean): void;
}

interface Harness {
  reader: CardReader;
  readerName: string;
  insert(label: string): Promise<Inserted>;
  close(): Promise<void>;
}

let pki: TestPki;
beforeAll(async () => {
  pki = await getTestPki();
});

async function simHarness(): Promise<Harness> {
  const sim = createCardReader({
    driver: 'sim',
    simReaders: ['Sim Reader 0', 'Sim Reader 1'],
  }) as SimCardReader;
  await sim.start();
  const readerName = 'Sim Reader 0';
  return {
    reader: sim,
    readerName,
    insert(label) {
      const card = new VirtualJpkiCard(pki.profile(label));
      let removeWhen: ((c: Uint8Array) => boolean) | undefined;
      const seen = nextEvent(sim, (e) => e.type === 'card-inserted');
      sim.insert(
        {
          atr: card.atr,
          reset: () => card.reset(),
          respond: (c) => {
            if (removeWhen?.(c)) {
              sim.remove(readerName);
              return new Promise<Uint8Array>(() => undefined); // never answered
            }
            return card.process(c);
          },
        },
        readerName,
      );
      return seen.then(() => ({
        card,
        remove: async () => {
          if (sim.readers().find((r) => r.name === readerName)?.cardPresent) sim.remove(readerName);
        },
        removeOn: (when) => {
          removeWhen = when;
        },
      }));
    },
    close: () => sim.stop(),
  };
}

let pcscd: PrivatePcscd | undefined;
async function pcscHarness(): Promise<Harness> {
  pcscd = await startPcscd();
  const reader = new PcscCardReader({ reconnectMinMs: 50 });
  await reader.start();
  const readerName = pcscd.readerNames[0];
  return {
    reader,
    readerName,
    async insert(label) {
      const ins = await insertVirtualCard(reader, pcscd!.vpcdPort, readerName, pki.profile(label));
      return {
        card: ins.card,
        remove: async () => {
          if (ins.connector.inserted) await ins.remove();
        },
        removeOn: (when) => ins.connector.setFaults({ removeWhen: when }),
      };
    },
    close: async () => {
      await reader.stop();
      await pcscd?.stop();
    },
  };
}

describe.each([
  ['SimCardReader', simHarness],
  ['PcscCardReader + virtual card', pcscHarness],
])('CardReader contract: %s', (_name, make) => {
  let h: Harness;
  let card: Inserted | undefined;
  beforeAll(async () => {
    h = await make();
  });
  afterEach(async () => {
    await card?.remove();
    card = undefined;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lists readers after start, without cards', () => {
    const list = h.reader.readers();
    expect(list.length).toBe(2);
    expect(list.every((r) => !r.cardPresent)).toBe(true);
  });

  it('connect without a card is refused with no_card', async () => {
    await expect(h.reader.connect({ reader: h.readerName })).rejects.toMatchObject({
      kind: 'no_card',
    });
    await expect(h.reader.connect({ reader: 'nope' })).rejects.toBeInstanceOf(CardReaderError);
  });

  it('waitForCard resolves on insertion with the ATR; connect gives a session with it', async () => {
    const waiting = h.reader.waitForCard({ timeoutMs: 20_000 });
    card = await h.insert('holder-01');
    const state = await waiting;
    expect(state).toMatchObject({ name: h.readerName, cardPresent: true });
    expect(state.atr).toEqual(card.card.atr);
    const s = await h.reader.connect();
    expect(s.reader).toBe(h.readerName);
    expect(s.atr).toEqual(card.card.atr);
    expect(s.open).toBe(true);
    await s.close();
    expect(s.open).toBe(false);
  });

  it('overlapping transmits are queued and answered in call order', async () => {
    card = await h.insert('holder-01');
    const s = await h.reader.connect({ reader: h.readerName });
    const [a, b, c] = await Promise.all([
      s.transmit(selectApplicationCommand()),
      s.transmit(selectFileCommand(0x0006)),
      s.transmit(readBinaryCommand(0, 0x20)),
    ]);
    expect([a, b].map((r) => Array.from(r!))).toEqual([
      [0x90, 0],
      [0x90, 0],
    ]);
    expect(new TextDecoder().decode(c!.slice(0, 15))).toBe('JPKIAPICCTOKEN2');
    await s.close();
  });

  it('a second session on a busy reader is refused', async () => {
    card = await h.insert('holder-01');
    const s = await h.reader.connect({ reader: h.readerName });
    await expect(h.reader.connect({ reader: h.readerName })).rejects.toMatchObject({
      kind: 'busy',
    });
    await s.close();
  });

  it('card pulled out mid-command: that call and later ones reject with CardRemovedError', async () => {
    card = await h.insert('holder-01');
    const s = await h.reader.connect({ reader: h.readerName });
    const client = new JpkiClient(s.transmit);
    card.removeOn((c) => c[1] === Ins.readBinary && (c[2]! | c[3]!) !== 0);
    const removed = nextEvent(h.reader, (e) => e.type === 'card-removed');
    await expect(client.readAuthCertificate()).rejects.toBeInstanceOf(CardRemovedError);
    await removed;
    await expect(s.transmit(selectApplicationCommand())).rejects.toBeInstanceOf(CardRemovedError);
    expect(s.open).toBe(false);
    expect(h.reader.readers().find((r) => r.name === h.readerName)?.cardPresent).toBe(false);
  });

  it('a session reset clears the verified PIN', async () => {
    card = await h.insert('holder-01');
    let s = await h.reader.connect({ reader: h.readerName });
    let client = new JpkiClient(s.transmit);
    expect(await client.verifyPin('auth', new Secret('1234'))).toEqual({ outcome: 'ok' });
    await s.close('reset');
    s = await h.reader.connect({ reader: h.readerName });
    client = new JpkiClient(s.transmit);
    await expect(client.signNonce(new Uint8Array(8))).rejects.toMatchObject({ sw: 0x6982 });
    await s.close();
  });

  it('the proof of presence works end to end', async () => {
    card = await h.insert('holder-02');
    const s = await h.reader.connect();
    expect(await new JpkiClient(s.transmit).proveHolder({ pin: new Secret('1234') })).toMatchObject(
      {
        outcome: 'proven',
      },
    );
    await s.close();
  });
});
