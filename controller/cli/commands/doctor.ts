import type { Command } from 'commander';
import { CHECKS, withTimeout, type Check, type CheckResult } from '../../doctor/checks.js';
import { ExitCode } from '../../exit-codes.js';
import { action, resolveConfig } from '../context.js';

/** Checks added by other parts (CRL freshness and the like). */
export const extraChecks: Check[] = [];

/** One check may take this long; doctor as a whole ends within DOCTOR_LIMIT_MS. */
export const CHECK_LIMIT_MS = 8_000;
export const DOCTOR_LIMIT_MS = 30_000;

function label(r: CheckResult): string {
  if (r.status === 'ok') return 'ok  ';
  if (r.status === 'skip') return 'skip';
  return r.required ? 'FAIL' : 'warn';
}

/** `doctor`: one line per check with a remedy when it fails. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check this machine for what the configured station needs; exit 1 only when a needed part fails',
    )
    .option('-c, --config <file>', 'configuration file (YAML)')
    .option('--json', 'print the results as JSON')
    .action(
      action(async (opts: { config?: string; json?: boolean }) => {
        const config = resolveConfig(opts.config);
        const now = new Date();
        const deadline = Date.now() + DOCTOR_LIMIT_MS;
        const results: CheckResult[] = [];
        for (const check of [...CHECKS, ...extraChecks]) {
          const left = deadline - Date.now();
          if (left <= 0) {
            results.push({
              name: check.name,
              status: 'fail',
              detail: `not run: doctor's ${DOCTOR_LIMIT_MS / 1000} s were used up`,
              required: false,
            });
            continue;
          }
          try {
            results.push(
              await withTimeout(
                Promise.resolve().then(() => check.run(config, now)),
                Math.min(CHECK_LIMIT_MS, left),
                check.name,
              ),
            );
          } catch (err) {
            results.push({
              name: check.name,
              status: 'fail',
              detail: `check failed: ${(err as Error).message}`,
              required: false,
            });
          }
        }
        const failed = results.filter((r) => r.status === 'fail' && r.required);
        if (opts.json) {
          process.stdout.write(
            JSON.stringify({ ok: failed.length === 0, checks: results }, null, 2) + '\n',
          );
        } else {
          for (const r of results) {
            process.stdout.write(`${label(r)}  ${r.name.padEnd(14)} ${r.detail}\n`);
            if (r.status === 'fail' && r.remedy)
              process.stdout.write(`      ${''.padEnd(14)} -> ${r.remedy}\n`);
          }
          process.stdout.write(
            failed.length
              ? `\n${failed.length} needed check(s) failed\n`
              : '\nall needed checks passed\n',
          );
        }
        // A check that timed out may still hold a handle (a PC/SC thread, a socket): doctor
        // ends anyway, once its output is written.
        setTimeout(() => process.exit(), 500).unref();
        return failed.length ? ExitCode.Failure : ExitCode.Ok;
      }),
    );
}
