import { beforeAll, describe, expect, it } from 'vitest';
import { ApduError } from '../../shared/apdu/errors.js';
import { Ins, JpkiToken, Sw } from '../../shared/apdu/jpki.js';
import { Secret } from '../../shared/secret.js';
import {
  VirtualJpkiCard,
  type VirtualJpkiCardOptions,
} from '../../firmware-host/jpki-card/jpki-card.js';
import { getTestPki, type TestPki } from '../support/test-pki.js';
import {
  BlockedPinRegistry,
  JpkiClient,
  verifyNonceSignature,
} from '../../controller/card/jpki-client.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await getTestPki();
});

function card(label = 'holder-01', options?: VirtualJpkiCardOptions, tries?: number) {
  const profile = pki.profile(label);
  if (tries !== undefined) profile.authPinTries = tries;
  const c = new VirtualJpkiCard(profile, options);
  return { card: c, profile, transmit: (cmd: Uint8Array) => Promise.resolve(c.process(cmd)) };
}
const pin = (s: string) => new Secret(s);
const verifies = (c: VirtualJpkiCard) => c.log.filter((r) => r.ins === Ins.verify).length;

describe('JpkiClient reading', () => {
  it('selects by AID and reads the token', async () => {
    const { transmit, card: c } = card();
    const client = new JpkiClient(transmit);
    expect(await client.readToken()).toBe(JpkiToken.myNumberCard);
    expect(c.log[0]).toMatchObject({ ins: Ins.select, p1: 0x04 });
  });

  it.each([256, 100, 7])(
    'reads certificates exactly, in chunks of %i, from an EF longer than the cert',
    async (chunk) => {
      const { transmit, profile } = card();
      const client = new JpkiClient(transmit, { readChunkBytes: chunk });
      expect(await client.readAuthCertificate()).toEqual(profile.authCertificate);
      expect(await client.readAuthCaCertificate()).toEqual(profile.authCaCertificate);
      expect(await client.readSignCaCertificate()).toEqual(profile.signCaCertificate);
    },
  );

  it('spends no try when reading tries left', async () => {
    const { transmit, card: c } = card();
    const client = new JpkiClient(transmit);
    expect(await client.pinTriesLeft('auth')).toBe(3);
    expect(await client.pinTriesLeft('sign')).toBe(5);
    expect(c.triesLeft('auth')).toBe(3);
    expect(c.verifyAttempts()).toBe(0);
  });

  it('reads the signature certificate only after the signature password (upper-cased)', async () => {
    const { transmit, profile } = card();
    const client = new JpkiClient(transmit);
    await expect(client.readSignCertificate()).rejects.toMatchObject({
      sw: Sw.securityStatusNotSatisfied,
    });
    expect(await client.verifyPin('sign', pin('jpkitest1'))).toEqual({ outcome: 'ok' });
    expect(await client.readSignCertificate()).toEqual(profile.signCertificate);
  });
});

