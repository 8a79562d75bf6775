/**
 * Streaming DER CRL parser (RFC 5280 §5.1). Fed chunks of any size (file reads, HTTP body),
 * it decodes the header, hands every byte of tbsCertList to a signature verifier as it goes,
 * streams each revoked serial into a CrlIndexBuilder without building an object per entry,
 * then decodes the CRL extensions and the signature. Memory stays at one chunk plus the
 * index rows. Broken input throws DerError / CrlError.
 *
 *   CertificateList ::= SEQUENCE {
 *        tbsCertList          TBSCertList,
 *        signatureAlgorithm   AlgorithmIdentifier,
 *        signatureValue       BIT STRING }
 *   TBSCertList ::= SEQUENCE {
 *        version              Version OPTIONAL, -- if present, MUST be v2
 *        signature            AlgorithmIdentifier,
 *        issuer               Name,
 *        thisUpdate           Time,
 *        nextUpdate           Time OPTIONAL,
 *        revokedCertificates  SEQUENCE OF SEQUENCE {
 *             userCertificate      CertificateSerialNumber,
 *             revocationDate       Time,
 *             crlEntryExtensions   Extensions OPTIONAL -- if present, version MUST be v2
 *                                  } OPTIONAL,
 *        crlExtensions        [0] EXPLICIT Extensions OPTIONAL -- if present, version MUST be v2 }
 */
import { readSignatureAlgorithm, type SignatureAlgorithm } from './algorithms.js';
import { ExtOid, parseAuthorityKeyId } from './certificate.js';
import {
  distributionPointNameKeys,
  innerDistributionPointName,
  readReasonFlags,
} from './distribution-points.js';
import { directoryNameKey, generalNameKey, parseGeneralNamesValue } from './general-names.js';
import {
  bytesEqual,
  contents,
  DerReader,
  encoding,
  readHeader,
  readOid,
  readSmallInt,
  readTimeMs,
  Tag,
  tryReadHeader,
  type Tlv,
} from './der.js';
import { CrlError, DerError } from './errors.js';
import { CrlIndexBuilder, MAX_SERIAL_OCTETS, NO_REASON, type CrlIndex } from './crl-index.js';
import { nameKey, nameToString } from './names.js';

/** The fields before the revoked list. */
export interface CrlHeader {
  version: number;
  /** undefined when the algorithm is not supported. */
  signatureAlgorithm: SignatureAlgorithm | undefined;
  signatureAlgorithmDer: Uint8Array;
  issuerDer: Uint8Array;
  issuer: string;
  issuerKey: string;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
}

/** RFC 5280 §5.2.5 IssuingDistributionPoint, as far as scope decisions need it. */
export interface IssuingDistributionPoint {
  /** Name keys (general-names.ts) of the distributionPoint; a relative name is resolved. */
  names: string[];
  onlyUser: boolean;
  onlyCa: boolean;
  onlyAttribute: boolean;
  onlySomeReasons: boolean;
  /** onlySomeReasons as a ReasonFlags mask (distribution-points.ts); undefined when absent. */
  reasons: number | undefined;
  indirect: boolean;
  /** Hex of the extension value: identifies the scope. */
  valueHex: string;
}

/** Everything about a CRL except its entries. */
export interface CrlInfo extends CrlHeader {
  crlNumber: bigint | undefined;
  /** True when the cRLNumber extension is marked critical (RFC 5280 §5.2.3: MUST NOT). */
  crlNumberCritical: boolean;
  /** Critical extensions the profile requires to be non-critical (AKI, AIA). */
  wronglyCritical: string[];
  /** deltaCRLIndicator BaseCRLNumber: set for delta CRLs. */
  deltaBase: bigint | undefined;
  authorityKeyId: Uint8Array | undefined;
  idp: IssuingDistributionPoint | undefined;
  signature: Uint8Array;
  /** Entries read (before de-duplication). */
  entriesRead: number;
  /** Entries whose revocationDate is after thisUpdate. */
  futureDated: number;
  /** Total DER length. */
  byteLength: number;
}

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
}

/** The smallest revoked entry: SEQUENCE { INTEGER (1 octet), UTCTime }. */
const MIN_ENTRY_BYTES = 20;

