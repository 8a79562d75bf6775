/**
 * Revocation from CRLs given for one check (`cert verify --crl`, batch lines): imported into
 * an in-memory cache, verified against the anchors and intermediates of that check. A CRL
 * that cannot be used makes the certificates of its issuer answer `bad_crl` (when no good
 * CRL of that issuer was given), never an exception.
 */
import type { Certificate } from './certificate.js';
import { CrlCache } from './crl-cache.js';
import { CrlStreamParser } from './crl-parser.js';
import { MemoryCrlStore } from './crl-store.js';
import { CrlError, DerError } from './errors.js';
import type { RevocationQuery, RevocationSource, RevocationStatus } from './types.js';

/** A CRL that could not be used, and why. */
export interface CrlProblem {
  /** Issuer name key when the header could be read. */
  issuerKey: string | undefined;
  code: string;
  detail: string;
}

function issuerKeyOf(der: Uint8Array): string | undefined {
  let key: string | undefined;
  try {
    const p = new CrlStreamParser({ onHeader: (h) => (key = h.issuerKey) });
    p.push(der);
  } catch {
    // only the header matters here
  }
  return key;
}

/** RevocationSource over CRLs held in memory. */
export class CrlSet implements RevocationSource {
  readonly problems: CrlProblem[] = [];
  constructor(readonly cache: CrlCache) {}

  /**
   * Imports CRLs (DER or PEM bytes): complete CRLs first, then deltas. `signers` are the
   * certificates allowed to have signed them (the check's anchors and intermediates).
   */
  static async from(
    crls: readonly Uint8Array[],
    signers: readonly Certificate[],
    options: {
      toleranceHours: number;
      toleranceHoursByIssuer?: Readonly<Record<string, number>>;
      now?: () => Date;
    },
  ): Promise<CrlSet> {
    const set = new CrlSet(new CrlCache(new MemoryCrlStore(), options));
    const pending: Uint8Array[] = [...crls];
    const deltas: Uint8Array[] = [];
    for (const pass of [0, 1]) {
      for (const der of pass === 0 ? pending : deltas) {
        try {
          await set.cache.importBytes(der, { signers, source: 'command line' });
        } catch (err) {
          if (err instanceof CrlError && err.kind === 'no_base' && pass === 0) {
            deltas.push(der);
            continue;
          }
          if (err instanceof CrlError && err.kind === 'not_newer') continue;
          if (err instanceof CrlError || err instanceof DerError) {
            set.problems.push({ issuerKey: issuerKeyOf(der), code: err.code, detail: err.message });
            continue;
          }
          throw err;
        }
      }
    }
    return set;
  }

  check(q: RevocationQuery): RevocationStatus {
    const s = this.cache.check(q);
    if (s.state !== 'missing') return s;
    const p = this.problems.find(
      (x) => x.issuerKey === undefined || x.issuerKey === q.issuer.subjectKey,
    );
    return p ? { state: 'bad', detail: p.detail } : s;
  }
}
