/**
 * The offline CRL cache: imports CRLs (file, URL, bytes) after verifying their signature
 * against trusted signers, keeps the last good CRL per issuer key and scope (replaced
 * atomically by a newer one that verifies), applies delta CRLs, answers revocation queries
 * for path validation in microseconds, and reports freshness per issuer.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { StreamingVerifier } from './algorithms.js';
import { KeyUsageBit, type Certificate } from './certificate.js';
import { bytesEqual } from './der.js';
import { CrlError, DerError } from './errors.js';
import { CrlIndex, NO_REASON, REMOVE_FROM_CRL, type CrlIndexBuilder } from './crl-index.js';
import { isHttpSource, openCrlSource, type IntakeLimits, type IntakeTimers } from './crl-intake.js';
import { crlCoversPoint, crlRevocationStatus } from './crl-revocation.js';
import { CrlStreamParser, type CrlHeader, type CrlInfo } from './crl-parser.js';
import type { CrlSourceState, CrlStore, StoredCrl } from './crl-store.js';
import type {
  CrlStatus,
  CrlVerdict,
  RevocationQuery,
  RevocationSource,
  RevocationStatus,
} from './types.js';
import type { IssuingDistributionPoint } from './crl-parser.js';

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
}

/** trust.crlMaxEntries default. */
export const DEFAULT_MAX_ENTRIES = 12_000_000;

/** Progress of a long import. */
export interface ImportProgress {
  bytes: number;
  /** Total size when known (file size, Content-Length). */
  totalBytes: number | undefined;
}

/** How an import ended (errors are thrown as CrlError). */
export type ImportOutcome =
  /** A full CRL replaced (or became) the cached one. */
  | 'imported'
  /** A delta CRL was merged into the cached one. */
  | 'delta_applied'
  /** The same CRL was already cached. */
  | 'unchanged'
  /** HTTP 304: the source has not changed since the last fetch. */
  | 'not_modified';

/** What an import did. */
export interface ImportResult {
  outcome: ImportOutcome;
  source: string;
  issuer?: string;
  crlNumber?: string;
  thisUpdate?: string;
  nextUpdate?: string;
  /** Entries in the cached index after the import. */
  entries?: number;
  /** Entries read from this CRL file. */
  entriesRead?: number;
  duplicates?: number;
  /** Entries dated after the CRL's thisUpdate (kept as revoked; the CA's clock is suspect). */
  futureDated?: number;
  verdict?: CrlVerdict;
  bytes?: number;
}

/** Where to import from and whom to trust for the CRL signature. */
export interface ImportOptions {
  /** Certificates allowed to sign CRLs (trust anchors, or CA certificates given explicitly). */
  signers: readonly Certificate[];
  /** Label stored with the CRL (file path or URL). */
  source: string;
  onProgress?: (p: ImportProgress) => void;
  totalBytes?: number;
}

/** Options of importUrl. */
export interface UrlImportOptions extends Omit<ImportOptions, 'source' | 'totalBytes'> {
  fetch?: typeof fetch;
  /** Ignore the stored ETag / Last-Modified. */
  force?: boolean;
  signal?: AbortSignal;
}

const HOUR_MS = 3600_000;

/**
 * RFC 5280 §6.3.3 (b) for a CRL of the certificate's own issuer: does its scope cover the
 * certificate through one of the certificate's distribution points (or the implied one)?
 */
