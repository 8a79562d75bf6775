/**
 * Certification path validation, RFC 5280 §6.1, for the station's needs: build a chain from
 * the leaf through the given intermediates to one of a set of trust anchors, then run the
 * basic path validation over it. The answer is a TrustResult value; broken input never
 * throws out of validatePath.
 */
import { verifySignature } from './algorithms.js';
import { KeyUsageBit, parseCertificate, type Certificate } from './certificate.js';
import { bytesEqual } from './der.js';
import type { RevocationSource, TrustPurpose, TrustReason, TrustResult } from './types.js';

/** Input of validatePath. Certificates are DER (use decodeCertificates for PEM). */
export interface ValidatePathInput {
  leaf: Uint8Array | Certificate;
  intermediates?: readonly (Uint8Array | Certificate)[];
  anchors: readonly (Uint8Array | Certificate)[];
  /** Validation time (RFC 5280 §6.1.1 (b)). */
  at: Date;
  purpose: TrustPurpose;
  /** When given, every certificate below the anchor is checked against it. */
  revocation?: RevocationSource;
}

/** Longest chain searched (anchor excluded). */
const MAX_DEPTH = 8;

/** RFC 5280 §4.2.1.12 key purposes. */
const EKU = {
  any: '2.5.29.37.0',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  documentSigning: '1.3.6.1.5.5.7.3.36',
  msDocumentSigning: '1.3.6.1.4.1.311.10.3.12',
} as const;

/**
 * Per purpose: the keyUsage bit the leaf needs (when keyUsage is present) and the
 * extendedKeyUsage values accepted (when extendedKeyUsage is present; anyExtendedKeyUsage
 * always passes).
 * - auth: JPKI user-authentication certificate signing a station nonce: digitalSignature;
 *   EKU clientAuth.
 * - sign: JPKI digital-signature certificate: nonRepudiation (contentCommitment); EKU
 *   emailProtection or document signing.
 * - command: back-office command signer (JWS): digitalSignature; EKU codeSigning or document
 *   signing.
 */
const PURPOSE_RULES: Record<Exclude<TrustPurpose, 'any'>, { keyUsage: number; eku: string[] }> = {
  auth: { keyUsage: KeyUsageBit.digitalSignature, eku: [EKU.clientAuth] },
  sign: {
    keyUsage: KeyUsageBit.nonRepudiation,
    eku: [EKU.emailProtection, EKU.documentSigning, EKU.msDocumentSigning],
  },
  command: { keyUsage: KeyUsageBit.digitalSignature, eku: [EKU.codeSigning, EKU.documentSigning] },
};

/** True when the leaf's keyUsage / extendedKeyUsage allow the purpose. */
export function allowsPurpose(cert: Certificate, purpose: TrustPurpose): boolean {
  if (purpose === 'any') return true;
  const rule = PURPOSE_RULES[purpose];
  if (cert.keyUsage && !cert.keyUsage.has(rule.keyUsage)) return false;
  if (cert.extKeyUsage && !cert.extKeyUsage.includes(EKU.any)) {
    if (!cert.extKeyUsage.some((o) => rule.eku.includes(o))) return false;
  }
  return true;
}

function parse(c: Uint8Array | Certificate): Certificate | undefined {
  if (!(c instanceof Uint8Array)) return c;
  try {
    return parseCertificate(c);
  } catch {
    return undefined;
  }
}

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

function isSelfIssued(c: Certificate): boolean {
  return c.subjectKey === c.issuerKey;
}

