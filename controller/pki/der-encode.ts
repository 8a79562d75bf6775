/**
 * The few DER encoders the test PKI needs for extensions @peculiar/x509 has no class for
 * (subjectAltName otherName with JPKI OIDs). Source: ITU-T X.690 §8.1-8.23 (DER: §10).
 */

/** Tag + definite length + contents. */
export function tlv(tag: number, contents: Uint8Array): Uint8Array {
  const n = contents.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else if (n < 0x100) len = [0x81, n];
  else if (n < 0x10000) len = [0x82, n >> 8, n & 0xff];
  else len = [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  out.set(contents, 1 + len.length);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** SEQUENCE. */
export const seq = (...items: Uint8Array[]): Uint8Array => tlv(0x30, concat(...items));

/** UTF8String. */
export const utf8 = (s: string): Uint8Array => tlv(0x0c, new TextEncoder().encode(s));

/** OBJECT IDENTIFIER from dotted form (X.690 §8.19). */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new RangeError('an OID has at least two arcs');
  const body: number[] = [];
  const push = (v: bigint): void => {
    const bytes: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) bytes.unshift(Number(v & 0x7fn) | 0x80);
    body.push(...bytes);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(0x06, Uint8Array.from(body));
}

/**
 * subjectAltName value with otherName entries:
 * ```
 * GeneralNames ::= SEQUENCE OF GeneralName
 * GeneralName  ::= CHOICE { otherName [0] IMPLICIT OtherName, ... }
 * OtherName    ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }
 * ```
 * Source: RFC 5280 §4.2.1.6. Each value is a UTF8String here.
 */
export function otherNameSan(entries: readonly { oid: string; value: string }[]): Uint8Array {
  return seq(...entries.map((e) => tlv(0xa0, concat(oid(e.oid), tlv(0xa0, utf8(e.value))))));
}
