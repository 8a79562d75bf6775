/**
 * Certificate policy processing, RFC 5280 §6.1.2 (a),(d)-(f), §6.1.3 (d)-(f), §6.1.4 (a),(b),
 * (h)-(j) and §6.1.5 (a),(b),(g), with the station's inputs: user-initial-policy-set
 * {anyPolicy}, initial-explicit-policy, initial-policy-mapping-inhibit and
 * initial-any-policy-inhibit all false. So policyConstraints, inhibitAnyPolicy and
 * policyMappings are honoured, and a path whose policies run out while an explicit policy is
 * required is refused.
 *
 *   certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation
 *   PolicyInformation ::= SEQUENCE { policyIdentifier CertPolicyId,
 *        policyQualifiers SEQUENCE SIZE (1..MAX) OF PolicyQualifierInfo OPTIONAL }
 *   PolicyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE {
 *        issuerDomainPolicy CertPolicyId, subjectDomainPolicy CertPolicyId }
 *   PolicyConstraints ::= SEQUENCE { requireExplicitPolicy [0] SkipCerts OPTIONAL,
 *        inhibitPolicyMapping [1] SkipCerts OPTIONAL }
 *   InhibitAnyPolicy ::= SkipCerts        SkipCerts ::= INTEGER (0..MAX)
 */
import { DerReader, readHeader, readOid, readSmallInt, Tag } from './der.js';
import { DerError } from './errors.js';

export const ANY_POLICY = '2.5.29.32.0';

/** The policy facts of one certificate. */
export interface CertPolicies {
  /** certificatePolicies OIDs; undefined when the extension is absent. */
  policies: string[] | undefined;
  /** policyMappings pairs [issuerDomainPolicy, subjectDomainPolicy]. */
  mappings: [string, string][] | undefined;
  requireExplicitPolicy: number | undefined;
  inhibitPolicyMapping: number | undefined;
  inhibitAnyPolicy: number | undefined;
}

function one(value: Uint8Array, what: string) {
  const t = readHeader(value, 0);
  if (t.tag !== Tag.Sequence || t.end !== value.length)
    throw new DerError('bad_value', `${what} must be one SEQUENCE`, 0);
  return DerReader.inside(value, t);
}

/** certificatePolicies value. */
export function parseCertificatePolicies(value: Uint8Array): string[] {
  const r = one(value, 'certificatePolicies');
  const out: string[] = [];
  while (r.hasMore) {
    const pr = DerReader.inside(value, r.next(Tag.Sequence, 'PolicyInformation'));
    const oid = readOid(pr, 'policyIdentifier');
    pr.optional(Tag.Sequence);
    pr.finish('PolicyInformation');
    // §4.2.1.4: "A certificate policy OID MUST NOT appear more than once".
    if (out.includes(oid)) throw new DerError('bad_value', `policy ${oid} appears twice`, 0);
    out.push(oid);
  }
  if (out.length === 0) throw new DerError('bad_value', 'certificatePolicies is empty', 0);
  return out;
}

/** policyMappings value. */
export function parsePolicyMappings(value: Uint8Array): [string, string][] {
  const r = one(value, 'policyMappings');
  const out: [string, string][] = [];
  while (r.hasMore) {
    const m = DerReader.inside(value, r.next(Tag.Sequence, 'policy mapping'));
    out.push([readOid(m, 'issuerDomainPolicy'), readOid(m, 'subjectDomainPolicy')]);
    m.finish('policy mapping');
  }
  if (out.length === 0) throw new DerError('bad_value', 'policyMappings is empty', 0);
  return out;
}

/** policyConstraints value. */
export function parsePolicyConstraints(value: Uint8Array): {
  requireExplicitPolicy: number | undefined;
  inhibitPolicyMapping: number | undefined;
} {
  const r = one(value, 'policyConstraints');
  const a = r.optional(0x80);
  const b = r.optional(0x81);
  r.finish('policyConstraints');
  // §4.2.1.11: "Conforming CAs MUST NOT issue certificates where policy constraints is an
  // empty sequence."
  if (!a && !b) throw new DerError('bad_value', 'policyConstraints is empty', 0);
  return {
    requireExplicitPolicy: a ? readSmallInt(value, a, 'requireExplicitPolicy') : undefined,
    inhibitPolicyMapping: b ? readSmallInt(value, b, 'inhibitPolicyMapping') : undefined,
  };
}

/** inhibitAnyPolicy value. */
export function parseInhibitAnyPolicy(value: Uint8Array): number {
  const t = readHeader(value, 0);
  if (t.tag !== Tag.Integer || t.end !== value.length)
    throw new DerError('bad_value', 'inhibitAnyPolicy must be an INTEGER', 0);
  return readSmallInt(value, t, 'inhibitAnyPolicy');
}

interface PolicyNode {
  policy: string;
  expected: Set<string>;
  children: PolicyNode[];
  parent: PolicyNode | undefined;
}

