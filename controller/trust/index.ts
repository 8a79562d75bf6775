/**
 * Public API of the trust engine (controller/trust). Other parts import from here only.
 *
 * - validatePath(input) -> {valid, reason, chain}: RFC 5280 path validation, a value.
 * - TrustComponent: the daemon component (anchors from trust.*, the CRL cache in SQLite);
 *   `verify({leaf, intermediates, purpose})`, `freshness()`, `importCrl(source)`,
 *   `onFreshnessChange(listener)`.
 * - CrlCache: import/lookup/status over a CrlStore (SqliteCrlStore, MemoryCrlStore).
 * - CrlSet: revocation from CRL bytes given for one check.
 * - crlFreshnessSummary(db, ...): per-issuer CRL status straight from a database (doctor).
 */
import type { Db } from '../storage/db.js';
import type { Certificate } from './certificate.js';
import { CrlCache, type MissingCrlStatus } from './crl-cache.js';
import { SqliteCrlStore } from './crl-store.js';
import type { CrlStatus } from './types.js';

export { validatePath, allowsPurpose, type ValidatePathInput } from './path.js';
export {
  parseCertificate,
  loadCertificates,
  decodeCertificates,
  looksLikePem,
  pemBlocks,
  type Certificate,
} from './certificate.js';
export {
  CrlCache,
  crlCovers,
  verdictOf,
  type ImportOptions,
  type ImportOutcome,
  type ImportProgress,
  type ImportResult,
  type MissingCrlStatus,
  type UrlImportOptions,
} from './crl-cache.js';
export { CrlSet, type CrlProblem } from './crl-set.js';
export {
  crlIndexDir,
  MemoryCrlStore,
  SqliteCrlStore,
  type CrlStore,
  type StoredCrl,
} from './crl-store.js';
export { CrlIndex, CrlIndexBuilder } from './crl-index.js';
export { CrlStreamParser, parseCrl, type CrlInfo, type ParsedCrl } from './crl-parser.js';
export { CertificateError, CrlError, DerError } from './errors.js';
export {
  TrustComponent,
  crlCacheOptions,
  loadAnchors,
  type AnchorSets,
  type TrustComponentOptions,
  type VerifyRequest,
} from './trust-component.js';
export {
  CrlReason,
  crlAlarm,
  crlProblem,
  crlReasonName,
  crlUsable,
  TRUST_PURPOSES,
  type CrlStatus,
  type CrlVerdict,
  type RevocationQuery,
  type RevocationSource,
  type RevocationStatus,
  type TrustPurpose,
  type TrustReason,
  type TrustResult,
} from './types.js';

/**
 * CRL freshness per issuer read from an open database (for `doctor` and `crl status`):
 * thisUpdate, nextUpdate, entries, ageHours, verdict. Pass anchors to list those without a
 * CRL as `missing`.
 */
export function crlFreshnessSummary(
  db: Db,
  options: {
    toleranceHours: number;
    /** trust.crlToleranceHoursByAnchor. */
    toleranceHoursByIssuer?: Readonly<Record<string, number>>;
    now?: Date;
    anchors?: readonly Certificate[];
    /** Folder of the index files when `db` is an in-memory image of the file (crlIndexDir). */
    indexDir?: string;
  },
): (CrlStatus | MissingCrlStatus)[] {
  const store = new SqliteCrlStore(db, options.indexDir ? { indexDir: options.indexDir } : {});
  const cache = new CrlCache(store, {
    toleranceHours: options.toleranceHours,
    ...(options.toleranceHoursByIssuer
      ? { toleranceHoursByIssuer: options.toleranceHoursByIssuer }
      : {}),
  });
  cache.load();
  return cache.status(options.anchors ?? [], options.now ?? new Date());
}
