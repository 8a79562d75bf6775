import { beforeAll, describe, expect, it } from 'vitest';
import { CrlSet } from './crl-set.js';
import { parseCertificate } from './certificate.js';
import { validatePath } from './path.js';
import {
  extension,
  KU,
  makeCert,
  makeKey,
  makeRoot,
  type KeyKind,
  type SigAlg,
  type TestCert,
  type TestKey,
} from './testing/pki.js';
import { makeCrl } from './testing/crl-writer.js';
import { seq, utf8 } from './testing/der-writer.js';

const DAY = 86400_000;
const NOW = new Date();
const ROOT =
  'C=JP, O=JPKI, OU=JPKI for user authentication, OU=Japan Agency for Local Authority Information Systems';

let rootKey: TestKey;
let root: TestCert;
let leafKey: TestKey;
let leaf: TestCert;

beforeAll(() => {
  rootKey = makeKey('rsa2048');
  root = makeRoot(ROOT, rootKey, { notBefore: new Date(+NOW - 1000 * DAY) });
  leafKey = makeKey('rsa2048');
  leaf = makeCert({
    subject: 'C=JP, CN=0123456789ABC',
    key: leafKey,
    issuer: root,
    keyUsage: [KU.digitalSignature],
    serial: 1001,
  });
});

const check = (l: TestCert | Uint8Array, extra: Partial<Parameters<typeof validatePath>[0]> = {}) =>
  validatePath({
    leaf: l instanceof Uint8Array ? l : l.der,
    anchors: [root.der],
    at: NOW,
    purpose: 'auth',
    ...extra,
  });

