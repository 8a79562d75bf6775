import { existsSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import {
  ConfigError,
  HardwareLostError,
  JpkiLockerError,
  StorageError,
  UsageError,
} from '../../shared/errors.js';
import { checkConfig, loadConfigFile } from '../config/load.js';
import type { Config } from '../config/types.js';
import { ExitCode } from '../exit-codes.js';

/** Where `--config` is looked for when not given. */
export const DEFAULT_CONFIG_PATHS = ['/etc/jpki-locker/config.yaml'];

export { UsageError } from '../../shared/errors.js';

/** Maps an error to the process exit code it stands for. */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof ConfigError || err instanceof UsageError) return ExitCode.Usage;
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  if (err instanceof StorageError) return ExitCode.Storage;
  if (err instanceof HardwareLostError) return ExitCode.HardwareLost;
  return ExitCode.Failure;
}

/**
 * Loads the configuration for a command: the given file, else $JPKI_LOCKER_CONFIG, else
 * /etc/jpki-locker/config.yaml when present, else the embedded defaults; then environment
 * overrides. @throws ConfigError.
 */
export function resolveConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<Config> {
  const chosen = file ?? env.JPKI_LOCKER_CONFIG ?? DEFAULT_CONFIG_PATHS.find((p) => existsSync(p));
  return chosen ? loadConfigFile(chosen, env) : checkConfig({}, { env });
}

/**
 * Wraps a command action so that its returned exit code, or the code of what it throws, becomes
 * the process exit code, with a one-line reason on stderr instead of a stack trace.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<ExitCode | void> | ExitCode | void,
) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? ExitCode.Ok;
    } catch (err) {
      process.exitCode = exitCodeFor(err);
      if (err instanceof JpkiLockerError) {
        process.stderr.write(`jpki-locker: ${err.message}\n`);
      } else {
        process.stderr.write(`jpki-locker: ${(err as Error)?.stack ?? String(err)}\n`);
      }
    }
  };
}

/** Registers a group of subcommands on the root program. */
export type CommandModule = (program: Command) => void;
