import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../storage/db.js';
import { parseCertificate, type Certificate } from './certificate.js';
import { CrlCache } from './crl-cache.js';
import { CrlIndexBuilder, NO_REASON, REMOVE_FROM_CRL } from './crl-index.js';
import { fingerprint } from './crl-fingerprint.js';
import {
  BUCKET_BYTES,
  BUCKETS,
  encodeHeader,
  FileCrlIndex,
  FPS_OFFSET,
  HEADER_BYTES,
  shareMemory,
} from './crl-index-file.js';
import { SpillingIndexWriter } from './crl-index-spill.js';
import { SqliteCrlStore } from './crl-store.js';
import { makeCrl, serialFor } from './testing/crl-writer.js';
import { makeKey, makeRoot, type TestKey } from './testing/pki.js';

const DAY = 86400_000;
const ROOT = 'C=JP, O=JPKI, OU=Index File Root';
let dir: string;
let rootKey: TestKey;
let rootCert: Certificate;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jpki-crl-index-'));
  rootKey = makeKey('rsa2048');
  rootCert = parseCertificate(
    makeRoot(ROOT, rootKey, { notBefore: new Date(Date.now() - 100 * DAY) }).der,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const freshDir = () => {
  const d = path.join(dir, `d${n++}`);
  mkdirSync(d);
  return d;
};

/**
 * Deterministic pseudo-random distinct integers as serials: lengths 1..20, positive and
 * negative, some with redundant sign octets.
 */
function serials(count: number, seed = 1): Uint8Array[] {
  let x = seed;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  while (out.length < count) {
    const len = 1 + (next() % 20);
    const s = new Uint8Array(len);
    for (let k = 0; k < len; k++) s[k] = next() >>> 24;
    const key = Buffer.from(s.subarray(minimal(s))).toString('hex');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
  }
  return out;
}

/** Minimal two's-complement start of a serial (what the parser hands a sink). */
function minimal(s: Uint8Array): number {
  let a = 0;
  while (
    a < s.length - 1 &&
    ((s[a] === 0 && (s[a + 1]! & 0x80) === 0) || (s[a] === 0xff && (s[a + 1]! & 0x80) !== 0))
  )
    a++;
  return a;
}

function fill(
  sink: { add(b: Uint8Array, s: number, e: number, r: number): void },
  xs: Uint8Array[],
) {
  xs.forEach((s, i) => sink.add(s, minimal(s), s.length, i % 11 === 7 ? NO_REASON : i % 11));
}

describe('CRL index file (spilled while streaming, sorted fingerprints, exact rows on disk)', () => {
  it('answers every lookup as the in-memory index does, also after spilling to disk', () => {
    // 700,000 entries overflow the 256 partition buffers of 32 KiB several times over.
    const xs = serials(700_000);
    const mem = new CrlIndexBuilder();
    fill(mem, xs);
    const d = freshDir();
    const w = new SpillingIndexWriter(d);
    fill(w, xs);
    const { index: expected, duplicates: memDuplicates } = mem.finish();
    const { index, duplicates } = w.finish({ name: 'a'.repeat(64) + '.idx', dropRemovals: false });
    expect(duplicates).toBe(memDuplicates);
    expect(index.count).toBe(expected.count);
    const probes = [
      ...xs.slice(0, 2000),
      ...serials(2000, 99),
      Uint8Array.of(0, 0x80),
      Uint8Array.of(0xff),
    ];
    for (const p of probes) expect(index.lookup(p)).toBe(expected.lookup(p));
    // A serial with redundant sign octets is the same integer.
    const s = xs.find((x) => x.length < 10 && (x[0]! & 0x80) === 0)!;
    expect(index.lookup(Uint8Array.of(0, 0, ...s))).toBe(expected.lookup(s));
    // Only the index file is left: no spill file, no temporary file.
    expect(readdirSync(d)).toEqual(['a'.repeat(64) + '.idx']);
    index.close();
  });

  it('keeps within a small memory budget: the bucket table alone, fingerprints read per lookup, same answers', () => {
    const xs = serials(50_000, 7);
    const d = freshDir();
    const w = new SpillingIndexWriter(d);
    fill(w, xs);
    const { index } = w.finish({ name: 'b'.repeat(64) + '.idx', dropRemovals: false });
    const dense = xs.map((x) => index.lookup(x));
    const misses = serials(5000, 8).map((x) => index.lookup(x));
    expect(index.memoryBytes).toBe(index.denseBytes);
    shareMemory([index], 300 * 1024);
    expect(xs.map((x) => index.lookup(x))).toEqual(dense);
    expect(serials(5000, 8).map((x) => index.lookup(x))).toEqual(misses);
    expect(index.memoryBytes).toBeLessThanOrEqual(300 * 1024);
    expect(index.memoryBytes).toBeLessThan(index.denseBytes);
    shareMemory([index], 1 << 30);
    expect(index.lookup(xs[0]!)).toBe(dense[0]);
    expect(index.memoryBytes).toBe(index.denseBytes);
    index.close();
  });

  it('counts repeated serials (first reason kept) and leaves removeFromCRL out of a complete CRL', () => {
    const w = new SpillingIndexWriter(freshDir());
    const a = Uint8Array.of(0x01, 0x02);
    const b = Uint8Array.of(0x00, 0xff); // 255, not -1
    const c = Uint8Array.of(0xff); // -1
    w.add(a, 0, 2, 1);
    w.add(b, 0, 2, REMOVE_FROM_CRL);
    w.add(c, 0, 1, 4);
    w.add(a, 0, 2, 3);
    const { index, duplicates } = w.finish({ name: 'c'.repeat(64) + '.idx', dropRemovals: true });
    expect(duplicates).toBe(1);
    expect(index.count).toBe(2);
    expect(index.lookup(a)).toBe(1);
    expect(index.lookup(b)).toBe(-1);
    expect(index.lookup(c)).toBe(4);
    const seen: string[] = [];
    index.forEachEntry((row, s, e, r) =>
      seen.push(`${Buffer.from(row.subarray(s, e)).toString('hex')}:${r}`),
    );
    expect(seen.sort()).toEqual(['0102:1', 'ff:4']);
    index.close();
  });

  it('discard leaves nothing behind (a CRL whose signature did not verify)', () => {
    const d = freshDir();
    const w = new SpillingIndexWriter(d);
    fill(w, serials(600_000, 3));
    expect(readdirSync(d).length).toBe(1); // the spill file
    w.discard();
    expect(readdirSync(d)).toEqual([]);
  });

  it('a fingerprint shared by two serials is told apart by the exact rows (dense and sparse)', () => {
    // A hand-made file: 64 serials, the row of serial 40 filed under the fingerprint of serial 7
    // (a collision, which no key produces on purpose), sorted by (hi, lo).
    const width = 2;
    const fp = { hi: 0, lo: 0 };
    const rows = Array.from({ length: 64 }, (_, i) => {
      const s = Uint8Array.of(0x10, i);
      const f = fingerprint(s, 0, 2, 11, 22, fp);
      return { s, hi: f.hi, lo: f.lo, reason: i % 10 };
    });
    rows[40]!.hi = rows[7]!.hi;
    rows[40]!.lo = rows[7]!.lo;
    // The colliding row of serial 40 comes first: looking serial 7 up must read past it.
    rows.sort((a, b) => a.hi - b.hi || a.lo - b.lo || b.s[1]! - a.s[1]!);
    const file = path.join(freshDir(), 'g'.repeat(64) + '.idx');
    const buckets = new Uint32Array(BUCKETS + 1);
    for (const r of rows) buckets[(r.hi >>> 16) + 1]!++;
    for (let k = 1; k <= BUCKETS; k++) buckets[k]! += buckets[k - 1]!;
    const fps = Buffer.alloc(rows.length * 8);
    const data = Buffer.alloc(rows.length * (width + 1));
    rows.forEach((r, i) => {
      fps.writeUInt32LE(r.hi, i * 8);
      fps.writeUInt32LE(r.lo, i * 8 + 4);
      data.set([...r.s, r.reason], i * (width + 1));
    });
    const head = encodeHeader({
      width,
      count: 64,
      capacity: 64,
      seed0: 11,
      seed1: 22,
      id: 'g'.repeat(32),
    });
    const table = Buffer.alloc(BUCKET_BYTES);
    Buffer.from(buckets.buffer).copy(table);
    expect(HEADER_BYTES + BUCKET_BYTES).toBe(FPS_OFFSET);
    writeFileSync(file, Buffer.concat([head, table, fps, data]));
    const index = new FileCrlIndex(file);
    for (const budget of [1 << 20, 64]) {
      shareMemory([index], budget);
      expect(index.lookup(Uint8Array.of(0x10, 7))).toBe(7);
      expect(index.lookup(Uint8Array.of(0x10, 33))).toBe(3);
      expect(index.lookup(Uint8Array.of(0x10, 64))).toBe(-1);
    }
    index.close();
  });

  it('an empty CRL gives an empty index file', () => {
    const { index } = new SpillingIndexWriter(freshDir()).finish({
      name: 'd'.repeat(64) + '.idx',
      dropRemovals: true,
    });
    expect(index.count).toBe(0);
    expect(index.lookup(Uint8Array.of(1))).toBe(-1);
    index.close();
  });
});

describe('CRL cache over index files', () => {
  const crl = (count: number, number: number) =>
    makeCrl({ issuerName: ROOT, key: rootKey, crlNumber: number, bulk: { count, reason: 1 } });

  it('persists the entries in one index file beside the database and loads it with one read', async () => {
    const file = path.join(freshDir(), 'station.db');
    const db = openDatabase(file);
    const cache = new CrlCache(new SqliteCrlStore(db), { toleranceHours: 24 });
    await cache.importBytes(crl(20_000, 1), { signers: [rootCert], source: 'test' });
    const files = readdirSync(`${file}-crl`);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{64}\.idx$/);
    // A newer CRL replaces the file after its row is committed.
    await cache.importBytes(crl(20_001, 2), { signers: [rootCert], source: 'test' });
    expect(readdirSync(`${file}-crl`)).toHaveLength(1);
    expect(readdirSync(`${file}-crl`)[0]).not.toBe(files[0]);
    const again = new CrlCache(new SqliteCrlStore(db), { toleranceHours: 24, memoryMb: 1 });
    expect(again.load()).toBe(1);
    expect(again.memoryBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(again.lookup(rootCert, serialFor(20_000))).toMatchObject({
      listed: true,
      reasonCode: 1,
    });
    expect(again.lookup(rootCert, serialFor(20_001))).toMatchObject({ listed: false });
    again.load();
    db.close();
  });

  it('nothing enters the index before the signature verifies: a forged list leaves no file', async () => {
    const file = path.join(freshDir(), 'station.db');
    const db = openDatabase(file);
    const cache = new CrlCache(new SqliteCrlStore(db), { toleranceHours: 24 });
    await cache.importBytes(crl(10, 1), { signers: [rootCert], source: 'test' });
    const before = readdirSync(`${file}-crl`);
    const forged = makeCrl({
      issuerName: ROOT,
      key: makeKey('rsa2048'),
      crlNumber: 2,
      bulk: { count: 400_000, reason: 1 },
    });
    await expect(
      cache.importBytes(forged, { signers: [rootCert], source: 'test' }),
    ).rejects.toMatchObject({ kind: 'bad_signature' });
    expect(readdirSync(`${file}-crl`)).toEqual(before);
    expect(cache.lookup(rootCert, serialFor(5))).toMatchObject({ listed: true });
    expect(cache.lookup(rootCert, serialFor(300_000))).toMatchObject({ listed: false });
    db.close();
  });

  it('a cached CRL whose index file is damaged is left out (fail closed) and reported', async () => {
    const file = path.join(freshDir(), 'station.db');
    const db = openDatabase(file);
    const cache = new CrlCache(new SqliteCrlStore(db), { toleranceHours: 24 });
    await cache.importBytes(crl(1000, 1), { signers: [rootCert], source: 'test' });
    const idx = path.join(`${file}-crl`, readdirSync(`${file}-crl`)[0]!);
    truncateSync(idx, 1000);
    const store = new SqliteCrlStore(db);
    const again = new CrlCache(store, { toleranceHours: 24 });
    expect(again.load()).toBe(0);
    expect(store.problems[0]).toMatch(/incomplete or damaged/);
    expect(again.lookup(rootCert, serialFor(1))).toBeUndefined();
    db.close();
  });

  it('leftovers of an interrupted import are removed once old, a current index never', async () => {
    const file = path.join(freshDir(), 'station.db');
    const db = openDatabase(file);
    const cache = new CrlCache(new SqliteCrlStore(db), { toleranceHours: 24 });
    await cache.importBytes(crl(100, 1), { signers: [rootCert], source: 'test' });
    const folder = `${file}-crl`;
    const current = readdirSync(folder)[0]!;
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const name of ['x.idx.tmp-0123', '.spill-1-abcd', 'e'.repeat(64) + '.idx']) {
      writeFileSync(path.join(folder, name), 'half');
      utimesSync(path.join(folder, name), old, old);
    }
    utimesSync(path.join(folder, current), old, old);
    writeFileSync(path.join(folder, 'fresh.idx.tmp-4567'), 'another import running');
    // Stamped with this process's clock, as the old ones are: the file system's own clock is not
    // the one libfaketime moves (scripts/time-travel.sh), and the sweep compares with Date.now().
    const now = new Date();
    utimesSync(path.join(folder, 'fresh.idx.tmp-4567'), now, now);
    new CrlCache(new SqliteCrlStore(db), { toleranceHours: 24 }).load();
    expect(readdirSync(folder).sort()).toEqual([current, 'fresh.idx.tmp-4567'].sort());
    db.close();
  });

  it('a FileCrlIndex refuses a file of another CRL', async () => {
    const d = freshDir();
    const w = new SpillingIndexWriter(d);
    const { index } = w.finish({ name: 'f'.repeat(64) + '.idx', dropRemovals: true });
    index.close();
    expect(() => new FileCrlIndex(path.join(d, 'f'.repeat(64) + '.idx'), '0'.repeat(64))).toThrow(
      /another CRL/,
    );
  });
});
