/**
 * Believed OCSP answers kept until their nextUpdate (RFC 5019 §6.1: "clients SHOULD cache
 * responses until the nextUpdate time"). Keyed by the CertID's issuer key hash and serial;
 * a newer answer (later thisUpdate) replaces an older one, never the other way round.
 * Answers without nextUpdate are not kept. Bounded: expired entries go first, then the oldest.
 */
import type { CertId } from './request.js';
import { certIdKey } from './request.js';
import type { CertStatus } from './response.js';

/** One believed answer. */
export interface OcspAnswer {
  certId: CertId;
  status: CertStatus;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  producedAt: Date;
  /** The OCSPResponse it came from (for relaying and persistence). */
  der: Uint8Array;
  /** Where it came from: fetched from a responder, or pushed by the back office. */
  origin: 'fetched' | 'relayed';
}

/** Where cached answers are also kept (so relayed answers survive a restart). */
export interface OcspAnswerStore {
  save(key: string, answer: OcspAnswer): void;
  remove(key: string): void;
}

/** The in-memory cache. */
export class OcspCache {
  readonly #entries = new Map<string, OcspAnswer>();

  constructor(private readonly options: { maxEntries?: number; store?: OcspAnswerStore } = {}) {}

  /** Number of cached answers. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The cached answer for `certId`, if still usable at `now` (nextUpdate + skew not passed);
   * an expired one is dropped.
   */
  get(certId: CertId, now: Date, skewMs: number): OcspAnswer | undefined {
    const key = certIdKey(certId);
    const a = this.#entries.get(key);
    if (!a) return undefined;
    if (!a.nextUpdate || a.nextUpdate.getTime() + skewMs < now.getTime()) {
      this.#entries.delete(key);
      this.options.store?.remove(key);
      return undefined;
    }
    if (a.thisUpdate.getTime() > now.getTime() + skewMs) return undefined;
    return a;
  }

  /** Keeps an answer unless a newer one for the same certificate is cached. Returns whether it was kept. */
  put(answer: OcspAnswer, now: Date): boolean {
    if (!answer.nextUpdate || answer.nextUpdate.getTime() <= now.getTime()) return false;
    const key = certIdKey(answer.certId);
    const old = this.#entries.get(key);
    if (old && old.thisUpdate.getTime() > answer.thisUpdate.getTime()) return false;
    this.#entries.delete(key);
    this.#entries.set(key, answer);
    this.options.store?.save(key, answer);
    this.#trim(now);
    return true;
  }

  /** Restores an answer (from the store at start) without writing it back. */
  restore(answer: OcspAnswer): void {
    this.#entries.set(certIdKey(answer.certId), answer);
  }

  #trim(now: Date): void {
    const max = this.options.maxEntries ?? 100_000;
    if (this.#entries.size <= max) return;
    for (const [k, a] of this.#entries)
      if (!a.nextUpdate || a.nextUpdate.getTime() <= now.getTime()) {
        this.#entries.delete(k);
        this.options.store?.remove(k);
      }
    // Map iteration is insertion order: the first entries are the oldest.
    for (const k of this.#entries.keys()) {
      if (this.#entries.size <= max) break;
      this.#entries.delete(k);
      this.options.store?.remove(k);
    }
  }
}
