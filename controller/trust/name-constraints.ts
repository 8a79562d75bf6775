/**
 * Name constraints (RFC 5280 §4.2.1.10) and their processing in path validation (§6.1.2 (b),(c),
 * §6.1.3 (b),(c), §6.1.4 (g)).
 *
 *   NameConstraints ::= SEQUENCE {
 *        permittedSubtrees       [0]     GeneralSubtrees OPTIONAL,
 *        excludedSubtrees        [1]     GeneralSubtrees OPTIONAL }
 *   GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree
 *   GeneralSubtree ::= SEQUENCE {
 *        base                    GeneralName,
 *        minimum         [0]     BaseDistance DEFAULT 0,
 *        maximum         [1]     BaseDistance OPTIONAL }
 *
 * Supported forms: directoryName, rfc822Name, dNSName, uniformResourceIdentifier, iPAddress.
 * A subtree of any other form, or with a minimum other than 0 or a maximum (which the profile
 * forbids), cannot be processed: the certificate carrying it fails closed.
 */
import { DerReader, readHeader, Tag, type Tlv } from './der.js';
import { DerError } from './errors.js';
import { readGeneralName, type GeneralName } from './general-names.js';
import { emailAddresses, rdnKeys } from './names.js';

/** A parsed nameConstraints extension. */
export interface NameConstraints {
  /** undefined: no permittedSubtrees field. */
  permitted: GeneralName[] | undefined;
  excluded: GeneralName[];
  /** False when a subtree uses a form or field the engine does not process. */
  supported: boolean;
}

function subtrees(buf: Uint8Array, tlv: Tlv, out: GeneralName[]): boolean {
  const r = DerReader.inside(buf, tlv);
  let supported = true;
  if (!r.hasMore) throw new DerError('bad_value', 'GeneralSubtrees is empty', tlv.start);
  while (r.hasMore) {
    const sr = DerReader.inside(buf, r.next(Tag.Sequence, 'GeneralSubtree'));
    const base = readGeneralName(buf, sr.next(undefined, 'base'));
    const min = sr.optional(0x80);
    const max = sr.optional(0x81);
    sr.finish('GeneralSubtree');
    // §4.2.1.10: "minimum MUST be zero, and maximum MUST be absent".
    if ((min && !(min.length === 1 && buf[min.valueStart] === 0)) || max) supported = false;
    if (base.type === 'other') supported = false;
    out.push(base);
  }
  return supported;
}

/** Parses a nameConstraints extension value. @throws DerError. */
export function parseNameConstraints(value: Uint8Array): NameConstraints {
  const t = readHeader(value, 0);
  if (t.tag !== Tag.Sequence || t.end !== value.length)
    throw new DerError('bad_value', 'nameConstraints must be one SEQUENCE', 0);
  const r = DerReader.inside(value, t);
  const p = r.optional(0xa0);
  const x = r.optional(0xa1);
  r.finish('nameConstraints');
  // §4.2.1.10: "Conforming CAs MUST NOT issue certificates where name constraints is an empty
  // sequence. That is, either the permittedSubtrees field or the excludedSubtrees MUST be present."
  if (!p && !x) throw new DerError('bad_value', 'nameConstraints is empty', 0);
  const permitted: GeneralName[] = [];
  const excluded: GeneralName[] = [];
  let supported = true;
  if (p) supported = subtrees(value, p, permitted) && supported;
  if (x) supported = subtrees(value, x, excluded) && supported;
  return { permitted: p ? permitted : undefined, excluded, supported };
}

function hostWithin(host: string, constraint: string): boolean {
  const h = host.toLowerCase();
  const c = constraint.toLowerCase();
  if (c === '') return true;
  // A leading '.' names the subdomains only; otherwise the host itself and its subdomains.
  if (c.startsWith('.')) return h.endsWith(c);
  return h === c || h.endsWith(`.${c}`);
}

