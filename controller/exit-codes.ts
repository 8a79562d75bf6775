/** Process exit codes: operators' scripts and the systemd unit depend on them. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** The operation failed (a proof refused, a check failed, an unexpected error). */
  Failure: 1,
  /** Bad usage or bad configuration: restarting will not help. */
  Usage: 2,
  /** Hardware the configured mode needs is missing or was lost. */
  HardwareLost: 3,
  /** The database cannot be used (locked, newer schema, damaged, not writable). */
  Storage: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