export function crlCovers(crl: StoredCrl, cert: Certificate): boolean {
  const points = cert.distributionPoints.length
    ? cert.distributionPoints.filter((dp) => !dp.crlIssuers)
    : [{ names: undefined, reasons: undefined, crlIssuers: undefined }];
  return points.some((dp) => crlCoversPoint(crl, dp, cert));
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

/**
 * Turns a stream of PEM text (`-----BEGIN X509 CRL-----`) into DER chunks, decoding base64
 * in multiples of four characters as it arrives.
 */
async function* pemToDer(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let text = '';
  let inBody = false;
  let done = false;
  for await (const chunk of chunks) {
    if (done) continue;
    text += Buffer.from(chunk).toString('latin1');
    if (!inBody) {
      const m = /-----BEGIN (X509 CRL|CRL)-----\r?\n?/.exec(text);
      if (!m) {
        if (text.length > 4096)
          throw new CrlError('malformed', 'PEM text without a X509 CRL block');
        continue;
      }
      text = text.slice(m.index + m[0].length);
      inBody = true;
    }
    const end = text.indexOf('-----END');
    let body: string;
    if (end >= 0) {
      body = text.slice(0, end).replace(/\s+/g, '');
      done = true;
      text = '';
    } else {
      const clean = text.replace(/\s+/g, '');
      const usable = clean.length - (clean.length % 4);
      body = clean.slice(0, usable);
      text = clean.slice(usable);
    }
    if (body.length) yield new Uint8Array(Buffer.from(body, 'base64'));
  }
  if (!done) throw new DerError('truncated', 'PEM CRL block has no END line');
}

/** Chooses DER or PEM by the first bytes. */
async function* derChunks(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: () => it.next(),
    }),
  };
  const head = first.value;
  const isPem =
    head.length > 0 &&
    head[0] !== 0x30 &&
    Buffer.from(head.subarray(0, 1024)).toString('latin1').includes('-----BEGIN');
  if (isPem) {
    yield* pemToDer(
      (async function* () {
        yield head;
        yield* rest;
      })(),
    );
  } else {
    yield head;
    yield* rest;
  }
}

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

  /** Loads every cached CRL index from the store (no CRL parsing). Returns how many. */
  load(): number {
    this.#byIssuer.clear();
    const all = this.store.loadAll();
    for (const c of all) this.#remember(c);
    return all.length;
  }

  #remember(c: StoredCrl): void {
    const list = (this.#byIssuer.get(c.issuerKey) ?? []).filter(
      (x) => x.scope !== c.scope || x.issuerSpkiSha256 !== c.issuerSpkiSha256,
    );
    list.push(c);
    this.#byIssuer.set(c.issuerKey, list);
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
    const out: (CrlStatus | MissingCrlStatus)[] = this.list().map((c) => ({
      issuer: c.issuer,
      issuerKeySha256: c.issuerSpkiSha256,
      scope: c.scope === '' ? 'full' : describeScope(c.idp),
      crlNumber: c.crlNumber?.toString(),
      thisUpdate: c.thisUpdate.toISOString(),
      nextUpdate: c.nextUpdate?.toISOString(),
      entries: c.index.count,
      ageHours: Math.round(((at.getTime() - c.thisUpdate.getTime()) / HOUR_MS) * 10) / 10,
      verdict: verdictOf(c, at, this.toleranceFor(c)),
      importedAt: c.importedAt.toISOString(),
      source: c.source,
      deltasApplied: c.deltasApplied,
    }));
    const seen = new Set<string>();
    for (const a of anchors) {
      const k = `${a.subjectKey}|${a.spkiSha256}`;
      if (seen.has(k)) continue;
      seen.add(k);
      if (this.crlsFor(a).length === 0)
        out.push({ issuer: a.subject, issuerKeySha256: a.spkiSha256, verdict: 'missing' });
    }
    return out;
  }

  /** Imports a CRL file (DER or PEM; regular files only), streaming it from disk. */
  async importFile(
    file: string,
    options: Omit<ImportOptions, 'source'> & { source?: string; signal?: AbortSignal },
  ): Promise<ImportResult> {
    const source = options.source ?? (/^file:/i.test(file) ? file : path.resolve(file));
    try {
      const opened = await openCrlSource(file, this.#intake(options.signal));
      if (opened.status !== 'ok') throw new CrlError('fetch_failed', `${file}: not modified`);
      const r = await this.importStream(opened.chunks, {
        ...options,
        source,
        totalBytes: opened.totalBytes,
      });
      this.#noteSource(source, r.outcome, undefined, undefined, undefined);
      return r;
    } catch (err) {
      this.#noteSource(source, 'failed', (err as Error).message, undefined, undefined);
      throw err;
    }
  }

  #intake(
    signal: AbortSignal | undefined,
    extra: { fetch?: typeof fetch; headers?: Record<string, string> } = {},
  ) {
    return {
      ...(this.#options.intake ? { limits: this.#options.intake } : {}),
      ...(this.#options.timers ? { timers: this.#options.timers } : {}),
      ...(signal ? { signal } : {}),
      ...extra,
    };
  }

  /**
   * Imports from an http(s) URL with a conditional GET (If-None-Match / If-Modified-Since
   * from the last successful fetch); 304 -> `not_modified`. The body is streamed under the
   * intake limits (crl-intake.ts).
   */
  async importUrl(url: string, options: UrlImportOptions): Promise<ImportResult> {
    const prev = options.force ? undefined : this.store.getSource(url);
    const headers: Record<string, string> = {};
    if (prev?.etag) headers['if-none-match'] = prev.etag;
    if (prev?.lastModified) headers['if-modified-since'] = prev.lastModified;
    try {
      const opened = await openCrlSource(
        url,
        this.#intake(options.signal, {
          ...(options.fetch ? { fetch: options.fetch } : {}),
          headers,
        }),
      );
      if (opened.status === 'not_modified') {
        this.#noteSource(url, 'not_modified', undefined, prev?.etag, prev?.lastModified);
        return { outcome: 'not_modified', source: url };
      }
      const r = await this.importStream(opened.chunks, {
        ...options,
        source: url,
        totalBytes: opened.totalBytes,
      });
      this.#noteSource(url, r.outcome, undefined, opened.etag, opened.lastModified);
      return r;
    } catch (err) {
      this.#noteSource(url, 'failed', (err as Error).message, prev?.etag, prev?.lastModified);
      throw err;
    }
  }

  /** Imports a file path or an http(s) URL. */
  importFrom(source: string, options: UrlImportOptions): Promise<ImportResult> {
    return isHttpSource(source)
      ? this.importUrl(source, options)
      : this.importFile(source, options);
  }

  #noteSource(
    source: string,
    outcome: string,
    detail: string | undefined,
    etag: string | undefined,
    lastModified: string | undefined,
  ): void {
    try {
      this.store.putSource({ source, etag, lastModified, checkedAt: this.#now(), outcome, detail });
    } catch {
      // Bookkeeping only; the import result stands.
    }
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
   * The import pipeline. The signature is checked over tbsCertList as it streams; nothing is
   * stored unless it verifies with a signer allowed to sign CRLs (RFC 5280 §6.3.3 (f),(g)).
   * The store replaces the previous CRL in one transaction, so a failed or interrupted import
   * leaves the last good CRL in place. @throws CrlError / DerError.
   */
  async importStream(
    chunks: AsyncIterable<Uint8Array>,
    options: ImportOptions,
  ): Promise<ImportResult> {
    let verifiers: { signer: Certificate; v: StreamingVerifier }[] = [];
    let header: CrlHeader | undefined;
    const parser = new CrlStreamParser({
      onHeader: (h) => {
        header = h;
        if (!h.signatureAlgorithm)
          throw new CrlError(
            'unsupported_algorithm',
            `CRL from ${h.issuer} uses an unsupported signature algorithm`,
          );
        const alg = h.signatureAlgorithm;
        // RFC 5280 §6.3.3 (f): the CRL issuer must be the certificate issuer we trust.
        const candidates = options.signers.filter((s) => s.subjectKey === h.issuerKey);
        if (candidates.length === 0)
          throw new CrlError(
            'unknown_issuer',
            `CRL issuer ${h.issuer} is not among the trusted certificates`,
          );
        verifiers = candidates.map((signer) => ({ signer, v: new StreamingVerifier(alg) }));
      },
      onTbs: (chunk) => {
        for (const x of verifiers) x.v.update(chunk);
      },
      onProgress: (bytes) => options.onProgress?.({ bytes, totalBytes: options.totalBytes }),
      maxEntries: this.#options.maxEntries ?? DEFAULT_MAX_ENTRIES,
      ...(options.totalBytes ? { expectedBytes: options.totalBytes } : {}),
    });
    for await (const chunk of derChunks(chunks)) {
      parser.push(chunk);
    }
    const { info, builder, others: otherBuilders } = parser.end();
    if (!header) throw new DerError('truncated', 'CRL has no header');
    const signer = this.#verify(info, verifiers);
    this.#checkCrlFacts(info);
    const { index, duplicates } = builder.finish();
    const { others, duplicates: otherDuplicates } = finishOthers(otherBuilders);
    // Each serial is revoked once per certificate issuer; a repeated entry is a broken list.
    const repeated = duplicates + otherDuplicates;
    if (repeated > 0)
      throw new CrlError('malformed', `CRL lists ${repeated} serial number(s) more than once`);
    // Identity of the CRL: the signature value is unique to the signed content, and hashing it
    // avoids a second pass over tens of megabytes.
    const derSha256 = createHash('sha256').update(info.signature).digest('hex');
    const scope = info.idp?.valueHex ?? '';
    const current = this.crlsFor(signer).find((c) => c.scope === scope);
    const base = {
      source: options.source,
      issuer: info.issuer,
      entriesRead: info.entriesRead,
      duplicates,
      futureDated: info.futureDated,
      bytes: info.byteLength,
    };
    const idpDer = info.idp ? new Uint8Array(Buffer.from(info.idp.valueHex, 'hex')) : undefined;
    let next: StoredCrl;
    let outcome: ImportOutcome;
    if (info.deltaBase !== undefined) {
      // RFC 5280 §5.2.4: a delta CRL applies to a complete CRL whose number is >= BaseCRLNumber
      // and has the same scope.
      if (info.crlNumber === undefined)
        throw new CrlError('malformed', 'delta CRL without cRLNumber');
      if (!current || current.fullCrlNumber === undefined || current.fullCrlNumber < info.deltaBase)
        throw new CrlError(
          'no_base',
          `no cached complete CRL numbered ${info.deltaBase} or later for ${info.issuer}`,
        );
      if (current.crlNumber !== undefined && info.crlNumber <= current.crlNumber) {
        if (current.derSha256 === derSha256)
          return { ...base, ...this.#facts(current), outcome: 'unchanged' };
        throw new CrlError(
          'not_newer',
          `delta CRL ${info.crlNumber} is not newer than the cached CRL ${current.crlNumber}`,
        );
      }
      next = {
        ...current,
        thisUpdate: info.thisUpdate,
        nextUpdate: info.nextUpdate,
        crlNumber: info.crlNumber,
        deltasApplied: current.deltasApplied + 1,
        derSha256,
        source: options.source,
        importedAt: this.#now(),
        index: current.index.merge(index),
        others: mergeOthers(current.others, others),
      };
      outcome = 'delta_applied';
    } else {
      if (current) {
        if (current.derSha256 === derSha256)
          return { ...base, ...this.#facts(current), outcome: 'unchanged' };
        const newer =
          info.crlNumber !== undefined && current.crlNumber !== undefined
            ? info.crlNumber > current.crlNumber
            : info.thisUpdate.getTime() > current.thisUpdate.getTime();
        if (!newer)
          throw new CrlError(
            'not_newer',
            `CRL (thisUpdate ${info.thisUpdate.toISOString()}, number ${info.crlNumber ?? '-'}) is not newer than the cached one (thisUpdate ${current.thisUpdate.toISOString()}, number ${current.crlNumber ?? '-'})`,
          );
      }
      next = {
        issuerKey: signer.subjectKey,
        issuer: info.issuer,
        issuerSpkiSha256: signer.spkiSha256,
        scope,
        idp: info.idp,
        idpDer,
        thisUpdate: info.thisUpdate,
        nextUpdate: info.nextUpdate,
        crlNumber: info.crlNumber,
        fullCrlNumber: info.crlNumber,
        deltasApplied: 0,
        derSha256,
        source: options.source,
        importedAt: this.#now(),
        // removeFromCRL belongs in delta CRLs only; in a complete CRL it means "not revoked".
        index: withoutRemovals(index),
        others: new Map([...others].map(([k, v]) => [k, withoutRemovals(v)])),
      };
      outcome = 'imported';
    }
    this.store.put(next);
    this.#remember(next);
    return { ...base, ...this.#facts(next), outcome };
  }

  #facts(c: StoredCrl) {
    return {
      crlNumber: c.crlNumber?.toString(),
      thisUpdate: c.thisUpdate.toISOString(),
      nextUpdate: c.nextUpdate?.toISOString(),
      entries: c.index.count,
      verdict: verdictOf(c, this.#now(), this.toleranceFor(c)),
    };
  }

  /** RFC 5280 §6.3.3 (f),(g): which trusted certificate signed it, and may it sign CRLs? */
  #verify(info: CrlInfo, verifiers: { signer: Certificate; v: StreamingVerifier }[]): Certificate {
    const byKeyId = info.authorityKeyId
      ? verifiers.filter(
          (x) => !x.signer.subjectKeyId || bytesEqual(x.signer.subjectKeyId, info.authorityKeyId!),
        )
      : verifiers;
    for (const { signer, v } of byKeyId.length ? byKeyId : verifiers) {
      const key = signer.publicKey();
      if (typeof key === 'string') continue;
      if (!v.verify(key, info.signature)) continue;
      // RFC 5280 §4.2.1.3: "The cRLSign bit is asserted when the subject public key is used
      // for verifying signatures on certificate revocation lists".
      if (signer.keyUsage && !signer.keyUsage.has(KeyUsageBit.cRLSign))
        throw new CrlError(
          'signer_not_allowed',
          `${signer.subject} signed the CRL but its keyUsage lacks cRLSign`,
        );
      return signer;
    }
    throw new CrlError(
      'bad_signature',
      `the CRL signature of ${info.issuer} does not verify with any trusted key`,
    );
  }

  /** The CRL profile (RFC 5280 §5) rules that say MUST. */
  #checkCrlFacts(info: CrlInfo): void {
    // §5.1.2.5: "Conforming CRL issuers MUST include the nextUpdate time in all CRLs."
    if (!info.nextUpdate) throw new CrlError('bad_dates', 'CRL has no nextUpdate');
    if (info.nextUpdate.getTime() < info.thisUpdate.getTime())
      throw new CrlError('bad_dates', 'CRL nextUpdate is before thisUpdate');
    // §5.2.3: "CRL issuers conforming to this profile MUST include this extension in all CRLs
    // and MUST mark this extension as non-critical."
    if (info.crlNumber === undefined) throw new CrlError('malformed', 'CRL has no cRLNumber');
    if (info.crlNumberCritical) throw new CrlError('malformed', 'cRLNumber is marked critical');
    // §5.2.1 (authorityKeyIdentifier), §5.2.7 / §4.2.2.1 (authorityInfoAccess): non-critical.
    if (info.wronglyCritical.length)
      throw new CrlError(
        'malformed',
        `CRL extension ${info.wronglyCritical.join(', ')} must not be critical`,
      );
    // §6.3.3 (b)(2)(iv): a CRL of attribute certificates never covers a public-key certificate.
    if (info.idp?.onlyAttribute)
      throw new CrlError('unsupported_scope', 'attribute-certificate CRLs are not used');
  }
}

/** A cached issuer without any CRL. */
export interface MissingCrlStatus {
  issuer: string;
  issuerKeySha256: string;
  verdict: 'missing';
}

function describeScope(idp: IssuingDistributionPoint | undefined): string {
  if (!idp) return 'full';
  const parts: string[] = [];
  if (idp.names.length) parts.push('distribution point');
  if (idp.onlyUser) parts.push('user certificates only');
  if (idp.onlyCa) parts.push('CA certificates only');
  return parts.join(', ') || 'full';
}

function hasRemovals(index: CrlIndex): boolean {
  for (let i = 0; i < index.count; i++)
    if (index.rows[i * index.rowSize + index.width] === REMOVE_FROM_CRL) return true;
  return false;
}

/** removeFromCRL belongs in delta CRLs only; in a complete CRL it means "not revoked". */
function withoutRemovals(index: CrlIndex): CrlIndex {
  return hasRemovals(index) ? CrlIndex.empty().merge(index) : index;
}

function finishOthers(builders: Map<string, CrlIndexBuilder>): {
  others: Map<string, CrlIndex>;
  duplicates: number;
} {
  const others = new Map<string, CrlIndex>();
  let duplicates = 0;
  for (const [k, b] of builders) {
    const f = b.finish();
    others.set(k, f.index);
    duplicates += f.duplicates;
  }
  return { others, duplicates };
}

function mergeOthers(
  base: ReadonlyMap<string, CrlIndex>,
  delta: Map<string, CrlIndex>,
): Map<string, CrlIndex> {
  const out = new Map(base);
  for (const [k, d] of delta) out.set(k, (out.get(k) ?? CrlIndex.empty()).merge(d));
  return out;
}

export type { CrlSourceState };
