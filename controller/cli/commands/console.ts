import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../../shared/errors.js';
import { isStationId } from '../../../shared/mqtt/topics.js';
import { Secret } from '../../../shared/secret.js';
import { ConsoleServer } from '../../console/console-server.js';
import { KeyConsoleSigner } from '../../console/signer.js';
import { ExitCode } from '../../exit-codes.js';
import { createLogger } from '../../log.js';
import { action, UsageError } from '../context.js';

interface ConsoleCliOptions {
  broker: string;
  listen: string;
  signKey?: string;
  signCert?: string;
  operator?: string;
  actionLog: string;
  heartbeatSec: string;
  areas?: string;
  protocol: string;
  username?: string;
  ca?: string;
  cert?: string;
  key?: string;
  topicPrefix: string;
  crlWarnHours: string;
  outboxWarn: string;
  logLevel: string;
}

/** `HOST:PORT` (`[v6]:PORT` too) -> parts. @throws UsageError. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen must be HOST:PORT, got "${text}"`);
  return { host: (m[1] ?? m[2])!, port };
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number`);
  return n;
}

/** Reads the back office's station directory: a JSON object `{ "<station id>": "<area>" }`. */
function readAreas(file: string): Map<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([{ path: '--areas', message: `${file}: ${(err as Error).message}` }]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError([{ path: '--areas', message: `${file}: must be a JSON object` }]);
  const problems: { path: string; message: string }[] = [];
  const areas = new Map<string, string>();
  for (const [id, area] of Object.entries(value)) {
    if (!isStationId(id) || typeof area !== 'string')
      problems.push({ path: `--areas.${id}`, message: 'station id -> area name (string)' });
    else areas.set(id, area);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return areas;
}

/** `console`: the operator console (web dashboard fed from the broker). */
export function registerConsole(program: Command): void {
  program
    .command('console')
    .description(
      'serve the operator console: a live web dashboard of every station, fed from the broker',
    )
    .requiredOption('--broker <url>', 'broker URL (mqtt://, mqtts://, ws://, wss://)')
    .option('--listen <host:port>', 'where the dashboard listens', '127.0.0.1:8090')
    .option('--sign-key <file>', 'PEM private key that signs commands (without it: read-only)')
    .option('--sign-cert <file>', 'PEM certificate chain of the signing key, signer first')
    .option('--operator <name>', 'operator name for the action log when the page gives none')
    .option('--action-log <file>', 'append-only action log (JSON lines)', 'console-actions.jsonl')
    .option('--heartbeat-sec <n>', "the stations' heartbeat interval (mqtt.heartbeatSec)", '30')
    .option(
      '--areas <file>',
      'JSON object: station id -> area (default: the id without its last -part)',
    )
    .option('--protocol <4|5>', 'MQTT protocol version', '5')
    .option('--username <name>', 'broker user name (password from $JPKI_LOCKER_CONSOLE_PASSWORD)')
    .option('--ca <file>', 'CA certificate for mqtts://')
    .option('--cert <file>', 'client certificate for mqtts://')
    .option('--key <file>', 'client key for mqtts://')
    .option('--topic-prefix <prefix>', 'topic prefix', 'jpki-locker/v1')
    .option('--crl-warn-hours <n>', 'alarm when a CRL is this close to its nextUpdate', '6')
    .option('--outbox-warn <n>', 'alarm at this outbox depth', '1000')
    .option('--log-level <level>', 'log level', 'info')
    .action(
      action(async (opts: ConsoleCliOptions) => {
        const listen = parseListen(opts.listen);
        if (!/^(mqtts?|wss?):\/\/[^\s/]+/.test(opts.broker))
          throw new UsageError('--broker must be an mqtt://, mqtts://, ws:// or wss:// URL');
        if ((opts.signKey === undefined) !== (opts.signCert === undefined))
          throw new UsageError('--sign-key and --sign-cert go together');
        if (opts.protocol !== '4' && opts.protocol !== '5')
          throw new UsageError('--protocol must be 4 or 5');
        const log = createLogger({ level: opts.logLevel });
        const signer =
          opts.signKey && opts.signCert
            ? KeyConsoleSigner.fromFiles(opts.signKey, opts.signCert)
            : undefined;
        const password = process.env.JPKI_LOCKER_CONSOLE_PASSWORD;
        const tls = {
          ...(opts.ca ? { ca: readFileSync(opts.ca) } : {}),
          ...(opts.cert ? { cert: readFileSync(opts.cert) } : {}),
          ...(opts.key ? { key: readFileSync(opts.key) } : {}),
        };
        const server = new ConsoleServer(
          {
            brokerUrl: opts.broker,
            protocolVersion: Number(opts.protocol) as 4 | 5,
            ...(opts.username ? { username: opts.username } : {}),
            ...(password ? { password: new Secret(password) } : {}),
            ...(Object.keys(tls).length > 0 ? { tls } : {}),
            topicPrefix: opts.topicPrefix,
            listenHost: listen.host,
            listenPort: listen.port,
            ...(opts.operator ? { operator: opts.operator } : {}),
            actionLogFile: opts.actionLog,
            fleet: {
              heartbeatSec: positive('--heartbeat-sec', opts.heartbeatSec),
              crlWarnSec: positive('--crl-warn-hours', opts.crlWarnHours) * 3600,
              outboxWarnDepth: positive('--outbox-warn', opts.outboxWarn),
              ...(opts.areas ? { areas: readAreas(opts.areas) } : {}),
            },
          },
          { ...(signer ? { signer } : {}), log: log.child({ component: 'console' }) },
        );
        const abort = new AbortController();
        let stop: () => void = () => {};
        const stopped = new Promise<void>((resolve) => (stop = resolve));
        const onSignal = () => {
          abort.abort();
          stop();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          await server.start(abort.signal);
          // One line on stdout that scripts and tests can wait for.
          process.stdout.write(`console listening on ${server.url}\n`);
          await stopped;
        } finally {
          await server.stop();
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        return ExitCode.Ok;
      }),
    );
}
