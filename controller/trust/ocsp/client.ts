/**
 * The OCSP client: answers "is this certificate good, revoked or unknown?" from the cache of
 * believed answers, else by asking the responder over HTTP (RFC 6960 Appendix A.1: POST,
 * `application/ocsp-request`), within a time limit. A value comes back, never an exception:
 * either a believed answer with its source (`ocsp`, `ocsp-cache`) or the problem that left
 * the station without one.
 */
import { randomBytes } from 'node:crypto';
import type { Certificate } from '../certificate.js';
import { contents, DerReader, readHeader, readOid, Tag } from '../der.js';
import { DerError } from '../errors.js';
import { OcspCache, type OcspAnswer } from './cache.js';
import { OcspError, type OcspProblem } from './errors.js';
import { buildOcspRequest, certIdFor, issuerCertId } from './request.js';
import { parseOcspResponse } from './response.js';
import { validateOcspResponse } from './validate.js';

/** id-pe-authorityInfoAccess and id-ad-ocsp (RFC 5280 §4.2.2.1). */
const AIA_OID = '1.3.6.1.5.5.7.1.1';
const AD_OCSP = '1.3.6.1.5.5.7.48.1';
/** Largest response accepted (a single-certificate response is a few KB). */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * OCSP responder URLs of a certificate's authorityInfoAccess:
 *   AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription
 *   AccessDescription ::= SEQUENCE { accessMethod OBJECT IDENTIFIER, accessLocation GeneralName }
 * with accessLocation a uniformResourceIdentifier [6] IA5String. Broken AIA: none.
 */
export function ocspUrlsOf(cert: Certificate): string[] {
  const ext = cert.extensions.find((e) => e.oid === AIA_OID);
  if (!ext) return [];
  try {
    const r = DerReader.inside(ext.value, readHeader(ext.value, 0));
    const out: string[] = [];
    while (r.hasMore) {
      const ad = DerReader.inside(ext.value, r.next(Tag.Sequence, 'AccessDescription'));
      const method = readOid(ad, 'accessMethod');
      const loc = ad.next(undefined, 'accessLocation');
      if (method === AD_OCSP && loc.tag === 0x86)
        out.push(Buffer.from(contents(ext.value, loc)).toString('latin1'));
    }
    return out;
  } catch (err) {
    if (err instanceof DerError) return [];
    throw err;
  }
}

/** What the client came back with. */
export type OcspOutcome =
  | { ok: true; answer: OcspAnswer; source: 'ocsp' | 'ocsp-cache'; url?: string }
  | { ok: false; problem: OcspProblem; detail: string; url?: string };

/** Sends the request bytes and returns the response bytes (injected in tests if needed). */
export type OcspTransport = (
  url: string,
  body: Uint8Array,
  signal: AbortSignal,
) => Promise<Uint8Array>;