// OID encodings compared byte-wise in the entry loop.
const OID_REASON = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x15);
const OID_INVALIDITY_DATE = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x18);
const OID_CERT_ISSUER = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x1d);

/** Longest header (before the revoked list) and trailer accepted. */
const MAX_HEADER = 64 * 1024;
const MAX_TRAILER = 1024 * 1024;
/** Longest single entry accepted. */
const MAX_ENTRY = 16 * 1024;

/** CRL extensions recognised (processed or safe to ignore), RFC 5280 §5.2. */
const KNOWN_CRL_EXTENSIONS = new Set<string>([
  ExtOid.authorityKeyIdentifier,
  ExtOid.issuerAltName,
  ExtOid.crlNumber,
  ExtOid.deltaCrlIndicator,
  ExtOid.issuingDistributionPoint,
  ExtOid.freshestCrl,
  ExtOid.authorityInfoAccess,
]);

type State = 'outer' | 'tbs' | 'header' | 'entries' | 'trailer' | 'done';

function readBigInt(buf: Uint8Array, tlv: Tlv, what: string): bigint {
  if (tlv.tag !== Tag.Integer || tlv.length === 0 || tlv.length > 20)
    throw new DerError('bad_value', `${what} must be an INTEGER of at most 20 octets`, tlv.start);
  if (buf[tlv.valueStart]! & 0x80)
    throw new DerError('bad_value', `${what} is negative`, tlv.start);
  return BigInt('0x' + Buffer.from(contents(buf, tlv)).toString('hex'));
}

/**
 * RFC 5280 §5.2.5:
 *   IssuingDistributionPoint ::= SEQUENCE {
 *        distributionPoint          [0] DistributionPointName OPTIONAL,
 *        onlyContainsUserCerts      [1] BOOLEAN DEFAULT FALSE,
 *        onlyContainsCACerts        [2] BOOLEAN DEFAULT FALSE,
 *        onlySomeReasons            [3] ReasonFlags OPTIONAL,
 *        indirectCRL                [4] BOOLEAN DEFAULT FALSE,
 *        onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
 */
