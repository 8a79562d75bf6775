/**
 * Streaming DER CRL parser (RFC 5280 §5.1). Fed chunks of any size (file reads, HTTP body),
 * it frames the CRL, decodes the header (crl-header.ts), hands every byte of tbsCertList to a
 * signature verifier as it goes, streams each revoked serial into an EntrySink without
 * building an object per entry (crl-entries.ts; the SQLite store's sink spills to disk), then
 * decodes the CRL extensions and the signature (crl-extensions.ts). Memory stays at one chunk
 * plus what the sink keeps. Broken input throws DerError / CrlError.
 *
 *   CertificateList ::= SEQUENCE {
 *        tbsCertList          TBSCertList,   -- header, revokedCertificates, crlExtensions
 *        signatureAlgorithm   AlgorithmIdentifier,
 *        signatureValue       BIT STRING }
 */
import { RevokedEntryReader } from './crl-entries.js';
import { readCrlTrailer } from './crl-extensions.js';
import { readCrlHeader, type CrlHeader, type CrlInfo } from './crl-header.js';
import { Tag, tryReadHeader } from './der.js';
import { CrlError, DerError } from './errors.js';
import { CrlIndexBuilder, type CrlIndex, type EntrySink } from './crl-index.js';

export { parseIdp, type IssuingDistributionPoint } from './crl-extensions.js';
export type { CrlHeader, CrlInfo } from './crl-header.js';

/** A parsed CRL: its facts and the index of its entries. */
export interface ParsedCrl {
  info: CrlInfo;
  index: CrlIndex;
  duplicates: number;
}

/** Hooks for the importer. */
export interface CrlParserHooks {
  /** Called once the header is decoded, before any entry (signature verifiers start here). */
  onHeader?(header: CrlHeader): void;
  /** Every byte of tbsCertList, in order (after onHeader). */
  onTbs?(chunk: Uint8Array): void;
  /** Progress: total bytes consumed so far. */
  onProgress?(bytes: number): void;
  /** Most entries accepted (trust.crlMaxEntries); more throws CrlError too_large. */
  maxEntries?: number;
  /** The CRL's size when known: the index is reserved once (untouched pages cost nothing). */
  expectedBytes?: number;
  /** Where the CRL issuer's own entries go (default: an in-memory CrlIndexBuilder). */
  sink?: EntrySink;
}

/** The smallest revoked entry: SEQUENCE { INTEGER (1 octet), UTCTime }. */
const MIN_ENTRY_BYTES = 20;

/** Longest header (before the revoked list) and trailer accepted. */
const MAX_HEADER = 64 * 1024;
const MAX_TRAILER = 1024 * 1024;
type State = 'outer' | 'tbs' | 'header' | 'entries' | 'trailer' | 'done';

/**
 * The streaming parser. Call push() with each chunk, then end(). Single use.
 */
export class CrlStreamParser {
  #state: State = 'outer';
  /** Unconsumed bytes; `#pending[#off]` is at absolute offset `#base + #off`. */
  #pending: Uint8Array = new Uint8Array(0);
  #off = 0;
  #base = 0;
  #total = 0;
  #outerEnd = -1;
  #tbsStart = -1;
  #tbsEnd = -1;
  #tbsFed = 0;
  #revEnd = -1;
  #header: CrlHeader | undefined;
  /** The CRL issuer's entries (the hooks' sink, or an in-memory builder). */
  readonly #own: EntrySink;
  #entries: RevokedEntryReader | undefined;
  readonly #maxEntries: number;

