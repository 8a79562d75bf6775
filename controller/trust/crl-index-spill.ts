/**
 * Writes the index file of a CRL (crl-index-file.ts) while the CRL streams in, in flat memory
 * whatever the number of entries. Each entry is fingerprinted and appended to one of 256
 * partitions (by the fingerprint's top octet), held in a 32 KiB buffer each and spilled to one
 * temporary file as buffers fill. Nothing becomes an index before `finish`, which the importer
 * calls only after the CRL's signature verified: then each partition is read back alone,
 * radix-sorted on its fingerprints (typed arrays, no object per entry), checked for repeated
 * serials, and appended to the index file; the file is written under a temporary name,
 * fsync'ed and renamed, so a power cut leaves the old index or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { fingerprint, type Fingerprint } from './crl-fingerprint.js';
import {
  BUCKETS,
  encodeHeader,
  FPS_OFFSET,
  FileCrlIndex,
  HEADER_BYTES,
  layout,
} from './crl-index-file.js';
import { REMOVE_FROM_CRL, type IndexWriter } from './crl-index.js';

const PARTITIONS = 256;
const PART_BUFFER = 32 * 1024;
/** A spilled record: hi u32 | lo u32 | serial length | reason | serial octets. */
const RECORD_HEAD = 10;
const OUT_BUFFER = 1 << 20;

