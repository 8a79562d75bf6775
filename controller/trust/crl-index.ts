/**
 * The compact revoked-serial index: no object per entry. Rows of fixed width in one buffer,
 * sorted; each row is the serial in two's complement, right-aligned in `width` bytes and
 * sign-extended (0x00 for positive, 0xff for negative serials, so 255 = `00 ff` and -1 = `ff ff`
 * stay apart: serials compare as signed integers), followed by one byte of CRLReason (0xff: no
 * reasonCode extension). Rows sort by their bytes, which orders positives among themselves.
 * A 64 Ki bucket table over the first two bytes after the common prefix narrows the binary
 * search to a handful of rows. The rows buffer is what gets persisted; loading it back needs
 * no parsing, only the bucket table (one pass).
 */

import { isRedundantSign } from './crl-fingerprint.js';

/** The revoked serials of one cached CRL, however they are held (memory, or an index file). */
export interface RevokedSerials {
  readonly count: number;
  /**
   * Looks a serial up (INTEGER contents in two's complement; redundant sign octets ignored).
   * Returns the reason byte when listed (NO_REASON when the entry had none), else -1.
   */
  lookup(serial: Uint8Array): number;
  /** Every entry: its minimal serial octets `row[start..end)` and its reason byte. */
  forEachEntry(fn: (row: Uint8Array, start: number, end: number, reason: number) => void): void;
  /** Releases what it holds (an index file); lookups end. */
  close(): void;
}

/** Where a CRL's entries go while it streams in (crl-parser.ts). */
export interface EntrySink {
  /** One serial (minimal two's complement `serial[start..end)`) with its reason byte. */
  add(serial: Uint8Array, start: number, end: number, reason: number): void;
  readonly count: number;
}

/**
 * An EntrySink that becomes a RevokedSerials once the CRL's signature verified (`finish`), or
 * leaves nothing behind (`discard`).
 */
export interface IndexWriter extends EntrySink {
  /**
   * The sorted index; repeated serials are counted (the first entry's reason is kept). With
   * `dropRemovals`, removeFromCRL entries are left out (a complete CRL). `name` identifies the
   * result (the file name of an on-disk index).
   */
  finish(opts: { name: string; dropRemovals: boolean }): {
    index: RevokedSerials;
    duplicates: number;
  };
  discard(): void;
}

/** Reason byte for entries without a reasonCode extension. */
export const NO_REASON = 0xff;
/** CRLReason removeFromCRL (RFC 5280 §5.3.1): only meaningful in delta CRLs. */
export const REMOVE_FROM_CRL = 8;
/** Longest serial accepted, in octets (RFC 5280 §4.1.2.2 allows 20; some CAs exceed it). */
export const MAX_SERIAL_OCTETS = 32;

