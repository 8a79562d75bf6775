/**
 * Certification path validation, RFC 5280 §6.1, for the station's needs: build a chain from
 * the leaf through the given intermediates to one of a set of trust anchors, then run the
 * basic path validation over it. The answer is a TrustResult value; broken input never
 * throws out of validatePath.
 */
import { KeyUsageBit, parseCertificate, type Certificate } from './certificate.js';
import { NameConstraintState } from './name-constraints.js';
import { buildPaths, isSelfIssued } from './path-build.js';
import { PolicyState } from './policy.js';
import { profileProblem } from './profile.js';
import type {
  RevocationQuery,
  RevocationSource,
  TrustPurpose,
  TrustReason,
  TrustResult,
} from './types.js';

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
  /** The most intermediates allowed between the anchor and the leaf. */
  maxDepth?: number;
  /** Extended-key-usage OIDs the leaf must allow (each; a leaf without extKeyUsage allows all). */
  ekus?: readonly string[];
}

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

function validity(c: Certificate, at: Date): TrustReason {
  // RFC 5280 §6.1.3 (a)(2): "The certificate validity period includes the current time."
  if (at.getTime() < c.notBefore.getTime()) return 'not_yet_valid';
  if (at.getTime() > c.notAfter.getTime()) return 'expired';
  return 'ok';
}

/** True when the leaf allows every OID of `ekus` (anyExtendedKeyUsage allows all). */
function allowsEkus(cert: Certificate, ekus: readonly string[]): boolean {
  const have = cert.extKeyUsage;
  if (!have || have.includes(EKU.any)) return true;
  return ekus.every((o) => have.includes(o));
}

/** What one path check needs besides the path. */
interface PathContext {
  at: Date;
  purpose: TrustPurpose;
  revocation: RevocationSource | undefined;
  maxDepth: number | undefined;
  ekus: readonly string[];
  /** §6.3.3 (f) for the CRLs of this path (see crlSigners). */
  crlSignerTrusted: RevocationQuery['crlSignerTrusted'];
}

function revocationReason(ctx: PathContext, cert: Certificate, issuer: Certificate): TrustReason {
  if (!ctx.revocation) return 'ok';
  const s = ctx.revocation.check({
    cert,
    issuer,
    at: ctx.at,
    ...(ctx.crlSignerTrusted ? { crlSignerTrusted: ctx.crlSignerTrusted } : {}),
  });
  if (s.state === 'revoked') return 'revoked';
  if (s.state === 'missing') return 'crl_missing';
  if (s.state === 'stale') return 'crl_stale';
  if (s.state === 'not_yet_valid') return 'crl_not_yet_valid';
  if (s.state === 'bad') return 'bad_crl';
  return 'ok';
}

/**
 * RFC 5280 §6.1.2-§6.1.5 over one built path (leaf first, anchor last): validity, revocation,
 * name constraints, certificate policies, basic constraints, key usage, unknown critical
 * extensions, and the profile rules of profile.ts. The anchor's own validity, keyUsage,
 * pathLenConstraint and nameConstraints are enforced too (stricter than §6.1.1, which takes
 * anchor information as given: an expired JPKI root is not trusted).
 */
