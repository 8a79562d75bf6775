/**
 * The CRL import pipeline: stream, verify, decide, persist. The signature is checked over
 * tbsCertList as it streams while the entries go to the store's index writer (spilled to disk
 * by the SQLite store); nothing becomes an index unless the CRL verifies with a signer allowed
 * to sign CRLs (RFC 5280 §6.3.3 (f),(g)) and keeps the CRL profile. The store replaces the
 * previous CRL in one transaction, so a failed or interrupted import leaves the last good CRL.
 */
import { createHash } from 'node:crypto';
import { StreamingVerifier } from './algorithms.js';
import { KeyUsageBit, type Certificate } from './certificate.js';
import { bytesEqual } from './der.js';
import { CrlError, DerError } from './errors.js';
import {
  CrlIndex,
  mergeDelta,
  type CrlIndexBuilder,
  type IndexWriter,
  type RevokedSerials,
} from './crl-index.js';
import { CrlStreamParser, type CrlHeader, type CrlInfo } from './crl-parser.js';
import { derChunks } from './crl-pem.js';
import type { CrlStore, StoredCrl } from './crl-store.js';
import type { CrlVerdict } from './types.js';

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

/** Progress of a long import. */
export interface ImportProgress {
  bytes: number;
  /** Total size when known (file size, Content-Length). */
  totalBytes: number | undefined;
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

/** What the importer needs of the cache. */
export interface ImportContext {
  store: CrlStore;
  now(): Date;
  maxEntries: number;
  /** The cached CRL of this signer key and scope. */
  current(signer: Certificate, scope: string): StoredCrl | undefined;
  facts(
    crl: StoredCrl,
  ): Pick<ImportResult, 'crlNumber' | 'thisUpdate' | 'nextUpdate' | 'entries' | 'verdict'>;
}

type Verifier = { signer: Certificate; v: StreamingVerifier };

/** Parses `chunks` into `writer`, checking the signature as it streams. */
async function parseSigned(
  chunks: AsyncIterable<Uint8Array>,
  options: ImportOptions,
  writer: IndexWriter,
  maxEntries: number,
) {
  let verifiers: Verifier[] = [];
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
    maxEntries,
    sink: writer,
  });
  for await (const chunk of derChunks(chunks)) parser.push(chunk);
  const { info, others } = parser.end();
  if (!header) throw new DerError('truncated', 'CRL has no header');
  const signer = verifySignature(info, verifiers);
  checkCrlFacts(info);
  return { info, signer, others };
}

