/**
 * The revoked entries of a CRL (RFC 5280 §5.1.2.6, §5.3), read one at a time straight into an
 * EntrySink without an object per entry: the hot loop of the streaming parser (crl-parser.ts).
 *
 *   revokedCertificates  SEQUENCE OF SEQUENCE {
 *        userCertificate      CertificateSerialNumber,
 *        revocationDate       Time,
 *        crlEntryExtensions   Extensions OPTIONAL -- if present, version MUST be v2 }
 */
import { bytesEqual, DerReader, readHeader, readOid, readTimeMs, Tag } from './der.js';
import { CrlError, DerError } from './errors.js';
import { directoryNameKey, generalNameKey, parseGeneralNamesValue } from './general-names.js';
import { CrlIndexBuilder, MAX_SERIAL_OCTETS, NO_REASON, type EntrySink } from './crl-index.js';

// OID encodings compared byte-wise in the entry loop.
const OID_REASON = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x15);
const OID_INVALIDITY_DATE = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x18);
const OID_CERT_ISSUER = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x1d);
/** The one-extension form 30 0c 30 0a 06 03 55 1d 15 04 03 0a 01 RR (a reasonCode alone). */
const REASON_ONLY = Uint8Array.of(
  0x30,
  0x0c,
  0x30,
  0x0a,
  0x06,
  0x03,
  0x55,
  0x1d,
  0x15,
  0x04,
  0x03,
  0x0a,
  0x01,
);

/** Longest single entry accepted. */
const MAX_ENTRY = 16 * 1024;

/** True when `buf` holds `pattern` at `at` (no allocation: the hot loop calls it per entry). */
function matchesAt(buf: Uint8Array, at: number, pattern: Uint8Array): boolean {
  for (let k = 0; k < pattern.length; k++) if (buf[at + k] !== pattern[k]) return false;
  return true;
}

/** What the entry reader needs to know of the CRL's header. */
export interface EntryContext {
  version: number;
  /** names.ts key of the CRL issuer. */
  issuerKey: string;
  thisUpdateMs: number;
  maxEntries: number;
}

/** thisUpdate as the number YYYYMMDDHHMMSS (UTC), compared with UTCTime digits. */
function timeNumber(ms: number): number {
  const d = new Date(ms);
  return (
    d.getUTCFullYear() * 1e10 +
    (d.getUTCMonth() + 1) * 1e8 +
    d.getUTCDate() * 1e6 +
    d.getUTCHours() * 1e4 +
    d.getUTCMinutes() * 100 +
    d.getUTCSeconds()
  );
}

/** Reads revoked entries as their bytes arrive; counts them and routes each to its sink. */
export class RevokedEntryReader {
  entriesRead = 0;
  /** Entries whose revocationDate is after thisUpdate. */
  futureDated = 0;
  /** Entries of other certificate issuers (RFC 5280 §5.3.3), by GeneralName key. */
  readonly others = new Map<string, CrlIndexBuilder>();
  /** Where entries go: the CRL issuer's, or the last certificateIssuer's (indirect CRLs). */
  #sink: EntrySink;
  readonly #thisUpdateNum: number;

  constructor(
    readonly own: EntrySink,
    private readonly ctx: EntryContext,
  ) {
    this.#sink = own;
    this.#thisUpdateNum = timeNumber(ctx.thisUpdateMs);
  }