export function parseIdp(value: Uint8Array, crlIssuerKey: string): IssuingDistributionPoint {
  const t = readHeader(value, 0);
  if (t.tag !== Tag.Sequence || t.end !== value.length)
    throw new DerError('bad_value', 'issuingDistributionPoint must be one SEQUENCE', 0);
  const r = DerReader.inside(value, t);
  const idp: IssuingDistributionPoint = {
    names: [],
    onlyUser: false,
    onlyCa: false,
    onlyAttribute: false,
    onlySomeReasons: false,
    reasons: undefined,
    indirect: false,
    valueHex: Buffer.from(value).toString('hex'),
  };
  const dp = r.optional(0xa0);
  if (dp)
    idp.names = distributionPointNameKeys(
      value,
      innerDistributionPointName(value, dp),
      crlIssuerKey,
    );
  const flag = (tag: number) => {
    const f = r.optional(tag);
    return f ? f.length === 1 && value[f.valueStart] !== 0 : false;
  };
  idp.onlyUser = flag(0x81);
  idp.onlyCa = flag(0x82);
  const reasons = r.optional(0x83);
  if (reasons) {
    idp.onlySomeReasons = true;
    idp.reasons = readReasonFlags(value, reasons);
  }
  idp.indirect = flag(0x84);
  idp.onlyAttribute = flag(0x85);
  r.finish('issuingDistributionPoint');
  return idp;
}

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
  #entriesRead = 0;
  #futureDated = 0;
  #thisUpdateMs = 0;
  /** thisUpdate as the number YYYYMMDDHHMMSS (UTC). */
  #thisUpdateNum = 0;
  /** Where entries go: the CRL issuer's, or the last certificateIssuer's (indirect CRLs). */
  #builder: CrlIndexBuilder;
  readonly #own: CrlIndexBuilder;
  /** Entries of other certificate issuers (RFC 5280 §5.3.3), by GeneralName key. */
  readonly #others = new Map<string, CrlIndexBuilder>();

  readonly #maxEntries: number;

  constructor(private readonly hooks: CrlParserHooks = {}) {
    this.#maxEntries = hooks.maxEntries ?? Number.MAX_SAFE_INTEGER;
    const expected = hooks.expectedBytes
      ? Math.min(this.#maxEntries, Math.ceil(hooks.expectedBytes / MIN_ENTRY_BYTES))
      : 1024;
    this.#own = new CrlIndexBuilder(expected);
    this.#builder = this.#own;
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
      // Until the header is decoded, keep tbsCertList from its start: its bytes go to the
      // signature verifier only once the algorithm is known.
      const keep =
        this.#header || this.#tbsStart < 0
          ? this.#off
          : Math.min(this.#off, this.#tbsStart - this.#base);
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
      const keep =
        this.#header || this.#tbsStart < 0
          ? this.#off
          : Math.min(this.#off, this.#tbsStart - this.#base);
      this.#pending = this.#pending.slice(keep);
      this.#base += keep;
      this.#off -= keep;
    }
    this.hooks.onProgress?.(this.#total);
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
  end(): { info: CrlInfo; builder: CrlIndexBuilder; others: Map<string, CrlIndexBuilder> } {
    if (this.#state !== 'done')
      throw new DerError('truncated', `CRL cut short after ${this.#total} bytes`, this.#total);
    if (this.#off < this.#pending.length)
      throw new DerError('trailing_data', 'data after the CRL', this.#base + this.#off);
    // RFC 5280 §5.3.3: certificateIssuer appears in indirect CRLs only.
    if (this.#others.size > 0 && !this.#info!.idp?.indirect)
      throw new CrlError('malformed', 'certificateIssuer entry extension in a direct CRL');
    return { info: this.#info!, builder: this.#own, others: this.#others };
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
              throw new DerError(
                'too_large',
                'CRL extensions and signature are too large',
                this.#pos,
              );
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
    // Find where the fixed fields end without consuming: each must be complete; stop at the
    // header of revokedCertificates (a SEQUENCE after the times) or crlExtensions [0].
    let p = this.#off;
    let count = 0;
    for (;;) {
      if (p >= limit) break;
      const h = tryReadHeader(buf, p, limit);
      if (!h) return false;
      if (count >= 3 && (h.tag === Tag.Sequence || h.tag === 0xa0)) break;
      if (h.end > buf.length) return false;
      p = h.end;
      if (++count > 5)
        throw new DerError('bad_value', 'unexpected fields in tbsCertList', this.#base + h.start);
    }
    const r = new DerReader(buf, this.#off, p);
    let version = 1;
    const v = r.optional(Tag.Integer);
    if (v) {
      version = readSmallInt(buf, v, 'version') + 1;
      if (version !== 2)
        throw new DerError('bad_value', 'CRL version must be v2 when present', v.start);
    }
    const alg = r.next(Tag.Sequence, 'signature');
    const signatureAlgorithm = readSignatureAlgorithm(buf, alg);
    const issuer = r.next(Tag.Sequence, 'issuer');
    const thisUpdate = r.next(undefined, 'thisUpdate');
    const thisUpdateMs = readTimeMs(buf, thisUpdate, true);
    let nextUpdate: Date | undefined;
    const nt = r.peekTag();
    if (nt === Tag.UtcTime || nt === Tag.GeneralizedTime)
      nextUpdate = new Date(readTimeMs(buf, r.next(), true));
    r.finish('tbsCertList header');
    const issuerDer = encoding(buf, issuer).slice();
    this.#header = {
      version,
      signatureAlgorithm,
      signatureAlgorithmDer: encoding(buf, alg).slice(),
      issuerDer,
      issuer: nameToString(issuerDer),
      issuerKey: nameKey(issuerDer),
      thisUpdate: new Date(thisUpdateMs),
      nextUpdate,
    };
    this.#thisUpdateMs = thisUpdateMs;
    const d = new Date(thisUpdateMs);
    this.#thisUpdateNum =
      d.getUTCFullYear() * 1e10 +
      (d.getUTCMonth() + 1) * 1e8 +
      d.getUTCDate() * 1e6 +
      d.getUTCHours() * 1e4 +
      d.getUTCMinutes() * 100 +
      d.getUTCSeconds();
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

  /** The hot loop: one revoked entry at a time, straight into the index builder. */
  #readEntries(): void {
    const buf = this.#pending;
    const end = Math.min(buf.length, this.#rel(this.#revEnd));
    const revLimit = this.#rel(this.#revEnd);
    const v2 = this.#header!.version === 2;
    let p = this.#off;
    while (p < end) {
      // Entry header: 30 LL or 30 81 LL or 30 82 LL LL.
      if (p + 2 > end) break;
      if (buf[p] !== Tag.Sequence)
        throw new DerError('bad_tag', 'revoked entry must be a SEQUENCE', this.#base + p);
      let len = buf[p + 1]!;
      let q = p + 2;
      if (len >= 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 2)
          throw new DerError('bad_length', 'revoked entry length is oversized', this.#base + p);
        if (q + n > end) break;
        len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + buf[q + k]!;
        q += n;
      }
      const entryEnd = q + len;
      if (entryEnd > revLimit)
        throw new DerError('bad_length', 'revoked entry runs past the list', this.#base + p);
      if (len > MAX_ENTRY)
        throw new DerError('too_large', 'revoked entry is too large', this.#base + p);
      if (entryEnd > end) break;
      // userCertificate INTEGER
      if (buf[q] !== Tag.Integer)
        throw new DerError('bad_tag', 'userCertificate must be an INTEGER', this.#base + q);
      const sl = buf[q + 1]!;
      if (sl === 0 || sl >= 0x80)
        throw new DerError('bad_length', 'bad serial number length', this.#base + q);
      let s0 = q + 2;
      const s1 = s0 + sl;
      if (s1 > entryEnd)
        throw new DerError('bad_length', 'serial number runs past its entry', this.#base + q);
      // Minimal two's complement: serials are signed (RFC 5280 §4.1.2.2, §6.3.3 (i)).
      while (
        s0 < s1 - 1 &&
        ((buf[s0] === 0 && (buf[s0 + 1]! & 0x80) === 0) ||
          (buf[s0] === 0xff && (buf[s0 + 1]! & 0x80) !== 0))
      )
        s0++;
      if (s1 - s0 > MAX_SERIAL_OCTETS)
        throw new DerError('too_large', 'serial number is longer than 32 octets', this.#base + q);
      // revocationDate Time. Fast path: UTCTime YYMMDDHHMMSSZ compared as the number
      // YYYYMMDDHHMMSS against thisUpdate, with no allocation; other forms take the general path.
      let timeEnd: number;
      if (
        buf[s1] === Tag.UtcTime &&
        buf[s1 + 1] === 13 &&
        s1 + 15 <= entryEnd &&
        buf[s1 + 14] === 0x5a
      ) {
        let v = 0;
        for (let k = s1 + 2; k < s1 + 14; k++) {
          const c = buf[k]! - 0x30;
          if (c < 0 || c > 9)
            throw new DerError('bad_value', 'bad digit in revocationDate', this.#base + s1);
          v = v * 10 + c;
        }
        // v = YYMMDDHHMMSS; RFC 5280 §4.1.2.5.1: YY >= 50 is 19YY.
        const yy = Math.floor(v / 1e10);
        const full = (yy >= 50 ? 1900 : 2000) * 1e10 + v;
        if (full > this.#thisUpdateNum) this.#futureDated++;
        timeEnd = s1 + 15;
      } else {
        const th = readHeader(buf, s1, entryEnd);
        if (readTimeMs(buf, th, true) > this.#thisUpdateMs) this.#futureDated++;
        timeEnd = th.end;
      }
      let reason = NO_REASON;
      if (timeEnd < entryEnd) {
        if (!v2)
          throw new DerError('bad_value', 'entry extensions need a v2 CRL', this.#base + timeEnd);
        // Fast path: exactly one non-critical reasonCode extension
        // 30 0c 30 0a 06 03 55 1d 15 04 03 0a 01 RR.
        if (
          entryEnd - timeEnd === 14 &&
          buf[timeEnd] === 0x30 &&
          buf[timeEnd + 1] === 0x0c &&
          buf[timeEnd + 2] === 0x30 &&
          buf[timeEnd + 3] === 0x0a &&
          buf[timeEnd + 4] === 0x06 &&
          buf[timeEnd + 5] === 0x03 &&
          buf[timeEnd + 6] === 0x55 &&
          buf[timeEnd + 7] === 0x1d &&
          buf[timeEnd + 8] === 0x15 &&
          buf[timeEnd + 9] === 0x04 &&
          buf[timeEnd + 10] === 0x03 &&
          buf[timeEnd + 11] === 0x0a &&
          buf[timeEnd + 12] === 0x01 &&
          buf[timeEnd + 13]! <= 10 &&
          buf[timeEnd + 13] !== 7
        ) {
          reason = buf[timeEnd + 13]!;
        } else reason = this.#entryExtensions(buf, timeEnd, entryEnd);
      }
      if (++this.#entriesRead > this.#maxEntries)
        throw new CrlError('too_large', `CRL has more than ${this.#maxEntries} entries`);
      this.#builder.add(buf, s0, s1, reason);
      p = entryEnd;
    }
    this.#off = p;
  }

  /** crlEntryExtensions: reasonCode kept, invalidityDate ignored, unknown critical refused. */
  #entryExtensions(buf: Uint8Array, start: number, end: number): number {
    const outer = readHeader(buf, start, end);
    if (outer.tag !== Tag.Sequence || outer.end !== end)
      throw new DerError(
        'bad_value',
        'crlEntryExtensions must be one SEQUENCE',
        this.#base + start,
      );
    let reason = NO_REASON;
    let p = outer.valueStart;
    let seen = 0;
    while (p < end) {
      const ext = readHeader(buf, p, end);
      if (ext.tag !== Tag.Sequence)
        throw new DerError('bad_tag', 'Extension must be a SEQUENCE', this.#base + p);
      const oidH = readHeader(buf, ext.valueStart, ext.end);
      if (oidH.tag !== Tag.Oid)
        throw new DerError('bad_tag', 'extnID must be an OID', this.#base + p);
      const oidBytes = buf.subarray(oidH.start, oidH.end);
      let q = oidH.end;
      let critical = false;
      if (buf[q] === Tag.Boolean) {
        const b = readHeader(buf, q, ext.end);
        critical = buf[b.valueStart] !== 0;
        q = b.end;
      }
      const val = readHeader(buf, q, ext.end);
      if (val.tag !== Tag.OctetString || val.end !== ext.end)
        throw new DerError('bad_value', 'extnValue must be an OCTET STRING', this.#base + q);
      if (bytesEqual(oidBytes, OID_REASON)) {
        if (seen & 1) throw new DerError('bad_value', 'reasonCode appears twice', this.#base + p);
        seen |= 1;
        // CRLReason ::= ENUMERATED
        const e = readHeader(buf, val.valueStart, val.end);
        if (e.tag !== Tag.Enumerated || e.length !== 1 || e.end !== val.end)
          throw new DerError(
            'bad_value',
            'reasonCode must be a one-octet ENUMERATED',
            this.#base + p,
          );
        reason = buf[e.valueStart]!;
        if (reason === 7 || reason > 10)
          throw new DerError('bad_value', `unknown CRLReason ${reason}`, this.#base + p);
      } else if (bytesEqual(oidBytes, OID_INVALIDITY_DATE)) {
        // informational
      } else if (bytesEqual(oidBytes, OID_CERT_ISSUER)) {
        // RFC 5280 §5.3.3: "this CRL entry and all subsequent entries" belong to the
        // certificate issuer named here (indirect CRLs; checked at the end).
        const names = parseGeneralNamesValue(buf.slice(val.valueStart, val.end));
        const key = generalNameKey(names.find((n) => n.type === 'dn') ?? names[0]!);
        if (key === directoryNameKey(this.#header!.issuerKey)) this.#builder = this.#own;
        else {
          let b = this.#others.get(key);
          if (!b) this.#others.set(key, (b = new CrlIndexBuilder(16)));
          this.#builder = b;
        }
      } else if (critical) {
        let name: string;
        try {
          name = readOid(new DerReader(buf, oidH.start, oidH.end));
        } catch {
          name = 'unknown';
        }
        // RFC 5280 §5.3: "If a CRL contains a critical CRL entry extension that the
        // application cannot process, then the application MUST NOT use that CRL".
        throw new CrlError(
          'unknown_critical_extension',
          `CRL entry has an unknown critical extension ${name}`,
        );
      }
      p = ext.end;
    }
    return reason;
  }

  /** crlExtensions, then signatureAlgorithm and signatureValue. */
  #readTrailer(): void {
    const buf = this.#pending;
    const header = this.#header!;
    const r = new DerReader(buf, this.#off, this.#rel(this.#outerEnd));
    let crlNumber: bigint | undefined;
    let deltaBase: bigint | undefined;
    let authorityKeyId: Uint8Array | undefined;
    let idp: IssuingDistributionPoint | undefined;
    let crlNumberCritical = false;
    const wronglyCritical: string[] = [];
    if (this.#pos < this.#tbsEnd) {
      const t = r.next(0xa0, 'crlExtensions');
      if (t.end !== this.#rel(this.#tbsEnd))
        throw new DerError(
          'trailing_data',
          'data after crlExtensions in tbsCertList',
          t.end + this.#base,
        );
      if (header.version !== 2)
        throw new DerError('bad_value', 'CRL extensions need a v2 CRL', t.start + this.#base);
      const er = DerReader.inside(buf, DerReader.inside(buf, t).next(Tag.Sequence, 'Extensions'));
      const seen = new Set<string>();
      while (er.hasMore) {
        const e = er.next(Tag.Sequence, 'Extension');
        const x = DerReader.inside(buf, e);
        const oid = readOid(x, 'extnID');
        const b = x.optional(Tag.Boolean);
        const critical = b ? buf[b.valueStart] !== 0 : false;
        const value = contents(buf, x.next(Tag.OctetString, 'extnValue'));
        x.finish('Extension');
        if (seen.has(oid))
          throw new DerError(
            'bad_value',
            `CRL extension ${oid} appears twice`,
            e.start + this.#base,
          );
        seen.add(oid);
        // RFC 5280 §5.2.1 / §4.2.2.1: authorityKeyIdentifier and authorityInfoAccess MUST be
        // non-critical.
        if (
          critical &&
          (oid === ExtOid.authorityKeyIdentifier || oid === ExtOid.authorityInfoAccess)
        )
          wronglyCritical.push(oid);
        switch (oid) {
          case ExtOid.crlNumber:
            crlNumber = readBigInt(value, readHeader(value, 0), 'cRLNumber');
            crlNumberCritical = critical;
            break;
          case ExtOid.deltaCrlIndicator:
            deltaBase = readBigInt(value, readHeader(value, 0), 'BaseCRLNumber');
            break;
          case ExtOid.authorityKeyIdentifier:
            authorityKeyId = parseAuthorityKeyId(value)?.slice();
            break;
          case ExtOid.issuingDistributionPoint:
            idp = parseIdp(value.slice(), header.issuerKey);
            break;
          default:
            // RFC 5280 §5.2: "If a CRL contains a critical extension that the application
            // cannot process, then the application MUST NOT use that CRL".
            if (critical && !KNOWN_CRL_EXTENSIONS.has(oid))
              throw new CrlError(
                'unknown_critical_extension',
                `CRL has an unknown critical extension ${oid}`,
              );
        }
      }
    }
    const alg = r.next(Tag.Sequence, 'signatureAlgorithm');
    // RFC 5280 §5.1.1.2: signatureAlgorithm "MUST contain the same algorithm identifier as the
    // signature field in the sequence tbsCertList".
    if (!bytesEqual(encoding(buf, alg), header.signatureAlgorithmDer))
      throw new DerError(
        'bad_value',
        'signature algorithms inside and outside tbsCertList differ',
        alg.start + this.#base,
      );
    const sig = r.next(Tag.BitString, 'signatureValue');
    if (sig.length < 2 || buf[sig.valueStart] !== 0)
      throw new DerError(
        'bad_value',
        'signatureValue must have no unused bits',
        sig.start + this.#base,
      );
    r.finish('CertificateList');
    this.#info = {
      ...header,
      crlNumber,
      crlNumberCritical,
      wronglyCritical,
      deltaBase,
      authorityKeyId,
      idp,
      signature: buf.slice(sig.valueStart + 1, sig.end),
      entriesRead: this.#entriesRead,
      futureDated: this.#futureDated,
      byteLength: this.#outerEnd,
    };
    this.#off = this.#rel(this.#outerEnd);
  }
}

/** Parses a whole CRL held in memory (small CRLs, tests). */
export function parseCrl(der: Uint8Array, hooks: CrlParserHooks = {}): ParsedCrl {
  const p = new CrlStreamParser(hooks);
  p.push(der);
  const { info, builder } = p.end();
  const { index, duplicates } = builder.finish();
  return { info, index, duplicates };
}