/** Writes to `fd` at a position that advances, through a buffer of 1 MiB. */
class BufferedWriter {
  readonly buf = new Uint8Array(OUT_BUFFER);
  #used = 0;
  constructor(
    readonly fd: number,
    public position: number,
  ) {}
  /** Room for n octets: their offset in `buf` (valid until the next call). */
  room(n: number): number {
    if (this.#used + n > this.buf.length) this.flush();
    const at = this.#used;
    this.#used += n;
    return at;
  }
  flush(): void {
    let done = 0;
    while (done < this.#used)
      done += writeSync(this.fd, this.buf, done, this.#used - done, this.position + done);
    this.position += this.#used;
    this.#used = 0;
  }
}

/** Growable scratch arrays reused from partition to partition. */
class Scratch {
  bytes = new Uint8Array(0);
  hi = new Uint32Array(0);
  lo = new Uint32Array(0);
  at = new Uint32Array(0);
  perm = new Uint32Array(0);
  tmp = new Uint32Array(0);
  readonly counts = new Uint32Array(65536 + 1);
  ensure(records: number, bytes: number): void {
    if (this.bytes.length < bytes) this.bytes = new Uint8Array(Math.ceil(bytes * 1.25));
    if (this.hi.length < records) {
      const n = Math.ceil(records * 1.25);
      this.hi = new Uint32Array(n);
      this.lo = new Uint32Array(n);
      this.at = new Uint32Array(n);
      this.perm = new Uint32Array(n);
      this.tmp = new Uint32Array(n);
    }
  }
}

/**
 * LSD radix sort of the record numbers 0..n-1 by fingerprint (hi, lo), in four 16-bit digits
 * (a digit every record shares is skipped); stable, so repeated serials keep their CRL order.
 */
function sortByFingerprint(s: Scratch, n: number): Uint32Array {
  let a = s.perm;
  let b = s.tmp;
  for (let i = 0; i < n; i++) a[i] = i;
  const counts = s.counts;
  for (let pass = 0; pass < 4; pass++) {
    const src = pass < 2 ? s.lo : s.hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((src[a[i]!]! >>> shift) & 0xffff) + 1]!++;
    if (counts[((src[a[0]!]! >>> shift) & 0xffff) + 1] === n) continue;
    for (let d = 1; d <= 65536; d++) counts[d]! += counts[d - 1]!;
    for (let i = 0; i < n; i++) {
      const x = a[i]!;
      b[counts[(src[x]! >>> shift) & 0xffff]!++] = x;
    }
    const t = a;
    a = b;
    b = t;
  }
  return a;
}

/** IndexWriter that spills to a folder and finishes into an index file there. */
export class SpillingIndexWriter implements IndexWriter {
  readonly #dir: string;
  readonly #seed0: number;
  readonly #seed1: number;
  readonly #fp: Fingerprint = { hi: 0, lo: 0 };
  readonly #bufs: (Uint8Array | undefined)[] = new Array(PARTITIONS);
  readonly #used = new Uint32Array(PARTITIONS);
  readonly #records = new Uint32Array(PARTITIONS);
  readonly #spilledBytes = new Float64Array(PARTITIONS);
  /** Per partition: offset, length, offset, length ... of its spilled chunks. */
  readonly #chunks: number[][] = Array.from({ length: PARTITIONS }, () => []);
  #spill: { fd: number; file: string; size: number } | undefined;
  #count = 0;
  #width = 1;
  #closed = false;

  constructor(dir: string) {
    this.#dir = dir;
    const seed = randomBytes(8);
    this.#seed0 = seed.readUInt32LE(0);
    this.#seed1 = seed.readUInt32LE(4);
  }

  get count(): number {
    return this.#count;
  }

  /** EntrySink: one serial (minimal two's complement `serial[start..end)`) and its reason. */
  add(serial: Uint8Array, start: number, end: number, reason: number): void {
    const len = end - start;
    const fp = fingerprint(serial, start, end, this.#seed0, this.#seed1, this.#fp);
    const p = fp.hi >>> 24;
    let buf = this.#bufs[p];
    if (!buf) buf = this.#bufs[p] = new Uint8Array(PART_BUFFER);
    let at = this.#used[p]!;
    if (at + RECORD_HEAD + len > PART_BUFFER) {
      this.#flushPartition(p);
      at = 0;
    }
    buf[at] = fp.hi;
    buf[at + 1] = fp.hi >>> 8;
    buf[at + 2] = fp.hi >>> 16;
    buf[at + 3] = fp.hi >>> 24;
    buf[at + 4] = fp.lo;
    buf[at + 5] = fp.lo >>> 8;
    buf[at + 6] = fp.lo >>> 16;
    buf[at + 7] = fp.lo >>> 24;
    buf[at + 8] = len;
    buf[at + 9] = reason;
    for (let k = 0; k < len; k++) buf[at + RECORD_HEAD + k] = serial[start + k]!;
    this.#used[p] = at + RECORD_HEAD + len;
    this.#records[p]!++;
    if (len > this.#width) this.#width = len;
    this.#count++;
  }

  #flushPartition(p: number): void {
    if (!this.#spill) {
      const file = path.join(this.#dir, `.spill-${process.pid}-${randomBytes(6).toString('hex')}`);
      this.#spill = { fd: openSync(file, 'w+', 0o600), file, size: 0 };
    }
    const n = this.#used[p]!;
    const s = this.#spill;
    let done = 0;
    while (done < n) done += writeSync(s.fd, this.#bufs[p]!, done, n - done, s.size + done);
    this.#chunks[p]!.push(s.size, n);
    this.#spilledBytes[p]! += n;
    s.size += n;
    this.#used[p] = 0;
  }

  /**
   * Sorts and writes the index file `name` in the writer's folder (after the signature
   * verified). Repeated serials are counted (the first entry's reason is kept); with
   * `dropRemovals`, removeFromCRL entries are left out (a complete CRL).
   */
  finish(opts: { name: string; dropRemovals: boolean }): {
    index: FileCrlIndex;
    duplicates: number;
  } {
    if (this.#closed) throw new Error('index writer already finished');
    const final = path.join(this.#dir, opts.name);
    const tmpFile = `${final}.tmp-${randomBytes(6).toString('hex')}`;
    const fd = openSync(tmpFile, 'w', 0o600);
    let duplicates = 0;
    try {
      const w = this.#width;
      const capacity = this.#count;
      const { rowsOffset } = layout({ width: w, count: 0, capacity });
      const fps = new BufferedWriter(fd, FPS_OFFSET);
      const rows = new BufferedWriter(fd, rowsOffset);
      const buckets = new Uint32Array(BUCKETS + 1);
      const s = new Scratch();
      let kept = 0;
      for (let p = 0; p < PARTITIONS; p++) {
        const n = this.#records[p]!;
        if (n === 0) continue;
        const bytes = this.#gather(p, s);
        let at = 0;
        for (let i = 0; i < n; i++) {
          s.hi[i] =
            bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
          s.lo[i] =
            bytes[at + 4]! |
            (bytes[at + 5]! << 8) |
            (bytes[at + 6]! << 16) |
            (bytes[at + 7]! << 24);
          s.hi[i]! >>>= 0;
          s.lo[i]! >>>= 0;
          s.at[i] = at;
          at += RECORD_HEAD + bytes[at + 8]!;
        }
        const order = sortByFingerprint(s, n);
        let runStart = 0;
        for (let j = 0; j < n; j++) {
          const x = order[j]!;
          if (j > 0 && (s.hi[x] !== s.hi[order[j - 1]!] || s.lo[x] !== s.lo[order[j - 1]!]))
            runStart = j;
          if (isRepeat(bytes, s.at, order, runStart, j)) {
            duplicates++;
            continue;
          }
          const r = s.at[x]!;
          const len = bytes[r + 8]!;
          const reason = bytes[r + 9]!;
          if (opts.dropRemovals && reason === REMOVE_FROM_CRL) continue;
          const f = fps.room(8);
          for (let k = 0; k < 8; k++) fps.buf[f + k] = bytes[r + k]!;
          const o = rows.room(w + 1);
          const pad = w - len;
          const sign = bytes[r + RECORD_HEAD]! & 0x80 ? 0xff : 0;
          for (let k = 0; k < pad; k++) rows.buf[o + k] = sign;
          for (let k = 0; k < len; k++) rows.buf[o + pad + k] = bytes[r + RECORD_HEAD + k]!;
          rows.buf[o + w] = reason;
          buckets[(s.hi[x]! >>> 16) + 1]!++;
          kept++;
        }
      }
      fps.flush();
      rows.flush();
      for (let k = 1; k <= BUCKETS; k++) buckets[k]! += buckets[k - 1]!;
      const head = encodeHeader({
        width: w,
        count: kept,
        capacity,
        seed0: this.#seed0,
        seed1: this.#seed1,
        id: opts.name.slice(0, 32),
      });
      writeSync(fd, head, 0, head.length, 0);
      const table = new Uint8Array(buckets.buffer);
      writeSync(fd, table, 0, table.length, HEADER_BYTES);
      ftruncateSync(fd, layout({ width: w, count: kept, capacity }).size);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(tmpFile, { force: true });
      this.discard();
      throw err;
    }
    closeSync(fd);
    this.discard();
    renameSync(tmpFile, final);
    syncDir(this.#dir);
    return { index: new FileCrlIndex(final, opts.name), duplicates };
  }

  /** Partition p's records (spilled chunks, then its buffer) in one scratch buffer. */
  #gather(p: number, s: Scratch): Uint8Array {
    const total = this.#spilledBytes[p]! + this.#used[p]!;
    s.ensure(this.#records[p]!, total);
    const out = s.bytes;
    let at = 0;
    const chunks = this.#chunks[p]!;
    for (let c = 0; c < chunks.length; c += 2) {
      const len = chunks[c + 1]!;
      let done = 0;
      while (done < len)
        done += readSync(this.#spill!.fd, out, at + done, len - done, chunks[c]! + done);
      at += len;
    }
    out.set(this.#bufs[p]!.subarray(0, this.#used[p]!), at);
    return out;
  }

  /** Drops what was spilled (a CRL that did not verify, or after finish). */
  discard(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#spill) {
      closeSync(this.#spill.fd);
      rmSync(this.#spill.file, { force: true });
      this.#spill = undefined;
    }
    this.#bufs.fill(undefined);
  }
}

/** True when sorted record j repeats the serial of an earlier record of its fingerprint run. */
function isRepeat(
  bytes: Uint8Array,
  at: Uint32Array,
  order: Uint32Array,
  runStart: number,
  j: number,
): boolean {
  const a = at[order[j]!]!;
  const len = bytes[a + 8]!;
  for (let i = runStart; i < j; i++) {
    const b = at[order[i]!]!;
    if (bytes[b + 8] !== len) continue;
    let same = true;
    for (let k = 0; k < len; k++)
      if (bytes[a + RECORD_HEAD + k] !== bytes[b + RECORD_HEAD + k]) {
        same = false;
        break;
      }
    if (same) return true;
  }
  return false;
}

/** fsync of a folder, so a rename in it survives a power cut. */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not every file system lets a folder be opened for fsync; the rename itself is atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
