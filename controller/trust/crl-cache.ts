/**
 * The offline CRL cache: imports CRLs (file, URL, bytes; crl-import.ts) after verifying their
 * signature against trusted signers, keeps the last good CRL per issuer key and scope
 * (replaced atomically by a newer one that verifies), applies delta CRLs, answers revocation
 * queries for path validation in microseconds within a memory budget, and reports freshness
 * per issuer.
 */
import type { Certificate } from './certificate.js';
import { NO_REASON, REMOVE_FROM_CRL } from './crl-index.js';
import { FileCrlIndex, shareMemory } from './crl-index-file.js';
import { statusRows, verdictOf, type MissingCrlStatus } from './crl-freshness.js';
import { importCrl, type ImportOptions, type ImportResult } from './crl-import.js';
import { isHttpSource, type IntakeLimits, type IntakeTimers } from './crl-intake.js';
import { crlRevocationStatus } from './crl-revocation.js';
import {
  importFileSource,
  importUrlSource,
  type FileImportOptions,
  type SourceContext,
  type UrlImportOptions,
} from './crl-sources.js';
import type { CrlSourceState, CrlStore, StoredCrl } from './crl-store.js';
import type {
  CrlStatus,
  CrlVerdict,
  RevocationQuery,
  RevocationSource,
  RevocationStatus,
} from './types.js';

export { verdictOf, type MissingCrlStatus } from './crl-freshness.js';
export { crlCovers } from './crl-revocation.js';
export type { FileImportOptions, UrlImportOptions } from './crl-sources.js';
export type { ImportOptions, ImportOutcome, ImportProgress, ImportResult } from './crl-import.js';

/** Options of the cache. */
export interface CrlCacheOptions {
  /** How long past nextUpdate a CRL is still accepted (trust.crlToleranceHours). */
  toleranceHours: number;
  /**
   * Per-anchor overrides of `toleranceHours`, keyed by the SHA-256 (hex) of the CRL issuer's
   * SubjectPublicKeyInfo (trust.crlToleranceHoursByAnchor; `crl status` shows the key).
   */
  toleranceHoursByIssuer?: Readonly<Record<string, number>>;
  now?: () => Date;
  /** Limits of every download and file read (crl-intake.ts; schema defaults otherwise). */
  intake?: Partial<IntakeLimits>;
  /** Most entries accepted in one CRL (trust.crlMaxEntries). */
  maxEntries?: number;
  /** Timers of the intake watchdog (tests). */
  timers?: IntakeTimers;
  /**
   * Memory for the lookup structures of all cached CRLs together (trust.crlMemoryMb): 8 bytes
   * per entry while they fit, else the bucket tables alone, the fingerprints of one bucket read
   * from the index file per lookup (crl-index-file.ts). 0: bucket tables only.
   */
  memoryMb?: number;
}

/** trust.crlMemoryMb default. */
export const DEFAULT_CRL_MEMORY_MB = 128;

/** trust.crlMaxEntries default. */
export const DEFAULT_MAX_ENTRIES = 12_000_000;

/** The cache. Load once with `load()`; then check() answers from memory. */
export class CrlCache implements RevocationSource {
  readonly #byIssuer = new Map<string, StoredCrl[]>();
  readonly #now: () => Date;
  toleranceHours: number;
  readonly #byIssuerTolerance: Readonly<Record<string, number>>;
  readonly #options: CrlCacheOptions;

