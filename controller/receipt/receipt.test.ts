import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalReceiptChallenge,
  receiptChallengeBytes,
  type Receipt,
} from '../../shared/mqtt/receipt.js';
import { makeCert, makeKey, makeRoot, type TestKey } from '../trust/testing/pki.js';
import { checkReceipt, checkReceiptText, makeReceipt } from './receipt.js';

const root = makeRoot('C=JP, O=JPKI, OU=Receipt Root');
const holderKey = makeKey('rsa2048');
const holder = makeCert({ subject: 'C=JP, CN=receipt-holder', key: holderKey, issuer: root });
const AT = new Date('2026-12-01T03:04:05.678Z');
const NONCE = new Uint8Array(32).map((_, i) => i * 7);

function cardSigner(key: TestKey) {
  // What JpkiClient.signNonce does: PKCS#1 v1.5 over the SHA-256 DigestInfo of the message.
  return async (m: Uint8Array) => new Uint8Array(sign('sha256', m, key.privateKey));
}

async function receipt(deliveryIds = ['D-1', 'D-2']): Promise<Receipt> {
  return makeReceipt({
    station: 'nakano-01',
    deliveryIds,
    at: AT,
    nonce: NONCE,
    certificateDer: holder.der,
    sign: cardSigner(holderKey),
  });
}

describe('receipt challenge (canonical form)', () => {
  it('is the members in a fixed order, JSON-escaped, without white space', async () => {
    const r = await receipt();
    expect(canonicalReceiptChallenge(r.challenge)).toBe(
      '{"v":1,"type":"jpki-locker-receipt","station":"nakano-01","deliveryIds":["D-1","D-2"],' +
        `"at":"2026-12-01T03:04:05.678Z","nonce":"${r.challenge.nonce}"}`,
    );
    expect(r.challenge.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
  it('does not depend on the order members were written in the object', async () => {
    const r = await receipt();
    const c = r.challenge;
    const shuffled = {
      nonce: c.nonce,
      at: c.at,
      deliveryIds: c.deliveryIds,
      station: c.station,
      type: c.type,
      v: c.v,
    };
    expect(receiptChallengeBytes(shuffled)).toEqual(receiptChallengeBytes(c));
  });
});

describe('checkReceipt', () => {
  it('a receipt signed by the card verifies and names station, deliveries, time and holder', async () => {
    const r = await receipt();
    const check = checkReceipt(r);
    expect(check).toEqual({
      valid: true,
      station: 'nakano-01',
      deliveryIds: ['D-1', 'D-2'],
      at: '2026-12-01T03:04:05.678Z',
      holderSpkiSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // Survives a JSON round trip, as the back office receives it.
    expect(checkReceiptText(JSON.stringify(r)).valid).toBe(true);
  });

  const alterations: [string, (r: Receipt) => void][] = [
    ['station', (r) => (r.challenge.station = 'nakano-02')],
    ['a delivery id', (r) => (r.challenge.deliveryIds[1] = 'D-3')],
    ['a delivery added', (r) => r.challenge.deliveryIds.push('D-3')],
    ['a delivery dropped', (r) => r.challenge.deliveryIds.pop()],
    ['the delivery order', (r) => r.challenge.deliveryIds.reverse()],
    ['the time', (r) => (r.challenge.at = '2026-12-01T03:04:06.678Z')],
    ['the nonce', (r) => (r.challenge.nonce = `B${r.challenge.nonce.slice(1)}`)],
    ['the signature', (r) => (r.signature = flipBase64(r.signature))],
  ];
  it.each(alterations)('fails when %s is altered', async (_name, alter) => {
    const r = structuredClone(await receipt());
    alter(r);
    const check = checkReceipt(r);
    expect(check.valid).toBe(false);
    expect(!check.valid && check.reason).toBe('bad_signature');
  });

  it('fails when the certificate is swapped for another holder’s', async () => {
    const otherKey = makeKey('rsa2048');
    const other = makeCert({ subject: 'C=JP, CN=other', key: otherKey, issuer: root });
    const theirs = await makeReceipt({
      station: 'nakano-01',
      deliveryIds: ['D-1', 'D-2'],
      at: AT,
      nonce: NONCE,
      certificateDer: other.der,
      sign: cardSigner(otherKey),
    });
    const forged = { ...(await receipt()), certificate: theirs.certificate };
    const check = checkReceipt(forged);
    expect(!check.valid && check.reason).toBe('bad_signature');
  });

  it('refuses members outside the format (they would not be signed)', async () => {
    const r = await receipt();
    const extra = { ...r, challenge: { ...r.challenge, compartment: 'A01' } };
    expect(checkReceipt(extra)).toMatchObject({ valid: false, reason: 'malformed' });
    expect(checkReceipt({ ...r, note: 'x' })).toMatchObject({ valid: false, reason: 'malformed' });
  });

  it('broken input is a reason, not a crash', async () => {
    const r = await receipt();
    expect(checkReceiptText('{')).toMatchObject({ valid: false, reason: 'not_json' });
    expect(checkReceipt(null)).toMatchObject({ valid: false, reason: 'malformed' });
    expect(checkReceipt({ ...r, signature: '!!' })).toMatchObject({ reason: 'malformed' });
    expect(
      checkReceipt({
        ...r,
        certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      }),
    ).toMatchObject({ valid: false, reason: 'bad_certificate' });
    expect(checkReceipt({ ...r, signature: 'AAB=' })).toMatchObject({
      valid: false,
      reason: 'bad_signature_encoding',
    });
  });

  it('reads the receipt out of a whole delivery.collected event', async () => {
    const r = await receipt();
    const event = { kind: 'delivery.collected', data: { deliveryId: 'D-1', receipt: r } };
    expect(checkReceiptText(JSON.stringify(event)).valid).toBe(true);
  });

  it('works with an EC key too (a non-JPKI signer)', async () => {
    const key = makeKey('p256');
    const cert = makeCert({ subject: 'C=JP, CN=ec', key, issuer: root });
    const r = await makeReceipt({
      station: 's1',
      deliveryIds: ['D-9'],
      at: AT,
      nonce: NONCE,
      certificateDer: cert.der,
      sign: cardSigner(key),
    });
    expect(checkReceipt(r).valid).toBe(true);
  });
});

function flipBase64(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[10]! ^= 0x01;
  return bytes.toString('base64');
}
