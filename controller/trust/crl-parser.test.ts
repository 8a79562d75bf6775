import { beforeAll, describe, expect, it } from 'vitest';
import { CrlIndex, CrlIndexBuilder, NO_REASON, radixSortRows } from './crl-index.js';
import { CrlStreamParser, parseCrl } from './crl-parser.js';
import { CrlError, DerError } from './errors.js';
import { makeCrl, reasonExtension, serialFor } from './testing/crl-writer.js';
import { explicit, name, seq } from './testing/der-writer.js';
import { extension, makeKey, type TestKey } from './testing/pki.js';

const ISSUER = 'C=JP, O=JPKI, OU=Test';
let key: TestKey;
let crl: Uint8Array;

beforeAll(() => {
  key = makeKey('p256');
  crl = makeCrl({
    issuerName: ISSUER,
    key,
    crlNumber: 42,
    entries: [
      { serial: 3, reason: 1 },
      { serial: 0x00ff },
      { serial: new Uint8Array(20).fill(0x7f), reason: 6 },
    ],
    bulk: { count: 2000, reason: 4 },
  });
});

function parseInChunks(der: Uint8Array, sizes: () => number) {
  const tbs: Uint8Array[] = [];
  const builder = new CrlIndexBuilder();
  const p = new CrlStreamParser({ onTbs: (c) => tbs.push(c.slice()), sink: builder });
  for (let i = 0; i < der.length;) {
    const n = Math.max(1, sizes());
    p.push(der.subarray(i, i + n));
    i += n;
  }
  const { info } = p.end();
  return { info, ...builder.finish(), tbs: Buffer.concat(tbs) };
}