function checkPath(path: Certificate[], ctx: PathContext): TrustReason {
  const anchor = path[path.length - 1]!;
  const n = path.length - 1;
  let r = validity(anchor, ctx.at);
  if (r !== 'ok') return r;
  if (profileProblem(anchor, 'anchor')) return 'profile_violation';
  if (anchor.unknownCritical.length) return 'unknown_critical_extension';
  if (ctx.maxDepth !== undefined && n - 1 > ctx.maxDepth) return 'path_too_long';
  // §6.1.2 (k): max_path_length initialised to n; an anchor certificate's own
  // pathLenConstraint (the number of intermediates it allows below it) bounds it further.
  let maxPathLength = anchor.pathLen !== undefined ? Math.min(n, anchor.pathLen) : n;
  if (n > 0 && anchor.keyUsage && !anchor.keyUsage.has(KeyUsageBit.keyCertSign))
    return 'wrong_usage';
  if (n > 0 && anchor.version === 3 && !anchor.isCa) return 'not_ca';
  const names = new NameConstraintState();
  if (n > 0 && anchor.nameConstraints) {
    if (!anchor.nameConstraints.supported) return 'name_not_permitted';
    names.add(anchor.nameConstraints);
  }
  const policy = new PolicyState(n);
  for (let i = n - 1; i >= 0; i--) {
    const cert = path[i]!;
    const last = i === 0;
    const selfIssued = isSelfIssued(cert);
    if (profileProblem(cert, last ? 'leaf' : 'ca')) return 'profile_violation';
    // (a)(1) signature: verified while building. (a)(2) validity:
    r = validity(cert, ctx.at);
    if (r !== 'ok') return r;
    // (a)(3) "At the current time, the certificate is not revoked."
    r = revocationReason(ctx, cert, path[i + 1]!);
    if (r !== 'ok') return r;
    // (a)(4) name chaining: by construction (couldIssue).
    // (b),(c): names within the permitted and outside the excluded subtrees, except for a
    // self-issued certificate that is not the last.
    if ((last || !selfIssued) && !names.empty) {
      if (!names.allows(cert.subjectDer, cert.subjectEmpty, cert.subjectAltNames))
        return 'name_not_permitted';
    }
    // (d)-(f): certificate policies.
    if (!policy.process(cert.policies, selfIssued, last)) return 'no_acceptable_policy';
    if (!last) {
      // §6.1.4 (a),(b),(h)-(j): policy mappings and constraints for the certificates below.
      if (!policy.prepare(cert.policies, selfIssued)) return 'no_acceptable_policy';
      // §6.1.4 (g): name constraints for the certificates below.
      if (cert.nameConstraints) {
        if (!cert.nameConstraints.supported) return 'name_not_permitted';
        names.add(cert.nameConstraints);
      }
      // §6.1.4 (o): unknown critical extensions.
      if (cert.unknownCritical.length) return 'unknown_critical_extension';
      // §6.1.4 (k): "verify that the certificate is a CA certificate" (basicConstraints cA).
      if (!cert.isCa) return 'not_ca';
      // §6.1.4 (l): "If the certificate was not self-issued, verify that max_path_length is
      // greater than zero and decrement max_path_length by 1."
      if (!selfIssued) {
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
      // §6.1.5 (a),(b),(g): explicit policy at the end of the path.
      if (!policy.finish(cert.policies)) return 'no_acceptable_policy';
    }
  }
  if (!allowsPurpose(path[0]!, ctx.purpose)) return 'wrong_usage';
  if (!allowsEkus(path[0]!, ctx.ekus)) return 'wrong_usage';
  return 'ok';
}

/** Nested CRL-signer validations allowed (a CRL signer whose CRL has another signer, ...). */
const MAX_SIGNER_NESTING = 4;

/**
 * RFC 5280 §6.3.3 (f) for the CRLs of a path ending at `anchor`: a CRL signed by `spkiSha256`
 * of a CRL issuer named `issuerKey` answers when that key is the anchor's, or a certificate
 * among `pool` carrying it validates to the same anchor (with its own revocation checked) and
 * may sign CRLs (cRLSign when keyUsage is present). A signer already being validated further up
 * (a CRL key whose own certificate is on its own CRL) counts as trusted there, so the nesting
 * ends.
 */
function crlSigners(
  anchor: Certificate,
  pool: Certificate[],
  input: ValidatePathInput,
  stack: readonly string[],
): (issuerKey: string, spkiSha256: string) => boolean {
  const memo = new Map<string, boolean>();
  return (issuerKey, spkiSha256) => {
    const key = `${issuerKey}|${spkiSha256}`;
    if (stack.includes(key)) return true;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const maySign = (c: Certificate) => !c.keyUsage || c.keyUsage.has(KeyUsageBit.cRLSign);
    let ok = false;
    if (anchor.subjectKey === issuerKey && anchor.spkiSha256 === spkiSha256) ok = maySign(anchor);
    else if (stack.length < MAX_SIGNER_NESTING) {
      for (const c of pool) {
        if (c.subjectKey !== issuerKey || c.spkiSha256 !== spkiSha256 || !maySign(c)) continue;
        const r = validate(
          { ...input, leaf: c, anchors: [anchor], purpose: 'any', maxDepth: undefined, ekus: [] },
          [...stack, key],
        );
        if (r.valid) {
          ok = true;
          break;
        }
      }
    }
    memo.set(key, ok);
    return ok;
  };
}

function validate(input: ValidatePathInput, stack: readonly string[]): TrustResult {
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
    const anchor = path[path.length - 1]!;
    let reason: TrustReason;
    try {
      reason = checkPath(path, {
        at: input.at,
        purpose: input.purpose,
        revocation: input.revocation,
        maxDepth: input.maxDepth,
        ekus: input.ekus ?? [],
        crlSignerTrusted: input.revocation
          ? crlSigners(anchor, intermediates, { ...input, intermediates }, stack)
          : undefined,
      });
    } catch {
      reason = 'bad_crl';
    }
    if (reason === 'ok') return { valid: true, reason, chain };
    first ??= { valid: false, reason, chain };
  }
  if (first) return first;
  return { valid: false, reason: failure.reason, chain: failure.chain.map((c) => c.subject) };
}

/**
 * Validates the leaf certificate for `purpose` at time `at` against a set of trust anchors
 * (RFC 5280 §6.1). Tries every chain that can be built and returns the first valid one;
 * otherwise the failure of the first complete chain, or the most telling building failure
 * (`unknown_issuer`, `bad_signature`, ...). Never throws for bad certificates.
 */
export function validatePath(input: ValidatePathInput): TrustResult {
  return validate(input, []);
}