interface Candidate {
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
function buildPaths(
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

function validity(c: Certificate, at: Date): TrustReason {
  // RFC 5280 §6.1.3 (a)(2): "The certificate validity period includes the current time."
  if (at.getTime() < c.notBefore.getTime()) return 'not_yet_valid';
  if (at.getTime() > c.notAfter.getTime()) return 'expired';
  return 'ok';
}

/**
 * RFC 5280 §6.1.3-§6.1.5 over one built path (leaf first, anchor last).
 * The anchor's own validity, keyUsage and pathLenConstraint are also enforced (stricter than
 * §6.1.1, which takes anchor information as given: an expired JPKI root is not trusted).
 */
function checkPath(
  path: Certificate[],
  at: Date,
  purpose: TrustPurpose,
  revocation?: RevocationSource,
): TrustReason {
  const anchor = path[path.length - 1]!;
  let r = validity(anchor, at);
  if (r !== 'ok') return r;
  if (anchor.unknownCritical.length) return 'unknown_critical_extension';
  const n = path.length - 1;
  // §6.1.2 (k): max_path_length initialised to n; an anchor certificate's own
  // pathLenConstraint (the number of intermediates it allows below it) bounds it further.
  let maxPathLength = anchor.pathLen !== undefined ? Math.min(n, anchor.pathLen) : n;
  if (path.length > 1 && anchor.keyUsage && !anchor.keyUsage.has(KeyUsageBit.keyCertSign))
    return 'wrong_usage';
  if (path.length > 1 && anchor.version === 3 && !anchor.isCa) return 'not_ca';
  for (let i = n - 1; i >= 0; i--) {
    const cert = path[i]!;
    const issuer = path[i + 1]!;
    // (a)(1) signature: verified while building. (a)(2) validity:
    r = validity(cert, at);
    if (r !== 'ok') return r;
    // (a)(3) "At the current time, the certificate is not revoked."
    if (revocation) {
      const s = revocation.check({ cert, issuer, at });
      if (s.state === 'revoked') return 'revoked';
      if (s.state === 'missing') return 'crl_missing';
      if (s.state === 'stale') return 'crl_stale';
      if (s.state === 'bad') return 'bad_crl';
    }
    // (a)(4) name chaining: by construction (couldIssue).
    if (i > 0) {
      // §6.1.4 (o): unknown critical extensions.
      if (cert.unknownCritical.length) return 'unknown_critical_extension';
      // §6.1.4 (k): "verify that the certificate is a CA certificate" (basicConstraints cA).
      if (!cert.isCa) return 'not_ca';
      // §6.1.4 (l): "If the certificate was not self-issued, verify that max_path_length is
      // greater than zero and decrement max_path_length by 1."
      if (!isSelfIssued(cert)) {
        if (maxPathLength <= 0) return 'path_too_long';
        maxPathLength--;
      }
      // §6.1.4 (m): "If pathLenConstraint is present ... and is less than max_path_length, set
      // max_path_length to the value of pathLenConstraint."
      if (cert.pathLen !== undefined && cert.pathLen < maxPathLength) maxPathLength = cert.pathLen;
      // §6.1.4 (n): "If a key usage extension is present, verify that the keyCertSign bit is set."
      if (cert.keyUsage && !cert.keyUsage.has(KeyUsageBit.keyCertSign)) return 'wrong_usage';
    } else {
      // §6.1.5 (f): unknown critical extensions of the end certificate.
      if (cert.unknownCritical.length) return 'unknown_critical_extension';
    }
  }
  // The intermediates' count against max_path_length was checked on the way down; a chain
  // with more non-self-issued intermediates than allowed fails at (l) above.
  if (!allowsPurpose(path[0]!, purpose)) return 'wrong_usage';
  return 'ok';
}

/**
 * Validates the leaf certificate for `purpose` at time `at` against a set of trust anchors
 * (RFC 5280 §6.1). Tries every chain that can be built and returns the first valid one;
 * otherwise the failure of the first complete chain, or the most telling building failure
 * (`unknown_issuer`, `bad_signature`, ...). Never throws for bad certificates.
 */
export function validatePath(input: ValidatePathInput): TrustResult {
  const leaf = parse(input.leaf);
  if (!leaf) return { valid: false, reason: 'malformed', chain: [] };
  const anchors = input.anchors.map(parse).filter((c): c is Certificate => c !== undefined);
  const intermediates = (input.intermediates ?? [])
    .map(parse)
    .filter((c): c is Certificate => c !== undefined);
  const { paths, failure } = buildPaths(leaf, intermediates, anchors);
  let first: TrustResult | undefined;
  for (const { path } of paths) {
    const chain = path.map((c) => c.subject);
    let reason: TrustReason;
    try {
      reason = checkPath(path, input.at, input.purpose, input.revocation);
    } catch {
      reason = 'bad_crl';
    }
    if (reason === 'ok') return { valid: true, reason, chain };
    first ??= { valid: false, reason, chain };
  }
  if (first) return first;
  return { valid: false, reason: failure.reason, chain: failure.chain.map((c) => c.subject) };
}
