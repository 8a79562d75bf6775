import { createHash } from 'node:crypto';
import type { CommandResult } from '../../shared/mqtt/commands.js';
import type { ImportResult } from './crl-cache.js';
import { readCrlSource, type IntakeLimits } from './crl-intake.js';

export interface CrlInstaller {
  /** Imports CRL bytes whose hash was checked: signature verified against the anchors, stored atomically. */
  importCrlBytes(der: Uint8Array, source: string): Promise<ImportResult>;
  /** The configured intake limits (trust.crlMaxBytes, crlDownloadTimeoutSec, crlMinRate*). */
  intakeLimits?(): Partial<IntakeLimits>;
}

/**
 * The `crl.available` command: fetch the CRL from `url` (http, https, or file: for a CRL the
 * back office has copied onto the station; a regular file only), under the intake limits
 * (size cap, deadline, minimum rate: crl-intake.ts), check that its SHA-256 is the one the
 * signed command names, and only then import it (its own signature is checked too, whatever
 * channel brought it). The last good CRL stays until a newer one verifies. The gateway runs
 * this beside its command chain, so a slow URL never holds up the commands after it.
 */
export async function installAvailableCrl(
  installer: CrlInstaller,
  body: { url: string; sha256: string },
  options: { fetch?: typeof fetch; signal?: AbortSignal; maxBytes?: number } = {},
): Promise<CommandResult> {
  const limits = {
    ...installer.intakeLimits?.(),
    ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
  };
  let bytes: Uint8Array;
  try {
    if (!/^(https?|file):/i.test(body.url))
      throw new Error(`unsupported URL scheme in ${body.url}`);
    bytes = await readCrlSource(body.url, {
      limits,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
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
