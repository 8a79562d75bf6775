import { JpkiLockerError } from '../shared/errors.js';

/**
 * A failed `listen()` as a one-line reason with what to do, instead of a stack trace: the port
 * taken (another jpki-locker, a second demo) or not allowed, with the setting that moves it.
 */
export function listenError(err: unknown, host: string, port: number, setting: string): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE')
    return new JpkiLockerError(
      'port_in_use',
      `${host}:${port} is already in use (is another jpki-locker or demo running?): stop it, or choose another port with ${setting}`,
      { cause: err },
    );
  if (code === 'EACCES')
    return new JpkiLockerError(
      'port_not_allowed',
      `${host}:${port} may not be opened by this user (ports below 1024 need privileges): choose another port with ${setting}`,
      { cause: err },
    );
  if (code === 'EADDRNOTAVAIL')
    return new JpkiLockerError(
      'address_not_here',
      `${host} is not an address of this machine: fix ${setting}`,
      { cause: err },
    );
  return err instanceof Error ? err : new Error(String(err));
}
