import { CommanderError } from 'commander';
import { ConfigError, JpkiLockerError, UsageError } from '../../shared/errors.js';

export { UsageError } from '../../shared/errors.js';

/** Exit codes of the office commands: 0 ok, 1 failure, 2 usage. */
export const OfficeExit = { Ok: 0, Failure: 1, Usage: 2 } as const;
export type OfficeExit = (typeof OfficeExit)[keyof typeof OfficeExit];

/** The exit code an error stands for. */
export function officeExitFor(err: unknown): OfficeExit {
  if (err instanceof ConfigError || err instanceof UsageError) return OfficeExit.Usage;
  if (err instanceof CommanderError) return err.exitCode === 0 ? OfficeExit.Ok : OfficeExit.Usage;
  return OfficeExit.Failure;
}

/**
 * Wraps a command action: its returned code, or the code of what it throws, becomes the exit
 * code, with a one-line reason on stderr instead of a stack trace.
 */
export function officeAction<A extends unknown[]>(
  fn: (...args: A) => Promise<OfficeExit | void> | OfficeExit | void,
) {
  return async (...args: A): Promise<void> => {
    try {
      process.exitCode = (await fn(...args)) ?? OfficeExit.Ok;
    } catch (err) {
      process.exitCode = officeExitFor(err);
      const text = err instanceof JpkiLockerError ? err.message : ((err as Error)?.stack ?? err);
      process.stderr.write(`jpki-locker: ${String(text)}\n`);
    }
  };
}
