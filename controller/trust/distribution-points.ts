/**
 * CRL distribution points (RFC 5280 §4.2.1.13) and their names, as revocation checking
 * (§6.3.3) compares them.
 *
 *   CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
 *   DistributionPoint ::= SEQUENCE {
 *        distributionPoint       [0]     DistributionPointName OPTIONAL,
 *        reasons                 [1]     ReasonFlags OPTIONAL,
 *        cRLIssuer               [2]     GeneralNames OPTIONAL }
 *   DistributionPointName ::= CHOICE {
 *        fullName                [0]     GeneralNames,
 *        nameRelativeToCRLIssuer [1]     RelativeDistinguishedName }
 *   ReasonFlags ::= BIT STRING { unused (0), keyCompromise (1), cACompromise (2),
 *        affiliationChanged (3), superseded (4), cessationOfOperation (5),
 *        certificateHold (6), privilegeWithdrawn (7), aACompromise (8) }
 */
import { bitStringBytes, DerReader, readHeader, Tag, type Tlv } from './der.js';
import { DerError } from './errors.js';
import { directoryNameKey, generalNameKey, readGeneralNames } from './general-names.js';
import { rdnKey } from './names.js';

/** ReasonFlags bits 1..8 (every reason): RFC 5280 §6.3.3 all-reasons. */
export const ALL_REASONS = 0x1fe;

/** One distribution point of a certificate, names as comparison keys (general-names.ts). */
export interface DistributionPoint {
  /** The distribution point's names; undefined when the field is absent. */
  names: string[] | undefined;
  /** ReasonFlags as a bit mask (bit i = 1 << i); undefined: all reasons. */
  reasons: number | undefined;
  /** cRLIssuer names; undefined: the certificate's issuer issues the CRL. */
  crlIssuers: string[] | undefined;
}

/** ReasonFlags (an implicitly tagged BIT STRING) as a bit mask. */
export function readReasonFlags(buf: Uint8Array, tlv: Tlv): number {
  const { bytes } = bitStringBytes(buf, tlv);
  let mask = 0;
  for (let i = 0; i < Math.min(bytes.length * 8, 9); i++)
    if (bytes[i >> 3]! & (0x80 >> (i & 7))) mask |= 1 << i;
  return mask & ALL_REASONS;
}

/**
 * The names of a DistributionPointName element (`dpn`: the [0] fullName or [1]
 * nameRelativeToCRLIssuer inside the outer [0]). A relative name is appended to the CRL
 * issuer's name (`crlIssuerKey`, names.ts nameKey) and becomes a directory name.
 */
export function distributionPointNameKeys(
  buf: Uint8Array,
  dpn: Tlv,
  crlIssuerKey: string,
): string[] {
  if (dpn.tag === 0xa0) return readGeneralNames(buf, dpn).map(generalNameKey);
  if (dpn.tag === 0xa1) {
    const rdn = rdnKey(buf, dpn);
    return [directoryNameKey(crlIssuerKey ? `${crlIssuerKey},${rdn}` : rdn)];
  }
  throw new DerError('bad_tag', 'DistributionPointName must be [0] or [1]', dpn.start);
}

/** Reads the DistributionPointName inside an outer [0] element. */
export function innerDistributionPointName(buf: Uint8Array, outer: Tlv): Tlv {
  const r = DerReader.inside(buf, outer);
  const dpn = r.next(undefined, 'DistributionPointName');
  r.finish('distributionPoint');
  return dpn;
}

/** cRLDistributionPoints extension value; `certIssuerKey` resolves relative names. */
export function parseCrlDistributionPoints(
  value: Uint8Array,
  certIssuerKey: string,
): DistributionPoint[] {
  const t = readHeader(value, 0);
  if (t.tag !== Tag.Sequence || t.end !== value.length)
    throw new DerError('bad_value', 'cRLDistributionPoints must be one SEQUENCE', 0);
  const r = DerReader.inside(value, t);
  const out: DistributionPoint[] = [];
  while (r.hasMore) {
    const dr = DerReader.inside(value, r.next(Tag.Sequence, 'DistributionPoint'));
    const name = dr.optional(0xa0);
    const reasons = dr.optional(0x81);
    const issuer = dr.optional(0xa2);
    dr.finish('DistributionPoint');
    // RFC 5280 §4.2.1.13: "a DistributionPoint MUST NOT consist of only the reasons field".
    if (!name && !issuer)
      throw new DerError('bad_value', 'DistributionPoint without name or cRLIssuer', 0);
    const crlIssuers = issuer ? readGeneralNames(value, issuer).map(generalNameKey) : undefined;
    const base = crlIssuers?.find((k) => k.startsWith('dn:'))?.slice(3) ?? certIssuerKey;
    out.push({
      names: name
        ? distributionPointNameKeys(value, innerDistributionPointName(value, name), base)
        : undefined,
      reasons: reasons ? readReasonFlags(value, reasons) : undefined,
      crlIssuers,
    });
  }
  if (out.length === 0) throw new DerError('bad_value', 'cRLDistributionPoints is empty', 0);
  return out;
}