  constructor(private readonly hooks: CrlParserHooks = {}) {
    this.#maxEntries = hooks.maxEntries ?? Number.MAX_SAFE_INTEGER;
    const expected = hooks.expectedBytes
      ? Math.min(this.#maxEntries, Math.ceil(hooks.expectedBytes / MIN_ENTRY_BYTES))
      : 1024;
    this.#own = hooks.sink ?? new CrlIndexBuilder(expected);
  }

  /** Feeds the next chunk. @throws DerError / CrlError on broken input. */
  push(chunk: Uint8Array): void {
    if (this.#state === 'done' && chunk.length > 0)
      throw new DerError('trailing_data', 'data after the CRL', this.#total);
    if (this.#off >= this.#pending.length && (this.#header || this.#tbsStart < 0)) {
      this.#base += this.#pending.length;
      this.#pending = chunk;
      this.#off = 0;
    } else {
      const keep = this.#keep();
      const rest = this.#pending.subarray(keep);
      const joined = this.#join(rest, chunk);
      this.#base += keep;
      this.#off -= keep;
      this.#pending = joined;
    }
    this.#total += chunk.length;
    this.#feedTbs();
    this.#run();
    // The caller may reuse its buffer for the next read: keep a copy of what is left only.
    if (this.#pending.buffer === chunk.buffer && this.#state !== 'done') {
      const keep = this.#keep();
      this.#pending = this.#pending.slice(keep);
      this.#base += keep;
      this.#off -= keep;
    }
    this.hooks.onProgress?.(this.#total);
  }

  /**
   * Where the bytes to keep start: the parse position, but until the header is decoded the
   * start of tbsCertList (its bytes go to the signature verifier once the algorithm is known).
   */
  #keep(): number {
    return this.#header || this.#tbsStart < 0
      ? this.#off
      : Math.min(this.#off, this.#tbsStart - this.#base);
  }

  /** Two join buffers, used in turn (the rest to carry over lives in the other one). */
  readonly #scratch: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];

  /** `rest` followed by `chunk`, in a reused buffer (no new buffer per chunk). */
  #join(rest: Uint8Array, chunk: Uint8Array): Uint8Array {
    const need = rest.length + chunk.length;
    const i = rest.buffer === this.#scratch[0]!.buffer ? 1 : 0;
    if (this.#scratch[i]!.length < need)
      this.#scratch[i] = new Uint8Array(Math.max(need, this.#scratch[i]!.length * 2));
    const out = this.#scratch[i]!.subarray(0, need);
    out.set(rest);
    out.set(chunk, rest.length);
    return out;
  }

  /** Signals the end of input; returns the parsed CRL. @throws DerError when incomplete. */
  end(): { info: CrlInfo; own: EntrySink; others: Map<string, CrlIndexBuilder> } {
    if (this.#state !== 'done')
      throw new DerError('truncated', `CRL cut short after ${this.#total} bytes`, this.#total);
    if (this.#off < this.#pending.length)
      throw new DerError('trailing_data', 'data after the CRL', this.#base + this.#off);
    // RFC 5280 §5.3.3: certificateIssuer appears in indirect CRLs only.
    const others = this.#entries?.others ?? new Map<string, CrlIndexBuilder>();
    if (others.size > 0 && !this.#info!.idp?.indirect)
      throw new CrlError('malformed', 'certificateIssuer entry extension in a direct CRL');
    return { info: this.#info!, own: this.#own, others };
  }

  #info: CrlInfo | undefined;

  /** Absolute offset of the parse position. */
  get #pos(): number {
    return this.#base + this.#off;
  }

  #feedTbs(): void {
    if (!this.#header || !this.hooks.onTbs) return;
    const availEnd = this.#base + this.#pending.length;
    const from = Math.max(this.#tbsFed, this.#tbsStart);
    const to = Math.min(availEnd, this.#tbsEnd);
    if (to > from) {
      this.hooks.onTbs(this.#pending.subarray(from - this.#base, to - this.#base));
      this.#tbsFed = to;
    }
  }

  /** Limit relative to #pending for an absolute end. */
  #rel(abs: number): number {
    return abs - this.#base;
  }

  #run(): void {
    for (;;) {
      switch (this.#state) {
        case 'outer': {
          const h = tryReadHeader(this.#pending, this.#off, Number.MAX_SAFE_INTEGER);
          if (!h) return;
          if (h.tag !== Tag.Sequence)
            throw new DerError('bad_tag', 'a CRL must start with a SEQUENCE', this.#pos);
          this.#outerEnd = this.#base + h.end;
          this.#off = h.valueStart;
          this.#state = 'tbs';
          break;
        }
        case 'tbs': {
          const h = tryReadHeader(this.#pending, this.#off, this.#rel(this.#outerEnd));
          if (!h) return;
          if (h.tag !== Tag.Sequence)
            throw new DerError('bad_tag', 'tbsCertList must be a SEQUENCE', this.#pos);
          this.#tbsStart = this.#pos;
          this.#tbsEnd = this.#base + h.end;
          this.#tbsFed = this.#tbsStart;
          this.#off = h.valueStart;
          this.#state = 'header';
          break;
        }
        case 'header': {
          if (!this.#readHeader()) {
            if (this.#base + this.#pending.length - this.#tbsStart > MAX_HEADER)
              throw new DerError('too_large', 'CRL header is too large', this.#tbsStart);
            return;
          }
          this.hooks.onHeader?.(this.#header!);
          this.#feedTbs();
          break;
        }
        case 'entries': {
          this.#readEntries();
          if (this.#pos < this.#revEnd) return;
          this.#state = 'trailer';
          break;
        }
        case 'trailer': {
          const have = this.#base + this.#pending.length;
          if (have < this.#outerEnd) {
            if (this.#outerEnd - this.#pos > MAX_TRAILER)
              throw new DerError('too_large', 'CRL extensions are too large', this.#pos);
            return;
          }
          this.#readTrailer();
          this.#state = 'done';
          break;
        }
        case 'done':
          if (this.#off < this.#pending.length)
            throw new DerError('trailing_data', 'data after the CRL', this.#pos);
          return;
      }
    }
  }

  /** Decodes version .. nextUpdate and the revoked list's header; false when more bytes are needed. */
  #readHeader(): boolean {
    const buf = this.#pending;
    const limit = this.#rel(this.#tbsEnd);
    const read = readCrlHeader(buf, this.#off, limit, this.#base);
    if (!read) return false;
    this.#header = read.header;
    this.#entries = new RevokedEntryReader(this.#own, {
      version: read.header.version,
      issuerKey: read.header.issuerKey,
      thisUpdateMs: read.header.thisUpdate.getTime(),
      maxEntries: this.#maxEntries,
    });
    const p = read.end;
    this.#off = p;
    // revokedCertificates, if present: only its header is needed now.
    if (this.#pos < this.#tbsEnd && buf[p] === Tag.Sequence) {
      const h = tryReadHeader(buf, p, limit)!;
      this.#revEnd = this.#base + h.end;
      this.#off = h.valueStart;
      this.#state = 'entries';
    } else {
      this.#revEnd = this.#pos;
      this.#state = 'trailer';
    }
    return true;
  }

  /** Complete entries of the revoked list, as far as they have arrived. */
  #readEntries(): void {
    this.#off = this.#entries!.read(this.#pending, this.#off, this.#rel(this.#revEnd), this.#base);
  }

  /** crlExtensions, then signatureAlgorithm and signatureValue. */
  #readTrailer(): void {
    const header = this.#header!;
    const trailer = readCrlTrailer(this.#pending, {
      start: this.#off,
      tbsEnd: this.#rel(this.#tbsEnd),
      end: this.#rel(this.#outerEnd),
      base: this.#base,
      version: header.version,
      issuerKey: header.issuerKey,
      signatureAlgorithmDer: header.signatureAlgorithmDer,
    });
    this.#info = {
      ...header,
      ...trailer,
      entriesRead: this.#entries?.entriesRead ?? 0,
      futureDated: this.#entries?.futureDated ?? 0,
      byteLength: this.#outerEnd,
    };
    this.#off = this.#rel(this.#outerEnd);
  }
}

/** Parses a whole CRL held in memory (small CRLs, tests). */
export function parseCrl(der: Uint8Array, hooks: CrlParserHooks = {}): ParsedCrl {
  const p = new CrlStreamParser(hooks);
  p.push(der);
  const { info, own } = p.end();
  const { index, duplicates } = (own as CrlIndexBuilder).finish();
  return { info, index, duplicates };
}