function compareRows(a: Uint8Array, ai: number, b: Uint8Array, bi: number, n: number): number {
  for (let k = 0; k < n; k++) {
    const d = a[ai + k]! - b[bi + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** A sorted, de-duplicated set of revoked serials with their reasons, in memory. Immutable. */
export class CrlIndex implements RevokedSerials {
  /** Octets per row (width + 1). */
  readonly rowSize: number;
  readonly count: number;
  /** Length of the prefix all rows share (bucket key starts after it). */
  readonly #prefix: number;
  /** Bytes in the bucket key (0, 1 or 2). */
  readonly #keyBytes: number;
  readonly #buckets: Uint32Array | undefined;
  readonly #scratch: Uint8Array;

  /** Wraps rows (already sorted and unique). Builds the bucket table: one pass, no parsing. */
  constructor(
    readonly width: number,
    readonly rows: Uint8Array,
  ) {
    this.rowSize = width + 1;
    if (rows.length % this.rowSize !== 0) throw new RangeError('index rows do not match the width');
    this.count = rows.length / this.rowSize;
    this.#scratch = new Uint8Array(width);
    let prefix = 0;
    if (this.count > 1) {
      const last = (this.count - 1) * this.rowSize;
      while (prefix < width && rows[prefix] === rows[last + prefix]) prefix++;
    } else prefix = width;
    this.#prefix = prefix;
    this.#keyBytes = Math.min(2, width - prefix);
    if (this.#keyBytes > 0 && this.count > 16) {
      const size = this.#keyBytes === 2 ? 65536 : 256;
      const b = new Uint32Array(size + 1);
      const R = this.rowSize;
      for (let i = 0, at = prefix; i < this.count; i++, at += R) {
        const key = this.#keyBytes === 2 ? (rows[at]! << 8) | rows[at + 1]! : rows[at]!;
        b[key + 1]!++;
      }
      for (let k = 1; k <= size; k++) b[k]! += b[k - 1]!;
      this.#buckets = b;
    }
  }

  /** An empty index. */
  static empty(): CrlIndex {
    return new CrlIndex(1, new Uint8Array(0));
  }

  /**
   * Looks a serial up (INTEGER contents in two's complement; redundant sign octets are
   * ignored, see canonicalInteger).
   * Returns the reason byte when listed (NO_REASON when the entry had none), else -1.
   */
  lookup(serial: Uint8Array): number {
    const w = this.width;
    let len = serial.length;
    let off = 0;
    while (len > 1 && isRedundantSign(serial[off]!, serial[off + 1]!)) {
      off++;
      len--;
    }
    if (len > w || this.count === 0) return -1;
    const s = this.#scratch;
    const pad = w - len;
    const fill = signFill(serial[off] ?? 0);
    for (let k = 0; k < pad; k++) s[k] = fill;
    for (let k = 0; k < len; k++) s[pad + k] = serial[off + k]!;
    const rows = this.rows;
    const R = this.rowSize;
    const p = this.#prefix;
    for (let k = 0; k < p; k++) if (s[k] !== rows[k]) return -1;
    let lo = 0;
    let hi = this.count;
    const b = this.#buckets;
    if (b) {
      const key = this.#keyBytes === 2 ? (s[p]! << 8) | s[p + 1]! : s[p]!;
      lo = b[key]!;
      hi = b[key + 1]!;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = mid * R;
      let d = 0;
      for (let k = p; k < w; k++) {
        d = rows[at + k]! - s[k]!;
        if (d !== 0) break;
      }
      if (d === 0) return rows[at + w]!;
      if (d < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  forEachEntry(fn: (row: Uint8Array, start: number, end: number, reason: number) => void): void {
    const w = this.width;
    for (let i = 0, at = 0; i < this.count; i++, at += this.rowSize) {
      let k = at;
      while (k < at + w - 1 && isRedundantSign(this.rows[k]!, this.rows[k + 1]!)) k++;
      fn(this.rows, k, at + w, this.rows[at + w]!);
    }
  }

  close(): void {}

  /** Serial (canonical bytes) and reason of row i, for listings and tests. */
  entry(i: number): { serial: Uint8Array; reason: number } {
    const at = i * this.rowSize;
    let k = 0;
    while (k < this.width - 1 && isRedundantSign(this.rows[at + k]!, this.rows[at + k + 1]!)) k++;
    return {
      serial: this.rows.slice(at + k, at + this.width),
      reason: this.rows[at + this.width]!,
    };
  }

  /**
   * Applies a delta CRL's index (RFC 5280 §5.2.4): entries listed in the delta are added (or
   * replace the base entry's reason); entries with reason removeFromCRL are taken out.
   * Returns a new index; one linear merge, no object per entry.
   */
  merge(delta: CrlIndex): CrlIndex {
    const w = Math.max(this.width, delta.width);
    const R = w + 1;
    const out = new Uint8Array((this.count + delta.count) * R);
    const a = widen(this, w);
    const b = widen(delta, w);
    let i = 0;
    let j = 0;
    let n = 0;
    const put = (src: Uint8Array, idx: number) => {
      out.set(src.subarray(idx * R, idx * R + R), n * R);
      n++;
    };
    while (i < this.count || j < delta.count) {
      const c = i >= this.count ? 1 : j >= delta.count ? -1 : compareRows(a, i * R, b, j * R, w);
      if (c < 0) put(a, i++);
      else {
        if (b[j * R + w] !== REMOVE_FROM_CRL) put(b, j);
        j++;
        if (c === 0) i++;
      }
    }
    return new CrlIndex(w, out.slice(0, n * R));
  }
}

/**
 * Room for rows that are written in full before they are read: not zero-filled, so the pages
 * of a generous reservation that are never used are never touched (nor resident).
 */
function reserve(bytes: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(bytes);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The octet that sign-extends a two's-complement value whose first octet is `first`. */
function signFill(first: number): number {
  return first & 0x80 ? 0xff : 0;
}

/** Copies rows of width `from` into `out` (rows of width `to` >= from), sign-extending each. */
function widenRows(rows: Uint8Array, count: number, from: number, to: number, out: Uint8Array) {
  const shift = to - from;
  for (let i = 0; i < count; i++) {
    const src = i * (from + 1);
    const dst = i * (to + 1);
    out.fill(signFill(rows[src]!), dst, dst + shift);
    out.set(rows.subarray(src, src + from + 1), dst + shift);
  }
}

function widen(idx: CrlIndex, w: number): Uint8Array {
  if (idx.width === w) return idx.rows;
  const out = new Uint8Array(idx.count * (w + 1));
  widenRows(idx.rows, idx.count, idx.width, w, out);
  return out;
}

/**
 * Rows written by an older station (format 0: serial magnitudes, zero padded, no sign) in the
 * signed layout: one more octet of width, zero, so every old row stays a positive serial.
 */
export function fromUnsignedRows(width: number, rows: Uint8Array): CrlIndex {
  const count = rows.length / (width + 1);
  const out = new Uint8Array(count * (width + 2));
  for (let i = 0; i < count; i++)
    out.set(rows.subarray(i * (width + 1), (i + 1) * (width + 1)), i * (width + 2) + 1);
  return new CrlIndex(width + 1, out);
}

/**
 * Collects serials while a CRL streams past (one fixed-width row each, in a growable buffer),
 * then sorts (LSD radix sort on a permutation, skipping byte positions that never vary) and
 * removes duplicates. Already-sorted input (OpenSSL sorts its CRLs) skips the sort.
 */
export class CrlIndexBuilder implements IndexWriter {
  #width: number;
  #rows: Uint8Array;
  #count = 0;
  #sorted = true;
  #adjacentDuplicates = 0;

  constructor(capacityHint = 1024, width = 8) {
    this.#width = width;
    this.#rows = reserve(Math.max(16, capacityHint) * (width + 1));
  }

  get count(): number {
    return this.#count;
  }

  /**
   * Adds one serial (minimal two's-complement bytes `serial[serialStart..serialEnd)`, at most
   * MAX_SERIAL_OCTETS) with its reason byte.
   */
  add(serial: Uint8Array, serialStart: number, serialEnd: number, reason: number): void {
    const len = serialEnd - serialStart;
    if (len > this.#width) this.#widen(len);
    const w = this.#width;
    const R = w + 1;
    let at = this.#count * R;
    if (at + R > this.#rows.length) {
      const bigger = reserve(this.#rows.length * 2);
      bigger.set(this.#rows.subarray(0, at));
      this.#rows = bigger;
    }
    const rows = this.#rows;
    const pad = w - len;
    const fill = signFill(serial[serialStart]!);
    for (let k = 0; k < pad; k++) rows[at + k] = fill;
    for (let k = 0; k < len; k++) rows[at + pad + k] = serial[serialStart + k]!;
    rows[at + w] = reason;
    if (this.#count > 0 && this.#sorted) {
      const prev = at - R;
      let d = 0;
      for (let k = 0; k < w; k++) {
        d = rows[at + k]! - rows[prev + k]!;
        if (d !== 0) break;
      }
      if (d < 0) this.#sorted = false;
      else if (d === 0) this.#adjacentDuplicates++;
    }
    at += R;
    this.#count++;
  }

  #widen(len: number): void {
    const old = this.#width;
    const w = Math.max(len, old);
    const R = w + 1;
    const out = reserve(Math.max(this.#rows.length / (old + 1), 16) * R);
    widenRows(this.#rows, this.#count, old, w, out);
    this.#rows = out;
    this.#width = w;
  }

  /**
   * Sorts, removes duplicate serials (the first entry's reason is kept), returns the index;
   * with `dropRemovals`, without removeFromCRL entries.
   */
  finish(opts?: { dropRemovals?: boolean }): { index: CrlIndex; duplicates: number } {
    const r = this.#finish();
    return opts?.dropRemovals ? { ...r, index: withoutRemovals(r.index) } : r;
  }

  discard(): void {
    this.#rows = new Uint8Array(0);
    this.#count = 0;
  }

  #finish(): { index: CrlIndex; duplicates: number } {
    const w = this.#width;
    const R = w + 1;
    const n = this.#count;
    let rows = this.#rows.subarray(0, n * R);
    if (!this.#sorted) rows = sortRowsInPlace(rows, n, w);
    else if (this.#adjacentDuplicates === 0) {
      // A view, not a copy: the reserved but unused tail was never touched.
      return { index: new CrlIndex(w, rows), duplicates: 0 };
    }
    // De-duplicate in place.
    let out = 0;
    for (let i = 0; i < n; i++) {
      if (out > 0 && compareRows(rows, i * R, rows, (out - 1) * R, w) === 0) continue;
      if (out !== i) rows.copyWithin(out * R, i * R, i * R + R);
      out++;
    }
    return { index: new CrlIndex(w, rows.subarray(0, out * R)), duplicates: n - out };
  }
}

function hasRemovals(index: CrlIndex): boolean {
  for (let i = 0; i < index.count; i++)
    if (index.rows[i * index.rowSize + index.width] === REMOVE_FROM_CRL) return true;
  return false;
}

/** removeFromCRL belongs in delta CRLs only; in a complete CRL it means "not revoked". */
function withoutRemovals(index: CrlIndex): CrlIndex {
  return hasRemovals(index) ? CrlIndex.empty().merge(index) : index;
}

/**
 * Applies a delta CRL's entries to a base (RFC 5280 §5.2.4) into `out`: base entries the delta
 * does not list, then the delta's entries except those with reason removeFromCRL. Works on any
 * RevokedSerials, so a 10,000,000-entry base streams from its file.
 */
export function mergeDelta(base: RevokedSerials, delta: RevokedSerials, out: EntrySink): void {
  base.forEachEntry((row, start, end, reason) => {
    if (delta.lookup(row.subarray(start, end)) < 0) out.add(row, start, end, reason);
  });
  delta.forEachEntry((row, start, end, reason) => {
    if (reason !== REMOVE_FROM_CRL) out.add(row, start, end, reason);
  });
}

/**
 * Insertion sort of rows lo..hi-1 (width w + 1 reason byte) on key bytes p..w-1, stable; `row`
 * is scratch space of w + 1 bytes. The finishing step of both radix sorts.
 */
function insertionSortRows(
  rows: Uint8Array,
  w: number,
  lo: number,
  hi: number,
  p: number,
  row: Uint8Array,
): void {
  const R = w + 1;
  for (let i = lo + 1; i < hi; i++) {
    const at = i * R;
    for (let k = 0; k < R; k++) row[k] = rows[at + k]!;
    let j = i - 1;
    for (; j >= lo; j--) {
      const bj = j * R;
      let d = 0;
      for (let k = p; k < w; k++) {
        d = rows[bj + k]! - row[k]!;
        if (d !== 0) break;
      }
      if (d <= 0) break;
      for (let k = 0; k < R; k++) rows[bj + R + k] = rows[bj + k]!;
    }
    const to = (j + 1) * R;
    if (to !== at) for (let k = 0; k < R; k++) rows[to + k] = row[k]!;
  }
}

/**
 * MSD radix sort of n rows of width w (+1 reason byte), keyed on the w serial bytes: rows are
 * scattered into buckets by the next one or two key bytes (a digit where every row agrees is
 * skipped without moving anything), buckets of up to 32 rows finish with insertion sort.
 * Stable. Works on the rows buffer plus one scratch buffer of the same size; no object per row.
 */
export function radixSortRows(rows: Uint8Array, n: number, w: number, from = 0): Uint8Array {
  const R = w + 1;
  const tmp = new Uint8Array(n * R);
  const row = new Uint8Array(R);
  const insertion = (lo: number, hi: number, p: number) =>
    insertionSortRows(rows, w, lo, hi, p, row);
  const sort = (lo: number, hi: number, p: number): void => {
    for (;;) {
      const count = hi - lo;
      if (count < 2 || p >= w) return;
      if (count <= 32) return insertion(lo, hi, p);
      const two = p + 1 < w && count > 1 << 18;
      const size = two ? 65536 : 256;
      const counts = new Uint32Array(size + 1);
      for (let i = lo, at = lo * R + p; i < hi; i++, at += R) {
        const d = two ? (rows[at]! << 8) | rows[at + 1]! : rows[at]!;
        counts[d + 1]!++;
      }
      let single = false;
      for (let d = 1; d <= size; d++) {
        if (counts[d] === count) single = true;
        if (counts[d] !== 0) break;
      }
      if (single) {
        p += two ? 2 : 1;
        continue;
      }
      for (let d = 1; d <= size; d++) counts[d]! += counts[d - 1]!;
      const next = counts.slice();
      for (let i = lo, at = lo * R; i < hi; i++, at += R) {
        const d = two ? (rows[at + p]! << 8) | rows[at + p + 1]! : rows[at + p]!;
        const to = (lo + next[d]!++) * R;
        for (let k = 0; k < R; k++) tmp[to + k] = rows[at + k]!;
      }
      rows.set(tmp.subarray(lo * R, hi * R), lo * R);
      const q = p + (two ? 2 : 1);
      for (let d = 0; d < size; d++) {
        const a = lo + counts[d]!;
        const b = lo + counts[d + 1]!;
        if (b - a > 1) sort(a, b, q);
      }
      return;
    }
  };
  sort(0, n, from);
  return rows;
}

/**
 * Sorts rows by serial: the first five varying key bytes and the row number are packed into
 * one 64-bit word per row (written byte-wise, no BigInt objects) and sorted by the engine's
 * native typed-array sort; rows are then gathered once, and runs that tie on those five bytes
 * are finished by radixSortRows on the remaining bytes. Stable.
 */
export function sortRows(rows: Uint8Array, n: number, w: number): Uint8Array {
  const R = w + 1;
  if (n > 0xffffff) return radixSortRows(rows, n, w);
  // First key position where the rows differ.
  let p0 = 0;
  for (; p0 < w; p0++) {
    const v = rows[p0]!;
    let same = true;
    for (let i = 1, at = R + p0; i < n; i++, at += R) {
      if (rows[at] !== v) {
        same = false;
        break;
      }
    }
    if (!same) break;
  }
  if (p0 >= w) return rows;
  const words = new BigUint64Array(n);
  const b = new Uint8Array(words.buffer);
  for (let i = 0, at = 0, o = 0; i < n; i++, at += R, o += 8) {
    b[o] = i & 0xff;
    b[o + 1] = (i >>> 8) & 0xff;
    b[o + 2] = i >>> 16;
    for (let k = 0; k < 5; k++) b[o + 7 - k] = p0 + k < w ? rows[at + p0 + k]! : 0;
  }
  words.sort();
  const out = new Uint8Array(n * R);
  for (let i = 0, o = 0, x = 0; i < n; i++, o += R, x += 8) {
    const src = (b[x]! | (b[x + 1]! << 8) | (b[x + 2]! << 16)) * R;
    for (let k = 0; k < R; k++) out[o + k] = rows[src + k]!;
  }
  if (p0 + 5 < w) {
    // Finish runs that tie on the packed bytes.
    let start = 0;
    for (let i = 1; i <= n; i++) {
      let tie = i < n;
      if (tie) for (let k = 3; k < 8; k++) if (b[i * 8 + k] !== b[start * 8 + k]) tie = false;
      if (!tie) {
        if (i - start > 1) {
          const run = out.subarray(start * R, i * R);
          radixSortRows(run, i - start, w, p0 + 5);
        }
        start = i;
      }
    }
  }
  return out;
}

/**
 * In-place MSD radix sort (American flag sort) of n rows of width w (+1 reason byte), keyed on
 * the w serial bytes: per digit, rows are counted into 256 buckets and then permuted by
 * following cycles (one row in hand at a time); a digit where every row agrees is skipped;
 * buckets of up to 32 rows finish with insertion sort. Needs no second buffer, so a 10 M-entry
 * index sorts in the memory it already occupies. Not stable (equal serials are duplicates and
 * make the CRL unusable anyway).
 */
export function sortRowsInPlace(rows: Uint8Array, n: number, w: number): Uint8Array {
  const R = w + 1;
  const hand = new Uint8Array(R);
  const swap = new Uint8Array(R);
  const insertion = (lo: number, hi: number, p: number) =>
    insertionSortRows(rows, w, lo, hi, p, hand);
  const counts = new Uint32Array(256);
  const next = new Uint32Array(256);
  const ends = new Uint32Array(256);
  const sort = (lo: number, hi: number, p: number): void => {
    for (;;) {
      const count = hi - lo;
      if (count < 2 || p >= w) return;
      if (count <= 32) return insertion(lo, hi, p);
      counts.fill(0);
      for (let i = lo, at = lo * R + p; i < hi; i++, at += R) counts[rows[at]!]!++;
      if (counts[rows[lo * R + p]!] === count) {
        p++;
        continue;
      }
      const starts = new Uint32Array(257);
      for (let d = 0, s = lo; d < 256; d++) {
        starts[d] = s;
        next[d] = s;
        s += counts[d]!;
        ends[d] = s;
      }
      starts[256] = hi;
      for (let d = 0; d < 256; d++) {
        while (next[d]! < ends[d]!) {
          const i = next[d]!;
          let b = rows[i * R + p]!;
          if (b === d) {
            next[d]!++;
            continue;
          }
          // Follow the cycle: the row in hand goes to the next free slot of its bucket.
          for (let k = 0; k < R; k++) hand[k] = rows[i * R + k]!;
          while (b !== d) {
            const j = next[b]!++;
            const at = j * R;
            for (let k = 0; k < R; k++) swap[k] = rows[at + k]!;
            for (let k = 0; k < R; k++) rows[at + k] = hand[k]!;
            for (let k = 0; k < R; k++) hand[k] = swap[k]!;
            b = hand[p]!;
          }
          for (let k = 0; k < R; k++) rows[i * R + k] = hand[k]!;
          next[d]!++;
        }
      }
      for (let d = 0; d < 256; d++)
        if (starts[d + 1]! - starts[d]! > 1) sort(starts[d]!, starts[d + 1]!, p + 1);
      return;
    }
  };
  sort(0, n, 0);
  return rows;
}
