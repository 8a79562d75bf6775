/** Public types of the trust engine: purposes, reason codes, results, revocation sources. */
import type { Certificate } from './certificate.js';

/** What the leaf certificate is used for (decides keyUsage / extendedKeyUsage checks). */
export type TrustPurpose = 'auth' | 'sign' | 'command' | 'any';

/** Every purpose name, for CLI validation. */
export const TRUST_PURPOSES: readonly TrustPurpose[] = ['auth', 'sign', 'command', 'any'];

/**
 * Stable reason codes (screens, logs, MQTT events and scripts depend on them; never rename).
 * `ok` when valid.
 */
export type TrustReason =
  | 'ok'
  /** A certificate in the chain is past its notAfter. */
  | 'expired'
  /** A certificate in the chain is before its notBefore. */
  | 'not_yet_valid'
  /** A certificate in the chain is on its issuer's CRL. */
  | 'revoked'
  /** No chain from the leaf to a configured trust anchor (issuer not found). */
  | 'unknown_issuer'
  /** An issuer was found by name but its key did not verify the signature. */
  | 'bad_signature'
  /** Revocation checking was asked for but there is no CRL for an issuer in the chain. */
  | 'crl_missing'
  /** The issuer's CRL is past nextUpdate plus the configured tolerance. */
  | 'crl_stale'
  /** The issuer's CRL has its thisUpdate in the future (the station's clock, or the CA's, is wrong). */
  | 'crl_not_yet_valid'
  /** The CRL for an issuer cannot be used (broken, bad signature, signer not allowed, ...). */
  | 'bad_crl'
  /** keyUsage / extendedKeyUsage do not allow the purpose (or an issuer may not sign certs). */
  | 'wrong_usage'
  /** An issuing certificate is not a CA (basicConstraints). */
  | 'not_ca'
  /** pathLenConstraint exceeded. */
  | 'path_too_long'
  /** A certificate carries a critical extension this validator does not process. */
  | 'unknown_critical_extension'
  /** A name in the chain is outside the permitted or inside the excluded subtrees (nameConstraints). */
  | 'name_not_permitted'
  /** No certificate policy is valid for the path while an explicit policy is required. */
  | 'no_acceptable_policy'
  /** A certificate breaks a rule of the RFC 5280 profile that says MUST (see profile.ts). */
  | 'profile_violation'
  /** Signature algorithm, key type, curve or key size not accepted. */
  | 'unsupported_algorithm'
  /** The leaf or an intermediate is not a well-formed certificate. */
  | 'malformed'
  /** trust.ocsp.mode `require` and no believable OCSP answer (timeout, unreachable, forged, stale). */
  | 'ocsp_unavailable'
  /** The issuer's OCSP responder answered `unknown` for the certificate. */
  | 'ocsp_unknown';

/** The answer of path validation: a value, never an exception. */
export interface TrustResult {
  valid: boolean;
  reason: TrustReason;
  /** Subjects from the leaf up to the anchor (as far as the chain was built). */
  chain: string[];
}

/** RFC 5280 §5.3.1 CRLReason values. */
export const CrlReason = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

/** Name of a CRLReason code. */
export function crlReasonName(code: number): string {
  for (const [k, v] of Object.entries(CrlReason)) if (v === code) return k;
  return `reason_${code}`;
}

/** What a revocation source knows about one certificate. */
export type RevocationStatus =
  | { state: 'good' }
  | { state: 'revoked'; reasonCode: number }
  /** No usable CRL covers this certificate's issuer and scope. */
  | { state: 'missing' }
  /** The covering CRL is beyond nextUpdate + tolerance. */
  | { state: 'stale'; nextUpdate: Date | undefined }
  /** The covering CRL's thisUpdate is in the future (RFC 5280 §6.3.3 (a): not usable yet). */
  | { state: 'not_yet_valid'; thisUpdate: Date }
  /** The covering CRL is unusable (signature, signer, format). */
  | { state: 'bad'; detail: string };

/** One revocation question: is `cert`, issued by `issuer`, revoked at `at`? */
export interface RevocationQuery {
  cert: Certificate;
  issuer: Certificate;
  at: Date;
  /**
   * RFC 5280 §6.3.3 (f): may a CRL signed by the key `spkiSha256` of a CRL issuer named
   * `issuerKey` (names.ts nameKey) answer for this certificate? Path validation answers: when
   * that key's certificate chains to the same trust anchor and may sign CRLs. Without it only
   * the issuer's own key is trusted.
   */
  crlSignerTrusted?(issuerKey: string, spkiSha256: string): boolean;
}

/** Where path validation gets revocation answers (the CRL cache, or CRLs given on a command line). */
export interface RevocationSource {
  check(query: RevocationQuery): RevocationStatus;
}

/** Freshness verdict of one issuer's CRL. */
export type CrlVerdict =
  /** now <= nextUpdate. */
  | 'fresh'
  /** nextUpdate < now <= nextUpdate + tolerance: still accepted, renew soon. */
  | 'grace'
  /** beyond the tolerance: validation answers crl_stale. */
  | 'stale'
  /** thisUpdate is in the future (clock wrong?): not used yet; validation answers crl_not_yet_valid. */
  | 'future';

/**
 * THE rule for relying on a CRL: only a `fresh` or `grace` one says "not revoked". A stale,
 * future-dated (clock wrong?) or missing CRL is not usable, for lookups, for the trust
 * component's verdict, for the health alarm and for `state/crl` alike (a serial listed on
 * any cached CRL is revoked whatever its freshness: fail closed).
 */
export function crlUsable(verdict: CrlVerdict | 'missing'): boolean {
  return crlProblem(verdict) === undefined;
}

/** Why a CRL is not usable: the reason (and alarm) each unusable verdict gives. */
export type CrlProblem = 'crl_stale' | 'crl_not_yet_valid' | 'crl_missing';

/**
 * The same rule with its answer spelled out: undefined for a usable CRL, else the reason its
 * certificates are refused with, which is also the alarm raised (`crl_missing` raises
 * `crl_stale`, see crlAlarm). A future-dated CRL has its own reason, `crl_not_yet_valid`.
 */
export function crlProblem(verdict: CrlVerdict | 'missing'): CrlProblem | undefined {
  switch (verdict) {
    case 'fresh':
    case 'grace':
      return undefined;
    case 'future':
      return 'crl_not_yet_valid';
    case 'stale':
      return 'crl_stale';
    case 'missing':
      return 'crl_missing';
  }
}

/** The alarm an unusable CRL raises (shared/mqtt ALARM_CODES): no CRL at all counts as stale. */
export function crlAlarm(
  verdict: CrlVerdict | 'missing',
): 'crl_stale' | 'crl_not_yet_valid' | undefined {
  const p = crlProblem(verdict);
  return p === 'crl_missing' ? 'crl_stale' : p;
}

/** Per-issuer CRL status (doctor, `crl status`, the kiosk's alarm). */
export interface CrlStatus {
  /** Issuer subject. */
  issuer: string;
  /** sha256 of the issuer's SubjectPublicKeyInfo (hex), tells generations apart. */
  issuerKeySha256: string;
  /** Scope of the CRL: 'full', or a short description of its issuingDistributionPoint. */
  scope: string;
  crlNumber: string | undefined;
  thisUpdate: string;
  nextUpdate: string | undefined;
  entries: number;
  /** Hours since thisUpdate. */
  ageHours: number;
  verdict: CrlVerdict;
  /** When this CRL was imported, and from where. */
  importedAt: string;
  source: string;
  /** Number of delta CRLs merged into it since the base. */
  deltasApplied: number;
}