  constructor(
    readonly store: CrlStore,
    options: CrlCacheOptions,
  ) {
    this.#options = options;
    this.toleranceHours = options.toleranceHours;
    this.#byIssuerTolerance = options.toleranceHoursByIssuer ?? {};
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * The freshness tolerance (hours past nextUpdate) of a CRL: its issuer's override when one is
   * configured, else the global `toleranceHours`.
   */
  toleranceFor(crl: { issuerSpkiSha256: string }): number {
    return Object.hasOwn(this.#byIssuerTolerance, crl.issuerSpkiSha256)
      ? this.#byIssuerTolerance[crl.issuerSpkiSha256]!
      : this.toleranceHours;
  }

  /**
   * Loads every cached CRL from the store (no CRL parsing; index files: their headers). The
   * lookup structures are built by `warm()` or on the first lookup. Returns how many.
   */
  load(): number {
    for (const c of this.list()) c.index.close();
    this.#byIssuer.clear();
    const all = this.store.loadAll();
    for (const c of all) this.#remember(c);
    this.#shareMemory(false);
    return all.length;
  }

  #remember(c: StoredCrl): void {
    const old = this.#byIssuer.get(c.issuerKey) ?? [];
    const same = (x: StoredCrl) => x.scope === c.scope && x.issuerSpkiSha256 === c.issuerSpkiSha256;
    for (const x of old) if (same(x) && x.index !== c.index) x.index.close();
    this.#byIssuer.set(c.issuerKey, [...old.filter((x) => !same(x)), c]);
  }

  /**
   * Splits trust.crlMemoryMb between the index files (by entries); `eager` builds the lookup
   * structures now, else each on its first lookup (a one-shot `crl import` never needs them).
   */
  #shareMemory(eager: boolean): void {
    const files = this.list().flatMap((c) => (c.index instanceof FileCrlIndex ? [c.index] : []));
    shareMemory(files, (this.#options.memoryMb ?? DEFAULT_CRL_MEMORY_MB) * 1024 * 1024, eager);
  }

  /**
   * Builds every lookup structure now within the memory budget (one read per index file): the
   * daemon at start and after each import, so the next card is answered at once.
   */
  warm(): void {
    this.#shareMemory(true);
  }

  /** Bytes the lookup structures of the index files hold now. */
  get memoryBytes(): number {
    let n = 0;
    for (const c of this.list()) if (c.index instanceof FileCrlIndex) n += c.index.memoryBytes;
    return n;
  }

  /** Every cached CRL. */
  list(): StoredCrl[] {
    return [...this.#byIssuer.values()].flat();
  }

  /** The cached CRLs issued under a name (names.ts nameKey): every signer key and scope. */
  crlsNamed(issuerKey: string): readonly StoredCrl[] {
    return this.#byIssuer.get(issuerKey) ?? [];
  }

  /** The cached CRLs signed by one issuer certificate's key (all scopes). */
  crlsFor(issuer: Certificate): StoredCrl[] {
    return this.crlsNamed(issuer.subjectKey).filter(
      (c) => c.issuerSpkiSha256 === issuer.spkiSha256,
    );
  }

  /** Freshness verdict of a cached CRL with its tolerance. */
  verdict(crl: StoredCrl, at: Date): CrlVerdict {
    return verdictOf(crl, at, this.toleranceFor(crl));
  }

  /**
   * RevocationSource: RFC 5280 §6.3.3 with the station's policy (crl-revocation.ts): listed ->
   * revoked (whatever the freshness); reasons not all covered by usable CRLs -> stale when a
   * covering CRL is past nextUpdate + tolerance, else missing.
   */
  check(q: RevocationQuery): RevocationStatus {
    return crlRevocationStatus(this, q);
  }

  /**
   * Looks one serial up for an issuer (`crl check`): undefined when no CRL is cached for it,
   * else whether it is listed and with which reason code.
   */
  lookup(
    issuer: Certificate,
    serial: Uint8Array,
  ): { listed: boolean; reasonCode: number | undefined; crl: StoredCrl } | undefined {
    const crls = this.crlsNamed(issuer.subjectKey);
    if (crls.length === 0) return undefined;
    for (const c of crls) {
      const r = c.index.lookup(serial);
      if (r >= 0 && r !== REMOVE_FROM_CRL)
        return { listed: true, reasonCode: r === NO_REASON ? undefined : r, crl: c };
    }
    return { listed: false, reasonCode: undefined, crl: crls[0]! };
  }

  /**
   * Freshness summary per cached CRL, plus one `missing` row per given anchor without any
   * CRL (doctor, `crl status`, the kiosk's alarm).
   */
  status(
    anchors: readonly Certificate[] = [],
    at: Date = this.#now(),
  ): (CrlStatus | MissingCrlStatus)[] {
    return statusRows(this.list(), anchors, at, (c) => this.toleranceFor(c));
  }

  /** Imports a CRL file (DER or PEM; regular files only), streaming it from disk. */
  importFile(file: string, options: FileImportOptions): Promise<ImportResult> {
    return importFileSource(this.#sources(), file, options);
  }

  /**
   * Imports from an http(s) URL with a conditional GET (If-None-Match / If-Modified-Since
   * from the last successful fetch); 304 -> `not_modified`. The body is streamed under the
   * intake limits (crl-intake.ts).
   */
  importUrl(url: string, options: UrlImportOptions): Promise<ImportResult> {
    return importUrlSource(this.#sources(), url, options);
  }

  /** Imports a file path or an http(s) URL. */
  importFrom(source: string, options: UrlImportOptions): Promise<ImportResult> {
    return isHttpSource(source)
      ? this.importUrl(source, options)
      : this.importFile(source, options);
  }

  #sources(): SourceContext {
    return {
      store: this.store,
      now: this.#now,
      ...(this.#options.intake ? { intake: this.#options.intake } : {}),
      ...(this.#options.timers ? { timers: this.#options.timers } : {}),
      importStream: (chunks, options) => this.importStream(chunks, options),
    };
  }

  /** Imports CRL bytes held in memory. */
  importBytes(der: Uint8Array, options: ImportOptions): Promise<ImportResult> {
    return this.importStream(
      (async function* () {
        yield der;
      })(),
      options,
    );
  }

  /**
   * The import pipeline (crl-import.ts): nothing is stored unless the CRL verifies with a
   * signer allowed to sign CRLs; a failed or interrupted import leaves the last good CRL in
   * place. @throws CrlError / DerError.
   */
  async importStream(
    chunks: AsyncIterable<Uint8Array>,
    options: ImportOptions,
  ): Promise<ImportResult> {
    const { result, stored } = await importCrl(
      {
        store: this.store,
        now: this.#now,
        maxEntries: this.#options.maxEntries ?? DEFAULT_MAX_ENTRIES,
        current: (signer, scope) => this.crlsFor(signer).find((c) => c.scope === scope),
        facts: (c) => ({
          crlNumber: c.crlNumber?.toString(),
          thisUpdate: c.thisUpdate.toISOString(),
          nextUpdate: c.nextUpdate?.toISOString(),
          entries: c.index.count,
          verdict: verdictOf(c, this.#now(), this.toleranceFor(c)),
        }),
      },
      chunks,
      options,
    );
    if (stored) {
      this.#remember(stored);
      this.#shareMemory(false);
    }
    return result;
  }
}

export type { CrlSourceState };
