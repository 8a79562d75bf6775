import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { CommandResult } from '../../shared/mqtt/commands.js';
import type { ImportResult } from './crl-cache.js';

/** The largest CRL the station downloads for a `crl.available` command (a 1 M-entry CRL is ~41 MB). */
export const MAX_CRL_DOWNLOAD_BYTES = 256 * 1024 * 1024;

export interface CrlInstaller {
  /** Imports CRL bytes whose hash was checked: signature verified against the anchors, stored atomically. */
  importCrlBytes(der: Uint8Array, source: string): Promise<ImportResult>;
}

/**
 * The `crl.available` command: fetch the CRL from `url` (http, https, or file: for a CRL the
 * back office has copied onto the station), check that its SHA-256 is the one the signed
 * command names, and only then import it (its own signature is checked too, whatever channel
 * brought it). The last good CRL stays until a newer one verifies.
 */
export async function installAvailableCrl(
  installer: CrlInstaller,
  body: { url: string; sha256: string },
  options: { fetch?: typeof fetch; signal?: AbortSignal; maxBytes?: number } = {},
): Promise<CommandResult> {
  const max = options.maxBytes ?? MAX_CRL_DOWNLOAD_BYTES;
  let bytes: Uint8Array;
  try {
    bytes = await download(body.url, max, options);
  } catch (err) {
    return {
      accepted: false,
      reason: 'crl_unavailable',
      detail: { error: String((err as Error).message).slice(0, 200) },
    };
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== body.sha256.toLowerCase()) {
    return {
      accepted: false,
      reason: 'crl_hash_mismatch',
      detail: { sha256, bytes: bytes.length },
    };
  }
  try {
    const r = await installer.importCrlBytes(bytes, body.url);
    return {
      accepted: true,
      detail: {
        outcome: r.outcome,
        entries: r.entries ?? null,
        crlNumber: r.crlNumber ?? null,
        nextUpdate: r.nextUpdate ?? null,
      },
    };
  } catch (err) {
    return {
      accepted: false,
      reason: 'bad_crl',
      detail: {
        error: String((err as { code?: string }).code ?? (err as Error).message).slice(0, 200),
      },
    };
  }
}

async function download(
  url: string,
  maxBytes: number,
  options: { fetch?: typeof fetch; signal?: AbortSignal },
): Promise<Uint8Array> {
  const parsed = new URL(url);
  if (parsed.protocol === 'file:') {
    const data = await readFile(parsed);
    if (data.length > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    return new Uint8Array(data);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`unsupported URL scheme ${parsed.protocol}`);
  }
  const res = await (options.fetch ?? fetch)(url, options.signal ? { signal: options.signal } : {});
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
