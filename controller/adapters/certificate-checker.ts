/** Path validation with the CRL cache, as the flows' certificate checker. */
import { validatePath } from '../trust/path.js';
import type { RevocationSource } from '../trust/types.js';
import type { CertCheck, CertificateChecker, RevocationDecider } from '../domain/ports.js';

/** Validates a user-authentication certificate: chain to the auth anchors, validity, CRL. */
export class PathCertificateChecker implements CertificateChecker {
  constructor(
    private readonly anchors: () => readonly Uint8Array[],
    private readonly revocation: RevocationSource | undefined,
  ) {}

  checkAuthCertificate(der: Uint8Array, at: Date): CertCheck {
    const r = validatePath({
      leaf: der,
      anchors: this.anchors(),
      at,
      purpose: 'auth',
      ...(this.revocation ? { revocation: this.revocation } : {}),
    });
    if (r.valid) return { valid: true };
    return { valid: false, reason: r.reason === 'crl_missing' ? 'no_crl' : r.reason };
  }
}

/**
 * The trust component's `verifyWithStatus` for purpose `auth`: its anchors, `trust.revocationFor`
 * and the online policy of `trust.ocsp.mode` apply; the answer keeps the source that decided
 * (`ocsp`, `ocsp-cache`, `crl`).
 */
export class TrustCertificateChecker implements CertificateChecker {
  constructor(
    private readonly trust: {
      verifyWithStatus(req: { leaf: Uint8Array; purpose: 'auth'; at?: Date }): Promise<{
        valid: boolean;
        reason: string;
        source: RevocationDecider;
      }>;
    },
  ) {}

  async checkAuthCertificate(der: Uint8Array, at: Date): Promise<CertCheck> {
    const r = await this.trust.verifyWithStatus({ leaf: der, purpose: 'auth', at });
    if (r.valid) return { valid: true, source: r.source };
    return {
      valid: false,
      reason: r.reason === 'crl_missing' ? 'no_crl' : r.reason,
      source: r.source,
    };
  }
}
