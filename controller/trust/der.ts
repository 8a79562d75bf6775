/**
 * A small, bounds-checked DER reader (ITU-T X.690 §8, §10): just what certificates and CRLs
 * need. Every read checks the length against the enclosing element and the buffer, so broken
 * input throws DerError and never reads out of range.
 */
import { DerError } from './errors.js';

/** Universal tags used by X.509 (X.690 §8.1.2, single-octet form). */
export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Enumerated: 0x0a,
  Utf8String: 0x0c,
  Sequence: 0x30,
  Set: 0x31,
  PrintableString: 0x13,
  TeletexString: 0x14,
  Ia5String: 0x16,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BmpString: 0x1e,
} as const;

/** One decoded tag-length-value header: where the element and its contents lie. */
export interface Tlv {
  tag: number;
  /** Offset of the tag octet. */
  start: number;
  /** Offset of the first content octet. */
  valueStart: number;
  /** Content length in octets. */
  length: number;
  /** Offset just past the element. */
  end: number;
}

/** Longest definite length we accept: 2^31-1 (far beyond any CRL this station imports). */
const MAX_LENGTH = 0x7fffffff;

/**
 * Decodes the header at `offset`. X.690 §8.1.3: definite form only (DER, §10.1); the long
 * form carries 1-4 length octets here. The element must end at or before `limit`; when it
 * would end past the buffer the input is `truncated`, past `limit` it has a `bad_length`.
 */
export function readHeader(buf: Uint8Array, offset: number, limit: number = buf.length): Tlv {
  const h = tryReadHeader(buf, offset, limit);
  if (h === undefined) throw new DerError('truncated', 'DER header cut short', offset);
  if (h.end > buf.length) {
    if (h.end > limit) throw new DerError('bad_length', 'length runs past its container', offset);
    throw new DerError('truncated', 'DER element cut short', offset);
  }
  return h;
}

/**
 * Like readHeader but returns undefined when the header is incomplete in `buf`, and does not
 * require the contents to be present (streaming). Still throws on a malformed header or a
 * length past `limit`.
 */
export function tryReadHeader(buf: Uint8Array, offset: number, limit: number): Tlv | undefined {
  if (offset + 2 > limit) throw new DerError('truncated', 'DER header cut short', offset);
  if (offset + 2 > buf.length) return undefined;
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f)
    throw new DerError('bad_tag', 'multi-octet tags are not used in X.509', offset);
  const first = buf[offset + 1]!;
  let length: number;
  let valueStart: number;
  if (first < 0x80) {
    length = first;
    valueStart = offset + 2;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw new DerError('bad_length', 'indefinite length is not DER', offset);
    if (n > 4) throw new DerError('bad_length', `length field of ${n} octets is oversized`, offset);
    if (offset + 2 + n > buf.length) {
      if (offset + 2 + n > limit) throw new DerError('truncated', 'DER header cut short', offset);
      return undefined;
    }
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[offset + 2 + i]!;
    if (length > MAX_LENGTH) throw new DerError('bad_length', 'length is oversized', offset);
    valueStart = offset + 2 + n;
  }
  const end = valueStart + length;
  if (end > limit) throw new DerError('bad_length', 'length runs past its container', offset);
  return { tag, start: offset, valueStart, length, end };
}

/** Reads the elements of one constructed value in order. */
export class DerReader {
  #pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end: number = buf.length,
  ) {
    this.#pos = start;
  }

  /** Reader over the contents of a constructed element. */
  static inside(buf: Uint8Array, tlv: Tlv): DerReader {
    return new DerReader(buf, tlv.valueStart, tlv.end);
  }

  get position(): number {
    return this.#pos;
  }

  get hasMore(): boolean {
    return this.#pos < this.end;
  }

  /** Tag of the next element, or -1 at the end. */
  peekTag(): number {
    return this.#pos < this.end ? this.buf[this.#pos]! : -1;
  }

  /** The next element; with `tag`, it must carry that tag. */
  next(tag?: number, what = 'element'): Tlv {
    if (this.#pos >= this.end) throw new DerError('truncated', `${what} missing`, this.#pos);
    const tlv = readHeader(this.buf, this.#pos, this.end);
    if (tag !== undefined && tlv.tag !== tag)
      throw new DerError(
        'bad_tag',
        `${what}: expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`,
        this.#pos,
      );
    this.#pos = tlv.end;
    return tlv;
  }

  /** The next element if it carries `tag`, else undefined (for OPTIONAL / DEFAULT fields). */
  optional(tag: number): Tlv | undefined {
    return this.peekTag() === tag ? this.next(tag) : undefined;
  }

  /** Throws unless every element was read. */
  finish(what = 'structure'): void {
    if (this.#pos !== this.end)
      throw new DerError('trailing_data', `unexpected data after ${what}`, this.#pos);
  }
}

/** Contents of an element. */
export function contents(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.valueStart, tlv.end);
}

/** The whole encoding of an element (tag, length and contents). */
export function encoding(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.start, tlv.end);
}

/** X.690 §8.19: OBJECT IDENTIFIER contents to dotted form. */
export function decodeOid(bytes: Uint8Array, offset = 0): string {
  if (bytes.length === 0) throw new DerError('bad_value', 'empty OBJECT IDENTIFIER', offset);
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (value === 0 && b === 0x80) throw new DerError('bad_value', 'non-minimal OID arc', offset);
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 256)
      throw new DerError('bad_value', 'OID arc too large', offset);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 40 ? 0 : value < 80 ? 1 : 2;
        parts.push(first, value - first * 40);
      } else parts.push(value);
      value = 0;
    } else if (i === bytes.length - 1) {
      throw new DerError('bad_value', 'OID ends inside an arc', offset);
    }
  }
  return parts.join('.');
}