describe('RFC 5280 §5.1 streaming CRL parser', () => {
  it('reads header, entries, extensions and signature', () => {
    const { info, index, duplicates } = parseCrl(crl);
    expect(info.issuer).toBe(ISSUER);
    expect(info.crlNumber).toBe(42n);
    expect(info.version).toBe(2);
    expect(info.entriesRead).toBe(2003);
    expect(duplicates).toBe(0);
    expect(index.count).toBe(2003);
    expect(index.lookup(Uint8Array.of(3))).toBe(1);
    expect(index.lookup(Uint8Array.of(0, 0, 3))).toBe(1);
    expect(index.lookup(Uint8Array.of(0, 0xff))).toBe(NO_REASON);
    // §4.1.2.2 / PKITS 4.4.14: serials are signed; `ff` is -1, not 255.
    expect(index.lookup(Uint8Array.of(0xff))).toBe(-1);
    expect(index.lookup(new Uint8Array(20).fill(0x7f))).toBe(6);
    expect(index.lookup(serialFor(1999))).toBe(4);
    expect(index.lookup(serialFor(2000))).toBe(-1);
    expect(index.lookup(Uint8Array.of(4))).toBe(-1);
  });

  it('gives the same result fed in 1-byte, odd and random fragments, and hands over exactly tbsCertList', () => {
    const whole = parseCrl(crl);
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 700;
    for (const sizes of [() => 1, () => 13, rand]) {
      const r = parseInChunks(crl, sizes);
      expect(Buffer.from(r.index.rows).equals(Buffer.from(whole.index.rows))).toBe(true);
      // tbsCertList = the second element: starts at offset 4 (30 83 LL LL LL) here.
      const outerHeader = crl[1]! & 0x80 ? 2 + (crl[1]! & 0x7f) : 2;
      expect(r.tbs.equals(Buffer.from(crl.subarray(outerHeader, outerHeader + r.tbs.length)))).toBe(
        true,
      );
    }
  });

  it('throws DerError truncated for a CRL cut anywhere', () => {
    for (const cut of [0, 1, 5, 60, 200, crl.length - 300, crl.length - 1]) {
      const p = new CrlStreamParser();
      expect(() => {
        p.push(crl.subarray(0, cut));
        p.end();
      }, `cut at ${cut}`).toThrow(DerError);
    }
  });

  it('throws DerError for garbage and an oversized length field', () => {
    expect(() => parseCrl(Uint8Array.from([0x04, 0x02, 1, 2]))).toThrow(DerError);
    expect(() => parseCrl(Uint8Array.of(0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9))).toThrowError(
      expect.objectContaining({ kind: 'bad_length' }),
    );
    // An entry whose length runs past the revoked list.
    const c = makeCrl({ issuerName: ISSUER, key, entries: [{ serial: 1 }, { serial: 2 }] });
    const at = Buffer.from(c).indexOf(Buffer.from([0x02, 0x01, 0x01, 0x17])) - 2;
    expect(c[at]).toBe(0x30);
    const broken = c.slice();
    broken[at + 1] = 0x7f;
    expect(() => parseCrl(broken)).toThrowError(expect.objectContaining({ kind: 'bad_length' }));
    expect(() => parseCrl(Buffer.concat([c, Uint8Array.of(0)]))).toThrowError(
      expect.objectContaining({ kind: 'trailing_data' }),
    );
  });

  it('§5.2 refuses an unknown critical CRL extension, accepts a non-critical one', () => {
    const bad = makeCrl({
      issuerName: ISSUER,
      key,
      extraExtensions: [extension('1.2.3.4', true, seq())],
    });
    expect(() => parseCrl(bad)).toThrowError(
      expect.objectContaining({ kind: 'unknown_critical_extension' }),
    );
    expect(() => parseCrl(bad)).toThrow(CrlError);
    const ok = makeCrl({
      issuerName: ISSUER,
      key,
      extraExtensions: [extension('1.2.3.4', false, seq())],
    });
    expect(parseCrl(ok).index.count).toBe(0);
  });

  it('§5.3 refuses an unknown critical entry extension, and §5.3.3 certificateIssuer in a direct CRL', () => {
    const bad = makeCrl({
      issuerName: ISSUER,
      key,
      entries: [{ serial: 1, extensions: [extension('1.2.3.4', true, seq())] }],
    });
    expect(() => parseCrl(bad)).toThrowError(
      expect.objectContaining({ kind: 'unknown_critical_extension' }),
    );
    const indirect = makeCrl({
      issuerName: ISSUER,
      key,
      entries: [
        {
          serial: 1,
          extensions: [extension('2.5.29.29', true, seq(explicit(4, name('C=JP, CN=Other CA'))))],
        },
      ],
    });
    expect(() => parseCrl(indirect)).toThrowError(expect.objectContaining({ kind: 'malformed' }));
  });

  it('§5.3.1 keeps reason codes, refuses an unknown one', () => {
    const c = makeCrl({
      issuerName: ISSUER,
      key,
      entries: [{ serial: 9, extensions: [reasonExtension(7)] }],
    });
    expect(() => parseCrl(c)).toThrow(DerError);
  });

  it('counts duplicate serials and keeps one entry', () => {
    const c = makeCrl({
      issuerName: ISSUER,
      key,
      entries: [{ serial: 5, reason: 1 }, { serial: 9 }, { serial: 5, reason: 4 }],
    });
    const r = parseCrl(c);
    expect(r.duplicates).toBe(1);
    expect(r.index.count).toBe(2);
    expect(r.index.lookup(Uint8Array.of(5))).toBeGreaterThanOrEqual(0);
  });

  it('counts revocation dates after thisUpdate (kept as revoked)', () => {
    const thisUpdate = new Date(Date.now() - 3600_000);
    const c = makeCrl({
      issuerName: ISSUER,
      key,
      thisUpdate,
      entries: [{ serial: 5, date: new Date(Date.now() + 86400_000) }],
    });
    const r = parseCrl(c);
    expect(r.info.futureDated).toBe(1);
    expect(r.index.lookup(Uint8Array.of(5))).toBe(NO_REASON);
  });

  it('reads a CRL without nextUpdate and without entries, and a v1 CRL', () => {
    expect(
      parseCrl(makeCrl({ issuerName: ISSUER, key, nextUpdate: null })).info.nextUpdate,
    ).toBeUndefined();
    const v1 = parseCrl(
      makeCrl({
        issuerName: ISSUER,
        key,
        v1: true,
        akiKey: false,
        crlNumber: null,
        entries: [{ serial: 1 }],
      }),
    );
    expect(v1.info.version).toBe(1);
    expect(v1.index.count).toBe(1);
  });
});