describe('JpkiClient PIN', () => {
  it('right PIN: ok, tries back to 3', async () => {
    const { transmit, card: c } = card();
    const client = new JpkiClient(transmit);
    expect(await client.verifyPin('auth', pin('9999'))).toEqual({ outcome: 'wrong', triesLeft: 2 });
    expect(await client.verifyPin('auth', pin('1234'))).toEqual({ outcome: 'ok' });
    expect(c.triesLeft('auth')).toBe(3);
  });

  it('malformed PIN: refused locally, nothing sent', async () => {
    const { transmit, card: c } = card();
    const client = new JpkiClient(transmit);
    for (const p of ['123', '12345', '12a4', ''])
      expect(await client.verifyPin('auth', pin(p))).toEqual({ outcome: 'malformed' });
    for (const p of ['short', 'ABCDEFGH123456789', 'ABC-123', 'ＡＢＣ１２３', 'ABC 123'])
      expect(await client.verifyPin('sign', pin(p))).toEqual({ outcome: 'malformed' });
    expect(c.log.length).toBe(0);
  });

  it.each([0x6984, 0x6983])(
    'blocked (card answers %s): reported, and no VERIFY is ever sent again',
    async (blockedSw) => {
      const { transmit, card: c } = card('holder-01', { blockedSw });
      const registry = new BlockedPinRegistry();
      const client = new JpkiClient(transmit, { blocked: registry });
      expect(await client.verifyPin('auth', pin('0000'))).toEqual({
        outcome: 'wrong',
        triesLeft: 2,
      });
      expect(await client.verifyPin('auth', pin('0000'))).toEqual({
        outcome: 'wrong',
        triesLeft: 1,
      });
      expect(await client.verifyPin('auth', pin('0000'))).toEqual({ outcome: 'blocked' });
      const sent = verifies(c);
      expect(await client.verifyPin('auth', pin('1234'))).toEqual({ outcome: 'blocked' });
      expect(await client.pinStatus('auth')).toEqual({ state: 'blocked' });
      // Same card reinserted, new client sharing the station's registry: still nothing sent.
      c.reset();
      const again = new JpkiClient(transmit, { blocked: registry });
      expect(await again.verifyPin('auth', pin('1234'))).toEqual({ outcome: 'blocked' });
      expect(verifies(c)).toBe(sent);
    },
  );

  it.each([0x6984, 0x6983])(
    'a card already blocked (%s) is detected by the tries query, PIN not sent',
    async (blockedSw) => {
      const { transmit, card: c } = card('holder-01', { blockedSw }, 0);
      const client = new JpkiClient(transmit);
      expect(await client.verifyPin('auth', pin('1234'))).toEqual({ outcome: 'blocked' });
      expect(c.verifyAttempts()).toBe(0);
      expect(await client.pinStatus('auth')).toEqual({ state: 'blocked' });
      expect(verifies(c)).toBe(1);
    },
  );
});

describe('JpkiClient signature and proof', () => {
  it('signing needs the PIN; re-selecting the AP clears it', async () => {
    const { transmit } = card();
    const client = new JpkiClient(transmit);
    const nonce = new Uint8Array(32).fill(7);
    await expect(client.signNonce(nonce)).rejects.toBeInstanceOf(ApduError);
    expect(await client.verifyPin('auth', pin('1234'))).toEqual({ outcome: 'ok' });
    const sig = await client.signNonce(nonce);
    expect(verifyNonceSignature(await client.readAuthCertificate(), nonce, sig)).toBe(true);
    await client.selectApplication();
    await expect(client.signNonce(nonce)).rejects.toMatchObject({
      sw: Sw.securityStatusNotSatisfied,
    });
  });

  it('proof accepted for the genuine card', async () => {
    const { transmit } = card('holder-01');
    const r = await new JpkiClient(transmit).proveHolder({ pin: pin('1234') });
    expect(r.outcome).toBe('proven');
  });

  it('proof rejected for a card with a copied certificate over another key', async () => {
    const { transmit, profile } = card('forged-01');
    expect(profile.authCertificate).toEqual(pki.profile('holder-01').authCertificate);
    const r = await new JpkiClient(transmit).proveHolder({ pin: pin('1234') });
    expect(r).toMatchObject({ outcome: 'refused', reason: 'bad_signature' });
  });

  it('wrong PIN and rejected certificate are results', async () => {
    const { transmit, card: c } = card();
    const client = new JpkiClient(transmit);
    expect(await client.proveHolder({ pin: pin('1111') })).toMatchObject({
      reason: 'wrong_pin',
      triesLeft: 2,
    });
    const before = c.verifyAttempts();
    expect(
      await client.proveHolder({ pin: pin('1234'), checkCertificate: () => false }),
    ).toMatchObject({
      reason: 'certificate_rejected',
    });
    expect(c.verifyAttempts()).toBe(before);
  });
});
