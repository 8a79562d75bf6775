/**
 * The on-disk index of one cached CRL and its lookup structure in memory. The file is written
 * once (crl-index-spill.ts), atomically, and never changed:
 *
 *   offset 0     header, 64 octets, little-endian u32 fields:
 *                "JPKICRLX" | version 1 | width | count | capacity | seed0 | seed1 | id (16) | 0..
 *   offset 64    bucket table: (65536 + 1) u32, start of each run of fingerprints sharing their
 *                top 16 bits, padded to a multiple of 8 octets
 *   fpsOffset    fingerprints (crl-fingerprint.ts), `capacity` slots of 8 octets (u32 hi, u32 lo),
 *                the first `count` used, sorted by (hi, lo) unsigned
 *   rowsOffset   = fpsOffset + 8 * capacity: `count` rows of width + 1 octets, row i the exact
 *                serial of fingerprint i (two's complement, right-aligned, sign-extended) and its
 *                CRLReason octet (0xff: none)
 *
 * Only the fingerprints are held in memory (8 octets per entry, read with one read) with the
 * bucket table; when they exceed the memory given to this index, only the bucket table (256 KiB)
 * stays, and a lookup reads its bucket's fingerprints (about count / 65536 of them: a few
 * hundred at 10,000,000 entries, one read) from the file. A fingerprint hit is confirmed
 * against the exact row on disk.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fingerprint, minimalStart, type Fingerprint } from './crl-fingerprint.js';
import type { RevokedSerials } from './crl-index.js';

export const INDEX_MAGIC = 'JPKICRLX';
export const INDEX_VERSION = 1;
export const HEADER_BYTES = 64;
export const BUCKETS = 65536;
/** The bucket table padded to 8 octets. */
export const BUCKET_BYTES = Math.ceil(((BUCKETS + 1) * 4) / 8) * 8;
export const FPS_OFFSET = HEADER_BYTES + BUCKET_BYTES;

/** The header fields. */
export interface IndexFileHeader {
  width: number;
  count: number;
  capacity: number;
  seed0: number;
  seed1: number;
  /** 32 hex digits naming what the file indexes (the first half of the CRL's derSha256). */
  id: string;
}

/** Encodes the header. */
export function encodeHeader(h: IndexFileHeader): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.write(INDEX_MAGIC, 0, 'latin1');
  b.writeUInt32LE(INDEX_VERSION, 8);
  b.writeUInt32LE(h.width, 12);
  b.writeUInt32LE(h.count, 16);
  b.writeUInt32LE(h.capacity, 20);
  b.writeUInt32LE(h.seed0 >>> 0, 24);
  b.writeUInt32LE(h.seed1 >>> 0, 28);
  Buffer.from(h.id.padEnd(32, '0').slice(0, 32), 'hex').copy(b, 32);
  return b;
}

/** Where the rows start, and the whole file's size. */
export function layout(h: Pick<IndexFileHeader, 'width' | 'count' | 'capacity'>) {
  const rowsOffset = FPS_OFFSET + h.capacity * 8;
  return { rowsOffset, size: rowsOffset + h.count * (h.width + 1) };
}

/** A file that is not a complete index of this version. */
export class IndexFileError extends Error {}

function readExactly(fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new IndexFileError('index file is shorter than its header says');
    done += n;
  }
}

/** A cached CRL's entries, looked up through its index file. */
export class FileCrlIndex implements RevokedSerials {
  readonly count: number;
  readonly width: number;
  readonly #fd: number;
  readonly #seed0: number;
  readonly #seed1: number;
  readonly #rowsOffset: number;
  readonly #row: Uint8Array;
  readonly #query: Uint8Array;
  readonly #fp: Fingerprint = { hi: 0, lo: 0 };
  /** The bucket table (both modes) and, dense, every fingerprint as [hi, lo] pairs. */
  #buckets: Uint32Array | undefined;
  #fps: Uint32Array | undefined;
  /** Bucket mode: the fingerprints of one bucket read from the file. */
  #block = new Uint32Array(0);
  #memoryBytes = 0;
  #budget = Number.POSITIVE_INFINITY;

