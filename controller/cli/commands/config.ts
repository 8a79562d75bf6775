import type { Command } from 'commander';
import { renderExampleConfig } from '../../config/example.js';
import { ExitCode } from '../../exit-codes.js';
import { action, resolveConfig, UsageError } from '../context.js';

/** `config check`, `config example`. */
export function registerConfig(program: Command): void {
  const config = program.command('config').description('check or print configuration');
  config
    .command('check')
    .description('validate a configuration file (every problem is listed); exit 2 when invalid')
    .argument('[file]', 'configuration file (YAML); the same as -c FILE')
    .option('-c, --config <file>', 'configuration file (YAML)')
    .option('--json', 'print the effective configuration as JSON (secrets hidden)')
    .action(
      action((file: string | undefined, opts: { config?: string; json?: boolean }) => {
        if (file !== undefined && opts.config !== undefined && file !== opts.config)
          throw new UsageError(`two configuration files given (${file} and -c ${opts.config})`);
        const cfg = resolveConfig(file ?? opts.config);
        if (opts.json) {
          const shown = {
            ...cfg,
            mqtt: { ...cfg.mqtt, password: cfg.mqtt.password ? '[redacted]' : '' },
          };
          process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
        } else {
          process.stdout.write('configuration ok\n');
        }
        return ExitCode.Ok;
      }),
    );
  config
    .command('example')
    .description('print a commented configuration file with every key and its default')
    .action(
      action(() => {
        process.stdout.write(renderExampleConfig());
      }),
    );
}
