import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../shared/errors.js';
import { isStationId } from '../../shared/mqtt/topics.js';
import { Secret } from '../../shared/secret.js';
import { DEFAULT_APPROVAL_POLICY } from '../console/approvals.js';
import { ConsoleServer } from '../console/console-server.js';
import { PostgresHistory } from '../console/history-postgres.js';
import { isLoopback } from '../console/http.js';
import { KeyConsoleSigner } from '../console/signer.js';
import { createOfficeLogger } from '../log.js';
import { registerConsoleUsers } from './console-users.js';
import { officeAction as action, OfficeExit as ExitCode, UsageError } from './usage.js';

interface ConsoleCliOptions {
  broker?: string;
  listen: string;
  data: string;
  login: boolean;
  stationCa?: string;
  commandCrl?: string;
  allowedHost?: string[];
  tlsCert?: string;
  tlsKey?: string;
  twoPerson: string;
  approvalSec: string;
  retentionDays: string;
  sessionExpirySec: string;
  shareGroup?: string;
  db?: string;
  signKey?: string;
  signCert?: string;
  operator?: string;
  actionLog?: string;
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

/** `console`: the operator console (web dashboard fed from the broker) and its accounts. */
export function registerConsole(program: Command): void {
  const cmd = program
    .command('console')
    .description(
      'serve the operator console: a live web dashboard of every station, fed from the broker',
    )
    .option('--broker <url>', 'broker URL (mqtt://, mqtts://, ws://, wss://); required to serve')
    .option('--listen <host:port>', 'where the dashboard listens', '127.0.0.1:8090')
    .option('--data <dir>', 'accounts, sessions and history', './console-data')
    .option('--no-login', 'no accounts (loopback --listen only; every page says so)')
    .option('--allowed-host <name...>', 'Host names the console answers to (default: loopback)')
    .option('--tls-cert <file>', 'HTTPS certificate chain (PEM); required beyond loopback')
    .option('--tls-key <file>', 'HTTPS private key (PEM)')
    .option(
      '--two-person <kinds>',
      'command kinds needing a second operator (remote.open: doors and occupied compartments only); "none" for none',
      [...DEFAULT_APPROVAL_POLICY.kinds].join(','),
    )
    .option(
      '--approval-sec <n>',
      'how long a request waits for its second operator',
      String(DEFAULT_APPROVAL_POLICY.windowSec),
    )
    .option('--db <url>', 'history in PostgreSQL (postgres://…) instead of SQLite in --data')
    .option('--retention-days <n>', 'days of event history kept', '90')
    .option(
      '--session-expiry-sec <n>',
      'MQTT 5 session expiry: how long the broker keeps our messages',
      '86400',
    )
    .option(
      '--share-group <name>',
      'take events through $share/<name>/ (several instances, one --db)',
    )
    .option('--sign-key <file>', 'PEM private key that signs commands (without it: read-only)')
    .option('--sign-cert <file>', 'PEM certificate chain of the signing key, signer first')
    .option('--operator <name>', 'with --no-login: the operator name recorded', 'local-operator')
    .option('--action-log <file>', 'append-only action log (default <data>/actions.jsonl)')
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
    .option(
      '--station-ca <file>',
      "CA (PEM) that issues station certificates: check each station message's signature and mark events unsigned, forged or untrusted",
    )
    .option('--topic-prefix <prefix>', 'topic prefix', 'jpki-locker/v1')
    .option(
      '--command-crl <file>',
      "the command CA's CRL (office command-crl writes it): published retained to every station, again when it changes",
    )
    .option('--crl-warn-hours <n>', 'alarm when a CRL is this close to its nextUpdate', '6')
    .option('--outbox-warn <n>', 'alarm at this outbox depth', '1000')
    .option('--log-level <level>', 'log level', 'info')
    .enablePositionalOptions()
    .action(action((opts: ConsoleCliOptions) => serve(opts)));
  registerConsoleUsers(cmd);
}

/** The DER of every certificate in a PEM file. @throws UsageError when there is none. */
function pemCertificates(pem: Buffer, file: string): Uint8Array[] {
  const blocks =
    pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ??
    [];
  try {
    const out = blocks.map((b) => new Uint8Array(new X509Certificate(b).raw));
    if (out.length === 0) throw new Error('no PEM certificate');
    return out;
  } catch (err) {
    throw new UsageError(`cannot read station CA ${file}: ${(err as Error).message}`);
  }
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

async function serve(opts: ConsoleCliOptions): Promise<ExitCode> {
  if (!opts.broker) throw new UsageError('--broker <url> is required to serve the console');
  const listen = parseListen(opts.listen);
  if (!/^(mqtts?|wss?):\/\/[^\s/]+/.test(opts.broker))
    throw new UsageError('--broker must be an mqtt://, mqtts://, ws:// or wss:// URL');
  if ((opts.signKey === undefined) !== (opts.signCert === undefined))
    throw new UsageError('--sign-key and --sign-cert go together');
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  if (opts.protocol !== '4' && opts.protocol !== '5')
    throw new UsageError('--protocol must be 4 or 5');
  const noLogin = opts.login === false;
  if (noLogin && !isLoopback(listen.host))
    throw new UsageError('--no-login needs a loopback --listen (127.0.0.1, ::1 or localhost)');
  if (!opts.tlsCert && !isLoopback(listen.host))
    throw new UsageError('beyond loopback the console needs --tls-cert and --tls-key');
  if (opts.db !== undefined && !/^postgres(ql)?:\/\/\S+$/.test(opts.db))
    throw new UsageError('--db must be a postgres:// URL');
  const kinds = opts.twoPerson === 'none' ? [] : opts.twoPerson.split(',').map((k) => k.trim());
  const log = createOfficeLogger(opts.logLevel);
  const signer =
    opts.signKey && opts.signCert
      ? KeyConsoleSigner.fromFiles(opts.signKey, opts.signCert)
      : undefined;
  const password = process.env.JPKI_LOCKER_CONSOLE_PASSWORD;
  const tls = {
    ...(opts.ca ? { ca: readPem(opts.ca, 'CA file') } : {}),
    ...(opts.cert ? { cert: readPem(opts.cert, 'certificate') } : {}),
    ...(opts.key ? { key: readPem(opts.key, 'key') } : {}),
  };
  const stationAnchors = opts.stationCa
    ? pemCertificates(readPem(opts.stationCa, 'station CA'), opts.stationCa)
    : undefined;
  const server = new ConsoleServer(
    {
      brokerUrl: opts.broker,
      ...(stationAnchors ? { stationAnchors } : {}),
      ...(opts.commandCrl ? { commandCrlFile: opts.commandCrl } : {}),
      protocolVersion: Number(opts.protocol) as 4 | 5,
      ...(opts.username ? { username: opts.username } : {}),
      ...(password ? { password: new Secret(password) } : {}),
      ...(Object.keys(tls).length > 0 ? { tls } : {}),
      topicPrefix: opts.topicPrefix,
      listenHost: listen.host,
      listenPort: listen.port,
      ...(opts.allowedHost ? { allowedHosts: opts.allowedHost } : {}),
      ...(opts.tlsCert && opts.tlsKey
        ? {
            httpsTls: {
              cert: readPem(opts.tlsCert, 'TLS certificate'),
              key: readPem(opts.tlsKey, 'TLS key'),
            },
          }
        : {}),
      dataDir: opts.data,
      ...(opts.actionLog ? { actionLogFile: opts.actionLog } : {}),
      ...(noLogin ? { noLoginOperator: opts.operator ?? 'local-operator' } : {}),
      ...(opts.shareGroup ? { shareGroup: opts.shareGroup } : {}),
      ...(opts.db ? { history: new PostgresHistory(opts.db) } : {}),
      sessionExpirySec: positive('--session-expiry-sec', opts.sessionExpirySec),
      retentionDays: positive('--retention-days', opts.retentionDays),
      approval: { kinds: new Set(kinds), windowSec: positive('--approval-sec', opts.approvalSec) },
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
    try {
      await server.start(abort.signal);
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(err.message);
      throw err;
    }
    if (noLogin) log.warn('login is disabled (--no-login): anyone on this machine can act');
    // One line on stdout that scripts and tests can wait for.
    process.stdout.write(`console listening on ${server.url}\n`);
    await stopped;
  } finally {
    await server.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return ExitCode.Ok;
}
