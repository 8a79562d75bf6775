/**
 * X.501 Names as the station needs them: a readable string for the `chain` output and a
 * canonical key for name chaining.
 *
 * RFC 5280 §4.1.2.4: Name ::= CHOICE { rdnSequence RDNSequence }
 *   RDNSequence ::= SEQUENCE OF RelativeDistinguishedName
 *   RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 *   AttributeTypeAndValue ::= SEQUENCE { type AttributeType, value AttributeValue }
 */
import { contents, DerReader, readHeader, readOid, Tag, toHex } from './der.js';
import { DerError } from './errors.js';

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'G',
  '1.2.840.113549.1.9.1': 'E',
  '0.9.2342.19200300.100.1.25': 'DC',
};

interface Attribute {
  oid: string;
  /** Decoded string value, or undefined for non-string values. */
  text: string | undefined;
  /** Hex of the whole value encoding (for non-string values). */
  hex: string;
}

function decodeString(
  buf: Uint8Array,
  tag: number,
  start: number,
  end: number,
): string | undefined {
  const b = Buffer.from(buf.buffer, buf.byteOffset + start, end - start);
  switch (tag) {
    case Tag.Utf8String:
    case Tag.PrintableString:
    case Tag.Ia5String:
      return b.toString('utf8');
    case Tag.TeletexString:
      return b.toString('latin1');
    case Tag.BmpString: {
      if (b.length % 2) throw new DerError('bad_value', 'odd BMPString length', start);
      return Buffer.from(b).swap16().toString('utf16le');
    }
    case Tag.UniversalString: {
      let s = '';
      for (let i = 0; i + 3 < b.length; i += 4) s += String.fromCodePoint(b.readUInt32BE(i));
      return s;
    }
    default:
      return undefined;
  }
}

/** RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue. */
function parseRdn(der: Uint8Array, set: { start: number; valueStart: number; end: number }) {
  const sr = new DerReader(der, set.valueStart, set.end);
  const rdn: Attribute[] = [];
  while (sr.hasMore) {
    const atv = sr.next(Tag.Sequence, 'AttributeTypeAndValue');
    const ar = DerReader.inside(der, atv);
    const oid = readOid(ar, 'attribute type');
    const v = ar.next(undefined, 'attribute value');
    ar.finish('AttributeTypeAndValue');
    rdn.push({
      oid,
      text: decodeString(der, v.tag, v.valueStart, v.end),
      hex: toHex(der.subarray(v.start, v.end)),
    });
  }
  if (rdn.length === 0)
    throw new DerError('bad_value', 'empty RelativeDistinguishedName', set.start);
  return rdn;
}

function parseName(der: Uint8Array): Attribute[][] {
  const outer = readHeader(der, 0);
  if (outer.tag !== Tag.Sequence) throw new DerError('bad_tag', 'Name must be a SEQUENCE', 0);
  const rdns: Attribute[][] = [];
  const r = DerReader.inside(der, outer);
  while (r.hasMore) rdns.push(parseRdn(der, r.next(Tag.Set, 'RelativeDistinguishedName')));
  return rdns;
}

function escapeValue(s: string): string {
  return s.replace(/([,+\\"<>;=])/g, '\\$1');
}

/** `C=JP, O=JPKI, CN=...`: attributes in encoded order (as openssl and @peculiar/x509 print). */
export function nameToString(der: Uint8Array): string {
  return parseName(der)
    .map((rdn) =>
      rdn
        .map((a) => {
          const key = SHORT_NAMES[a.oid] ?? a.oid;
          return a.text === undefined ? `${key}=#${a.hex}` : `${key}=${escapeValue(a.text)}`;
        })
        .join('+'),
    )
    .join(', ');
}

/**
 * Canonical form for comparing names (RFC 5280 §7.1, simplified RFC 4518 preparation):
 * string values compared case-insensitively with inner white space collapsed and ends trimmed;
 * other values by their encoding; multi-valued RDNs in sorted order.
 */
export function nameKey(der: Uint8Array): string {
  return rdnKeys(der).join(',');
}

function rdnKeyOf(rdn: Attribute[]): string {
  return rdn
    .map((a) =>
      a.text === undefined
        ? `${a.oid}=#${a.hex}`
        : `${a.oid}=${a.text.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase()}`,
    )
    .sort()
    .join('+');
}

/** The canonical key of each RDN of a Name, in order (nameKey joins them with ','). */
export function rdnKeys(der: Uint8Array): string[] {
  return parseName(der).map(rdnKeyOf);
}

/**
 * The canonical key of one RelativeDistinguishedName: the SET (or an implicitly tagged one,
 * as in nameRelativeToCRLIssuer) at `tlv`.
 */
export function rdnKey(buf: Uint8Array, tlv: { start: number; valueStart: number; end: number }) {
  return rdnKeyOf(parseRdn(buf, tlv));
}

/** PKCS #9 emailAddress attributes of a Name (RFC 5280 §4.2.1.10, rfc822Name constraints). */
export function emailAddresses(der: Uint8Array): string[] {
  return parseName(der)
    .flat()
    .filter((a) => a.oid === '1.2.840.113549.1.9.1' && a.text !== undefined)
    .map((a) => a.text!);
}

/** Name element at the reader's position: its full encoding. */
export function readNameDer(r: DerReader, what: string): Uint8Array {
  const t = r.next(Tag.Sequence, what);
  return r.buf.subarray(t.start, t.end);
}

/** Contents helper re-exported for callers that decode names inside other structures. */
export { contents };
