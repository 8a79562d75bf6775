import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandResult } from '../../shared/mqtt/commands.js';
import type { ImportResult } from './crl-cache.js';
import { openCrlSource, type IntakeLimits, type IntakeOptions } from './crl-intake.js';
import { CrlError } from './errors.js';

export interface CrlInstaller {
  /**
   * Imports a downloaded CRL file whose hash was checked: signature verified against the
   * anchors, stored atomically. `source` is the URL it came from.
   */
  importCrlFile(file: string, source: string): Promise<ImportResult>;
  /** The configured intake limits (trust.crlMaxBytes, crlDownloadTimeoutSec, crlMinRate*). */
  intakeLimits?(): Partial<IntakeLimits>;
  /**
   * Where a download is spooled while it is hashed: on the station's disk beside the CRL cache
   * (default: the system's temporary folder).
   */
  spoolDir?(): string;
}

/**
 * Downloads `url` into `file` under the intake limits, hashing it as it arrives: memory stays
 * at one chunk whatever the CRL's size. Returns the SHA-256 (hex) and the size.
 */
async function spool(
  url: string,
  file: string,
  options: IntakeOptions,
): Promise<{ sha256: string; bytes: number }> {
  const opened = await openCrlSource(url, options);
  if (opened.status !== 'ok') throw new CrlError('fetch_failed', `${url}: not modified`);
  const hash = createHash('sha256');
  const fd = openSync(file, 'w', 0o600);
  let bytes = 0;
  try {
    for await (const chunk of opened.chunks) {
      hash.update(chunk);
      let done = 0;
      while (done < chunk.length)
        done += writeSync(fd, chunk, done, chunk.length - done, bytes + done);
      bytes += chunk.length;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * The `crl.available` command: fetch the CRL from `url` (http, https, or file: for a CRL the
 * back office has copied onto the station; a regular file only), under the intake limits
 * (size cap, deadline, minimum rate: crl-intake.ts), spooled to disk while its SHA-256 is
 * computed, check that hash is the one the signed command names, and only then import the
 * spooled file (its own signature is checked too, whatever channel brought it). The last good
 * CRL stays until a newer one verifies. The gateway runs this beside its command chain, so a
 * slow URL never holds up the commands after it.
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
  const dir = installer.spoolDir?.() ?? os.tmpdir();
  const file = path.join(dir, `.download-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    let got: { sha256: string; bytes: number };
    try {
      if (!/^(https?|file):/i.test(body.url))
        throw new Error(`unsupported URL scheme in ${body.url}`);
      got = await spool(body.url, file, {
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
    if (got.sha256 !== body.sha256.toLowerCase()) {
      return {
        accepted: false,
        reason: 'crl_hash_mismatch',
        detail: { sha256: got.sha256, bytes: got.bytes },
      };
    }
    try {
      const r = await installer.importCrlFile(file, body.url);
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
  } finally {
    rmSync(file, { force: true });
  }
}
