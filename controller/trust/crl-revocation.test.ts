/**
 * RFC 5280 §6.3.3 revocation, §4.2.1.10 name constraints and §4.2.1.11 / §4.2.1.14 policy
 * constraints, each named after its clause; certificates and CRLs generated here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from './certificate.js';
import { CrlCache } from './crl-cache.js';
import { MemoryCrlStore } from './crl-store.js';
import { validatePath } from './path.js';
import { makeCrl } from './testing/crl-writer.js';
import { explicit, implicitPrim, integer, name, oid, seq, tlv } from './testing/der-writer.js';
import {
  extension,
  KU,
  makeCert,
  makeKey,
  makeRoot,
  type CertSpec,
  type TestCert,
  type TestKey,
} from './testing/pki.js';

const ROOT = 'C=JP, O=JPKI, OU=Revocation Root';
const CA = 'C=JP, O=JPKI, CN=Issuing CA';
let rootKey: TestKey;
let root: TestCert;
let caKey: TestKey;
let ca: TestCert;

beforeAll(() => {
  rootKey = makeKey('p256');
  root = makeRoot(ROOT, rootKey);
  caKey = makeKey('p256');
  ca = makeCert({
    subject: CA,
    key: caKey,
    issuer: root,
    ca: true,
    keyUsage: [KU.keyCertSign, KU.cRLSign],
  });
});

const leafUnder = (issuer: TestCert, extra: Partial<CertSpec> = {}) =>
  makeCert({
    subject: 'C=JP, CN=holder',
    key: makeKey('p256'),
    issuer,
    keyUsage: [KU.digitalSignature],
    ...extra,
  });

async function cacheWith(crls: Uint8Array[], signers: TestCert[]): Promise<CrlCache> {
  const cache = new CrlCache(new MemoryCrlStore(), { toleranceHours: 0 });
  for (const der of crls)
    await cache.importBytes(der, {
      signers: signers.map((s) => parseCertificate(s.der)),
      source: 't',
    });
  return cache;
}

const rootCrl = () => makeCrl({ issuerName: ROOT, key: rootKey });

function verify(leaf: TestCert, intermediates: TestCert[], revocation?: CrlCache) {
  return validatePath({
    leaf: leaf.der,
    intermediates: intermediates.map((c) => c.der),
    anchors: [root.der],
    at: new Date(),
    purpose: 'any',
    ...(revocation ? { revocation } : {}),
  }).reason;
}

describe('RFC 5280 §6.3.3 revocation', () => {
  it('§6.3.3 (f) a CRL signed by a separate CRL key of the same CA, chaining to the same anchor, answers', async () => {
    const crlKey = makeKey('p256');
    const crlSigner = makeCert({
      subject: CA,
      key: crlKey,
      issuer: root,
      keyUsage: [KU.cRLSign],
    });
    const good = leafUnder(ca, { serial: 10 });
    const bad = leafUnder(ca, { serial: 11 });
    const caCrl = makeCrl({ issuerName: CA, key: crlKey, entries: [{ serial: 11, reason: 1 }] });
    const cache = await cacheWith([rootCrl(), caCrl], [root, ca, crlSigner]);
    expect(verify(good, [ca, crlSigner], cache)).toBe('ok');
    expect(verify(bad, [ca, crlSigner], cache)).toBe('revoked');
    // Without the CRL signer's certificate the key cannot be chained: no usable CRL.
    expect(verify(good, [ca], cache)).toBe('crl_missing');
  });

  it('§6.3.3 (f) a CRL signer certificate that is itself revoked, or lacks cRLSign, does not answer', async () => {
    const crlKey = makeKey('p256');
    const revokedSigner = makeCert({
      subject: CA,
      key: crlKey,
      issuer: root,
      keyUsage: [KU.cRLSign],
      serial: 99,
    });
    const caCrl = makeCrl({ issuerName: CA, key: crlKey });
    const rootListsSigner = makeCrl({ issuerName: ROOT, key: rootKey, entries: [{ serial: 99 }] });
    const cache = await cacheWith([rootListsSigner, caCrl], [root, ca, revokedSigner]);
    expect(verify(leafUnder(ca), [ca, revokedSigner], cache)).toBe('crl_missing');
    const noCrlSign = makeCert({
      subject: CA,
      key: crlKey,
      issuer: root,
      keyUsage: [KU.digitalSignature],
    });
    await expect(cacheWith([caCrl], [noCrlSign])).rejects.toMatchObject({
      kind: 'signer_not_allowed',
    });
  });

  it('§6.3.3 (i) serial numbers compare as signed integers: 255 is not -1', async () => {
    const leaf255 = leafUnder(ca, { serial: 255 });
    const listsMinus1 = makeCrl({
      issuerName: CA,
      key: caKey,
      entries: [{ serial: 0, rawSerial: Uint8Array.of(0xff) }],
    });
    expect(verify(leaf255, [ca], await cacheWith([rootCrl(), listsMinus1], [root, ca]))).toBe('ok');
    const lists255 = makeCrl({ issuerName: CA, key: caKey, entries: [{ serial: 255 }] });
    expect(verify(leaf255, [ca], await cacheWith([rootCrl(), lists255], [root, ca]))).toBe(
      'revoked',
    );
  });

  it('§5.3.3 / §6.3.3 (b)(1) an indirect CRL answers for another CA through cRLIssuer and certificateIssuer', async () => {
    const CRL_ISSUER = 'C=JP, O=JPKI, CN=Indirect CRL Issuer';
    const issuerKey = makeKey('p256');
    const crlIssuer = makeCert({
      subject: CRL_ISSUER,
      key: issuerKey,
      issuer: root,
      ca: true,
      keyUsage: [KU.cRLSign, KU.keyCertSign],
    });
    // cRLDistributionPoints: one DP with only cRLIssuer = the indirect CRL issuer.
    const dp = extension('2.5.29.31', false, seq(seq(explicit(2, explicit(4, name(CRL_ISSUER))))));
    const listed = leafUnder(ca, { serial: 21, extra: [dp] });
    const clean = leafUnder(ca, { serial: 22, extra: [dp] });
    const certIssuer = extension('2.5.29.29', true, seq(explicit(4, name(CA))));
    const indirect = makeCrl({
      issuerName: CRL_ISSUER,
      key: issuerKey,
      idp: { indirect: true },
      entries: [{ serial: 21, extensions: [certIssuer] }],
    });
    const cache = await cacheWith([rootCrl(), indirect], [root, crlIssuer]);
    expect(verify(listed, [ca, crlIssuer], cache)).toBe('revoked');
    expect(verify(clean, [ca, crlIssuer], cache)).toBe('ok');
    // Serial 21 of the CRL issuer's own certificates is not listed (the entry belongs to CA).
    const own = leafUnder(crlIssuer, { serial: 21 });
    const ownCrl = await cacheWith([rootCrl(), indirect], [root, crlIssuer]);
    expect(verify(own, [crlIssuer], ownCrl)).toBe('ok');
  });
});

describe('RFC 5280 §4.2.1.10 name constraints', () => {
  const constrainedCa = (nc: Uint8Array) => {
    const key = makeKey('p256');
    return makeCert({
      subject: 'C=JP, O=JPKI, CN=Constrained CA',
      key,
      issuer: root,
      ca: true,
      keyUsage: [KU.keyCertSign],
      extra: [extension('2.5.29.30', true, nc)],
    });
  };
  const san = (...names: Uint8Array[]) => extension('2.5.29.17', false, seq(...names));
  const dns = (s: string) => implicitPrim(2, new TextEncoder().encode(s));
  const ip = (...b: number[]) => implicitPrim(7, Uint8Array.from(b));

  it('§4.2.1.10 dNSName: permitted subtrees admit the domain and its subdomains only', () => {
    const c = constrainedCa(seq(explicit(0, seq(dns('example.jp')))));
    expect(verify(leafUnder(c, { extra: [san(dns('door.example.jp'))] }), [c])).toBe('ok');
    expect(verify(leafUnder(c, { extra: [san(dns('example.jp'))] }), [c])).toBe('ok');
    expect(verify(leafUnder(c, { extra: [san(dns('badexample.jp'))] }), [c])).toBe(
      'name_not_permitted',
    );
  });

  it('§4.2.1.10 directoryName and iPAddress: excluded subtrees refuse what they cover', () => {
    // excludedSubtrees [1]: GeneralSubtree { directoryName }, GeneralSubtree { 10.0.0.0/8 }.
    const c = constrainedCa(
      seq(explicit(1, seq(explicit(4, name('C=JP, O=JPKI'))), seq(ip(10, 0, 0, 0, 255, 0, 0, 0)))),
    );
    expect(verify(leafUnder(c, { subject: 'C=JP, O=JPKI, CN=holder' }), [c])).toBe(
      'name_not_permitted',
    );
    const other = leafUnder(c, { subject: 'C=JP, O=Other, CN=x', extra: [san(ip(10, 1, 2, 3))] });
    expect(verify(other, [c])).toBe('name_not_permitted');
    const fine = leafUnder(c, { subject: 'C=JP, O=Other, CN=x', extra: [san(ip(192, 168, 0, 1))] });
    expect(verify(fine, [c])).toBe('ok');
  });

  it('§4.2.1.10 a constraint of a form the engine does not process fails closed', () => {
    const registeredId = tlv(0x88, oid('1.2.3.4').subarray(2));
    const c = constrainedCa(seq(explicit(0, seq(registeredId))));
    expect(verify(leafUnder(c), [c])).toBe('name_not_permitted');
  });
});

describe('RFC 5280 §4.2.1.11 policyConstraints and §4.2.1.14 inhibitAnyPolicy', () => {
  const POLICY = '1.2.392.200149.8.5.1.1.10';
  const policies = (...oids: string[]) =>
    extension('2.5.29.32', false, seq(...oids.map((o) => seq(oid(o)))));
  const caWith = (...extra: Uint8Array[]) =>
    makeCert({
      subject: 'C=JP, O=JPKI, CN=Policy CA',
      key: makeKey('p256'),
      issuer: root,
      ca: true,
      keyUsage: [KU.keyCertSign],
      extra,
    });

  it('§4.2.1.11 requireExplicitPolicy 0: the leaf must carry an acceptable policy', () => {
    const c = caWith(
      policies(POLICY),
      extension('2.5.29.36', true, seq(implicitPrim(0, Uint8Array.of(0)))),
    );
    expect(verify(leafUnder(c, { extra: [policies(POLICY)] }), [c])).toBe('ok');
    expect(verify(leafUnder(c), [c])).toBe('no_acceptable_policy');
    expect(verify(leafUnder(c, { extra: [policies('1.2.3.4')] }), [c])).toBe(
      'no_acceptable_policy',
    );
  });

  it('§4.2.1.14 inhibitAnyPolicy 0: anyPolicy below the CA no longer stands for every policy', () => {
    const c = caWith(
      policies(POLICY),
      extension('2.5.29.36', true, seq(implicitPrim(0, Uint8Array.of(0)))),
      extension('2.5.29.54', true, integer(0)),
    );
    expect(verify(leafUnder(c, { extra: [policies('2.5.29.32.0')] }), [c])).toBe(
      'no_acceptable_policy',
    );
    const open = caWith(
      policies(POLICY),
      extension('2.5.29.36', true, seq(implicitPrim(0, Uint8Array.of(0)))),
    );
    expect(verify(leafUnder(open, { extra: [policies('2.5.29.32.0')] }), [open])).toBe('ok');
  });
});
