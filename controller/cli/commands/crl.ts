import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ExitCode } from '../../exit-codes.js';
import { openDatabase } from '../../storage/db.js';
import {
  CrlCache,
  crlCacheOptions,
  CrlError,
  crlProblem,
  crlReasonName,
  crlUsable,
  DerError,
  loadAnchors,
  loadCertificates,
  SqliteCrlStore,
  verdictOf,
  type Certificate,
  type ImportProgress,
} from '../../trust/index.js';
import { action, resolveConfig, UsageError } from '../context.js';
import { takeSwallowed } from './cert.js';

interface DbOptions {
  db?: string;
  config?: string;
}

function certsFromFiles(files: string[]): Certificate[] {
  return files.flatMap((f) => {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(f));
    } catch (err) {
      throw new UsageError(`cannot read ${f}: ${(err as Error).message}`);
    }
    try {
      return loadCertificates(bytes, f);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
}

/** `lookupMemoryMb` 0: one-off lookups read the index files instead of loading them. */
function openCache(opts: DbOptions, lookupMemoryMb?: number) {
  const config = resolveConfig(opts.config);
  const file = opts.db ?? config.storage.path;
  const db = openDatabase(file, { busyTimeoutMs: config.storage.busyTimeoutMs });
  // Tolerances and the intake limits (trust.crlMaxBytes, crlMaxEntries, deadline, rate).
  const cache = new CrlCache(new SqliteCrlStore(db), {
    ...crlCacheOptions(config.trust),
    ...(lookupMemoryMb !== undefined ? { memoryMb: lookupMemoryMb } : {}),
  });
  cache.load();
  return { config, db, cache };
}

/** "0a:1b", "0x0a1b" or "0A1B" -> bytes. */
function parseSerial(text: string): Uint8Array {
  let hex = text.trim().replace(/^0x/i, '').replace(/[:\s]/g, '');
  if (!/^[0-9a-f]+$/i.test(hex)) throw new UsageError(`SERIAL must be hexadecimal: ${text}`);
  if (hex.length % 2) hex = '0' + hex;
  // The hex names a (positive) serial number; as an INTEGER its top bit must be clear.
  if (parseInt(hex[0]!, 16) >= 8) hex = '00' + hex;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/**
 * Progress of a large import on stderr: on a terminal one line redrawn in place, ended with a
 * newline; piped to a file or a journal, one line per step (a carriage return would glue them).
 */
export function progressPrinter(
  out: { write(s: string): unknown; isTTY?: boolean } = process.stderr,
): { onProgress: (p: ImportProgress) => void; done: () => void } {
  let lastPct = -1;
  let lastMb = 0;
  let open = false;
  const show = (line: string) => {
    if (out.isTTY) {
      out.write(`\r${line}`);
      open = true;
    } else out.write(`${line}\n`);
  };
  const done = () => {
    if (open) out.write('\n');
    open = false;
  };
  return {
    onProgress: (p) => {
      if (p.totalBytes && p.totalBytes > 4 << 20) {
        const pct = Math.floor((p.bytes / p.totalBytes) * 10) * 10;
        if (pct !== lastPct) {
          lastPct = pct;
          show(`importing ${pct}% of ${(p.totalBytes / 1048576).toFixed(1)} MB`);
          if (pct >= 100) done();
        }
      } else if (!p.totalBytes && p.bytes - lastMb > 4 << 20) {
        lastMb = p.bytes;
        show(`importing ${(p.bytes / 1048576).toFixed(1)} MB`);
      }
    },
    done,
  };
}

/** `crl import`, `crl status`, `crl check`: the offline CRL cache. */
export function registerCrl(program: Command): void {
  const crl = program.command('crl').description('the offline CRL cache');
  crl
    .command('import')
    .description(
      'verify a CRL (file or http(s) URL, PEM or DER) and make it the cached one if newer',
    )
    .argument('[source]', 'CRL file or http(s) URL')
    .option(
      '--trust <files...>',
      'certificates to verify the CRL against (default: the configured anchors)',
    )
    .option('--db <path>', 'database file instead of the configured one')
    .option('--force', 'ignore the stored ETag / Last-Modified')
    .option('-c, --config <file>', 'configuration file (YAML)')
    .action(
      action(
        async (
          sourceArg: string | undefined,
          opts: DbOptions & { trust?: string[]; force?: boolean },
        ) => {
          const source = sourceArg ?? takeSwallowed(opts, ['trust']);
          if (!source) throw new UsageError('name the CRL file or URL to import');
          const { config, db, cache } = openCache(opts);
          try {
            const a = loadAnchors(config.trust);
            const signers = opts.trust?.length
              ? certsFromFiles(opts.trust)
              : [...a.auth, ...a.sign, ...a.command];
            if (signers.length === 0)
              throw new UsageError(
                'no certificates to verify the CRL against: give --trust or configure trust.*Anchors',
              );
            const progress = progressPrinter();
            try {
              const r = await cache
                .importFrom(source, {
                  signers,
                  onProgress: progress.onProgress,
                  force: opts.force,
                })
                .finally(progress.done);
              process.stdout.write(JSON.stringify(r) + '\n');
              return ExitCode.Ok;
            } catch (err) {
              if (err instanceof CrlError || err instanceof DerError) {
                process.stdout.write(
                  JSON.stringify({
                    outcome: 'rejected',
                    source,
                    code: err.code,
                    error: err.message,
                  }) + '\n',
                );
                process.stderr.write(
                  `jpki-locker: CRL rejected (${err.code}): ${err.message}; the last good CRL stays in use\n`,
                );
                return ExitCode.Failure;
              }
              throw err;
            }
          } finally {
            db.close();
          }
        },
      ),
    );

  crl
    .command('status')
    .description(
      'per issuer: thisUpdate, nextUpdate, entries, age, verdict; exit 1 when one is stale',
    )
    .option('--db <path>', 'database file instead of the configured one')
    .option('--json', 'print JSON')
    .option('-c, --config <file>', 'configuration file (YAML)')
    .action(
      action((opts: DbOptions & { json?: boolean }) => {
        const { config, db, cache } = openCache(opts);
        try {
          let anchors: Certificate[] = [];
          try {
            const a = loadAnchors(config.trust);
            anchors = config.trust.revocationFor.flatMap((p) => a[p]);
          } catch {
            anchors = [];
          }
          const status = cache.status(anchors);
          const sources = cache.store
            .listSources()
            .map((s) => ({ ...s, checkedAt: s.checkedAt.toISOString() }));
          if (opts.json)
            process.stdout.write(JSON.stringify({ crls: status, sources }, null, 2) + '\n');
          else {
            if (status.length === 0) process.stdout.write('no CRL cached\n');
            for (const s of status) {
              if (s.verdict === 'missing') {
                process.stdout.write(`${s.issuer}\n  verdict: missing (no CRL cached)\n`);
                continue;
              }
              const c = s as Exclude<typeof s, { verdict: 'missing' }>;
              process.stdout.write(
                `${c.issuer} [key ${c.issuerKeySha256.slice(0, 16)}, ${c.scope}]\n` +
                  `  verdict: ${c.verdict}   entries: ${c.entries}   number: ${c.crlNumber ?? '-'}   deltas: ${c.deltasApplied}\n` +
                  `  thisUpdate: ${c.thisUpdate}   nextUpdate: ${c.nextUpdate ?? '-'}   age: ${c.ageHours} h\n` +
                  `  source: ${c.source} (imported ${c.importedAt})\n`,
              );
            }
            for (const s of sources.filter((x) => x.outcome === 'failed'))
              process.stdout.write(
                `last import from ${s.source} failed at ${s.checkedAt}: ${s.detail ?? ''}\n`,
              );
          }
          return status.some((s) => !crlUsable(s.verdict)) ? ExitCode.Failure : ExitCode.Ok;
        } finally {
          db.close();
        }
      }),
    );

  crl
    .command('check')
    .description(
      'is SERIAL (hex) on the cached CRL of the issuer? exit 0 good, 1 revoked / no CRL / stale',
    )
    .requiredOption('--issuer <file>', 'issuer CA certificate (PEM or DER)')
    .argument('<serial>', 'certificate serial number in hex (e.g. 0a1b2c or 0a:1b:2c)')
    .option('--db <path>', 'database file instead of the configured one')
    .option('-c, --config <file>', 'configuration file (YAML)')
    .action(
      action((serialText: string, opts: DbOptions & { issuer: string }) => {
        const issuer = certsFromFiles([opts.issuer])[0]!;
        const serial = parseSerial(serialText);
        const { cache, db } = openCache(opts, 0);
        try {
          const found = cache.lookup(issuer, serial);
          const serialHex = Buffer.from(serial)
            .toString('hex')
            .replace(/^00(?=[89a-f])/, '');
          if (!found) {
            process.stdout.write(
              JSON.stringify({ issuer: issuer.subject, serial: serialHex, status: 'crl_missing' }) +
                '\n',
            );
            return ExitCode.Failure;
          }
          const verdict = verdictOf(found.crl, new Date(), cache.toleranceFor(found.crl));
          // The one usability rule (trust/types.ts): stale, future-dated -> its own reason.
          const status = found.listed ? 'revoked' : (crlProblem(verdict) ?? 'good');
          process.stdout.write(
            JSON.stringify({
              issuer: issuer.subject,
              serial: serialHex,
              status,
              reason: found.listed
                ? found.reasonCode === undefined
                  ? 'unspecified'
                  : crlReasonName(found.reasonCode)
                : undefined,
              crlNumber: found.crl.crlNumber?.toString(),
              thisUpdate: found.crl.thisUpdate.toISOString(),
              nextUpdate: found.crl.nextUpdate?.toISOString(),
              verdict,
            }) + '\n',
          );
          return status === 'good' ? ExitCode.Ok : ExitCode.Failure;
        } finally {
          db.close();
        }
      }),
    );
}
