/**
 * Where a CRL import reads from: a regular file, or an http(s) URL fetched with a conditional
 * GET (If-None-Match / If-Modified-Since from the last successful fetch), both under the intake
 * limits (crl-intake.ts). Each attempt's outcome is noted per source (`crl status`).
 */
import path from 'node:path';
import { CrlError } from './errors.js';
import type { ImportOptions, ImportResult } from './crl-import.js';
import { openCrlSource, type IntakeLimits, type IntakeTimers } from './crl-intake.js';
import type { CrlStore } from './crl-store.js';

/** Options of importFile. */
export type FileImportOptions = Omit<ImportOptions, 'source'> & {
  source?: string;
  signal?: AbortSignal;
};

/** Options of importUrl. */
export interface UrlImportOptions extends Omit<ImportOptions, 'source' | 'totalBytes'> {
  fetch?: typeof fetch;
  /** Ignore the stored ETag / Last-Modified. */
  force?: boolean;
  signal?: AbortSignal;
}

/** What the source readers need of the cache. */
export interface SourceContext {
  store: CrlStore;
  now(): Date;
  intake?: Partial<IntakeLimits>;
  timers?: IntakeTimers;
  importStream(chunks: AsyncIterable<Uint8Array>, options: ImportOptions): Promise<ImportResult>;
}

function intake(
  ctx: SourceContext,
  signal: AbortSignal | undefined,
  extra: { fetch?: typeof fetch; headers?: Record<string, string> } = {},
) {
  return {
    ...(ctx.intake ? { limits: ctx.intake } : {}),
    ...(ctx.timers ? { timers: ctx.timers } : {}),
    ...(signal ? { signal } : {}),
    ...extra,
  };
}

function noteSource(
  ctx: SourceContext,
  source: string,
  outcome: string,
  detail: string | undefined,
  etag: string | undefined,
  lastModified: string | undefined,
): void {
  try {
    ctx.store.putSource({ source, etag, lastModified, checkedAt: ctx.now(), outcome, detail });
  } catch {
    // Bookkeeping only; the import result stands.
  }
}

/** Imports a CRL file (DER or PEM; regular files only), streaming it from disk. */
export async function importFileSource(
  ctx: SourceContext,
  file: string,
  options: FileImportOptions,
): Promise<ImportResult> {
  const source = options.source ?? (/^file:/i.test(file) ? file : path.resolve(file));
  try {
    const opened = await openCrlSource(file, intake(ctx, options.signal));
    if (opened.status !== 'ok') throw new CrlError('fetch_failed', `${file}: not modified`);
    const r = await ctx.importStream(opened.chunks, {
      ...options,
      source,
      totalBytes: opened.totalBytes,
    });
    noteSource(ctx, source, r.outcome, undefined, undefined, undefined);
    return r;
  } catch (err) {
    noteSource(ctx, source, 'failed', (err as Error).message, undefined, undefined);
    throw err;
  }
}

/** Imports from an http(s) URL with a conditional GET; 304 -> `not_modified`. */
export async function importUrlSource(
  ctx: SourceContext,
  url: string,
  options: UrlImportOptions,
): Promise<ImportResult> {
  const prev = options.force ? undefined : ctx.store.getSource(url);
  const headers: Record<string, string> = {};
  if (prev?.etag) headers['if-none-match'] = prev.etag;
  if (prev?.lastModified) headers['if-modified-since'] = prev.lastModified;
  try {
    const opened = await openCrlSource(
      url,
      intake(ctx, options.signal, { ...(options.fetch ? { fetch: options.fetch } : {}), headers }),
    );
    if (opened.status === 'not_modified') {
      noteSource(ctx, url, 'not_modified', undefined, prev?.etag, prev?.lastModified);
      return { outcome: 'not_modified', source: url };
    }
    const r = await ctx.importStream(opened.chunks, {
      ...options,
      source: url,
      totalBytes: opened.totalBytes,
    });
    noteSource(ctx, url, r.outcome, undefined, opened.etag, opened.lastModified);
    return r;
  } catch (err) {
    noteSource(ctx, url, 'failed', (err as Error).message, prev?.etag, prev?.lastModified);
    throw err;
  }
}
