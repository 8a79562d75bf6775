/**
 * Certification path building (RFC 4158 in spirit): depth-first from the leaf through the
 * given intermediates to the trust anchors, following issuer names and key identifiers and
 * keeping only links whose signature verifies (RFC 5280 §6.1.3 (a)(1)).
 */
import { verifySignature } from './algorithms.js';
import type { Certificate } from './certificate.js';
import { bytesEqual } from './der.js';
import type { TrustReason } from './types.js';

/** Longest chain searched (anchor excluded). */
const MAX_DEPTH = 8;

/** RFC 5280 §6.1.3 (a)(1): verify `child`'s signature with `issuer`'s key. */
function signatureReason(child: Certificate, issuer: Certificate): TrustReason {
  const alg = child.signatureAlgorithm;
  if (!alg) return 'unsupported_algorithm';
  const key = issuer.publicKey();
  if (key === 'malformed') return 'malformed';
  if (key === 'unsupported_algorithm') return 'unsupported_algorithm';
  if (key.asymmetricKeyType !== alg.keyType) return 'bad_signature';
  return verifySignature(alg, key, child.tbs, child.signature) ? 'ok' : 'bad_signature';
}

/** Could `issuer` have issued `child`? Name chaining plus key identifiers when both present. */
function couldIssue(child: Certificate, issuer: Certificate): boolean {
  if (child.issuerKey !== issuer.subjectKey) return false;
  if (
    child.authorityKeyId &&
    issuer.subjectKeyId &&
    !bytesEqual(child.authorityKeyId, issuer.subjectKeyId)
  )
    return false;
  return true;
}

export function isSelfIssued(c: Certificate): boolean {
  return c.subjectKey === c.issuerKey;
}

export interface Candidate {
  /** leaf first, anchor last. */
  path: Certificate[];
}

/** Failures ranked so the most telling one is reported when no chain validates. */
const RANK: Partial<Record<TrustReason, number>> = {
  unknown_issuer: 0,
  unsupported_algorithm: 1,
  bad_signature: 2,
  malformed: 3,
};

/**
 * Depth-first chain building from the leaf: issuers whose subject matches the child's issuer
 * (and whose subjectKeyIdentifier matches its authorityKeyIdentifier when both are present)
 * and whose key verifies the child's signature. Anchors are tried before intermediates.
 */
export function buildPaths(
  leaf: Certificate,
  intermediates: Certificate[],
  anchors: Certificate[],
): { paths: Candidate[]; failure: { reason: TrustReason; chain: Certificate[] } } {
  const paths: Candidate[] = [];
  let failure: { reason: TrustReason; chain: Certificate[] } = {
    reason: 'unknown_issuer',
    chain: [leaf],
  };
  const note = (reason: TrustReason, chain: Certificate[]) => {
    if ((RANK[reason] ?? 9) > (RANK[failure.reason] ?? 9)) failure = { reason, chain };
  };
  const isAnchor = (c: Certificate) => anchors.some((a) => bytesEqual(a.der, c.der));
  // The leaf itself may be a trust anchor (e.g. a self-signed command signer configured as such).
  if (isAnchor(leaf)) paths.push({ path: [leaf] });
  const walk = (chain: Certificate[]) => {
    if (paths.length >= 16) return;
    const child = chain[chain.length - 1]!;
    for (const a of anchors) {
      if (!couldIssue(child, a)) continue;
      if (chain.some((c) => bytesEqual(c.der, a.der))) continue;
      const r = signatureReason(child, a);
      if (r === 'ok') paths.push({ path: [...chain, a] });
      else note(r, [...chain, a]);
    }
    if (chain.length > MAX_DEPTH) return;
    for (const i of intermediates) {
      if (isAnchor(i) || !couldIssue(child, i)) continue;
      if (
        chain.some(
          (c) =>
            bytesEqual(c.der, i.der) ||
            (c.subjectKey === i.subjectKey && c.spkiSha256 === i.spkiSha256),
        )
      )
        continue;
      const r = signatureReason(child, i);
      if (r === 'ok') walk([...chain, i]);
      else note(r, [...chain, i]);
    }
  };
  walk([leaf]);
  return { paths, failure };
}
