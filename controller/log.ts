import pino, { type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log line, wherever they appear (two levels deep). PINs
 * and passwords also travel as `Secret`, which serialises to `[redacted]` by itself; this
 * list is the second fence for keys, certificates and anything named like them.
 */
export const REDACTED_KEYS = [
  'pin',
  'password',
  'passphrase',
  'privateKey',
  'key',
  'secret',
  'cert',
  'certificate',
  'certDer',
  'subject',
  'subjectAltName',
  'name',
  'address',
  'dateOfBirth',
  'authorization',
];

const redactPaths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export interface LogOptions {
  level?: string;
  format?: 'auto' | 'json' | 'pretty';
  /** Where JSON lines go (default stdout). Tests pass a stream to capture them. */
  destination?: NodeJS.WritableStream;
}

/**
 * The station's root logger. Components take `log.child({ component: 'mqtt' })`.
 * JSON lines when stdout is not a terminal (journald, a service manager); readable colours on
 * a terminal.
 */
export function createLogger(options: LogOptions = {}): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    base: { pid: process.pid },
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  const format = options.format ?? 'auto';
  const usePretty =
    format === 'pretty' || (format === 'auto' && !options.destination && process.stdout.isTTY);
  if (usePretty) {
    return pino(
      opts,
      pretty({
        sync: true,
        colorize: true,
        ignore: 'pid,hostname',
        messageKey: 'msg',
        destination: 2,
      }),
    );
  }
  return pino(opts, options.destination ?? pino.destination({ dest: 2, sync: true }));
}

/** A logger that writes nothing, for unit tests and library callers. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
