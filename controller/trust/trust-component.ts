/**
 * The trust engine as a daemon component: loads the configured trust anchors and the cached
 * CRL indexes on start, answers certificate checks for the pickup flow (`auth`), signatures
 * (`sign`) and back-office commands (`command`), re-fetches CRLs and watches their freshness.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { ConfigError, type ConfigProblem } from '../../shared/errors.js';
import type { Config } from '../config/types.js';
import { throwIfAborted, type Component } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { Db } from '../storage/db.js';
import { loadCertificates, type Certificate } from './certificate.js';
import {
  CrlCache,
  type CrlCacheOptions,
  type ImportProgress,
  type ImportResult,
  type MissingCrlStatus,
} from './crl-cache.js';
import type { IntakeLimits } from './crl-intake.js';
import { SqliteCrlStore } from './crl-store.js';
import { isJpkiRootName, loadJpkiRoot } from './jpki-roots.js';
import { OcspClient } from './ocsp/client.js';
import { verifyWithStatus, type OcspMode, type StatusResult } from './ocsp/policy.js';
import { validatePath } from './path.js';
import {
  crlProblem,
  crlUsable,
  type CrlStatus,
  type TrustPurpose,
  type TrustResult,
} from './types.js';

/** Timer functions (injected so tests can use fake timers). */
export interface TrustTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The CRL intake keys of trust.* (crl-intake.ts; schema defaults when left out). */
type IntakeKeys =
  | 'crlMaxBytes'
  | 'crlMaxEntries'
  | 'crlMemoryMb'
  | 'crlDownloadTimeoutSec'
  | 'crlMinRateBytes'
  | 'crlMinRateWindowSec';

/** trust.* as the component takes it (`ocsp` may be left out: off; intake keys: defaults). */
export type TrustConfig = Omit<Config['trust'], 'ocsp' | IntakeKeys> & {
  ocsp?: Config['trust']['ocsp'];
} & Partial<Pick<Config['trust'], IntakeKeys>>;

/** The CRL cache options that trust.* configures (tolerances, intake limits). */
export function crlCacheOptions(config: Readonly<TrustConfig>): CrlCacheOptions {
  return {
    toleranceHours: config.crlToleranceHours,
    toleranceHoursByIssuer: config.crlToleranceHoursByAnchor ?? {},
    intake: {
      ...(config.crlMaxBytes !== undefined ? { maxBytes: config.crlMaxBytes } : {}),
      ...(config.crlDownloadTimeoutSec !== undefined
        ? { deadlineMs: config.crlDownloadTimeoutSec * 1000 }
        : {}),
      ...(config.crlMinRateBytes !== undefined ? { minRateBytes: config.crlMinRateBytes } : {}),
      ...(config.crlMinRateWindowSec !== undefined
        ? { minRateWindowMs: config.crlMinRateWindowSec * 1000 }
        : {}),
    },
    ...(config.crlMaxEntries !== undefined ? { maxEntries: config.crlMaxEntries } : {}),
    ...(config.crlMemoryMb !== undefined ? { memoryMb: config.crlMemoryMb } : {}),
  };
}

/** What the component needs. */
export interface TrustComponentOptions {
  config: Readonly<TrustConfig>;
  /** The open station database (valid once storage has started). */
  db: () => Db;
  log: Logger;
  now?: () => Date;
  timers?: TrustTimers;
  /** Clock-skew tolerance for OCSP time windows (the station's mqtt.clockSkewSec; default 60). */
  clockSkewSec?: number;
}

/** One certificate check. */
export interface VerifyRequest {
  /** DER of the leaf (e.g. the card's user-authentication certificate). */
  leaf: Uint8Array;
  intermediates?: Uint8Array[];
  purpose: TrustPurpose;
  /** Default: now. */
  at?: Date;
}

/** Anchors loaded from the configuration, per purpose. */
export type AnchorSets = Record<Exclude<TrustPurpose, 'any'>, Certificate[]>;

/**
 * Reads the anchors of trust.*Anchors: files, or shipped JPKI roots by name (jpki-roots.ts).
 * @throws ConfigError listing every bad entry.
 */
export function loadAnchors(
  config: Readonly<TrustConfig>,
  read = (f: string) => readFileSync(f),
): AnchorSets {
  const problems: ConfigProblem[] = [];
  const load = (key: 'authAnchors' | 'signAnchors' | 'commandAnchors') =>
    config[key].flatMap((file, i) => {
      try {
        // A shipped root by name (jpki-auth-2023), checked against its pinned SHA-256.
        if (key === 'authAnchors' && isJpkiRootName(file)) return [loadJpkiRoot(file)];
        return loadCertificates(new Uint8Array(read(file)), file);
      } catch (err) {
        problems.push({
          path: `trust.${key}[${i}]`,
          message: `${file}: ${(err as Error).message}`,
        });
        return [];
      }
    });
  const sets = {
    auth: load('authAnchors'),
    sign: load('signAnchors'),
    command: load('commandAnchors'),
  };
  // Each per-anchor tolerance must name a configured anchor (a typo must not silently fall
  // back to the global tolerance).
  const known = new Set([...sets.auth, ...sets.sign, ...sets.command].map((c) => c.spkiSha256));
  for (const key of Object.keys(config.crlToleranceHoursByAnchor ?? {}))
    if (!known.has(key))
      problems.push({
        path: `trust.crlToleranceHoursByAnchor.${key}`,
        message: 'is not the SHA-256 of the public key of any configured trust anchor',
      });
  if (problems.length) throw new ConfigError(problems);
  return sets;
}

