import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values never reach the office's log lines (passwords, keys, cookies). */
const REDACT = ['password', 'privateKey', 'key', 'secret', 'cookie', 'authorization', 'csrf'];

/** The office's root logger: JSON lines on stderr (stdout carries the CLI's answers). */
export function createOfficeLogger(level = 'info'): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]), censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that writes nothing (tests). */
export function quietLogger(): Logger {
  return pino({ level: 'silent' });
}
