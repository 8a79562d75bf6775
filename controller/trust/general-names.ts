/**
 * GeneralName (RFC 5280 §4.2.1.6), decoded into the forms the trust engine compares:
 *
 *   GeneralName ::= CHOICE {
 *        otherName                 [0] OtherName,
 *        rfc822Name                [1] IA5String,
 *        dNSName                   [2] IA5String,
 *        x400Address               [3] ORAddress,
 *        directoryName             [4] Name,
 *        ediPartyName              [5] EDIPartyName,
 *        uniformResourceIdentifier [6] IA5String,
 *        iPAddress                 [7] OCTET STRING,
 *        registeredID              [8] OBJECT IDENTIFIER }
 *
 * The module is implicitly tagged except directoryName ([4] is EXPLICIT: a CHOICE).
 */
import { contents, DerReader, encoding, readHeader, toHex, type Tlv } from './der.js';
import { DerError } from './errors.js';
import { nameKey } from './names.js';

/** A decoded GeneralName. `other` covers the forms the engine does not interpret. */
export type GeneralName =
  | { type: 'dn'; der: Uint8Array; key: string }
  | { type: 'email'; value: string }
  | { type: 'dns'; value: string }
  | { type: 'uri'; value: string }
  | { type: 'ip'; bytes: Uint8Array }
  | { type: 'other'; tag: number; hex: string };

function ia5(buf: Uint8Array, tlv: Tlv, what: string): string {
  const b = contents(buf, tlv);
  for (const c of b) if (c > 0x7f) throw new DerError('bad_value', `${what} is not IA5`, tlv.start);
  return Buffer.from(b).toString('latin1');
}

/** Decodes the GeneralName element `tlv` of `buf`. @throws DerError. */
export function readGeneralName(buf: Uint8Array, tlv: Tlv): GeneralName {
  switch (tlv.tag) {
    case 0x81:
      return { type: 'email', value: ia5(buf, tlv, 'rfc822Name') };
    case 0x82:
      return { type: 'dns', value: ia5(buf, tlv, 'dNSName') };
    case 0x86:
      return { type: 'uri', value: ia5(buf, tlv, 'uniformResourceIdentifier') };
    case 0x87:
      return { type: 'ip', bytes: contents(buf, tlv).slice() };
    case 0xa4: {
      const r = DerReader.inside(buf, tlv);
      const n = r.next(0x30, 'directoryName');
      r.finish('directoryName');
      const der = encoding(buf, n).slice();
      return { type: 'dn', der, key: nameKey(der) };
    }
    case 0xa0:
    case 0xa3:
    case 0xa5:
    case 0x88:
      return { type: 'other', tag: tlv.tag, hex: toHex(encoding(buf, tlv)) };
    default:
      throw new DerError('bad_tag', `unknown GeneralName tag 0x${tlv.tag.toString(16)}`, tlv.start);
  }
}

/** The GeneralNames inside a constructed element (SEQUENCE or an implicit [n] of one). */
export function readGeneralNames(buf: Uint8Array, tlv: Tlv): GeneralName[] {
  const r = DerReader.inside(buf, tlv);
  const out: GeneralName[] = [];
  while (r.hasMore) out.push(readGeneralName(buf, r.next(undefined, 'GeneralName')));
  if (out.length === 0) throw new DerError('bad_value', 'GeneralNames is empty', tlv.start);
  return out;
}

/** A GeneralNames extension value (subjectAltName, issuerAltName, certificateIssuer). */
export function parseGeneralNamesValue(value: Uint8Array): GeneralName[] {
  const t = readHeader(value, 0);
  if (t.tag !== 0x30 || t.end !== value.length)
    throw new DerError('bad_value', 'GeneralNames must be one SEQUENCE', 0);
  return readGeneralNames(value, t);
}

/**
 * A comparison key: directory names by their canonical form (names.ts nameKey), DNS names and
 * mail hosts case-insensitively, the rest as encoded.
 */
export function generalNameKey(g: GeneralName): string {
  switch (g.type) {
    case 'dn':
      return `dn:${g.key}`;
    case 'dns':
      return `dns:${g.value.toLowerCase()}`;
    case 'email': {
      const at = g.value.lastIndexOf('@');
      return `email:${g.value.slice(0, at + 1)}${g.value.slice(at + 1).toLowerCase()}`;
    }
    case 'uri':
      return `uri:${g.value}`;
    case 'ip':
      return `ip:${toHex(g.bytes)}`;
    case 'other':
      return `other:${g.hex}`;
  }
}

/** The key of a directory name given by its canonical nameKey. */
export function directoryNameKey(key: string): string {
  return `dn:${key}`;
}