/** Reads an OBJECT IDENTIFIER element. */
export function readOid(r: DerReader, what = 'OID'): string {
  const t = r.next(Tag.Oid, what);
  return decodeOid(contents(r.buf, t), t.start);
}

/**
 * X.690 §8.3.2: INTEGER contents in their minimal two's-complement form (redundant leading
 * 0x00 or 0xff octets dropped), the canonical form of serial numbers in lookups. The sign is
 * kept: `00 ff` (255) and `ff` (-1) stay different (RFC 5280 §4.1.2.2, PKITS 4.4.14).
 */
export function canonicalInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (
    i < bytes.length - 1 &&
    ((bytes[i] === 0 && (bytes[i + 1]! & 0x80) === 0) ||
      (bytes[i] === 0xff && (bytes[i + 1]! & 0x80) !== 0))
  )
    i++;
  return bytes.subarray(i);
}

/** INTEGER element as a JS number (small integers: version, pathLen, reason). */
export function readSmallInt(buf: Uint8Array, tlv: Tlv, what = 'INTEGER'): number {
  if (tlv.length === 0 || tlv.length > 6)
    throw new DerError('bad_value', `${what} out of range`, tlv.start);
  let v = 0;
  for (let i = tlv.valueStart; i < tlv.end; i++) v = v * 256 + buf[i]!;
  if (buf[tlv.valueStart]! & 0x80)
    throw new DerError('bad_value', `${what} is negative`, tlv.start);
  return v;
}

/** X.690 §8.6: BIT STRING contents without the unused-bits octet. */
export function bitStringBytes(buf: Uint8Array, tlv: Tlv): { bytes: Uint8Array; unused: number } {
  if (tlv.length < 1) throw new DerError('bad_value', 'empty BIT STRING', tlv.start);
  const unused = buf[tlv.valueStart]!;
  if (unused > 7) throw new DerError('bad_value', 'BIT STRING unused bits > 7', tlv.start);
  return { bytes: buf.subarray(tlv.valueStart + 1, tlv.end), unused };
}

function digits(buf: Uint8Array, at: number, n: number, offset: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[at + i]! - 0x30;
    if (c < 0 || c > 9) throw new DerError('bad_value', 'bad digit in time', offset);
    v = v * 10 + c;
  }
  return v;
}

/**
 * RFC 5280 §4.1.2.5.1 UTCTime `YYMMDDHHMMSSZ` (YY >= 50 is 19YY) and §4.1.2.5.2
 * GeneralizedTime `YYYYMMDDHHMMSSZ`; returns milliseconds since the epoch. With
 * `utcBefore2050` (CRL dates, RFC 5280 §5.1.2.4-§5.1.2.6: "CRL issuers conforming to this
 * profile MUST encode thisUpdate as UTCTime for dates through the year 2049"), a
 * GeneralizedTime before 2050 is refused.
 */
export function readTimeMs(buf: Uint8Array, tlv: Tlv, utcBefore2050 = false): number {
  const p = tlv.valueStart;
  let year: number;
  let q: number;
  if (tlv.tag === Tag.UtcTime && tlv.length === 13) {
    const yy = digits(buf, p, 2, tlv.start);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    q = p + 2;
  } else if (tlv.tag === Tag.GeneralizedTime && tlv.length === 15) {
    year = digits(buf, p, 4, tlv.start);
    if (utcBefore2050 && year < 2050)
      throw new DerError('bad_value', 'a date before 2050 must be a UTCTime', tlv.start);
    q = p + 4;
  } else {
    throw new DerError('bad_value', 'time must be UTCTime or GeneralizedTime in Z form', tlv.start);
  }
  if (buf[tlv.end - 1] !== 0x5a) throw new DerError('bad_value', 'time must end in Z', tlv.start);
  const month = digits(buf, q, 2, tlv.start);
  const day = digits(buf, q + 2, 2, tlv.start);
  const hour = digits(buf, q + 4, 2, tlv.start);
  const minute = digits(buf, q + 6, 2, tlv.start);
  const second = digits(buf, q + 8, 2, tlv.start);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    throw new DerError('bad_value', 'time out of range', tlv.start);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** Reads a Time element (either form). */
export function readTime(r: DerReader, what = 'time'): Date {
  const t = r.next(undefined, what);
  return new Date(readTimeMs(r.buf, t));
}

/** Hex of bytes (lower case). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Byte equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
