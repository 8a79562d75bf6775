/**
 * A tiny DER encoder for tests and benchmarks: builds certificates and CRLs (also
 * deliberately broken ones) without committed binaries. Not used by the daemon.
 */

/** X.690 §8.1.3 definite length octets. */
export function lengthOctets(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  let v = n;
  while (v > 0) {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  }
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Concatenates byte arrays. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** tag || length || contents. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = content.length === 1 ? content[0]! : cat(...content);
  return cat(Uint8Array.of(tag), lengthOctets(body.length), body);
}

export const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
export const set = (...c: Uint8Array[]) => tlv(0x31, ...c);
export const octets = (b: Uint8Array) => tlv(0x04, b);
export const nullValue = () => Uint8Array.of(0x05, 0x00);
export const bool = (v: boolean) => Uint8Array.of(0x01, 0x01, v ? 0xff : 0x00);
/** [n] EXPLICIT (constructed context tag). */
export const explicit = (n: number, ...c: Uint8Array[]) => tlv(0xa0 | n, ...c);
/** [n] IMPLICIT primitive. */
export const implicitPrim = (n: number, b: Uint8Array) => tlv(0x80 | n, b);
export const utf8 = (s: string) => tlv(0x0c, new Uint8Array(Buffer.from(s, 'utf8')));
export const printable = (s: string) => tlv(0x13, new Uint8Array(Buffer.from(s, 'latin1')));
export const enumerated = (v: number) => tlv(0x0a, Uint8Array.of(v));

/** OBJECT IDENTIFIER from dotted form. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const push = (v: number) => {
    const tmp = [v & 0x7f];
    v = Math.floor(v / 128);
    while (v > 0) {
      tmp.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...tmp);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(0x06, Uint8Array.from(out));
}

/** INTEGER contents (two's complement, minimal) for a non-negative value. */
export function integerContents(v: bigint | number | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (v instanceof Uint8Array) bytes = v;
  else {
    let hex = BigInt(v).toString(16);
    if (hex.length % 2) hex = '0' + hex;
    bytes = new Uint8Array(Buffer.from(hex, 'hex'));
  }
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0 && !(bytes[i + 1]! & 0x80)) i++;
  bytes = bytes.subarray(i);
  if (bytes.length === 0) return Uint8Array.of(0);
  return bytes[0]! & 0x80 ? cat(Uint8Array.of(0), bytes) : bytes;
}

export const integer = (v: bigint | number | Uint8Array) => tlv(0x02, integerContents(v));

/** BIT STRING with no unused bits. */
export const bitString = (b: Uint8Array) => tlv(0x03, cat(Uint8Array.of(0), b));

/** KeyUsage-style named bit list (bits numbered from the most significant). */
export function namedBits(bits: number[]): Uint8Array {
  if (bits.length === 0) return Uint8Array.of(0x03, 0x01, 0x00);
  const max = Math.max(...bits);
  const bytes = new Uint8Array((max >> 3) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  const unused = 7 - (max & 7);
  return tlv(0x03, cat(Uint8Array.of(unused), bytes));
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * UTCTime for years 1950-2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5); `generalized`
 * forces GeneralizedTime (to build non-conforming material).
 */
export function time(d: Date, generalized = false): Uint8Array {
  const y = d.getUTCFullYear();
  const rest = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050 && !generalized)
    return tlv(0x17, new Uint8Array(Buffer.from(two(y % 100) + rest)));
  return tlv(0x18, new Uint8Array(Buffer.from(String(y).padStart(4, '0') + rest)));
}

const NAME_OIDS: Record<string, string> = {
  C: '2.5.4.6',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  serialNumber: '2.5.4.5',
};

/** Name from `C=JP, O=JPKI, CN=x` (one attribute per RDN; C printable, others UTF8). */
export function name(text: string): Uint8Array {
  const rdns = text
    .split(/,\s*/)
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      const key = part.slice(0, eq);
      const value = part.slice(eq + 1);
      const o = NAME_OIDS[key] ?? key;
      return set(seq(oid(o), key === 'C' ? printable(value) : utf8(value)));
    });
  return seq(...rdns);
}
