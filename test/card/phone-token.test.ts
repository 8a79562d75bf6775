/**
 * The virtual card's phone profile (Android JPKI token `JPKIAPGPSETOKEN` in EF 0006: the
 * authentication certificate only after the authentication PIN) and a card without the JPKI
 * application (a transit card), through JpkiClient.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ApduError } from '../../shared/apdu/errors.js';
import { Ins, JpkiFile, JpkiToken, Sw } from '../../shared/apdu/jpki.js';
import { Secret } from '../../shared/secret.js';
import {
  VirtualJpkiCard,
  type VirtualJpkiCardOptions,
} from '../../firmware-host/jpki-card/jpki-card.js';
import { getTestPki, type TestPki } from '../support/test-pki.js';
import { JpkiClient, verifyNonceSignature } from '../../controller/card/jpki-client.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await getTestPki();
});

function phone(options?: VirtualJpkiCardOptions) {
  const profile = { ...pki.profile('holder-01'), token: JpkiToken.phone };
  const card = new VirtualJpkiCard(profile, options);
  return { card, profile, transmit: (cmd: Uint8Array) => Promise.resolve(card.process(cmd)) };
}

describe('phone profile of the virtual card', () => {
  it('identify() tells a phone, a My Number card and a card without the JPKI application apart', async () => {
    expect(await new JpkiClient(phone().transmit).identify()).toBe('phone');
    const mnc = new VirtualJpkiCard(pki.profile('holder-01'));
    expect(await new JpkiClient((c) => Promise.resolve(mnc.process(c))).identify()).toBe('card');
    const transit = new VirtualJpkiCard(pki.profile('holder-01'), { noJpkiApplication: true });
    expect(await new JpkiClient((c) => Promise.resolve(transit.process(c))).identify()).toBe(
      'not_jpki',
    );
  });

  it('the certificate cannot be read before the PIN (69 82); after it, the proof runs', async () => {
    const { transmit, profile, card } = phone();
    const client = new JpkiClient(transmit);
    expect(await client.identify()).toBe('phone');
    await expect(client.readAuthCertificate()).rejects.toMatchObject({
      sw: Sw.securityStatusNotSatisfied,
    });
    expect(await client.readAuthCaCertificate()).toEqual(profile.authCaCertificate);
    // Tries are read and the PIN verified without the certificate (no registry key yet).
    expect(await client.pinTriesLeft('auth')).toBe(3);
    expect(await client.verifyPin('auth', new Secret('1234'))).toEqual({ outcome: 'ok' });
    const der = await client.readAuthCertificate();
    expect(der).toEqual(profile.authCertificate);
    const nonce = new Uint8Array(32).fill(5);
    const sig = await client.signNonce(nonce);
    expect(verifyNonceSignature(der, nonce, sig)).toBe(true);
    // The failed read before the PIN was the only refusal the card gave.
    const refused = card.log.filter(
      (r) => r.ins === Ins.readBinary && r.ef === JpkiFile.authCertificate && r.sw !== Sw.ok,
    );
    expect(refused).toHaveLength(1);
  });

  it('a wrong PIN on a phone spends one try and leaves the certificate unreadable', async () => {
    const { transmit, card } = phone();
    const client = new JpkiClient(transmit);
    await client.identify();
    expect(await client.verifyPin('auth', new Secret('9999'))).toEqual({
      outcome: 'wrong',
      triesLeft: 2,
    });
    expect(card.triesLeft('auth')).toBe(2);
    await expect(client.readAuthCertificate()).rejects.toBeInstanceOf(ApduError);
  });

  it('a transit card: SELECT of the JPKI application is refused, nothing else is sent', async () => {
    const card = new VirtualJpkiCard(pki.profile('holder-01'), { noJpkiApplication: true });
    const client = new JpkiClient((c) => Promise.resolve(card.process(c)));
    expect(await client.identify()).toBe('not_jpki');
    expect(card.log).toHaveLength(1);
    expect(card.log[0]).toMatchObject({ ins: Ins.select, p1: 0x04, sw: Sw.fileNotFound });
  });
});
