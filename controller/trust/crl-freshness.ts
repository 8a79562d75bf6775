/** Freshness of cached CRLs: the verdict of one CRL at a time, and the per-CRL status rows. */
import type { Certificate } from './certificate.js';
import type { IssuingDistributionPoint } from './crl-parser.js';
import type { StoredCrl } from './crl-store.js';
import type { CrlStatus, CrlVerdict } from './types.js';

const HOUR_MS = 3600_000;

/** A cached issuer without any CRL. */
export interface MissingCrlStatus {
  issuer: string;
  issuerKeySha256: string;
  verdict: 'missing';
}

/** Freshness verdict at `at` with the given tolerance. */
export function verdictOf(
  crl: { thisUpdate: Date; nextUpdate: Date | undefined },
  at: Date,
  toleranceHours: number,
): CrlVerdict {
  // RFC 5280 §6.3.3 (a): a CRL is used from its thisUpdate on, until nextUpdate (plus the
  // station's tolerance). Without nextUpdate (§5.1.2.5: conforming issuers MUST include it)
  // there is no freshness to rely on: stale.
  if (crl.thisUpdate.getTime() > at.getTime()) return 'future';
  if (!crl.nextUpdate) return 'stale';
  if (at.getTime() <= crl.nextUpdate.getTime()) return 'fresh';
  if (at.getTime() <= crl.nextUpdate.getTime() + toleranceHours * HOUR_MS) return 'grace';
  return 'stale';
}

function describeScope(idp: IssuingDistributionPoint | undefined): string {
  if (!idp) return 'full';
  const parts: string[] = [];
  if (idp.names.length) parts.push('distribution point');
  if (idp.onlyUser) parts.push('user certificates only');
  if (idp.onlyCa) parts.push('CA certificates only');
  return parts.join(', ') || 'full';
}

/**
 * One status row per cached CRL, plus one `missing` row per given anchor without any CRL
 * (doctor, `crl status`, the kiosk's alarm).
 */
export function statusRows(
  crls: readonly StoredCrl[],
  anchors: readonly Certificate[],
  at: Date,
  toleranceFor: (crl: StoredCrl) => number,
): (CrlStatus | MissingCrlStatus)[] {
  const out: (CrlStatus | MissingCrlStatus)[] = crls.map((c) => ({
    issuer: c.issuer,
    issuerKeySha256: c.issuerSpkiSha256,
    scope: c.scope === '' ? 'full' : describeScope(c.idp),
    crlNumber: c.crlNumber?.toString(),
    thisUpdate: c.thisUpdate.toISOString(),
    nextUpdate: c.nextUpdate?.toISOString(),
    entries: c.index.count,
    ageHours: Math.round(((at.getTime() - c.thisUpdate.getTime()) / HOUR_MS) * 10) / 10,
    verdict: verdictOf(c, at, toleranceFor(c)),
    importedAt: c.importedAt.toISOString(),
    source: c.source,
    deltasApplied: c.deltasApplied,
  }));
  const seen = new Set<string>();
  for (const a of anchors) {
    const k = `${a.subjectKey}|${a.spkiSha256}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const has = crls.some(
      (c) => c.issuerKey === a.subjectKey && c.issuerSpkiSha256 === a.spkiSha256,
    );
    if (!has) out.push({ issuer: a.subject, issuerKeySha256: a.spkiSha256, verdict: 'missing' });
  }
  return out;
}