describe('RFC 5280 §6.1 path validation', () => {
  it('accepts a card certificate issued by a configured root and lists the chain', () => {
    expect(check(leaf)).toEqual({
      valid: true,
      reason: 'ok',
      chain: ['C=JP, CN=0123456789ABC', ROOT],
    });
  });

  it.each<[KeyKind, SigAlg]>([
    ['rsa2048', 'rsa-sha256'],
    ['rsa2048', 'rsa-sha384'],
    ['rsa2048', 'rsa-sha512'],
    ['p256', 'ecdsa-sha256'],
    ['p384', 'ecdsa-sha384'],
  ])('§6.1.3 (a)(1) verifies %s signatures with %s', (kind, alg) => {
    const caKey = makeKey(kind);
    const ca = makeRoot('C=JP, O=Test, CN=' + alg, caKey, { alg });
    const l = makeCert({
      subject: 'C=JP, CN=x',
      key: makeKey('p256'),
      issuer: ca,
      alg,
      keyUsage: [KU.digitalSignature],
    });
    expect(validatePath({ leaf: l.der, anchors: [ca.der], at: NOW, purpose: 'auth' }).valid).toBe(
      true,
    );
  });

  it('§6.1.3 (a)(1) refuses a certificate whose signature does not verify: bad_signature', () => {
    const l = makeCert({
      subject: 'C=JP, CN=x',
      key: leafKey,
      issuer: root,
      corruptSignature: true,
    });
    expect(check(l)).toMatchObject({ valid: false, reason: 'bad_signature' });
  });

  it('§6.1.3 (a)(1) refuses a certificate signed by another key under the same issuer name', () => {
    const l = makeCert({
      subject: 'C=JP, CN=x',
      key: leafKey,
      issuerName: ROOT,
      issuerKey: makeKey('rsa2048'),
      noKeyIds: true,
    });
    expect(check(l)).toMatchObject({ valid: false, reason: 'bad_signature' });
  });

  it('§6.1.3 (a)(2) refuses expired and not-yet-valid certificates', () => {
    const old = makeCert({
      subject: 'C=JP, CN=x',
      key: leafKey,
      issuer: root,
      notBefore: new Date(+NOW - 900 * DAY),
      notAfter: new Date(+NOW - DAY),
    });
    const early = makeCert({
      subject: 'C=JP, CN=x',
      key: leafKey,
      issuer: root,
      notBefore: new Date(+NOW + DAY),
    });
    expect(check(old).reason).toBe('expired');
    expect(check(early).reason).toBe('not_yet_valid');
    expect(check(old, { at: new Date(+NOW - 10 * DAY) }).valid).toBe(true);
  });

  it('§6.1.3 (a)(4) name chaining: no anchor with the issuer name is unknown_issuer', () => {
    const other = makeRoot('C=JP, O=Other', makeKey('p256'));
    const l = makeCert({ subject: 'C=JP, CN=x', key: leafKey, issuer: other });
    expect(check(l)).toEqual({ valid: false, reason: 'unknown_issuer', chain: ['C=JP, CN=x'] });
  });

  it('trusts a set of anchors: the generation whose key signed the leaf is chosen', () => {
    const gen2Key = makeKey('rsa2048');
    const gen2 = makeRoot(ROOT, gen2Key);
    const l = makeCert({ subject: 'C=JP, CN=gen2', key: leafKey, issuer: gen2 });
    const l2 = makeCert({ subject: 'C=JP, CN=gen2', key: leafKey, issuer: gen2, noKeyIds: true });
    expect(
      validatePath({ leaf: l.der, anchors: [root.der, gen2.der], at: NOW, purpose: 'any' }).valid,
    ).toBe(true);
    // RFC 5280 §4.2.1.1: without authorityKeyIdentifier the leaf breaks the profile.
    expect(
      validatePath({ leaf: l2.der, anchors: [root.der, gen2.der], at: NOW, purpose: 'any' }).reason,
    ).toBe('profile_violation');
    expect(validatePath({ leaf: l.der, anchors: [root.der], at: NOW, purpose: 'any' }).valid).toBe(
      false,
    );
  });

  describe('with an intermediate CA', () => {
    const sub = (extra: Partial<Parameters<typeof makeCert>[0]> = {}) => {
      const key = makeKey('p256');
      const ca = makeCert({
        subject: 'C=JP, O=JPKI, CN=Sub CA',
        key,
        issuer: root,
        ca: true,
        keyUsage: [KU.keyCertSign, KU.cRLSign],
        ...extra,
      });
      const l = makeCert({
        subject: 'C=JP, CN=under-sub',
        key: leafKey,
        issuer: ca,
        keyUsage: [KU.digitalSignature],
      });
      return { ca, l };
    };

    it('builds leaf -> intermediate -> anchor', () => {
      const { ca, l } = sub();
      expect(check(l, { intermediates: [ca.der] })).toEqual({
        valid: true,
        reason: 'ok',
        chain: ['C=JP, CN=under-sub', 'C=JP, O=JPKI, CN=Sub CA', ROOT],
      });
      expect(check(l).reason).toBe('unknown_issuer');
    });

    it('§6.1.4 (k) refuses an issuer that is not a CA: not_ca', () => {
      const { ca, l } = sub({ ca: false, keyUsage: [KU.digitalSignature] });
      expect(check(l, { intermediates: [ca.der] }).reason).toBe('not_ca');
    });

    it('§6.1.4 (l),(m) enforces pathLenConstraint: path_too_long', () => {
      const { ca: sub1 } = sub({ pathLen: 0 });
      const key2 = makeKey('p256');
      const sub2 = makeCert({
        subject: 'C=JP, CN=Sub2',
        key: key2,
        issuer: sub1,
        ca: true,
        keyUsage: [KU.keyCertSign],
      });
      const l = makeCert({
        subject: 'C=JP, CN=deep',
        key: leafKey,
        issuer: sub2,
        keyUsage: [KU.digitalSignature],
      });
      expect(check(l, { intermediates: [sub1.der, sub2.der] }).reason).toBe('path_too_long');
      const { ca: ok1 } = sub({ pathLen: 1 });
      const ok2 = makeCert({
        subject: 'C=JP, CN=Sub2',
        key: key2,
        issuer: ok1,
        ca: true,
        keyUsage: [KU.keyCertSign],
      });
      const l2 = makeCert({
        subject: 'C=JP, CN=deep',
        key: leafKey,
        issuer: ok2,
        keyUsage: [KU.digitalSignature],
      });
      expect(check(l2, { intermediates: [ok1.der, ok2.der] }).valid).toBe(true);
      const limited = makeRoot('C=JP, O=Limited', rootKey, { pathLen: 0 });
      const { ca: under, l: l3 } = (() => {
        const ca = makeCert({ subject: 'C=JP, CN=Sub L', key: key2, issuer: limited, ca: true });
        return { ca, l: makeCert({ subject: 'C=JP, CN=y', key: leafKey, issuer: ca }) };
      })();
      expect(
        validatePath({
          leaf: l3.der,
          intermediates: [under.der],
          anchors: [limited.der],
          at: NOW,
          purpose: 'any',
        }).reason,
      ).toBe('path_too_long');
    });

    it('§6.1.4 (n) refuses an issuer whose keyUsage lacks keyCertSign: wrong_usage', () => {
      const { ca, l } = sub({ keyUsage: [KU.cRLSign] });
      expect(check(l, { intermediates: [ca.der] }).reason).toBe('wrong_usage');
    });

    it('§6.1.4 (o) refuses an intermediate with an unknown critical extension', () => {
      const { ca, l } = sub({ extra: [extension('1.2.3.4.5', true, seq(utf8('x')))] });
      expect(check(l, { intermediates: [ca.der] }).reason).toBe('unknown_critical_extension');
    });
  });

  it('§6.1.5 (f) refuses a leaf with an unknown critical extension; a non-critical one is fine', () => {
    const bad = makeCert({
      subject: 'C=JP, CN=x',
      key: leafKey,
      issuer: root,
      extra: [extension('1.2.3.4.5', true, seq())],
    });
    const ok = makeCert({
      subject: 'C=JP, CN=x',
      key: leafKey,
      issuer: root,
      extra: [extension('1.2.3.4.5', false, seq())],
    });
    expect(check(bad).reason).toBe('unknown_critical_extension');
    expect(check(ok).valid).toBe(true);
  });

  it('§4.2.1.3 keyUsage and §4.2.1.12 extendedKeyUsage against the purpose: wrong_usage', () => {
    const authOnly = leaf;
    const signCert = makeCert({
      subject: 'C=JP, CN=s',
      key: leafKey,
      issuer: root,
      keyUsage: [KU.digitalSignature, KU.nonRepudiation],
    });
    const serverEku = makeCert({
      subject: 'C=JP, CN=e',
      key: leafKey,
      issuer: root,
      keyUsage: [KU.digitalSignature],
      eku: ['1.3.6.1.5.5.7.3.1'],
    });
    const clientEku = makeCert({
      subject: 'C=JP, CN=e',
      key: leafKey,
      issuer: root,
      keyUsage: [KU.digitalSignature],
      eku: ['1.3.6.1.5.5.7.3.2'],
    });
    const codeEku = makeCert({
      subject: 'C=JP, CN=c',
      key: leafKey,
      issuer: root,
      keyUsage: [KU.digitalSignature],
      eku: ['1.3.6.1.5.5.7.3.3'],
    });
    expect(check(authOnly, { purpose: 'sign' }).reason).toBe('wrong_usage');
    expect(check(signCert, { purpose: 'sign' }).valid).toBe(true);
    expect(check(serverEku, { purpose: 'auth' }).reason).toBe('wrong_usage');
    expect(check(clientEku, { purpose: 'auth' }).valid).toBe(true);
    expect(check(codeEku, { purpose: 'command' }).valid).toBe(true);
    expect(check(clientEku, { purpose: 'command' }).reason).toBe('wrong_usage');
    expect(check(serverEku, { purpose: 'any' }).valid).toBe(true);
  });

  it('refuses unsupported algorithms and weak keys: unsupported_algorithm', () => {
    const sha1 = makeCert({ subject: 'C=JP, CN=x', key: leafKey, issuer: root, alg: 'rsa-sha1' });
    expect(check(sha1).reason).toBe('unsupported_algorithm');
    const weakKey = makeKey('rsa1024');
    const weakRoot = makeRoot('C=JP, O=Weak', weakKey);
    const l = makeCert({ subject: 'C=JP, CN=x', key: leafKey, issuer: weakRoot });
    expect(
      validatePath({ leaf: l.der, anchors: [weakRoot.der], at: NOW, purpose: 'any' }).reason,
    ).toBe('unsupported_algorithm');
  });

  it('§4.1.1.2 refuses different inner and outer signature algorithms: malformed', () => {
    const l = makeCert({
      subject: 'C=JP, CN=x',
      key: leafKey,
      issuer: root,
      outerAlg: 'rsa-sha384',
    });
    expect(check(l)).toEqual({ valid: false, reason: 'malformed', chain: [] });
  });

  it('answers malformed (never throws) for truncated DER, garbage and an oversized length field', () => {
    expect(check(leaf.der.slice(0, leaf.der.length - 10)).reason).toBe('malformed');
    expect(check(new Uint8Array([1, 2, 3, 4])).reason).toBe('malformed');
    expect(check(new Uint8Array(0)).reason).toBe('malformed');
    const huge = Uint8Array.of(0x30, 0x85, 1, 0, 0, 0, 0, 0x30, 0);
    expect(check(huge).reason).toBe('malformed');
    const lying = leaf.der.slice();
    lying[2] = 0xff; // outer length claims more than there is
    expect(check(lying).reason).toBe('malformed');
  });

  describe('§6.1.3 (a)(3) revocation by CRL', () => {
    const rootCert = () => parseCertificate(root.der);
    const crlSet = (crl: Uint8Array, at = NOW) =>
      CrlSet.from([crl], [rootCert()], { toleranceHours: 24, now: () => at });

    it('revoked / good / crl_missing', async () => {
      const crl = makeCrl({
        issuerName: ROOT,
        key: rootKey,
        entries: [{ serial: 1001, reason: 1 }],
        crlNumber: 1,
      });
      expect(check(leaf, { revocation: await crlSet(crl) }).reason).toBe('revoked');
      const other = makeCrl({
        issuerName: ROOT,
        key: rootKey,
        entries: [{ serial: 7 }],
        crlNumber: 1,
      });
      expect(check(leaf, { revocation: await crlSet(other) }).valid).toBe(true);
      const empty = await CrlSet.from([], [rootCert()], { toleranceHours: 24 });
      expect(check(leaf, { revocation: empty }).reason).toBe('crl_missing');
    });

    it('checks intermediates against their issuer’s CRL', async () => {
      const key = makeKey('p256');
      const ca = makeCert({ subject: 'C=JP, CN=Sub', key, issuer: root, ca: true, serial: 55 });
      const l = makeCert({ subject: 'C=JP, CN=z', key: leafKey, issuer: ca, serial: 1 });
      const arl = makeCrl({ issuerName: ROOT, key: rootKey, entries: [{ serial: 55, reason: 2 }] });
      const subCrl = makeCrl({ issuerName: 'C=JP, CN=Sub', key, entries: [] });
      const rev = await CrlSet.from([arl, subCrl], [rootCert(), parseCertificate(ca.der)], {
        toleranceHours: 24,
      });
      expect(check(l, { intermediates: [ca.der], purpose: 'any', revocation: rev }).reason).toBe(
        'revoked',
      );
    });

    it('a CRL issued by an intermediate (ECDSA P-256 and P-384 signed) revokes the leaf it covers', async () => {
      for (const kind of ['p256', 'p384'] as const) {
        const key = makeKey(kind);
        const ca = makeCert({
          subject: 'C=JP, CN=Sub',
          key,
          issuer: root,
          ca: true,
          keyUsage: [KU.keyCertSign, KU.cRLSign],
          serial: 56,
        });
        const mk = (serial: number) =>
          makeCert({ subject: 'C=JP, CN=z', key: leafKey, issuer: ca, serial, keyUsage: [0] });
        const arl = makeCrl({ issuerName: ROOT, key: rootKey, entries: [] });
        const subCrl = makeCrl({ issuerName: 'C=JP, CN=Sub', key, entries: [{ serial: 2 }] });
        const rev = await CrlSet.from([arl, subCrl], [rootCert(), parseCertificate(ca.der)], {
          toleranceHours: 24,
        });
        expect(rev.problems).toEqual([]);
        const v = (l: TestCert) =>
          check(l, { intermediates: [ca.der], purpose: 'auth', revocation: rev });
        expect(v(mk(1))).toMatchObject({ valid: true });
        expect(v(mk(2))).toMatchObject({ valid: false, reason: 'revoked' });
        // Without the intermediate's CRL: crl_missing for the leaf (the ARL covers the CA only).
        const arlOnly = await CrlSet.from([arl], [rootCert(), parseCertificate(ca.der)], {
          toleranceHours: 24,
        });
        expect(
          check(mk(1), { intermediates: [ca.der], purpose: 'auth', revocation: arlOnly }).reason,
        ).toBe('crl_missing');
        // An ECDSA CRL with a flipped signature bit is bad_crl, never accepted.
        const forged = makeCrl({
          issuerName: 'C=JP, CN=Sub',
          key,
          entries: [],
          corruptSignature: true,
        });
        const bad = await CrlSet.from([arl, forged], [rootCert(), parseCertificate(ca.der)], {
          toleranceHours: 24,
        });
        expect(
          check(mk(2), { intermediates: [ca.der], purpose: 'auth', revocation: bad }).reason,
        ).toBe('bad_crl');
      }
    });

    it('crl_stale beyond nextUpdate + tolerance, accepted within it', async () => {
      const crl = makeCrl({
        issuerName: ROOT,
        key: rootKey,
        entries: [],
        thisUpdate: new Date(+NOW - 10 * DAY),
        nextUpdate: new Date(+NOW - 12 * 3600_000),
      });
      expect(check(leaf, { revocation: await crlSet(crl) }).valid).toBe(true);
      const staler = makeCrl({
        issuerName: ROOT,
        key: rootKey,
        entries: [],
        thisUpdate: new Date(+NOW - 10 * DAY),
        nextUpdate: new Date(+NOW - 2 * DAY),
      });
      expect(check(leaf, { revocation: await crlSet(staler) }).reason).toBe('crl_stale');
    });

    it('bad_crl when the only CRL for the issuer cannot be used', async () => {
      const bad = makeCrl({ issuerName: ROOT, key: rootKey, entries: [], corruptSignature: true });
      expect(check(leaf, { revocation: await crlSet(bad) }).reason).toBe('bad_crl');
      const truncated = makeCrl({ issuerName: ROOT, key: rootKey, entries: [{ serial: 5 }] }).slice(
        0,
        50,
      );
      expect(check(leaf, { revocation: await crlSet(truncated) }).reason).toBe('bad_crl');
      const noCrlSign = makeRoot(ROOT, rootKey, { keyUsage: [KU.keyCertSign] });
      const crl = makeCrl({ issuerName: ROOT, key: rootKey, entries: [] });
      const rev = await CrlSet.from([crl], [parseCertificate(noCrlSign.der)], {
        toleranceHours: 24,
      });
      expect(
        validatePath({
          leaf: leaf.der,
          anchors: [noCrlSign.der],
          at: NOW,
          purpose: 'auth',
          revocation: rev,
        }).reason,
      ).toBe('bad_crl');
    });
  });
});
