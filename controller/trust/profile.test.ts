/**
 * The RFC 5280 profile rules that say MUST, each in a test named after its clause, with the
 * certificates and CRLs generated here: what the profile forbids is refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from './certificate.js';
import { CrlCache, verdictOf } from './crl-cache.js';
import { MemoryCrlStore } from './crl-store.js';
import { readTimeMs, readHeader } from './der.js';
import { DerError } from './errors.js';
import { validatePath } from './path.js';
import { makeCrl } from './testing/crl-writer.js';
import { bool, implicitPrim, integer, oid, seq, tlv } from './testing/der-writer.js';
import {
  extension,
  keyId,
  KU,
  makeCert,
  makeKey,
  makeRoot,
  type CertSpec,
  type TestCert,
  type TestKey,
} from './testing/pki.js';

const ROOT = 'C=JP, O=JPKI, OU=Profile Root';
const HOUR = 3600_000;
let rootKey: TestKey;
let root: TestCert;
let leafKey: TestKey;

beforeAll(() => {
  rootKey = makeKey('p256');
  root = makeRoot(ROOT, rootKey);
  leafKey = makeKey('p256');
});

const leafSpec = (extra: Partial<CertSpec> = {}): CertSpec => ({
  subject: 'C=JP, CN=profile leaf',
  key: leafKey,
  issuer: root,
  keyUsage: [KU.digitalSignature],
  ...extra,
});

const verify = (leaf: TestCert, extra: Partial<Parameters<typeof validatePath>[0]> = {}) =>
  validatePath({ leaf: leaf.der, anchors: [root.der], at: new Date(), purpose: 'any', ...extra })
    .reason;

const aki = (key: TestKey, critical: boolean) =>
  extension('2.5.29.35', critical, seq(implicitPrim(0, keyId(key.spki))));
const ski = (key: TestKey) => extension('2.5.29.14', false, tlv(0x04, keyId(key.spki)));
const aia = (critical: boolean) =>
  extension(
    '1.3.6.1.5.5.7.1.1',
    critical,
    seq(seq(oid('1.3.6.1.5.5.7.48.2'), implicitPrim(6, new TextEncoder().encode('http://ca/x')))),
  );

describe('RFC 5280 §4 certificate profile', () => {
  it('§4.1.2.2 serialNumber MUST be positive: zero and negative serials are refused', () => {
    expect(verify(makeCert(leafSpec({ serial: 1 })))).toBe('ok');
    expect(verify(makeCert(leafSpec({ serial: 0 })))).toBe('profile_violation');
    expect(verify(makeCert(leafSpec({ rawSerial: Uint8Array.of(0xff, 0x01) })))).toBe(
      'profile_violation',
    );
  });

  it('§4.1.2.2 serialNumber MUST NOT be longer than 20 octets', () => {
    expect(verify(makeCert(leafSpec({ serial: new Uint8Array(20).fill(0x11) })))).toBe('ok');
    expect(verify(makeCert(leafSpec({ serial: new Uint8Array(21).fill(0x11) })))).toBe(
      'profile_violation',
    );
  });

  it('§4.2.1.1 authorityKeyIdentifier MUST be non-critical', () => {
    const c = makeCert(leafSpec({ noKeyIds: true, extra: [ski(leafKey), aki(rootKey, true)] }));
    expect(verify(c)).toBe('profile_violation');
    const ok = makeCert(leafSpec({ noKeyIds: true, extra: [ski(leafKey), aki(rootKey, false)] }));
    expect(verify(ok)).toBe('ok');
  });

  it('§4.2.1.1 keyIdentifier MUST be included in every certificate but a self-signed one', () => {
    expect(verify(makeCert(leafSpec({ noKeyIds: true })))).toBe('profile_violation');
    // A self-signed anchor may omit it.
    const bare = makeRoot('C=JP, O=Bare Root', rootKey, {
      noKeyIds: true,
      extra: [ski(rootKey)],
    });
    const under = makeCert({ ...leafSpec(), issuer: bare });
    expect(verify(under, { anchors: [bare.der] })).toBe('ok');
  });

  it('§4.2.1.2 subjectKeyIdentifier MUST appear in every CA certificate', () => {
    const caKey = makeKey('p256');
    const ca = makeCert({
      subject: 'C=JP, CN=CA without SKI',
      key: caKey,
      issuer: root,
      ca: true,
      keyUsage: [KU.keyCertSign],
      noKeyIds: true,
      extra: [aki(rootKey, false)],
    });
    const leaf = makeCert({ ...leafSpec(), issuer: ca });
    expect(verify(leaf, { intermediates: [ca.der] })).toBe('profile_violation');
  });

  it('§4.2.1.3 keyCertSign MUST NOT be asserted without cA (an end-entity certificate)', () => {
    const c = makeCert(leafSpec({ keyUsage: [KU.digitalSignature, KU.keyCertSign] }));
    expect(verify(c)).toBe('profile_violation');
  });

  it('§4.2.1.12 extKeyUsage is SIZE (1..MAX): an empty one is malformed', () => {
    const c = makeCert(leafSpec({ extra: [extension('2.5.29.37', false, seq())] }));
    expect(verify(c)).toBe('malformed');
  });

  it('§4.2.2.1 authorityInfoAccess MUST be non-critical', () => {
    expect(verify(makeCert(leafSpec({ extra: [aia(true)] })))).toBe('profile_violation');
    expect(verify(makeCert(leafSpec({ extra: [aia(false)] })))).toBe('ok');
  });

  it('§4.1.2.6 a CA subject MUST be a non-empty distinguished name', () => {
    const caKey = makeKey('p256');
    const ca = makeCert({
      subject: '',
      key: caKey,
      issuer: root,
      ca: true,
      keyUsage: [KU.keyCertSign],
    });
    const leaf = makeCert({ ...leafSpec(), issuer: ca, issuerName: '' });
    expect(verify(leaf, { intermediates: [ca.der] })).toBe('profile_violation');
  });

  it('§4.2.1.9 basicConstraints MUST be critical in a CA certificate: a trust anchor with a non-critical one is refused', () => {
    const soft = makeCert({
      subject: 'C=JP, O=Soft Root',
      key: rootKey,
      keyUsage: [KU.keyCertSign, KU.cRLSign],
      extra: [extension('2.5.29.19', false, seq(bool(true)))],
    });
    const leaf = makeCert({ ...leafSpec(), issuer: soft });
    expect(verify(leaf, { anchors: [soft.der] })).toBe('profile_violation');
  });
});

describe('RFC 5280 §5 CRL profile', () => {
  const cache = () => new CrlCache(new MemoryCrlStore(), { toleranceHours: 0 });
  const importIt = (c: CrlCache, der: Uint8Array) =>
    c.importBytes(der, { signers: [parseCertificate(root.der)], source: 'test' });

  it('§5.1.2.5 nextUpdate MUST be present: a CRL without it is refused, and never fresh', async () => {
    const c = cache();
    await expect(
      importIt(c, makeCrl({ issuerName: ROOT, key: rootKey, nextUpdate: null })),
    ).rejects.toMatchObject({ kind: 'bad_dates' });
    expect(verdictOf({ thisUpdate: new Date(0), nextUpdate: undefined }, new Date(), 24)).toBe(
      'stale',
    );
  });

  it('§5.1.2.4 / §6.3.3 (a) a CRL whose thisUpdate is in the future is not used', async () => {
    const c = cache();
    const now = Date.now();
    await importIt(
      c,
      makeCrl({
        issuerName: ROOT,
        key: rootKey,
        thisUpdate: new Date(now + HOUR),
        nextUpdate: new Date(now + 48 * HOUR),
      }),
    );
    // Its own reason (issue 12: one crlUsable rule), not crl_missing or crl_stale.
    expect(verify(makeCert(leafSpec()), { revocation: c })).toBe('crl_not_yet_valid');
    expect(verdictOf(c.list()[0]!, new Date(now), 0)).toBe('future');
  });

  it('§5.1.2.4 dates through 2049 MUST be UTCTime: a GeneralizedTime before 2050 is refused', async () => {
    const g = tlv(0x18, new TextEncoder().encode('20300101000000Z'));
    expect(() => readTimeMs(g, readHeader(g, 0), true)).toThrow(DerError);
    expect(readTimeMs(g, readHeader(g, 0))).toBe(Date.UTC(2030, 0, 1));
    await expect(
      importIt(cache(), makeCrl({ issuerName: ROOT, key: rootKey, generalizedTime: true })),
    ).rejects.toBeInstanceOf(DerError);
  });

  it('§5.2.3 cRLNumber MUST be present and non-critical', async () => {
    await expect(
      importIt(cache(), makeCrl({ issuerName: ROOT, key: rootKey, crlNumber: null })),
    ).rejects.toMatchObject({ kind: 'malformed' });
    const critical = makeCrl({
      issuerName: ROOT,
      key: rootKey,
      crlNumber: null,
      extraExtensions: [extension('2.5.29.20', true, integer(7))],
    });
    await expect(importIt(cache(), critical)).rejects.toMatchObject({ kind: 'malformed' });
  });

  it('§5.2.1 authorityKeyIdentifier and §5.2.7 authorityInfoAccess MUST be non-critical', async () => {
    const crlAki = makeCrl({
      issuerName: ROOT,
      key: rootKey,
      akiKey: false,
      extraExtensions: [aki(rootKey, true)],
    });
    await expect(importIt(cache(), crlAki)).rejects.toMatchObject({ kind: 'malformed' });
    const crlAia = makeCrl({ issuerName: ROOT, key: rootKey, extraExtensions: [aia(true)] });
    await expect(importIt(cache(), crlAia)).rejects.toMatchObject({ kind: 'malformed' });
  });

  it('§5.1.2.6 a serial listed twice makes the CRL unusable', async () => {
    const dup = makeCrl({
      issuerName: ROOT,
      key: rootKey,
      entries: [{ serial: 5, reason: 1 }, { serial: 9 }, { serial: 5 }],
    });
    await expect(importIt(cache(), dup)).rejects.toMatchObject({ kind: 'malformed' });
  });
});