describe('CrlIndex', () => {
  it('radix sort agrees with a comparison sort on mixed widths', () => {
    const b = new CrlIndexBuilder(4);
    const serials: Uint8Array[] = [];
    let s = 1;
    for (let i = 0; i < 5000; i++) {
      s = (s * 48271) % 2147483647;
      const len = 1 + (s % 12);
      const bytes = new Uint8Array(len);
      for (let k = 0; k < len; k++) bytes[k] = (s >>> ((k % 4) * 8)) & 0xff;
      // Positive serials in their minimal form (the first octet neither 0 nor >= 0x80).
      bytes[0] = bytes[0]! & 0x7f || 1;
      serials.push(bytes);
      b.add(bytes, 0, len, i % 11);
    }
    const { index } = b.finish();
    const hex = (u: Uint8Array) => Buffer.from(u).toString('hex').padStart(24, '0');
    const expected = [...new Set(serials.map(hex))].sort();
    expect(index.count).toBe(expected.length);
    for (let i = 0; i < index.count; i++) expect(hex(index.entry(i).serial)).toBe(expected[i]);
    for (const x of serials) expect(index.lookup(x)).toBeGreaterThanOrEqual(0);
    expect(index.lookup(Uint8Array.of(0))).toBe(-1);
    expect(index.lookup(new Uint8Array(13).fill(1))).toBe(-1);
  });

  it('radixSortRows is stable on equal keys', () => {
    const rows = Uint8Array.of(2, 0, 1, 1, 2, 2, 1, 3);
    expect([...radixSortRows(rows, 4, 1)]).toEqual([1, 1, 1, 3, 2, 0, 2, 2]);
  });

  it('§5.2.4 merges a delta: additions and removeFromCRL', () => {
    const base = new CrlIndexBuilder();
    for (const s of [1, 3, 5]) base.add(Uint8Array.of(s), 0, 1, 1);
    const delta = new CrlIndexBuilder();
    delta.add(Uint8Array.of(3), 0, 1, 8);
    delta.add(Uint8Array.of(1, 0), 0, 2, 6);
    const merged = base.finish().index.merge(delta.finish().index);
    expect(merged.lookup(Uint8Array.of(1))).toBe(1);
    expect(merged.lookup(Uint8Array.of(3))).toBe(-1);
    expect(merged.lookup(Uint8Array.of(1, 0))).toBe(6);
    expect(merged.count).toBe(3);
  });

  it('survives a round trip through its rows buffer', () => {
    const { index } = parseCrl(crl);
    const again = new CrlIndex(index.width, new Uint8Array(Buffer.from(index.rows)));
    expect(again.lookup(serialFor(5))).toBe(4);
    expect(CrlIndex.empty().lookup(Uint8Array.of(1))).toBe(-1);
  });
});

describe('sortRows', () => {
  it('agrees with radixSortRows on keys that tie on their first bytes, and is stable', async () => {
    const { radixSortRows: radix, sortRows } = await import('./crl-index.js');
    const w = 9;
    const n = 3000;
    const rows = new Uint8Array(n * (w + 1));
    let s = 3;
    for (let i = 0; i < n; i++) {
      s = (s * 48271) % 2147483647;
      rows.set(
        [1, 2, 3, 4, 5, 6, s & 3, (s >>> 8) & 0xff, (s >>> 16) & 0xff, i & 0xff],
        i * (w + 1),
      );
    }
    const a = sortRows(rows.slice(), n, w);
    const b = radix(rows.slice(), n, w);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});