  /**
   * Reads the complete entries in `buf[p..)` (`revLimit`: where the list ends, relative to
   * buf; `base`: absolute offset of buf[0], for error positions). Returns where it stopped.
   */
  read(buf: Uint8Array, p: number, revLimit: number, base: number): number {
    const end = Math.min(buf.length, revLimit);
    const v2 = this.ctx.version === 2;
    while (p < end) {
      // Entry header: 30 LL or 30 81 LL or 30 82 LL LL.
      if (p + 2 > end) break;
      if (buf[p] !== Tag.Sequence)
        throw new DerError('bad_tag', 'revoked entry must be a SEQUENCE', base + p);
      let len = buf[p + 1]!;
      let q = p + 2;
      if (len >= 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 2)
          throw new DerError('bad_length', 'revoked entry length is oversized', base + p);
        if (q + n > end) break;
        len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + buf[q + k]!;
        q += n;
      }
      const entryEnd = q + len;
      if (entryEnd > revLimit)
        throw new DerError('bad_length', 'revoked entry runs past the list', base + p);
      if (len > MAX_ENTRY) throw new DerError('too_large', 'revoked entry is too large', base + p);
      if (entryEnd > end) break;
      // userCertificate INTEGER
      if (buf[q] !== Tag.Integer)
        throw new DerError('bad_tag', 'userCertificate must be an INTEGER', base + q);
      const sl = buf[q + 1]!;
      if (sl === 0 || sl >= 0x80)
        throw new DerError('bad_length', 'bad serial number length', base + q);
      let s0 = q + 2;
      const s1 = s0 + sl;
      if (s1 > entryEnd)
        throw new DerError('bad_length', 'serial number runs past its entry', base + q);
      // Minimal two's complement: serials are signed (RFC 5280 §4.1.2.2, §6.3.3 (i)).
      while (
        s0 < s1 - 1 &&
        ((buf[s0] === 0 && (buf[s0 + 1]! & 0x80) === 0) ||
          (buf[s0] === 0xff && (buf[s0 + 1]! & 0x80) !== 0))
      )
        s0++;
      if (s1 - s0 > MAX_SERIAL_OCTETS)
        throw new DerError('too_large', 'serial number is longer than 32 octets', base + q);
      const timeEnd = this.#revocationDate(buf, s1, entryEnd, base);
      let reason = NO_REASON;
      if (timeEnd < entryEnd) {
        if (!v2) throw new DerError('bad_value', 'entry extensions need a v2 CRL', base + timeEnd);
        reason =
          entryEnd - timeEnd === REASON_ONLY.length + 1 &&
          matchesAt(buf, timeEnd, REASON_ONLY) &&
          buf[entryEnd - 1]! <= 10 &&
          buf[entryEnd - 1] !== 7
            ? buf[entryEnd - 1]!
            : this.#extensions(buf, timeEnd, entryEnd, base);
      }
      if (++this.entriesRead > this.ctx.maxEntries)
        throw new CrlError('too_large', `CRL has more than ${this.ctx.maxEntries} entries`);
      this.#sink.add(buf, s0, s1, reason);
      p = entryEnd;
    }
    return p;
  }

  /**
   * revocationDate Time; returns where it ends. Fast path: UTCTime YYMMDDHHMMSSZ compared as the
   * number YYYYMMDDHHMMSS against thisUpdate, with no allocation; other forms take the general path.
   */
  #revocationDate(buf: Uint8Array, s1: number, entryEnd: number, base: number): number {
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
          throw new DerError('bad_value', 'bad digit in revocationDate', base + s1);
        v = v * 10 + c;
      }
      // v = YYMMDDHHMMSS; RFC 5280 §4.1.2.5.1: YY >= 50 is 19YY.
      const yy = Math.floor(v / 1e10);
      if ((yy >= 50 ? 1900 : 2000) * 1e10 + v > this.#thisUpdateNum) this.futureDated++;
      return s1 + 15;
    }
    const th = readHeader(buf, s1, entryEnd);
    if (readTimeMs(buf, th, true) > this.ctx.thisUpdateMs) this.futureDated++;
    return th.end;
  }

  /** crlEntryExtensions: reasonCode kept, invalidityDate ignored, unknown critical refused. */
  #extensions(buf: Uint8Array, start: number, end: number, base: number): number {
    const outer = readHeader(buf, start, end);
    if (outer.tag !== Tag.Sequence || outer.end !== end)
      throw new DerError('bad_value', 'crlEntryExtensions must be one SEQUENCE', base + start);
    let reason = NO_REASON;
    let p = outer.valueStart;
    let seen = 0;
    while (p < end) {
      const ext = readHeader(buf, p, end);
      if (ext.tag !== Tag.Sequence)
        throw new DerError('bad_tag', 'Extension must be a SEQUENCE', base + p);
      const oidH = readHeader(buf, ext.valueStart, ext.end);
      if (oidH.tag !== Tag.Oid) throw new DerError('bad_tag', 'extnID must be an OID', base + p);
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
        throw new DerError('bad_value', 'extnValue must be an OCTET STRING', base + q);
      if (bytesEqual(oidBytes, OID_REASON)) {
        if (seen & 1) throw new DerError('bad_value', 'reasonCode appears twice', base + p);
        seen |= 1;
        // CRLReason ::= ENUMERATED
        const e = readHeader(buf, val.valueStart, val.end);
        if (e.tag !== Tag.Enumerated || e.length !== 1 || e.end !== val.end)
          throw new DerError('bad_value', 'reasonCode must be a one-octet ENUMERATED', base + p);
        reason = buf[e.valueStart]!;
        if (reason === 7 || reason > 10)
          throw new DerError('bad_value', `unknown CRLReason ${reason}`, base + p);
      } else if (bytesEqual(oidBytes, OID_INVALIDITY_DATE)) {
        // informational
      } else if (bytesEqual(oidBytes, OID_CERT_ISSUER)) {
        this.#certificateIssuer(buf.slice(val.valueStart, val.end));
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

  /**
   * RFC 5280 §5.3.3: "this CRL entry and all subsequent entries" belong to the certificate
   * issuer named here (indirect CRLs; the parser checks the CRL is one at the end).
   */
  #certificateIssuer(value: Uint8Array): void {
    const names = parseGeneralNamesValue(value);
    const key = generalNameKey(names.find((n) => n.type === 'dn') ?? names[0]!);
    if (key === directoryNameKey(this.ctx.issuerKey)) this.#sink = this.own;
    else {
      let b = this.others.get(key);
      if (!b) this.others.set(key, (b = new CrlIndexBuilder(16)));
      this.#sink = b;
    }
  }
}