/** Component name: `trust`. */
export class TrustComponent implements Component {
  readonly name = 'trust';
  #anchors: AnchorSets = { auth: [], sign: [], command: [] };
  #crl: CrlCache | undefined;
  #timer: unknown;
  #staleKeys = '';
  readonly #listeners = new Set<(statuses: (CrlStatus | MissingCrlStatus)[]) => void>();
  readonly #now: () => Date;
  readonly #timers: TrustTimers;
  /** Imports of trust.crlUrls still running, by source. */
  readonly #inflight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  #ocsp: OcspClient | undefined;

  constructor(private readonly options: TrustComponentOptions) {
    this.#now = options.now ?? (() => new Date());
    this.#timers = options.timers ?? {
      setInterval: (fn, ms) => setInterval(fn, ms).unref(),
      clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
    };
  }

  /** Loads anchors (ConfigError on a bad file) and the cached CRL indexes. */
  async start(signal: AbortSignal): Promise<void> {
    const { config, log } = this.options;
    this.#anchors = loadAnchors(config);
    throwIfAborted(signal);
    const started = performance.now();
    const store = new SqliteCrlStore(this.options.db());
    this.#crl = new CrlCache(store, {
      ...crlCacheOptions(config),
      now: this.#now,
    });
    const loaded = this.#crl.load();
    this.#crl.warm();
    // A cached CRL whose index file is missing or damaged is left out: its certificates answer
    // crl_missing (fail closed) until the next import.
    for (const problem of store.problems) log.warn({ problem }, 'cached CRL left out');
    log.info(
      {
        anchors: {
          auth: this.#anchors.auth.length,
          sign: this.#anchors.sign.length,
          command: this.#anchors.command.length,
        },
        crls: loaded,
        entries: this.#crl.list().reduce((n, c) => n + c.index.count, 0),
        loadMs: Math.round(performance.now() - started),
        lookupMemoryMb: Math.round((this.#crl.memoryBytes / 1048576) * 10) / 10,
      },
      'trust anchors and CRL cache loaded',
    );
    this.#checkFreshness();
    if (config.crlRefreshMinutes > 0) {
      this.#timer = this.#timers.setInterval(
        () => void this.refresh(),
        config.crlRefreshMinutes * 60_000,
      );
    }
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) this.#timers.clearInterval(this.#timer);
    this.#timer = undefined;
    for (const r of this.#inflight.values()) r.controller.abort();
    await Promise.all([...this.#inflight.values()].map((r) => r.done));
  }

  /** The CRL cache (after start). */
  get crl(): CrlCache {
    if (!this.#crl) throw new Error('trust component is not started');
    return this.#crl;
  }

  /** The loaded anchors. */
  get anchors(): Readonly<AnchorSets> {
    return this.#anchors;
  }

  /** Every anchor of every purpose (CRL signers). */
  allAnchors(): Certificate[] {
    return [...this.#anchors.auth, ...this.#anchors.sign, ...this.#anchors.command];
  }

  /**
   * Validates a certificate for a purpose against the anchors configured for it, with the
   * CRL cache when trust.revocationFor lists the purpose (`any`: all anchors, with CRLs).
   */
  verify(req: VerifyRequest): TrustResult {
    const anchors = req.purpose === 'any' ? this.allAnchors() : this.#anchors[req.purpose];
    const checkRevocation =
      req.purpose === 'any' || this.options.config.revocationFor.includes(req.purpose);
    return validatePath({
      leaf: req.leaf,
      intermediates: req.intermediates ?? [],
      anchors,
      at: req.at ?? this.#now(),
      purpose: req.purpose,
      revocation: checkRevocation ? this.crl : undefined,
    });
  }

  /**
   * Like verify, with the online status policy of trust.ocsp.mode for revocation-checked
   * purposes (see ocsp/policy.ts); the answer says which source decided (`ocsp`,
   * `ocsp-cache`, `crl`). `ocspUrl` / `mode` override the configuration (CLI).
   */
  verifyWithStatus(
    req: VerifyRequest & { ocspUrl?: string; mode?: OcspMode },
  ): Promise<StatusResult> {
    const ocsp = this.options.config.ocsp;
    const checkRevocation =
      req.purpose === 'any' || this.options.config.revocationFor.includes(req.purpose);
    return verifyWithStatus({
      leaf: req.leaf,
      intermediates: req.intermediates ?? [],
      anchors: req.purpose === 'any' ? this.allAnchors() : this.#anchors[req.purpose],
      at: req.at ?? this.#now(),
      purpose: req.purpose,
      crl: checkRevocation ? this.crl : undefined,
      client: this.ocsp,
      mode: req.mode ?? ocsp?.mode ?? 'off',
      url: req.ocspUrl ?? ocsp?.url ?? '',
      timeoutMs: ocsp?.timeoutMs ?? 2000,
    });
  }

  /** The OCSP client and its cache (relayed responses go here). */
  get ocsp(): OcspClient {
    this.#ocsp ??= new OcspClient({
      clockSkewSec: this.options.clockSkewSec ?? 60,
      now: this.#now,
      requireNonce: this.options.config.ocsp?.requireNonce ?? true,
    });
    return this.#ocsp;
  }

  /**
   * Takes OCSP responses relayed by the back office, checked against the auth anchors like
   * fetched ones. @throws OcspError when one cannot be believed.
   */
  acceptRelayedOcsp(der: Uint8Array): number {
    const n = this.ocsp.acceptRelayed(der, this.allAnchors());
    this.options.log.info({ answers: n }, 'relayed OCSP response accepted');
    return n;
  }

  /**
   * CRL freshness per issuer (thisUpdate, nextUpdate, entries, ageHours, verdict), with a
   * `missing` row for each anchor of a revocation-checked purpose that has no CRL.
   */
  freshness(at: Date = this.#now()): (CrlStatus | MissingCrlStatus)[] {
    const checked = this.options.config.revocationFor.flatMap((p) => this.#anchors[p]);
    return this.crl.status(checked, at);
  }

  /** Subscribes to changes of the set of stale/missing CRLs (alarm, kiosk notice). */
  onFreshnessChange(listener: (statuses: (CrlStatus | MissingCrlStatus)[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Imports one CRL (file path or URL), verified against every configured anchor. */
  async importCrl(
    source: string,
    onProgress?: (p: ImportProgress) => void,
    signal?: AbortSignal,
  ): Promise<ImportResult> {
    const r = await this.crl.importFrom(source, {
      signers: this.allAnchors(),
      onProgress,
      ...(signal ? { signal } : {}),
    });
    return this.#imported(r, source);
  }

  /** Where crl.available spools a download: beside the CRL cache, on the station's disk. */
  spoolDir(): string {
    const store = this.crl.store;
    return store instanceof SqliteCrlStore ? store.indexDir : os.tmpdir();
  }

  /** The CRL intake limits trust.* configures (crl.available downloads use them too). */
  intakeLimits(): Partial<IntakeLimits> {
    return crlCacheOptions(this.options.config).intake ?? {};
  }

  /** After an import: logged, the lookup structures warmed, freshness re-checked. */
  #imported(r: ImportResult, source: string): ImportResult {
    this.options.log.info(
      { source, outcome: r.outcome, entries: r.entries, crlNumber: r.crlNumber },
      'CRL import',
    );
    this.crl.warm();
    this.#checkFreshness();
    return r;
  }

  /**
   * Imports a downloaded CRL file (crl.available: already hash-checked by the caller), labelled
   * with the URL it came from, then re-checks freshness.
   */
  async importCrlFile(file: string, source: string): Promise<ImportResult> {
    const r = await this.crl.importFile(file, { signers: this.allAnchors(), source });
    return this.#imported(r, source);
  }

  /**
   * Fetches every trust.crlUrls source (errors logged; the last good CRLs stay), then re-checks
   * freshness. Each download ends within trust.crlDownloadTimeoutSec (or sooner when it is
   * slower than the minimum rate); a source still downloading from an earlier refresh is left
   * to finish and skipped this time, so one slow source never holds up a refresh, and a failed
   * one is simply tried again at the next.
   */
  async refresh(): Promise<void> {
    const started: Promise<void>[] = [];
    for (const source of this.options.config.crlUrls) {
      if (this.#inflight.has(source)) {
        this.options.log.warn({ source }, 'CRL download still running; not started again');
        continue;
      }
      const controller = new AbortController();
      const done = this.importCrl(source, undefined, controller.signal)
        .then(
          () => undefined,
          (err: unknown) =>
            this.options.log.warn(
              { source, err: (err as Error).message, code: (err as { code?: string }).code },
              'CRL import failed; keeping the last good CRL',
            ),
        )
        .finally(() => this.#inflight.delete(source));
      this.#inflight.set(source, { controller, done });
      started.push(done);
    }
    await Promise.all(started);
    this.#checkFreshness();
  }

  #checkFreshness(): void {
    const statuses = this.freshness();
    const bad = statuses.filter((s) => !crlUsable(s.verdict));
    const key = bad
      .map((s) => `${s.issuerKeySha256}:${s.verdict}`)
      .sort()
      .join(',');
    for (const s of bad)
      this.options.log.warn(
        { issuer: s.issuer, verdict: s.verdict, reason: crlProblem(s.verdict) },
        'CRL not usable: certificates of this issuer are refused',
      );
    if (key !== this.#staleKeys) {
      this.#staleKeys = key;
      for (const l of this.#listeners) l(statuses);
    }
  }
}
