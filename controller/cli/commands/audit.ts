import type { Command } from 'commander';
import { verifyAuditDb, AuditLog } from '../../audit/audit-log.js';
import { ExitCode } from '../../exit-codes.js';
import { openDatabase } from '../../storage/db.js';
import { action, resolveConfig } from '../context.js';

interface DbOpts {
  config?: string;
  db?: string;
  json?: boolean;
}

function open(opts: DbOpts) {
  const file = opts.db ?? resolveConfig(opts.config).storage.path;
  return { file, db: openDatabase(file, { readonly: true }) };
}

/** `audit verify`, `audit list`: checking and reading the tamper-evident audit log. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description(
      'check the hash chain; report the first row edited, inserted or deleted (or a reordered pair)',
    )
    .option('-c, --config <file>', 'configuration file (YAML)')
    .option('--db <path>', 'database file instead of the configured one')
    .option('--json', 'print the report as JSON')
    .action(
      action((opts: DbOpts) => {
        const { file, db } = open(opts);
        try {
          const report = verifyAuditDb(db);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ db: file, ...report })}\n`);
          } else if (report.ok) {
            process.stdout.write(
              `audit log intact: ${report.rows} rows, last seq ${report.lastSeq} (${file})\n`,
            );
          } else {
            const p = report.problem!;
            process.stdout.write(
              `audit log TAMPERED: first problem at row ${p.seq}${p.otherSeq ? `/${p.otherSeq}` : ''} (${p.kind}): ${p.message}\n`,
            );
          }
          return report.ok ? ExitCode.Ok : ExitCode.Failure;
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