  /** Opens an index file (reads its header only; `prepare` builds the lookup structure). */
  constructor(
    readonly file: string,
    expectedId?: string,
  ) {
    this.#fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(HEADER_BYTES);
      readExactly(this.#fd, head, 0);
      if (head.toString('latin1', 0, 8) !== INDEX_MAGIC || head.readUInt32LE(8) !== INDEX_VERSION)
        throw new IndexFileError(`${file} is not a CRL index of version ${INDEX_VERSION}`);
      this.width = head.readUInt32LE(12);
      this.count = head.readUInt32LE(16);
      const capacity = head.readUInt32LE(20);
      this.#seed0 = head.readUInt32LE(24);
      this.#seed1 = head.readUInt32LE(28);
      const id = head.toString('hex', 32, 48);
      if (expectedId !== undefined && id !== expectedId.slice(0, 32))
        throw new IndexFileError(`${file} indexes another CRL`);
      const { rowsOffset, size } = layout({ width: this.width, count: this.count, capacity });
      if (this.width < 1 || capacity < this.count || fstatSync(this.#fd).size !== size)
        throw new IndexFileError(`${file} is incomplete or damaged`);
      this.#rowsOffset = rowsOffset;
      this.#row = new Uint8Array(this.width + 1);
      this.#query = new Uint8Array(this.width);
    } catch (err) {
      closeSync(this.#fd);
      throw err;
    }
  }

  /** Bytes this index's lookup structure needs in memory when dense. */
  get denseBytes(): number {
    return this.count * 8 + BUCKET_BYTES;
  }

  /** Bytes its lookup structure holds now. */
  get memoryBytes(): number {
    return this.#memoryBytes;
  }

  /**
   * Sets the memory for the lookup structure, built on the next lookup (a structure built for
   * more memory is dropped now).
   */
  budget(memoryBytes: number): void {
    this.#budget = memoryBytes;
    if (this.#memoryBytes > memoryBytes) this.#drop();
  }

  #drop(): void {
    this.#fps = undefined;
    this.#buckets = undefined;
    this.#block = new Uint32Array(0);
    this.#memoryBytes = 0;
  }

  /**
   * Builds the lookup structure within `memoryBytes`: the bucket table and all fingerprints
   * with one read when they fit, else the bucket table alone (its 256 KiB are the least any
   * budget gets).
   */
  prepare(memoryBytes: number): void {
    this.#budget = memoryBytes;
    const dense = this.denseBytes <= memoryBytes;
    if (this.#buckets && dense === (this.#fps !== undefined)) return;
    this.#drop();
    const all = new Uint8Array(dense ? this.denseBytes : BUCKET_BYTES);
    readExactly(this.#fd, all, HEADER_BYTES);
    this.#buckets = new Uint32Array(all.buffer, 0, BUCKETS + 1);
    if (dense) this.#fps = new Uint32Array(all.buffer, BUCKET_BYTES, this.count * 2);
    this.#memoryBytes = all.byteLength;
  }

  /** Bucket mode: reads the fingerprints of positions a..b-1 into the block. */
  #readBlock(a: number, b: number): Uint32Array {
    if (this.#block.length < (b - a) * 2) {
      this.#memoryBytes += (b - a) * 8 - this.#block.byteLength;
      this.#block = new Uint32Array((b - a) * 2);
    }
    readExactly(this.#fd, new Uint8Array(this.#block.buffer, 0, (b - a) * 8), FPS_OFFSET + a * 8);
    return this.#block;
  }

  /** RevokedSerials: the reason byte when listed (NO_REASON without one), else -1. */
  lookup(serial: Uint8Array): number {
    if (!this.#buckets) this.prepare(this.#budget);
    const s0 = minimalStart(serial, 0, serial.length);
    const len = serial.length - s0;
    if (len === 0 || len > this.width || this.count === 0) return -1;
    const { hi, lo } = fingerprint(serial, s0, serial.length, this.#seed0, this.#seed1, this.#fp);
    // Every fingerprint sharing the top 16 bits lies in one bucket, equal ones side by side.
    const k = hi >>> 16;
    const a = this.#buckets![k]!;
    const b = this.#buckets![k + 1]!;
    if (a === b) return -1;
    // Dense: positions index the fingerprints in memory; bucket mode: the block read now.
    const fps = this.#fps ?? this.#readBlock(a, b);
    const base = this.#fps ? 0 : a;
    let x = a;
    let y = b;
    while (x < y) {
      const m = (x + y) >>> 1;
      const h = fps[(m - base) * 2]!;
      if (h < hi || (h === hi && fps[(m - base) * 2 + 1]! < lo)) x = m + 1;
      else y = m;
    }
    const q = this.#query;
    const w = this.width;
    q.fill(serial[s0]! & 0x80 ? 0xff : 0, 0, w - len);
    q.set(serial.subarray(s0), w - len);
    for (let i = x; i < b && fps[(i - base) * 2] === hi && fps[(i - base) * 2 + 1] === lo; i++) {
      readExactly(this.#fd, this.#row, this.#rowsOffset + i * (w + 1));
      let same = true;
      for (let j = 0; j < w; j++)
        if (this.#row[j] !== q[j]) {
          same = false;
          break;
        }
      if (same) return this.#row[w]!;
    }
    return -1;
  }

  /** RevokedSerials: every entry (minimal serial octets and reason), read block by block. */
  forEachEntry(fn: (row: Uint8Array, start: number, end: number, reason: number) => void): void {
    const R = this.width + 1;
    const perBlock = Math.max(1, Math.floor((1 << 20) / R));
    const buf = new Uint8Array(perBlock * R);
    for (let i = 0; i < this.count; i += perBlock) {
      const n = Math.min(perBlock, this.count - i);
      readExactly(this.#fd, buf.subarray(0, n * R), this.#rowsOffset + i * R);
      for (let k = 0, at = 0; k < n; k++, at += R)
        fn(buf, minimalStart(buf, at, at + this.width), at + this.width, buf[at + this.width]!);
    }
  }

  /** Releases the file and the lookup structure. */
  close(): void {
    this.#drop();
    closeSync(this.#fd);
  }
}

/**
 * Splits a memory budget between index files: each dense when all fit, else each a share in
 * proportion to its entries (bucket mode where its share is too small).
 */
export function shareMemory(
  indexes: readonly FileCrlIndex[],
  totalBytes: number,
  eager = true,
): void {
  const dense = indexes.reduce((n, x) => n + x.denseBytes, 0);
  const entries = indexes.reduce((n, x) => n + x.count, 0);
  for (const x of indexes) {
    const share =
      dense <= totalBytes
        ? x.denseBytes
        : Math.floor((totalBytes * x.count) / Math.max(1, entries));
    if (eager) x.prepare(share);
    else x.budget(share);
  }
}
