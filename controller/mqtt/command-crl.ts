import { createHash } from 'node:crypto';
import type { CommandCrlState } from '../../shared/mqtt/command-crl.js';
import {
  CrlCache,
  MemoryCrlStore,
  type Certificate,
  type ImportResult,
  type RevocationQuery,
  type RevocationSource,
  type RevocationStatus,
} from '../trust/index.js';

/** Where the installed command CRLs are kept between runs (the station's meta table). */
export interface CommandCrlPersistence {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

const META_KEY = 'trust.commandCrls';
/** Worst first: the state reported is the worst over the command anchors. */
const SEVERITY: readonly CommandCrlState['verdict'][] = [
  'missing',
  'stale',
  'future',
  'grace',
  'fresh',
];

/**
 * The command-signing CA's CRL on the station (docs/mqtt.md, "Revoking a command signer"): a
 * RevocationSource over the trust engine's CRL cache (controller/trust, the same parser,
 * signature check and RFC 5280 rules as the card CRLs) that only the command anchors may
 * sign, kept apart from the card CRLs so a stale command CRL never pauses pickups and a card
 * CRL never answers for a command signer. Each installed CRL (DER) is persisted and
 * installed again at start; an older CRL than the one installed is refused by the cache
 * (cRLNumber), so a replayed CRL from before a revocation cannot undo it.
 */
export class CommandCrl implements RevocationSource {
  readonly #cache: CrlCache;
  readonly #listeners = new Set<() => void>();

  constructor(
    private readonly anchors: () => readonly Certificate[],
    private readonly persisted: CommandCrlPersistence,
    options: {
      toleranceHours: number;
      toleranceHoursByIssuer?: Readonly<Record<string, number>>;
      now: () => Date;
    },
  ) {
    this.#cache = new CrlCache(new MemoryCrlStore(), options);
  }

  /** Installs the persisted CRLs again (at start). Returns those that no longer verify. */
  async load(): Promise<string[]> {
    const problems: string[] = [];
    for (const [slot, b64] of Object.entries(this.#stored())) {
      try {
        await this.#import(Buffer.from(b64, 'base64'), 'stored');
      } catch (err) {
        problems.push(`${slot}: ${(err as Error).message}`);
      }
    }
    this.#changed();
    return problems;
  }

  /**
   * Installs a CRL (DER or PEM) when a command anchor signed it and it is newer than the one
   * installed; persists it. @throws CrlError / DerError (forged, foreign, older, broken).
   */
  async install(der: Uint8Array, source: string): Promise<ImportResult> {
    const r = await this.#import(der, source);
    if (r.outcome === 'imported' || r.outcome === 'delta_applied') {
      const stored = this.#cache
        .list()
        .find(
          (c) =>
            c.issuer === r.issuer &&
            c.crlNumber?.toString() === r.crlNumber &&
            c.thisUpdate.toISOString() === r.thisUpdate,
        );
      const slot = stored
        ? `${stored.issuerSpkiSha256}|${stored.scope}`
        : createHash('sha256').update(der).digest('hex');
      this.persisted.set(
        META_KEY,
        JSON.stringify({ ...this.#stored(), [slot]: Buffer.from(der).toString('base64') }),
      );
      this.#changed();
    }
    return r;
  }

  check(q: RevocationQuery): RevocationStatus {
    return this.#cache.check(q);
  }

  /** The worst freshness over the command anchors (`missing` without any CRL or anchor). */
  state(at: Date): CommandCrlState {
    const rows = this.#cache.status(this.anchors(), at);
    const pick = rows.length
      ? rows.reduce((a, b) => (SEVERITY.indexOf(b.verdict) < SEVERITY.indexOf(a.verdict) ? b : a))
      : undefined;
    if (!pick || pick.verdict === 'missing')
      return {
        verdict: 'missing',
        thisUpdate: null,
        nextUpdate: null,
        crlNumber: null,
        entries: 0,
      };
    const full = pick as Extract<typeof pick, { thisUpdate: string }>;
    return {
      verdict: full.verdict,
      thisUpdate: full.thisUpdate,
      nextUpdate: full.nextUpdate ?? null,
      crlNumber: full.crlNumber ?? null,
      entries: full.entries,
    };
  }

  /** Subscribes to installs; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #import(der: Uint8Array, source: string): Promise<ImportResult> {
    return this.#cache.importBytes(der, { signers: this.anchors(), source });
  }

  #stored(): Record<string, string> {
    try {
      return JSON.parse(this.persisted.get(META_KEY) ?? '{}') as Record<string, string>;
    } catch {
      return {};
    }
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}
