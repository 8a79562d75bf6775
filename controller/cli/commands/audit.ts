import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import { verifyAuditDb, AuditLog } from '../../audit/audit-log.js';
import {
  checkpointKeyFromCertificate,
  compareWithPublishedHead,
  verifyCheckpoints,
} from '../../audit/checkpoint.js';
import { ExitCode } from '../../exit-codes.js';
import { openDatabase } from '../../storage/db.js';
import { action, resolveConfig, UsageError } from '../context.js';

interface DbOpts {
  config?: string;
  db?: string;
  json?: boolean;
}

interface VerifyOpts extends DbOpts {
  cert?: string;
  head: string[];
}

function open(opts: DbOpts) {
  const file = opts.db ?? resolveConfig(opts.config).storage.path;
  return { file, db: openDatabase(file, { readonly: true }) };
}

function parseHead(text: string): { seq: number; hash: string } {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text);
  if (!m) throw new UsageError(`--head must be SEQ:HASH (64 hex digits), not ${text}`);
  return { seq: Number(m[1]), hash: m[2]! };
}

/** The key checkpoints are checked with: --cert, else station.signingCert when configured. */
function checkpointKey(opts: VerifyOpts): KeyObject | undefined {
  const file =
    opts.cert ?? (opts.db && !opts.config ? '' : resolveConfig(opts.config).station.signingCert);
  if (!file) return undefined;
  try {
    return checkpointKeyFromCertificate(file);
  } catch (err) {
    throw new UsageError(`cannot read the station certificate ${file}: ${(err as Error).message}`);
  }
}

/** `audit verify`, `audit list`: checking and reading the tamper-evident audit log. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description(
      'check the hash chain (from its base when pruned), the signed checkpoints and any published heads; report the first row edited, inserted or deleted (or a reordered pair)',
    )
    .option('-c, --config <file>', 'configuration file (YAML)')
    .option('--db <path>', 'database file instead of the configured one')
    .option(
      '--cert <file>',
      "the station's signing certificate: check the checkpoints' signatures (default station.signingCert)",
    )
    .option(
      '--head <seq:hash>',
      'a head published earlier (heartbeat auditHead); repeatable',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--json', 'print the report as JSON')
    .action(
      action((opts: VerifyOpts) => {
        const heads = opts.head.map(parseHead);
        const key = checkpointKey(opts);
        const { file, db } = open(opts);
        try {
          const report = verifyAuditDb(db);
          const checkpoints = verifyCheckpoints(db, key);
          const published = heads.map((h) => ({ ...h, ...compareWithPublishedHead(db, h) }));
          const ok = report.ok && checkpoints.ok && published.every((p) => p.ok);
          if (opts.json) {
            process.stdout.write(
              `${JSON.stringify({ db: file, ...report, ok, chainOk: report.ok, checkpoints, published })}\n`,
            );
            return ok ? ExitCode.Ok : ExitCode.Failure;
          }
          if (report.ok) {
            const from = report.base
              ? ` from row ${report.base.seq + 1} (earlier rows pruned)`
              : '';
            const red = report.redacted ? `, ${report.redacted} redacted` : '';
            process.stdout.write(
              `audit log intact: ${report.rows} rows${from}${red}, last seq ${report.lastSeq} (${file})\n`,
            );
          } else {
            const p = report.problem!;
            process.stdout.write(
              `audit log TAMPERED: first problem at row ${p.seq}${p.otherSeq ? `/${p.otherSeq}` : ''} (${p.kind}): ${p.message}\n`,
            );
          }
          if (checkpoints.checkpoints > 0 || !checkpoints.ok) {
            process.stdout.write(
              checkpoints.ok
                ? `checkpoints: ${checkpoints.checkpoints} consistent${checkpoints.signaturesChecked ? ', signatures verified' : ' (signatures not checked: no --cert)'}\n`
                : `checkpoints: PROBLEM at row ${checkpoints.problem!.seq}: ${checkpoints.problem!.message}\n`,
            );
          }
          for (const p of published)
            process.stdout.write(
              `published head ${p.seq}: ${p.ok ? 'ok' : 'MISMATCH'}: ${p.message}\n`,
            );
          return ok ? ExitCode.Ok : ExitCode.Failure;
        } finally {
          db.close();
        }
      }),
    );
  audit
    .command('list')
    .description('print the latest audit rows')
    .option('-c, --config <file>', 'configuration file (YAML)')
    .option('--db <path>', 'database file instead of the configured one')
    .option('-n, --limit <n>', 'how many rows', '50')
    .option('--json', 'one JSON object per line')
    .action(
      action((opts: DbOpts & { limit: string }) => {
        const { db } = open(opts);
        try {
          const rows = new AuditLog(db).list({ limit: Math.max(1, Number(opts.limit) || 50) });
          for (const r of rows) {
            process.stdout.write(
              opts.json
                ? `${JSON.stringify(r)}\n`
                : `${r.seq}\t${r.at}\t${r.kind}\t${r.action}\t${r.actor}\t${r.target}\t${r.outcome}\t${r.reason}\t${r.details}\n`,
            );
          }
          return ExitCode.Ok;
        } finally {
          db.close();
        }
      }),
    );
}
