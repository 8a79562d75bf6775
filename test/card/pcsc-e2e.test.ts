/**
 * End to end through the real PC/SC stack: PcscCardReader -> libpcsclite -> a private pcscd
 * -> vpcd -> the virtual JPKI card. Covers the acceptance points of issue 3.
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/apdu/apdu.js';
import { CardReaderError, CardRemovedError } from '../../shared/apdu/errors.js';
import { Ins } from '../../shared/apdu/jpki.js';
import { Secret } from '../../shared/secret.js';
import { PcscCardReader } from '../../hardware/card/pcsc-card-reader.js';
import type { CardReaderEvent } from '../../hardware/card/card-reader.js';
import { JpkiClient } from '../../controller/card/jpki-client.js';
import { startPcscd, type PrivatePcscd } from '../support/pcscd.js';
import { getTestPki, type TestPki } from '../support/test-pki.js';
import { insertVirtualCard, nextEvent, type InsertedCard } from '../support/virtual-card.js';

let pki: TestPki;
let pcscd: PrivatePcscd;
let reader: PcscCardReader;
let inserted: InsertedCard | undefined;
let readerName: string;
const events: CardReaderEvent[] = [];

beforeAll(async () => {
  pki = await getTestPki();
  pcscd = await startPcscd();
  reader = new PcscCardReader({
    reconnectMinMs: 50,
    reconnectMaxMs: 400,
    transmitTimeoutMs: 5_000,
  });
  reader.onEvent((e) => events.push(e));
  await reader.start();
  readerName = pcscd.readerNames[0];
  expect(reader.readers().map((r) => r.name)).toEqual(pcscd.readerNames);
});

afterEach(async () => {
  await inserted?.remove();
  inserted = undefined;
});

afterAll(async () => {
  await reader?.stop();
  await pcscd?.stop();
});

async function insert(label: string, options?: Parameters<typeof insertVirtualCard>[4]) {
  inserted = await insertVirtualCard(
    reader,
    pcscd.vpcdPort,
    readerName,
    pki.profile(label),
    options,
  );
  const session = await reader.connect({ reader: readerName });
  return { card: inserted.card, session, client: new JpkiClient(session.transmit) };
}

describe('JPKI over pcscd + vpcd', () => {
  it('reads the token and the certificates', async () => {
    const { session, client } = await insert('holder-01');
    const profile = pki.profile('holder-01');
    expect(session.atr).toEqual(profile.atr);
    expect(session.protocol).toBe('T=1');
    expect(await client.readToken()).toBe('JPKIAPICCTOKEN2');
    expect(await client.readAuthCertificate()).toEqual(profile.authCertificate);
    expect(await client.readAuthCaCertificate()).toEqual(profile.authCaCertificate);
    await session.close();
  });

  it('right PIN: ok; wrong PIN: tries go down and are reported', async () => {
    const { session, client, card } = await insert('holder-01');
    expect(await client.pinTriesLeft()).toBe(3);
    expect(await client.verifyPin('auth', new Secret('4321'))).toEqual({
      outcome: 'wrong',
      triesLeft: 2,
    });
    expect(await client.pinTriesLeft()).toBe(2);
    expect(card.triesLeft('auth')).toBe(2);
    expect(await client.verifyPin('auth', new Secret('1234'))).toEqual({ outcome: 'ok' });
    expect(card.triesLeft('auth')).toBe(3);
    await session.close();
  });

  it('blocked PIN: reported as blocked, and no further VERIFY is ever sent to that card', async () => {
    const { session, client, card } = await insert('holder-02', { blockedSw: 0x6983 });
    for (const left of [2, 1])
      expect(await client.verifyPin('auth', new Secret('0000'))).toEqual({
        outcome: 'wrong',
        triesLeft: left,
      });
    expect(await client.verifyPin('auth', new Secret('0000'))).toEqual({ outcome: 'blocked' });
    const verifyCount = card.log.filter((r) => r.ins === Ins.verify).length;
    expect(await client.verifyPin('auth', new Secret('1234'))).toEqual({ outcome: 'blocked' });
    expect(await client.proveHolder({ pin: new Secret('1234') })).toMatchObject({
      outcome: 'refused',
      reason: 'pin_blocked',
    });
    expect(card.log.filter((r) => r.ins === Ins.verify).length).toBe(verifyCount);
    await session.close();
  });

  it('card removed during a read: CardRemovedError', async () => {
    const { session, client, card } = await insert('holder-01');
    const connector = inserted!.connector;
    // Pull the card out when the second READ BINARY chunk (offset > 0) arrives.
    connector.setFaults({ removeWhen: (c) => c[1] === Ins.readBinary && (c[2]! | c[3]!) !== 0 });
    const removed = nextEvent(reader, (e) => e.type === 'card-removed');
    await expect(client.readAuthCertificate()).rejects.toBeInstanceOf(CardRemovedError);
    await removed;
    await expect(session.transmit(Uint8Array.from([0, 0xa4, 4, 0x0c]))).rejects.toBeInstanceOf(
      CardRemovedError,
    );
    expect(session.open).toBe(false);
    expect(card.log.length).toBeGreaterThan(0);
    inserted = undefined;
  });

  it('proof of presence: accepted for the genuine card', async () => {
    const { session, client } = await insert('holder-01');
    expect(await client.proveHolder({ pin: new Secret('1234') })).toMatchObject({
      outcome: 'proven',
    });
    await session.close();
  });

  it('proof of presence: rejected for a copied certificate over another key', async () => {
    const { session, client } = await insert('forged-01');
    expect(await client.proveHolder({ pin: new Secret('1234') })).toMatchObject({
      outcome: 'refused',
      reason: 'bad_signature',
    });
    await session.close();
  });

  it('a second connect while a session is open is refused as busy', async () => {
    const { session } = await insert('holder-01');
    await expect(reader.connect({ reader: readerName })).rejects.toMatchObject({ kind: 'busy' });
    await session.close();
  });

  it('pcscd killed and restarted while running: recovers with a new context, no crash', async () => {
    const { session } = await insert('holder-01', { reconnectMs: 50 });
    const lost = nextEvent(reader, (e) => e.type === 'service-lost');
    await pcscd.kill('SIGKILL');
    await lost;
    expect(reader.serviceAvailable).toBe(false);
    expect(reader.readers()).toEqual([]);
    await expect(session.transmit(Uint8Array.from([0, 0xa4, 4, 0x0c]))).rejects.toBeInstanceOf(
      CardReaderError,
    );
    const back = nextEvent(reader, (e) => e.type === 'card-inserted' && e.reader === readerName);
    await pcscd.restart();
    await back; // the virtual card reconnected to the new vpcd and the new context sees it
    expect(reader.serviceAvailable).toBe(true);
    const s2 = await reader.connect({ reader: readerName });
    const client = new JpkiClient(s2.transmit);
    expect(await client.proveHolder({ pin: new Secret('1234') })).toMatchObject({
      outcome: 'proven',
    });
    await s2.close();
    expect(events.some((e) => e.type === 'service-restored')).toBe(true);
  });

  it('debug logs of the driver and the virtual card never carry a PIN, a password or certificate bytes', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const logged = new PcscCardReader({ log, reconnectMinMs: 50, reconnectMaxMs: 400 });
    await logged.start();
    try {
      inserted = await insertVirtualCard(
        logged,
        pcscd.vpcdPort,
        readerName,
        pki.profile('holder-01'),
        {
          log,
        },
      );
      const session = await logged.connect({ reader: readerName });
      const client = new JpkiClient(session.transmit);
      const profile = pki.profile('holder-01');
      expect(await client.verifyPin('auth', new Secret(profile.authPin))).toEqual({
        outcome: 'ok',
      });
      expect(await client.verifyPin('sign', new Secret(profile.signPassword))).toEqual({
        outcome: 'ok',
      });
      const signCert = await client.readSignCertificate();
      await client.readAuthCertificate();
      await session.close();
      await inserted.remove();
      inserted = undefined;
      const text = lines.join('');
      expect(text).toContain('apdu >'); // the debug lines are there...
      expect(text).toContain('vpcd apdu');
      // ...but not the secrets (ASCII hex as sent in VERIFY) nor any 16 bytes of a certificate.
      expect(text).not.toContain(toHex(new TextEncoder().encode(profile.authPin)));
      expect(text).not.toContain(toHex(new TextEncoder().encode(profile.signPassword)));
      for (const der of [signCert, profile.authCertificate])
        for (let i = 0; i + 16 <= der.length; i += 16)
          expect(text).not.toContain(toHex(der.subarray(i, i + 16)));
    } finally {
      await inserted?.remove();
      inserted = undefined;
      await logged.stop();
    }
  });
});
