import type { Command } from 'commander';
import { ExitCode } from '../../exit-codes.js';
import { createLogger } from '../../log.js';
import { runDaemon } from '../../daemon.js';
import { openDatabase } from '../../storage/db.js';
import { action, resolveConfig } from '../context.js';

/** `start`, `db migrate`: running the station and managing its database. */
export function registerStation(program: Command): void {
  program
    .command('start')
    .description('run the station daemon')
    .option('-c, --config <file>', 'configuration file (YAML)')
    .action(
      action(async (opts: { config?: string }) => {
        const config = resolveConfig(opts.config);
        const log = createLogger(config.log);
        return runDaemon(config, log);
      }),
    );

  const db = program.command('db').description('manage the station database');
  db.command('migrate')
    .description('create the database or bring its schema up to date, then exit')
    .option('-c, --config <file>', 'configuration file (YAML)')
    .option('--db <path>', 'database file instead of the configured one')
    .action(
      action((opts: { config?: string; db?: string }) => {
        const config = resolveConfig(opts.config);
        const file = opts.db ?? config.storage.path;
        const handle = openDatabase(file, { busyTimeoutMs: config.storage.busyTimeoutMs });
        const version = handle.pragma('user_version', { simple: true });
        handle.close();
        process.stdout.write(`${file}: schema version ${String(version)}\n`);
        return ExitCode.Ok;
      }),
    );
}