/** Runs one import against the cache's state; returns the result and the CRL to remember. */
export async function importCrl(
  ctx: ImportContext,
  chunks: AsyncIterable<Uint8Array>,
  options: ImportOptions,
): Promise<{ result: ImportResult; stored: StoredCrl | undefined }> {
  const writer = ctx.store.newIndex(options.totalBytes);
  const made: RevokedSerials[] = [];
  try {
    const {
      info,
      signer,
      others: otherBuilders,
    } = await parseSigned(chunks, options, writer, ctx.maxEntries);
    // Identity of the CRL: the signature value is unique to the signed content, and hashing it
    // avoids a second pass over tens of megabytes.
    const derSha256 = createHash('sha256').update(info.signature).digest('hex');
    const scope = info.idp?.valueHex ?? '';
    const current = ctx.current(signer, scope);
    const base = {
      source: options.source,
      issuer: info.issuer,
      entriesRead: info.entriesRead,
      duplicates: 0,
      futureDated: info.futureDated,
      bytes: info.byteLength,
    };
    const delta = info.deltaBase !== undefined;
    if (delta && !current) throw noBase(info);
    if (current && isUnchanged(info, current, derSha256, delta)) {
      writer.discard();
      return {
        result: { ...base, ...ctx.facts(current), outcome: 'unchanged' },
        stored: undefined,
      };
    }
    const { index, duplicates } = writer.finish({
      name: delta ? `${derSha256}.delta` : `${derSha256}.idx`,
      dropRemovals: !delta,
    });
    made.push(index);
    const { others, duplicates: otherDuplicates } = finishOthers(otherBuilders, !delta);
    // Each serial is revoked once per certificate issuer; a repeated entry is a broken list.
    const repeated = duplicates + otherDuplicates;
    if (repeated > 0)
      throw new CrlError('malformed', `CRL lists ${repeated} serial number(s) more than once`);
    const common = {
      thisUpdate: info.thisUpdate,
      nextUpdate: info.nextUpdate,
      crlNumber: info.crlNumber,
      derSha256,
      source: options.source,
      importedAt: ctx.now(),
    };
    let next: StoredCrl;
    if (delta) {
      const merged = ctx.store.newIndex();
      mergeDelta(current!.index, index, merged);
      const m = merged.finish({ name: `${derSha256}.idx`, dropRemovals: true }).index;
      made.push(m);
      next = {
        ...current!,
        ...common,
        deltasApplied: current!.deltasApplied + 1,
        index: m,
        others: mergeOthers(current!.others, others),
      };
    } else {
      next = {
        ...common,
        issuerKey: signer.subjectKey,
        issuer: info.issuer,
        issuerSpkiSha256: signer.spkiSha256,
        scope,
        idp: info.idp,
        idpDer: info.idp ? new Uint8Array(Buffer.from(info.idp.valueHex, 'hex')) : undefined,
        fullCrlNumber: info.crlNumber,
        deltasApplied: 0,
        index,
        others,
      };
    }
    ctx.store.put(next);
    for (const x of made) if (x !== next.index) ctx.store.discardIndex(x);
    const outcome = delta ? 'delta_applied' : 'imported';
    return { result: { ...base, ...ctx.facts(next), outcome }, stored: next };
  } catch (err) {
    writer.discard();
    for (const x of made) ctx.store.discardIndex(x);
    throw err;
  }
}

/**
 * The same CRL again (true), or one that may replace the cached one (false); throws when it
 * may not (RFC 5280 §5.2.4 for deltas: a complete CRL numbered >= BaseCRLNumber of the same
 * scope must be cached, and the delta must be newer).
 */
function isUnchanged(
  info: CrlInfo,
  current: StoredCrl,
  derSha256: string,
  delta: boolean,
): boolean {
  if (current.derSha256 === derSha256) return true;
  if (delta) {
    if (info.crlNumber === undefined)
      throw new CrlError('malformed', 'delta CRL without cRLNumber');
    if (current.fullCrlNumber === undefined || current.fullCrlNumber < info.deltaBase!)
      throw noBase(info);
    if (current.crlNumber !== undefined && info.crlNumber <= current.crlNumber)
      throw new CrlError(
        'not_newer',
        `delta CRL ${info.crlNumber} is not newer than the cached CRL ${current.crlNumber}`,
      );
    return false;
  }
  const newer =
    info.crlNumber !== undefined && current.crlNumber !== undefined
      ? info.crlNumber > current.crlNumber
      : info.thisUpdate.getTime() > current.thisUpdate.getTime();
  if (!newer)
    throw new CrlError(
      'not_newer',
      `CRL (thisUpdate ${info.thisUpdate.toISOString()}, number ${info.crlNumber ?? '-'}) is not newer than the cached one (thisUpdate ${current.thisUpdate.toISOString()}, number ${current.crlNumber ?? '-'})`,
    );
  return false;
}

function noBase(info: CrlInfo): CrlError {
  return new CrlError(
    'no_base',
    `no cached complete CRL numbered ${info.deltaBase} or later for ${info.issuer}`,
  );
}

/** RFC 5280 §6.3.3 (f),(g): which trusted certificate signed it, and may it sign CRLs? */
function verifySignature(info: CrlInfo, verifiers: Verifier[]): Certificate {
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
function checkCrlFacts(info: CrlInfo): void {
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

/** Indirect CRLs: the entries of other certificate issuers, kept in memory. */
function finishOthers(
  builders: Map<string, CrlIndexBuilder>,
  dropRemovals: boolean,
): { others: Map<string, CrlIndex>; duplicates: number } {
  const others = new Map<string, CrlIndex>();
  let duplicates = 0;
  for (const [k, b] of builders) {
    const f = b.finish({ dropRemovals });
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
