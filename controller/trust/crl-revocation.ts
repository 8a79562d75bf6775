/**
 * Certificate revocation with CRLs, RFC 5280 §6.3.3, over the CRLs a cache holds:
 *
 * For each distribution point of the certificate (or the one implied when it has none: the
 * certificate's issuer, no name, all reasons), while reasons_mask is not all-reasons and the
 * certificate is not revoked, each cached CRL
 *  (b)(1) issued by the DP's cRLIssuer (then the CRL must be indirect) or else by the
 *         certificate's issuer,
 *  (b)(2) whose issuingDistributionPoint covers the certificate (distribution point names
 *         match, onlyContainsUserCerts / onlyContainsCACerts / onlyContainsAttributeCerts),
 *  (d),(e) whose reasons (onlySomeReasons ∩ DP reasons) add to reasons_mask,
 *  (f)    signed by a key the path trusts to sign CRLs for this certificate: the issuer's own
 *         key, or another key of a CRL issuer that chains to the same trust anchor,
 *  (i)    is looked up (for indirect CRLs, among the entries of the certificate's issuer);
 *         a listed serial is revoked, whatever the CRL's freshness;
 *  (j)    adds its reasons once it is fresh (or within the tolerance).
 * When the reasons do not add up to all reasons the status is undetermined: `stale` when a
 * covering CRL was too old, `not_yet_valid` when one is dated in the future (§6.3.3 (a)),
 * otherwise `missing`. All fail closed in path validation.
 */
import type { Certificate } from './certificate.js';
import { NO_REASON, REMOVE_FROM_CRL } from './crl-index.js';
import type { StoredCrl } from './crl-store.js';
import { ALL_REASONS, type DistributionPoint } from './distribution-points.js';
import { directoryNameKey } from './general-names.js';
import {
  crlProblem,
  type CrlVerdict,
  type RevocationQuery,
  type RevocationStatus,
} from './types.js';

/** The distribution point assumed for a certificate without cRLDistributionPoints. */
const IMPLIED_DP: DistributionPoint = {
  names: undefined,
  reasons: undefined,
  crlIssuers: undefined,
};

/** §6.3.3 (b): does `crl` (issued by one of the DP's CRL issuers) cover `cert` for `dp`? */
export function crlCoversPoint(crl: StoredCrl, dp: DistributionPoint, cert: Certificate): boolean {
  const idp = crl.idp;
  // (b)(1): a DP with cRLIssuer is served by an indirect CRL only.
  if (dp.crlIssuers && !idp?.indirect) return false;
  if (!idp) return true;
  // (b)(2)(i): the IDP's names against the DP's names, or its cRLIssuer when it has none.
  if (idp.names.length > 0) {
    const mine = dp.names ?? dp.crlIssuers;
    if (!mine || !idp.names.some((n) => mine.includes(n))) return false;
  }
  // (ii), (iii), (iv)
  if (idp.onlyUser && cert.isCa) return false;
  if (idp.onlyCa && !cert.isCa) return false;
  if (idp.onlyAttribute) return false;
  return true;
}

/** What the algorithm needs from the cache. */
export interface CrlSource {
  /** Cached CRLs issued under this name (names.ts nameKey), every signer key and scope. */
  crlsNamed(issuerKey: string): readonly StoredCrl[];
  /** Freshness verdict of a cached CRL at a time. */
  verdict(crl: StoredCrl, at: Date): CrlVerdict;
}

/**
 * RFC 5280 §6.3.3 (b) for a CRL of the certificate's own issuer: does its scope cover the
 * certificate through one of the certificate's distribution points (or the implied one)?
 */
export function crlCovers(crl: StoredCrl, cert: Certificate): boolean {
  const points = cert.distributionPoints.length
    ? cert.distributionPoints.filter((dp) => !dp.crlIssuers)
    : [IMPLIED_DP];
  return points.some((dp) => crlCoversPoint(crl, dp, cert));
}

/** §6.3.3 over the CRLs of `source`. */
export function crlRevocationStatus(source: CrlSource, q: RevocationQuery): RevocationStatus {
  const { cert, issuer } = q;
  const trusted = (c: StoredCrl) =>
    (c.issuerKey === issuer.subjectKey && c.issuerSpkiSha256 === issuer.spkiSha256) ||
    (q.crlSignerTrusted?.(c.issuerKey, c.issuerSpkiSha256) ?? false);
  const points = cert.distributionPoints.length ? cert.distributionPoints : [IMPLIED_DP];
  let mask = 0;
  let stale: StoredCrl | undefined;
  let future: StoredCrl | undefined;
  for (const dp of points) {
    const issuers = dp.crlIssuers
      ? dp.crlIssuers.filter((k) => k.startsWith('dn:')).map((k) => k.slice(3))
      : [cert.issuerKey];
    for (const name of issuers) {
      for (const crl of source.crlsNamed(name)) {
        if (mask === ALL_REASONS) break;
        if (!crlCoversPoint(crl, dp, cert)) continue;
        const interim = (crl.idp?.reasons ?? ALL_REASONS) & (dp.reasons ?? ALL_REASONS);
        if ((interim & ~mask) === 0) continue;
        if (!trusted(crl)) continue;
        const index =
          crl.issuerKey === cert.issuerKey
            ? crl.index
            : crl.others.get(directoryNameKey(cert.issuerKey));
        const r = index ? index.lookup(cert.serial) : -1;
        if (r >= 0 && r !== REMOVE_FROM_CRL)
          return { state: 'revoked', reasonCode: r === NO_REASON ? 0 : r };
        const v = source.verdict(crl, q.at);
        const problem = crlProblem(v);
        if (!problem) mask |= interim;
        else if (problem === 'crl_stale') stale = crl;
        else if (problem === 'crl_not_yet_valid') future = crl;
      }
    }
  }
  if (mask === ALL_REASONS) return { state: 'good' };
  if (stale) return { state: 'stale', nextUpdate: stale.nextUpdate };
  if (future) return { state: 'not_yet_valid', thisUpdate: future.thisUpdate };
  return { state: 'missing' };
}
