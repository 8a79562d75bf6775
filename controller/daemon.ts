import type { Config } from './config/types.js';
import { exitCodeFor } from './cli/context.js';
import { ExitCode } from './exit-codes.js';
import { StartAbortedError } from './lifecycle.js';
import type { Logger } from './log.js';
import { Station, type StationOptions } from './station.js';
import { HardwareLostError, JpkiLockerError } from '../shared/errors.js';
import { SystemdWatchdog } from './systemd.js';

/**
 * The process shell around a Station: SIGTERM/SIGINT stop it cleanly, also in the middle of
 * start-up; a lost device stops it with exit code 3. Resolves with the exit code.
 */
export async function runDaemon(
  config: Readonly<Config>,
  log: Logger,
  options: StationOptions & { onReady?: (s: Station) => void } = {},
): Promise<ExitCode> {
  const abort = new AbortController();
  let stopRequested: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  let exitCode: ExitCode = ExitCode.Ok;
  const onSignal = (sig: NodeJS.Signals) => {
    log.info({ signal: sig }, 'stopping');
    abort.abort();
    stopRequested?.();
  };
  const onFatal = (err: Error) => {
    exitCode = err instanceof HardwareLostError ? ExitCode.HardwareLost : exitCodeFor(err);
    abort.abort();
    stopRequested?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Keeps the process alive while it waits for a signal, and feeds the systemd watchdog.
  const watchdog = new SystemdWatchdog(log);
  const keepAlive = setInterval(() => watchdog.ping(), watchdog.intervalMs);
  const station = new Station(config, log, options);
  const unsubscribe = station.onFatal(onFatal);
  try {
    try {
      await station.start(abort.signal);
    } catch (err) {
      if (err instanceof StartAbortedError || abort.signal.aborted) {
        log.info('start-up aborted; stopped cleanly');
        return exitCode;
      }
      // A reason the operator can act on is shown as it is; anything else with its stack.
      if (err instanceof JpkiLockerError)
        log.fatal({ code: err.code }, `start-up failed: ${err.message}`);
      else log.fatal({ err }, 'start-up failed');
      return exitCodeFor(err);
    }
    log.info({ station: config.station.id }, 'station ready');
    watchdog.ready();
    options.onReady?.(station);
    await stopped;
    await station.stop();
    log.info('stopped');
    return exitCode;
  } finally {
    clearInterval(keepAlive);
    watchdog.stopping();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    unsubscribe();
  }
}
