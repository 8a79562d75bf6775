/**
 * Error classes shared across the wire boundary. Tell them apart by class and by their
 * `kind`/`code` fields, never by message text.
 */

/** Base class: every error we raise on purpose carries a stable `code`. */
export class JpkiLockerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A mistake in how a command was called (exit code 2). */
export class UsageError extends JpkiLockerError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** One problem found in a configuration, with the dotted path of the key. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** A configuration that cannot be used; lists every problem at once. */
export class ConfigError extends JpkiLockerError {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      'config_invalid',
      `invalid configuration:\n${problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n')}`,
    );
  }
}

/** Why the station's database cannot be used. */
export type StorageErrorKind =
  'unreadable' | 'locked' | 'newer_version' | 'not_writable' | 'corrupt';

/** The database cannot be opened or migrated; `kind` says why. */
export class StorageError extends JpkiLockerError {
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`storage_${kind}`, message, options);
  }
}

/** A device the configured mode needs is gone or never answered. */
export class HardwareLostError extends JpkiLockerError {
  constructor(
    readonly device: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('hardware_lost', message, options);
  }
}