/** The valid_policy_tree and the counters of §6.1.2, run over a path from the anchor down. */
export class PolicyState {
  /** Nodes of the deepest level; undefined: the tree is NULL. */
  #level: PolicyNode[] | undefined;
  #explicit: number;
  #mapping: number;
  #inhibitAny: number;

  /** `n`: the number of certificates in the path (anchor excluded). */
  constructor(n: number) {
    this.#level = [
      { policy: ANY_POLICY, expected: new Set([ANY_POLICY]), children: [], parent: undefined },
    ];
    this.#explicit = n + 1;
    this.#mapping = n + 1;
    this.#inhibitAny = n + 1;
  }

  /**
   * §6.1.3 (d)-(f) for certificate i (`last`: the end certificate). Returns false when the
   * path fails (f): no valid policy left while explicit_policy is 0.
   */
  process(c: CertPolicies, selfIssued: boolean, last: boolean): boolean {
    const prev = this.#level;
    if (prev && c.policies) {
      const next: PolicyNode[] = [];
      const add = (parent: PolicyNode, policy: string) => {
        const node = { policy, expected: new Set([policy]), children: [], parent };
        parent.children.push(node);
        next.push(node);
      };
      for (const p of c.policies) {
        if (p === ANY_POLICY) continue;
        const matching = prev.filter((n) => n.expected.has(p));
        if (matching.length) for (const n of matching) add(n, p);
        else for (const n of prev.filter((x) => x.policy === ANY_POLICY)) add(n, p);
      }
      if (c.policies.includes(ANY_POLICY) && (this.#inhibitAny > 0 || (!last && selfIssued))) {
        for (const n of prev)
          for (const e of n.expected)
            if (!n.children.some((ch) => ch.policy === e)) {
              const node = { policy: e, expected: new Set([e]), children: [], parent: n };
              n.children.push(node);
              next.push(node);
            }
      }
      this.#prune(prev);
      this.#level = next.length ? next : undefined;
    } else this.#level = undefined;
    return this.#explicit > 0 || this.#level !== undefined;
  }

  /** Removes childless nodes above the new level, up to the root. */
  #prune(level: PolicyNode[]): void {
    let nodes = level;
    while (nodes.length) {
      const parents = new Set<PolicyNode>();
      for (const n of nodes)
        if (n.children.length === 0 && n.parent) {
          n.parent.children = n.parent.children.filter((x) => x !== n);
          parents.add(n.parent);
        }
      nodes = [...parents];
    }
  }

  /**
   * §6.1.4 (a),(b),(h)-(j): prepares for the next certificate after an intermediate. Returns
   * false when a mapping involves anyPolicy (§6.1.4 (a)).
   */
  prepare(c: CertPolicies, selfIssued: boolean): boolean {
    if (c.mappings) {
      if (c.mappings.some(([i, s]) => i === ANY_POLICY || s === ANY_POLICY)) return false;
      const byIssuer = new Map<string, Set<string>>();
      for (const [i, s] of c.mappings) byIssuer.set(i, (byIssuer.get(i) ?? new Set()).add(s));
      for (const [issuerPolicy, subjects] of byIssuer) {
        const level = this.#level;
        if (!level) break;
        const nodes = level.filter((n) => n.policy === issuerPolicy);
        if (this.#mapping > 0) {
          if (nodes.length) for (const n of nodes) n.expected = new Set(subjects);
          else {
            const any = level.find((n) => n.policy === ANY_POLICY);
            if (any?.parent) {
              const node = {
                policy: issuerPolicy,
                expected: new Set(subjects),
                children: [],
                parent: any.parent,
              };
              any.parent.children.push(node);
              level.push(node);
            }
          }
        } else {
          for (const n of nodes)
            if (n.parent) n.parent.children = n.parent.children.filter((x) => x !== n);
          const rest = level.filter((n) => n.policy !== issuerPolicy);
          this.#prune(nodes.map((n) => n.parent!).filter(Boolean));
          this.#level = rest.length ? rest : undefined;
        }
      }
    }
    if (!selfIssued) {
      if (this.#explicit > 0) this.#explicit--;
      if (this.#mapping > 0) this.#mapping--;
      if (this.#inhibitAny > 0) this.#inhibitAny--;
    }
    if (c.requireExplicitPolicy !== undefined && c.requireExplicitPolicy < this.#explicit)
      this.#explicit = c.requireExplicitPolicy;
    if (c.inhibitPolicyMapping !== undefined && c.inhibitPolicyMapping < this.#mapping)
      this.#mapping = c.inhibitPolicyMapping;
    if (c.inhibitAnyPolicy !== undefined && c.inhibitAnyPolicy < this.#inhibitAny)
      this.#inhibitAny = c.inhibitAnyPolicy;
    return true;
  }

  /** §6.1.5 (a),(b),(g): the wrap-up after the end certificate was processed. */
  finish(c: CertPolicies): boolean {
    if (this.#explicit > 0) this.#explicit--;
    if (c.requireExplicitPolicy === 0) this.#explicit = 0;
    return this.#explicit > 0 || this.#level !== undefined;
  }
}