/** HTTP POST with fetch; non-2xx is `http_error`, a body over 64 KiB `too_large`. */
export const httpTransport: OcspTransport = async (url, body, signal) => {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
      body: Buffer.from(body),
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw new OcspError('timeout', `no answer from ${url} in time`);
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new OcspError('unreachable', `cannot reach ${url}${cause ? ` (${cause})` : ''}`);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new OcspError('http_error', `${url} answered HTTP ${res.status}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of (res.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
      size += (chunk as Uint8Array).length;
      if (size > MAX_RESPONSE_BYTES)
        throw new OcspError(
          'too_large',
          `the response from ${url} exceeds ${MAX_RESPONSE_BYTES} bytes`,
        );
      chunks.push(chunk as Uint8Array);
    }
  } catch (err) {
    if (err instanceof OcspError) throw err;
    if (signal.aborted) throw new OcspError('timeout', `no complete answer from ${url} in time`);
    throw new OcspError('unreachable', `${url}: ${(err as Error).message}`);
  }
  return new Uint8Array(Buffer.concat(chunks));
};

/** Client settings. */
export interface OcspClientOptions {
  now?: () => Date;
  /** Clock-skew tolerance in seconds (the station's mqtt.clockSkewSec). */
  clockSkewSec: number;
  /** Refuse fetched responses without a nonce (default true). */
  requireNonce?: boolean;
  /** Nonce source (default 16 random octets). */
  nonce?: () => Uint8Array;
  transport?: OcspTransport;
  cache?: OcspCache;
}

/** One status question. */
export interface OcspQuery {
  cert: Certificate;
  issuer: Certificate;
  /** Responder URL; default: the certificate's AIA. */
  url?: string;
  timeoutMs: number;
  /** Skip the cache (e.g. `cert status`). */
  fresh?: boolean;
}

function problemOf(err: unknown): { problem: OcspProblem; detail: string } {
  if (err instanceof OcspError) return { problem: err.problem, detail: err.message };
  if (err instanceof DerError) return { problem: 'malformed', detail: err.message };
  throw err;
}

/** What a decision still needs once the responder is given up: the CRL lookup and a late timer. */
export const FALLBACK_RESERVE_MS = 10;

/** How long the HTTP exchange may take within a `timeoutMs` budget (at least 1 ms). */
export function requestBudgetMs(timeoutMs: number): number {
  return Math.max(1, timeoutMs - Math.min(FALLBACK_RESERVE_MS, Math.floor(timeoutMs / 10)));
}

/** OCSP status checks with a cache; see the module comment. */
export class OcspClient {
  readonly cache: OcspCache;
  readonly #now: () => Date;
  readonly #transport: OcspTransport;
  readonly #nonce: () => Uint8Array;

  constructor(private readonly options: OcspClientOptions) {
    this.cache = options.cache ?? new OcspCache();
    this.#now = options.now ?? (() => new Date());
    this.#transport = options.transport ?? httpTransport;
    this.#nonce = options.nonce ?? (() => new Uint8Array(randomBytes(16)));
  }

  get #skewMs(): number {
    return this.options.clockSkewSec * 1000;
  }

  /** The status of `cert`: cached answer, else fetched within `timeoutMs`. */
  async status(q: OcspQuery): Promise<OcspOutcome> {
    let certId;
    try {
      certId = certIdFor(q.cert, q.issuer);
    } catch (err) {
      return { ok: false, ...problemOf(err) };
    }
    if (!q.fresh) {
      const cached = this.cache.get(certId, this.#now(), this.#skewMs);
      if (cached) return { ok: true, answer: cached, source: 'ocsp-cache' };
    }
    const url = q.url ?? ocspUrlsOf(q.cert)[0];
    if (!url)
      return {
        ok: false,
        problem: 'no_url',
        detail: 'no responder: the certificate has no OCSP URL and trust.ocsp.url is not set',
      };
    const req = buildOcspRequest(q.cert, q.issuer, this.#nonce());
    const controller = new AbortController();
    // `timeoutMs` bounds what the online check adds to a decision, fallback included: the
    // request is given up early enough to leave the CRL decision and a late timer their share.
    const timer = setTimeout(() => controller.abort(), requestBudgetMs(q.timeoutMs));
    try {
      const der = await this.#transport(url, req.der, controller.signal);
      const resp = parseOcspResponse(der);
      const now = this.#now();
      const [single] = validateOcspResponse(resp, {
        issuer: q.issuer,
        certId,
        nonce: req.nonce,
        requireNonce: this.options.requireNonce ?? true,
        now,
        skewMs: this.#skewMs,
      });
      const answer: OcspAnswer = {
        certId,
        status: single!.status,
        thisUpdate: single!.thisUpdate,
        nextUpdate: single!.nextUpdate,
        producedAt: resp.producedAt,
        der,
        origin: 'fetched',
      };
      this.cache.put(answer, now);
      return { ok: true, answer, source: 'ocsp', url };
    } catch (err) {
      if (controller.signal.aborted)
        return {
          ok: false,
          problem: 'timeout',
          detail: `no answer from ${url} within ${q.timeoutMs} ms`,
          url,
        };
      return { ok: false, ...problemOf(err), url };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Takes OCSP responses pushed by the back office (no nonce: they were produced for no
   * request of ours) and caches every SingleResponse they vouch for, checked against
   * `issuers` exactly like fetched ones. Returns how many answers were kept.
   * @throws OcspError when the response cannot be believed for any issuer.
   */
  acceptRelayed(der: Uint8Array, issuers: readonly Certificate[]): number {
    let resp;
    try {
      resp = parseOcspResponse(der);
    } catch (err) {
      const p = problemOf(err);
      throw new OcspError(p.problem, p.detail);
    }
    const now = this.#now();
    let kept = 0;
    let last: OcspError | undefined;
    for (const issuer of issuers) {
      try {
        for (const s of validateOcspResponse(resp, { issuer, now, skewMs: this.#skewMs }))
          if (
            this.cache.put(
              {
                certId: issuerCertId(issuer, s.certId.serial),
                status: s.status,
                thisUpdate: s.thisUpdate,
                nextUpdate: s.nextUpdate,
                producedAt: resp.producedAt,
                der,
                origin: 'relayed',
              },
              now,
            )
          )
            kept++;
      } catch (err) {
        if (!(err instanceof OcspError)) throw err;
        if (err.problem !== 'wrong_certificate' || !last) last = err;
      }
    }
    if (kept === 0 && last) throw last;
    return kept;
  }
}