function emailWithin(mailbox: string, constraint: string): boolean {
  const at = mailbox.lastIndexOf('@');
  if (at < 0) return false;
  const host = mailbox.slice(at + 1).toLowerCase();
  if (constraint.includes('@')) {
    const cat = constraint.lastIndexOf('@');
    return (
      mailbox.slice(0, at) === constraint.slice(0, cat) &&
      host === constraint.slice(cat + 1).toLowerCase()
    );
  }
  // "a particular host" (no leading '.') or "any host in a domain" (leading '.').
  if (constraint.startsWith('.')) return host.endsWith(constraint.toLowerCase());
  return host === constraint.toLowerCase();
}

/** The host part of a URI (RFC 3986 authority without user info and port). */
function uriHost(uri: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(uri);
  if (!m) return undefined;
  let auth = m[1]!;
  auth = auth.slice(auth.lastIndexOf('@') + 1);
  if (auth.startsWith('[')) return auth.slice(1, auth.indexOf(']'));
  const colon = auth.indexOf(':');
  const host = colon >= 0 ? auth.slice(0, colon) : auth;
  return host === '' ? undefined : host;
}

function ipWithin(addr: Uint8Array, constraint: Uint8Array): boolean {
  if (constraint.length !== addr.length * 2) return false;
  for (let i = 0; i < addr.length; i++) {
    const mask = constraint[addr.length + i]!;
    if ((addr[i]! & mask) !== (constraint[i]! & mask)) return false;
  }
  return true;
}

function dnWithin(nameRdns: string[], constraint: Uint8Array): boolean {
  const c = rdnKeys(constraint);
  if (c.length > nameRdns.length) return false;
  return c.every((k, i) => k === nameRdns[i]);
}

/** Is `name` within the subtree `base` (same form)? Undefined when the forms differ. */
function within(name: GeneralName, base: GeneralName): boolean | undefined {
  if (name.type !== base.type) return undefined;
  switch (base.type) {
    case 'dn':
      return dnWithin(rdnKeys((name as { der: Uint8Array }).der), base.der);
    case 'email':
      return emailWithin((name as { value: string }).value, base.value);
    case 'dns':
      return hostWithin((name as { value: string }).value, base.value);
    case 'uri': {
      // §4.2.1.10: a constraint with a leading '.' names every host of that domain; one
      // without names that host only.
      const host = uriHost((name as { value: string }).value)?.toLowerCase();
      if (host === undefined) return false;
      const c = base.value.toLowerCase();
      return c.startsWith('.') ? host.endsWith(c) : host === c;
    }
    case 'ip':
      return ipWithin((name as { bytes: Uint8Array }).bytes, base.bytes);
    case 'other':
      return false;
  }
}

/**
 * The state of §6.1.2 (b),(c): permitted_subtrees as the list of every permittedSubtrees seen
 * (a name must fall within each list that constrains its form: their intersection), and
 * excluded_subtrees as their union.
 */
export class NameConstraintState {
  readonly #permitted: GeneralName[][] = [];
  readonly #excluded: GeneralName[] = [];

  /** §6.1.4 (g): adds a CA certificate's constraints. */
  add(nc: NameConstraints): void {
    if (nc.permitted) this.#permitted.push(nc.permitted);
    this.#excluded.push(...nc.excluded);
  }

  /** True when nothing constrains names yet. */
  get empty(): boolean {
    return this.#permitted.length === 0 && this.#excluded.length === 0;
  }

  /**
   * §6.1.3 (b),(c): the subject name and every subjectAltName of a certificate within the
   * permitted subtrees and outside the excluded ones. Email addresses in the subject name
   * count as rfc822Names when there is no subjectAltName (§4.2.1.10).
   */
  allows(subjectDer: Uint8Array, subjectEmpty: boolean, altNames: GeneralName[] | undefined) {
    const names: GeneralName[] = [];
    if (!subjectEmpty) names.push({ type: 'dn', der: subjectDer, key: '' });
    if (altNames) names.push(...altNames);
    else
      for (const value of subjectEmpty ? [] : emailAddresses(subjectDer))
        names.push({ type: 'email', value });
    for (const n of names) {
      if (this.#excluded.some((b) => within(n, b) === true)) return false;
      for (const set of this.#permitted) {
        const sameForm = set.filter((b) => b.type === n.type);
        if (sameForm.length === 0) continue;
        if (n.type === 'other') return false;
        if (!sameForm.some((b) => within(n, b) === true)) return false;
      }
    }
    return true;
  }
}
